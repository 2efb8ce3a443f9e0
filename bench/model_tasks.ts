/**
 * The whole-model tasks of bench:models (bench/models.ts), built once per run
 * and seeded alike wherever they run (the normal mode, --interleave, --profile):
 *
 * - forwards: examples/resnet-generator.json at 1x3x256x256 (weights and the
 *   ONNX file PyTorch exported: bench/fixtures), and fast-neural-style's
 *   TransformerNet (bench/fixtures/transformer-net.json) at 1x3x256x256:
 *   normkit's seeded init, written as safetensors into the run's temp dir for
 *   PyTorch, and normkit's own `toOnnx` export for onnxruntime;
 * - training steps (Adam lr 1e-3, MSE against a random target): style_net
 *   8x3x32x32 (bench/fixtures weights) and TransformerNet 2x3x64x64 (the
 *   seeded weights above).
 *
 * Each task carries the description bench/torch_models.py builds its PyTorch
 * twin from (its `torch` field; files in the run's temp dir).
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { toOnnx } from '../src/formats/onnx/index.js';
import { loadSafetensors, saveSafetensors } from '../src/io/safetensors.js';
import type { Module } from '../src/nn/module.js';
import { mseLoss } from '../src/ops/loss.js';
import { Adam } from '../src/optim/adam.js';
import { fromSpec } from '../src/spec/spec.js';
import { randn } from '../src/tensor/creation.js';
import { noGrad } from '../src/tensor/grad_mode.js';
import { manualSeed } from '../src/tensor/random.js';
import type { Tensor } from '../src/tensor/tensor.js';
import '../src/ops/methods.js';

export const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
export const FIX = join(ROOT, 'bench', 'fixtures');
export const RESNET_SPEC = join(ROOT, 'examples', 'resnet-generator.json');
export const STYLE_SPEC = join(ROOT, 'examples', 'style_net.json');
export const TRANSFORMER_SPEC = join(FIX, 'transformer-net.json');
export const RESNET_WEIGHTS = join(FIX, 'resnet-generator.safetensors');
export const RESNET_ONNX = join(FIX, 'resnet-generator-256.onnx');
export const STYLE_WEIGHTS = join(FIX, 'style_net.safetensors');
export const RESNET_SHAPE = [1, 3, 256, 256];
export const STYLE_SHAPE = [8, 3, 32, 32];
export const TRANSFORMER_SHAPE = [1, 3, 256, 256];
export const TRANSFORMER_TRAIN_SHAPE = [2, 3, 64, 64];

export interface ForwardTask {
  name: string;
  net: Module;
  x: Tensor;
  /** normkit's output, which every peer's must match (1e-3 of its scale). */
  y: Float32Array;
  onnx: Uint8Array;
  /** bench/torch_models.py's task (kind 'forward'). */
  torch: Record<string, unknown>;
}

export interface TrainTask {
  name: string;
  xs: Tensor;
  target: Tensor;
  net: Module;
  opt: Adam;
  step: () => Tensor;
  /** normkit's first loss, which PyTorch's must match (1e-4). */
  loss0: Float32Array;
  /** Runs long enough to be timed with the forwards' fewer iterations. */
  slow: boolean;
  torch: Record<string, unknown>;
}

export function model(specPath: string, weights: string): Module {
  const m = fromSpec(readSpec(specPath));
  m.loadStateDict(loadSafetensors(readFileSync(weights)).tensors);
  return m;
}

function readSpec(specPath: string): unknown {
  return (JSON.parse(readFileSync(specPath, 'utf8')) as { model: unknown }).model;
}

/** TransformerNet's seeded weights (normkit's init), written once into `dir`. */
function transformerWeights(dir: string): string {
  const file = join(dir, 'transformer-net.safetensors');
  manualSeed(11);
  writeFileSync(file, saveSafetensors(fromSpec(readSpec(TRANSFORMER_SPEC)).stateDict()));
  return file;
}

