/**
 * `normkit export MODEL out.onnx [--input 1x3x256x256] [--dynamic N,H,W] [--weights ckpt.safetensors] [--opset 17]`:
 * writes a model (a JSON spec, tree or general form) as an ONNX file in eval
 * mode, node names as torch writes them, for onnxruntime or any serving
 * engine. `--dynamic` turns those dims (N = batch, C, H, W, L = length) into
 * dim_param names. Exit codes: 0 written; 2 bad usage, a bad file or a layer
 * the exporter does not write (named).
 */
import { writeFileSync } from 'node:fs';
import type { Command } from 'commander';
import { graphOf } from '../analysis/analyze.js';
import { toOnnx } from '../formats/onnx/index.js';
import { loadFile } from '../io/file.js';
import { manualSeed } from '../tensor/random.js';
import { loadModel, loadSource, parseInputs, resolveInputs, usageExit, UsageError } from './model_source.js';

export interface ExportCliOptions {
  input?: string;
  dynamic?: string;
  weights?: string;
  opset?: string;
  seed?: string;
}

const DIM_NAMES: Record<string, (rank: number) => number> = { N: () => 0, C: () => 1, H: (r) => r - 2, W: (r) => r - 1, L: (r) => r - 1, D: (r) => r - 3 };

export function runExport(modelArg: string, outFile: string, opts: ExportCliOptions, io: { out: (s: string) => void; err: (s: string) => void }): number {
  try {
    const src = loadSource(modelArg);
    if (src.onnx !== undefined) throw new UsageError(`${src.name} is an ONNX file already`);
    const seed = opts.seed === undefined ? 0 : Number(opts.seed);
    if (!Number.isInteger(seed) || seed < 0) throw new UsageError(`--seed must be a non-negative integer, got '${opts.seed}'`);
    manualSeed(seed);
    const { model } = loadModel(src, { meta: false });
    if (opts.weights !== undefined) model.loadStateDict(loadFile(opts.weights).tensors);
    model.eval();
    const graph = graphOf(model);
    const shapes = resolveInputs(graph, opts.input !== undefined ? parseInputs(opts.input) : src.input, src.name);
    const dynamic = opts.dynamic === undefined ? [] : opts.dynamic.split(',').map((d) => d.trim().toUpperCase()).filter((d) => d !== '');
    const bad = dynamic.filter((d) => DIM_NAMES[d] === undefined);
    if (bad.length) throw new UsageError(`--dynamic takes dims among N, C, H, W, D, L, got ${bad.join(', ')}`);
    const inputs: Record<string, (number | string)[]> = {};
    for (const [name, shape] of Object.entries(shapes)) {
      const dims: (number | string)[] = [...shape];
      for (const d of dynamic) {
        // Spatial dims only on inputs that have them (a label vector [N, 5] keeps its 5).
        if (['H', 'W', 'D', 'L'].includes(d) && shape.length < 3) continue;
        const at = DIM_NAMES[d]!(shape.length);
        if (at >= 0 && at < shape.length) dims[at] = Object.keys(shapes).length > 1 ? `${name}_${d}` : d;
      }
      inputs[name] = dims;
    }
    const opset = opts.opset === undefined ? 17 : Number(opts.opset);
    const bytes = toOnnx(model, { inputs, opset, producerName: 'normkit' });
    try {
      writeFileSync(outFile, bytes);
    } catch (e) {
      throw new UsageError(`cannot write ${outFile}: ${(e as Error).message}`);
    }
    const text = Object.entries(inputs).map(([k, v]) => `${k}=${v.join('x')}`).join(', ');
    io.out(`normkit export ${src.name}: wrote ${outFile} (${(bytes.length / 1024).toFixed(1)} KB, opset ${opset}, input ${text}, eval mode)\n`);
    return 0;
  } catch (e) {
    return usageExit('export', e, io.err);
  }
}

export function registerExport(program: Command): void {
  program
    .command('export <model> <out>')
    .description('write a model (a JSON spec) as an ONNX file in eval mode, for onnxruntime or a serving engine')
    .option('-i, --input <shape>', 'input size, e.g. 1x3x256x256, or by input name: x=1x3x64x64,c=1x5 (default: the check file\'s "input")')
    .option('--dynamic <dims>', 'dims to leave dynamic, among N, C, H, W, D, L (e.g. N,H,W)')
    .option('--weights <file>', 'load a safetensors state dict first (e.g. out/train/model.safetensors from normkit train)')
    .option('--opset <n>', 'ONNX opset, 13-18 (default 17)')
    .option('--seed <n>', 'seed of the weights when no --weights are given (default 0)')
    .action((model: string, out: string, opts: ExportCliOptions) => {
      process.exitCode = runExport(model, out, opts, { out: (s) => process.stdout.write(s), err: (s) => process.stderr.write(s) });
    });
}
