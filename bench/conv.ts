#!/usr/bin/env node
/**
 * `npm run bench:conv [-- --quick] [-- --json FILE]`: normkit's Conv2d and
 * ConvTranspose2d (the path `auto` picks per shape) against onnxruntime-node
 * (forward; one-node models, bench/onnx.ts) and PyTorch 1.13 (forward, and
 * forward + backward; /usr/bin/python3 through bench/torch_models.py, marked
 * absent when `import torch` fails) at 1 and 2 threads, in one script on the
 * same inputs and weights: the convolutions of a small style-transfer network
 * and every convolution shape of the resnet generator at 1x3x256x256.
 *
 * Prints, per shape, medians in ms with (ratio) = peer / normkit at equal
 * threads (above 1: normkit is faster), and normkit's one-thread forward in
 * flops per cycle: the convolution's 2*MACs (Winograd's "effective" flops, so
 * above the peak it does fewer multiplies than that) per CPU cycle at the
 * measured clock, against 128-bit SIMD's peak (16: two multiplies and two
 * adds, or two fused multiply-adds, per cycle). Every peer's
 * forward result is checked against normkit's (1e-4 of the output's scale)
 * before its time counts.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { noGrad } from '../src/tensor/grad_mode.js';
import { setNumThreads, warmNormThreads } from '../src/kernels/backend.js';
import { convPath } from '../src/kernels/conv_fwd.js';
import { conv2d, conv2dOutputShape, convTranspose2d, convTranspose2dOutputShape } from '../src/ops/conv.js';
import { randn } from '../src/tensor/creation.js';
import { manualSeed } from '../src/tensor/random.js';
import { Tensor } from '../src/tensor/tensor.js';
import '../src/ops/methods.js';
import { buildModel, ortRunner } from './onnx.js';
import { loadAverage, measuredMHz, peakLabel } from './clock.js';
import { maxRelError, median, time } from './timing.js';
import { PYTHON, torchVersion } from './torch.js';

const TORCH_SCRIPT = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'bench', 'torch_models.py');
const THREADS = [1, 2];

interface ConvCase {
  name: string;
  x: [number, number, number, number];
  cout: number;
  k: number;
  stride: number;
  pad: number;
  /** A ConvTranspose2d (weights [Cin, Cout, k, k]) with this output padding. */
  transposed?: { outputPadding: number };
}

export const CASES: ConvCase[] = [
  { name: 'style in 9x9', x: [4, 3, 64, 64], cout: 32, k: 9, stride: 1, pad: 4 },
  { name: 'style down', x: [4, 32, 64, 64], cout: 64, k: 3, stride: 2, pad: 1 },
  { name: 'style down', x: [4, 64, 32, 32], cout: 128, k: 3, stride: 2, pad: 1 },
  { name: 'style residual', x: [4, 128, 16, 16], cout: 128, k: 3, stride: 1, pad: 1 },
  { name: 'gen stem 7x7', x: [1, 3, 262, 262], cout: 16, k: 7, stride: 1, pad: 0 },
  { name: 'gen down', x: [1, 16, 256, 256], cout: 32, k: 3, stride: 2, pad: 1 },
  { name: 'gen down', x: [1, 32, 128, 128], cout: 64, k: 3, stride: 2, pad: 1 },
  { name: 'gen residual', x: [1, 64, 66, 66], cout: 64, k: 3, stride: 1, pad: 0 },
  { name: 'gen up (transposed)', x: [1, 64, 64, 64], cout: 32, k: 3, stride: 2, pad: 1, transposed: { outputPadding: 1 } },
  { name: 'gen up (transposed)', x: [1, 32, 128, 128], cout: 16, k: 3, stride: 2, pad: 1, transposed: { outputPadding: 1 } },
  { name: 'gen head 7x7', x: [1, 16, 262, 262], cout: 3, k: 7, stride: 1, pad: 0 },
];

interface Prepared {
  c: ConvCase;
  label: string;
  path: string;
  flops: number;
  x: Tensor;
  w: Tensor;
  b: Tensor;
  gy: Tensor;
  fwd: (x: Tensor, w: Tensor, b: Tensor) => Tensor;
  ref: Float32Array;
  outShape: number[];
}

