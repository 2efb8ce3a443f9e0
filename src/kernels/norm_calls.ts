/**
 * The calling convention of the normalization kernels: each kernel's
 * arguments (`KernelArgs`), and how a call splits into sub-ranges of units
 * (groups of planes, planes, or rows) of contiguous storage (`specs`,
 * `sliceArgs`, `bulkElements`), which the WebAssembly loader (chunked copies)
 * and the thread pool both use. The loops themselves are in norm_js.ts (the
 * TypeScript reference) and asm/norm.ts (its SIMD twin).
 */

type F32 = Float32Array;
type F64 = Float64Array;

export interface GroupForwardArgs {
  x: F32; out: F32; S: number; gs: number; C: number; c0: number; groups: number; eps: number; gn: number;
  weight: F32 | null; bias: F32 | null; mean: F64; variance: F64; rstd: F64;
  /** Non-zero: max(out, 0) after (a fused norm -> relu). */
  relu: number;
}
export interface PlaneSumsArgs { x: F32; S: number; planes: number; shift: F64; s1: F64; s2: F64; mx: F64 }
export interface PlaneAffineArgs { x: F32; out: F32; S: number; planes: number; alpha: F32; beta: F32; fused: F32; relu: number }
export interface GroupBackwardArgs {
  x: F32; dy: F32; dx: F32 | null; S: number; gs: number; C: number; c0: number; groups: number;
  mean: F64; rstd: F64; weight: F32 | null; gn: number; sdy: F64; sdyx: F64;
}
export interface PlaneBackSumsArgs { x: F32; dy: F32; S: number; planes: number; mu: F32; sdy: F64; sdyx: F64 }
export interface PlaneBackApplyArgs {
  x: F32; dy: F32; dx: F32; S: number; planes: number; mu: F32; gm: F32; kk: F32; r: F32; w: F32;
}
export interface PlaneScaleArgs { dy: F32; dx: F32; S: number; planes: number; r: F32; w: F32 }
export interface ChannelBackwardArgs {
  x: F32; dy: F32; dx: F32 | null; S: number; N: number; C: number; c0: number; channels: number;
  mean: F64; rstd: F64; weight: F32 | null; sdy: F64; sdyx: F64;
}
export interface RowForwardArgs {
  x: F32; out: F32; D: number; rows: number; eps: number; weight: F32 | null; bias: F32 | null; mean: F64; variance: F64; rstd: F64;
}
export interface RowBackwardArgs {
  x: F32; dy: F32; dx: F32 | null; D: number; rows: number; mean: F64; rstd: F64; weight: F32 | null; gw: F64 | null; gb: F64 | null;
}

export interface KernelArgs {
  groupForward: GroupForwardArgs;
  planeSums: PlaneSumsArgs;
  planeAffine: PlaneAffineArgs;
  groupBackward: GroupBackwardArgs;
  planeBackSums: PlaneBackSumsArgs;
  planeBackApply: PlaneBackApplyArgs;
  planeScale: PlaneScaleArgs;
  channelBackward: ChannelBackwardArgs;
  rowForward: RowForwardArgs;
  rowBackward: RowBackwardArgs;
}
export type KernelName = keyof KernelArgs;
export type NormKernels = { [K in KernelName]: (a: KernelArgs[K]) => void };

/**
 * How a kernel's arguments split over units. Roles: `in`/`out` bulk float32
 * data, `param`/`result` small per-unit arrays, `whole` read-only arrays used
 * by every unit (weight, bias), `accum` float64 arrays the kernel adds into,
 * `scalar` numbers. `per` is elements per unit; `reuse` lets an output take
 * an input's place (the kernels read each element before writing it).
 */
export type Role = 'in' | 'out' | 'param' | 'result' | 'whole' | 'accum' | 'scalar';
export interface ArgSpec {
  name: string;
  role: Role;
  type?: 'f32' | 'f64';
  per?: (a: Record<string, unknown>) => number;
  optional?: boolean;
  reuse?: string;
}
export interface KernelSpec {
  /**
   * What a unit is. A channel (batch norm's statistic) is N planes strided
   * C planes apart: its bulk arrays are not one contiguous run, so such
   * kernels never go to the worker pool, and the WebAssembly loader gathers
   * a chunk of channels into [N][chunk][S] (the kernel takes `channels` as
   * both its count and its stride between samples).
   */
  count: 'groups' | 'planes' | 'rows' | 'channels';
  /** Planes per unit, for the channel of a sub-range's first plane (kernels with C and c0). */
  planesPerUnit: (a: Record<string, unknown>) => number;
  /** In the order of the WebAssembly export's parameters. */
  args: ArgSpec[];
}

