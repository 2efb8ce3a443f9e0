/**
 * `normkit check [MODEL] --input 2x3x64x64 [--mode train|eval] [--sweep 1..128] [--json]`:
 * predicts, before anything runs, whether the model raises at this input
 * (and where, and why), which normalization layers are degenerate, and which
 * verified changes fix it.
 *
 * MODEL is a JSON model spec in the tree or the general form (docs/model-spec.md),
 * a "check file" `{"description", "input", "mode", "model": SPEC}` (what
 * examples/ holds), or the name of a bundled example. Without MODEL, a bundled
 * failing example. Models with several inputs take `--input x=1x3x64x64,c=1x5`.
 *
 * Exit codes (with MODEL; without one, the showcase exits 0 once explained):
 * 0 the model runs and every norm has usable statistics (a
 * FlexibleInstanceNorm falling back counts as chosen behaviour); 1 it raises at
 * this input, or some norm is degenerate (PyTorch is silent there, but that
 * layer outputs its bias alone — a bug worth failing CI for); 2 bad usage or a
 * bad model file (the message names the spec node's path).
 */
import { existsSync, readFileSync, readdirSync, statSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Command } from 'commander';
import picocolors from 'picocolors';
import { analyze, graphOf, MAX_DIM } from '../analysis/analyze.js';
import { suggestFixes } from '../analysis/fixes.js';
import { renderReport } from '../analysis/report.js';
import { sweep } from '../analysis/sweep.js';
import type { Mode, SweepAxis, SweepResult } from '../analysis/types.js';
import { NormkitError, SpecError } from '../errors.js';
import type { Graph } from '../graph/graph.js';
import type { Module } from '../nn/module.js';
import { fromSpec } from '../spec/spec.js';
import { withMetaParameters } from '../tensor/meta_mode.js';

/** The example `normkit check` explains when given no model. */
export const DEFAULT_EXAMPLE = 'collapsing-encoder';

export interface CheckOptions {
  input?: string;
  mode?: string;
  sweep?: string;
  axis?: string;
  json?: boolean;
  fixes?: boolean;
}

export interface CheckIO {
  out: (text: string) => void;
  err: (text: string) => void;
  color: boolean;
}

/** A problem with the command line or the model file: exit code 2. */
class UsageError extends Error {}

function packageRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  while (!existsSync(join(dir, 'package.json')) && dirname(dir) !== dir) dir = dirname(dir);
  return dir;
}

export function examplesDir(): string {
  return join(packageRoot(), 'examples');
}

/** Bundled example names (examples/*.json without the extension). */
export function listExamples(): string[] {
  const dir = examplesDir();
  if (!existsSync(dir)) return [];
  return readdirSync(dir)
    .filter((f) => f.endsWith('.json'))
    .map((f) => f.slice(0, -5))
    .sort();
}

interface Source {
  name: string;
  file: string;
  bundled: boolean;
  description?: string;
  /** Input shapes by name; `''` names the only input of a one-input model. */
  input?: Record<string, number[]>;
  mode?: Mode;
  spec: unknown;
}

export function parseShape(text: string, what = '--input'): number[] {
  const parts = text.trim().split(/[x×,\s]+/i);
  const dims = parts.map((p) => (/^\d+$/.test(p) ? Number(p) : NaN));
  if (!parts.length || dims.some((d) => !Number.isInteger(d) || d < 1)) {
    throw new UsageError(`${what} must be sizes like 2x3x64x64 (positive integers), got '${text}'`);
  }
  const big = dims.find((d) => d > MAX_DIM);
  if (big !== undefined) throw new UsageError(`${what}: a size of ${parts[dims.indexOf(big)]} is past the largest supported (2^31 - 1), in '${text}'`);
  return dims;
}

