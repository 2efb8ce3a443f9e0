/**
 * Every convolution forward path (JavaScript im2col on either gemm backend,
 * WebAssembly im2col + gemm, Winograd F(2x2, 3x3)) forced in turn: the conv
 * oracle cases (single layers and whole networks) must pass on each, and each
 * path must match the reference (JS im2col, scalar gemm) on random layers
 * within the oracle's single-layer tolerance.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import '../../src/ops/methods.js';
import { assertClose } from '../helpers.js';
import { noGrad } from '../../src/tensor/grad_mode.js';
import { conv2d } from '../../src/ops/conv.js';
import { randn } from '../../src/tensor/creation.js';
import { manualSeed } from '../../src/tensor/random.js';
import { convPath, setConvPath, type ConvDims, type ConvPathName } from '../../src/kernels/conv_fwd.js';
import { setGemmBackend, wasmGemm, type GemmBackendName } from '../../src/kernels/gemm.js';
import { defaultCasesDirs, loadCaseFiles, runCase } from '../../src/oracle/runner.js';

interface PathSetting {
  name: string;
  conv: Exclude<ConvPathName, 'auto'>;
  gemm: GemmBackendName;
}

const SETTINGS: PathSetting[] = [
  { name: 'js im2col, scalar gemm', conv: 'js', gemm: 'scalar' },
  { name: 'js im2col, wasm gemm', conv: 'js', gemm: 'wasm-simd' },
  { name: 'wasm im2col + gemm', conv: 'wasm', gemm: 'wasm-simd' },
  { name: 'winograd', conv: 'winograd', gemm: 'wasm-simd' },
  { name: 'direct', conv: 'direct', gemm: 'wasm-simd' },
];

function withPath<T>(s: PathSetting, f: () => T): T {
  setGemmBackend(s.gemm);
  setConvPath(s.conv);
  try {
    return f();
  } finally {
    setConvPath('auto');
    setGemmBackend(wasmGemm ? 'wasm-simd' : 'scalar');
  }
}

test('the WebAssembly gemm loads here (else the wasm paths below would test the fallback)', () => {
  assert.ok(wasmGemm);
  assert.throws(() => setConvPath('gpu' as 'js'), /unknown convolution path/);
});

// Every recorded case with a convolution (layers and whole networks): the repository's copies and ../shared's.
const convCases = loadCaseFiles(defaultCasesDirs()).flatMap((f) => f.cases.filter((c) => /conv|network/i.test(c.id)));

test('the conv oracle cases are present', () => {
  assert.ok(convCases.length >= 10, `found ${convCases.length}`);
});

for (const s of SETTINGS) {
  test(`conv oracle cases pass on the ${s.name} path`, () => {
    const failures = withPath(s, () =>
      convCases.flatMap((c) => {
        const r = runCase(c);
        return r.status === 'pass' ? [] : [`${c.id}: ${r.status === 'fail' ? `${r.reason} (worst ${r.worst})` : r.reason}`];
      }),
    );
    assert.deepEqual(failures, []);
  });
}

const LAYERS: { x: number[]; cout: number; k: number; opts: { stride?: number; padding?: number; dilation?: number; groups?: number } }[] = [
  { x: [2, 16, 9, 11], cout: 24, k: 3, opts: { padding: 1 } },
  { x: [1, 20, 8, 7], cout: 17, k: 3, opts: {} },
  { x: [3, 5, 6, 6], cout: 4, k: 3, opts: { padding: 2 } },
  { x: [2, 32, 12, 12], cout: 32, k: 1, opts: {} },
  { x: [2, 8, 10, 10], cout: 8, k: 3, opts: { stride: 2, padding: 1, groups: 2 } },
  { x: [1, 6, 9, 9], cout: 5, k: 3, opts: { dilation: 2, padding: 2 } },
  { x: [1, 3, 20, 20], cout: 8, k: 9, opts: { padding: 4 } },
  { x: [2, 16, 13, 11], cout: 3, k: 7, opts: { padding: 3 } },
  { x: [1, 5, 6, 9], cout: 2, k: 3, opts: {} },
  // Unpadded, rows a multiple of 4 after the kernel: the direct path copies the image's rows straight into its planes.
  { x: [2, 8, 10, 10], cout: 5, k: 3, opts: {} },
  // Padding past the kernel: the input gradient as a convolution has negative padding (it crops).
  { x: [1, 16, 6, 7], cout: 16, k: 3, opts: { padding: 3 } },
  // Winograd's f32x4 transforms on rows of 6 tiles (one group of four, two alone), a partial last
  // tile row, and a group of four whose last tile is partial (30 columns).
  { x: [1, 16, 10, 22], cout: 8, k: 3, opts: { padding: 1 } },
  { x: [1, 16, 9, 32], cout: 12, k: 3, opts: {} },
];

for (const l of LAYERS) {
  test(`every path matches the reference on conv2d ${JSON.stringify(l)}`, () => {
    manualSeed(3);
    const x = randn(l.x);
    const w = randn([l.cout, l.x[1]! / (l.opts.groups ?? 1), l.k, l.k]).mul(0.2);
    const b = randn([l.cout]);
    const run = (s: PathSetting) => withPath(s, () => noGrad(() => conv2d(x, w, b, l.opts)));
    const ref = run(SETTINGS[0]!);
    for (const s of SETTINGS.slice(1)) assertClose(run(s), ref.data, 1e-5, 1e-4, s.name);
  });
}

test('the fused ReLU of every forward path equals relu(conv) bit for bit', async () => {
  const { convForwardAll } = await import('../../src/kernels/conv_threads.js');
  for (const l of [LAYERS[0]!, LAYERS[4]!, LAYERS[7]!, LAYERS[3]!]) {
    manualSeed(16);
    const x = randn(l.x);
    const w = randn([l.cout, l.x[1]! / (l.opts.groups ?? 1), l.k, l.k]).mul(0.2);
    const b = randn([l.cout]);
    for (const s of SETTINGS) {
      withPath(s, () => {
        const y = noGrad(() => conv2d(x, w, b, l.opts));
        const [N, C, H, W] = l.x as [number, number, number, number];
        const [, Cout, outH, outW] = y.shape as [number, number, number, number];
        const st = l.opts.stride ?? 1;
        const p = l.opts.padding ?? 0;
        const dl = l.opts.dilation ?? 1;
        const g = { H, W, kh: l.k, kw: l.k, sh: st, sw: st, ph: p, pw: p, dh: dl, dw: dl, outH, outW };
        const fused = convForwardAll({ N, C, Cout, G: l.opts.groups ?? 1, g }, x.data, w.data, b.data, (n) => new Float32Array(n), 'relu');
        assert.deepEqual(fused, y.data.map((v) => (v <= 0 ? 0 : v)), `${s.name} ${JSON.stringify(l)}`);
      });
    }
  }
});

test('auto: winograd where it applies and pays, the implicit gemm on rows of 8 or more, the gemm elsewhere', () => {
  const g = { H: 16, W: 16, kh: 3, kw: 3, sh: 1, sw: 1, ph: 1, pw: 1, dh: 1, dw: 1, outH: 16, outW: 16 };
  assert.equal(convPath({ N: 1, C: 64, Cout: 64, G: 1, g }), 'winograd');
  assert.equal(convPath({ N: 1, C: 3, Cout: 64, G: 1, g }), 'direct');
  assert.equal(convPath({ N: 1, C: 64, Cout: 64, G: 1, g: { ...g, sh: 2, sw: 2, outH: 8, outW: 8 } }), 'direct');
  assert.equal(convPath({ N: 1, C: 16, Cout: 3, G: 1, g: { ...g, kh: 7, kw: 7, ph: 3, pw: 3 } }), 'direct');
  assert.equal(convPath({ N: 1, C: 64, Cout: 64, G: 1, g: { ...g, H: 4, W: 4, outH: 4, outW: 4 } }), 'wasm');
  assert.equal(convPath({ N: 1, C: 64, Cout: 64, G: 1, g: { ...g, kh: 1, kw: 1, ph: 0, pw: 0 } }), 'wasm');
});

// ---- threads: every path on two threads gives the one-thread result, bit for bit ----

test('conv forward on two threads (images split, rows split, Winograd by output channels) equals one thread on every path', async () => {
  const be = await import('../../src/kernels/backend.js');
  const { setConvThreadMinFlops } = await import('../../src/kernels/conv_threads.js');
  be.setNumThreads(2);
  setConvThreadMinFlops(0, false);
  try {
    assert.ok(await be.warmNormThreads(), 'the worker pool starts');
    const runsBefore = be.normBackendInfo().threadedCalls;
    for (const s of SETTINGS) {
      for (const l of [LAYERS[0]!, { x: [1, 16, 9, 11], cout: 40, k: 3, opts: { padding: 1 } }, { x: [1, 16, 10, 7], cout: 8, k: 3, opts: {} }, { x: [2, 24, 6, 6], cout: 38, k: 3, opts: { padding: 1 } }, LAYERS[4]!, LAYERS[3]!]) {
        manualSeed(5);
        const x = randn(l.x);
        const w = randn([l.cout, l.x[1]! / (l.opts.groups ?? 1), l.k, l.k]).mul(0.2);
        const b = randn([l.cout]);
        // Forward, and both gradients (the backward kernels thread as well).
        const run = () =>
          withPath(s, () => {
            const [xs, ws, bs] = [x, w, b].map((t) => randn(t.shape).mul(0).add(t).requiresGrad_());
            const y = conv2d(xs!, ws!, bs!, l.opts);
            y.backward(y.detach().mul(0.5));
            return [y.data, xs!.grad!.data, ws!.grad!.data, bs!.grad!.data];
          });
        const two = run();
        be.setNumThreads(1);
        const one = run();
        be.setNumThreads(2);
        assert.ok(await be.warmNormThreads());
        ['output', 'grad input', 'grad weight', 'grad bias'].forEach((what, i) => assert.deepEqual(two[i], one[i], `${s.name} ${JSON.stringify(l)} ${what}`));
      }
      const failures = withPath(s, () =>
        convCases.flatMap((c) => {
          const r = runCase(c);
          return r.status === 'pass' ? [] : [`${c.id}: ${r.status === 'fail' ? r.reason : r.reason}`];
        }),
      );
      assert.deepEqual(failures, [], `oracle on ${s.name}, two threads`);
    }
    // Transposed convolution forward and backward (rows and channel pieces).
    const { convTranspose2d } = await import('../../src/ops/conv.js');
    for (const l of [{ x: [2, 12, 9, 7], cout: 10, k: 3, opts: { stride: 2, padding: 1, outputPadding: 1 } }, { x: [1, 16, 12, 12], cout: 8, k: 3, opts: { padding: 1 } }]) {
      manualSeed(6);
      const x = randn(l.x);
      const w = randn([l.x[1]!, l.cout, l.k, l.k]).mul(0.2);
      const b = randn([l.cout]);
      const run = () => {
        const [xs, ws, bs] = [x, w, b].map((t) => randn(t.shape).mul(0).add(t).requiresGrad_());
        const y = convTranspose2d(xs!, ws!, bs!, l.opts);
        y.backward(y.detach().mul(0.5));
        return [y.data, xs!.grad!.data, ws!.grad!.data, bs!.grad!.data];
      };
      const two = run();
      be.setNumThreads(1);
      const one = run();
      be.setNumThreads(2);
      assert.ok(await be.warmNormThreads());
      ['output', 'grad input', 'grad weight', 'grad bias'].forEach((what, i) => assert.deepEqual(two[i], one[i], `conv_transpose2d ${JSON.stringify(l)} ${what}`));
    }
    assert.ok(be.normBackendInfo().threadedCalls > runsBefore, 'the workers took part');
  } finally {
    setConvThreadMinFlops(4e7, true);
    be.setNumThreads(1);
  }
});

// ---- backward: the wasm drivers against the JavaScript ones ----

for (const l of LAYERS) {
  test(`conv2d gradients on the wasm, direct and winograd paths match the js path: ${JSON.stringify(l)}`, () => {
    manualSeed(11);
    const x = randn(l.x);
    const w = randn([l.cout, l.x[1]! / (l.opts.groups ?? 1), l.k, l.k]).mul(0.2);
    const b = randn([l.cout]);
    const grads = (s: PathSetting) =>
      withPath(s, () => {
        const [xs, ws, bs] = [x, w, b].map((t) => randn(t.shape).mul(0).add(t).requiresGrad_());
        const y = conv2d(xs!, ws!, bs!, l.opts);
        y.backward(randn(y.shape).mul(0).add(1).mul(y.detach().mul(0.5)));
        return [xs!.grad!, ws!.grad!, bs!.grad!];
      });
    const ref = grads(SETTINGS[0]!);
    for (const s of SETTINGS.slice(2)) {
      const got = grads(s);
      ['grad input', 'grad weight', 'grad bias'].forEach((what, i) => assertClose(got[i]!, ref[i]!.data, 1e-4, 1e-4, `${s.name}: ${what}`));
    }
  });
}

test('winograd leaves a non-finite input to the outputs that see it (the image falls back to the direct path)', () => {
  manualSeed(15);
  const x = randn([2, 16, 12, 12]);
  x.data[16 * 144 + 5 * 12 + 5] = Infinity; // image 1, channel 0, row 5, column 5
  const w = randn([8, 16, 3, 3]).mul(0.1);
  const run = (s: PathSetting) => withPath(s, () => noGrad(() => conv2d(x, w, null, { padding: 1 })));
  const ref = run(SETTINGS[0]!);
  const got = run(SETTINGS[3]!);
  for (let i = 0; i < ref.data.length; i++) {
    const [a, b] = [got.data[i]!, ref.data[i]!];
    assert.ok(Number.isFinite(b) ? Math.abs(a - b) <= 1e-4 + 1e-4 * Math.abs(b) : Object.is(a, b) || (Number.isNaN(a) && Number.isNaN(b)), `[${i}] ${a} vs ${b}`);
  }
});

test('winograd weight gradient with a non-finite input gives the direct kernel\'s values (it hands the call over)', () => {
  manualSeed(17);
  const x = randn([2, 16, 10, 10]);
  x.data[100 + 3 * 10 + 4] = -Infinity; // image 0, channel 1
  const w = randn([8, 16, 3, 3]).mul(0.1);
  const gw = (s: PathSetting) =>
    withPath(s, () => {
      const wg = randn(w.shape).mul(0).add(w).requiresGrad_();
      conv2d(x, wg, null, { padding: 1 }).sum().backward();
      return wg.grad!.data;
    });
  const ref = gw(SETTINGS[4]!); // direct
  const got = gw(SETTINGS[3]!); // winograd
  assert.deepEqual(got, ref);
  assert.ok(ref.some((v) => !Number.isFinite(v)) && ref.some(Number.isFinite));
});

test('winograd weight gradient over several chunks (tile rows of one large image; groups of small images) equals the direct kernel\'s', () => {
  manualSeed(19);
  // 70x70 outputs: 324 tiles, two chunks of tile rows; 20 images of 16x16: 16 per chunk, then 4
  for (const [shape, cout] of [[[1, 6, 70, 70], 8], [[20, 5, 16, 16], 6]] as const) {
    const x = randn([...shape]);
    const w = randn([cout, shape[1], 3, 3]).mul(0.2);
    const gw = (s: PathSetting) =>
      withPath(s, () => {
        const wg = randn(w.shape).mul(0).add(w).requiresGrad_();
        const y = conv2d(x, wg, null, { padding: 1 });
        y.backward(y.detach().mul(0.5).add(0.25));
        return wg.grad!;
      });
    const ref = gw(SETTINGS[4]!); // direct
    const got = gw(SETTINGS[3]!); // winograd
    // sums over thousands of products: the error is measured against the gradient's scale
    const scale = ref.data.reduce((m, v) => Math.max(m, Math.abs(v)), 0);
    assert.ok(scale > 1);
    assertClose(got, ref.data, 2e-6 * scale, 1e-4, `weight gradient of ${JSON.stringify(shape)} (scale ${scale})`);
  }
});

// Non-finite inputs: a value no window reads (the stride leaves the last column out) must not reach the weight gradient.
test('an Inf outside every window leaves the weight gradient finite on every path', () => {
  manualSeed(12);
  const x = randn([1, 2, 6, 8]);
  x.data[7] = Infinity; // row 0, column 7: windows of 3 at stride 2 cover columns 0-6 only
  const w = randn([5, 2, 3, 3]);
  for (const s of SETTINGS) {
    const [ws] = withPath(s, () => {
      const wg = randn(w.shape).mul(0).add(w).requiresGrad_();
      conv2d(x, wg, null, { stride: 2 }).sum().backward();
      return [wg.grad!];
    });
    assert.ok(ws!.data.every(Number.isFinite), `${s.name}: ${Array.from(ws!.data).join(', ')}`);
  }
});

test('conv_transpose2d forward and gradients on the direct (sub-pixel) path match the js path', async () => {
  const { convTranspose2d } = await import('../../src/ops/conv.js');
  for (const l of [
    { x: [2, 6, 5, 4], cout: 4, k: 3, opts: { stride: 2, padding: 1, outputPadding: 1 } },
    { x: [1, 4, 3, 3], cout: 6, k: 4, opts: { stride: 2, padding: 1, groups: 2 } },
    { x: [1, 3, 4, 4], cout: 2, k: 3, opts: { dilation: 2 } },
    { x: [1, 8, 6, 5], cout: 5, k: 3, opts: { stride: 3, padding: 2, outputPadding: 1 } },
    { x: [2, 16, 8, 8], cout: 16, k: 3, opts: { stride: 1, padding: 1 } },
    { x: [1, 4, 5, 5], cout: 3, k: 1, opts: { stride: 2 } },
    { x: [2, 3, 4, 3], cout: 5, k: 3, opts: { stride: 2, padding: 1 } },
    { x: [1, 2, 3, 9], cout: 2, k: 5, opts: { stride: [1, 2], padding: [2, 1], outputPadding: [0, 1] } },
  ]) {
    manualSeed(14);
    const x = randn(l.x);
    const w = randn([l.x[1]!, l.cout / (l.opts.groups ?? 1), l.k, l.k]);
    const b = randn([l.cout]);
    const run = (s: PathSetting) =>
      withPath(s, () => {
        const [xs, ws, bs] = [x, w, b].map((t) => randn(t.shape).mul(0).add(t).requiresGrad_());
        const y = convTranspose2d(xs!, ws!, bs!, l.opts);
        y.backward(y.detach().mul(0.5));
        return [y, xs!.grad!, ws!.grad!, bs!.grad!];
      });
    const ref = run(SETTINGS[0]!);
    const got = run(SETTINGS[4]!);
    ['output', 'grad input', 'grad weight', 'grad bias'].forEach((what, i) => assertClose(got[i]!, ref[i]!.data, 1e-4, 1e-4, `${JSON.stringify(l)} ${what}`));
  }
});

test('conv_transpose2d forward on the wasm path matches the js path', async () => {
  const { convTranspose2d } = await import('../../src/ops/conv.js');
  for (const l of [
    { x: [2, 6, 5, 4], cout: 4, k: 3, opts: { stride: 2, padding: 1, outputPadding: 1 } },
    { x: [1, 4, 3, 3], cout: 6, k: 4, opts: { stride: 2, padding: 1, groups: 2 } },
    { x: [1, 3, 4, 4], cout: 2, k: 3, opts: { dilation: 2 } },
  ]) {
    manualSeed(13);
    const x = randn(l.x);
    const w = randn([l.x[1]!, l.cout / (l.opts.groups ?? 1), l.k, l.k]);
    const b = randn([l.cout]);
    const run = (s: PathSetting) => withPath(s, () => noGrad(() => convTranspose2d(x, w, b, l.opts)));
    assertClose(run(SETTINGS[2]!), run(SETTINGS[0]!).data, 1e-5, 1e-4, JSON.stringify(l));
  }
});

test('the input gradient reads the kernel flipped inside the Winograd transform: the same bits as the forward of flipKernel\'s kernel (also with a non-finite gradient, and on two threads)', async () => {
  const { convBackwardDirect, inputGradAsConv } = await import('../../src/kernels/conv_bwd.js');
  const { flipKernel } = await import('../../src/kernels/winograd.js');
  const { convForwardAll, convThreadSpeeds, setConvThreadMinFlops } = await import('../../src/kernels/conv_threads.js');
  const { allocStorage } = await import('../../src/tensor/storage.js');
  const be = await import('../../src/kernels/backend.js');
  // the last two run by output channels on two threads (fewer tiles than channels)
  const layers = [
    [2, 32, 24, 18, 0],
    [1, 17, 13, 23, 1],
    [3, 16, 9, 11, 0],
    [2, 64, 24, 10, 0],
    [1, 38, 16, 6, 1],
  ] as const;
  try {
    for (const threads of [1, 2]) {
      be.setNumThreads(threads);
      setConvThreadMinFlops(threads === 2 ? 0 : 4e7, threads !== 2);
      if (threads === 2) assert.ok(await be.warmNormThreads(), 'the worker pool starts');
      for (const nonFinite of [false, true]) {
        for (const [N, C, Cout, H, ph] of layers) {
          manualSeed(N * 100 + C);
          const outH = H + 2 * ph - 2;
          const w = randn([Cout * C * 9]).data;
          const gy = randn([N * Cout * outH * outH]).data;
          if (nonFinite) gy[7] = Number.NaN;
          const d = { N, C, Cout, G: 1, g: { H, W: H, kh: 3, kw: 3, sh: 1, sw: 1, ph, pw: ph, dh: 1, dw: 1, outH, outW: outH } };
          const got = convBackwardDirect(d, new Float32Array(0), w, gy, true, false, true).gx!;
          const ref = convForwardAll(inputGradAsConv(d), gy, flipKernel(w, Cout, C), null, allocStorage, null, 'winograd', true);
          assert.equal(got.length, ref.length);
          const same = got.every((v, i) => Object.is(v, ref[i]));
          assert.ok(same, `${threads} thread(s), ${JSON.stringify([N, C, Cout, H, ph])}${nonFinite ? ' with a NaN' : ''}`);
          if (nonFinite) assert.ok(got.some(Number.isNaN) && got.some(Number.isFinite));
        }
      }
      if (threads === 2) assert.ok(Object.entries(convThreadSpeeds()).some(([k, v]) => k.startsWith('fwdc:winograd:') && v.threadedRuns > 0), 'the channel split ran on the pool');
    }
  } finally {
    setConvThreadMinFlops(4e7, true);
    be.setNumThreads(1);
  }
});

test('a Winograd forward shared by output channels copies each thread\'s share of the cached weight transform: the same bits as one thread, call after call, and after the weights change', async () => {
  const be = await import('../../src/kernels/backend.js');
  const { convForwardAll, convThreadSpeeds, resetConvThreadSpeeds, setConvThreadMinFlops } = await import('../../src/kernels/conv_threads.js');
  const { allocStorage } = await import('../../src/tensor/storage.js');
  // 2 x 3x3 tiles per image, 38 output channels (a last partial block of four): by channels on two threads
  const d = { N: 2, C: 24, Cout: 38, G: 1, g: { H: 12, W: 12, kh: 3, kw: 3, sh: 1, sw: 1, ph: 1, pw: 1, dh: 1, dw: 1, outH: 12, outW: 12 } };
  manualSeed(23);
  const x = randn([2 * 24 * 144]).data;
  const w = randn([38 * 24 * 9]).data;
  const b = randn([38]).data;
  const one = () => {
    be.setNumThreads(1);
    return convForwardAll(d, x, w.slice(), b, allocStorage, null, 'winograd');
  };
  try {
    resetConvThreadSpeeds();
    be.setNumThreads(2);
    assert.ok(await be.warmNormThreads(), 'the worker pool starts');
    setConvThreadMinFlops(0, false);
    // the workers keep their share resident (winograd_weights.adoptStamp): a changed weight must reach them too
    for (let call = 0; call < 12; call++) {
      if (call === 3 || call === 7) w[17] = w[17]! + 1; // an optimizer step: the cached transform is stale
      be.setNumThreads(2);
      const got = convForwardAll(d, x, w, b, allocStorage, null, 'winograd');
      const ref = one();
      assert.ok(got.every((v, i) => Object.is(v, ref[i])), `call ${call}`);
    }
    assert.ok(Object.entries(convThreadSpeeds()).some(([k, v]) => k.startsWith('fwdc:winograd:') && v.threadedRuns > 0), 'the channel split ran on the pool');
  } finally {
    setConvThreadMinFlops(4e7, true);
    be.setNumThreads(1);
  }
});

test('Winograd\'s cached weight transforms stay resident in wasm memory: the same bits as a transform made for the call, across layers, weight changes and a budget that drops them', async () => {
  const { convForwardAll } = await import('../../src/kernels/conv_threads.js');
  const { allocStorage } = await import('../../src/tensor/storage.js');
  const { setResidentBudget } = await import('../../src/kernels/gemm_wasm.js');
  const d = { N: 1, C: 32, Cout: 24, G: 1, g: { H: 14, W: 14, kh: 3, kw: 3, sh: 1, sw: 1, ph: 0, pw: 0, dh: 1, dw: 1, outH: 12, outW: 12 } };
  manualSeed(29);
  const x = randn([32 * 196]).data;
  const layers = [0, 1, 2].map(() => randn([24 * 32 * 9]).data);
  const bias = randn([24]).data;
  try {
    // 64 MB, then room for about one layer's transform (36 x 1040 floats): every other call drops the rest
    for (const budget of [1 << 24, 40000]) {
      setResidentBudget(budget);
      for (let call = 0; call < 12; call++) {
        const w = layers[call % 3]!;
        if (call === 7) w[5] = w[5]! * -2; // an in-place change: the transform is remade, the resident copy refreshed
        const got = convForwardAll(d, x, w, bias, allocStorage, null, 'winograd');
        const ref = convForwardAll(d, x, w.slice(), bias, allocStorage, null, 'winograd'); // first sight: made for the call
        assert.ok(got.every((v, i) => Object.is(v, ref[i])), `budget ${budget}, call ${call}`);
      }
    }
  } finally {
    setResidentBudget(1 << 24);
  }
});

test('a small map on the wasm and direct paths is shared by output channels on two threads: the same bits as one thread (with bias and fused ReLU, one and two images, zero or fused reflection padding)', async () => {
  const be = await import('../../src/kernels/backend.js');
  const { convForwardAll, convThreadSpeeds, resetConvThreadSpeeds, setConvThreadMinFlops } = await import('../../src/kernels/conv_threads.js');
  const { allocStorage } = await import('../../src/tensor/storage.js');
  try {
    resetConvThreadSpeeds();
    for (const [N, reflect] of [[1, false], [2, false], [2, true]] as const) {
      // 7x7 outputs: one piece of rows per image; 36 output channels: shares [0, 20) and [20, 36)
      const g = reflect
        ? { H: 9, W: 9, kh: 3, kw: 3, sh: 1, sw: 1, ph: 0, pw: 0, dh: 1, dw: 1, outH: 7, outW: 7 }
        : { H: 7, W: 7, kh: 3, kw: 3, sh: 1, sw: 1, ph: 1, pw: 1, dh: 1, dw: 1, outH: 7, outW: 7 };
      const d = { N, C: 20, Cout: 36, G: 1, g, ...(reflect ? { reflect: { H: 7, W: 7, top: 1, left: 1 } } : {}) };
      manualSeed(31 + N);
      const x = randn([N * 20 * 49]).data;
      const w = randn([36 * 20 * 9]).data;
      const b = randn([36]).data;
      for (const path of ['wasm', 'direct'] as const) {
        for (const relu of [false, true]) {
          be.setNumThreads(1);
          const ref = convForwardAll(d, x, w, b, allocStorage, relu ? 'relu' : null, path);
          be.setNumThreads(2);
          assert.ok(await be.warmNormThreads(), 'the worker pool starts');
          setConvThreadMinFlops(0, false);
          const got = convForwardAll(d, x, w, b, allocStorage, relu ? 'relu' : null, path);
          setConvThreadMinFlops(4e7, true);
          assert.ok(got.every((v, i) => Object.is(v, ref[i])), `${path}, ${N} image(s), relu ${relu}, reflect ${reflect}`);
        }
      }
    }
    for (const path of ['wasm', 'direct']) assert.ok(Object.entries(convThreadSpeeds()).some(([k, v]) => k.startsWith(`fwdc:${path}:`) && v.threadedRuns > 0), `${path} shared by channels on the pool`);
  } finally {
    setConvThreadMinFlops(4e7, true);
    be.setNumThreads(1);
  }
});

/**
 * body(threads, case) for every case on one thread, then on two (the pool
 * started, every layer sent to it), then back to one thread, the automatic
 * path and the pool's usual threshold, whatever happens.
 */
