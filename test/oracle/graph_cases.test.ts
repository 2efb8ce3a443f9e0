/**
 * The general-form models recorded from PyTorch by test/oracle/gen_graphs.py
 * (values, gradients and shape flows, with named inputs and several outputs)
 * must pass: one test per case, none skipped.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import '../../src/tensor/methods.js';
import { loadCaseFile, runCase } from '../../src/oracle/runner.js';
import { repoRoot } from '../helpers.js';

const file = join(repoRoot(), 'test', 'oracle', 'cases', 'graphs_general_form.json');
const { cases } = loadCaseFile(file);
test('the general-form suite holds cases of both kinds', () => {
  assert.ok(cases.filter((c) => c.kind === 'network').length >= 7);
  assert.ok(cases.filter((c) => c.kind === 'shape_flow').length >= 14);
});
for (const c of cases) {
  test(`oracle graphs_general_form.json :: ${c.id}`, () => {
    const r = runCase(c);
    if (r.status === 'skip') assert.fail(`skipped: ${r.reason}`);
    if (r.status === 'fail') assert.fail(`${r.reason} (worst diff ${r.worst})`);
  });
}
