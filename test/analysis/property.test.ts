/**
 * Property: for random Sequential models built from the supported layers and
 * random input sizes, three executions agree — the module tree's own forward,
 * the interpretation of its graph (same values, bit for bit), and shape-only
 * analysis (same verdict): it runs (with the same output shape), or each
 * throws the same error type and message from the same module path. Every
 * map the analyzer calls spatially constant really has constant planes (no
 * false alarms). General-form models (branch sums, concats of two paths) are
 * checked against their real execution the same way.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { analyze } from '../../src/analysis/analyze.js';
import { NormkitError } from '../../src/errors.js';
import { noGrad } from '../../src/autograd/grad_mode.js';
import type { Module } from '../../src/nn/module.js';
import { onWarning } from '../../src/nn/warnings.js';
import { lowerModule } from '../../src/graph/lower.js';
import { interpret } from '../../src/graph/interpret.js';
import { fromSpec } from '../../src/spec/spec.js';
import { randn } from '../../src/tensor/creation.js';
import { manualSeed } from '../../src/tensor/random.js';
import type { Tensor } from '../../src/tensor/tensor.js';
import '../../src/tensor/methods.js';

type Node = { module: string; args?: Record<string, unknown> };
type LayerGen = (c: number) => fc.Arbitrary<[Node, number]>;

const int = (min: number, max: number) => fc.integer({ min, max });
const same = (node: Node, c: number): [Node, number] => [node, c];

/** Each generator takes the incoming channel count and gives a layer and its output channel count. */
const layers: LayerGen[] = [
  (c) =>
    fc.record({ out: int(1, 4), k: int(1, 4), s: int(1, 3), p: int(0, 2), d: int(1, 2), off: fc.constantFrom(0, 0, 0, 0, 0, 0, 0, 0, 0, 1) }).map(({ out, k, s, p, d, off }) => [
      { module: 'Conv2d', args: { in_channels: c + off, out_channels: out, kernel_size: k, stride: s, padding: p, dilation: d } },
      out,
    ]),
  (c) =>
    fc.record({ out: int(1, 4), k: int(1, 3), s: int(1, 2), p: int(0, 1), op: int(0, 1) }).map(({ out, k, s, p, op }) => [
      { module: 'ConvTranspose2d', args: { in_channels: c, out_channels: out, kernel_size: k, stride: s, padding: p, output_padding: Math.min(op, s - 1) } },
      out,
    ]),
  (c) => fc.record({ k: int(1, 3), s: int(1, 3), p: int(0, 1) }).map(({ k, s, p }) => same({ module: 'MaxPool2d', args: { kernel_size: k, stride: s, padding: Math.min(p, Math.floor(k / 2)) } }, c)),
  (c) =>
    fc.record({ k: int(1, 3), s: int(1, 3), p: int(0, 1), cip: fc.boolean() }).map(({ k, s, p, cip }) =>
      same({ module: 'AvgPool2d', args: { kernel_size: k, stride: s, padding: Math.min(p, Math.floor(k / 2)), count_include_pad: cip } }, c),
    ),
  (c) => int(1, 3).map((o) => same({ module: 'AdaptiveAvgPool2d', args: { output_size: o } }, c)),
  (c) => fc.boolean().map((t) => same({ module: 'InstanceNorm2d', args: { num_features: c, track_running_stats: t } }, c)),
  (c) => fc.boolean().map((t) => same({ module: 'BatchNorm2d', args: { num_features: c, track_running_stats: t } }, c)),
  (c) => fc.constantFrom(...[1, 2, 3, 4].filter((g) => c % g === 0)).map((g) => same({ module: 'GroupNorm', args: { num_groups: g, num_channels: c } }, c)),
  (c) => fc.constant(same({ module: 'FlexibleInstanceNorm', args: { num_features: c } }, c)),
  (c) => fc.constantFrom('ReLU', 'Tanh', 'Identity').map((m) => same({ module: m }, c)),
  (c) => fc.constant(same({ module: 'LeakyReLU', args: { negative_slope: 0.2 } }, c)),
  (c) => fc.constant(same({ module: 'Dropout', args: { p: 0.5 } }, c)),
  (c) => fc.record({ m: fc.constantFrom('ReflectionPad2d', 'ReplicationPad2d', 'ZeroPad2d'), p: int(1, 2) }).map(({ m, p }) => same({ module: m, args: { padding: p } }, c)),
  (c) =>
    fc.record({ s: int(1, 3), m: fc.constantFrom('nearest', 'bilinear') }).map(({ s, m }) => same({ module: 'Upsample', args: { scale_factor: s, mode: m } }, c)),
];

