#!/usr/bin/env node
/**
 * `npm run oracle -- [FILE|DIR ...]`: runs recorded PyTorch cases (by default
 * test/oracle/cases, plus the cases of ../shared/oracle/cases it lacks, when
 * present), prints one line per failing (or skipped) case, then
 * `N passed, N failed, N skipped`. A case id is run once.
 */
import '../tensor/methods.js';
import { onWarning } from '../nn/warnings.js';
import { defaultCasesDirs, loadCaseFiles, runCase } from './runner.js';

function main(argv: string[]): number {
  const verbose = argv.includes('--verbose');
  const paths = argv.filter((a) => !a.startsWith('--'));
  const files = loadCaseFiles(paths.length ? paths : defaultCasesDirs());
  let passed = 0;
  let failed = 0;
  let skipped = 0;
  // Fallback warnings are part of what some cases exercise; count them instead of printing each.
  let warnings = 0;
  onWarning(() => warnings++);
  for (const { label, cases } of files) {
    for (const c of cases) {
      const r = runCase(c);
      const name = `${label} :: ${c.id}`;
      if (r.status === 'pass') {
        passed++;
        if (verbose) console.log(`PASS ${name} (worst ${r.worst.toExponential(2)})`);
      } else if (r.status === 'fail') {
        failed++;
        console.log(`FAIL ${name} (worst diff ${r.worst.toExponential(2)}): ${r.reason}`);
      } else {
        skipped++;
        console.log(`SKIP ${name}: ${r.reason}`);
      }
    }
  }
  if (verbose && warnings > 0) console.log(`(${warnings} normkit warnings collected)`);
  console.log(`${passed} passed, ${failed} failed, ${skipped} skipped`);
  return failed > 0 ? 1 : 0;
}

try {
  process.exitCode = main(process.argv.slice(2));
} catch (err) {
  console.error(`oracle: ${(err as Error).message}`);
  process.exitCode = 2;
}
