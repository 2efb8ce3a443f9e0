/** Python-style formatting of constructor arguments for `extraRepr` (PyTorch's module repr). */

/** 2 -> "2", [3, 3] -> "(3, 3)", null -> "None", true -> "True", 1 (as float) -> "1.0", strings bare. */
export function py(v: unknown, float = false): string {
  if (v === null || v === undefined) return 'None';
  if (typeof v === 'boolean') return v ? 'True' : 'False';
  if (typeof v === 'number') return float && Number.isInteger(v) ? v.toFixed(1) : String(v);
  if (Array.isArray(v)) return `(${v.map((x) => py(x, float)).join(', ')}${v.length === 1 ? ',' : ''})`;
  return String(v);
}
