/**
 * Spec builders of the layers added with Conv3d: each builds from PyTorch's
 * snake_case args, prints PyTorch's repr (recorded in
 * test/fixtures/modules_extra_repr.json by test/oracle/gen_modules.py) and
 * round-trips through toSpec.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { SpecError } from '../../src/errors.js';
import { fromSpec, toSpec } from '../../src/spec/spec.js';

function fixture(): { modules: { module: string; args: Record<string, unknown>; repr: string }[] } {
  let dir = dirname(fileURLToPath(import.meta.url));
  while (!dir.endsWith('/dist') && dirname(dir) !== dir) dir = dirname(dir);
  return JSON.parse(readFileSync(join(dirname(dir), 'test', 'fixtures', 'modules_extra_repr.json'), 'utf8'));
}

const { modules } = fixture();

test('every recorded module builds from its spec with PyTorch repr, and toSpec writes it back', () => {
  assert.ok(modules.length >= 30);
  for (const { module, args, repr } of modules) {
    const m = fromSpec({ module, args });
    assert.equal(m.toString(), repr, `${module} ${JSON.stringify(args)}`);
    const again = fromSpec(JSON.parse(JSON.stringify(toSpec(m))));
    assert.equal(again.toString(), repr, `${module} ${JSON.stringify(args)} after toSpec`);
    assert.equal(again.constructor, m.constructor);
  }
});

test('unknown or mistyped arguments are SpecErrors naming the node', () => {
  assert.throws(() => fromSpec({ module: 'PReLU', args: { num_params: 3 } }), (e: SpecError) => e instanceof SpecError && /unknown argument 'num_params'/.test(e.message));
  assert.throws(() => fromSpec({ module: 'Conv3d', args: { in_channels: 2, out_channels: 3 } }), /argument 'kernel_size' is required/);
  assert.throws(() => fromSpec({ module: 'Softplus', args: { beta: 'two' } }), SpecError);
});

test('the package exports the new modules and functions under nn and F', async () => {
  const { nn, F } = await import('../../src/index.js');
  for (const name of ['PReLU', 'ReLU6', 'SELU', 'SiLU', 'Hardswish', 'Softplus', 'PixelShuffle', 'PixelUnshuffle', 'Dropout2d', 'MaxPool1d', 'AvgPool1d', 'AdaptiveAvgPool1d', 'Conv3d', 'ConvTranspose1d', 'ConvTranspose3d']) {
    assert.equal(typeof (nn as Record<string, unknown>)[name], 'function', `nn.${name}`);
  }
  for (const name of ['prelu', 'relu6', 'selu', 'silu', 'hardswish', 'softplus', 'pixelShuffle', 'pixelUnshuffle', 'dropout2d', 'maxPool1d', 'avgPool1d', 'adaptiveAvgPool1d', 'conv3d', 'convTranspose1d', 'convTranspose3d']) {
    assert.equal(typeof (F as Record<string, unknown>)[name], 'function', `F.${name}`);
  }
});
