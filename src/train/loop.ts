/**
 * The training loop of `normkit train`: Adam on a stream of generated
 * (scene, stylized scene) batches, a fixed held-out batch evaluated after
 * every epoch, and per-step / per-epoch callbacks for a progress display.
 */
import { backward } from '../autograd/backward.js';
import { RuntimeError, ValueError, fmtSize } from '../errors.js';
import { noGrad } from '../tensor/grad_mode.js';
import type { Module } from '../nn/module.js';
import { l1Loss, mseLoss } from '../ops/loss.js';
import { Adam } from '../optim/adam.js';
import { manualSeed } from '../tensor/random.js';
import { Tensor } from '../tensor/tensor.js';
import { ShapesDataset, type Batch } from './data.js';
import { buildStyleNet, readSpec } from './model.js';

export type LossName = 'mse' | 'l1';

export interface TrainConfig {
  epochs: number;
  stepsPerEpoch: number;
  batchSize: number;
  lr: number;
  /** Image height and width. */
  size: number;
  seed: number;
  loss?: LossName;
  /** Held-out images (evaluated every epoch, drawn in the sample grid). */
  heldOutCount?: number;
  /** A model spec to train instead of examples/style_net.json (must map [N, 3, S, S] to the same size). */
  spec?: unknown;
}

export interface StepInfo {
  epoch: number;
  /** 1-based step within the epoch. */
  step: number;
  loss: number;
  /** Images per second since the epoch started. */
  imagesPerSecond: number;
}

export interface EpochInfo {
  epoch: number;
  /** Mean training loss over the epoch's steps. */
  trainLoss: number;
  /** Loss on the held-out batch after the epoch. */
  heldOutLoss: number;
  seconds: number;
  imagesPerSecond: number;
}

export interface TrainHooks {
  /** Called once the model is built, before the first step. */
  onStart?: (model: Module) => void;
  onStep?: (s: StepInfo) => void;
  onEpoch?: (e: EpochInfo) => void;
}

export interface TrainResult {
  model: Module;
  spec: unknown;
  stepLosses: number[];
  epochs: EpochInfo[];
  /** Held-out loss of the untrained model. */
  initialHeldOutLoss: number;
  heldOut: Batch;
  /** The trained model's output on the held-out inputs. */
  heldOutOutput: Tensor;
  seconds: number;
}

/** The loss became NaN or infinite (usually: the learning rate is too high). */
export class TrainingDiverged extends RuntimeError {
  static readonly typeName: string = 'TrainingDiverged';
}

const LOSSES = { mse: mseLoss, l1: l1Loss } as const;

// Distinct streams for the training and held-out images of one seed.
export const trainDataSeed = (seed: number) => seed * 2 + 1;
export const heldOutDataSeed = (seed: number) => seed * 2 + 2;

/**
 * Runs the model on a meta batch first (shapes and PyTorch's checks only, no
 * data), so a size the network cannot take fails at once with the raising
 * layer's path — the same trace `normkit check` runs.
 */
function checkShapes(model: Module, cfg: TrainConfig): void {
  const shape = [cfg.batchSize, 3, cfg.size, cfg.size];
  const out = noGrad(() => model.call(Tensor.meta(shape)));
  if (out.shape.join() !== shape.join()) {
    throw new ValueError(`the model maps input size ${fmtSize(shape)} to ${fmtSize(out.shape)}; training needs an output of the input's size`);
  }
}

/** Lets timers (the progress bar's redraw) run between steps. */
const yieldToEventLoop = () => new Promise<void>((resolve) => setImmediate(resolve));

export async function train(cfg: TrainConfig, hooks: TrainHooks = {}): Promise<TrainResult> {
  const lossFn = LOSSES[cfg.loss ?? 'mse'];
  const spec = cfg.spec ?? readSpec();
  manualSeed(cfg.seed);
  const model = buildStyleNet(spec);
  model.train();
  checkShapes(model, cfg);
  hooks.onStart?.(model);
  const opt = new Adam(model.parameters(), { lr: cfg.lr });
  const data = new ShapesDataset(cfg.size, trainDataSeed(cfg.seed));
  const heldOut = new ShapesDataset(cfg.size, heldOutDataSeed(cfg.seed)).batch(cfg.heldOutCount ?? 6);
  const evaluate = () => noGrad(() => model.call(heldOut.inputs));
  const heldOutLoss = (out: Tensor) => noGrad(() => lossFn(out, heldOut.targets).item());

  const initialHeldOutLoss = heldOutLoss(evaluate());
  const stepLosses: number[] = [];
  const epochs: EpochInfo[] = [];
  const start = performance.now();
  let heldOutOutput = evaluate();
  for (let epoch = 1; epoch <= cfg.epochs; epoch++) {
    const epochStart = performance.now();
    let sum = 0;
    for (let step = 1; step <= cfg.stepsPerEpoch; step++) {
      const { inputs, targets } = data.batch(cfg.batchSize);
      opt.zeroGrad();
      const loss = lossFn(model.call(inputs), targets);
      backward(loss);
      opt.step();
      const value = loss.item();
      if (!Number.isFinite(value)) throw new TrainingDiverged(`training diverged: loss is ${value} at epoch ${epoch}, step ${step}`);
      stepLosses.push(value);
      sum += value;
      const elapsed = (performance.now() - epochStart) / 1000;
      hooks.onStep?.({ epoch, step, loss: value, imagesPerSecond: (step * cfg.batchSize) / elapsed });
      await yieldToEventLoop();
    }
    heldOutOutput = evaluate();
    const seconds = (performance.now() - epochStart) / 1000;
    const info: EpochInfo = {
      epoch,
      trainLoss: sum / cfg.stepsPerEpoch,
      heldOutLoss: heldOutLoss(heldOutOutput),
      seconds,
      imagesPerSecond: (cfg.stepsPerEpoch * cfg.batchSize) / seconds,
    };
    epochs.push(info);
    hooks.onEpoch?.(info);
  }
  return { model, spec, stepLosses, epochs, initialHeldOutLoss, heldOut, heldOutOutput, seconds: (performance.now() - start) / 1000 };
}
