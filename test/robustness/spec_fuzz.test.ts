/**
 * Bounded, seeded fuzz of the spec parsers and the check command's arguments
 * (the long campaign: `npm run fuzz`). No outcome may be an untyped error.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { cliArb, generalArb, runCli, runSpec, shapeArb, treeArb } from './fuzz_specs.js';

test('tree-form specs: built and analyzed, or a typed error', () => {
  fc.assert(fc.property(treeArb, shapeArb, (spec, shape) => !runSpec(spec, shape).startsWith('UNTYPED')), { numRuns: 400, seed: 11 });
});

test('general-form specs: built and analyzed, or a typed error', () => {
  fc.assert(fc.property(generalArb, shapeArb, (spec, shape) => !runSpec(spec, shape).startsWith('UNTYPED')), { numRuns: 400, seed: 12 });
});

test('normkit check arguments: an exit code and one line of message, never a throw', () => {
  const seen = new Set<string>();
  fc.assert(
    fc.property(cliArb, (o) => {
      const r = runCli(o);
      seen.add(r);
      return r.startsWith('exit ');
    }),
    { numRuns: 60, seed: 13 },
  );
  assert.ok(seen.has('exit 2') && (seen.has('exit 1') || seen.has('exit 0')), [...seen].join(', '));
});
