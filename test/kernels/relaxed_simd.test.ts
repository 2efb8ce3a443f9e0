/**
 * The relaxed-SIMD gemm (gemm_relaxed.wasm: accumulations as fused
 * multiply-adds) where the engine validates it, SIMD128 (gemm.wasm) where it
 * does not. Node 20 validates relaxed SIMD only with
 * --experimental-wasm-relaxed-simd, which normkit turns on itself
 * (platform.allowRelaxedSimd) unless the command line turns it off; these run
 * child processes with the flag, without it and with it turned off: which
 * build loads and why, that the fused build is the
 * one computing (its bits differ from SIMD128's, within float32 rounding of a
 * float64 reference), and every recorded PyTorch case and the convolution
 * path tests (one and two threads: the pool's workers load the same build)
 * passing on SIMD128 too (the rest of the suite runs on the relaxed build). Chromium runs it too (test/browser: web_app, threads).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const FLAG = '--experimental-wasm-relaxed-simd';
const NO_FLAG = '--no-experimental-wasm-relaxed-simd';
const index = new URL('../../src/index.js', import.meta.url).href;
const dist = (p: string): string => fileURLToPath(new URL(`../../${p}`, import.meta.url));

function node(args: string[], env: Record<string, string> = {}): { status: number | null; stdout: string; stderr: string } {
  const p = spawnSync(process.execPath, args, { encoding: 'utf8', env: { ...process.env, NORMKIT_RELAXED_SIMD: '', ...env }, timeout: 240_000 });
  return { status: p.status, stdout: p.stdout, stderr: p.stderr };
}

/** A seeded 3x3 convolution in a child process: the gemm build that ran, and the output's error against a float64 direct sum. */
const CONV_SCRIPT = `const nk = await import(${JSON.stringify(index)});
nk.manualSeed(3);
const conv = new nk.nn.Conv2d(32, 16, 3, { padding: 1, bias: false });
const x = nk.randn([1, 32, 12, 12]);
nk.setConvPath('direct');
const y = nk.noGrad(() => conv.call(x)).data;
const w = conv.weight.data, xd = x.data;
let maxErr = 0, maxRef = 0;
for (let o = 0; o < 16; o++) for (let i = 0; i < 12; i++) for (let j = 0; j < 12; j++) {
  let s = 0;
  for (let c = 0; c < 32; c++) for (let a = 0; a < 3; a++) for (let b = 0; b < 3; b++) {
    const r = i + a - 1, q = j + b - 1;
    if (r >= 0 && r < 12 && q >= 0 && q < 12) s += w[((o * 32 + c) * 3 + a) * 3 + b] * xd[(c * 12 + r) * 12 + q];
  }
  maxErr = Math.max(maxErr, Math.abs(y[(o * 12 + i) * 12 + j] - s));
  maxRef = Math.max(maxRef, Math.abs(s));
}
let h = 0x811c9dc5;
const u = new Uint32Array(y.buffer, y.byteOffset, y.length);
for (let k = 0; k < u.length; k++) h = Math.imul(h ^ u[k], 0x01000193);
console.log(JSON.stringify({ info: nk.gemmInfo(), maxErr, maxRef, hash: h >>> 0 }));`;

function convRun(flags: string[], env: Record<string, string> = {}): { info: { variant: string; relaxedError: string | null }; maxErr: number; maxRef: number; hash: number } {
  const p = node([...flags, '--input-type=module', '-e', CONV_SCRIPT], env);
  assert.equal(p.status, 0, p.stderr);
  return JSON.parse(p.stdout.trim().split('\n').pop()!);
}

test('the relaxed-SIMD build loads where the engine validates it or normkit can turn it on, SIMD128 elsewhere or when NORMKIT_RELAXED_SIMD=0, each saying why', () => {
  const fused = convRun([FLAG]);
  assert.equal(fused.info.variant, 'relaxed-simd');
  assert.equal(fused.info.relaxedError, null);
  // No flag: on Node 20 the platform turns V8's on; the same fused bits.
  const byDefault = convRun([]);
  assert.equal(byDefault.info.variant, 'relaxed-simd');
  assert.equal(byDefault.hash, fused.hash);
  // Turned off on the command line: left off, and the engine's refusal is the reason given.
  const plain = convRun([NO_FLAG]);
  assert.equal(plain.info.variant, 'simd128');
  assert.match(plain.info.relaxedError!, /relaxed/i, 'the engine refused it');
  const off = convRun([], { NORMKIT_RELAXED_SIMD: '0' });
  assert.equal(off.info.variant, 'simd128');
  assert.equal(off.info.relaxedError, 'disabled by NORMKIT_RELAXED_SIMD=0');
  assert.equal(off.hash, plain.hash, 'the same SIMD128 bits either way');
  // Fused multiply-adds round once per step: other bits, as close to the float64 sum.
  assert.notEqual(fused.hash, plain.hash, 'the fused build computes');
  for (const r of [fused, plain]) assert.ok(r.maxErr <= 2e-6 * Math.max(1, r.maxRef), `error ${r.maxErr} at scale ${r.maxRef}`);
});

// The rest of the suite runs on the relaxed build (Node 20 and 22 alike now), so these cover SIMD128.
test('every recorded PyTorch case passes on the SIMD128 gemm (NORMKIT_RELAXED_SIMD=0)', () => {
  const p = node([dist('src/oracle/main.js')], { NORMKIT_RELAXED_SIMD: '0' });
  assert.equal(p.status, 0, p.stdout + p.stderr);
  const m = /(\d+) passed, 0 failed, 0 skipped/.exec(p.stdout);
  assert.ok(m && Number(m[1]) > 100, p.stdout.slice(-400));
});

test('the convolution paths (forward, gradients, transposed, two threads bit for bit) pass on the SIMD128 gemm (NORMKIT_RELAXED_SIMD=0)', () => {
  const files = ['layers/conv_paths.test.js', 'layers/conv_property.test.js', 'layers/gemm.test.js'].map((f) => dist(`test/${f}`));
  const p = node(['--test', '--test-reporter=dot', ...files], { NORMKIT_RELAXED_SIMD: '0' });
  assert.equal(p.status, 0, p.stdout.slice(-2000) + p.stderr.slice(-2000));
});
