/**
 * `normkit check`: the report, --json, exit codes (0 healthy, 1 raises or
 * degenerate, 2 bad usage / bad file with the node's path), colour only when
 * asked, and the binary with no arguments explaining a bundled failure.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { DEFAULT_EXAMPLE, listExamples, parseRange, parseShape, runCheck, type CheckOptions } from '../../src/cli/check.js';

function run(model: string | undefined, opts: CheckOptions = {}, color = false) {
  let out = '';
  let err = '';
  const code = runCheck(model, opts, { out: (s) => (out += s), err: (s) => (err += s), color });
  return { code, out, err };
}

const dir = mkdtempSync(join(tmpdir(), 'normkit-check-'));
function file(name: string, content: unknown): string {
  const p = join(dir, name);
  writeFileSync(p, typeof content === 'string' ? content : JSON.stringify(content));
  return p;
}

test('bundled examples: each of the shapeflow zoo kinds, plus a healthy one', () => {
  const names = listExamples();
  for (const n of ['collapsing-encoder', 'patch-discriminator', 'resnet-generator', 'unet-level', 'keypoint-encoder', 'pooled-head', 'upsampled-bottleneck', 'healthy-classifier']) {
    assert.ok(names.includes(n), n);
  }
  const expected: Record<string, number> = {
    'collapsing-encoder': 1,
    'patch-discriminator': 1,
    'resnet-generator': 1,
    'unet-level': 1,
    'keypoint-encoder': 1,
    'pooled-head': 1,
    'upsampled-bottleneck': 1,
    'healthy-classifier': 0,
  };
  for (const [n, code] of Object.entries(expected)) assert.equal(run(n, { fixes: false }).code, code, n);
});

test('the default example: failure, cause chain and a verified fix, in plain text', () => {
  const r = run(undefined);
  assert.equal(r.code, 0, 'the showcase exits 0 once it has explained the failure');
  assert.equal(r.err, '');
  assert.ok(!r.out.includes('\x1b['), 'no colour codes when colour is off');
  assert.match(r.out, new RegExp(`No model given: checking the bundled example '${DEFAULT_EXAMPLE}'`));
  assert.match(r.out, /13 +InstanceNorm2d +2x128x1x1 +- +RAISES/);
  assert.match(r.out, /ValueError: Expected more than 1 spatial element when training, got input size \[2, 128, 1, 1\]/);
  assert.match(r.out, /Cause chain[^\n]*\n +0 +Conv2d +32x32 -> 16x16 +stride 2\n/);
  assert.match(r.out, /12 +Conv2d +2x2 -> 1x1 +stride 2/);
  assert.match(r.out, /1\. Use an input of at least 33x33 \(2x3x33x33\): every size from 33 to 1024 works \(sizes 1..1024 searched\)\n +verified: runs at 2x3x33x33, output 2x10/);
  assert.match(r.out, /Result: raises at 2x3x32x32 \(exit code 1 when checking your own MODEL; 0 for this showcase\)/);
  assert.equal(run(DEFAULT_EXAMPLE).code, 1, 'named, the same model exits 1');
});

test('colour when asked for', () => {
  assert.ok(run('healthy-classifier', {}, true).out.includes('\x1b['));
});

test('--json prints one document with the same content', () => {
  const r = run('pooled-head', { json: true, sweep: '1..4', axis: 'batch' });
  assert.equal(r.code, 1);
  const doc = JSON.parse(r.out) as Record<string, any>;
  assert.equal(doc.verdict, 'raises');
  assert.equal(doc.exitCode, 1);
  assert.deepEqual(doc.input, [1, 3, 16, 16]);
  assert.equal(doc.analysis.failure.path, '5');
  assert.equal(doc.analysis.failure.error.message, 'Expected more than 1 value per channel when training, got input size [1, 32, 1, 1]');
  assert.equal(doc.fixes[0].title, 'Use a batch of 2 or more (input 2x3x16x16)');
  assert.deepEqual(doc.sweep.workingSizes, [2, 3, 4]);
});

test('degenerate statistics exit 1; --mode eval with running statistics exits 0', () => {
  const r = run('upsampled-bottleneck');
  assert.equal(r.code, 1);
  assert.match(r.out, /Degenerate: InstanceNorm2d at 7 \(2x16x4x4\)/);
  assert.match(r.out, /Result: runs, but with degenerate statistics \(exit code 1\)/);
  assert.equal(run('pooled-head', { mode: 'eval', fixes: false }).code, 0);
});

test('a sweep in the report: marks per size and runs of outcomes', () => {
  const r = run('unet-level', { sweep: '1..12', fixes: false });
  assert.match(r.out, /Sweep \(square 1\.\.12, train mode\): runs at 8, 12; smallest working size 8/);
  assert.match(r.out, /\n  9\.\.11 +RuntimeError in Concat at 3\n/);
});

test('a model file: plain spec with --input, check file with its own input; --input overrides', () => {
  const spec = { module: 'Sequential', layers: [{ module: 'Conv2d', args: { in_channels: 3, out_channels: 4, kernel_size: 3, stride: 2 } }, { module: 'InstanceNorm2d', args: { num_features: 4 } }] };
  const plain = file('plain.json', spec);
  assert.equal(run(plain, { input: '2x3x3x3', fixes: false }).code, 1);
  assert.equal(run(plain, { input: '2x3x5x5', fixes: false }).code, 0);
  const wrapped = file('wrapped.json', { description: 'tiny', input: [2, 3, 3, 3], mode: 'train', model: spec });
  assert.equal(run(wrapped, { fixes: false }).code, 1);
  assert.equal(run(wrapped, { input: '2,3,9,9', fixes: false }).code, 0);
});

test('bad usage and bad files exit 2, naming the node path', () => {
  const cases: [string | undefined, CheckOptions, RegExp][] = [
    [file('unknown.json', { module: 'Sequential', layers: [{ module: 'ReLU' }, { module: 'Residual', body: { module: 'LSTM' } }] }), { input: '1x3x8x8' }, /at 1\.body: unknown module 'LSTM'/],
    [file('badarg.json', { module: 'Sequential', layers: [{ module: 'Conv2d', args: { in_channels: 3, out_channels: 4 } }] }), { input: '1x3x8x8' }, /at 0: Conv2d: argument 'kernel_size' is required/],
    [file('groups.json', { module: 'Sequential', layers: [{ module: 'GroupNorm', args: { num_groups: 3, num_channels: 8 } }] }), { input: '1x8x4x4' }, /at 0: GroupNorm: ValueError: num_channels must be divisible by num_groups/],
    [file('broken.json', '{"module": "Sequential", "layers": ['), { input: '1x3x8x8' }, /invalid JSON/],
    [file('noinput.json', { module: 'ReLU' }), {}, /has no default input: pass --input/],
    ['healthy-classifier', { input: '2x3x0x8' }, /--input must be sizes like 2x3x64x64/],
    ['healthy-classifier', { mode: 'test' }, /--mode must be 'train' or 'eval'/],
    ['healthy-classifier', { sweep: '9..3' }, /--sweep range must satisfy/],
    ['no-such-example', {}, /no model file 'no-such-example', and no bundled example of that name \(bundled: collapsing-encoder/],
  ];
  for (const [model, opts, msg] of cases) {
    const r = run(model, opts);
    assert.equal(r.code, 2, String(msg));
    assert.match(r.err, msg);
    assert.equal(r.out, '');
  }
  const j = run(cases[0]![0], { ...cases[0]![1], json: true });
  assert.equal(j.code, 2);
  assert.deepEqual(JSON.parse(j.out).error.nodePath, '1.body');
});

test('inconsistent channels are a failure of the model at this input (exit 1), with the node path', () => {
  const spec = { module: 'Sequential', layers: [{ module: 'Conv2d', args: { in_channels: 3, out_channels: 8, kernel_size: 3 } }, { module: 'Conv2d', args: { in_channels: 4, out_channels: 8, kernel_size: 3 } }] };
  const r = run(file('channels.json', spec), { input: '1x3x16x16' });
  assert.equal(r.code, 1);
  assert.match(r.out, /Fails: RuntimeError in Conv2d at 1\n/);
  assert.match(r.out, /Conv2d at 1 receives \[1, 8, 14, 14\] from Conv2d at 0, but it was built with in_channels=4\./);
});

test('argument parsers', () => {
  assert.deepEqual(parseShape('2x3x64x64'), [2, 3, 64, 64]);
  assert.deepEqual(parseShape('2, 3, 8'), [2, 3, 8]);
  assert.throws(() => parseShape('2x-3'));
  assert.deepEqual(parseRange('1..128'), [1, 128]);
  assert.deepEqual(parseRange('4-9'), [4, 9]);
  assert.throws(() => parseRange('a..b'));
});

test('the binary: `normkit check` with no arguments explains a failing example and exits 0; a failing MODEL exits 1', () => {
  const main = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'src', 'cli', 'main.js');
  const env: NodeJS.ProcessEnv = { ...process.env, NO_COLOR: '1' };
  delete env['FORCE_COLOR'];
  const r = spawnSync(process.execPath, [main, 'check'], { encoding: 'utf8', env });
  assert.equal(r.status, 0);
  assert.equal(spawnSync(process.execPath, [main, 'check', 'collapsing-encoder'], { encoding: 'utf8', env }).status, 1);
  assert.match(r.stdout, /Cause chain/);
  assert.ok(!r.stdout.includes('\x1b['));
  assert.match(r.stdout, /Fixes \(each one applied and re-analyzed/);
  const bad = spawnSync(process.execPath, [main, 'check', '--nope'], { encoding: 'utf8' });
  assert.equal(bad.status, 2);
  assert.doesNotThrow(() => JSON.parse(execFileSync(process.execPath, [main, 'check', 'healthy-classifier', '--json'], { encoding: 'utf8' })));
});
