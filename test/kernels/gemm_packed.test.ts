/**
 * The gemm on A packed once (asm/gemm.ts packAll + gemmPacked) gives the
 * bits of the gemm that packs A block by block, on every size around its
 * blocks (MR 4, MC 120, KC 256, NR 8); and a convolution's weights kept
 * packed in wasm memory (kernels/gemm_weights.ts) follow in-place changes,
 * groups, and a resident budget that drops them.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { wasmGemm } from '../../src/kernels/gemm.js';
import { randn } from '../../src/tensor/creation.js';
import { manualSeed } from '../../src/tensor/random.js';

test('gemmPacked: the same bits as gemm for sizes around the blocks, overwriting and accumulating', () => {
  const w = wasmGemm!;
  assert.ok(w);
  fc.assert(
    fc.property(
      fc.integer({ min: 1, max: 250 }),
      fc.integer({ min: 1, max: 40 }),
      fc.integer({ min: 1, max: 600 }),
      fc.boolean(),
      fc.integer(),
      (M, N, K, acc, seed) => {
        w.reset();
        const a = w.alloc(M * K), b = w.alloc(K * N), c1 = w.alloc(M * N), c2 = w.alloc(M * N), ap = w.alloc(w.packedFloats(M, K));
        const F = w.f32();
        let s = seed >>> 0;
        const next = () => ((s = (s * 1103515245 + 12345) >>> 0) / 2 ** 32) * 2 - 1;
        for (let i = 0; i < M * K; i++) F[a + i] = next();
        for (let i = 0; i < K * N; i++) F[b + i] = next();
        for (let i = 0; i < M * N; i++) F[c1 + i] = F[c2 + i] = next();
        w.gemm(M, N, K, a, K, false, b, N, false, c1, N, acc);
        w.packAll(a, K, false, M, K, ap);
        w.gemmPacked(M, N, K, ap, b, N, false, c2, N, acc);
        const G = w.f32();
        for (let i = 0; i < M * N; i++) if (!Object.is(G[c1 + i], G[c2 + i])) return false;
        return true;
      },
    ),
    { seed: 11, numRuns: 60 },
  );
});

test('a convolution\'s weights kept packed in wasm memory: the bits of packing per call, across layers, groups, in-place changes and a budget that drops them', async () => {
  const { convForwardAll } = await import('../../src/kernels/conv_threads.js');
  const { allocStorage } = await import('../../src/tensor/storage.js');
  const { setResidentBudget } = await import('../../src/kernels/gemm_wasm.js');
  const { setNumThreads } = await import('../../src/kernels/backend.js');
  // a 5x5 map runs the wasm path (im2col + gemm); 64 x 512 x 3 x 3 weights are past the size kept packed
  const geom = { H: 5, W: 5, kh: 3, kw: 3, sh: 1, sw: 1, ph: 1, pw: 1, dh: 1, dw: 1, outH: 5, outW: 5 };
  const dims = [
    { N: 2, C: 64, Cout: 512, G: 1, g: geom },
    { N: 1, C: 128, Cout: 516, G: 2, g: geom },
  ];
  manualSeed(31);
  const xs = dims.map((d) => randn([d.N * d.C * 25]).data);
  const ws = dims.map((d) => randn([d.Cout * (d.C / d.G) * 9]).data);
  const bias = dims.map((d) => randn([d.Cout]).data);
  setNumThreads(1);
  try {
    for (const budget of [1 << 24, 400000]) {
      setResidentBudget(budget);
      for (let call = 0; call < 8; call++) {
        const i = call % 2;
        const w = ws[i]!;
        if (call === 4 || call === 5) w[call * 7] = w[call * 7]! * -3; // an optimizer step in place: packed again
        const got = convForwardAll(dims[i]!, xs[i]!, w, bias[i]!, allocStorage, call === 6 ? 'relu' : null, 'wasm');
        const ref = convForwardAll(dims[i]!, xs[i]!, w, bias[i]!, allocStorage, call === 6 ? 'relu' : null, 'wasm', true); // an array for this call: packed by the gemm
        assert.ok(got.every((v, j) => Object.is(v, ref[j])), `budget ${budget}, call ${call}`);
      }
    }
  } finally {
    setResidentBudget(1 << 24);
  }
});
