/**
 * `normkit run`: output shapes and value summaries, inputs by name, a raising
 * model (exit 1, PyTorch's error), inputs from .npy and safetensors files,
 * outputs written to safetensors, bad usage (exit 2).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runRun, type RunOptions } from '../../src/cli/run.js';
import { loadFile, saveFile } from '../../src/io/file.js';
import { loadNpy } from '../../src/io/npy.js';
import { fromSpec } from '../../src/spec/spec.js';
import { tensor } from '../../src/tensor/creation.js';
import { manualSeed } from '../../src/tensor/random.js';
import '../../src/tensor/methods.js';

function run(model: string, opts: RunOptions = {}) {
  let out = '';
  let err = '';
  const code = runRun(model, opts, { out: (s) => (out += s), err: (s) => (err += s) });
  return { code, out, err };
}

const dir = mkdtempSync(join(tmpdir(), 'normkit-run-'));
const file = (name: string, content: unknown) => {
  const p = join(dir, name);
  writeFileSync(p, typeof content === 'string' || content instanceof Uint8Array ? content : JSON.stringify(content));
  return p;
};

const twoHeads = {
  inputs: { x: [2, 3, 8, 8], c: [2, 4] },
  nodes: [
    { name: 'conv', module: 'Conv2d', args: { in_channels: 3, out_channels: 4, kernel_size: 3, stride: 2, padding: 1 }, inputs: ['x'] },
    { name: 'norm', module: 'InstanceNorm2d', args: { num_features: 4 }, inputs: ['conv'] },
    { name: 'pooled', op: 'mean', args: { dim: [2, 3] }, inputs: ['norm'] },
    { name: 'mix', op: 'add', inputs: ['pooled', 'c'] },
    { name: 'split', op: 'chunk', args: { chunks: 2, dim: 1 }, inputs: ['mix'], outputs: ['mu', 'logvar'] },
  ],
  outputs: ['mu', 'logvar'],
};

test('a bundled example runs: the output shape, a summary of its values and the time', () => {
  const r = run('healthy-classifier', { input: '2x3x16x16' });
  assert.equal(r.code, 0, r.err);
  assert.match(r.out, /^normkit run healthy-classifier {2}input 2x3x16x16 \(random, seed 0\), eval mode\n/);
  assert.match(r.out, /\noutput output: 2x10 {2}min -?\d\.\d+(e-?\d+)?, max -?\d\.\d+(e-?\d+)?, mean -?\d\.\d+(e-?\d+)?, std \d\.\d+(e-?\d+)?\n/);
  assert.match(r.out, /\ntime: \d+\.\d ms\n$/);
  assert.equal(run('healthy-classifier', { input: '2x3x16x16' }).out.split('\n')[1], r.out.split('\n')[1], 'the same seed gives the same values');
});

test('a general-form model takes its inputs by name and prints every output; --out writes them', () => {
  const p = file('heads.json', twoHeads);
  const out = join(dir, 'heads.safetensors');
  const r = run(p, { input: 'x=2x3x8x8,c=2x4', out });
  assert.equal(r.code, 0, r.err);
  assert.match(r.out, /output mu: 2x2 {2}min/);
  assert.match(r.out, /output logvar: 2x2 {2}min/);
  const saved = loadFile(out).tensors;
  assert.deepEqual([...saved.keys()].sort(), ['logvar', 'mu']);
  assert.deepEqual(saved.get('mu')!.shape, [2, 2]);
});

test('a model that raises at this size exits 1 with PyTorch\'s error and the module path', () => {
  const r = run(file('heads2.json', twoHeads), { input: 'x=2x3x2x2,c=2x4', mode: 'train' });
  assert.equal(r.code, 1);
  assert.match(r.out, /Raises: ValueError in InstanceNorm2d at norm\n {2}ValueError: Expected more than 1 spatial element when training, got input size \[2, 4, 1, 1\]\n/);
  assert.match(r.out, /Run `normkit check .*heads2.json --input x=2x3x2x2,c=2x4`/);
});

test('inputs from .npy and safetensors files give the values the library computes', () => {
  const spec = { module: 'Sequential', layers: [{ module: 'Conv2d', args: { in_channels: 1, out_channels: 2, kernel_size: 1 } }, { module: 'ReLU' }] };
  const p = file('tiny.json', spec);
  const x = tensor([[[[1, -2], [3, 4]]]]);
  // a float64 C-order .npy of shape (1, 1, 2, 2), as np.save writes it
  const header = "{'descr': '<f8', 'fortran_order': False, 'shape': (1, 1, 2, 2), }";
  const pad = 64 - ((10 + header.length + 1) % 64);
  const h = header + ' '.repeat(pad) + '\n';
  const npy = new Uint8Array(10 + h.length + 32);
  npy.set([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, 1, 0]);
  new DataView(npy.buffer).setUint16(8, h.length, true);
  npy.set(new TextEncoder().encode(h), 10);
  [1, -2, 3, 4].forEach((v, i) => new DataView(npy.buffer).setFloat64(10 + h.length + 8 * i, v, true));
  assert.deepEqual([...loadNpy(npy).data], [1, -2, 3, 4]);
  assert.deepEqual(loadNpy(npy).shape, [1, 1, 2, 2]);
  const fromNpy = run(p, { from: file('x.npy', npy), out: join(dir, 'a.safetensors') });
  const st = join(dir, 'x.safetensors');
  saveFile(st, { input: x });
  const fromSt = run(p, { from: st, out: join(dir, 'b.safetensors') });
  assert.equal(fromNpy.code, 0, fromNpy.err);
  assert.equal(fromSt.code, 0, fromSt.err);
  manualSeed(0);
  const want = fromSpec(spec).eval().call(x);
  assert.deepEqual([...loadFile(join(dir, 'a.safetensors')).tensors.get('output')!.data], [...want.data]);
  assert.deepEqual([...loadFile(join(dir, 'b.safetensors')).tensors.get('output')!.data], [...want.data]);
  assert.throws(() => loadNpy(new Uint8Array([1, 2, 3])), /not a .npy file/);
});

test('bad usage exits 2 with one line naming the problem', () => {
  const cases: [string, RunOptions, RegExp][] = [
    ['no-such-model', {}, /^normkit run: no model file 'no-such-model'/],
    ['healthy-classifier', { input: '2x3xAx4' }, /--input must be sizes like 2x3x64x64/],
    ['healthy-classifier', { seed: '-1' }, /--seed must be a non-negative integer/],
    ['healthy-classifier', { mode: 'test' }, /--mode must be 'train' or 'eval'/],
    [file('h.json', twoHeads), { input: '2x3x8x8' }, /takes 2 inputs \(x, c\): give each by name/],
    ['healthy-classifier', { from: join(dir, 'missing.npy') }, /--from: cannot read/],
  ];
  for (const [m, o, re] of cases) {
    const r = run(m, o);
    assert.equal(r.code, 2, `${m} ${JSON.stringify(o)}: ${r.out}`);
    assert.match(r.err, re);
    assert.equal(r.err.trim().split('\n').length, 1);
  }
});
