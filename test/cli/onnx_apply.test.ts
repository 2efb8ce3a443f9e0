/**
 * `normkit check model.onnx --apply N --out fixed.onnx`, as a person runs it:
 * the collapsing encoder exported from PyTorch fails at 1x3x32x32 in train
 * mode; every fix that changes the model is written as an ONNX file, which
 * onnxruntime runs at that size (the verified output size) and which
 * `normkit check` then passes at that size in train mode. The file keeps its
 * input and output names, its dynamic dims (unless the fixed model needs
 * fixed sizes: then the checked size, and a note says why) and the weights of
 * every layer the fix leaves alone. `--out fixed.json` writes the fixed
 * graph's general-form spec when it has one, else exits 2 saying why.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { decodeModel, tensorData, type ModelProto } from '../../src/formats/onnx/index.js';
import { repoRoot } from '../helpers.js';
import { loadOrt } from '../optional_peers.js';

const ort = await loadOrt();
const main = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'src', 'cli', 'main.js');
const env: NodeJS.ProcessEnv = { ...process.env, NO_COLOR: '1' };
delete env['FORCE_COLOR'];
const normkit = (...args: string[]) => spawnSync(process.execPath, [main, ...args], { encoding: 'utf8', env });
const dir = mkdtempSync(join(tmpdir(), 'normkit-onnx-apply-'));
const ENCODER = join(repoRoot(), 'test', 'fixtures', 'onnx', 'collapsing-encoder.op17.eval.onnx');

const inputDims = (m: ModelProto) => m.graph!.input[0]!.type!.tensorType!.shape!.dim.map((d) => d.dimParam || d.dimValue);
const weights = (m: ModelProto) => new Map(m.graph!.initializer.map((t) => [t.name, Array.from(tensorData(t).data as ArrayLike<number>)]));

interface Fix {
  rank: number;
  title: string;
  changes: { path: string }[];
  verified: { outputShape: number[] };
}

test('check a failing ONNX encoder, write each fix as ONNX: onnxruntime runs it at the failing size, normkit check passes it there', async () => {
  const before = normkit('check', ENCODER, '--input', '1x3x32x32');
  assert.equal(before.status, 1);
  assert.match(before.stdout, /Fails: ValueError in InstanceNorm2d at 13\n/);
  assert.match(before.stdout, /Result: raises at 1x3x32x32 \(exit code 1\)\n$/);
  const fixes = (JSON.parse(normkit('check', ENCODER, '--input', '1x3x32x32', '--json').stdout) as { fixes: Fix[] }).fixes;
  assert.deepEqual(
    fixes.map((f) => f.title.replace(/ \(.*/, '')),
    ['Use an input of at least 33x33', 'Replace InstanceNorm2d at 13 with GroupNorm(num_groups=4, num_channels=16)', 'Replace InstanceNorm2d at 13 with GroupNorm with one group', 'Replace InstanceNorm2d at 13 with no normalization', 'Conv2d at 12: stride=(2, 2) -> stride=1', 'Conv2d at 9: stride=(2, 2) -> stride=1', 'Use FlexibleInstanceNorm at 13'],
  );
  // fix 1 changes the input, not the model
  const input = normkit('check', ENCODER, '--input', '1x3x32x32', '--apply', '1', '--out', join(dir, 'fix1.onnx'));
  assert.equal(input.status, 2);
  assert.equal(input.stderr, 'normkit check: --apply 1: this fix changes the input (use --input 1x3x33x33), not the model: nothing to write\n');
  const original = decodeModel(new Uint8Array(readFileSync(ENCODER)));
  const originalWeights = weights(original);
  for (const fix of fixes.filter((f) => f.changes.length > 0)) {
    const out = join(dir, `fix${fix.rank}.onnx`);
    const r = normkit('check', ENCODER, '--input', '1x3x32x32', '--apply', String(fix.rank), '--out', out);
    assert.equal(r.status, 1, 'the original model still raises');
    const flexible = fix.title.startsWith('Use FlexibleInstanceNorm');
    assert.equal(
      r.stderr,
      `normkit check: wrote ${out} with fix ${fix.rank} applied (${fix.title})\n` +
        (flexible
          ? "  note: written with the input fixed at 1x3x32x32: the fixed model cannot be written with dynamic sizes (cannot export FlexibleInstanceNorm at '13': FlexibleInstanceNorm passes its input through or normalizes it depending on the spatial size, which is not fixed in the file (input size [?, 16, ?, ?]); export with fixed spatial sizes)\n"
          : ''),
    );
    const bytes = new Uint8Array(readFileSync(out));
    const m = decodeModel(bytes);
    // the file's names and dynamic dims, at the file's opset
    assert.deepEqual(inputDims(m), flexible ? [1, 3, 32, 32] : ['batch', 3, 'height', 'width']);
    assert.deepEqual(m.graph!.output.map((o) => o.name), ['output']);
    assert.equal(m.opsetImport[0]!.version, 17);
    // the layers the fix leaves alone keep the file's weights
    const changed = fix.changes.map((c) => c.path);
    for (const [name, data] of originalWeights) {
      if (changed.some((p) => name.startsWith(`${p}.`))) continue;
      assert.deepEqual(weights(m).get(name), data, `fix ${fix.rank}: ${name}`);
    }
    const again = normkit('check', out, '--input', '1x3x32x32');
    assert.equal(again.status, 0, `fix ${fix.rank}: ${again.stdout}`);
    assert.match(again.stdout, /input 1x3x32x32, train mode\n/);
    assert.match(again.stdout, /Result: ok \(exit code 0\)\n$/);
    if (ort === null) continue;
    const s = await ort.InferenceSession.create(bytes);
    try {
      const x = Float32Array.from({ length: 3 * 32 * 32 }, (_, i) => Math.sin(i / 7));
      const y = (await s.run({ input: new ort.Tensor('float32', x, [1, 3, 32, 32]) }))['output']!;
      assert.deepEqual([...y.dims], fix.verified.outputShape);
      assert.ok(Array.from(y.data as ArrayLike<number>).every(Number.isFinite));
    } finally {
      await s.release();
    }
  }
});

