/**
 * The float32 tanh (kernels/tanh.ts, asm/gemm.ts tanhF): within 4e-7 relative
 * (6 float32 ulps, near +-1) of the exact value across float32's range, the special values as
 * PyTorch's, and the WebAssembly and TypeScript kernels bit-identical, for
 * the value and for the gradient (PyTorch's float32 g * (1 - y * y)).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { setGemmBackend, wasmGemm } from '../../src/kernels/gemm.js';
import { tanhBackward, tanhForward, tanhScalar } from '../../src/kernels/tanh.js';

const f = Math.fround;

/** float32 ulps between a and the float32 nearest the exact tanh(x). */
function ulps(a: number, x: number): number {
  const e = f(Math.tanh(x));
  const ia = new Int32Array(new Float32Array([a]).buffer)[0]!;
  const ie = new Int32Array(new Float32Array([e]).buffer)[0]!;
  return Math.abs(ia - ie);
}

function withGemm<T>(name: 'wasm-simd' | 'scalar', fn: () => T): T {
  setGemmBackend(name);
  try {
    return fn();
  } finally {
    setGemmBackend(wasmGemm ? 'wasm-simd' : 'scalar');
  }
}

/** Float32 values by bit pattern, every 97th of the positive ones and their negatives: all exponents, every mantissa region. */
function sweep(): Float32Array {
  const out: number[] = [];
  const bits = new Uint32Array(1);
  const v = new Float32Array(bits.buffer);
  for (let b = 0; b < 0x7f800000; b += 97 * 64) {
    bits[0] = b;
    out.push(v[0]!, -v[0]!);
  }
  return new Float32Array(out);
}

test('tanh within 4e-7 relative (6 float32 ulps) of the exact value over all of float32', () => {
  const x = sweep();
  const y = tanhForward(x);
  let worst = 0;
  let at = 0;
  let rel = 0;
  for (let i = 0; i < x.length; i++) {
    const u = ulps(y[i]!, x[i]!);
    if (u > worst) [worst, at] = [u, x[i]!];
    const t = Math.tanh(x[i]!);
    if (t !== 0) rel = Math.max(rel, Math.abs(y[i]! - t) / Math.abs(t));
  }
  assert.ok(worst <= 6, `${worst} ulps at ${at}`);
  assert.ok(rel <= 4e-7, `relative error ${rel}`);
  // and on a dense grid where tanh bends
  for (let i = -100000; i <= 100000; i++) {
    const xi = f(i * 1e-4);
    assert.ok(ulps(tanhScalar(xi), xi) <= 6, `at ${xi}`);
  }
});

test('tanh special values: NaN, +-Inf -> +-1, +-0 kept, saturation to exactly +-1, odd', () => {
  const x = new Float32Array([NaN, Infinity, -Infinity, 0, -0, 8, -8, 1e30, -1e30, 1e-30, -1e-30, 3e-4]);
  for (const backend of wasmGemm ? (['wasm-simd', 'scalar'] as const) : (['scalar'] as const)) {
    // 64+ values take the wasm kernel
    const big = new Float32Array(64 * 2);
    big.set(x);
    const y = withGemm(backend, () => tanhForward(big));
    assert.ok(Number.isNaN(y[0]!), backend);
    assert.deepEqual([...y.subarray(1, 11)], [1, -1, 0, -0, 1, -1, 1, -1, 1e-30, -1e-30].map(f), backend);
    assert.ok(Object.is(y[4], -0), `-0 kept (${backend})`);
    assert.equal(y[11], f(3e-4), backend);
  }
});

test('wasm and TypeScript kernels give the same bits, value and gradient, at every length (tails too)', { skip: wasmGemm ? false : 'the WebAssembly gemm did not load' }, () => {
  fc.assert(
    fc.property(
      fc.float32Array({ minLength: 0, maxLength: 300 }),
      fc.float32Array({ minLength: 300, maxLength: 300, noNaN: true }),
      fc.integer({ min: 0, max: 3 }),
      (x, g, shift) => {
        const xs = x.map((v) => f(v / 10 ** shift));
        const a = withGemm('wasm-simd', () => tanhForward(xs));
        const b = withGemm('scalar', () => tanhForward(xs));
        assert.deepEqual(new Uint32Array(a.buffer, a.byteOffset, a.length), new Uint32Array(b.buffer, b.byteOffset, b.length));
        const gs = g.subarray(0, xs.length);
        const ga = withGemm('wasm-simd', () => tanhBackward(a, gs));
        const gb = withGemm('scalar', () => tanhBackward(a, gs));
        assert.deepEqual(new Uint32Array(ga.buffer, ga.byteOffset, ga.length), new Uint32Array(gb.buffer, gb.byteOffset, gb.length));
        for (let i = 0; i < gs.length; i++) assert.equal(ga[i], f(gs[i]! * f(1 - f(a[i]! * a[i]!))));
      },
    ),
    { seed: 11, numRuns: 200 },
  );
});
