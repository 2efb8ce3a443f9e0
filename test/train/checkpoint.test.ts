/** The training checkpoint: written in safetensors and loaded back bit-identical. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { noGrad } from '../../src/tensor/grad_mode.js';
import { SpecError } from '../../src/errors.js';
import { loadFile, saveFile } from '../../src/io/file.js';
import { SafetensorsError, loadSafetensors } from '../../src/io/safetensors.js';
import { loadCheckpoint, saveCheckpoint } from '../../src/train/checkpoint.js';
import { train } from '../../src/train/loop.js';

const bytes = (a: Float32Array) => Buffer.from(a.buffer, a.byteOffset, a.byteLength);

test('a trained model round-trips through model.safetensors bit for bit', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'normkit-train-'));
  try {
    const r = await train({ epochs: 2, stepsPerEpoch: 2, batchSize: 2, lr: 3e-3, size: 8, seed: 1 });
    const path = join(dir, 'model.safetensors');
    saveCheckpoint(path, r.model, r.spec, { note: 'test' });

    const { tensors, metadata } = loadFile(path);
    const state = r.model.stateDict();
    assert.deepEqual([...tensors.keys()].sort(), [...state.keys()].sort());
    for (const [name, t] of state) {
      const u = tensors.get(name)!;
      assert.deepEqual(u.shape, t.shape, name);
      assert.ok(bytes(u.data).equals(bytes(t.data)), `${name} differs`);
    }
    assert.equal(metadata['format'], 'pt');
    assert.equal(metadata['note'], 'test');

    const { model } = loadCheckpoint(path);
    const x = r.heldOut.inputs;
    const want = noGrad(() => r.model.call(x));
    const got = noGrad(() => model.call(x));
    assert.ok(bytes(got.data).equals(bytes(want.data)), 'reloaded model computes different outputs');
    // Saving the reloaded model writes the same file.
    const again = join(dir, 'again.safetensors');
    saveCheckpoint(again, model, r.spec, { note: 'test' });
    assert.ok(readFileSync(again).equals(readFileSync(path)));
    assert.equal(loadSafetensors(readFileSync(again)).tensors.size, state.size);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('a safetensors file without the model spec is not a training checkpoint', () => {
  const dir = mkdtempSync(join(tmpdir(), 'normkit-train-'));
  try {
    const path = join(dir, 'plain.safetensors');
    saveFile(path, {});
    assert.throws(() => loadCheckpoint(path), SpecError);
    writeFileSync(path, Buffer.from([1, 2, 3]));
    assert.throws(() => loadCheckpoint(path), SafetensorsError);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