async function eachThreadCount<C>(cases: readonly C[], body: (threads: number, c: C) => Promise<void> | void): Promise<void> {
  const be = await import('../../src/kernels/backend.js');
  const { setConvThreadMinFlops } = await import('../../src/kernels/conv_threads.js');
  try {
    for (const threads of [1, 2]) {
      be.setNumThreads(threads);
      if (threads === 2) {
        assert.ok(await be.warmNormThreads());
        setConvThreadMinFlops(0, false);
      }
      for (const c of cases) await body(threads, c);
    }
  } finally {
    setConvThreadMinFlops(4e7, true);
    setConvPath('auto');
    be.setNumThreads(1);
  }
}

/** A stride-1 k x k layer for the winograd_split tests: seeded input, weights and bias, zero padding or a fused reflection pad. */
type SplitCase = { N: number; C: number; Cout: number; H: number; W: number; k: number; pad: number; reflect: boolean };
function splitCase(c: SplitCase): { x: Float32Array; w: Float32Array; b: Float32Array; d: ConvDims } {
  const x = randn([c.N * c.C * c.H * c.W]).data;
  const w = randn([c.Cout * c.C * c.k * c.k]).mul(0.1).data;
  const b = randn([c.Cout]).data;
  const p = c.reflect ? (c.k - 1) >> 1 : c.pad;
  const Hp = c.H + 2 * p;
  const Wp = c.W + 2 * p;
  const g = c.reflect
    ? { H: Hp, W: Wp, kh: c.k, kw: c.k, sh: 1, sw: 1, ph: 0, pw: 0, dh: 1, dw: 1, outH: Hp - c.k + 1, outW: Wp - c.k + 1 }
    : { H: c.H, W: c.W, kh: c.k, kw: c.k, sh: 1, sw: 1, ph: p, pw: p, dh: 1, dw: 1, outH: Hp - c.k + 1, outW: Wp - c.k + 1 };
  return { x, w, b, d: { N: c.N, C: c.C, Cout: c.Cout, G: 1, g, ...(c.reflect ? { reflect: { H: c.H, W: c.W, top: p, left: p } } : {}) } };
}

