/**
 * The padding gradient in float32 SIMD (kernels/pad_grad_wasm.ts,
 * asm/pad_grad.ts) against scatterPadGrad's TypeScript rows, bit for bit:
 * reflect, replicate and constant padding (crops included) of image planes,
 * rows shorter and longer than a vector, several chunks of planes, values of
 * many magnitudes and signed zeros (seeded).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { scatterPadGrad } from '../../src/kernels/pad.js';
import { setGemmBackend, wasmGemm } from '../../src/kernels/gemm.js';

function map(size: number, before: number, after: number, mode: string): Int32Array {
  return Int32Array.from({ length: size + before + after }, (_, i) => {
    const v = i - before;
    if (v >= 0 && v < size) return v;
    if (mode === 'constant') return -1;
    if (mode === 'replicate') return v < 0 ? 0 : size - 1;
    return v < 0 ? -v : 2 * (size - 1) - v;
  });
}

test('padding gradient: the wasm kernel equals the TypeScript rows bit for bit', () => {
  assert.ok(wasmGemm);
  let s = 99;
  const rnd = (): number => ((s = (s * 1103515245 + 12345) % 2147483648) / 2147483648) * 2 - 1;
  const cases: [number[], number[], string][] = [
    [[8, 32, 16, 16], [1, 1, 1, 1], 'reflect'],
    [[2, 3, 7, 5], [2, 1, 3, 2], 'reflect'],
    [[3, 4, 6, 9], [3, 3, 2, 0], 'replicate'],
    [[2, 2, 5, 40], [4, 7, 1, 2], 'replicate'],
    [[4, 3, 8, 8], [2, -1, -2, 3], 'constant'],
    [[600, 20, 21], [1, 1, 1, 1], 'reflect'],
    [[5, 1, 3], [0, 2, 2, 0], 'constant'],
  ];
  for (const [shape, pads, mode] of cases) {
    const [l, r, t, bt] = pads as [number, number, number, number];
    const rank = shape.length;
    const maps = shape.map((size, d) => (d === rank - 1 ? map(size, l, r, mode) : d === rank - 2 ? map(size, t, bt, mode) : map(size, 0, 0, mode)));
    const outShape = maps.map((m) => m.length);
    const g = Float32Array.from({ length: outShape.reduce((p, q) => p * q, 1) }, (_, i) => (i % 17 === 0 ? -0 : rnd() * 10 ** Math.floor(rnd() * 5)));
    const wasm = scatterPadGrad(g, outShape, maps, shape);
    setGemmBackend('scalar');
    const js = scatterPadGrad(g, outShape, maps, shape);
    setGemmBackend('wasm-simd');
    assert.equal(wasm.length, js.length);
    for (let i = 0; i < js.length; i++) assert.ok(Object.is(wasm[i], js[i]), `${mode} ${shape} [${l}, ${r}, ${t}, ${bt}] element ${i}: ${wasm[i]} != ${js[i]}`);
  }
});
