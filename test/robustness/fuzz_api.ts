/**
 * The public-API fuzz: random calls over the tensor API (creation, shape ops,
 * reductions, elementwise, matmul, norms and other functional ops, modules,
 * backward, safetensors) with random shapes and hostile arguments (NaN,
 * Infinity, negative, fractional, huge, wrong types). Every call must either
 * return a well-formed tensor or throw a NormkitError: no untyped error, no
 * crash, no hang, and no attempt to allocate a tensor over MAX_NUMEL (huge
 * sizes are refused first; an attempt would take gigabytes and seconds).
 *
 * Shared by the bounded run in `npm test` (api_fuzz.test.ts) and the longer
 * campaign of `npm run fuzz` (fuzz_main.ts, FUZZ_RUNS).
 */
import fc from 'fast-check';
import * as nk from '../../src/index.js';
import { NormkitError } from '../../src/errors.js';
import { Tensor } from '../../src/tensor/tensor.js';
import { loadSafetensors, saveSafetensors } from '../../src/io/safetensors.js';
import { onWarning } from '../../src/nn/warnings.js';
import { setMaxNumel } from '../../src/tensor/shape.js';

const { nn, F } = nk;

/** Numbers a hostile caller passes where sizes, dims, counts or options are expected. */
export const HOSTILE_NUMBERS = [
  NaN, Infinity, -Infinity, 0.5, -0.5, 1.5, 2.5, 1e10, 2 ** 31, 2 ** 31 + 1, 2 ** 32, 2 ** 53, -(2 ** 53), 1e300, -1e300, -1, -2, -3, 0, -0, 1e-300,
];
const HOSTILE_OTHER: unknown[] = ['a', '', '3', null, undefined, true, false, {}, [], [1, 2], [[1]], [NaN], [-1], [2.5], [2 ** 31, 2 ** 31], () => 1, 10n];

/** A small tensor (dims 0..4, values including NaN and infinities). */
export const tensorArb: fc.Arbitrary<Tensor> = fc
  .tuple(
    fc.array(fc.integer({ min: 0, max: 4 }), { minLength: 0, maxLength: 4 }),
    fc.array(fc.oneof({ weight: 8, arbitrary: fc.float({ noNaN: true, min: -10, max: 10 }) }, { weight: 1, arbitrary: fc.constantFrom(NaN, Infinity, -Infinity, 3e38, 1e-40) }), {
      minLength: 0,
      maxLength: 256,
    }),
    fc.boolean(),
  )
  .map(([shape, vals, grad]) => {
    const n = shape.reduce((a, b) => a * b, 1);
    const data = new Float32Array(n);
    for (let i = 0; i < n; i++) data[i] = vals.length ? vals[i % vals.length]! : 0;
    const t = new Tensor(data, shape);
    if (grad) t.requiresGrad = true;
    return t;
  });

const smallInt = fc.integer({ min: -3, max: 5 });
const hostileNumber = fc.constantFrom(...HOSTILE_NUMBERS);
const shapeArb = fc.array(fc.oneof({ weight: 6, arbitrary: fc.integer({ min: 0, max: 4 }) }, { weight: 1, arbitrary: hostileNumber }), { maxLength: 4 });

/** An argument: mostly plausible (small ints, shapes, tensors), often hostile. */
export const argArb: fc.Arbitrary<unknown> = fc.oneof(
  { weight: 4, arbitrary: smallInt },
  { weight: 3, arbitrary: hostileNumber },
  { weight: 3, arbitrary: shapeArb },
  { weight: 2, arbitrary: fc.constantFrom(...HOSTILE_OTHER) },
  { weight: 2, arbitrary: tensorArb },
  { weight: 1, arbitrary: fc.constantFrom('nearest', 'bilinear', 'linear', 'reflect', 'replicate', 'constant', 'mean', 'sum', 'none') },
);

type Args = readonly unknown[];
// The fuzz calls the API the way untyped JS (or a careless TS cast) would.
/* eslint-disable @typescript-eslint/no-explicit-any */
type AnyFn = (x: Tensor, y: Tensor, a: any[]) => unknown;