test('9x9 and 6x6 stride-1 layers of few input channels run as a 3x3 Winograd layer of shifted channels under auto: its bits, and the direct kernel\'s values within rounding (zero and reflection padding, bias, fused ReLU, two images, two threads)', async () => {
  const { convForwardAll } = await import('../../src/kernels/conv_threads.js');
  const { splitApplies, splitDims, splitInput, splitWeights } = await import('../../src/kernels/winograd_split.js');
  const { allocStorage } = await import('../../src/tensor/storage.js');
  const cases: SplitCase[] = [
    { N: 1, C: 3, Cout: 32, H: 40, W: 44, k: 9, pad: 4, reflect: false },
    { N: 2, C: 3, Cout: 16, H: 21, W: 26, k: 9, pad: 0, reflect: true },
    { N: 1, C: 8, Cout: 16, H: 21, W: 19, k: 6, pad: 1, reflect: false },
  ];
  await eachThreadCount(cases, async (threads, c) => {
    manualSeed(c.H * 10 + c.k);
    const { x, w, b, d } = splitCase(c);
    assert.ok(splitApplies(d), JSON.stringify(c));
    for (const relu of [false, true]) {
      const got = convForwardAll(d, x, w, b, allocStorage, relu ? 'relu' : null);
      const split = convForwardAll(splitDims(d), splitInput(d, x), splitWeights(d, w), b, allocStorage, relu ? 'relu' : null, 'winograd', true);
      assert.ok(got.every((v, i) => Object.is(v, split[i])), `auto runs the split layer: ${JSON.stringify(c)}`);
      setConvPath('direct');
      const ref = convForwardAll(d, x, w, b, allocStorage, relu ? 'relu' : null);
      setConvPath('auto');
      const scale = ref.reduce((m, v) => Math.max(m, Math.abs(v)), 0);
      assertClose(got, ref, 2e-6 * scale, 1e-5, `${threads} thread(s), ${JSON.stringify(c)}, relu ${relu}`);
    }
  });
});