/** `2x3x64x64` (the model's only input) or `x=1x3x64x64,c=1x5` (inputs by name). */
export function parseInputs(text: string, what = '--input'): Record<string, number[]> {
  if (!text.includes('=')) return { '': parseShape(text, what) };
  const out: Record<string, number[]> = {};
  for (const part of text.split(/[;,](?=\s*[A-Za-z_][\w.:/-]*\s*=)/)) {
    const m = /^\s*([A-Za-z_][\w.:/-]*)\s*=\s*(.+?)\s*$/.exec(part);
    if (!m) throw new UsageError(`${what} must be NAME=SHAPE entries like x=1x3x64x64,c=1x5, got '${part}'`);
    if (out[m[1]!] !== undefined) throw new UsageError(`${what} names input '${m[1]}' twice`);
    out[m[1]!] = parseShape(m[2]!, `${what} ${m[1]}`);
  }
  return out;
}

/** The shapes to analyze: given ones by name (or the only input's), the graph's own declared shapes for the rest. */
function resolveInputs(g: Graph, given: Record<string, number[]> | undefined, name: string): Record<string, number[]> {
  const out: Record<string, number[]> = {};
  const rec = given ?? {};
  if (rec[''] !== undefined) {
    if (g.inputs.length !== 1) {
      throw new UsageError(`${name} takes ${g.inputs.length} inputs (${g.inputs.map((i) => i.name).join(', ')}): give each by name, e.g. --input ${g.inputs.map((i) => `${i.name}=${(i.shape ?? ['N', 'C', 'H', 'W']).join('x')}`).join(',')}`);
    }
    return { [g.inputs[0]!.name]: rec['']! };
  }
  const unknown = Object.keys(rec).filter((k) => !g.inputs.some((i) => i.name === k));
  if (unknown.length) throw new UsageError(`--input names ${unknown.map((u) => `'${u}'`).join(', ')}, but ${name} takes ${g.inputs.map((i) => i.name).join(', ')}`);
  for (const gi of g.inputs) {
    const s = rec[gi.name];
    if (s !== undefined) {
      out[gi.name] = s;
      continue;
    }
    if (gi.shape === null) {
      throw new UsageError(g.inputs.length > 1 ? `${name} has no default size for input '${gi.name}': pass --input ${gi.name}=...` : `${name} has no default input: pass --input, e.g. --input 2x3x64x64`);
    }
    const sym = gi.shape.filter((d) => typeof d === 'string');
    if (sym.length) throw new UsageError(`input '${gi.name}' has dynamic dimension${sym.length > 1 ? 's' : ''} ${sym.map((d) => `'${d}'`).join(', ')} ([${gi.shape.join(', ')}]): give its size with --input`);
    out[gi.name] = gi.shape as number[];
  }
  return out;
}

const inputText = (shapes: Record<string, number[]>) => {
  const entries = Object.entries(shapes);
  return entries.length === 1 && (entries[0]![0] === 'input' || entries[0]![0] === '') ? entries[0]![1].join('x') : entries.map(([k, v]) => `${k}=${v.join('x')}`).join(', ');
};

export function parseRange(text: string): [number, number] {
  const m = /^\s*(\d+)\s*(?:\.\.|-|:)\s*(\d+)\s*$/.exec(text);
  if (!m) throw new UsageError(`--sweep must be a range like 1..128, got '${text}'`);
  const a = Number(m[1]);
  const b = Number(m[2]);
  if (a < 1 || b < a) throw new UsageError(`--sweep range must satisfy 1 <= from <= to, got '${text}'`);
  if (b - a > 4096) throw new UsageError(`--sweep covers at most 4097 sizes, got '${text}'`);
  return [a, b];
}

function parseMode(text: string | undefined, fallback: Mode): Mode {
  if (text === undefined) return fallback;
  if (text !== 'train' && text !== 'eval') throw new UsageError(`--mode must be 'train' or 'eval', got '${text}'`);
  return text;
}