const num = (a: Record<string, unknown>, k: string): number => a[k] as number;
const groupElems = (a: Record<string, unknown>): number => num(a, 'gs') * num(a, 'S');
const planeElems = (a: Record<string, unknown>): number => num(a, 'S');
const rowElems = (a: Record<string, unknown>): number => num(a, 'D');
const channelElems = (a: Record<string, unknown>): number => num(a, 'N') * num(a, 'S');
const one = (): number => 1;
const gsPer = (a: Record<string, unknown>): number => num(a, 'gs');
const sc = (name: string): ArgSpec => ({ name, role: 'scalar' });

export const specs: { [K in KernelName]: KernelSpec } = {
  groupForward: {
    count: 'groups',
    planesPerUnit: gsPer,
    args: [
      { name: 'x', role: 'in', type: 'f32', per: groupElems },
      { name: 'out', role: 'out', type: 'f32', per: groupElems, reuse: 'x' },
      sc('S'), sc('gs'), sc('C'), sc('c0'), sc('groups'), sc('eps'), sc('gn'),
      { name: 'weight', role: 'whole', type: 'f32', optional: true },
      { name: 'bias', role: 'whole', type: 'f32', optional: true },
      { name: 'mean', role: 'result', type: 'f64', per: one },
      { name: 'variance', role: 'result', type: 'f64', per: one },
      { name: 'rstd', role: 'result', type: 'f64', per: one },
      sc('relu'),
    ],
  },
  planeSums: {
    count: 'planes',
    planesPerUnit: one,
    args: [
      { name: 'x', role: 'in', type: 'f32', per: planeElems },
      sc('S'), sc('planes'),
      { name: 'shift', role: 'param', type: 'f64', per: one },
      { name: 's1', role: 'result', type: 'f64', per: one },
      { name: 's2', role: 'result', type: 'f64', per: one },
      { name: 'mx', role: 'result', type: 'f64', per: one },
    ],
  },
  planeAffine: {
    count: 'planes',
    planesPerUnit: one,
    args: [
      { name: 'x', role: 'in', type: 'f32', per: planeElems },
      { name: 'out', role: 'out', type: 'f32', per: planeElems, reuse: 'x' },
      sc('S'), sc('planes'),
      { name: 'alpha', role: 'param', type: 'f32', per: one },
      { name: 'beta', role: 'param', type: 'f32', per: one },
      { name: 'fused', role: 'param', type: 'f32', per: one },
      sc('relu'),
    ],
  },
  groupBackward: {
    count: 'groups',
    planesPerUnit: gsPer,
    args: [
      { name: 'x', role: 'in', type: 'f32', per: groupElems },
      { name: 'dy', role: 'in', type: 'f32', per: groupElems },
      { name: 'dx', role: 'out', type: 'f32', per: groupElems, reuse: 'dy', optional: true },
      sc('S'), sc('gs'), sc('C'), sc('c0'), sc('groups'),
      { name: 'mean', role: 'param', type: 'f64', per: one },
      { name: 'rstd', role: 'param', type: 'f64', per: one },
      { name: 'weight', role: 'whole', type: 'f32', optional: true },
      sc('gn'),
      { name: 'sdy', role: 'result', type: 'f64', per: gsPer },
      { name: 'sdyx', role: 'result', type: 'f64', per: gsPer },
    ],
  },
  planeBackSums: {
    count: 'planes',
    planesPerUnit: one,
    args: [
      { name: 'x', role: 'in', type: 'f32', per: planeElems },
      { name: 'dy', role: 'in', type: 'f32', per: planeElems },
      sc('S'), sc('planes'),
      { name: 'mu', role: 'param', type: 'f32', per: one },
      { name: 'sdy', role: 'result', type: 'f64', per: one },
      { name: 'sdyx', role: 'result', type: 'f64', per: one },
    ],
  },
  planeBackApply: {
    count: 'planes',
    planesPerUnit: one,
    args: [
      { name: 'x', role: 'in', type: 'f32', per: planeElems },
      { name: 'dy', role: 'in', type: 'f32', per: planeElems },
      { name: 'dx', role: 'out', type: 'f32', per: planeElems, reuse: 'dy' },
      sc('S'), sc('planes'),
      ...['mu', 'gm', 'kk', 'r', 'w'].map((name): ArgSpec => ({ name, role: 'param', type: 'f32', per: one })),
    ],
  },
  planeScale: {
    count: 'planes',
    planesPerUnit: one,
    args: [
      { name: 'dy', role: 'in', type: 'f32', per: planeElems },
      { name: 'dx', role: 'out', type: 'f32', per: planeElems, reuse: 'dy' },
      sc('S'), sc('planes'),
      { name: 'r', role: 'param', type: 'f32', per: one },
      { name: 'w', role: 'param', type: 'f32', per: one },
    ],
  },
  channelBackward: {
    count: 'channels',
    planesPerUnit: one,
    args: [
      { name: 'x', role: 'in', type: 'f32', per: channelElems },
      { name: 'dy', role: 'in', type: 'f32', per: channelElems },
      { name: 'dx', role: 'out', type: 'f32', per: channelElems, reuse: 'dy', optional: true },
      sc('S'), sc('N'), sc('C'), sc('c0'), sc('channels'),
      { name: 'mean', role: 'param', type: 'f64', per: one },
      { name: 'rstd', role: 'param', type: 'f64', per: one },
      { name: 'weight', role: 'whole', type: 'f32', optional: true },
      { name: 'sdy', role: 'result', type: 'f64', per: one },
      { name: 'sdyx', role: 'result', type: 'f64', per: one },
    ],
  },
  rowForward: {
    count: 'rows',
    planesPerUnit: one,
    args: [
      { name: 'x', role: 'in', type: 'f32', per: rowElems },
      { name: 'out', role: 'out', type: 'f32', per: rowElems, reuse: 'x' },
      sc('D'), sc('rows'), sc('eps'),
      { name: 'weight', role: 'whole', type: 'f32', optional: true },
      { name: 'bias', role: 'whole', type: 'f32', optional: true },
      { name: 'mean', role: 'result', type: 'f64', per: one },
      { name: 'variance', role: 'result', type: 'f64', per: one },
      { name: 'rstd', role: 'result', type: 'f64', per: one },
    ],
  },
  rowBackward: {
    count: 'rows',
    planesPerUnit: one,
    args: [
      { name: 'x', role: 'in', type: 'f32', per: rowElems },
      { name: 'dy', role: 'in', type: 'f32', per: rowElems },
      { name: 'dx', role: 'out', type: 'f32', per: rowElems, reuse: 'dy', optional: true },
      sc('D'), sc('rows'),
      { name: 'mean', role: 'param', type: 'f64', per: one },
      { name: 'rstd', role: 'param', type: 'f64', per: one },
      { name: 'weight', role: 'whole', type: 'f32', optional: true },
      { name: 'gw', role: 'accum', type: 'f64', optional: true },
      { name: 'gb', role: 'accum', type: 'f64', optional: true },
    ],
  },
};

