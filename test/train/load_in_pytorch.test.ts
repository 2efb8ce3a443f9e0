/**
 * A checkpoint of `normkit train` loads in PyTorch: the README's snippet
 * (spec from the file's metadata, load_state_dict strict) run by
 * test/train/load_in_pytorch.py with /usr/bin/python3's torch; the output
 * equals normkit's. Skipped, saying why, where PyTorch is not installed.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { noGrad } from '../../src/tensor/grad_mode.js';
import { fromSpec } from '../../src/spec/spec.js';
import { randn } from '../../src/tensor/creation.js';
import { manualSeed } from '../../src/tensor/random.js';
import { saveCheckpoint } from '../../src/train/checkpoint.js';
import { repoRoot } from '../helpers.js';
import '../../src/ops/methods.js';

const PY = '/usr/bin/python3';
const torchMissing = spawnSync(PY, ['-c', 'import torch'], { encoding: 'utf8' }).status === 0 ? false : 'PyTorch is not installed for /usr/bin/python3 (apt-get install -y python3-torch)';
if (torchMissing) console.log(`# skipped: ${torchMissing}`);

test('a normkit train checkpoint (style_net) loads in PyTorch and gives normkit\'s output', { skip: torchMissing }, () => {
  const spec = JSON.parse(readFileSync(join(repoRoot(), 'examples', 'style_net.json'), 'utf8')).model;
  manualSeed(5);
  const model = fromSpec(spec).eval();
  const dir = mkdtempSync(join(tmpdir(), 'normkit-pt-'));
  const ckpt = join(dir, 'model.safetensors');
  saveCheckpoint(ckpt, model, spec, { epochs: '0' });
  const x = randn([1, 3, 16, 16]);
  const input = join(dir, 'x.f32');
  writeFileSync(input, Buffer.from(x.data.buffer, x.data.byteOffset, x.data.byteLength));
  const r = spawnSync(PY, [join(repoRoot(), 'test', 'train', 'load_in_pytorch.py'), ckpt, input, '1', '3', '16', '16'], { encoding: 'utf8', timeout: 120_000 });
  assert.equal(r.status, 0, r.stderr);
  const got = JSON.parse(r.stdout) as { shape: number[]; data: number[] };
  const want = noGrad(() => model.call(x));
  assert.deepEqual(got.shape, [...want.shape]);
  const worst = Math.max(...got.data.map((v, i) => Math.abs(v - want.data[i]!)));
  assert.ok(worst <= 1e-4, `worst difference ${worst}`);
});