/** Reads MODEL: a file path, or a bundled example's name. */
function loadSource(arg: string): Source {
  const asFile = resolve(arg);
  const bundled = join(examplesDir(), `${arg}.json`);
  let file: string;
  if (existsSync(asFile) && statSync(asFile).isFile()) file = asFile;
  else if (!arg.includes('/') && existsSync(bundled)) file = bundled;
  else throw new UsageError(`no model file '${arg}', and no bundled example of that name (bundled: ${listExamples().join(', ')})`);
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    throw new UsageError(`cannot read ${file}: ${(e as Error).message}`);
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (e) {
    throw new SpecError('', `${file}: invalid JSON (${(e as Error).message})`);
  }
  const isBundled = file === bundled;
  const name = isBundled ? arg : basename(file);
  if (typeof json === 'object' && json !== null && !Array.isArray(json) && 'model' in json && !('module' in json)) {
    const w = json as Record<string, unknown>;
    const extra = Object.keys(w).filter((k) => !['description', 'input', 'mode', 'model'].includes(k));
    if (extra.length) throw new SpecError('', `check file has unexpected key(s) ${extra.map((k) => `'${k}'`).join(', ')} (allowed: description, input, mode, model)`);
    const raw = w['input'];
    const what = `"input" in ${name}`;
    let input: Record<string, number[]> | undefined;
    if (raw === undefined) input = undefined;
    else if (Array.isArray(raw)) input = { '': parseShape(raw.join('x'), what) };
    else if (typeof raw === 'object' && raw !== null) input = Object.fromEntries(Object.entries(raw).map(([k, v]) => [k, parseShape(Array.isArray(v) ? v.join('x') : String(v), `${what} ${k}`)]));
    else input = parseInputs(String(raw), what);
    if (w['mode'] !== undefined && w['mode'] !== 'train' && w['mode'] !== 'eval') throw new SpecError('', `"mode" must be "train" or "eval", got ${JSON.stringify(w['mode'])}`);
    return {
      name,
      file,
      bundled: isBundled,
      ...(typeof w['description'] === 'string' ? { description: w['description'] } : {}),
      ...(input ? { input } : {}),
      ...(w['mode'] ? { mode: w['mode'] as Mode } : {}),
      spec: w['model'],
    };
  }
  return { name, file, bundled: isBundled, spec: json };
}

/**
 * fromSpec with shape-only parameters (analysis needs no weights: three
 * Conv2d(4096, 4096, 3) cost nothing), a constructor's own error (e.g.
 * GroupNorm's divisibility) turned into a SpecError at its node.
 */
function build(spec: unknown): Module {
  try {
    return withMetaParameters(() => fromSpec(spec));
  } catch (e) {
    if (e instanceof NormkitError && !(e instanceof SpecError) && e.modulePath !== undefined) {
      throw new SpecError(e.modulePath, `${e.moduleType}: ${e.type}: ${e.message}`);
    }
    throw e;
  }
}

function defaultAxis(shape: readonly number[]): SweepAxis {
  return shape.length === 3 ? 'length' : shape.length >= 4 ? 'square' : 'batch';
}

