/**
 * `shape_flow` cases run through the analyzer only (no data is computed):
 * for every size of the sweep, the outcome, the raising module's path, the
 * error type and message (exact), the output shape(s) and the recorded module
 * output shapes must be PyTorch's. Models in the general form take every
 * input's shape by name (`input_shapes`).
 */
import { analyze } from '../../analysis/analyze.js';
import type { Analysis } from '../../analysis/types.js';
import { fmtSize } from '../../errors.js';
import { fromSpec } from '../../spec/spec.js';
import { withMetaParameters } from '../../tensor/meta_mode.js';
import type { CaseResult, ShapeFlowCase, SweepEntry } from '../case_types.js';

const same = (a: readonly number[] | null | undefined, b: readonly number[] | undefined) =>
  a != null && b !== undefined && a.length === b.length && a.every((v, i) => v === b[i]);

/** The first difference at one sweep size, or null. */
function compareEntry(a: Analysis, want: SweepEntry): string | null {
  const at = `size ${want.size} ${want.input_shapes ? JSON.stringify(want.input_shapes) : fmtSize(want.input_shape)}`;
  if (want.outcome === 'error') {
    if (a.failure === null) return `${at}: runs, PyTorch raised ${want.error?.type}: ${want.error?.message}`;
    const f = a.failure;
    if (f.error.type !== want.error?.type || f.error.message !== want.error.message) {
      return `${at}: error ${f.error.type}: ${f.error.message} != ${want.error?.type}: ${want.error?.message}`;
    }
    if (f.path !== want.raised_in?.path) return `${at}: raised in '${f.path}', PyTorch in '${want.raised_in?.path}'`;
    if (want.raised_in.module !== f.type) return `${at}: raising module ${f.type}, PyTorch ${want.raised_in.module}`;
    return null;
  }
  if (a.failure !== null) return `${at}: raises ${a.failure.error.type} in '${a.failure.path}': ${a.failure.error.message}`;
  if (!same(a.outputShape, want.output_shape)) return `${at}: output ${fmtSize(a.outputShape ?? [])} != ${fmtSize(want.output_shape ?? [])}`;
  for (const [k, s] of (want.output_shapes ?? []).entries()) {
    if (!same(a.outputShapes?.[k], s)) return `${at}: output ${k} ${fmtSize(a.outputShapes?.[k] ?? [])} != ${fmtSize(s)}`;
  }
  const calls = a.modules.filter((m) => m.kind !== 'function' && m.outputShape !== null);
  for (const [path, shape] of Object.entries(want.module_output_shapes ?? {})) {
    const r = calls.find((m) => m.path === path);
    if (!same(r?.outputShape, shape)) return `${at}: module '${path}' output ${r?.outputShape ? fmtSize(r.outputShape) : 'missing'} != ${fmtSize(shape)}`;
  }
  if (want.module_output_shapes) {
    const expected = Object.keys(want.module_output_shapes).length;
    if (calls.length !== expected) return `${at}: ${calls.length} module calls recorded, PyTorch ${expected}`;
  }
  return null;
}

export function runShapeFlowCase(c: ShapeFlowCase): CaseResult {
  const model = withMetaParameters(() => fromSpec(c.spec));
  const types = new Map([...model.namedModules('', false)].map(([p, m]) => [p, m.typeName]));
  for (const [path, type] of Object.entries(c.modules)) {
    if (types.get(path) !== type) return { status: 'fail', worst: Infinity, reason: `module '${path}' is ${types.get(path) ?? 'missing'}, PyTorch ${type}` };
  }
  const working: number[] = [];
  for (const entry of c.sweep) {
    const a = analyze(model, entry.input_shapes ?? entry.input_shape, { mode: c.mode });
    const diff = compareEntry(a, entry);
    if (diff !== null) return { status: 'fail', worst: Infinity, reason: diff };
    if (a.runs) working.push(entry.size);
  }
  const smallest = working.length ? Math.min(...working) : null;
  if (working.join() !== c.working_sizes.join() || smallest !== c.smallest_working_size) {
    return { status: 'fail', worst: Infinity, reason: `working sizes ${working.join(',')} != ${c.working_sizes.join(',')}` };
  }
  return { status: 'pass', worst: 0 };
}