function prepare(c: ConvCase): Prepared {
  const x = randn(c.x);
  const cin = c.x[1];
  const w = randn(c.transposed ? [cin, c.cout, c.k, c.k] : [c.cout, cin, c.k, c.k]).mul(0.05);
  const b = randn([c.cout]).mul(0.1);
  const opts = { stride: c.stride, padding: c.pad };
  const tOpts = { ...opts, outputPadding: c.transposed?.outputPadding ?? 0 };
  const fwd = c.transposed ? (x: Tensor, w: Tensor, b: Tensor) => convTranspose2d(x, w, b, tOpts) : (x: Tensor, w: Tensor, b: Tensor) => conv2d(x, w, b, opts);
  const outShape = c.transposed ? convTranspose2dOutputShape(x.shape, w.shape, tOpts) : conv2dOutputShape(x.shape, w.shape, opts);
  // Multiply-adds: per output of a convolution (per input pixel of a transposed one), Cin * k * k of them.
  const positions = c.transposed ? c.x[0] * c.x[2] * c.x[3] : outShape[0]! * outShape[2]! * outShape[3]!;
  const flops = 2 * positions * cin * c.cout * c.k * c.k;
  const g = { H: c.x[2], W: c.x[3], kh: c.k, kw: c.k, sh: c.stride, sw: c.stride, ph: c.pad, pw: c.pad, dh: 1, dw: 1, outH: outShape[2]!, outW: outShape[3]! };
  const path = c.transposed ? 'direct (sub-pixel)' : convPath({ N: c.x[0], C: cin, Cout: c.cout, G: 1, g });
  const label = `${c.name} [${c.x.join(', ')}] ${c.k}x${c.k} s${c.stride} -> ${c.cout}`;
  return { c, label, path, flops, x, w, b, gy: randn(outShape), fwd, ref: noGrad(() => fwd(x, w, b)).data, outShape };
}

