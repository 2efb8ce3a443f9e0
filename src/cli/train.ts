/**
 * `normkit train`: trains examples/style_net.json to reproduce a fixed image
 * filter on generated shapes, with a progress bar (or one line per epoch when
 * the output is not a terminal), then writes a safetensors checkpoint, the
 * loss curve and a sample grid. Exits 1 if the loss did not fall by 30%.
 */
import { existsSync, mkdirSync, statSync } from 'node:fs';
import { join, parse, relative, resolve, sep } from 'node:path';
import { SingleBar } from 'cli-progress';
import { InvalidArgumentError, Option, type Command } from 'commander';
import pc from 'picocolors';
import { saveCheckpoint } from '../train/checkpoint.js';
import { TrainingDiverged, train, type EpochInfo, type LossName, type TrainConfig, type TrainResult } from '../train/loop.js';
import { STYLE_NET_PATH } from '../train/model.js';
import { renderLossCurve, renderSampleGrid, writePng } from '../train/report.js';

/** The last-epoch loss must be at most this fraction of the first epoch's. */
export const REQUIRED_RATIO = 0.7;

export interface TrainCliOptions {
  epochs: number;
  stepsPerEpoch: number;
  batchSize: number;
  lr: number;
  size: number;
  seed: number;
  loss: LossName;
  out: string;
  progress: boolean;
}

function intOption(name: string, min: number, max: number, extra?: (v: number) => string | null) {
  return (raw: string): number => {
    const v = Number(raw);
    if (!/^\s*[+-]?\d+\s*$/.test(raw) || !Number.isSafeInteger(v)) throw new InvalidArgumentError(`${name} must be an integer, got '${raw}'.`);
    if (v < min || v > max) throw new InvalidArgumentError(`${name} must be between ${min} and ${max}, got ${v}.`);
    const why = extra?.(v);
    if (why) throw new InvalidArgumentError(why);
    return v;
  };
}

function parseLr(raw: string): number {
  const v = Number(raw);
  if (raw.trim() === '' || !Number.isFinite(v) || v <= 0 || v > 1) throw new InvalidArgumentError(`learning rate must be a number in (0, 1], got '${raw}'.`);
  return v;
}

const fmtLoss = (v: number) => (v >= 0.01 ? v.toFixed(4) : v.toExponential(3));

function epochLine(e: EpochInfo, epochs: number): string {
  return `epoch ${String(e.epoch).padStart(String(epochs).length)}/${epochs}  loss ${fmtLoss(e.trainLoss)}  held-out ${fmtLoss(e.heldOutLoss)}  ${e.imagesPerSecond.toFixed(1)} img/s  ${e.seconds.toFixed(1)} s`;
}

/**
 * Creates the output directory one level at a time, before any training:
 * Node's recursive mkdir can spin forever where a parent cannot hold
 * directories (e.g. under /proc); a plain mkdir fails at once.
 */
function ensureDir(dir: string): void {
  let cur = parse(resolve(dir)).root;
  for (const part of resolve(dir).slice(cur.length).split(sep).filter(Boolean)) {
    cur = join(cur, part);
    if (existsSync(cur)) {
      if (!statSync(cur).isDirectory()) throw new Error(`${cur} is not a directory`);
    } else mkdirSync(cur);
  }
}

