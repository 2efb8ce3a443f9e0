#!/usr/bin/env node
/**
 * `npm run bench:conv [-- --quick]`: normkit's Conv2d (its default path per
 * shape: WebAssembly im2col + gemm, Winograd, direct; one thread) against onnxruntime-node's Conv on the same
 * shapes and weights, in one process: the convolutions of a small
 * style-transfer network. Medians via tinybench; ratio = peer / normkit.
 * onnxruntime's result is checked against normkit's before it is timed.
 */
import { Bench } from 'tinybench';
import { noGrad } from '../src/tensor/grad_mode.js';
import { setNumThreads } from '../src/kernels/backend.js';
import { conv2d, conv2dOutputShape } from '../src/ops/conv.js';
import { randn } from '../src/tensor/creation.js';
import { manualSeed } from '../src/tensor/random.js';
import { Tensor } from '../src/tensor/tensor.js';
import '../src/ops/methods.js';
import { buildModel, ortRunner } from './onnx.js';

interface ConvCase {
  name: string;
  x: [number, number, number, number];
  cout: number;
  k: number;
  stride: number;
  pad: number;
}

const CASES: ConvCase[] = [
  { name: 'in 9x9', x: [4, 3, 64, 64], cout: 32, k: 9, stride: 1, pad: 4 },
  { name: 'down 3x3 s2', x: [4, 32, 64, 64], cout: 64, k: 3, stride: 2, pad: 1 },
  { name: 'down 3x3 s2', x: [4, 64, 32, 32], cout: 128, k: 3, stride: 2, pad: 1 },
  { name: 'residual 3x3', x: [4, 128, 16, 16], cout: 128, k: 3, stride: 1, pad: 1 },
];

async function median(fn: () => unknown, quick: boolean): Promise<number> {
  const bench = quick
    ? new Bench({ time: 150, iterations: 3, warmupTime: 50, warmupIterations: 1, throws: true })
    : new Bench({ time: 500, iterations: 10, warmupTime: 150, warmupIterations: 3, throws: true });
  bench.add('task', fn);
  await bench.run();
  const ms = bench.tasks[0]!.result?.latency.p50;
  if (ms === undefined) throw new Error('tinybench returned no latency');
  return ms;
}

function maxRelError(a: Float32Array, b: Float32Array): number {
  let scale = 1;
  for (const v of b) scale = Math.max(scale, Math.abs(v));
  let worst = 0;
  for (let i = 0; i < a.length; i++) worst = Math.max(worst, Math.abs(a[i]! - b[i]!) / scale);
  return worst;
}

async function main(): Promise<number> {
  const quick = process.argv.includes('--quick');
  setNumThreads(1);
  manualSeed(0);
  const rows: string[][] = [['shape', 'conv', 'normkit fwd', 'normkit fwd+bwd', 'onnxruntime 1T', 'onnxruntime 2T']];
  for (const c of CASES) {
    const x = randn(c.x);
    const w = randn([c.cout, c.x[1], c.k, c.k]).mul(0.05);
    const b = randn([c.cout]).mul(0.1);
    const opts = { stride: c.stride, padding: c.pad };
    const outShape = conv2dOutputShape(x.shape, w.shape, opts);
    const ref = noGrad(() => conv2d(x, w, b, opts));
    const fwd = await median(() => noGrad(() => conv2d(x, w, b, opts)), quick);
    const xg = new Tensor(x.data, x.shape).requiresGrad_();
    const wg = new Tensor(w.data, w.shape).requiresGrad_();
    const bg = new Tensor(b.data, b.shape).requiresGrad_();
    const gy = randn(outShape);
    const fb = await median(() => {
      xg.grad = wg.grad = bg.grad = null;
      conv2d(xg, wg, bg, opts).backward(gy);
    }, quick);
    const model = buildModel(c.x, {
      opType: 'Conv',
      opset: 17,
      initializers: [
        { name: 'W', dims: [...w.shape], data: w.data },
        { name: 'B', dims: [...b.shape], data: b.data },
      ],
      intListAttrs: { kernel_shape: [c.k, c.k], strides: [c.stride, c.stride], pads: [c.pad, c.pad, c.pad, c.pad] },
      outputDims: outShape,
    });
    const ortMs: string[] = [];
    for (const threads of [1, 2]) {
      const r = await ortRunner(model, x.data, c.x, threads);
      const err = maxRelError(await r.run(), ref.data);
      if (!(err <= 1e-4)) {
        ortMs.push(`differs (${err.toExponential(2)})`);
      } else {
        const ms = await median(() => r.run(), quick);
        ortMs.push(`${ms.toFixed(2)} (${(ms / fwd).toFixed(2)}x)`);
      }
      await r.release();
    }
    rows.push([`[${c.x.join(', ')}] -> [${outShape.join(', ')}]`, `${c.k}x${c.k} s${c.stride} p${c.pad}`, fwd.toFixed(2), fb.toFixed(2), ...ortMs]);
    console.error(`done ${c.name} ${c.x.join('x')}`);
  }
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => r[i]!.length)));
  console.log('Conv2d forward, median ms; (ratio) = onnxruntime / normkit forward. normkit runs on one thread.');
  for (const r of rows) console.log(r.map((v, i) => v.padEnd(widths[i]!)).join('  '));
  return 0;
}

main().then(
  (code) => (process.exitCode = code),
  (err: unknown) => {
    console.error(`bench:conv: ${(err as Error).stack ?? String(err)}`);
    process.exitCode = 1;
  },
);
