/**
 * `normkit check` for machines and people: --json's schemaVersion and tool
 * version, one outcome vocabulary, every error as JSON with --json (the
 * argument parser's too), --apply N --out, MODEL '-', EPIPE, one prefix style.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { analyze, graphOf } from '../../src/analysis/analyze.js';
import { runCheck, type CheckOptions } from '../../src/cli/check.js';
import { loadSource } from '../../src/cli/model_source.js';
import { fromSpec, type SpecNode } from '../../src/spec/spec.js';
import '../../src/ops/methods.js';

const main = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'src', 'cli', 'main.js');
const env: NodeJS.ProcessEnv = { ...process.env, NO_COLOR: '1' };
delete env['FORCE_COLOR'];
const cli = (args: string[], input?: string) => spawnSync(process.execPath, [main, ...args], { encoding: 'utf8', env, ...(input !== undefined ? { input } : {}) });
const dir = mkdtempSync(join(tmpdir(), 'normkit-check-io-'));
const version = (JSON.parse(readFileSync(join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..', 'package.json'), 'utf8')) as { version: string }).version;

function run(model: string | undefined, opts: CheckOptions = {}, stdin?: string) {
  let out = '';
  let err = '';
  const code = runCheck(model, opts, { out: (s) => (out += s), err: (s) => (err += s), color: false, ...(stdin !== undefined ? { stdin: () => stdin } : {}) });
  return { code, out, err };
}

test('--json: schemaVersion and the tool version; sweep points use the verdicts\' words (ok | raises | degenerate | fallback)', () => {
  const doc = JSON.parse(run('collapsing-encoder', { json: true, sweep: '1..40' }).out);
  assert.equal(doc.schemaVersion, 1);
  assert.deepEqual(doc.tool, { name: 'normkit', version });
  assert.equal(doc.verdict, 'raises');
  const words = new Set(doc.sweep.points.map((p: { outcome: string }) => p.outcome));
  assert.deepEqual([...words].sort(), ['ok', 'raises']);
  for (const n of doc.analysis.norms) assert.ok(['ok', 'raises', 'degenerate', 'fallback'].includes(n.verdict));
});

test('every error is JSON with --json: a bad model, a bad option value, and the argument parser\'s own', () => {
  const bad = JSON.parse(run('no-such-model', { json: true }).out);
  assert.equal(bad.schemaVersion, 1);
  assert.equal(bad.exitCode, 2);
  assert.match(bad.error.message, /no model file 'no-such-model'/);
  const parser = cli(['check', 'healthy-classifier', '--json', '--nope']);
  assert.equal(parser.status, 2);
  assert.equal(parser.stderr, '');
  const doc = JSON.parse(parser.stdout);
  assert.equal(doc.schemaVersion, 1);
  assert.equal(doc.error.type, 'UsageError');
  assert.match(doc.error.message, /unknown option '--nope'/);
  const missing = JSON.parse(cli(['check', 'healthy-classifier', '--json', '--input']).stdout);
  assert.match(missing.error.message, /option '-i, --input <shape>' argument missing/);
});

test('one prefix style: normkit check: ..., on stderr, the option named', () => {
  const r = cli(['check', 'healthy-classifier', '--nope']);
  assert.equal(r.status, 2);
  assert.equal(r.stdout, '');
  assert.match(r.stderr, /^normkit check: unknown option '--nope'/);
  const sweep = cli(['check', 'healthy-classifier', '--sweep', 'x']);
  assert.match(sweep.stderr, /^normkit check: --sweep must be a range like 1\.\.128, got 'x'/);
  const apply = cli(['check', 'healthy-classifier', '--apply', '1']);
  assert.match(apply.stderr, /^normkit check: --apply needs --out FILE/);
});

test('--apply N --out FILE: the tree-form spec with the verified fix applied, which then runs; a bad N exits 2', () => {
  const out = join(dir, 'fixed.json');
  // Fix 1 changes the input; fix 2 replaces the norm.
  const first = run('collapsing-encoder', { apply: '1', out });
  assert.equal(first.code, 2);
  assert.match(first.err, /^normkit check: --apply 1: this fix changes the input \(use --input 2x3x33x33\), not the model: nothing to write/);
  const r = run('collapsing-encoder', { apply: '2', out });
  assert.equal(r.code, 1, 'the original still raises');
  assert.match(r.err, /wrote .*fixed\.json with fix 2 applied \(Replace InstanceNorm2d at 13 with GroupNorm/);
  const fixed = JSON.parse(readFileSync(out, 'utf8')) as SpecNode;
  const src = loadSource('collapsing-encoder');
  assert.equal(analyze(fromSpec(fixed), src.input!['']!).runs, true);
  const j = run('collapsing-encoder', { apply: '2', out, json: true });
  assert.equal(j.err, '', 'nothing on stderr with --json');
  assert.deepEqual(JSON.parse(j.out).applied, { rank: 2, out });
  assert.equal(run('collapsing-encoder', { apply: '99', out }).code, 2);
  assert.match(run('collapsing-encoder', { apply: 'x', out }).err, /--apply must be a fix number from 1 to \d+, got 'x'/);
});

test('--apply on a general-form spec edits the node in the JSON', () => {
  const spec = {
    inputs: { x: [1, 3, 4, 4] },
    nodes: [
      { name: 'down', module: 'Conv2d', args: { in_channels: 3, out_channels: 8, kernel_size: 3, stride: 2, padding: 1 }, inputs: ['x'] },
      { name: 'down2', module: 'Conv2d', args: { in_channels: 8, out_channels: 8, kernel_size: 3, stride: 2, padding: 1 }, inputs: ['down'] },
      { name: 'norm', module: 'InstanceNorm2d', args: { num_features: 8 }, inputs: ['down2'] },
    ],
    outputs: ['norm'],
  };
  const out = join(dir, 'general.json');
  const all = JSON.parse(run('-', { json: true }, JSON.stringify(spec)).out);
  const k = all.fixes.find((f: { kind: string }) => f.kind === 'replace-norm').rank;
  run('-', { apply: String(k), out }, JSON.stringify(spec));
  const fixed = JSON.parse(readFileSync(out, 'utf8'));
  assert.deepEqual(fixed.nodes[2].inputs, ['down2']);
  assert.equal(fixed.nodes[2].name, 'norm');
  assert.equal(fixed.nodes[2].module, 'GroupNorm');
  assert.equal(analyze(graphOf(fromSpec(fixed)), [1, 3, 4, 4]).runs, true);
});

test("MODEL '-' reads the spec from standard input", () => {
  const spec = { module: 'Sequential', layers: [{ module: 'Conv2d', args: { in_channels: 3, out_channels: 8, kernel_size: 3, padding: 1 } }, { module: 'InstanceNorm2d', args: { num_features: 8 } }] };
  const r = cli(['check', '-', '--input', '1x3x8x8'], JSON.stringify(spec));
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stdout, /normkit check \(stdin\)/);
  assert.match(r.stdout, /Result: ok/);
});

test('normkit demo | head -3: no EPIPE stack trace', () => {
  const r = spawnSync('/bin/sh', ['-c', `"${process.execPath}" "${main}" demo | head -3`], { encoding: 'utf8', env });
  assert.equal(r.stdout.split('\n').length, 4);
  assert.doesNotMatch(r.stderr, /EPIPE|Error/);
});
