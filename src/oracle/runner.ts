/** Loads oracle case files and runs every case by its `kind`. */
import { existsSync, readFileSync, readdirSync, statSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
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

/** The recorded cases kept in the repository: `test/oracle/cases` (or $NORMKIT_ORACLE_DIR). */
export function defaultCasesDir(): string {
  if (process.env['NORMKIT_ORACLE_DIR']) return resolve(process.env['NORMKIT_ORACLE_DIR']);
  return join(repoRoot(), 'test', 'oracle', 'cases');
}

/** `../shared/oracle/cases` beside the repository, when it is there (the project's CI has it; a clone may not). */
export function sharedCasesDir(): string | null {
  const dir = resolve(repoRoot(), '..', 'shared', 'oracle', 'cases');
  return existsSync(dir) ? dir : null;
}

/**
 * Where the cases are read from by default: $NORMKIT_ORACLE_DIR alone when it
 * is set, else the repository's copy and then `../shared/oracle/cases` when
 * present (its cases that the copy lacks are run too; see `loadCaseFiles`).
 */
export function defaultCasesDirs(): string[] {
  if (process.env['NORMKIT_ORACLE_DIR']) return [defaultCasesDir()];
  const shared = sharedCasesDir();
  return shared ? [defaultCasesDir(), shared] : [defaultCasesDir()];
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

/**
 * Loads the case files under `paths` (files or folders), in order, keeping
 * each case id once: a case an earlier file already holds is dropped, and a
 * file left with no cases is left out. So the repository's copy wins over
 * `../shared` and only the cases it lacks come from there. `label` names a
 * file by its name (`norms_adain.json`; `shared/norms_adain.json` for the
 * cases only ../shared's file of that name holds, else the full path).
 */
export function loadCaseFiles(paths: readonly string[]): (CaseFile & { label: string })[] {
  const seen = new Set<string>();
  const labels = new Set<string>();
  const out: (CaseFile & { label: string })[] = [];
  const shared = sharedCasesDir() ?? '//';
  for (const path of paths) {
    for (const file of findCaseFiles([path])) {
      const f = loadCaseFile(file);
      const cases = f.cases.filter((c) => !seen.has(c.id));
      for (const c of cases) seen.add(c.id);
      if (cases.length === 0) continue;
      let label = basename(file);
      if (labels.has(label)) label = file.startsWith(shared + '/') ? `shared/${label}` : file;
      labels.add(label);
      out.push({ ...f, cases, label });
    }
  }
  return out;
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