test('a Winograd layer shared by output channels hands an image with a non-finite value to the direct kernel for its share only: the same values as one thread (fused reflection padding, two images)', async () => {
  const be = await import('../../src/kernels/backend.js');
  const { convForwardAll, setConvThreadMinFlops } = await import('../../src/kernels/conv_threads.js');
  const { allocStorage } = await import('../../src/tensor/storage.js');
  // 2 x 2x2 tiles of 8x8 outputs, 40 output channels: by channels on two threads
  const d = { N: 2, C: 16, Cout: 40, G: 1, g: { H: 10, W: 10, kh: 3, kw: 3, sh: 1, sw: 1, ph: 0, pw: 0, dh: 1, dw: 1, outH: 8, outW: 8 }, reflect: { H: 8, W: 8, top: 1, left: 1 } };
  manualSeed(37);
  const x = randn([2 * 16 * 64]).data;
  x[16 * 64 + 3 * 8 + 5] = Number.NaN; // image 1, channel 0
  const w = randn([40 * 16 * 9]).mul(0.2).data;
  const b = randn([40]).data;
  try {
    be.setNumThreads(1);
    const ref = convForwardAll(d, x, w, b, allocStorage, null, 'winograd');
    be.setNumThreads(2);
    assert.ok(await be.warmNormThreads(), 'the worker pool starts');
    setConvThreadMinFlops(0, false);
    const got = convForwardAll(d, x, w, b, allocStorage, null, 'winograd');
    assert.ok(ref.some(Number.isNaN) && ref.some(Number.isFinite));
    assert.ok(got.every((v, i) => Object.is(v, ref[i])), 'two threads by channels equal one thread');
  } finally {
    setConvThreadMinFlops(4e7, true);
    be.setNumThreads(1);
  }
});

