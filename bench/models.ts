#!/usr/bin/env node
/**
 * `npm run bench:models [-- --quick] [-- --json FILE]`: whole models and the
 * convolutions of bench:conv, normkit against onnxruntime-node and PyTorch
 * (through /usr/bin/python3 when `import torch` works, else marked absent), at
 * 1 and 2 threads, in one script on the same inputs and weights:
 *
 * - the forward of examples/resnet-generator.json at 1x3x256x256 (onnxruntime
 *   runs bench/fixtures/resnet-generator-256.onnx, exported from PyTorch with
 *   the weights of bench/fixtures/resnet-generator.safetensors, which normkit
 *   and PyTorch load);
 * - the forward of fast-neural-style's TransformerNet
 *   (bench/fixtures/transformer-net.json) at 1x3x256x256: normkit's seeded
 *   init, handed to PyTorch as safetensors in a temp dir, and to onnxruntime
 *   as normkit's own toOnnx export;
 * - training steps (Adam lr 1e-3, MSE loss) of examples/style_net.json at
 *   8x3x32x32 and of TransformerNet at 2x3x64x64: normkit and PyTorch
 *   (onnxruntime-node has no training); the tasks: bench/model_tasks.ts;
 * - conv2d forward on bench:conv's shapes (onnxruntime: one-node models, bench/onnx.ts);
 * - the gemm alone: GFLOP/s and flops per cycle at /proc/cpuinfo's clock
 *   against 128-bit SIMD's peak (2 f32x4 multiplies + 2 adds, or 2 fused
 *   multiply-adds with relaxed SIMD, per cycle = 16 flops/cycle).
 *
 * Every peer's result is checked against normkit's before its time counts.
 * `--export` rebuilds the fixtures (needs PyTorch). Medians; ratio = peer / normkit
 * at equal threads (above 1: normkit is faster).
 */
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { noGrad } from '../src/tensor/grad_mode.js';
import { saveSafetensors } from '../src/io/safetensors.js';
import { normBackendInfo, setNumThreads, warmNormThreads } from '../src/kernels/backend.js';
import { gemm } from '../src/kernels/gemm.js';
import { conv2d, conv2dOutputShape } from '../src/ops/conv.js';
import { mseLoss } from '../src/ops/loss.js';
import { fromSpec } from '../src/spec/spec.js';
import { randn } from '../src/tensor/creation.js';
import { manualSeed } from '../src/tensor/random.js';
import { Tensor } from '../src/tensor/tensor.js';
import '../src/ops/methods.js';
import { buildModel, ortRunner } from './onnx.js';
import { generatorForward, modelTasks, RESNET_ONNX, ROOT, RESNET_SHAPE, RESNET_SPEC, RESNET_WEIGHTS, STYLE_SPEC, STYLE_WEIGHTS, styleTraining, TaskFiles, transformerForward, transformerTraining, type ForwardTask, type TrainTask } from './model_tasks.js';
import { cpuMHz, measuredMHz, peakLabel } from './clock.js';
import { maxRelError, median, time } from './timing.js';
import { PYTHON, torchVersion } from './torch.js';

const TORCH_SCRIPT = join(ROOT, 'bench', 'torch_models.py');
const THREADS = [1, 2];

/** bench:conv's shapes (bench/conv.ts). */
const CONV_CASES = [
  { x: [4, 3, 64, 64], cout: 32, k: 9, stride: 1, pad: 4 },
  { x: [4, 32, 64, 64], cout: 64, k: 3, stride: 2, pad: 1 },
  { x: [4, 64, 32, 32], cout: 128, k: 3, stride: 2, pad: 1 },
  { x: [4, 128, 16, 16], cout: 128, k: 3, stride: 1, pad: 1 },
];

interface Row {
  task: string;
  impl: 'normkit' | 'onnxruntime' | 'pytorch';
  threads: number;
  medianMs: number | null;
  /** Why there is no time (absent peer, result differs). */
  note?: string;
  maxErr?: number;
}

interface Opts {
  quick: boolean;
  json: string | null;
  exportFixtures: boolean;
  profile: boolean;
  /** Rounds of --interleave (0: off). */
  interleave: number;
}