test('an ONNX model fixed as JSON: the general-form spec of the fixed graph, which passes; constants a spec cannot hold exit 2', () => {
  const out = join(dir, 'fixed.json');
  const r = normkit('check', ENCODER, '--input', '1x3x32x32', '--apply', '2', '--out', out);
  assert.equal(r.status, 1);
  assert.match(r.stderr, /^normkit check: wrote .*fixed\.json with fix 2 applied \(Replace InstanceNorm2d at 13 with GroupNorm\(num_groups=4, num_channels=16\)\)\n {2}note: a general-form spec of the fixed graph: the modules and their arguments, not the file's weights\n$/);
  const spec = JSON.parse(readFileSync(out, 'utf8')) as { inputs: Record<string, unknown>; nodes: { name: string; module?: string }[] };
  assert.deepEqual(spec.inputs, { input: ['batch', 3, 'height', 'width'] });
  assert.deepEqual(spec.nodes.find((n) => n.name === '13')!.module, 'GroupNorm');
  const again = normkit('check', out, '--input', '1x3x32x32');
  assert.equal(again.status, 0, again.stdout);
  // the ASPP branch's shape arithmetic is constants in the file
  const aspp = join(repoRoot(), 'test', 'fixtures', 'onnx-graphs', 'aspp-pooled-branch.onnx');
  const bad = normkit('check', aspp, '--input', '1x4x4x4', '--apply', '3', '--out', join(dir, 'aspp.json'));
  assert.equal(bad.status, 2);
  assert.equal(bad.stderr, "normkit check: this ONNX model holds 7 constant tensors ('/Constant_output_0', '/Constant_1_output_0', 'onnx::Unsqueeze_45', ...) that a JSON spec cannot hold: write the fixed model as ONNX (--out FILE.onnx)\n");
  const onnx = normkit('check', aspp, '--input', '1x4x4x4', '--apply', '3', '--out', join(dir, 'aspp.onnx'));
  assert.equal(onnx.status, 1);
  assert.equal(normkit('check', join(dir, 'aspp.onnx'), '--input', '1x4x4x4').status, 0);
});

test('--out names a .json or an .onnx file; a JSON spec is written as JSON', () => {
  const txt = normkit('check', ENCODER, '--input', '1x3x32x32', '--apply', '2', '--out', join(dir, 'fixed.txt'));
  assert.equal(txt.status, 2);
  assert.match(txt.stderr, /^normkit check: --out must name a \.json file \(the fixed spec\) or an \.onnx file \(ONNX models\), got '.*fixed\.txt'\n$/);
  const spec = join(dir, 'encoder.json');
  writeFileSync(spec, readFileSync(join(repoRoot(), 'examples', 'collapsing-encoder.json')));
  const json = normkit('check', spec, '--apply', '2', '--out', join(dir, 'spec.onnx'));
  assert.equal(json.status, 2);
  assert.match(json.stderr, /^normkit check: --out .*spec\.onnx: a JSON spec is fixed as a JSON spec \(--out fixed\.json\); write it as ONNX with: normkit export fixed\.json .*spec\.onnx\n$/);
});