test('convolution weights live in shared memory (the pool reads them in place, no staging copy per call): loading keeps them there, and a 2-thread forward of the module equals one thread bit for bit', async () => {
  const be = await import('../../src/kernels/backend.js');
  const { convThreadSpeeds, resetConvThreadSpeeds, setConvThreadMinFlops } = await import('../../src/kernels/conv_threads.js');
  const { nn } = await import('../../src/index.js');
  manualSeed(31);
  const conv = new nn.Conv2d(64, 48, 3, { padding: 1 });
  const shared = (t: { data: Float32Array }): boolean => t.data.buffer instanceof SharedArrayBuffer;
  assert.ok(shared(conv.weight), 'weight');
  const other = new nn.Conv2d(64, 48, 3, { padding: 1 });
  other.loadStateDict(conv.stateDict());
  assert.ok(shared(other.weight), 'still shared after loadStateDict');
  assert.ok(other.weight.data.every((v, i) => Object.is(v, conv.weight.data[i])), 'the values loaded');
  for (const t of [new nn.ConvTranspose2d(8, 4, 3), new nn.Conv1d(3, 5, 2)]) assert.ok(shared(t.weight));
  const x = randn([1, 64, 7, 7]);
  try {
    be.setNumThreads(1);
    const ref = noGrad(() => conv.call(x)).data;
    resetConvThreadSpeeds();
    be.setNumThreads(2);
    assert.ok(await be.warmNormThreads(), 'the worker pool starts');
    setConvThreadMinFlops(0, false);
    for (let call = 0; call < 3; call++) {
      const got = noGrad(() => conv.call(x)).data;
      assert.ok(got.every((v, i) => Object.is(v, ref[i])), `call ${call}`);
    }
    assert.ok(Object.entries(convThreadSpeeds()).some(([, v]) => v.threadedRuns > 0), 'the pool ran it');
  } finally {
    setConvThreadMinFlops(4e7, true);
    be.setNumThreads(1);
  }
});