/** Runs the check; returns the exit code. */
export function runCheck(modelArg: string | undefined, opts: CheckOptions, io: CheckIO): number {
  const c = picocolors.createColors(io.color);
  try {
    const src = loadSource(modelArg ?? DEFAULT_EXAMPLE);
    const model: Graph = graphOf(build(src.spec));
    const shapes = resolveInputs(model, opts.input !== undefined ? parseInputs(opts.input) : src.input, src.name);
    const input = Object.values(shapes)[0]!;
    const mode = parseMode(opts.mode, src.mode ?? 'train');
    const range = opts.sweep !== undefined ? parseRange(opts.sweep) : undefined;
    const axis = (opts.axis ?? defaultAxis(input)) as SweepAxis;
    if (!['square', 'length', 'batch'].includes(axis)) throw new UsageError(`--axis must be square, length or batch, got '${opts.axis}'`);
    if (axis !== 'batch' && input.length < 3) throw new UsageError(`a ${axis} sweep needs an input with spatial dims, got ${input.join('x')}`);

    const a = analyze(model, shapes, { mode });
    const fixes = opts.fixes === false ? [] : suggestFixes(model, a);
    const swept: SweepResult | undefined = range ? sweep(model, axis, range, { mode, baseShape: shapes }) : undefined;
    const verdict = a.failure ? 'raises' : a.degenerate ? 'degenerate' : 'ok';
    // Without MODEL the command is a showcase of a failing example: it succeeded in explaining it.
    const showcase = modelArg === undefined;
    const code = verdict === 'ok' || showcase ? 0 : 1;

    if (opts.json) {
      const doc = {
        model: { name: src.name, file: src.file, bundled: src.bundled, ...(src.description ? { description: src.description } : {}) },
        input,
        inputs: shapes,
        mode,
        verdict,
        exitCode: code,
        analysis: a,
        fixes,
        ...(swept ? { sweep: swept } : {}),
      };
      io.out(JSON.stringify(doc, null, 2) + '\n');
      return code;
    }
    const lines: string[] = [];
    if (modelArg === undefined) {
      lines.push(c.dim(`No model given: checking the bundled example '${src.name}'. Check yours with: normkit check MODEL.json --input NxCxHxW`));
      lines.push(c.dim(`Bundled examples: ${listExamples().join(', ')}`), '');
    }
    lines.push(`${c.bold('normkit check')} ${src.name}${src.bundled ? c.dim(' (bundled example)') : ''}  input ${inputText(shapes)}, ${mode} mode`);
    if (src.description) lines.push(c.dim(`  ${src.description}`));
    lines.push('', ...renderReport(a, fixes, c, swept));
    const codeNote = showcase && verdict !== 'ok' ? 'exit code 1 when checking your own MODEL; 0 for this showcase' : `exit code ${code}`;
    const summary =
      verdict === 'raises'
        ? c.red(c.bold(`Result: raises at ${inputText(shapes)} (${codeNote})`))
        : verdict === 'degenerate'
          ? c.yellow(c.bold(`Result: runs, but with degenerate statistics (${codeNote})`))
          : c.green(c.bold(`Result: ok (${codeNote})`));
    lines.push(summary);
    io.out(lines.join('\n') + '\n');
    return code;
  } catch (e) {
    if (!(e instanceof UsageError) && !(e instanceof NormkitError)) throw e;
    const nodePath = e instanceof SpecError ? e.nodePath : undefined;
    if (opts.json) {
      const error = { type: e instanceof NormkitError ? e.type : 'UsageError', message: e.message, ...(nodePath !== undefined ? { nodePath } : {}) };
      io.out(JSON.stringify({ error, exitCode: 2 }, null, 2) + '\n');
    } else io.err(`normkit check: ${e.message}\n`);
    return 2;
  }
}

export function registerCheck(program: Command): void {
  program
    .command('check [model]')
    .description('predict normalization failures before anything runs: shapes, norm verdicts, cause chain, verified fixes')
    .option('-i, --input <shape>', 'input size, e.g. 2x3x64x64, or sizes by input name: x=1x3x64x64,c=1x5 (default: the check file\'s "input", the spec\'s declared inputs)')
    .option('-m, --mode <mode>', 'train or eval (default: train)')
    .option('-s, --sweep <range>', 'also analyze every size in a range, e.g. 1..128')
    .option('--axis <axis>', 'what --sweep varies: square (spatial dims), length (last dim) or batch (default: from the input rank)')
    .option('--no-fixes', 'skip the search for verified fixes')
    .option('--json', 'print one JSON document instead of the report')
    .addHelpText(
      'after',
      `\nMODEL is a JSON model spec (tree or general form, docs/model-spec.md), a check file {"description", "input", "mode", "model"}, or a bundled example:\n  ${listExamples().join(', ')}\n` +
        `Without MODEL: explains the bundled '${DEFAULT_EXAMPLE}' example (and exits 0).\n` +
        'Exit codes: 0 runs with usable statistics; 1 raises at this input or a norm is degenerate; 2 bad usage or model file.',
    )
    .action((model: string | undefined, opts: CheckOptions) => {
      const force = process.env['FORCE_COLOR'];
      const color = force !== undefined && force !== '' ? force !== '0' : process.stdout.isTTY === true && process.env['NO_COLOR'] === undefined;
      process.exitCode = runCheck(model, opts, {
        out: (s) => process.stdout.write(s),
        err: (s) => process.stderr.write(s),
        color,
      });
    });
}
