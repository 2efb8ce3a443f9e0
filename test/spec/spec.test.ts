/**
 * JSON model specs: fromSpec/toSpec round trips with PyTorch's module paths
 * and state-dict names, and SpecErrors that name the offending node's path.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { NormkitError, SpecError, ValueError, manualSeed, nn, randn } from '../../src/index.js';
import { fromSpec, toSpec, type SpecNode } from '../../src/spec/spec.js';

/** A model touching every container: paths `1.body.0`, `2.branches.1`, ... */
const spec = {
  module: 'Sequential',
  layers: [
    { module: 'InstanceNorm2d', args: { num_features: 4, affine: true } },
    {
      module: 'Residual',
      body: {
        module: 'Sequential',
        layers: [
          { module: 'GroupNorm', args: { num_groups: 2, num_channels: 4, eps: 1e-3 } },
          { module: 'Identity' },
        ],
      },
    },
    {
      module: 'Concat',
      dim: 1,
      branches: [{ module: 'Identity' }, { module: 'BatchNorm2d', args: { num_features: 4, momentum: null } }],
    },
    { module: 'Upsample', args: { scale_factor: 2, mode: 'nearest' } },
  ],
};

const paths = (m: nn.Module) => [...m.namedModules()].map(([p, mod]) => `${p}:${mod.typeName}`);

test('fromSpec gives PyTorch named_modules paths and state_dict names', () => {
  const m = fromSpec(spec);
  assert.deepEqual(paths(m), [
    ':Sequential',
    '0:InstanceNorm2d',
    '1:Residual',
    '1.body:Sequential',
    '1.body.0:GroupNorm',
    '1.body.1:Identity',
    '2:Concat',
    '2.branches:ModuleList',
    '2.branches.0:Identity',
    '2.branches.1:BatchNorm2d',
    '3:Upsample',
  ]);
  assert.deepEqual(
    [...m.stateDict()].map(([k, t]) => `${k}:${t.shape.join('x')}`),
    [
      '0.weight:4',
      '0.bias:4',
      '1.body.0.weight:4',
      '1.body.0.bias:4',
      '2.branches.1.weight:4',
      '2.branches.1.bias:4',
      '2.branches.1.running_mean:4',
      '2.branches.1.running_var:4',
      '2.branches.1.num_batches_tracked:',
    ],
  );
});

test('toSpec writes back a spec that rebuilds the same model, and is a fixed point', () => {
  const m = fromSpec(spec);
  const s1 = toSpec(m);
  const m2 = fromSpec(JSON.parse(JSON.stringify(s1)) as unknown);
  assert.deepEqual(paths(m2), paths(m));
  assert.deepEqual(toSpec(m2), s1);
  // Non-default arguments survive the trip.
  const json = JSON.stringify(s1);
  assert.match(json, /"num_groups":2/);
  assert.match(json, /"eps":0\.001/);
  assert.match(json, /"affine":true/);
  assert.match(json, /"momentum":null/);
  assert.match(json, /"scale_factor":2/);
  const node = s1 as { module: string; layers: SpecNode[] };
  assert.equal(node.module, 'Sequential');
  assert.deepEqual(node.layers[2], toSpec(m.getSubmodule('2')));
});

test('a spec given as JSON text builds the same model, and the model runs', () => {
  manualSeed(31);
  const m = fromSpec(JSON.stringify(spec));
  assert.deepEqual(paths(m), paths(fromSpec(spec)));
  const y = m.call(randn([2, 4, 3, 3]));
  assert.deepEqual(y.shape, [2, 8, 6, 6]);
});

test('an error inside a built model names the module path', () => {
  const m = fromSpec(spec);
  // 1x1 planes: InstanceNorm2d at path 0 cannot take statistics in training.
  assert.throws(
    () => m.call(randn([2, 4, 1, 1])),
    (e: Error) => e instanceof ValueError && (e as NormkitError).modulePath === '0' && (e as NormkitError).moduleType === 'InstanceNorm2d',
  );
});

function specError(s: unknown, nodePath: string, message: RegExp): void {
  assert.throws(
    () => fromSpec(s),
    (e: Error) => {
      assert.ok(e instanceof SpecError, `expected SpecError, got ${e.name}: ${e.message}`);
      assert.equal(e.nodePath, nodePath);
      assert.match(e.message, message);
      if (nodePath !== '') assert.ok(e.message.startsWith(`at ${nodePath}: `), e.message);
      return true;
    },
  );
}

const nested = (leaf: unknown) => ({
  module: 'Sequential',
  layers: [{ module: 'Identity' }, { module: 'Residual', body: { module: 'Concat', branches: [{ module: 'Identity' }, leaf] } }],
});

test('unknown module, unknown argument and badly typed argument are SpecErrors at the node path', () => {
  specError(nested({ module: 'Conv9d' }), '1.body.branches.1', /unknown module 'Conv9d'/);
  specError(nested({ module: 'InstanceNorm2d', args: { num_features: 4, afine: true } }), '1.body.branches.1', /InstanceNorm2d: unknown argument 'afine'/);
  specError(nested({ module: 'InstanceNorm2d', args: { num_features: '4' } }), '1.body.branches.1', /'num_features' must be an integer/);
  specError(nested({ module: 'InstanceNorm2d', args: { num_features: 4, affine: 1 } }), '1.body.branches.1', /'affine' must be true or false/);
  specError(nested({ module: 'InstanceNorm2d' }), '1.body.branches.1', /'num_features' is required/);
  specError(nested({ module: 'Upsample', args: { scale_factor: 2, mode: 'cubic' } }), '1.body.branches.1', /'mode' must be one of/);
});

test('malformed JSON and malformed nodes are SpecErrors', () => {
  specError('{"module": "Sequential", "layers": [', '', /invalid JSON/);
  specError('[1, 2]', '', /a node must be an object/);
  specError(nested(42), '1.body.branches.1', /a node must be an object/);
  specError(nested({ args: {} }), '1.body.branches.1', /no "module" name/);
  specError({ module: 'Sequential', layers: { 0: { module: 'Identity' } } }, '', /'layers': a list of nodes/);
  specError({ module: 'Sequential', layers: [], extra: 1 }, '', /unexpected key 'extra'/);
  specError({ module: 'Sequential', layers: [{ module: 'Residual' }] }, '0', /Residual needs 'body'/);
  specError({ module: 'Concat', branches: [], dim: 1.5 }, '', /'dim' must be an integer/);
  specError(nested({ module: 'GroupNorm', args: { num_groups: 2, num_channels: 4 }, arg: {} }), '1.body.branches.1', /unexpected key 'arg'/);
  specError(nested({ module: 'GroupNorm', args: [2, 4] }), '1.body.branches.1', /'args' must be an object/);
});

test("a constructor's own error keeps its type and gains the node path", () => {
  assert.throws(
    () => fromSpec(nested({ module: 'GroupNorm', args: { num_groups: 3, num_channels: 4 } })),
    (e: Error) => e instanceof ValueError && (e as NormkitError).modulePath === '1.body.branches.1' && (e as NormkitError).moduleType === 'GroupNorm',
  );
});

test('toSpec refuses a module that has no spec form, naming its path', () => {
  class Custom extends nn.Module {
    forward(x: never) {
      return x;
    }
  }
  assert.throws(() => toSpec(new nn.Sequential(new nn.Identity(), new nn.Residual(new Custom()))), (e: Error) => e instanceof SpecError && e.nodePath === '1.body');
});