test('a pool worker\'s view of a cached Winograd transform (winograd_weights.adoptStamp) keeps its share resident, copied again when the weights change', async () => {
  const { convForwardChannels } = await import('../../src/kernels/conv_fwd.js');
  const { winogradWeights, adoptStamp, residentStamp } = await import('../../src/kernels/winograd_weights.js');
  const d = { N: 1, C: 16, Cout: 24, G: 1, g: { H: 8, W: 8, kh: 3, kw: 3, sh: 1, sw: 1, ph: 1, pw: 1, dh: 1, dw: 1, outH: 8, outW: 8 } };
  manualSeed(41);
  const x = randn([16 * 64]).data;
  const w = randn([24 * 16 * 9]).data;
  // what a worker gets: a new view of the same shared memory per task, with the sender's stamp
  const viewOf = (u: Float32Array): Float32Array => new Float32Array(u.buffer, u.byteOffset, u.length);
  const share = (u: Float32Array): Float32Array => {
    const out = new Float32Array(24 * 64);
    convForwardChannels('winograd', d, x, w, null, out, 8, 24, null, null, u);
    return out.subarray(8 * 64);
  };
  const reference = (): Float32Array => {
    const out = new Float32Array(24 * 64);
    convForwardChannels('winograd', d, x, w.slice(), null, out, 8, 24, null, null, null);
    return out.subarray(8 * 64);
  };
  for (let step = 0; step < 3; step++) {
    if (step > 0) w[9 * 16 * 9 + 5] = w[9 * 16 * 9 + 5]! + 0.5; // a weight of an output channel in the share
    const u = winogradWeights(w, 24, 16)!;
    const stamp = residentStamp(u)!;
    assert.equal(stamp.version, step === 0 ? 1 : step + 1, 'remade once per change');
    for (let call = 0; call < 2; call++) {
      const v = viewOf(u);
      assert.equal(residentStamp(v), null, 'an unknown view has no stamp');
      adoptStamp(v, stamp);
      assert.deepEqual(residentStamp(v), stamp);
      const got = share(v);
      const ref = reference();
      assert.ok(got.every((g, i) => Object.is(g, ref[i])), `step ${step} call ${call}`);
    }
  }
});