function parseArgs(argv: string[]): Opts {
  const i = argv.indexOf('--json');
  const k = argv.indexOf('--interleave');
  const rounds = k >= 0 ? Number.parseInt(argv[k + 1] ?? '', 10) : 0;
  return {
    quick: argv.includes('--quick'),
    json: i >= 0 ? argv[i + 1] ?? null : null,
    exportFixtures: argv.includes('--export'),
    profile: argv.includes('--profile'),
    interleave: k < 0 ? 0 : Number.isFinite(rounds) && rounds > 0 ? rounds : 8,
  };
}

/**
 * `--interleave [ROUNDS]` (default 8): the whole-model tasks only, with the
 * implementations taking turns (normkit, onnxruntime, PyTorch: a few runs
 * each, ROUNDS times, at 1 then 2 threads; PyTorch in one long-lived
 * process, bench/torch_models.py --serve) so that a shared machine's load
 * falls on all of them alike; medians over every run. The peers' pool
 * threads do not spin between turns (OMP_WAIT_POLICY=PASSIVE, onnxruntime's
 * allow_spinning 0), or they would take the CPU from the next turn. On a
 * 2-core machine shared with other work this is the only comparison worth
 * reading.
 */
async function interleaved(rounds: number): Promise<void> {
  const per = 3;
  const dir = mkdtempSync(join(existsSync('/dev/shm') ? '/dev/shm' : tmpdir(), 'normkit-inter-'));
  const samples = new Map<string, number[]>();
  const add = (k: string, v: number[]): void => void samples.set(k, [...(samples.get(k) ?? []), ...v]);
  const runs = async (f: () => unknown, n: number): Promise<number[]> => {
    const t: number[] = [];
    for (let i = 0; i < n; i++) {
      const t0 = performance.now();
      await f();
      t.push(performance.now() - t0);
    }
    return t;
  };
  const loads: string[] = [loadAverage()];
  try {
    const { forwards, trains } = modelTasks(new TaskFiles(dir));
    // PyTorch: one process serving timed runs on request.
    const torch = torchVersion();
    let ask: ((name: string, threads: number, n: number) => Promise<number[]>) | null = null;
    const torchOk = new Set<string>();
    let child: ReturnType<typeof spawn> | null = null;
    if (torch !== null) {
      writeFileSync(join(dir, 'job.json'), JSON.stringify({ tasks: [...forwards, ...trains].map((t) => t.torch) }));
      // Passive OpenMP threads: spinning after each request, they would take the CPU from the next library's turn.
      child = spawn(PYTHON, [TORCH_SCRIPT, '--serve', join(dir, 'job.json')], { stdio: ['pipe', 'pipe', 'inherit'], env: { ...process.env, OMP_WAIT_POLICY: 'PASSIVE' } });
      const lines = createInterface({ input: child.stdout! })[Symbol.asyncIterator]();
      const next = async (): Promise<string> => {
        const r = await lines.next();
        if (r.done) throw new Error('the PyTorch server exited');
        return r.value as string;
      };
      if ((await next()) !== 'ready') throw new Error('the PyTorch server did not start');
      for (const [t, want, tol] of [...forwards.map((f) => [f, f.y, 1e-3] as const), ...trains.map((t) => [t, t.loss0, 1e-4] as const)]) {
        const err = maxRelError(readF32(t.torch['result'] as string), want);
        if (err <= tol) torchOk.add(t.name);
        else console.error(`PyTorch's ${t.name} result differs (${err.toExponential(2)}): its times are left out`);
      }
      ask = async (name, threads, n) => {
        child!.stdin!.write(`${name}\t${threads}\t${n}\n`);
        return JSON.parse(await next()) as number[];
      };
    }
    const ort = new Map<string, Awaited<ReturnType<typeof ortRunner>>>();
    for (const f of forwards) {
      for (const t of THREADS) {
        const r = await ortRunner(f.onnx, f.x.data, f.x.shape, t, false);
        const err = maxRelError(await r.run(), f.y);
        if (err <= 1e-3) ort.set(`${f.name}|${t}`, r);
        else console.error(`onnxruntime's ${f.name} output differs (${err.toExponential(2)}): its times are left out`);
      }
    }
    for (const t of THREADS) {
      setNumThreads(t);
      if (t > 1) await warmNormThreads();
      for (let i = 0; i < 2; i++) {
        for (const f of forwards) noGrad(() => f.net.call(f.x));
        for (const tr of trains) tr.step();
      }
      for (let r = 0; r < rounds; r++) {
        for (const f of forwards) {
          add(`${f.name}|normkit|${t}`, await runs(() => noGrad(() => f.net.call(f.x)), per));
          const o = ort.get(`${f.name}|${t}`);
          if (o) add(`${f.name}|onnxruntime|${t}`, await runs(() => o.run(), per));
          if (ask && torchOk.has(f.name)) add(`${f.name}|pytorch|${t}`, await ask(f.name, t, per));
        }
        for (const tr of trains) {
          add(`${tr.name}|normkit|${t}`, await runs(tr.step, per));
          if (ask && torchOk.has(tr.name)) add(`${tr.name}|pytorch|${t}`, await ask(tr.name, t, per));
        }
      }
      console.error(`${t}T done`);
    }
    setNumThreads(1);
    for (const o of ort.values()) await o.release();
    child?.stdin?.end();
    loads.push(loadAverage());
    const trainNames = new Set(trains.map((t) => t.name));
    const cell = (task: string, impl: string, t: number): string => {
      const v = samples.get(`${task}|${impl}|${t}`);
      if (!v) return impl === 'onnxruntime' && trainNames.has(task) ? 'no training' : '-';
      const m = median(v);
      const nk = median(samples.get(`${task}|normkit|${t}`)!);
      return impl === 'normkit' ? m.toFixed(2) : `${m.toFixed(2)} (${(m / nk).toFixed(2)}x)`;
    };
    const header = ['task', ...THREADS.flatMap((t) => [`normkit ${t}T`, `onnxruntime ${t}T`, `PyTorch ${t}T`]), 'normkit 2T/1T'];
    const rows = [...forwards, ...trains].map(({ name: task }) => [
      task,
      ...THREADS.flatMap((t) => ['normkit', 'onnxruntime', 'pytorch'].map((impl) => cell(task, impl, t))),
      (median(samples.get(`${task}|normkit|1`)!) / median(samples.get(`${task}|normkit|2`)!)).toFixed(2),
    ]);
    const table = [header, ...rows];
    const widths = header.map((_, i) => Math.max(...table.map((r) => r[i]!.length)));
    console.log(`${cpus()[0]?.model ?? 'cpu'}, ${cpus().length} cores, Node ${process.version}, PyTorch ${torch ?? 'absent'}; load average ${loads.join(' -> ')}`);
    console.log(`Interleaved: ${rounds} rounds of ${per} runs per implementation and thread count; medians of all runs; (ratio) = peer / normkit at equal threads (above 1: normkit is faster); last column: normkit's 2-thread speedup.`);
    for (const r of table) console.log(r.map((v, i) => v.padEnd(widths[i]!)).join('  '));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const loadAverage = (): string => readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ');

/** A raw float32 file (a PyTorch result). */
function readF32(file: string): Float32Array {
  const raw = readFileSync(file);
  return new Float32Array(raw.buffer.slice(raw.byteOffset, raw.byteOffset + raw.byteLength));
}

/**
 * `--profile`: the resnet-generator and TransformerNet forwards at
 * 1x3x256x256, then the two training steps (profileTraining). Each forward is
 * timed per leaf module (forward pre/post hooks; everything runs
 * synchronously) at 1 and 2 threads, runs interleaved (1T, 2T, 1T, ...) and
 * medians per module. Prints each op family's share and, from the 1- and
 * 2-thread totals, Amdahl's parallel fraction p = (1 - T2/T1) * 2.
 */
async function profile(quick: boolean): Promise<void> {
  const dir = mkdtempSync(join(existsSync('/dev/shm') ? '/dev/shm' : tmpdir(), 'normkit-profile-'));
  try {
    const files = new TaskFiles(dir);
    await profileForward(generatorForward(files), quick);
    await profileForward(transformerForward(files), quick);
    profileTraining(styleTraining(files), quick);
    profileTraining(transformerTraining(files), quick);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

async function profileForward(task: ForwardTask, quick: boolean): Promise<void> {
  const { net: gen, x } = task;
  const leaves = [...gen.namedModules()].filter(([, m]) => m.children().length === 0);
  const times = new Map<string, number>();
  let start = 0;
  for (const [path, m] of leaves) {
    m.registerForwardPreHook(() => void (start = performance.now()));
    m.registerForwardHook((_m, _in, out) => {
      const key = `${path} ${m.typeName} -> [${out.shape.join(', ')}]`;
      times.set(key, (times.get(key) ?? 0) + performance.now() - start);
    });
  }
  const runs = quick ? 5 : 15;
  const per = new Map<number, { total: number[]; between: number[]; ops: Map<string, number[]> }>();
  for (const t of THREADS) per.set(t, { total: [], between: [], ops: new Map() });
  for (const t of THREADS) {
    setNumThreads(t);
    if (t > 1) await warmNormThreads();
    for (let i = 0; i < 2; i++) noGrad(() => gen.call(x));
  }
  for (let r = 0; r < runs; r++) {
    for (const t of THREADS) {
      setNumThreads(t);
      if (t > 1) await warmNormThreads();
      times.clear();
      const t0 = performance.now();
      noGrad(() => gen.call(x)).dispose();
      const p = per.get(t)!;
      const total = performance.now() - t0;
      p.total.push(total);
      // Time outside every leaf module in this run (Residual's add, Sequential, GC pauses there).
      p.between.push(total - [...times.values()].reduce((a, b) => a + b, 0));
      for (const [k, v] of times) p.ops.set(k, [...(p.ops.get(k) ?? []), v]);
    }
  }
  setNumThreads(1);
  const keys = [...per.get(1)!.ops.keys()];
  const fam = (k: string): string => k.split(' ')[1]!;
  const cols = THREADS.map((t) => per.get(t)!);
  const lines: string[][] = [['module', ...THREADS.map((t) => `${t}T ms`), 'speedup']];
  const famSum = new Map<string, number[]>();
  for (const k of keys) {
    const ms = cols.map((c) => median(c.ops.get(k) ?? [0]));
    lines.push([k, ...ms.map((v) => v.toFixed(2)), (ms[0]! / ms[1]!).toFixed(2)]);
    const f = famSum.get(fam(k)) ?? THREADS.map(() => 0);
    ms.forEach((v, i) => (f[i]! += v));
    famSum.set(fam(k), f);
  }
  const totals = cols.map((c) => median(c.total));
  const between = cols.map((c) => median(c.between));
  lines.push(['(between modules)', ...between.map((v) => v.toFixed(2)), (between[0]! / between[1]!).toFixed(2)]);
  lines.push(['total', ...totals.map((v) => v.toFixed(2)), (totals[0]! / totals[1]!).toFixed(2)]);
  const widths = lines[0]!.map((_, i) => Math.max(...lines.map((l) => l[i]!.length)));
  console.log(`\n${task.name}, per module (median of ${runs} interleaved runs); load average ${loadAverage()}`);
  for (const l of lines) console.log(l.map((v, i) => v.padEnd(widths[i]!)).join('  '));
  console.log('\nby op family (share of the 1-thread total):');
  famSum.set('(between modules)', between);
  for (const [f, ms] of [...famSum].sort((a, b) => b[1][0]! - a[1][0]!)) {
    console.log(`  ${f.padEnd(18)} ${ms.map((v) => v.toFixed(2).padStart(8)).join(' ')}  ${((100 * ms[0]!) / totals[0]!).toFixed(1).padStart(5)}%  speedup ${(ms[0]! / ms[1]!).toFixed(2)}`);
  }
  const p = (1 - totals[1]! / totals[0]!) * 2;
  console.log(`Amdahl: 2-thread speedup ${(totals[0]! / totals[1]!).toFixed(2)}x; parallel fraction p = ${p.toFixed(2)} (1 / (1 - p/2))`);
}

/**
 * A training step on one thread, by part: forward per module family,
 * backward per autograd node (each node's closure wrapped after the forward),
 * the optimizer step; medians over runs.
 */
function profileTraining(task: TrainTask, quick: boolean): void {
  setNumThreads(1);
  const { xs, target, net, opt } = task;
  const acc = new Map<string, number>();
  const add = (k: string, ms: number): void => void acc.set(k, (acc.get(k) ?? 0) + ms);
  // Exclusive time per module type: a stack of (start, time spent in children).
  const stack: [number, number][] = [];
  for (const [, m] of net.namedModules()) {
    m.registerForwardPreHook(() => void stack.push([performance.now(), 0]));
    m.registerForwardHook(() => {
      const [t0, inner] = stack.pop()!;
      const total = performance.now() - t0;
      add(`fwd ${m.typeName}`, total - inner);
      if (stack.length) stack[stack.length - 1]![1] += total;
    });
  }
  const runs: Map<string, number>[] = [];
  for (let r = 0; r < (quick ? 5 : task.slow ? 11 : 21); r++) {
    acc.clear();
    const t0 = performance.now();
    opt.zeroGrad(true);
    const tz = performance.now();
    const y = net.call(xs);
    const ty = performance.now();
    const loss = mseLoss(y, target);
    const t1 = performance.now();
    add('zeroGrad', tz - t0);
    add('fwd mseLoss', t1 - ty);
    const seen = new Set<unknown>();
    const todo: Tensor[] = [loss];
    while (todo.length) {
      const t = todo.pop()!;
      const node = t.gradNode;
      if (!node || seen.has(node)) continue;
      seen.add(node);
      const inner = node.backward.bind(node);
      (node as { backward: typeof inner }).backward = (g) => {
        const b0 = performance.now();
        const out = inner(g);
        add(`bwd ${node.name}`, performance.now() - b0);
        return out;
      };
      todo.push(...node.inputs);
    }
    const t2 = performance.now();
    loss.backward();
    const t3 = performance.now();
    opt.step();
    const t4 = performance.now();
    add('forward (all)', t1 - t0);
    add('backward (all)', t3 - t2);
    add('optimizer step', t4 - t3);
    add('total', t4 - t0);
    if (r >= 2) runs.push(new Map(acc));
  }
  const keys = [...runs[0]!.keys()].sort((a, b) => median(runs.map((m) => m.get(b) ?? 0)) - median(runs.map((m) => m.get(a) ?? 0)));
  console.log(`\n${task.name}, one thread, by part (median ms of ${runs.length} runs):`);
  for (const k of keys) console.log(`  ${k.padEnd(24)} ${median(runs.map((m) => m.get(k) ?? 0)).toFixed(2).padStart(8)}`);
}

/** Seeded weights for both models, and the ONNX export of the generator by PyTorch. */
function exportFixtures(): void {
  manualSeed(1234);
  for (const [spec, out] of [
    [RESNET_SPEC, RESNET_WEIGHTS],
    [STYLE_SPEC, STYLE_WEIGHTS],
  ] as const) {
    const m = fromSpec((JSON.parse(readFileSync(spec, 'utf8')) as { model: unknown }).model);
    writeFileSync(out, saveSafetensors(m.stateDict()));
  }
  const r = spawnSync(PYTHON, [TORCH_SCRIPT, '--export', RESNET_SPEC, RESNET_WEIGHTS, RESNET_ONNX, ...RESNET_SHAPE.map(String)], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`export failed: ${r.stderr.slice(-3000)}`);
  console.error(`wrote ${RESNET_WEIGHTS}, ${STYLE_WEIGHTS}, ${RESNET_ONNX}`);
}

async function main(): Promise<number> {
  const o = parseArgs(process.argv.slice(2));
  if (o.exportFixtures) {
    exportFixtures();
    return 0;
  }
  if (o.profile) {
    await profile(o.quick);
    return 0;
  }
  if (o.interleave > 0) {
    await interleaved(o.interleave);
    return 0;
  }
  const it = o.quick ? { warmup: 1, iters: 3, slowIters: 3 } : { warmup: 3, iters: 15, slowIters: 7 };
  const rows: Row[] = [];
  const torch = torchVersion();
  const dir = mkdtempSync(join(existsSync('/dev/shm') ? '/dev/shm' : tmpdir(), 'normkit-models-'));
  const files = new TaskFiles(dir);
  const put = (name: string, a: Float32Array): string => files.put(name, a);
  const torchTasks: Record<string, unknown>[] = [];
  const refs = new Map<string, Float32Array>();
  try {
    // ---- gemm alone ----
    const mhz = cpuMHz();
    const clock = measuredMHz();
    const gemmRows: string[] = [];
    for (const [M, N, K] of [
      [256, 256, 256],
      [128, 4096, 1152],
    ] as const) {
      const A = randn([M, K]).data;
      const B = randn([K, N]).data;
      const C = new Float32Array(M * N);
      for (let i = 0; i < 5; i++) gemm(M, N, K, A, B, C);
      // CPU time (this process: one busy thread) is steadier than wall time on a shared machine.
      const runs = o.quick ? 5 : 20;
      const c0 = process.cpuUsage();
      const ms = await time(() => gemm(M, N, K, A, B, C), 0, runs);
      const cpu = process.cpuUsage(c0);
      const cpuMs = (cpu.user + cpu.system) / 1000 / runs;
      const gf = (2 * M * N * K) / ms / 1e6;
      const gfCpu = (2 * M * N * K) / cpuMs / 1e6;
      gemmRows.push(
        `gemm ${M}x${N}x${K}: ${gf.toFixed(1)} GFLOP/s wall median, ${gfCpu.toFixed(1)} GFLOP/s by CPU time; ` +
          `${((gfCpu * 1e3) / mhz).toFixed(1)} flops/cycle at /proc/cpuinfo's ${mhz.toFixed(0)} MHz, ` +
          `${((gfCpu * 1e3) / clock).toFixed(1)} at the measured ${clock.toFixed(0)} MHz (${peakLabel()})`,
      );
      rows.push({ task: `gemm ${M}x${N}x${K}`, impl: 'normkit', threads: 1, medianMs: ms });
    }

    // ---- whole models ----
    const { forwards, trains } = modelTasks(files);
    const modelIters = (t: ForwardTask | TrainTask): number => ('step' in t && !t.slow ? it.iters : it.slowIters);
    for (const f of forwards) {
      refs.set(f.name, f.y);
      torchTasks.push({ ...f.torch, iters: modelIters(f) });
    }
    for (const t of trains) {
      refs.set(t.name, t.loss0);
      torchTasks.push({ ...t.torch, iters: modelIters(t) });
    }

    // ---- convolutions ----
    manualSeed(9);
    const convs = CONV_CASES.map((c, i) => {
      const x = randn(c.x);
      const w = randn([c.cout, c.x[1]!, c.k, c.k]).mul(0.05);
      const b = randn([c.cout]).mul(0.1);
      const opts = { stride: c.stride, padding: c.pad };
      const name = `conv2d [${c.x.join(', ')}] ${c.k}x${c.k} s${c.stride} -> ${c.cout}`;
      const ref = noGrad(() => conv2d(x, w, b, opts)).data;
      refs.set(name, ref);
      torchTasks.push({
        name,
        kind: 'conv',
        input: put(`xc${i}.f32`, x.data),
        shape: c.x,
        w: put(`wc${i}.f32`, w.data),
        wShape: [...w.shape],
        b: put(`bc${i}.f32`, b.data),
        stride: c.stride,
        pad: c.pad,
        result: join(dir, `rc${i}.f32`),
      });
      return { c, x, w, b, opts, name, ref };
    });

    // ---- normkit, both thread counts ----
    for (const t of THREADS) {
      setNumThreads(t);
      if (t > 1 && !(await warmNormThreads())) console.error('worker threads unavailable: the 2-thread rows run on one');
      for (const f of forwards) rows.push({ task: f.name, impl: 'normkit', threads: t, medianMs: await time(() => noGrad(() => f.net.call(f.x)), it.warmup, modelIters(f)) });
      for (const tr of trains) rows.push({ task: tr.name, impl: 'normkit', threads: t, medianMs: await time(tr.step, it.warmup, modelIters(tr)) });
      for (const cv of convs) {
        rows.push({ task: cv.name, impl: 'normkit', threads: t, medianMs: await time(() => noGrad(() => conv2d(cv.x, cv.w, cv.b, cv.opts)), it.warmup, it.iters) });
      }
      console.error(`normkit ${t}T done`);
    }
    setNumThreads(1);

    // ---- onnxruntime ----
    for (const t of THREADS) {
      for (const f of forwards) {
        const r = await ortRunner(f.onnx, f.x.data, f.x.shape, t);
        const err = maxRelError(await r.run(), f.y);
        rows.push(err <= 1e-3 ? { task: f.name, impl: 'onnxruntime', threads: t, medianMs: await time(() => r.run(), it.warmup, it.slowIters), maxErr: err } : { task: f.name, impl: 'onnxruntime', threads: t, medianMs: null, note: 'differs', maxErr: err });
        await r.release();
      }
      for (const tr of trains) rows.push({ task: tr.name, impl: 'onnxruntime', threads: t, medianMs: null, note: 'no training' });
      for (const cv of convs) {
        const outShape = conv2dOutputShape(cv.x.shape, cv.w.shape, cv.opts);
        const m = buildModel(cv.c.x, {
          opType: 'Conv',
          opset: 17,
          initializers: [
            { name: 'W', dims: [...cv.w.shape], data: cv.w.data },
            { name: 'B', dims: [...cv.b.shape], data: cv.b.data },
          ],
          intListAttrs: { kernel_shape: [cv.c.k, cv.c.k], strides: [cv.c.stride, cv.c.stride], pads: [cv.c.pad, cv.c.pad, cv.c.pad, cv.c.pad] },
          outputDims: outShape,
        });
        const rc = await ortRunner(m, cv.x.data, cv.c.x, t);
        const e = maxRelError(await rc.run(), cv.ref);
        rows.push(e <= 1e-4 ? { task: cv.name, impl: 'onnxruntime', threads: t, medianMs: await time(() => rc.run(), it.warmup, it.iters), maxErr: e } : { task: cv.name, impl: 'onnxruntime', threads: t, medianMs: null, note: 'differs', maxErr: e });
        await rc.release();
      }
      console.error(`onnxruntime ${t}T done`);
    }

    // ---- PyTorch ----
    if (torch === null) {
      for (const name of refs.keys()) for (const t of THREADS) rows.push({ task: name, impl: 'pytorch', threads: t, medianMs: null, note: 'absent' });
    } else {
      const job = { tasks: torchTasks, threads: THREADS, warmup: it.warmup, iters: it.iters };
      writeFileSync(join(dir, 'job.json'), JSON.stringify(job));
      const r = spawnSync(PYTHON, [TORCH_SCRIPT, join(dir, 'job.json')], { encoding: 'utf8', maxBuffer: 1 << 24 });
      if (r.status !== 0) throw new Error(`python exited with ${r.status}: ${r.stderr.slice(-3000)}`);
      const out = JSON.parse(r.stdout) as { results: { name: string; threads: number; medianMs: number }[] };
      for (const tt of torchTasks) {
        const ref = refs.get(tt.name as string)!;
        const err = maxRelError(readF32(tt['result'] as string), ref);
        // The training step compares its first loss; layers and the generator their outputs.
        const tol = tt.kind === 'forward' ? 1e-3 : 1e-4;
        for (const res of out.results.filter((x) => x.name === tt.name)) {
          rows.push(err <= tol ? { task: res.name, impl: 'pytorch', threads: res.threads, medianMs: res.medianMs, maxErr: err } : { task: res.name, impl: 'pytorch', threads: res.threads, medianMs: null, note: 'differs', maxErr: err });
        }
      }
      console.error('pytorch done');
    }

    // ---- report ----
    const tasks = [...new Set(rows.map((r) => r.task))];
    const cell = (task: string, impl: Row['impl'], t: number): string => {
      const r = rows.find((x) => x.task === task && x.impl === impl && x.threads === t);
      if (!r) return '-';
      if (r.medianMs === null) return r.note ?? '-';
      const nk = rows.find((x) => x.task === task && x.impl === 'normkit' && x.threads === t)?.medianMs;
      return impl === 'normkit' || !nk ? r.medianMs.toFixed(2) : `${r.medianMs.toFixed(2)} (${(r.medianMs / nk).toFixed(2)}x)`;
    };
    const header = ['task', ...THREADS.flatMap((t) => [`normkit ${t}T`, `onnxruntime ${t}T`, `PyTorch ${t}T`])];
    const table = [header, ...tasks.filter((t) => !t.startsWith('gemm')).map((task) => [task, ...THREADS.flatMap((t) => [cell(task, 'normkit', t), cell(task, 'onnxruntime', t), cell(task, 'pytorch', t)])])];
    const widths = header.map((_, i) => Math.max(...table.map((r) => r[i]!.length)));
    const info = normBackendInfo();
    console.log(`${cpus()[0]?.model ?? 'cpu'}, ${cpus().length} cores, Node ${process.version}, PyTorch ${torch ?? 'absent'}; load average ${readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ')}`);
    console.log('Median ms; (ratio) = peer / normkit at equal threads (above 1: normkit is faster).');
    for (const r of table) console.log(r.map((v, i) => v.padEnd(widths[i]!)).join('  '));
    for (const g of gemmRows) console.log(g);
    if (o.json) {
      writeFileSync(o.json, JSON.stringify({ machine: { cpu: cpus()[0]?.model, cores: cpus().length, mhz, measuredMHz: clock, node: process.version, torch, threadedCalls: info.threadedCalls }, gemm: gemmRows, results: rows }, null, 1));
    }
    return 0;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

main().then(
  (code) => (process.exitCode = code),
  (err: unknown) => {
    console.error(`bench:models: ${(err as Error).stack ?? String(err)}`);
    process.exitCode = 1;
  },
);
