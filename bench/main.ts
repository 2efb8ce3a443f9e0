#!/usr/bin/env node
/**
 * `npm run bench [-- --quick] [-- --json FILE] [-- --markdown FILE]`: normkit's normalization layers
 * against onnxruntime-node, TensorFlow.js (wasm) and PyTorch CPU, in one run on
 * the same inputs, plus the bandwidth floor (copying the tensor's bytes).
 * Every peer's result is checked against normkit's reference path (TypeScript
 * kernels, one thread) before it is timed. Medians via tinybench.
 */
import { cpus, totalmem } from 'node:os';
import { writeFileSync } from 'node:fs';
import { Bench } from 'tinybench';
import { setNormBackend, setNormThreads, warmNormThreads, normBackendInfo } from '../src/kernels/backend.js';
import { CASES, SHAPES, makeData, normkitRunner, type BenchCase, type PassResult, type Shape4 } from './cases.js';
import { buildModel, ortRunner } from './onnx.js';
import { onnxSpec, tfjsRunner } from './peers.js';
import { loadTfjs, type Tf } from './tfjs.js';
import { runTorch, torchVersion } from './torch.js';
import { formatMarkdown, formatTable, type Output, type Row } from './report.js';
import { emptyStorageCache } from '../src/tensor/storage.js';

const TOL = 1e-4;

interface Options {
  quick: boolean;
  json: string | null;
  markdown: string | null;
}

function parseArgs(argv: string[]): Options {
  const o: Options = { quick: false, json: null, markdown: null };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === '--quick') o.quick = true;
    else if (a === '--json') {
      o.json = argv[++i] ?? null;
      if (!o.json) throw new Error('--json needs a file name');
    } else if (a === '--markdown') {
      o.markdown = argv[++i] ?? null;
      if (!o.markdown) throw new Error('--markdown needs a file name');
    } else throw new Error(`unknown argument ${a} (expected --quick, --json FILE, --markdown FILE)`);
  }
  return o;
}

/**
 * The worst |got - want| of a pass, relative to the scale of each array
 * (max(1, max |want|)): a wrong formula shows up as an O(1) error, while
 * float32 accumulation in another order (tfjs sums a weight gradient of
 * ~10^2 over 10^5 elements in float32) stays far below 1e-4. Infinity on a
 * size mismatch or NaN.
 */
function maxError(got: PassResult, want: PassResult): number {
  if (got.length !== want.length) return Infinity;
  let worst = 0;
  got.forEach((g, k) => {
    const w = want[k]!;
    if (g.length !== w.length) {
      worst = Infinity;
      return;
    }
    let scale = 1;
    for (let i = 0; i < w.length; i++) scale = Math.max(scale, Math.abs(w[i]!));
    for (let i = 0; i < w.length; i++) {
      const e = Math.abs(g[i]! - w[i]!) / scale;
      if (!(e <= worst)) worst = Number.isNaN(e) ? Infinity : e;
    }
  });
  return worst;
}

/**
 * Median ms of `fn` with tinybench. Quick runs take at least 3 samples or
 * 50 ms after the checked run (2 samples for tasks that took over 10 ms on
 * it, 1 over 40 ms); the checked run is their warm-up, plus 30 ms of calls
 * for tasks under 20 ms (the first calls of a fresh closure run colder).
 */
function timer(quick: boolean) {
  return async (fn: () => unknown, firstMs = 0): Promise<number> => {
    const bench = quick
      ? new Bench({
          time: 50,
          iterations: firstMs > 40 ? 1 : firstMs > 10 ? 2 : 3,
          warmup: firstMs < 20,
          warmupTime: 30,
          warmupIterations: 3,
          throws: true,
        })
      : new Bench({ time: 400, iterations: 10, warmupTime: 100, warmupIterations: 3, throws: true });
    bench.add('task', fn);
    await bench.run();
    const r = bench.tasks[0]!.result;
    const ms = r?.latency.p50;
    if (ms === undefined) throw new Error('tinybench returned no latency');
    return ms;
  };
}

/** Runs `fn` once, timed (the check run). */
async function once<T>(fn: () => T | Promise<T>): Promise<[T, number]> {
  const t0 = performance.now();
  const r = await fn();
  return [r, performance.now() - t0];
}