function forward(name: string, spec: string, weights: string, shape: number[], seed: number, onnx: (net: Module) => Uint8Array, f: TaskFiles, result: string): ForwardTask {
  manualSeed(seed);
  const net = model(spec, weights).eval();
  const x = randn(shape);
  const y = noGrad(() => net.call(x)).data;
  const torch = { name, kind: 'forward', spec, weights, input: f.put(`${result}-x.f32`, x.data), shape, result: f.path(`${result}.f32`) };
  return { name, net, x, y, onnx: onnx(net), torch };
}

function training(name: string, spec: string, weights: string, shape: number[], seed: number, slow: boolean, f: TaskFiles, result: string): TrainTask {
  manualSeed(seed);
  const xs = randn(shape);
  const target = randn(noGrad(() => model(spec, weights).call(xs)).shape);
  const net = model(spec, weights).train();
  const opt = new Adam(net.parameters(), { lr: 1e-3 });
  const step = (): Tensor => {
    opt.zeroGrad(true);
    const loss = mseLoss(net.call(xs), target);
    loss.backward();
    opt.step();
    return loss;
  };
  // The first step's loss is the check; the net is one step on from the weights PyTorch loads, as its twin will be after its first run.
  const loss0 = Float32Array.from(step().data);
  const torch = {
    name,
    kind: 'train',
    spec,
    weights,
    input: f.put(`${result}-x.f32`, xs.data),
    shape,
    target: f.put(`${result}-t.f32`, target.data),
    targetShape: target.shape,
    lr: 1e-3,
    result: f.path(`${result}.f32`),
  };
  return { name, xs, target, net, opt, step, loss0, slow, torch };
}

export const GEN = 'resnet-generator forward 1x3x256x256';
export const TNET = 'TransformerNet forward 1x3x256x256';
export const STYLE_TRAIN = 'style_net train step 8x3x32x32 (Adam, MSE)';
export const TNET_TRAIN = 'TransformerNet train step 2x3x64x64 (Adam, MSE)';

const tnetOnnx = (net: Module): Uint8Array => toOnnx(net, { inputs: { X: TRANSFORMER_SHAPE }, outputNames: ['Y'] });

/** The run's temp dir, where the PyTorch side's inputs, weights and results go. */
export class TaskFiles {
  constructor(readonly dir: string) {}
  /** The path of `name` in the dir. */
  path(name: string): string {
    return join(this.dir, name);
  }
  /** Writes `a` as raw float32; returns its path. */
  put(name: string, a: Float32Array): string {
    const f = this.path(name);
    writeFileSync(f, new Uint8Array(a.buffer, a.byteOffset, a.byteLength));
    return f;
  }
  #tnet: string | null = null;
  /** TransformerNet's seeded weights, written on first use. */
  transformerWeights(): string {
    return (this.#tnet ??= transformerWeights(this.dir));
  }
}

export const generatorForward = (f: TaskFiles): ForwardTask => forward(GEN, RESNET_SPEC, RESNET_WEIGHTS, RESNET_SHAPE, 7, () => new Uint8Array(readFileSync(RESNET_ONNX)), f, 'gen');
export const transformerForward = (f: TaskFiles): ForwardTask => forward(TNET, TRANSFORMER_SPEC, f.transformerWeights(), TRANSFORMER_SHAPE, 12, tnetOnnx, f, 'tnet');
export const styleTraining = (f: TaskFiles): TrainTask => training(STYLE_TRAIN, STYLE_SPEC, STYLE_WEIGHTS, STYLE_SHAPE, 8, false, f, 'style');
export const transformerTraining = (f: TaskFiles): TrainTask => training(TNET_TRAIN, TRANSFORMER_SPEC, f.transformerWeights(), TRANSFORMER_TRAIN_SHAPE, 13, true, f, 'tnet-train');

/** Every whole-model task, in the report's order. */
export function modelTasks(f: TaskFiles): { forwards: ForwardTask[]; trains: TrainTask[] } {
  return { forwards: [generatorForward(f), transformerForward(f)], trains: [styleTraining(f), transformerTraining(f)] };
}
