/** Text helpers shared by the Node renderer and the page's script (no DOM, no Node). */

/** Escapes text for SVG/HTML content and attribute values. */
export function esc(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;').replace(/'/g, '&#39;');
}

/** Labels are set in a monospace font, so their width is known without a browser. */
export const CHAR_W = 7.3;
export const textWidth = (s: string, charW = CHAR_W) => s.length * charW;

export const shapeText = (s: readonly number[] | null | undefined) => (s ? s.join('x') : '?');
