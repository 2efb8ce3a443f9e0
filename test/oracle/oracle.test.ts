/**
 * Every recorded PyTorch case in ../shared/oracle/cases and in this
 * repository's test/oracle/cases (written by test/oracle/gen_modules.py) must
 * pass: one test per case, none skipped (a skip is reported as a failure here).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import '../../src/tensor/methods.js';
import { defaultCasesDir, findCaseFiles, loadCaseFile, repoCasesDir, runCase } from '../../src/oracle/runner.js';

// Each folder on its own: the repository's cases run whether or not ../shared is there.
for (const dir of [defaultCasesDir(), repoCasesDir()]) {
  if (!existsSync(dir)) {
    test(`oracle cases in ${dir}`, () => assert.fail(`no such folder: ${dir}`));
    continue;
  }
  for (const file of findCaseFiles([dir])) {
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
}
