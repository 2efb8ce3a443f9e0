/**
 * `normkit run MODEL --input 1x3x256x256 [--seed N] [--from FILE] [--weights FILE] [--out FILE]`:
 * runs a model with normkit's kernels on a random input (or one read from a
 * .npy or safetensors file) and prints each output's shape, a summary of its
 * values and the time. Exit codes: 0 it ran; 1 it raised (PyTorch's error,
 * the raising module; `normkit check` explains why); 2 bad usage or file.
 */
import { readFileSync } from 'node:fs';
import type { Command } from 'commander';
import { graphOf } from '../analysis/analyze.js';
import { interpret } from '../graph/interpret.js';
import { loadFile, saveFile } from '../io/file.js';
import { loadNpy } from '../io/npy.js';
import { noGrad } from '../tensor/grad_mode.js';
import { randn } from '../tensor/creation.js';
import { manualSeed } from '../tensor/random.js';
import type { Tensor } from '../tensor/tensor.js';
import { inputText, loadModel, loadSource, parseInputs, parseMode, resolveInputs, usageExit, UsageError } from './model_source.js';

export interface RunOptions {
  input?: string;
  mode?: string;
  seed?: string;
  from?: string;
  weights?: string;
  out?: string;
}

export interface RunIO {
  out: (text: string) => void;
  err: (text: string) => void;
}

/** An input tensor from a .npy file or a safetensors file (its one tensor, or the tensor named like the input). */
function readInput(path: string, name: string): Tensor {
  let bytes: Uint8Array;
  try {
    bytes = readFileSync(path);
  } catch (e) {
    throw new UsageError(`--from: cannot read ${path}: ${(e as Error).message}`);
  }
  if (path.endsWith('.npy')) return loadNpy(bytes, path);
  const { tensors } = loadFile(path);
  const t = tensors.get(name) ?? (tensors.size === 1 ? [...tensors.values()][0] : undefined);
  if (t === undefined) throw new UsageError(`--from: ${path} holds ${[...tensors.keys()].join(', ')}; none is named '${name}'`);
  return t;
}

function summary(t: Tensor): string {
  const d = t.data;
  let min = Infinity;
  let max = -Infinity;
  let sum = 0;
  let sq = 0;
  let bad = 0;
  for (const v of d) {
    if (!Number.isFinite(v)) {
      bad++;
      continue;
    }
    if (v < min) min = v;
    if (v > max) max = v;
    sum += v;
    sq += v * v;
  }
  const n = d.length - bad;
  const mean = n ? sum / n : NaN;
  const std = n ? Math.sqrt(Math.max(0, sq / n - mean * mean)) : NaN;
  const f = (x: number) => (Number.isFinite(x) ? x.toPrecision(4) : String(x));
  return `min ${f(min)}, max ${f(max)}, mean ${f(mean)}, std ${f(std)}${bad ? `, ${bad} non-finite` : ''}`;
}

export function runRun(modelArg: string, opts: RunOptions, io: RunIO): number {
  try {
    const src = loadSource(modelArg);
    const seed = opts.seed === undefined ? 0 : Number(opts.seed);
    if (!Number.isInteger(seed) || seed < 0) throw new UsageError(`--seed must be a non-negative integer, got '${opts.seed}'`);
    manualSeed(seed);
    const { model } = loadModel(src, { meta: false });
    if (opts.weights !== undefined) {
      const { tensors } = loadFile(opts.weights);
      model.loadStateDict(tensors);
    }
    const graph = graphOf(model);
    const mode = parseMode(opts.mode, 'eval');
    if (opts.from !== undefined && graph.inputs.length !== 1) throw new UsageError(`--from reads one input; ${src.name} takes ${graph.inputs.length} (${graph.inputs.map((i) => i.name).join(', ')})`);
    const fromFile = opts.from !== undefined ? readInput(opts.from, graph.inputs[0]!.name) : undefined;
    const given = opts.input !== undefined ? parseInputs(opts.input) : fromFile ? { '': [...fromFile.shape] } : src.input;
    const shapes = resolveInputs(graph, given, src.name);
    const inputs: Record<string, Tensor> = {};
    for (const [name, shape] of Object.entries(shapes)) inputs[name] = fromFile ?? randn(shape);
    const t0 = performance.now();
    const r = noGrad(() => interpret(graph, inputs, { training: mode === 'train', freeIntermediates: true }));
    const ms = performance.now() - t0;
    const used = Object.entries(inputs).map(([k, t]) => `${k}=${t.shape.join('x')}`).join(', ');
    io.out(`normkit run ${src.name}  input ${opts.from ? `${inputText(shapes)} from ${opts.from}` : `${inputText(shapes)} (random, seed ${seed})`}, ${mode} mode\n`);
    if (r.error) {
      const e = r.error;
      io.out(`Raises: ${e.type} in ${e.moduleType ?? '?'} at ${e.modulePath === '' ? 'the root' : e.modulePath}\n  ${e.type}: ${e.message}\n`);
      io.out(`Run \`normkit check ${modelArg} --input ${Object.entries(shapes).length === 1 ? Object.values(shapes)[0]!.join('x') : Object.entries(shapes).map(([k, v]) => `${k}=${v.join('x')}`).join(',')}\` to see why and how to fix it.\n`);
      return 1;
    }
    const outs = r.outputs!;
    const outName = (k: number) => (outs.length === 1 ? 'output' : graph.outputs[k]!);
    outs.forEach((t, k) => io.out(`output ${outName(k)}: ${t.shape.join('x')}  ${summary(t)}\n`));
    io.out(`time: ${ms.toFixed(1)} ms\n`);
    if (opts.out !== undefined) {
      saveFile(opts.out, Object.fromEntries(outs.map((t, k) => [outName(k), t])), { model: src.name, input: used });
      io.out(`wrote ${opts.out}\n`);
    }
    return 0;
  } catch (e) {
    return usageExit('run', e, io.err);
  }
}

export function registerRun(program: Command): void {
  program
    .command('run <model>')
    .description('run a model with normkit\'s kernels: output shapes, a summary of values and the time')
    .option('-i, --input <shape>', 'input size, e.g. 1x3x256x256, or sizes by input name: x=1x3x64x64,c=1x5')
    .option('-m, --mode <mode>', 'train or eval (default: eval)')
    .option('--seed <n>', 'seed of the random input and of the weights a spec is built with (default 0)')
    .option('--from <file>', 'read the input from a .npy or safetensors file instead')
    .option('--weights <file>', 'load a safetensors state dict (e.g. from normkit train) into a spec model')
    .option('-o, --out <file>', 'write the outputs to a safetensors file')
    .action((model: string, opts: RunOptions) => {
      process.exitCode = runRun(model, opts, { out: (s) => process.stdout.write(s), err: (s) => process.stderr.write(s) });
    });
}