/** The same for 1-d models ([N, C, L] inputs). */
const layers1d: LayerGen[] = [
  (c) =>
    fc.record({ out: int(1, 4), k: int(1, 4), s: int(1, 3), p: int(0, 2), d: int(1, 2) }).map(({ out, k, s, p, d }) => [
      { module: 'Conv1d', args: { in_channels: c, out_channels: out, kernel_size: k, stride: s, padding: p, dilation: d } },
      out,
    ]),
  (c) => fc.boolean().map((t) => same({ module: 'InstanceNorm1d', args: { num_features: c, track_running_stats: t } }, c)),
  (c) => fc.boolean().map((t) => same({ module: 'BatchNorm1d', args: { num_features: c, track_running_stats: t } }, c)),
  (c) => fc.constantFrom(...[1, 2, 3, 4].filter((g) => c % g === 0)).map((g) => same({ module: 'GroupNorm', args: { num_groups: g, num_channels: c } }, c)),
  (c) => fc.record({ m: fc.constantFrom('ReflectionPad1d', 'ReplicationPad1d'), p: int(1, 2) }).map(({ m, p }) => same({ module: m, args: { padding: p } }, c)),
  (c) => int(1, 2).map((p) => same({ module: 'ConstantPad1d', args: { padding: p, value: 0.5 } }, c)),
  (c) => fc.record({ s: int(1, 3), m: fc.constantFrom('nearest', 'linear') }).map(({ s, m }) => same({ module: 'Upsample', args: { scale_factor: s, mode: m } }, c)),
  (c) => fc.constantFrom('ReLU', 'Tanh').map((m) => same({ module: m }, c)),
];

/** A Sequential spec of 1..6 layers with channels threaded through. */
const chainArb = (pool: LayerGen[], c0: number, max = 6): fc.Arbitrary<[Node[], number]> =>
  fc.array(fc.integer({ min: 0, max: pool.length - 1 }), { minLength: 1, maxLength: max }).chain((kinds) => {
    const step = (i: number, c: number): fc.Arbitrary<[Node[], number]> =>
      i === kinds.length ? fc.constant([[], c]) : pool[kinds[i]!]!(c).chain(([node, out]) => step(i + 1, out).map(([rest, last]) => [[node, ...rest], last]));
    return step(0, c0);
  });

/** Containers around short chains: a residual block (x + body(x)) and a skip concat along channels. */
const containers: LayerGen[] = [
  (c) => chainArb(layers, c, 2).map(([body]) => same({ module: 'Residual', body: { module: 'Sequential', layers: body } } as unknown as Node, c)),
  (c) => chainArb(layers, c, 3).map(([branch, out]) => [{ module: 'Concat', dim: 1, branches: [{ module: 'Identity' }, { module: 'Sequential', layers: branch }] } as unknown as Node, c + out]),
];