async function main(): Promise<number> {
  const o = parseArgs(process.argv.slice(2));
  const time = timer(o.quick);
  const info = normBackendInfo();
  const machine = `${cpus()[0]?.model ?? 'unknown CPU'}, ${cpus().length} cores, ${(totalmem() / 2 ** 30).toFixed(0)} GB, Node ${process.version}`;
  console.log(`normkit bench${o.quick ? ' (quick)' : ''} on ${machine}`);
  console.log(`normkit kernels: ${info.backend}${info.wasmAvailable ? '' : ` (wasm unavailable: ${info.wasmError})`}; the second thread considered from ${info.minElements} output elements, taken where it measures faster`);
  console.log(`each result is checked first against normkit's reference path (TypeScript kernels, one thread): max |diff| <= ${TOL} x max(1, max |ref|) per array`);
  if (!info.wasmAvailable) console.log('warning: timing the TypeScript fallback (run `npm run build` to compile norm.wasm)');

  let tf: Tf | null = null;
  try {
    tf = await loadTfjs();
  } catch (err) {
    console.log(`tfjs-wasm: absent (${(err as Error).message})`);
  }
  const torch = torchVersion();
  console.log(`peers: onnxruntime-node, ${tf ? 'tfjs-wasm' : 'tfjs-wasm absent'}, ${torch ? `pytorch ${torch}` : 'pytorch absent (/usr/bin/python3 cannot import torch)'}`);
  const threadsOk = await warmNormThreads();
  if (!threadsOk) console.log('note: worker threads unavailable; normkit "2 threads" runs on one');

  const rows: Row[] = [];
  const floors: { shape: Shape4; medianMs: number; bytes: number }[] = [];
  const notes: string[] = [];
  const started = performance.now();

  const phase = new Map<string, number>();
  const lap = (() => {
    let t = performance.now();
    return (k: string) => {
      const now = performance.now();
      phase.set(k, (phase.get(k) ?? 0) + now - t);
      t = now;
    };
  })();
  for (const shape of SHAPES) {
    phase.clear();
    const d = makeData(shape);
    const dst = new Float32Array(d.x.length);
    const floorMs = await time(() => dst.set(d.x));
    floors.push({ shape, medianMs: floorMs, bytes: d.x.byteLength });
    const refs: PassResult[] = [];
    for (const c of CASES) {
      const key = `${c.op} ${c.pass} [${shape.join(', ')}]`;
      setNormBackend('js');
      setNormThreads(1);
      lap('other');
      const ref = normkitRunner(c, d)();
      refs.push(ref.map((a) => Float32Array.from(a)));
      lap('reference');
      const add = (impl: Row['impl'], threads: number, medianMs: number, output: Output = 'fresh') =>
        rows.push({ op: c.op, pass: c.pass, shape, impl, threads, output, medianMs });
      const checked = (impl: string, threads: number, got: PassResult, output: Output = 'fresh'): boolean => {
        const err = maxError(got, ref);
        if (err <= TOL) return true;
        notes.push(`${key}: ${impl} (${threads} thread${threads > 1 ? 's' : ''}, ${output} output) differs from the reference by ${err.toExponential(2)}; not timed`);
        return false;
      };
      // Forward passes also run with their output memory reused: normkit disposing the previous
      // output (tensor storage recycling), onnxruntime writing into a pre-allocated output.
      const outputs: Output[] = c.pass === 'forward' ? ['fresh', 'reused'] : ['fresh'];

      setNormBackend(info.wasmAvailable ? 'wasm' : 'js');
      for (const output of outputs) {
        for (const threads of [1, 2]) {
          setNormThreads(threads);
          const run = normkitRunner(c, d, output === 'reused');
          const [got, ms] = await once(run);
          if (checked('normkit', threads, got, output)) add('normkit', threads, await time(run, ms), output);
        }
        emptyStorageCache();
      }
      setNormThreads(2);
      lap('normkit');

      const spec = onnxSpec(c, d);
      if (spec) {
        const model = buildModel(shape, spec);
        for (const threads of [1, 2]) {
          const r = await ortRunner(model, d.x, shape, threads);
          try {
            for (const output of outputs) {
              const run = output === 'reused' ? () => r.runInto() : () => r.run();
              const [got, ms] = await once(run);
              if (checked('onnxruntime-node', threads, [got], output)) add('onnxruntime-node', threads, await time(run, ms), output);
            }
          } finally {
            await r.release();
          }
        }
      }

      lap('onnxruntime');
      if (tf) {
        const r = tfjsRunner(tf, c, d);
        try {
          const [got, ms] = await once(() => r.run());
          if (checked('tfjs-wasm', 1, got)) add('tfjs-wasm', 1, await time(() => r.run(), ms));
        } finally {
          r.dispose();
        }
      }
      lap('tfjs');
    }
    if (torch) {
      const res = runTorch(d, CASES, refs, { threads: [1, 2], warmup: o.quick ? 0 : 3, iters: o.quick ? 1 : 10, tol: TOL });
      for (const r of res) {
        const key = `${r.op} ${r.pass} [${shape.join(', ')}]`;
        if (r.medianMs === undefined) notes.push(`${key}: pytorch (${r.threads} threads) differs from the reference by ${r.maxErr.toExponential(2)}; not timed`);
        else rows.push({ op: r.op as BenchCase['op'], pass: r.pass as BenchCase['pass'], shape, impl: 'pytorch', threads: r.threads, output: 'fresh', medianMs: r.medianMs });
      }
      lap('pytorch');
    }
    console.error(`  [${shape.join(', ')}] done after ${((performance.now() - started) / 1000).toFixed(1)} s`);
    if (process.env.BENCH_DEBUG) console.error([...phase].map(([k, v]) => `${k} ${(v / 1000).toFixed(1)}s`).join(', '));
  }

  const largest = floors.reduce((a, b) => (b.bytes > a.bytes ? b : a));
  // A copy reads and writes every byte once.
  const bandwidthGBs = (2 * largest.bytes) / (largest.medianMs * 1e6);
  console.log(formatTable(rows, floors, { bandwidthGBs, machine, torch, quick: o.quick }));
  for (const n of notes) console.log(`note: ${n}`);
  if (o.json) {
    const results = rows.map((r) => ({ op: r.op, pass: r.pass, shape: r.shape, impl: r.impl, threads: r.threads, output: r.output, medianMs: r.medianMs }));
    writeFileSync(o.json, `${JSON.stringify({ bandwidthGBs, machine, floors: floors.map((f) => ({ shape: f.shape, medianMs: f.medianMs })), results }, null, 2)}\n`);
    console.log(`wrote ${o.json}`);
  }
  if (o.markdown) {
    writeFileSync(o.markdown, `${formatMarkdown(rows, floors, { bandwidthGBs, machine, date: new Date().toISOString().slice(0, 10) })}\n`);
    console.log(`wrote ${o.markdown}`);
  }
  return 0;
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    console.error(`bench: ${(err as Error).stack ?? String(err)}`);
    process.exit(2);
  },
);
