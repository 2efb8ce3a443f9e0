/**
 * Every fused norm kernel against its composed definition (mean, var, sub,
 * mul, rsqrt — the tinygrad way), forward and gradients, on random shapes.
 */
import { test } from 'node:test';
import fc from 'fast-check';
import { assertClose } from '../helpers.js';
import { Tensor } from '../../src/tensor/tensor.js';
import { randn } from '../../src/tensor/creation.js';
import { manualSeed } from '../../src/tensor/random.js';
import { add, mul, rsqrt, sub } from '../../src/ops/elementwise.js';
import { mean, variance } from '../../src/ops/reduce.js';
import { reshape } from '../../src/ops/shape_ops.js';
import { batchNorm, groupNorm, instanceNorm, layerNorm } from '../../src/ops/norm/index.js';

const EPS = 1e-5;

/** (x - mean) * rsqrt(var + eps), statistics over `dims` of x viewed as `view`. */
function composedNormalize(x: Tensor, view: number[], dims: number[]): Tensor {
  const v = reshape(x, view);
  const mu = mean(v, dims, { keepdim: true });
  const va = variance(v, dims, { keepdim: true, unbiased: false });
  return reshape(mul(sub(v, mu), rsqrt(add(va, EPS))), x.shape);
}

function channelAffine(y: Tensor, w: Tensor, b: Tensor): Tensor {
  const shape = [1, w.shape[0]!, ...new Array<number>(y.ndim - 2).fill(1)];
  return add(mul(y, reshape(w, shape)), reshape(b, shape));
}

function compare(fused: (x: Tensor, w: Tensor, b: Tensor) => Tensor, composed: (x: Tensor, w: Tensor, b: Tensor) => Tensor, x: Tensor, w: Tensor, b: Tensor): void {
  const run = (f: typeof fused) => {
    const xs = new Tensor(Float32Array.from(x.data), x.shape).requiresGrad_();
    const ws = new Tensor(Float32Array.from(w.data), w.shape).requiresGrad_();
    const bs = new Tensor(Float32Array.from(b.data), b.shape).requiresGrad_();
    const out = f(xs, ws, bs);
    out.backward(new Tensor(Float32Array.from({ length: out.numel() }, (_, i) => Math.cos(i)), out.shape));
    return { out, gx: xs.grad!, gw: ws.grad!, gb: bs.grad! };
  };
  const a = run(fused);
  const e = run(composed);
  assertClose(a.out, e.out.data, 1e-4, 1e-4, 'output');
  assertClose(a.gx, e.gx.data, 1e-3, 1e-3, 'grad input');
  assertClose(a.gw, e.gw.data, 1e-3, 1e-3, 'grad weight');
  assertClose(a.gb, e.gb.data, 1e-3, 1e-3, 'grad bias');
}

const dims = fc.record({ n: fc.integer({ min: 1, max: 3 }), c: fc.integer({ min: 1, max: 4 }), h: fc.integer({ min: 1, max: 4 }), w: fc.integer({ min: 2, max: 5 }) });

test('instance norm = composed per-(n, c) normalization', () => {
  fc.assert(
    fc.property(dims, fc.integer(), ({ n, c, h, w }, seed) => {
      manualSeed(seed);
      const x = randn([n, c, h, w]);
      compare(
        (x, wt, b) => instanceNorm(x, { weight: wt, bias: b }),
        (x, wt, b) => channelAffine(composedNormalize(x, [n, c, h * w], [2]), wt, b),
        x, randn([c]), randn([c]),
      );
    }),
    { numRuns: 25, seed: 1 },
  );
});

test('batch norm (training) = composed per-channel normalization over (n, h, w)', () => {
  fc.assert(
    fc.property(dims, fc.integer(), ({ n, c, h, w }, seed) => {
      manualSeed(seed);
      const x = randn([n, c, h, w]);
      const perm = (t: Tensor) => t.permute(1, 0, 2, 3);
      compare(
        (x, wt, b) => batchNorm(x, null, null, { weight: wt, bias: b, training: true }),
        (x, wt, b) => channelAffine(perm(composedNormalize(perm(x), [c, n * h * w], [1])), wt, b),
        x, randn([c]), randn([c]),
      );
    }),
    { numRuns: 25, seed: 2 },
  );
});

test('group norm = composed per-(n, group) normalization', () => {
  fc.assert(
    fc.property(dims, fc.integer({ min: 1, max: 3 }), fc.integer(), ({ n, h, w }, g, seed) => {
      manualSeed(seed);
      const c = g * 2;
      const x = randn([n, c, h, w]);
      compare(
        (x, wt, b) => groupNorm(x, g, { weight: wt, bias: b }),
        (x, wt, b) => channelAffine(composedNormalize(x, [n, g, (c / g) * h * w], [2]), wt, b),
        x, randn([c]), randn([c]),
      );
    }),
    { numRuns: 25, seed: 3 },
  );
});

test('layer norm = composed normalization over the trailing dims', () => {
  fc.assert(
    fc.property(dims, fc.integer(), ({ n, c, h, w }, seed) => {
      manualSeed(seed);
      const x = randn([n, c, h, w]);
      compare(
        (x, wt, b) => layerNorm(x, [h, w], { weight: wt, bias: b }),
        (x, wt, b) => add(mul(composedNormalize(x, [n * c, h * w], [1]), wt), b),
        x, randn([h, w]), randn([h, w]),
      );
    }),
    { numRuns: 25, seed: 4 },
  );
});

test('statistics stay exact for a large common offset (1e4 + unit noise)', () => {
  manualSeed(7);
  const noise = randn([2, 3, 8, 8]);
  const x = add(noise, 1e4);
  const y = instanceNorm(x);
  const ref = instanceNorm(noise);
  // float32 cannot hold 1e4 + noise better than ~1e-3, so compare against the rounded input's own normalization.
  assertClose(y, composedNormalize(new Tensor(Float32Array.from(x.data, (v) => v - 1e4), x.shape), [2, 3, 64], [2]).data, 2e-3, 2e-3);
  assertClose(y, ref.data, 5e-3, 5e-3);
  const yb = batchNorm(x, null, null, { training: true });
  assertClose(yb, batchNorm(noise, null, null, { training: true }).data, 5e-3, 5e-3);
});