/** name -> call. `x`, `y`: random tensors; `a`: random arguments. */
export const OPS: Record<string, AnyFn> = {
  zeros: (_x, _y, a) => nk.zeros(a[0]),
  ones: (_x, _y, a) => nk.ones(a[0]),
  full: (_x, _y, a) => nk.full(a[0], a[1]),
  rand: (_x, _y, a) => nk.rand(a[0]),
  randn: (_x, _y, a) => nk.randn(a[0]),
  uniform: (_x, _y, a) => nk.uniform(a[0], a[1], a[2]),
  arange1: (_x, _y, a) => nk.arange(a[0]),
  arange3: (_x, _y, a) => nk.arange(a[0], a[1], a[2]),
  linspace: (_x, _y, a) => nk.linspace(a[0], a[1], a[2]),
  tensor: (_x, _y, a) => nk.tensor(a[0]),
  tensorShaped: (_x, _y, a) => nk.tensor(a[0], a[1]),
  newTensor: (_x, _y, a) => new Tensor(a[0], a[1]),
  zerosLike: (x) => nk.zerosLike(x),
  reshape: (x, _y, a) => x.reshape(a[0]),
  reshape2: (x, _y, a) => x.reshape(a[0], a[1]),
  view: (x, _y, a) => x.view(a[0], a[1], a[2]),
  expand: (x, _y, a) => x.expand(a[0]),
  expand2: (x, _y, a) => x.expand(a[0], a[1]),
  permute: (x, _y, a) => x.permute(a[0]),
  permute2: (x, _y, a) => x.permute(a[0], a[1]),
  transpose: (x, _y, a) => x.transpose(a[0], a[1]),
  squeeze: (x, _y, a) => x.squeeze(a[0]),
  unsqueeze: (x, _y, a) => x.unsqueeze(a[0]),
  flatten: (x, _y, a) => x.flatten(a[0], a[1]),
  slice: (x, _y, a) => x.slice(a[0], a[1], a[2], a[3]),
  cat: (x, y, a) => nk.cat([x, y], a[0]),
  catArg: (x, _y, a) => nk.cat(a[0]),
  catMixed: (x, _y, a) => nk.cat([x, a[0]]),
  sum: (x, _y, a) => nk.sum(x, a[0], { keepdim: a[1] }),
  mean: (x, _y, a) => nk.mean(x, a[0]),
  var: (x, _y, a) => nk.variance(x, a[0], { unbiased: a[1] }),
  std: (x, _y, a) => nk.std(x, a[0]),
  max: (x, _y, a) => nk.max(x, a[0]),
  min: (x, _y, a) => nk.min(x, a[0], { keepdim: a[1] }),
  argmax: (x, _y, a) => nk.argmax(x, a[0]),
  add: (x, y) => nk.add(x, y),
  addArg: (x, _y, a) => nk.add(x, a[0]),
  sub: (x, _y, a) => x.sub(a[0]),
  mul: (x, y) => x.mul(y),
  div: (x, _y, a) => x.div(a[0]),
  pow: (x, _y, a) => x.pow(a[0]),
  unary: (x, _y, a) => [x.neg(), x.exp(), x.log(), x.sqrt(), x.abs(), x.rsqrt(), x.square()][Math.abs(Number(a[0]) | 0) % 7],
  clamp: (x, _y, a) => x.clamp(a[0], a[1]),
  matmul: (x, y) => nk.matmul(x, y),
  matmulArg: (x, _y, a) => x.matmul(a[0]),
  batchNorm: (x, _y, a) => F.batchNorm(x, null, null, { training: true, eps: a[0], momentum: a[1] }),
  batchNormRunning: (x, _y, a) => F.batchNorm(x, a[0], a[1], { training: a[2] }),
  instanceNorm: (x, _y, a) => F.instanceNorm(x, { eps: a[0], weight: a[1] }),
  groupNorm: (x, _y, a) => F.groupNorm(x, a[0], { eps: a[1] }),
  layerNorm: (x, _y, a) => F.layerNorm(x, a[0], { eps: a[1] }),
  adain: (x, y, a) => F.adaptiveInstanceNorm(x, y, a[0]),
  softmax: (x, _y, a) => F.softmax(x, a[0]),
  logSoftmax: (x, _y, a) => F.logSoftmax(x, a[0]),
  interpolate: (x, _y, a) => F.interpolate(x, { size: a[0], scaleFactor: a[1], mode: a[2] }),
  pad: (x, _y, a) => F.pad(x, a[0], a[1], a[2]),
  maxPool2d: (x, _y, a) => F.maxPool2d(x, a[0], { stride: a[1], padding: a[2] }),
  avgPool2d: (x, _y, a) => F.avgPool2d(x, a[0], { stride: a[1] }),
  adaptiveAvgPool2d: (x, _y, a) => F.adaptiveAvgPool2d(x, a[0]),
  conv2d: (x, y, a) => F.conv2d(x, y, null, { stride: a[0], padding: a[1], dilation: a[2] }),
  linear: (x, y) => F.linear(x, y),
  relu: (x, _y, a) => [F.relu(x), F.leakyRelu(x, a[0]), F.gelu(x), F.elu(x, a[0]), F.tanh(x), F.sigmoid(x)][Math.abs(Number(a[1]) | 0) % 6],
  dropout: (x, _y, a) => F.dropout(x, a[0], a[1]),
  mseLoss: (x, y, a) => F.mseLoss(x, y, { reduction: a[0] }),
  crossEntropy: (x, y, a) => F.crossEntropy(x, y, { reduction: a[0] }),
  BatchNorm2d: (x, _y, a) => new nn.BatchNorm2d(a[0], { eps: a[1], momentum: a[2] }).call(x),
  InstanceNorm2d: (x, _y, a) => new nn.InstanceNorm2d(a[0], { affine: a[1], trackRunningStats: a[2] }).call(x),
  GroupNorm: (x, _y, a) => new nn.GroupNorm(a[0], a[1]).call(x),
  LayerNorm: (x, _y, a) => new nn.LayerNorm(a[0]).call(x),
  Linear: (x, _y, a) => new nn.Linear(a[0], a[1]).call(x),
  Conv2d: (x, _y, a) => new nn.Conv2d(a[0], a[1], a[2]).call(x),
  Upsample: (x, _y, a) => new nn.Upsample({ scaleFactor: a[0], mode: a[1] }).call(x),
  Sequential: (x, _y, a) => new nn.Sequential(a[0]).call(x),
  momentumAfter: (x, _y, a) => {
    const bn = new nn.BatchNorm2d(x.shape[1] ?? 1);
    bn.momentum = a[0];
    return bn.call(x);
  },
  backward: (x, _y, a) => {
    const y = nk.sum(nk.mul(x, x));
    y.backward(a[0]);
    return x.grad ?? y;
  },
  backwardOf: (x, _y, a) => {
    x.backward(a[0], a[1]);
    return x;
  },
  convTranspose2d: (x, y, a) => F.convTranspose2d(x, y, null, { stride: a[0], padding: a[1], outputPadding: a[2] }),
  adaptiveMaxPool2d: (x, _y, a) => F.adaptiveMaxPool2d(x, a[0]),
  nllLoss: (x, y, a) => F.nllLoss(x, a[0] instanceof Tensor ? a[0] : y, { reduction: a[1] }),
  l1Loss: (x, _y, a) => F.l1Loss(x, a[0], { reduction: a[1] }),
  bce: (x, y, a) => F.binaryCrossEntropyWithLogits(x, y, { reduction: a[0] }),
  sgd: (x, _y, a) => {
    const p = nk.zeros(x.shape.length ? [...x.shape] : [1]).requiresGrad_();
    const opt = new nk.optim.SGD([p], { lr: a[0], momentum: a[1], weightDecay: a[2] });
    nk.sum(nk.mul(p, p)).backward();
    opt.step();
    return p;
  },
  adam: (x, _y, a) => {
    const p = nk.ones(x.shape.length ? [...x.shape] : [1]).requiresGrad_();
    const opt = new nk.optim.Adam([p], { lr: a[0], betas: a[1], eps: a[2] });
    nk.sum(nk.mul(p, p)).backward();
    opt.step();
    return p;
  },
  loadStateDict: (x, _y, a) => {
    const m = new nn.BatchNorm1d(x.shape[1] ?? 1);
    m.loadStateDict(a[0] instanceof Tensor ? { weight: a[0] } : (a[0] as never), { strict: a[1] });
    return m.weight;
  },
  moduleCall: (_x, _y, a) => new nn.Identity().call(a[0]),
  print: (x) => (x.toString(), new nn.Sequential([new nn.Identity(), new nn.BatchNorm2d(2)]).toString(), x),
  toArray: (x) => (x.toArray(), x),
  item: (x) => nk.tensor(x.item()),
  size: (x, _y, a) => (x.size(a[0]), x),
  tidy: (_x, _y, a) => nk.tidy(a[0]),
  noGrad: (_x, _y, a) => nk.noGrad(a[0]),
  cacheLimit: (_x, _y, a) => (nk.setStorageCacheLimit(a[0]), nk.setStorageCacheLimit(256 * 1024 * 1024), null),
  manualSeed: (_x, _y, a) => (nk.manualSeed(a[0]), nk.manualSeed(0), null),
  saveMeta: (x, _y, a) => saveSafetensors({ t: x }, a[0] as never),
  saveLoad: (x, _y, a) => loadSafetensors(saveSafetensors({ [String(a[0])]: x }, undefined, { dtypes: { [String(a[0])]: a[1] } })).tensors.values().next().value,
  loadBytes: (_x, _y, a) => loadSafetensors(a[0] instanceof Tensor ? new Uint8Array(a[0].data.buffer) : (a[0] as Uint8Array)),
};