const modes = fc.constantFrom('train' as const, 'eval' as const);
const caseArb = fc.record({ c: int(1, 4), n: int(0, 3), h: int(1, 9), w: int(1, 9), mode: modes, seed: int(0, 1 << 20) }).chain((x) =>
  chainArb([...layers, ...containers], x.c).map(([layers]) => ({ ...x, shape: x.n === 0 ? [x.c, x.h, x.w] : [x.n, x.c, x.h, x.w], layers })),
);
const case1dArb = fc.record({ c: int(1, 4), n: int(1, 3), l: int(1, 9), mode: modes, seed: int(0, 1 << 20) }).chain((x) =>
  chainArb(layers1d, x.c).map(([layers]) => ({ ...x, shape: [x.n, x.c, x.l], layers })),
);

interface Real {
  output?: readonly number[];
  values?: Float32Array;
  error?: { type: string; message: string; path: string };
  /** Real outputs by module path, to check the analyzer's "constant planes" claims. */
  outputs: Map<string, Tensor>;
}

function runReal(model: Module, shape: number[], mode: 'train' | 'eval', seed: number): Real {
  manualSeed(seed);
  const outputs = new Map<string, Tensor>();
  const names = new Map([...model.namedModules()].map(([p, m]) => [m, p]));
  const stops = [...names.keys()].map((m) => m.registerForwardHook((mod, _i, out) => outputs.set(names.get(mod)!, out)));
  const quiet = onWarning(() => {});
  model.train(mode === 'train');
  try {
    const y = noGrad(() => model.call(randn(shape)));
    return { output: y.shape, values: y.data, outputs };
  } catch (e) {
    if (!(e instanceof NormkitError)) throw e;
    return { error: { type: e.type, message: e.message, path: e.modulePath ?? '' }, outputs };
  } finally {
    stops.forEach((s) => s());
    quiet();
  }
}

function planesConstant(t: Tensor): boolean {
  const d = t.data;
  const S = t.shape.slice(2).reduce((a, b) => a * b, 1);
  let scale = 0;
  for (const v of d) scale = Math.max(scale, Math.abs(v));
  for (let p = 0; p < d.length; p += S) {
    for (let i = 1; i < S; i++) if (Math.abs(d[p + i]! - d[p]!) > 1e-5 * scale + 1e-6) return false;
  }
  return true;
}

/** The graph of `model` interpreted on the same random input: its output values, or its error. */
function runGraphOf(model: Module, shape: number[], mode: 'train' | 'eval', seed: number): { values?: Float32Array; error?: { type: string; message: string; path: string } } {
  manualSeed(seed);
  const quiet = onWarning(() => {});
  try {
    const r = noGrad(() => interpret(lowerModule(model), [randn(shape)], { training: mode === 'train' }));
    if (r.error) return { error: { type: r.error.type, message: r.error.message, path: r.error.modulePath ?? '' } };
    return { values: r.outputs![0]!.data };
  } finally {
    quiet();
  }
}

const counts = { built: 0, tried: 0 };

/** Module execution, graph interpretation and analysis agree on one model and input. */
function agree({ shape, mode, seed, layers: specLayers }: { shape: number[]; mode: 'train' | 'eval'; seed: number; layers: Node[] }): void {
  const spec = { module: 'Sequential', layers: specLayers };
  let model: Module;
  counts.tried++;
  try {
    model = fromSpec(spec);
  } catch {
    return; // an impossible layer configuration (e.g. padding > kernel / 2): construction rejects it before any shape exists
  }
  counts.built++;
  const a = analyze(model, shape, { mode });
  // Dropout draws from the generator: both executions start from the same seed.
  const real = runReal(model, shape, mode, seed);
  const graph = runGraphOf(model, shape, mode, seed);
  const ctx = `${JSON.stringify(spec)} on [${shape}] (${mode})`;
  if (real.error) assert.deepEqual(graph.error, real.error, `graph interpretation vs module execution\n${ctx}`);
  else assert.deepEqual(graph.values, real.values, `graph interpretation vs module execution\n${ctx}`);
  if (real.error) {
    assert.ok(a.failure, `analysis says it runs, real execution raised ${real.error.type}: ${real.error.message}\n${ctx}`);
    assert.deepEqual({ type: a.failure.error.type, message: a.failure.error.message, path: a.failure.path }, real.error, ctx);
  } else {
    assert.equal(a.failure, null, `analysis says ${a.failure?.error.message} at ${a.failure?.path}, real execution runs\n${ctx}`);
    assert.deepEqual(a.outputShape, [...real.output!], ctx);
  }
  for (const r of a.modules) {
    const t = real.outputs.get(r.path);
    if (r.spatiallyConstant && t !== undefined && t.ndim >= 3) assert.ok(planesConstant(t), `'${r.path}' (${r.type}) said constant but is not\n${ctx}`);
  }
}