/** Float32 elements a call reads and writes in bulk, and of those, writes. */
export function bulkElements(kernel: KernelName, a: Record<string, unknown>): { all: number; out: number } {
  let all = 0;
  let out = 0;
  for (const arg of specs[kernel].args) {
    const v = a[arg.name] as F32 | null;
    if (!v || (arg.role !== 'in' && arg.role !== 'out')) continue;
    all += v.length;
    if (arg.role === 'out') out += v.length;
  }
  return { all, out };
}

/** `a` restricted to units [u0, u1): bulk and per-unit arrays sliced, count and c0 adjusted. */
export function sliceArgs<K extends KernelName>(kernel: K, a: KernelArgs[K], u0: number, u1: number): KernelArgs[K] {
  const s = specs[kernel];
  const src = a as unknown as Record<string, unknown>;
  const r: Record<string, unknown> = { ...src };
  for (const arg of s.args) {
    const v = src[arg.name] as F32 | F64 | null;
    if (!arg.per || !v) continue;
    const e = arg.per(src);
    r[arg.name] = v.subarray(u0 * e, u1 * e);
  }
  r[s.count] = u1 - u0;
  if ('c0' in src) r.c0 = (num(src, 'c0') + u0 * s.planesPerUnit(src)) % num(src, 'C');
  return r as unknown as KernelArgs[K];
}