async function main(): Promise<number> {
  const argv = process.argv.slice(2);
  const quick = argv.includes('--quick');
  const ji = argv.indexOf('--json');
  const json = ji >= 0 ? argv[ji + 1] ?? null : null;
  const it = quick ? { warmup: 1, iters: 3 } : { warmup: 3, iters: 11 };
  const clock = measuredMHz();
  manualSeed(0);
  const prep = CASES.map(prepare);
  const cell = new Map<string, number | string>();
  const key = (label: string, impl: string, pass: string, t: number) => `${label}|${impl}|${pass}|${t}`;

  // ---- normkit ----
  for (const t of THREADS) {
    setNumThreads(t);
    if (t > 1 && !(await warmNormThreads())) console.error('worker threads unavailable: the 2-thread rows run on one');
    for (const p of prep) {
      cell.set(key(p.label, 'normkit', 'fwd', t), await time(() => noGrad(() => p.fwd(p.x, p.w, p.b)), it.warmup, it.iters));
      const xg = new Tensor(p.x.data, p.x.shape).requiresGrad_();
      const wg = new Tensor(p.w.data, p.w.shape).requiresGrad_();
      const bg = new Tensor(p.b.data, p.b.shape).requiresGrad_();
      cell.set(
        key(p.label, 'normkit', 'fwd+bwd', t),
        await time(() => {
          xg.grad = wg.grad = bg.grad = null;
          p.fwd(xg, wg, bg).backward(p.gy);
        }, it.warmup, it.iters),
      );
    }
    console.error(`normkit ${t}T done`);
  }
  setNumThreads(1);

  // ---- onnxruntime (forward) ----
  for (const p of prep) {
    const c = p.c;
    const model = buildModel(c.x, {
      opType: c.transposed ? 'ConvTranspose' : 'Conv',
      opset: 17,
      initializers: [
        { name: 'W', dims: [...p.w.shape], data: p.w.data },
        { name: 'B', dims: [...p.b.shape], data: p.b.data },
      ],
      intListAttrs: {
        kernel_shape: [c.k, c.k],
        strides: [c.stride, c.stride],
        pads: [c.pad, c.pad, c.pad, c.pad],
        ...(c.transposed ? { output_padding: [c.transposed.outputPadding, c.transposed.outputPadding] } : {}),
      },
      outputDims: p.outShape,
    });
    for (const t of THREADS) {
      const r = await ortRunner(model, p.x.data, c.x, t);
      const err = maxRelError(await r.run(), p.ref);
      cell.set(key(p.label, 'onnxruntime', 'fwd', t), err <= 1e-4 ? await time(() => r.run(), it.warmup, it.iters) : `differs (${err.toExponential(1)})`);
      await r.release();
    }
  }
  console.error('onnxruntime done');

  // ---- PyTorch (forward, forward + backward) ----
  const torch = torchVersion();
  if (torch !== null) {
    const dir = mkdtempSync(join(existsSync('/dev/shm') ? '/dev/shm' : tmpdir(), 'normkit-conv-'));
    try {
      const put = (name: string, a: Float32Array): string => {
        const f = join(dir, name);
        writeFileSync(f, new Uint8Array(a.buffer, a.byteOffset, a.byteLength));
        return f;
      };
      const tasks = prep.flatMap((p, i) =>
        [false, true].map((backward) => ({
          name: `${p.label}|${backward ? 'fwd+bwd' : 'fwd'}`,
          kind: 'conv',
          input: put(`x${i}.f32`, p.x.data),
          shape: p.c.x,
          w: put(`w${i}.f32`, p.w.data),
          wShape: [...p.w.shape],
          b: put(`b${i}.f32`, p.b.data),
          gy: put(`g${i}.f32`, p.gy.data),
          gyShape: p.outShape,
          stride: p.c.stride,
          pad: p.c.pad,
          transposed: p.c.transposed !== undefined,
          outputPadding: p.c.transposed?.outputPadding ?? 0,
          backward,
          result: join(dir, `r${i}${backward ? 'b' : 'f'}.f32`),
        })),
      );
      writeFileSync(join(dir, 'job.json'), JSON.stringify({ tasks, threads: THREADS, warmup: it.warmup, iters: it.iters }));
      const r = spawnSync(PYTHON, [TORCH_SCRIPT, join(dir, 'job.json')], { encoding: 'utf8', maxBuffer: 1 << 24 });
      if (r.status !== 0) throw new Error(`python exited with ${r.status}: ${r.stderr.slice(-3000)}`);
      const out = JSON.parse(r.stdout) as { results: { name: string; threads: number; medianMs: number }[] };
      for (const task of tasks) {
        const [label, pass] = task.name.split('|') as [string, string];
        const raw = readFileSync(task.result);
        const got = new Float32Array(raw.buffer.slice(raw.byteOffset, raw.byteOffset + raw.byteLength));
        const err = maxRelError(got, prep.find((p) => p.label === label)!.ref);
        for (const res of out.results.filter((x) => x.name === task.name)) {
          cell.set(key(label, 'pytorch', pass, res.threads), err <= 1e-4 ? res.medianMs : `differs (${err.toExponential(1)})`);
        }
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
    console.error('pytorch done');
  }

  // ---- report ----
  const fmt = (label: string, impl: string, pass: string, t: number): string => {
    const v = cell.get(key(label, impl, pass, t));
    if (v === undefined) return impl === 'pytorch' && torch === null ? 'absent' : '-';
    if (typeof v === 'string') return v;
    const nk = cell.get(key(label, 'normkit', pass, t));
    return impl === 'normkit' || typeof nk !== 'number' ? v.toFixed(2) : `${v.toFixed(2)} (${(v / nk).toFixed(2)}x)`;
  };
  const table = (pass: string, impls: string[]): string[][] => {
    const head = ['shape', 'path', ...THREADS.flatMap((t) => impls.map((i) => `${i} ${t}T`)), ...(pass === 'fwd' ? ['normkit 1T flops/cycle'] : [])];
    const rows = prep.map((p) => {
      const ms = cell.get(key(p.label, 'normkit', 'fwd', 1));
      const fpc = typeof ms === 'number' ? (p.flops / (ms * 1e-3) / (clock * 1e6)).toFixed(1) : '-';
      return [p.label, p.path, ...THREADS.flatMap((t) => impls.map((i) => fmt(p.label, i, pass, t))), ...(pass === 'fwd' ? [fpc] : [])];
    });
    return [head, ...rows];
  };
  const print = (rows: string[][]): void => {
    const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => r[i]!.length)));
    for (const r of rows) console.log(r.map((v, i) => v.padEnd(widths[i]!)).join('  '));
  };
  console.log(`${cpus()[0]?.model ?? 'cpu'}, ${cpus().length} cores, Node ${process.version}, PyTorch ${torch ?? 'absent'}; load average ${loadAverage()}; measured clock ${clock.toFixed(0)} MHz`);
  console.log(`Forward, median ms; (ratio) = peer / normkit at equal threads (above 1: normkit is faster); flops/cycle of normkit's 1-thread forward against the ${peakLabel()}:`);
  print(table('fwd', ['normkit', 'onnxruntime', 'pytorch']));
  console.log('\nForward + backward (input, weight and bias gradients), median ms:');
  print(table('fwd+bwd', ['normkit', 'pytorch']));
  if (json) {
    const results = [...cell].map(([k, v]) => {
      const [task, impl, pass, t] = k.split('|');
      return { task, impl, pass, threads: Number(t), medianMs: typeof v === 'number' ? v : null, note: typeof v === 'string' ? v : undefined };
    });
    writeFileSync(json, JSON.stringify({ machine: { cpu: cpus()[0]?.model, cores: cpus().length, measuredMHz: clock, node: process.version, torch, load: loadAverage() }, paths: prep.map((p) => ({ task: p.label, path: p.path, flops: p.flops })), results }, null, 1));
  }
  return 0;
}

main().then(
  (code) => (process.exitCode = code),
  (err: unknown) => {
    console.error(`bench:conv: ${(err as Error).stack ?? String(err)}`);
    process.exitCode = 1;
  },
);
