/**
 * Type names that survive minification: every module, optimizer and error
 * class of the library declares its PyTorch name as a static `typeName`
 * (what reprs, specs, the analyzer and messages print), equal to its class
 * name here (unminified); a user's subclass that declares none is named by
 * its own class, as PyTorch prints it. (The minified bundles are checked in
 * test/web/bundles.test.ts and test/browser/web_app.test.ts.)
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as errors from '../../src/errors.js';
import * as nn from '../../src/nn/index.js';
import { Module } from '../../src/nn/module.js';
import * as optim from '../../src/optim/index.js';
import { OnnxError } from '../../src/formats/onnx/index.js';
import { SafetensorsError } from '../../src/io/safetensors.js';
import { Tensor } from '../../src/tensor/tensor.js';
import { randn } from '../../src/tensor/creation.js';
import { pyTypeName } from '../../src/errors.js';
import { typeNameOf } from '../../src/type_name.js';

const own = (c: object) => Object.hasOwn(c, 'typeName');

test('every concrete nn module class declares its name', () => {
  const classes = Object.values(nn).filter((v): v is typeof Module => typeof v === 'function' && v.prototype instanceof Module);
  assert.ok(classes.length >= 60, `${classes.length} module classes`);
  const missing = classes.filter((c) => !own(c) && !/^(Module|NormBase|InstanceNormNd|BatchNormNd|ConvNd)$/.test(c.name));
  assert.deepEqual(missing.map((c) => c.name), []);
  for (const c of classes.filter(own)) assert.equal((c as unknown as { typeName: string }).typeName, c.name);
});

test('optimizers, errors and Tensor declare theirs; a user subclass without one keeps its class name', () => {
  for (const c of [optim.SGD, optim.Adam, optim.AdamW]) assert.equal((c as unknown as { typeName: string }).typeName, c.name);
  const p = randn([2]);
  p.requiresGrad = true;
  assert.equal(new optim.AdamW([p], 0.1).typeName, 'AdamW');
  const errorClasses = [...Object.values(errors).filter((v): v is typeof errors.NormkitError => typeof v === 'function' && (v === errors.NormkitError || v.prototype instanceof errors.NormkitError)), OnnxError, SafetensorsError];
  assert.ok(errorClasses.length >= 10);
  for (const c of errorClasses) {
    assert.ok(own(c), c.name);
    assert.equal((c as unknown as { typeName: string }).typeName, c.name);
  }
  assert.equal(new errors.ValueError('x').name, 'ValueError');
  assert.equal(new errors.ValueError('x').type, 'ValueError');
  assert.equal(pyTypeName(randn([1])), 'Tensor');
  assert.equal(Tensor.typeName, 'Tensor');

  class MyNorm extends nn.InstanceNorm2d {}
  assert.equal(new MyNorm(3).typeName, 'MyNorm');
  assert.match(String(new MyNorm(3)), /^MyNorm\(3, eps=1e-05/);
  class MyError extends errors.ValueError {}
  assert.equal(new MyError('m').name, 'MyError');
  // A renamed class (what a minifier does) still prints its declared name.
  const Renamed = { e: class extends nn.Conv2d { static override readonly typeName: string = 'Conv2d'; } }.e;
  assert.equal(Renamed.name, 'e');
  assert.equal(new Renamed(1, 1, 1).typeName, 'Conv2d');
  assert.equal(typeNameOf(undefined), 'object');
});
