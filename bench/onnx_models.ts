#!/usr/bin/env node
/**
 * `npm run bench:onnx [-- FILE.onnx ...] [-- --rounds N]`: ONNX files run by
 * normkit (importOnnx, then runGraph under noGrad: the memory planner on) and
 * by onnxruntime-node, at 1 and 2 threads, taking turns (N rounds of 3 runs
 * each), after checking that both give the same output. Without files: the
 * architectures of bench/torch_archs.py (ResNet-18, MobileNetV2 and an
 * EfficientNet- and a ConvNeXt-style net at 1x3x224x224), exported by
 * PyTorch into a temp dir, with PyTorch's own forward times beside (needs
 * /usr/bin/python3 with torch). Dynamic dims of a file's inputs are taken as 1.
 * Medians; (ratio) = peer / normkit at equal threads (above 1: normkit is faster).
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import * as ort from 'onnxruntime-node';
import { importOnnx } from '../src/formats/onnx/index.js';
import { runGraph } from '../src/graph/interpret.js';
import { loadNpy } from '../src/io/npy.js';
import { setNumThreads, warmNormThreads } from '../src/kernels/backend.js';
import { randn } from '../src/tensor/creation.js';
import { noGrad } from '../src/tensor/grad_mode.js';
import { manualSeed } from '../src/tensor/random.js';
import type { Tensor } from '../src/tensor/tensor.js';
import { ROOT } from './model_tasks.js';
import { maxRelError, median } from './timing.js';
import { PYTHON, torchVersion } from './torch.js';

const THREADS = [1, 2];

interface Model {
  name: string;
  bytes: Uint8Array;
  x: Tensor;
  /** PyTorch's output and times by thread count, for the exported architectures. */
  torch?: { y: Float32Array; ms: Record<number, number> };
}

function exported(rounds: number): { models: Model[]; cleanup: () => void } {
  if (torchVersion() === null) throw new Error(`bench:onnx without files exports its models with PyTorch, and ${PYTHON} has no torch: give .onnx files`);
  const dir = mkdtempSync(join(existsSync('/dev/shm') ? '/dev/shm' : tmpdir(), 'normkit-onnx-'));
  const r = spawnSync(PYTHON, [join(ROOT, 'bench', 'torch_archs.py'), dir, String(rounds * 3)], { stdio: ['ignore', 'ignore', 'pipe'], env: { ...process.env, OMP_WAIT_POLICY: 'PASSIVE' } });
  if (r.status !== 0) throw new Error(`bench/torch_archs.py failed: ${r.stderr.toString().slice(-600)}`);
  const times = (JSON.parse(readFileSync(join(dir, 'torch.json'), 'utf8')) as { times: Record<string, Record<number, number>> }).times;
  const npy = (f: string) => loadNpy(new Uint8Array(readFileSync(join(dir, f))));
  const models = Object.keys(times).map((name) => ({
    name,
    bytes: new Uint8Array(readFileSync(join(dir, `${name}.onnx`))),
    x: npy(`${name}.x.npy`),
    torch: { y: npy(`${name}.y.npy`).data, ms: times[name]! },
  }));
  return { models, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

function fromFiles(files: string[]): Model[] {
  manualSeed(3);
  return files.map((f) => {
    const bytes = new Uint8Array(readFileSync(f));
    const gi = importOnnx(bytes).graph.inputs[0]!;
    return { name: basename(f), bytes, x: randn((gi.shape ?? [1, 3, 224, 224]).map((d) => (typeof d === 'number' ? d : 1))) };
  });
}

async function main(): Promise<void> {
  const argv = process.argv.slice(2);
  const k = argv.indexOf('--rounds');
  const rounds = k >= 0 ? Math.max(1, Number.parseInt(argv[k + 1] ?? '5', 10) || 5) : 5;
  const files = argv.filter((a, i) => a.endsWith('.onnx') && argv[i - 1] !== '--rounds');
  const { models, cleanup } = files.length ? { models: fromFiles(files), cleanup: () => {} } : exported(rounds);
  const load = () => readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ');
  const loads = [load()];
  const rows: string[][] = [];
  try {
    for (const m of models) {
      const { graph } = importOnnx(m.bytes);
      const run = () => noGrad(() => runGraph(graph, [m.x], { training: false }))[0]!;
      const y = Float32Array.from(run().data);
      if (m.torch) {
        const e = maxRelError(y, m.torch.y);
        if (!(e <= 1e-3)) throw new Error(`${m.name}: normkit's output differs from PyTorch's (${e})`);
      }
      const ms: Record<string, number[]> = {};
      for (const t of THREADS) {
        setNumThreads(t);
        if (t > 1) await warmNormThreads();
        const s = await ort.InferenceSession.create(m.bytes, { intraOpNumThreads: t, interOpNumThreads: 1, extra: { session: { intra_op: { allow_spinning: '0' } } } });
        const feeds = { [s.inputNames[0]!]: new ort.Tensor('float32', m.x.data, m.x.shape) };
        const ry = (await s.run(feeds))[s.outputNames[0]!]!.data as Float32Array;
        const e = maxRelError(ry, y);
        if (!(e <= 1e-3)) throw new Error(`${m.name}: onnxruntime's output differs from normkit's (${e})`);
        for (let i = 0; i < 2; i++) run(), await s.run(feeds);
        for (let r = 0; r < rounds; r++) {
          for (let i = 0; i < 3; i++) {
            let t0 = performance.now();
            run();
            (ms[`n${t}`] ??= []).push(performance.now() - t0);
            t0 = performance.now();
            await s.run(feeds);
            (ms[`o${t}`] ??= []).push(performance.now() - t0);
          }
        }
        await s.release();
      }
      setNumThreads(1);
      const cell = (peer: number | undefined, nk: number) => (peer === undefined ? '-' : `${peer.toFixed(1)} (${(peer / nk).toFixed(2)}x)`);
      rows.push([
        m.name,
        ...THREADS.flatMap((t) => {
          const nk = median(ms[`n${t}`]!);
          return [nk.toFixed(1), cell(median(ms[`o${t}`]!), nk), cell(m.torch?.ms[t], nk)];
        }),
      ]);
      console.error(`${m.name} done`);
    }
  } finally {
    cleanup();
  }
  loads.push(load());
  const header = ['model', ...THREADS.flatMap((t) => [`normkit ${t}T`, `onnxruntime ${t}T`, `PyTorch ${t}T`])];
  console.log(`${cpus()[0]?.model ?? 'cpu'}, ${cpus().length} cores, Node ${process.version}; load average ${loads.join(' -> ')}`);
  console.log(`Forward at 1x3x224x224 (files: their own input sizes); ${rounds} rounds of 3 runs, normkit and onnxruntime taking turns; medians in ms; (ratio) = peer / normkit (above 1: normkit is faster).`);
  console.log(`| ${header.join(' | ')} |\n| ${header.map(() => '---').join(' | ')} |`);
  for (const r of rows) console.log(`| ${r.join(' | ')} |`);
}

main().catch((e: unknown) => {
  console.error(e instanceof Error ? e.message : e);
  process.exitCode = 1;
});
