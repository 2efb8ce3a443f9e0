/**
 * `normkit demo`: the write-up's three examples, run with normkit, and what
 * they really do — then the two things the write-up gets wrong.
 */
import type { Command } from 'commander';
import pc from 'picocolors';
import { analyze } from '../analysis/analyze.js';
import { NormkitError } from '../errors.js';
import { FlexibleInstanceNorm } from '../nn/flexible_instancenorm.js';
import { InstanceNorm2d } from '../nn/instancenorm.js';
import { Sequential } from '../nn/container.js';
import { Upsample } from '../nn/upsample.js';
import { onWarning, type NormkitWarning } from '../nn/warnings.js';
import { randn } from '../tensor/creation.js';
import { manualSeed } from '../tensor/random.js';
import type { Tensor } from '../tensor/tensor.js';

type Out = (line?: string) => void;

function tryRun(out: Out, label: string, fn: () => Tensor): Tensor | null {
  try {
    const y = fn();
    out(`  ${label}: ${pc.green('ran')}, output size [${y.shape.join(', ')}]`);
    return y;
  } catch (err) {
    if (!(err instanceof NormkitError)) throw err;
    out(`  ${label}: ${pc.red(`${err.type}: ${err.message}`)}`);
    return null;
  }
}

function maxAbs(t: Tensor): number {
  let m = 0;
  for (const v of t.data) m = Math.max(m, Math.abs(v));
  return m;
}

export function runDemo(out: Out): void {
  manualSeed(0);
  const h = (s: string) => out(`\n${pc.bold(s)}`);

  h('Example 1 — InstanceNorm2d(64) on a [2, 64, 1, 1] input, training');
  tryRun(out, 'InstanceNorm2d(64)(randn([2, 64, 1, 1]))', () => new InstanceNorm2d(64).call(randn([2, 64, 1, 1])));
  out('  One spatial element per (instance, channel): there is no variance to normalize by, so PyTorch raises —');
  out("  and normkit raises the same ValueError, word for word. (The write-up quotes BatchNorm's message,");
  out("  'Expected more than 1 value per channel'; InstanceNorm's says 'spatial element'.)");

  h('Example 2 — the advice: nearest-upsample to 2x2, then InstanceNorm2d');
  const model = new Sequential(new Upsample({ scaleFactor: 2, mode: 'nearest' }), new InstanceNorm2d(64));
  const y = tryRun(out, 'Sequential(Upsample(x2, nearest), InstanceNorm2d(64))', () => model.call(randn([2, 64, 1, 1])));
  if (y) {
    out(`  largest |output| = ${maxAbs(y).toExponential(2)}  ${pc.yellow('<- all (near) zero')}`);
    out('  Nearest upsampling of a 1x1 map gives constant 2x2 planes: every value equals its mean, the variance');
    out('  is 0, and (x - mean) / sqrt(var + eps) is 0 everywhere. The error is gone and so is the signal: the');
    out('  layer outputs its bias alone, and nothing before it gets a useful gradient.');
  }
  const verdict = analyze(model, [2, 64, 1, 1], { mode: 'train' }).norms.find((n) => n.path === '1');
  if (verdict) out(`  normkit check, before running anything: InstanceNorm2d at 1 is ${pc.yellow(verdict.verdict.toUpperCase())} — ${verdict.reason}`);

  h("Example 3 — the write-up's FlexibleInstanceNorm (identity unless every spatial size is > 1)");
  const warnings: NormkitWarning[] = [];
  const stop = onWarning((w) => warnings.push(w));
  try {
    const flex = new FlexibleInstanceNorm(64, { condition: 'allSpatialDimsGt1' });
    tryRun(out, 'on [2, 64, 1, 1]', () => flex.call(randn([2, 64, 1, 1])));
    tryRun(out, 'on [2, 64, 4, 4]', () => flex.call(randn([2, 64, 4, 4])));
    tryRun(out, 'on [2, 64, 1, 1] again', () => flex.call(randn([2, 64, 1, 1])));
    for (const w of warnings) out(`  ${pc.yellow(`warning ${w.code}`)}: ${w.message}`);
    out(`  fallbackCount = ${flex.fallbackCount} (the warning is emitted once per layer; the counter keeps counting)`);
    out('  The 1x1 input went through unchanged: not normalized, and the layer learns nothing from it.');
  } finally {
    stop();
  }

  h('What the write-up gets wrong');
  out('  1. It is the product of the spatial sizes that must exceed 1, not each size:');
  tryRun(out, '     InstanceNorm2d(64) on [2, 64, 1, 2]', () => new InstanceNorm2d(64).call(randn([2, 64, 1, 2])));
  const strict = new FlexibleInstanceNorm(64, { condition: 'allSpatialDimsGt1' });
  const stopStrict = onWarning(() => {});
  try {
    strict.call(randn([2, 64, 1, 2]));
  } finally {
    stopStrict();
  }
  out(`     yet the write-up's wrapper falls back on it (fallbackCount = ${strict.fallbackCount}); normkit's default`);
  out("     condition 'wouldRaise' falls back exactly when InstanceNorm would raise.");
  out('  2. Eval mode does not save you: without tracked running statistics InstanceNorm uses the input\'s own');
  out('     statistics in eval mode too (training || !trackRunningStats):');
  tryRun(out, '     InstanceNorm2d(64).eval() on [2, 64, 1, 1]', () => new InstanceNorm2d(64).eval().call(randn([2, 64, 1, 1])));
  tryRun(out, '     InstanceNorm2d(64, { trackRunningStats: true }).eval() on [2, 64, 1, 1]', () =>
    new InstanceNorm2d(64, { trackRunningStats: true }).eval().call(randn([2, 64, 1, 1])),
  );
  out('\nTo find such layers before anything runs: normkit check MODEL --input NxCxHxW');
}

export function registerDemo(program: Command): void {
  program
    .command('demo')
    .description("run the write-up's three examples with normkit and show what they really do")
    .action(() => runDemo((line = '') => process.stdout.write(`${line}\n`)));
}
