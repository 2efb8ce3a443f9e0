/**
 * The web app's work without the page (src/web/session.ts), in Node: files
 * become models with named inputs to size, typed sizes are checked, a check
 * gives the report model `normkit check --html` embeds, a fix gives the
 * spec `--apply N --out` writes; bad files and sizes are typed errors.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { runCheck } from '../../src/cli/check.js';
import { applyFix } from '../../src/doctor/apply_fix.js';
import { UsageError } from '../../src/doctor/source.js';
import { SpecError } from '../../src/errors.js';
import { OnnxError } from '../../src/formats/onnx/index.js';
import { check, explain, fixedSpec, inputShapes, openFile } from '../../src/web/session.js';

const ROOT = new URL('../../../', import.meta.url).pathname;
const bytes = (text: string) => new TextEncoder().encode(text);
const read = (...p: string[]) => new Uint8Array(readFileSync(join(ROOT, ...p)));

function cli(file: string, extra: Record<string, string> = {}): any {
  let out = '';
  runCheck(file, { json: true, ...extra }, { out: (s) => (out += s), err: () => undefined, color: false });
  return JSON.parse(out);
}

test('a check file: its input and mode fill the form, and the check is the CLI\'s', () => {
  const o = openFile('collapsing-encoder.json', read('examples', 'collapsing-encoder.json'));
  assert.equal(o.src.name, 'collapsing-encoder.json');
  assert.equal(o.mode, 'train');
  assert.deepEqual(o.inputs.map((f) => [f.name, f.value, f.dynamic]), [['input', '2x3x32x32', []]]);
  assert.equal(o.ready, true);
  const c = check(o, inputShapes(o, { input: '2x3x32x32' }), { mode: 'train', sweep: '1..40' });
  const truth = cli(join(ROOT, 'examples', 'collapsing-encoder.json'), { sweep: '1..40' });
  assert.equal(c.result.verdict, truth.verdict);
  assert.deepEqual(c.result.analysis, truth.analysis);
  assert.deepEqual(c.result.fixes, truth.fixes);
  assert.deepEqual(c.result.sweep, truth.sweep);
  assert.equal(c.report.base.failing, '13');
  assert.equal(c.report.fixes.length, 7);
  assert.equal(c.report.sweep?.sizes.length, 40);
  // Fix 2 as the CLI's --apply 2 writes it.
  const f = fixedSpec(o, c.result.fixes![1]!);
  assert.ok('json' in f);
  assert.equal(f.file, 'collapsing-encoder.fix2.json');
  assert.deepEqual(JSON.parse(f.json), applyFix(o.src.spec, c.result.fixes![1]!));
  assert.equal(JSON.parse(f.json).layers[13].module, 'GroupNorm');
});

test('a bundled example keeps its name; an input-size fix has nothing to write', () => {
  const o = openFile('resnet-generator.json', read('examples', 'resnet-generator.json'), { bundled: true });
  assert.equal(o.src.name, 'resnet-generator');
  const c = check(o, inputShapes(o, { input: o.inputs[0]!.value }), { mode: o.mode });
  const sizeFix = c.result.fixes!.find((f) => f.changes.length === 0);
  assert.ok(sizeFix, 'resnet-generator has an input-size fix');
  assert.deepEqual(fixedSpec(o, sizeFix), { note: `This fix changes the input, not the model: use input ${sizeFix.verified.inputShape.join('x')}.` });
});

test('an ONNX file: dynamic dims named, nothing prefilled, sizes required; a fix gives the fixed ONNX file', () => {
  const o = openFile('ce.onnx', read('test', 'fixtures', 'onnx', 'collapsing-encoder.op17.preserve.onnx'));
  assert.equal(o.onnx?.opset, 17);
  assert.deepEqual(o.inputs, [{ name: 'input', declared: ['batch', 3, 'height', 'width'], dynamic: ['batch', 'height', 'width'], value: '', placeholder: 'batch x 3 x height x width' }]);
  assert.equal(o.ready, false);
  assert.throws(() => inputShapes(o, {}), (e: unknown) => e instanceof UsageError && e.message === "the input has dynamic dimensions 'batch', 'height', 'width' ([batch, 3, height, width]): type its size, e.g. 2x3x32x32");
  assert.throws(() => inputShapes(o, { input: '2x3x0x4' }), /the input must be sizes like 2x3x64x64 \(positive integers\), got '2x3x0x4'/);
  const c = check(o, inputShapes(o, { input: ' 2x3x32x32 ' }), { mode: 'eval' });
  assert.equal(c.result.verdict, cli(join(ROOT, 'test/fixtures/onnx/collapsing-encoder.op17.preserve.onnx'), { input: '2x3x32x32', mode: 'eval' }).verdict);
  const fixes = c.result.fixes!;
  assert.deepEqual(fixedSpec(o, fixes[0]!, c.result.shapes), { note: 'This fix changes the input, not the model: use input 2x3x33x33.' });
  // what normkit check ce.onnx --apply 2 --out ce.fix2.onnx writes: the file with GroupNorm at 13, its dynamic dims kept
  const fixed = fixedSpec(o, fixes[1]!, c.result.shapes) as { onnx: Uint8Array; file: string; notes: string[] };
  assert.equal(fixed.file, 'ce.fix2.onnx');
  assert.deepEqual(fixed.notes, []);
  const again = openFile(fixed.file, fixed.onnx);
  assert.deepEqual(again.inputs[0]!.declared, ['batch', 3, 'height', 'width']);
  assert.ok(again.graph.nodes.some((n) => n.scope === '13' && n.op === 'GroupNorm'));
  assert.equal(check(again, { input: [2, 3, 32, 32] }, { mode: 'eval' }).result.verdict, 'ok');
});

test('a general-form spec with two named inputs, one with a dynamic dim', () => {
  const spec = {
    inputs: { x: [1, 3, 'H', 'H'], c: [1, 5] },
    nodes: [
      { name: 'c4', op: 'reshape', args: { shape: [-1, 5, 1, 1] }, inputs: ['c'] },
      { name: 'cmap', op: 'interpolate', inputs: ['c4', 'x'] },
      { name: 'xc', op: 'cat', args: { dim: 1 }, inputs: ['x', 'cmap'] },
      { name: 'enc', module: 'Sequential', layers: [{ module: 'Conv2d', args: { in_channels: 8, out_channels: 16, kernel_size: 4, stride: 2, padding: 1 } }, { module: 'InstanceNorm2d', args: { num_features: 16 } }], inputs: ['xc'] },
    ],
  };
  const o = openFile('general.json', bytes(JSON.stringify(spec)));
  assert.deepEqual(o.inputs.map((f) => [f.name, f.value, f.dynamic]), [['x', '', ['H']], ['c', '1x5', []]]);
  assert.throws(() => inputShapes(o, { c: '1x5' }), /input 'x' has dynamic dimension 'H' \(\[1, 3, H, H\]\): type its size, e.g. 1x3x32x32/);
  const small = check(o, inputShapes(o, { x: '1x3x2x2', c: '1x5' }), { mode: 'train' });
  assert.equal(small.result.verdict, 'raises');
  assert.equal(small.result.analysis.failure?.path, 'enc.1');
  assert.deepEqual(small.result.shapes, { x: [1, 3, 2, 2], c: [1, 5] });
  const ok = check(o, inputShapes(o, { x: '1x3x16x16', c: '1x5' }), { mode: 'train', sweep: '2..9', axis: 'square' });
  assert.equal(ok.result.verdict, 'ok');
  assert.deepEqual(ok.result.sweep?.workingSizes, [4, 5, 6, 7, 8, 9]);
  assert.throws(() => check(o, { x: [1, 3, 16, 16], c: [1, 5] }, { mode: 'train', sweep: '9..2' }), /the sweep range must satisfy 1 <= from <= to, got '9..2'/);
});

test('bad files are typed errors the page can show', () => {
  const cases: [string, Uint8Array, RegExp, unknown][] = [
    ['empty.json', new Uint8Array(0), /^empty\.json is empty$/, UsageError],
    ['broken.json', bytes('{"module": '), /^broken\.json: invalid JSON/, SpecError],
    ['number.json', bytes('42'), /holds a JSON number, not a model spec/, SpecError],
    ['typo.json', bytes('{"module": "Sequential", "layers": [{"module": "Conv2D"}]}'), /^at 0: unknown module 'Conv2D'/, SpecError],
    ['cut.onnx', read('test', 'fixtures', 'onnx', 'collapsing-encoder.op17.preserve.onnx').subarray(0, 300), /./, OnnxError],
  ];
  for (const [name, data, message, cls] of cases) {
    let caught: unknown;
    try {
      openFile(name, data);
    } catch (e) {
      caught = e;
    }
    assert.ok(caught instanceof (cls as new () => Error), `${name}: ${String(caught)}`);
    assert.match((caught as Error).message, message, name);
    const shown = explain(caught);
    assert.ok(shown !== null, name);
    assert.equal(shown.message, (caught as Error).message);
  }
  assert.deepEqual(explain(new SpecError('3.body', 'bad')), { type: 'SpecError', message: 'at 3.body: bad', nodePath: '3.body' });
  assert.equal(explain(new Error('a bug')), null, 'anything else is a bug, not a message');
});