export const OP_NAMES = Object.keys(OPS);

export interface CallOutcome {
  op: string;
  /** 'ok', the NormkitError class name, or 'UNTYPED <name>: <message>'. */
  result: string;
  ms: number;
}

/** Runs one call; returns what happened (never throws). */
export function runCall(op: string, x: Tensor, y: Tensor, args: Args): CallOutcome {
  const t0 = performance.now();
  let result = 'ok';
  try {
    const out = OPS[op]!(x, y, [...args]);
    if (out instanceof Tensor && !out.isMeta) {
      // A well-formed result: storage that fits its shape.
      const n = out.shape.reduce((p, d) => p * d, 1);
      if (out.data.length !== n) result = `UNTYPED malformed: data of ${out.data.length} for shape [${out.shape.join(', ')}]`;
    }
  } catch (e) {
    if (e instanceof NormkitError) result = e.name;
    else result = `UNTYPED ${(e as Error)?.name}: ${String((e as Error)?.message).slice(0, 200)}`;
  }
  return { op, result, ms: performance.now() - t0 };
}

/** Per-call time limit: no call on these small inputs may take longer (huge sizes must be refused, not attempted). */
export const CALL_MS_LIMIT = 2000;

/**
 * The property: every call returns a well-formed tensor or throws a
 * NormkitError, within CALL_MS_LIMIT. `stats` (optional) counts outcomes.
 */
