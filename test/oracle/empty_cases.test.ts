/**
 * Empty inputs (a zero batch or a zero spatial size) to every norm, recorded
 * from PyTorch by test/oracle/gen_empty.py into test/oracle/cases/norms_empty.json
 * (in the repository: no ../shared needed). One test per case; a skip fails.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { existsSync } from 'node:fs';
import '../../src/tensor/methods.js';
import { loadCaseFile, runCase } from '../../src/oracle/runner.js';

// Compiled to dist/test/oracle: the JSON stays in the source tree.
function casesFile(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  while (!existsSync(join(dir, 'package.json')) && dirname(dir) !== dir) dir = dirname(dir);
  return join(dir, 'test', 'oracle', 'cases', 'norms_empty.json');
}

const { cases } = loadCaseFile(casesFile());

test('norms_empty.json holds the recorded cases', () => {
  assert.ok(cases.length >= 100, `${cases.length} cases`);
});

for (const c of cases) {
  test(`oracle norms_empty.json :: ${c.id}`, () => {
    const r = runCase(c);
    if (r.status === 'skip') assert.fail(`skipped: ${r.reason}`);
    if (r.status === 'fail') assert.fail(`${r.reason} (worst diff ${r.worst})`);
  });
}
