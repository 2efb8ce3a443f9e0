/** A value as JSON for a message, capped: a hostile value may be huge, or nested past what JSON.stringify survives. */
export function preview(v: unknown, max = 120): string {
  let text: string;
  try {
    text = JSON.stringify(v) ?? String(v);
  } catch {
    text = Array.isArray(v) ? '[...]' : typeof v === 'object' && v !== null ? '{...}' : String(v);
  }
  return text.length > max ? `${text.slice(0, max)}... (${text.length} characters)` : text;
}