/** Runs the command; returns its exit code (0, or 1 when the loss did not fall enough, 2 for an unusable --out). */
export async function runTrain(o: TrainCliOptions, io: { out: (line: string) => void; tty: boolean; /** Error messages (default: out). */ err?: (line: string) => void }): Promise<number> {
  try {
    ensureDir(o.out);
  } catch (e) {
    (io.err ?? io.out)(`normkit train: cannot write to --out ${o.out}: ${(e as Error).message}`);
    return 2;
  }
  const cfg: TrainConfig = { epochs: o.epochs, stepsPerEpoch: o.stepsPerEpoch, batchSize: o.batchSize, lr: o.lr, size: o.size, seed: o.seed, loss: o.loss };
  const rel = relative(process.cwd(), STYLE_NET_PATH);
  const settings = `  ${o.size}x${o.size} generated shapes -> stylized targets, seed ${o.seed}; ${o.epochs} epochs x ${o.stepsPerEpoch} steps x batch ${o.batchSize}; Adam lr ${o.lr}; ${o.loss} loss`;
  const useBar = o.progress && io.tty;
  let bar: SingleBar | null = null;
  const run = train(cfg, {
    onStart: (model) => {
      const n = model.parameters().reduce((acc, p) => acc + p.numel(), 0);
      io.out(pc.bold(`normkit train: ${rel.startsWith('..') ? STYLE_NET_PATH : rel} (${n.toLocaleString('en-US')} parameters)`));
      io.out(settings);
    },
    onStep: (s) => {
      if (!useBar) return;
      if (bar === null) {
        bar = new SingleBar({
          format: `epoch {epoch}/${o.epochs} [{bar}] {value}/{total} | loss {loss} | {speed} img/s{heldOut}`,
          barsize: 24,
          hideCursor: true,
          stream: process.stdout,
        });
        bar.start(o.stepsPerEpoch, 0, { epoch: s.epoch, loss: '-', speed: '-', heldOut: '' });
      }
      bar.update(s.step, { loss: fmtLoss(s.loss), speed: s.imagesPerSecond.toFixed(1) });
    },
    onEpoch: (e) => {
      if (bar !== null) {
        // The finished bar stays on screen as the epoch's record.
        bar.update(o.stepsPerEpoch, { loss: `${fmtLoss(e.trainLoss)} (mean)`, speed: e.imagesPerSecond.toFixed(1), heldOut: ` | held-out ${fmtLoss(e.heldOutLoss)} | ${e.seconds.toFixed(1)} s` });
        bar.stop();
        bar = null;
      } else {
        io.out(epochLine(e, o.epochs));
      }
    },
  });

  // Ctrl-C while the bar hides the cursor (and line wrap): stop the bar, give both back, exit 130 as a shell does.
  const onSigint = () => {
    (bar as SingleBar | null)?.stop();
    process.stdout.write('\x1B[?25h\x1B[?7h\n');
    process.stderr.write('normkit train: interrupted\n');
    process.exit(130);
  };
  if (useBar) process.once('SIGINT', onSigint);
  let result: TrainResult;
  try {
    result = await run;
  } catch (e) {
    if (!(e instanceof TrainingDiverged)) throw e;
    (bar as SingleBar | null)?.stop(); // assigned in the hooks, which TypeScript does not track
    process.removeListener('SIGINT', onSigint);
    io.out(pc.red(`FAIL: ${e.message} (try a lower --lr)`));
    return 1;
  }
  process.removeListener('SIGINT', onSigint);
  const first = result.epochs[0]!.trainLoss;
  const last = result.epochs[result.epochs.length - 1]!.trainLoss;
  const ratio = last / first;
  const heldBefore = result.initialHeldOutLoss;
  const heldAfter = result.epochs[result.epochs.length - 1]!.heldOutLoss;
  const heldRatio = heldAfter / heldBefore;
  const pct = (r: number) => `${((1 - r) * 100).toFixed(1)}%`;
  const change = (r: number) => (r <= 1 ? `fell by ${pct(r)}` : `rose by ${((r - 1) * 100).toFixed(1)}%`);
  const images = o.epochs * o.stepsPerEpoch * o.batchSize;
  io.out(`trained ${images} images in ${result.seconds.toFixed(1)} s (${(images / result.seconds).toFixed(1)} img/s)`);
  io.out(`loss: first epoch ${fmtLoss(first)} -> last epoch ${fmtLoss(last)}  (ratio ${ratio.toFixed(3)}, ${pct(ratio)} lower)`);
  io.out(`held-out loss: untrained ${fmtLoss(heldBefore)} -> trained ${fmtLoss(heldAfter)}  (ratio ${heldRatio.toFixed(3)})`);

  const paths = { checkpoint: join(o.out, 'model.safetensors'), curve: join(o.out, 'loss_curve.png'), samples: join(o.out, 'samples.png') };
  saveCheckpoint(paths.checkpoint, result.model, result.spec, {
    normkit_train: JSON.stringify({ ...cfg, firstEpochLoss: first, lastEpochLoss: last }),
  });
  writePng(paths.curve, renderLossCurve(result.stepLosses, result.epochs, result.initialHeldOutLoss, o.loss));
  writePng(paths.samples, renderSampleGrid(result.heldOut.inputs, result.heldOutOutput, result.heldOut.targets));
  io.out(`wrote ${paths.checkpoint}  (safetensors state dict; the model spec is in its metadata)`);
  io.out(`wrote ${paths.curve}`);
  io.out(`wrote ${paths.samples}  (held-out input | output | target)`);

  // A first epoch that blew up makes any later loss look like progress; the held-out loss of the untrained model keeps that honest.
  const required = pct(REQUIRED_RATIO);
  const failures: string[] = [];
  if (!(ratio <= REQUIRED_RATIO)) failures.push(`the training loss ${change(ratio)} from the first to the last epoch`);
  if (!(heldRatio <= REQUIRED_RATIO)) failures.push(`the held-out loss ${change(heldRatio)} from the untrained model`);
  if (failures.length) {
    io.out(pc.red(`FAIL: ${failures.join('; ')} (at least ${required} required)`));
    return 1;
  }
  io.out(pc.green(`ok: the loss fell by ${pct(ratio)} (held-out: ${pct(heldRatio)}; at least ${required} required)`));
  return 0;
}

export function registerTrain(program: Command): void {
  program
    .command('train')
    .description('train a small image-transformation network (examples/style_net.json) on generated shapes; writes a safetensors checkpoint, a loss curve and sample images')
    .option('--epochs <n>', 'epochs (at least 2: the check compares the first and last)', intOption('--epochs', 2, 10_000), 8)
    .option('--steps-per-epoch <n>', 'optimizer steps per epoch', intOption('--steps-per-epoch', 1, 1_000_000), 25)
    .option('--batch-size <n>', 'images per step', intOption('--batch-size', 1, 1024), 8)
    .option('--lr <rate>', "Adam's learning rate", parseLr, 3e-3)
    .option(
      '--size <px>',
      'image height and width (even: the network halves and doubles it)',
      intOption('--size', 8, 512, (v) => (v % 2 === 0 ? null : `--size must be even (the network downsamples by 2 and upsamples by 2), got ${v}.`)),
      32,
    )
    .option('--seed <n>', 'seed for the weights and the generated data', intOption('--seed', 0, 2 ** 31 - 1), 0)
    .addOption(new Option('--loss <name>', 'training loss').choices(['mse', 'l1']).default('mse'))
    .option('--out <dir>', 'output directory', 'out/train')
    .option('--no-progress', 'no progress bar: one line per epoch (also the default when stdout is not a terminal)')
    .action(async (opts: TrainCliOptions) => {
      const code = await runTrain(opts, { out: (line) => process.stdout.write(`${line}\n`), err: (line) => process.stderr.write(`${line}\n`), tty: process.stdout.isTTY === true });
      if (code !== 0) process.exitCode = code;
    });
}
