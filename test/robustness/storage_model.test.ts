/** Bounded run of the model-based storage test (storage_model.ts; `npm run fuzz` runs it longer). */
import { test } from 'node:test';
import fc from 'fast-check';
import { storageProperty } from './storage_model.js';

test('model-based: random programs of ops, views, subarrays, dispose, tidy, noGrad, backward and optimizer steps never change a live tensor', () => {
  fc.assert(storageProperty(), { numRuns: Number(process.env['FUZZ_STORAGE_TEST_RUNS'] ?? 100), seed: 20261201 });
});
