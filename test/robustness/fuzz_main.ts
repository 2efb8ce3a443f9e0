/**
 * `npm run fuzz`: the long campaign of the public-API fuzz (fuzz_api.ts) and
 * the model-based storage test (storage_model.ts). Runs every property
 * FUZZ_RUNS times (default 20,000 API calls, FUZZ_STORAGE_RUNS = FUZZ_RUNS / 20
 * storage programs) from FUZZ_SEED, and prints counts: calls, successes,
 * typed errors by class, untyped errors (must be 0), the slowest call.
 *
 * Only runs when FUZZ_MAIN=1 (node --test runs every file under dist/test).
 */
import fc from 'fast-check';
import '../../src/tensor/methods.js';
import { OP_NAMES, argArb, describe, quietly, runCall, tensorArb } from './fuzz_api.js';
import { storageProperty } from './storage_model.js';

function main(): number {
  const runs = Number(process.env['FUZZ_RUNS'] ?? 20000);
  const seed = Number(process.env['FUZZ_SEED'] ?? 1);
  const storageRuns = Number(process.env['FUZZ_STORAGE_RUNS'] ?? Math.max(50, Math.round(runs / 20)));
  const t0 = performance.now();
  const byResult = new Map<string, number>();
  const untyped = new Map<string, string[]>();
  let slowest = { ms: 0, what: '' };
  const gen = fc.tuple(fc.constantFrom(...OP_NAMES), tensorArb, tensorArb, fc.array(argArb, { minLength: 4, maxLength: 4 }));
  const samples = fc.sample(gen, { numRuns: runs, seed });
  quietly(() => {
    for (const [op, x, y, args] of samples) {
      const r = runCall(op, x, y, args);
      const key = r.result.startsWith('UNTYPED') ? 'UNTYPED' : r.result;
      byResult.set(key, (byResult.get(key) ?? 0) + 1);
      if (key === 'UNTYPED') {
        const list = untyped.get(`${op}: ${r.result}`) ?? [];
        if (list.length < 3) list.push(`${op}(${describe(args)}) on [${x.shape.join(', ')}], [${y.shape.join(', ')}]`);
        untyped.set(`${op}: ${r.result}`, list);
      }
      if (r.ms > slowest.ms) slowest = { ms: r.ms, what: `${op}(${describe(args)}) on [${x.shape.join(', ')}]` };
    }
  });
  const apiMs = performance.now() - t0;
  console.log(`api fuzz: ${runs} calls over ${OP_NAMES.length} entry points (seed ${seed}) in ${(apiMs / 1000).toFixed(1)} s`);
  for (const [k, v] of [...byResult].sort((a, b) => b[1] - a[1])) console.log(`  ${k.padEnd(22)} ${v}`);
  console.log(`  slowest call: ${slowest.ms.toFixed(1)} ms (${slowest.what.slice(0, 160)})`);
  for (const [k, ex] of untyped) console.log(`UNTYPED ${k}\n    e.g. ${ex.join('\n    e.g. ')}`);

  const t1 = performance.now();
  let storageOk = true;
  try {
    fc.assert(storageProperty(), { numRuns: storageRuns, seed });
  } catch (e) {
    storageOk = false;
    console.log(`storage model: FAILED\n${(e as Error).message.slice(0, 4000)}`);
  }
  if (storageOk) console.log(`storage model: ${storageRuns} random programs (seed ${seed}) in ${((performance.now() - t1) / 1000).toFixed(1)} s, no live tensor changed`);
  const bad = (byResult.get('UNTYPED') ?? 0) > 0 || !storageOk;
  console.log(bad ? 'FUZZ FAILED' : 'fuzz: 0 untyped errors, 0 crashes, 0 corrupted tensors');
  return bad ? 1 : 0;
}

if (process.env['FUZZ_MAIN'] === '1') process.exitCode = main();
