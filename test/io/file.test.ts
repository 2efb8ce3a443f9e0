/** saveFile / loadFile / loadInto: module state through a file, strict key checks, IO errors typed. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { RuntimeError, Tensor, manualSeed, nn, randn, tensor, zeros } from '../../src/index.js';
import { SafetensorsError } from '../../src/io/safetensors.js';
import { loadFile, loadInto, saveFile } from '../../src/io/file.js';

/** A module with a parameter, a float buffer and a step counter, nested once. */
class Block extends nn.Module {
  constructor() {
    super();
    this.registerParameter('weight', randn([3, 2]));
    this.registerBuffer('running_mean', randn([3]));
    this.registerBuffer('num_batches_tracked', tensor(0));
  }
  forward(x: Tensor): Tensor {
    return x;
  }
}

function withDir(fn: (dir: string) => void): void {
  const dir = mkdtempSync(join(tmpdir(), 'normkit-io-'));
  try {
    fn(dir);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

test('a model saved to a file loads into a fresh one in place, values exact', () => {
  withDir((dir) => {
    manualSeed(21);
    const a = new nn.Sequential(new Block(), new nn.Identity(), new Block());
    (a.getSubmodule('2').getBuffer('num_batches_tracked') as Tensor).data[0] = 12;
    const path = join(dir, 'model.safetensors');
    saveFile(path, a, { format: 'pt' });
    const b = new nn.Sequential(new Block(), new nn.Identity(), new Block());
    const w = b.getSubmodule('0').getParameter('weight')!;
    const res = loadInto(b, path);
    assert.deepEqual(res, { missingKeys: [], unexpectedKeys: [] });
    assert.equal(b.getSubmodule('0').getParameter('weight'), w, 'parameters keep their identity');
    for (const [k, t] of a.stateDict()) assert.deepEqual([...b.stateDict().get(k)!.data], [...t.data], k);
    assert.deepEqual(loadFile(path).metadata, { format: 'pt' });
    assert.deepEqual([...loadFile(path).tensors.keys()].sort(), [...a.stateDict().keys()].sort());
  });
});

test('strict loading reports missing and unexpected keys like PyTorch; non-strict returns them', () => {
  withDir((dir) => {
    const path = join(dir, 'partial.safetensors');
    saveFile(path, new Map([['0.weight', zeros([3, 2])], ['extra.bias', zeros([2])]]));
    const m = new nn.Sequential(new Block());
    assert.throws(
      () => loadInto(m, path),
      (e: Error) => e instanceof RuntimeError && /Unexpected key\(s\) in state_dict: "extra.bias"/.test(e.message) && /Missing key\(s\) in state_dict: "0.running_mean", "0.num_batches_tracked"/.test(e.message),
    );
    const res = loadInto(m, path, { strict: false });
    assert.deepEqual(res, { missingKeys: ['0.running_mean', '0.num_batches_tracked'], unexpectedKeys: ['extra.bias'] });
    assert.deepEqual([...m.getSubmodule('0').getParameter('weight')!.data], [0, 0, 0, 0, 0, 0]);
  });
});

test('a shape mismatch is refused before anything is copied', () => {
  withDir((dir) => {
    const path = join(dir, 'bad-shape.safetensors');
    saveFile(path, { weight: zeros([2, 3]), running_mean: zeros([3]), num_batches_tracked: tensor(1) });
    const m = new Block();
    const before = [...m.getBuffer('running_mean')!.data];
    assert.throws(() => loadInto(m, path), (e: Error) => e instanceof RuntimeError && /size mismatch for weight/.test(e.message));
    assert.deepEqual([...m.getBuffer('running_mean')!.data], before);
  });
});

test('missing or unreadable files are SafetensorsError (IoError), not raw fs errors', () => {
  withDir((dir) => {
    assert.throws(() => loadFile(join(dir, 'nope.safetensors')), (e: Error) => e instanceof SafetensorsError && e.reason === 'IoError');
    assert.throws(() => saveFile(join(dir, 'no', 'such', 'dir.safetensors'), { a: tensor([1]) }), SafetensorsError);
  });
});
