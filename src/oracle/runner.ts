/** Loads oracle case files and runs every case by its `kind`. */
import { existsSync, readFileSync, readdirSync, statSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { CaseResult, OracleCase } from './case_types.js';
import { runFunctionCase } from './kinds/function.js';
import { runConstructErrorCase, runModuleCase } from './kinds/module.js';
import { runNetworkCase } from './kinds/network.js';
import { runOptimizerCase } from './kinds/optimizer.js';
import { runShapeFlowCase } from './kinds/shape_flow.js';

export interface CaseFile {
  path: string;
  suite: string;
  cases: OracleCase[];
}

/** The repository's root (the nearest folder above this file with a package.json). */
function repoRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  while (!existsSync(join(dir, 'package.json')) && dirname(dir) !== dir) dir = dirname(dir);
  return dir;
}

/** `../shared/oracle/cases` next to the repository (or $NORMKIT_ORACLE_DIR). */
export function defaultCasesDir(): string {
  if (process.env['NORMKIT_ORACLE_DIR']) return resolve(process.env['NORMKIT_ORACLE_DIR']);
  return resolve(repoRoot(), '..', 'shared', 'oracle', 'cases');
}

/** The cases this repository records itself (`test/oracle/cases`, written by test/oracle/gen_modules.py). */
export function repoCasesDir(): string {
  return resolve(repoRoot(), 'test', 'oracle', 'cases');
}

export function findCaseFiles(paths: readonly string[]): string[] {
  const out: string[] = [];
  for (const p of paths) {
    if (statSync(p).isDirectory()) {
      for (const f of readdirSync(p).sort()) if (f.endsWith('.json')) out.push(join(p, f));
    } else out.push(p);
  }
  return out;
}

export function loadCaseFile(path: string): CaseFile {
  const j = JSON.parse(readFileSync(path, 'utf8')) as { suite?: string; cases?: OracleCase[] };
  if (!Array.isArray(j.cases)) throw new Error(`${path}: no "cases" list`);
  return { path, suite: j.suite ?? path, cases: j.cases };
}

export function runCase(c: OracleCase): CaseResult {
  try {
    switch (c.kind) {
      case 'module':
        return runModuleCase(c);
      case 'construct_error':
        return runConstructErrorCase(c);
      case 'function':
        return runFunctionCase(c);
      case 'network':
        return runNetworkCase(c);
      case 'optimizer':
        return runOptimizerCase(c);
      case 'shape_flow':
        return runShapeFlowCase(c);
      default:
        return { status: 'skip', reason: `unknown kind ${(c as { kind: string }).kind}` };
    }
  } catch (err) {
    const e = err as Error;
    return { status: 'fail', worst: Infinity, reason: `${e.name}: ${e.message}` };
  }
}
