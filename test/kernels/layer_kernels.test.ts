/**
 * The layer kernels of an image model's forward: the one-pass nearest kernel
 * of images and the same-shape add (wasm and JavaScript) against the paths
 * they replace (resampleAxis axis by axis; mapBinary), bit for bit; and
 * ReLU, tanh, add, padding and nearest upsampling split over the worker pool
 * (layer_threads.ts) against one thread, bit for bit.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { nearest2d, resampleAxis, type AxisTable } from '../../src/kernels/interpolate.js';
import { addInto, addSame, mapBinary } from '../../src/kernels/elementwise.js';
import { setGemmBackend, wasmGemm } from '../../src/kernels/gemm.js';
import * as be from '../../src/kernels/backend.js';
import { layerThreadCalls, resetLayerThreadSpeeds, setLayerThreadMin } from '../../src/kernels/layer_threads.js';
import { pad } from '../../src/ops/pad.js';
import { relu, tanh } from '../../src/ops/activation.js';
import { interpolate } from '../../src/ops/interpolate.js';
import { add } from '../../src/ops/elementwise.js';
import { randn } from '../../src/tensor/creation.js';
import { noGrad } from '../../src/tensor/grad_mode.js';
import { manualSeed } from '../../src/tensor/random.js';
import { Tensor } from '../../src/tensor/tensor.js';
import '../../src/ops/methods.js';

const table = (i0: Int32Array): AxisTable => ({ i0, i1: i0, w0: new Float32Array(i0.length).fill(1), w1: new Float32Array(i0.length) });
const bits = (a: Float32Array): Uint32Array => new Uint32Array(a.buffer, a.byteOffset, a.length);

/** Values with NaN, -0 and infinities among them, so copies are seen to keep bits. */
function values(n: number, seed: number): Float32Array {
  manualSeed(seed);
  const v = randn([n]).data.slice();
  for (let i = 0; i < n; i += 17) v[i] = [NaN, -0, Infinity, -Infinity, 0][(i / 17) % 5]!;
  return v;
}

test('nearest2d equals resampleAxis along H then W, bit for bit (x2, x3, x1, non-integer, downsampling, nearest-exact tables)', () => {
  const cases: [number, number, number, number, number][] = [
    // planes, inH, inW, outH, outW
    [3, 5, 7, 10, 14],
    [2, 4, 4, 12, 12],
    [2, 6, 5, 6, 5],
    [1, 5, 6, 8, 9],
    [2, 9, 8, 4, 3],
    [1, 1, 1, 3, 2],
  ];
  for (const [P, H, W, OH, OW] of cases) {
    const x = values(P * H * W, OH * 31 + OW);
    for (const exact of [false, true]) {
      const idx = (inLen: number, outLen: number) => Int32Array.from({ length: outLen }, (_, j) => Math.min(Math.floor(exact ? ((j + 0.5) * inLen) / outLen : (j * inLen) / outLen), inLen - 1));
      const rows = idx(H, OH);
      const cols = idx(W, OW);
      const ref = resampleAxis(resampleAxis(x, P, H, W, table(rows)), P * OH, W, 1, table(cols));
      assert.deepEqual(bits(nearest2d(x, P, H, W, rows, cols)), bits(ref), `${P}x${H}x${W} -> ${OH}x${OW} exact=${exact}`);
    }
  }
});

test('interpolate nearest on images takes nearest2d and keeps its gradient', () => {
  manualSeed(3);
  const x = randn([2, 3, 5, 6]).requiresGrad_();
  const y = interpolate(x, { scaleFactor: 2, mode: 'nearest' });
  assert.deepEqual(y.shape, [2, 3, 10, 12]);
  for (let p = 0; p < 6; p++) {
    for (let i = 0; i < 10; i++) for (let j = 0; j < 12; j++) assert.ok(Object.is(y.data[p * 120 + i * 12 + j], x.data[p * 30 + (i >> 1) * 6 + (j >> 1)]));
  }
  y.sum().backward();
  assert.ok(x.grad!.data.every((g) => g === 4));
});

test('addSame equals mapBinary\'s same-shape addition bit for bit, and add uses it only without broadcasting', () => {
  const a = values(5000, 1);
  const b = values(5000, 2);
  assert.deepEqual(bits(addSame(a, b)), bits(mapBinary(a, [5000], b, [5000], [5000], (u, v) => u + v)));
  const ta = new Tensor(a.slice(0, 12), [3, 4]);
  const tb = new Tensor(b.slice(0, 4), [4]);
  const want = Float32Array.from({ length: 12 }, (_, i) => a[i]! + b[i % 4]!);
  assert.deepEqual(bits(noGrad(() => add(ta, tb)).data), bits(want));
  assert.deepEqual(bits(noGrad(() => add(ta, new Tensor(b.slice(0, 12), [3, 4]))).data), bits(Float32Array.from({ length: 12 }, (_, i) => a[i]! + b[i]!)));
});

test('addInto: wasm and js loops give the same sums across the chunk edges (NaN, -0, infinities)', () => {
  assert.ok(wasmGemm);
  const n = (1 << 16) + 37;
  const a = values(n, 5);
  const b = values(n, 6);
  const w = addInto(a, b, new Float32Array(n));
  setGemmBackend('scalar');
  const j = addInto(a, b, new Float32Array(n));
  setGemmBackend('wasm-simd');
  assert.deepEqual(bits(w), bits(j));
});

test('relu, tanh, add, reflection padding and nearest upsampling split over the pool equal one thread, bit for bit', async () => {
  const shared = (v: Float32Array, shape: number[]): Tensor => {
    const s = new Float32Array(new SharedArrayBuffer(v.length * 4));
    s.set(v);
    return new Tensor(s, shape);
  };
  const shape = [2, 5, 19, 23];
  const n = shape.reduce((p, q) => p * q, 1);
  const x = shared(values(n, 7), shape);
  const y = shared(values(n, 8), shape);
  const ops: [string, () => Tensor][] = [
    ['relu', () => relu(x)],
    ['tanh', () => tanh(x)],
    ['add', () => add(x, y)],
    ['pad reflect', () => pad(x, [1, 2, 3, 1], 'reflect')],
    ['pad constant', () => pad(x, [2, 1, 0, 2], 'constant', 0.5)],
    ['nearest', () => interpolate(x, { scaleFactor: 2, mode: 'nearest' })],
  ];
  be.setNumThreads(2);
  assert.ok(await be.warmNormThreads(), 'worker threads unavailable');
  try {
    for (const [name, f] of ops) {
      be.setNumThreads(1);
      const one = noGrad(f);
      be.setNumThreads(2);
      setLayerThreadMin(0, false);
      const before = layerThreadCalls();
      const many = noGrad(f);
      assert.ok(layerThreadCalls() > before, `${name} did not go through the pool`);
      assert.deepEqual(bits(many.data), bits(one.data), name);
      // With gradients on, the plain kernel (and the same values).
      assert.deepEqual(bits(f().data), bits(one.data), `${name} with gradients on`);
    }
  } finally {
    setLayerThreadMin(1 << 18);
    resetLayerThreadSpeeds();
    be.setNumThreads(1);
  }
});
