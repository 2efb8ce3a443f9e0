/**
 * PyTorch module paths from the node names torch.onnx writes.
 *
 * torch 1.13 names a node by its scope chain plus the op: `/0/branches.1/
 * branches.1.8/body/body.1/Conv`. Each segment is the module's name relative
 * to the nearest enclosing module that is not a Sequential, so a segment that
 * starts with the previous one plus `.` replaces it: the chain above is
 * module `0.branches.1.8.body.1`. torch 2.x may also record the scopes in the
 * metadata `pkg.torch.onnx.name_scopes` (a list of the segments).
 */

/** The module path of a torch-named node (`/0/branches.1/branches.1.8/Conv` → `0.branches.1.8`); null when the name is not of that form. */
export function scopeFromNodeName(name: string): string | null {
  if (!name.startsWith('/')) return null;
  const parts = name.slice(1).split('/');
  parts.pop(); // the op (`Conv`, `Reshape_1`)
  return joinSegments(parts);
}

/** Joins scope segments: a segment extending the previous one (`branches.1` → `branches.1.8`) replaces it. */
export function joinSegments(parts: readonly string[]): string {
  const out: string[] = [];
  for (const seg of parts) {
    if (seg === '') continue;
    const prev = out[out.length - 1];
    if (prev !== undefined && seg.startsWith(prev + '.')) out[out.length - 1] = seg;
    else out.push(seg);
  }
  return out.join('.');
}

/** torch 2.x's `pkg.torch.onnx.name_scopes` metadata value (a JSON or Python-style list of segments), when present. */
export function scopeFromMetadata(value: string | undefined): string | null {
  if (value === undefined) return null;
  try {
    const parsed: unknown = JSON.parse(value.replace(/'/g, '"'));
    if (Array.isArray(parsed) && parsed.every((s) => typeof s === 'string')) return joinSegments(parsed as string[]);
  } catch {
    /* not a list */
  }
  return null;
}
