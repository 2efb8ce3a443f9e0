/** Shape-only ("meta") calls against real ones: same output shape, or the same error (class, message, kind, input size). */
import assert from 'node:assert/strict';
import { NormkitError, type ErrorKind } from '../../src/errors.js';
import type { Module } from '../../src/nn/module.js';
import { randn } from '../../src/tensor/creation.js';
import { Tensor } from '../../src/tensor/tensor.js';
import '../../src/tensor/methods.js';

function attempt(f: () => Tensor): { out?: Tensor; err?: NormkitError } {
  try {
    return { out: f() };
  } catch (e) {
    if (!(e instanceof NormkitError)) throw e;
    return { err: e };
  }
}

export interface MetaCheck {
  mode?: 'train' | 'eval';
  /** The real input requires grad (default true: a training call on a layer's output). */
  requiresGrad?: boolean;
  /** The error kind both calls must raise ('any': raise, whatever the kind; omit when they must run). */
  kind?: ErrorKind | 'any';
  /** A pattern the message must match. */
  message?: RegExp;
}

/** Calls `m` on a real input and on a meta one of `shape`; returns the meta output (or the shared error). */
export function assertMetaLikeReal(m: Module, shape: number[], c: MetaCheck = {}): Tensor | NormkitError {
  m.train((c.mode ?? 'train') === 'train');
  const x = randn(shape);
  x.requiresGrad = c.requiresGrad ?? true;
  const real = attempt(() => m.call(x));
  const meta = attempt(() => m.call(Tensor.meta(shape)));
  const at = `${m.toString()} on [${shape.join(', ')}]`;
  if (real.err || meta.err) {
    assert.ok(real.err, `${at}: meta raised ${meta.err?.message} but the real call ran`);
    assert.ok(meta.err, `${at}: the real call raised ${real.err?.message} but the meta call ran`);
    assert.equal(meta.err.constructor, real.err.constructor, `${at}: error class`);
    assert.equal(meta.err.message, real.err.message, `${at}: message`);
    assert.equal(meta.err.kind, real.err.kind, `${at}: kind`);
    assert.deepEqual(meta.err.inputSize, real.err.inputSize, `${at}: inputSize`);
    assert.ok(c.kind !== undefined, `${at}: unexpected ${real.err.name}: ${real.err.message}`);
    if (c.kind !== 'any') assert.equal(real.err.kind, c.kind, `${at}: kind of ${real.err.message}`);
    if (c.message) assert.match(real.err.message, c.message);
    return real.err;
  }
  assert.equal(c.kind, undefined, `${at}: expected a ${c.kind} error, but it ran`);
  assert.ok(meta.out!.isMeta, `${at}: the meta call returned data`);
  assert.deepEqual(meta.out!.shape, real.out!.shape, `${at}: shape`);
  return meta.out!;
}

/** A meta tensor whose (n, c) planes are known to be constant (e.g. a nearest-upsampled 1x1 map). */
export function constantMeta(shape: number[], since = 'up'): Tensor {
  return Tensor.meta(shape, { spatiallyConstant: true, constantSince: since });
}
