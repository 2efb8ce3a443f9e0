/**
 * Every recorded PyTorch case in ../shared/oracle/cases must pass: one test per
 * case, none skipped (a skip is reported as a failure here).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import '../../src/tensor/methods.js';
import { defaultCasesDir, findCaseFiles, loadCaseFile, runCase } from '../../src/oracle/runner.js';

for (const file of findCaseFiles([defaultCasesDir()])) {
  const { cases } = loadCaseFile(file);
  const name = file.split('/').pop()!;
  for (const c of cases) {
    test(`oracle ${name} :: ${c.id}`, () => {
      const r = runCase(c);
      if (r.status === 'skip') assert.fail(`skipped: ${r.reason}`);
      if (r.status === 'fail') assert.fail(`${r.reason} (worst diff ${r.worst})`);
    });
  }
}