export function apiProperty(stats?: Map<string, number>): fc.IPropertyWithHooks<[string, Tensor, Tensor, unknown[]]> {
  return fc.property(fc.constantFrom(...OP_NAMES), tensorArb, tensorArb, fc.array(argArb, { minLength: 4, maxLength: 4 }), (op, x, y, args) => {
    const r = runCall(op, x, y, args);
    if (stats) {
      const key = r.result.startsWith('UNTYPED') ? 'UNTYPED' : r.result === 'ok' ? 'ok' : 'NormkitError';
      stats.set(key, (stats.get(key) ?? 0) + 1);
      stats.set(`error ${r.result}`, (stats.get(`error ${r.result}`) ?? 0) + (r.result === 'ok' ? 0 : 1));
    }
    if (r.result.startsWith('UNTYPED')) throw new Error(`${op}(${describe(args)}) on x ${fmt(x)}, y ${fmt(y)}: ${r.result}`);
    if (r.ms > CALL_MS_LIMIT) throw new Error(`${op}(${describe(args)}) took ${r.ms.toFixed(0)} ms`);
  });
}

function fmt(t: Tensor): string {
  return `[${t.shape.join(', ')}]${t.requiresGrad ? ' (grad)' : ''}`;
}

export function describe(args: Args): string {
  return args
    .map((a) => (a instanceof Tensor ? `Tensor${fmt(a)}` : typeof a === 'bigint' ? `${a}n` : typeof a === 'function' ? 'fn' : JSON.stringify(a) ?? String(a)))
    .join(', ');
}

/**
 * Tensors of at most this many elements during a run: a hostile size that
 * passes MAX_NUMEL (arange(2^31 + 1, 0, -2) is a billion elements) must be
 * refused too, or one call takes gigabytes and seconds.
 */
export const FUZZ_MAX_NUMEL = 1 << 20;

/** Silences normkit warnings and lowers the size bound during a run (fallback and statistics warnings are expected here). */
export function quietly<T>(fn: () => T): T {
  const stop = onWarning(() => {});
  const prev = setMaxNumel(FUZZ_MAX_NUMEL);
  try {
    return fn();
  } finally {
    setMaxNumel(prev);
    stop();
  }
}