test('module execution, graph interpretation and analysis agree on random 2-d models (with residual and concat blocks)', () => {
  const before = { ...counts };
  fc.assert(fc.property(caseArb, agree), { numRuns: 250, seed: 20240611 });
  // A property that returns early on a build error checks nothing: most drawn models must really be built.
  assert.ok(counts.built - before.built >= 0.8 * (counts.tried - before.tried), `only ${counts.built - before.built} of ${counts.tried - before.tried} models were built`);
});

test('module execution, graph interpretation and analysis agree on random 1-d models', () => {
  const before = { ...counts };
  fc.assert(fc.property(case1dArb, agree), { numRuns: 150, seed: 7 });
  assert.ok(counts.built - before.built >= 0.8 * (counts.tried - before.tried), `only ${counts.built - before.built} of ${counts.tried - before.tried} models were built`);
});

/** A general-form model: two chains from the input, combined by add or cat, then a third chain. */
const generalArb = fc
  .record({ c: int(1, 4), n: int(1, 3), h: int(1, 9), w: int(1, 9), mode: modes, seed: int(0, 1 << 20), combine: fc.constantFrom('add', 'cat') })
  .chain((x) =>
    fc.tuple(chainArb(layers, x.c, 3), chainArb(layers, x.c, 3)).chain(([[a, ca], [b, cb]]) =>
      chainArb(layers, x.combine === 'cat' ? ca + cb : ca, 2).map(([tail]) => ({ ...x, a, b, tail, shape: [x.n, x.c, x.h, x.w] })),
    ),
  );

test('analysis of general-form models (two paths added or concatenated) equals their real execution', () => {
  let built = 0;
  let tried = 0;
  fc.assert(
    fc.property(generalArb, ({ shape, mode, seed, a, b, tail, combine }) => {
      const spec = {
        inputs: { x: shape },
        nodes: [
          { name: 'left', module: 'Sequential', layers: a, inputs: ['x'] },
          { name: 'right', module: 'Sequential', layers: b, inputs: ['x'] },
          { name: 'join', op: combine, ...(combine === 'cat' ? { args: { dim: 1 } } : {}), inputs: ['left', 'right'] },
          { name: 'tail', module: 'Sequential', layers: tail, inputs: ['join'] },
        ],
        outputs: ['tail'],
      };
      tried++;
      let model: Module;
      try {
        model = fromSpec(spec);
      } catch {
        return;
      }
      built++;
      const an = analyze(model, { x: shape }, { mode });
      const real = runReal(model, shape, mode, seed);
      const ctx = `${JSON.stringify(spec)} (${mode})`;
      if (real.error) {
        assert.ok(an.failure, `analysis says it runs, real execution raised ${real.error.type}: ${real.error.message}\n${ctx}`);
        assert.deepEqual({ type: an.failure.error.type, message: an.failure.error.message, path: an.failure.path }, real.error, ctx);
      } else {
        assert.equal(an.failure, null, `analysis says ${an.failure?.error.message} at ${an.failure?.path}, real execution runs\n${ctx}`);
        assert.deepEqual(an.outputShape, [...real.output!], ctx);
      }
    }),
    { numRuns: 150, seed: 99 },
  );
  assert.ok(built >= 0.8 * tried, `only ${built} of ${tried} models were built`);
});
