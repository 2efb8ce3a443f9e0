/**
 * The built WebAssembly keeps one loop per kernel variant. Binaryen folds
 * loops inlined from one function that takes the variant (an activation, an
 * arithmetic op) as an argument into a single loop that tests the variant
 * on every vector and computes the variants before it as branch values:
 * `(drop (br_if $block VALUE COND))` chains, which cost actF 1.3-4x and the
 * elementwise runs 2.5-4x. The kernels pick each loop's code by a type
 * argument instead (asm/activations.ts, asm/gemm.ts heldRuns); this test
 * finds such a chain in any module the build ships.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import binaryen from 'binaryen';

const dir = fileURLToPath(new URL('../../src/kernels/', import.meta.url));

test('no built wasm module computes kernel variants speculatively as branch values (Binaryen\'s folded loops)', () => {
  const files = readdirSync(dir).filter((f) => f.endsWith('.wasm'));
  assert.ok(files.includes('gemm.wasm') && files.includes('gemm_relaxed.wasm') && files.includes('norm.wasm'), `modules found: ${files.join(', ')}`);
  for (const f of files) {
    const m = binaryen.readBinary(readFileSync(dir + f));
    const text = m.emitText();
    m.dispose();
    // each function's name and its count of value-carrying br_ifs whose value is dropped on the fall-through
    const found: string[] = [];
    for (const fn of text.split('\n (func ').slice(1)) {
      const n = (fn.match(/\(drop\s+\(br_if \$block/g) ?? []).length;
      if (n > 0) found.push(`${fn.slice(0, fn.indexOf(' '))} (${n})`);
    }
    assert.deepEqual(found, [], `${f}: functions with speculative branch values (see this test's comment): ${found.join(', ')}`);
  }
});
