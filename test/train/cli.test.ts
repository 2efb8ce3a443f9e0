/** `normkit train` through the commander program: options, exit codes 0 / 1 / 2, the files it writes. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { spawnSync } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { PNG } from 'pngjs';
import { main } from '../../src/cli/program.js';
import { loadCheckpoint } from '../../src/train/checkpoint.js';

const CLI = fileURLToPath(new URL('../../src/cli/main.js', import.meta.url));

/** Parses `normkit ARGS` in-process (stderr captured; stdout is the test runner's channel, left alone). */
async function parse(args: string[]): Promise<{ code: number; err: string }> {
  let err = '';
  const writeErr = process.stderr.write.bind(process.stderr);
  process.stderr.write = ((s: string | Uint8Array) => ((err += String(s)), true)) as typeof process.stderr.write;
  const saved = process.exitCode;
  try {
    return { code: await main(args), err };
  } finally {
    process.stderr.write = writeErr;
    process.exitCode = saved;
  }
}

/** Runs the built CLI in a child process (stdout is a pipe, so no progress bar: one line per epoch). */
function run(args: string[]): { code: number; out: string; err: string } {
  const r = spawnSync(process.execPath, [CLI, ...args], { encoding: 'utf8', env: { ...process.env, NO_COLOR: '1' } });
  return { code: r.status ?? -1, out: r.stdout, err: r.stderr };
}

const small = ['--epochs', '2', '--steps-per-epoch', '5', '--batch-size', '4', '--size', '8', '--no-progress'];

test('bad options exit with code 2 and say what is wrong', async () => {
  const cases: [string[], RegExp][] = [
    [['--epochs', '1'], /--epochs must be between 2 and/],
    [['--epochs', 'three'], /--epochs must be an integer, got 'three'/],
    [['--steps-per-epoch', '0'], /--steps-per-epoch must be between 1 and/],
    [['--batch-size', '2.5'], /--batch-size must be an integer/],
    [['--lr', '0'], /learning rate must be a number in \(0, 1\]/],
    [['--lr', 'fast'], /learning rate/],
    [['--size', '31'], /--size must be even/],
    [['--size', '4'], /--size must be between 8 and/],
    [['--seed', '-1'], /--seed must be between 0 and/],
    [['--loss', 'huber'], /Allowed choices are mse, l1/],
    [['--bogus'], /unknown option '--bogus'/],
  ];
  const dir = join(mkdtempSync(join(tmpdir(), 'normkit-train-cli-')), 'out');
  for (const [args, message] of cases) {
    const r = await parse(['train', ...args, '--out', dir]);
    assert.equal(r.code, 2, `${args.join(' ')}: exit ${r.code}`);
    assert.match(r.err, message, args.join(' '));
    assert.ok(!existsSync(dir), `${args.join(' ')} started training`);
  }
  rmSync(dirname(dir), { recursive: true, force: true });
});

test('a small run exits 0, prints one line per epoch and the loss ratio, and writes the checkpoint and PNGs', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'normkit-train-cli-'));
  try {
    const r = run(['train', ...small, '--out', dir]);
    assert.equal(r.code, 0, r.out + r.err);
    assert.match(r.out, /epoch 1\/2 {2}loss \S+ {2}held-out \S+ {2}[\d.]+ img\/s/);
    assert.match(r.out, /epoch 2\/2 /);
    assert.match(r.out, /loss: first epoch \S+ -> last epoch \S+ {2}\(ratio 0\.\d{3}, [\d.]+% lower\)/);
    for (const f of ['model.safetensors', 'loss_curve.png', 'samples.png']) {
      assert.ok(existsSync(join(dir, f)), f);
      assert.ok(r.out.includes(`wrote ${join(dir, f)}`), `path of ${f} not printed`);
    }
    const { model, metadata } = loadCheckpoint(join(dir, 'model.safetensors'));
    assert.equal(JSON.parse(metadata['normkit_train']!).size, 8);
    // 9 convs (weight, bias) and 7 affine instance norms.
    assert.equal(model.parameters().length, 32);
    const curve = PNG.sync.read(readFileSync(join(dir, 'loss_curve.png')));
    assert.deepEqual([curve.width, curve.height], [720, 420]);
    const grid = PNG.sync.read(readFileSync(join(dir, 'samples.png')));
    // 6 held-out images at 8x8 drawn 16x: 2 triplets per row, 3 rows.
    assert.ok(grid.width > 6 * 128 && grid.height > 3 * 128, `${grid.width}x${grid.height}`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('a run whose loss does not fall by 30% exits 1', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'normkit-train-cli-'));
  try {
    // lr 1e-7: Adam barely moves the weights, so the loss stays where it started.
    const r = run(['train', ...small, '--lr', '1e-7', '--out', dir]);
    assert.equal(r.code, 1, r.out);
    assert.match(r.out, /FAIL: the training loss (fell|rose) by [\d.]+% from the first to the last epoch; the held-out loss (fell|rose) by [\d.]+% from the untrained model \(at least 30\.0% required\)/);
    assert.ok(existsSync(join(dir, 'model.safetensors')), 'the checkpoint is still written');
    // lr 1: the first epoch blows up, so the last looks far better than the first — the held-out check catches it.
    const wild = run(['train', ...small, '--lr', '1', '--out', dir]);
    assert.equal(wild.code, 1, wild.out);
    assert.match(wild.out, /FAIL: the held-out loss rose by [\d.]+% from the untrained model/);
    assert.doesNotMatch(wild.out, /FAIL: the training loss/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('an unusable --out exits 2 before training (no hang where mkdir -p would spin, as under /proc)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'nk-train-out-'));
  try {
    const file = join(dir, 'a-file');
    spawnSync(process.execPath, ['-e', `require('fs').writeFileSync(${JSON.stringify(file)}, 'x')`]);
    for (const out of [join(file, 'sub'), '/proc/normkit-no-such-dir/x']) {
      const t0 = Date.now();
      const r = spawnSync(process.execPath, [CLI, 'train', ...small, '--out', out], { encoding: 'utf8', timeout: 20_000 });
      assert.equal(r.status, 2, `--out ${out}: ${r.stdout}${r.stderr}`);
      assert.match(r.stderr, /^normkit train: cannot write to --out/, "a message: on stderr");
      assert.doesNotMatch(r.stdout, /epoch 1\//, 'fails before training');
      assert.ok(Date.now() - t0 < 15_000);
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