test('9x9 and 6x6 stride-1 layers of few output channels run as a 3x3 Winograd layer of m^2 Cout outputs summed shifted under auto: the direct kernel\'s values within rounding, the JavaScript gather\'s bits (zero and reflection padding, bias, fused ReLU with a NaN, two images, two threads)', async () => {
  const { convForwardAll } = await import('../../src/kernels/conv_threads.js');
  const { splitApplies, splitOutApplies, splitOutDims, splitOutWeights, gatherSplitOutput } = await import('../../src/kernels/winograd_split.js');
  const { allocStorage } = await import('../../src/tensor/storage.js');
  const cases: SplitCase[] = [
    { N: 1, C: 32, Cout: 3, H: 37, W: 42, k: 9, pad: 0, reflect: true },
    { N: 2, C: 16, Cout: 1, H: 20, W: 23, k: 9, pad: 4, reflect: false },
    { N: 1, C: 16, Cout: 4, H: 22, W: 19, k: 6, pad: 2, reflect: false },
  ];
  await eachThreadCount(cases, async (threads, c) => {
    manualSeed(c.H * 10 + c.k + 1);
    const { x, w, b, d } = splitCase(c);
    assert.ok(splitOutApplies(d) && !splitApplies(d), JSON.stringify(c));
    for (const relu of [false, true]) {
      const got = convForwardAll(d, x, w, b, allocStorage, relu ? 'relu' : null);
      setConvPath('direct');
      const ref = convForwardAll(d, x, w, b, allocStorage, relu ? 'relu' : null);
      setConvPath('auto');
      const scale = ref.reduce((m, v) => Math.max(m, Math.abs(v)), 0);
      assertClose(got, ref, 2e-6 * scale, 1e-5, `${threads} thread(s), ${JSON.stringify(c)}, relu ${relu}`);
      // the wasm gather against the JavaScript one (the gemm forced off for it): the same sums in the same order
      const z = convForwardAll(splitOutDims(d), x, splitOutWeights(d, w), null, allocStorage, null, 'winograd', true);
      z[5] = NaN;
      z[7] = -0;
      const viaWasm = new Float32Array(got.length);
      gatherSplitOutput(d, z, b, relu ? 'relu' : null, viaWasm);
      const viaJs = new Float32Array(got.length);
      setConvPath('js');
      gatherSplitOutput(d, z, b, relu ? 'relu' : null, viaJs);
      setConvPath('auto');
      assert.ok(viaWasm.every((v, i) => Object.is(v, viaJs[i]) || (Number.isNaN(v) && Number.isNaN(viaJs[i]!))), `the gathers agree: ${JSON.stringify(c)}`);
      assert.ok(Number.isNaN(viaWasm[5]!), 'a NaN passes, ReLU or not');
    }
  });
});
