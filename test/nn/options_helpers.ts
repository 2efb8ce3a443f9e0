/** What the options tests share: normkit's argument TypeError, and calls as untyped JavaScript makes them. */
import assert from 'node:assert/strict';
import { NormkitError, TypeError } from '../../src/index.js';

/** Calls `f` (as plain JavaScript would: no types) and expects normkit's TypeError of kind 'argument' matching `message`. */
export function raises(f: () => unknown, message: RegExp): void {
  assert.throws(f, (e: unknown) => {
    assert.ok(e instanceof TypeError && e instanceof NormkitError, `not normkit's TypeError: ${String(e)}`);
    assert.equal(e.kind, 'argument');
    assert.match(e.message, message);
    return true;
  });
}

// What untyped JavaScript can pass (TypeScript would refuse these calls).
export const js = <T>(v: unknown) => v as T;
export const loose = (f: unknown) => f as (...args: unknown[]) => unknown;
