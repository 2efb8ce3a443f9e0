/**
 * Every recorded PyTorch case must pass: the repository's copy in
 * test/oracle/cases, plus any case of ../shared/oracle/cases (when it is
 * beside the repository) that the copy lacks. One test per case, none
 * skipped (a skip is reported as a failure here).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import '../../src/tensor/methods.js';
import { defaultCasesDirs, loadCaseFiles, runCase } from '../../src/oracle/runner.js';

const files = loadCaseFiles(defaultCasesDirs());

test('the recorded cases are present: the PyTorch copies and the repository\'s own suites', () => {
  assert.ok(files.length >= 10, `found ${files.length} case files in ${defaultCasesDirs().join(', ')}`);
  const labels = files.map((f) => f.label).join(' ');
  for (const own of ['graphs_general_form.json', 'modules_extra.json', 'norms_empty.json']) assert.ok(labels.includes(own), `${own} missing from ${labels}`);
});

for (const { label, cases } of files) {
  for (const c of cases) {
    test(`oracle ${label} :: ${c.id}`, () => {
      const r = runCase(c);
      if (r.status === 'skip') assert.fail(`skipped: ${r.reason}`);
      if (r.status === 'fail') assert.fail(`${r.reason} (worst diff ${r.worst})`);
    });
  }
}
