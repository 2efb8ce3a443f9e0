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
 * 0 the model runs and every norm has usable statistics; 1 it raises at this
 * input, some norm is degenerate (PyTorch is silent there, but that layer
 * outputs its bias alone — a bug worth failing CI for), or a
 * FlexibleInstanceNorm falls back (that layer does not normalize); 2 bad usage
 * or a bad model file (the message names the spec node's path).
 */
import type { Command } from 'commander';
import picocolors from 'picocolors';
import { graphOf } from '../analysis/analyze.js';
import { renderReport } from '../analysis/report.js';
import { renderSummary, summarize } from '../analysis/summary.js';
import type { Analysis, Fix, Mode, SweepResult } from '../analysis/types.js';
import { checkGraph, reportInputOf } from '../doctor/check.js';
import type { ImportInfo } from '../formats/onnx/index.js';
import { NormkitError, SpecError } from '../errors.js';
import type { Graph } from '../graph/graph.js';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { applyFix, applyFixToOnnx, applyFixToOnnxSpec } from '../doctor/apply_fix.js';
import { JSON_SCHEMA_VERSION, toolVersion } from './version.js';
import { inputText, listExamples, loadModel, loadSource, parseInputs, parseMode, parseRange, resolveInputs, UsageError, type Source } from './model_source.js';
import { writeReportFiles } from '../report/cli.js';

/** The example `normkit check` explains when given no model. */
export const DEFAULT_EXAMPLE = 'collapsing-encoder';
export { examplesDir, listExamples, parseShape, parseInputs, parseRange } from './model_source.js';

export interface CheckOptions {
  input?: string;
  mode?: string;
  sweep?: string;
  axis?: string;
  json?: boolean;
  fixes?: boolean;
  summary?: boolean;
  apply?: string;
  out?: string;
  /** Write the self-contained HTML report / the graph as SVG to these files. */
  html?: string;
  svg?: string;
  png?: string;
}

export interface CheckIO {
  out: (text: string) => void;
  err: (text: string) => void;
  color: boolean;
  /** Standard input's text, for MODEL '-' (default: read file descriptor 0). */
  stdin?: () => string;
}

/** What every `--json` document starts with. */
export function jsonHeader(): { schemaVersion: number; tool: { name: string; version: string } } {
  return { schemaVersion: JSON_SCHEMA_VERSION, tool: { name: 'normkit', version: toolVersion() } };
}

/** MODEL '-': the spec (or check file) from standard input, through a temporary file so that it loads like any other. */
function loadSourceOrStdin(modelArg: string, io: CheckIO) {
  if (modelArg !== '-') return loadSource(modelArg);
  const text = (io.stdin ?? (() => readFileSync(0, 'utf8')))();
  const file = join(mkdtempSync(join(tmpdir(), 'normkit-stdin-')), 'stdin.json');
  writeFileSync(file, text);
  return { ...loadSource(file), name: '(stdin)', file: '-' };
}

/** --apply N: a fix rank among those found. */
function parseApply(text: string, count: number): number {
  const n = /^\d+$/.test(text.trim()) ? Number(text) : NaN;
  if (!Number.isInteger(n) || n < 1 || n > count) {
    throw new UsageError(count === 0 ? `--apply ${text}: no verified fix to apply at this input` : `--apply must be a fix number from 1 to ${count}, got '${text}'`);
  }
  return n;
}

/**
 * What `--apply N --out FILE` writes: a JSON spec edited as a spec; an ONNX
 * file edited as a graph and written as ONNX (`.onnx`) or, when it has one,
 * as a general-form JSON spec without weights (`.json`).
 */
function fixedFile(src: Source, model: Graph, fix: Fix, shapes: Record<string, number[]>, out: string): { data: string | Uint8Array; notes: string[] } {
  const onnxOut = /\.onnx$/i.test(out);
  if (!onnxOut && !/\.json$/i.test(out)) throw new UsageError(`--out must name a .json file (the fixed spec) or an .onnx file (ONNX models), got '${out}'`);
  const json = (spec: unknown) => JSON.stringify(spec, null, 2) + '\n';
  if (src.onnx === undefined) {
    if (onnxOut) throw new UsageError(`--out ${out}: a JSON spec is fixed as a JSON spec (--out fixed.json); write it as ONNX with: normkit export fixed.json ${out}`);
    return { data: json(applyFix(src.spec, fix)), notes: [] };
  }
  if (onnxOut) {
    const fixed = applyFixToOnnx(src.onnx, fix, shapes);
    return { data: fixed.bytes, notes: fixed.notes };
  }
  return { data: json(applyFixToOnnxSpec(model, fix)), notes: ['a general-form spec of the fixed graph: the modules and their arguments, not the file\'s weights'] };
}

/** What the file is, and what it cannot show: a BatchNorm folded away (train mode), layers onnxruntime runs where PyTorch raises. */
function onnxLines(info: ImportInfo, a: Analysis, mode: Mode, c: ReturnType<typeof picocolors.createColors>): string[] {
  const lines = [c.dim(`  ONNX file from ${info.producer || 'an unknown producer'}, IR ${info.irVersion}, opset ${info.opset}`)];
  if (mode === 'train') for (const n of info.notes) lines.push(c.yellow(`  Note: ${n}`));
  const bad = new Set(a.norms.filter((n) => n.verdict !== 'ok').map((n) => n.path));
  if (a.failure) bad.add(a.failure.path);
  for (const n of info.nodeNotes) if (bad.has(n.scope)) lines.push(c.yellow(`  Note (${n.scope === '' ? 'root' : n.scope}): ${n.note}`));
  return lines;
}

/** Runs the check; returns the exit code. */
export function runCheck(modelArg: string | undefined, opts: CheckOptions, io: CheckIO): number {
  const c = picocolors.createColors(io.color);
  try {
    const src = loadSourceOrStdin(modelArg ?? DEFAULT_EXAMPLE, io);
    if (opts.apply !== undefined && opts.out === undefined) throw new UsageError('--apply needs --out FILE: where to write the fixed model (a .json spec, or .onnx for an ONNX model)');
    if (opts.out !== undefined && opts.apply === undefined) throw new UsageError('--out needs --apply N: which fix to write');
    if (opts.apply !== undefined && opts.fixes === false) throw new UsageError('--apply cannot be used with --no-fixes');
    const loaded = loadModel(src);
    const model: Graph = graphOf(loaded.model);
    const shapes = resolveInputs(model, opts.input !== undefined ? parseInputs(opts.input) : src.input, src.name);
    const input = Object.values(shapes)[0]!;
    const mode = parseMode(opts.mode, src.mode ?? 'train');
    const range = opts.sweep !== undefined ? parseRange(opts.sweep) : undefined;
    const checked = checkGraph(model, shapes, { mode, fixes: opts.fixes !== false, ...(range ? { sweep: range } : {}), ...(opts.axis !== undefined ? { axis: opts.axis } : {}) });
    const { analysis: a, fixes, verdict, fallbacks } = checked;
    const swept: SweepResult | undefined = checked.sweep;
    const layerSummary = summarize(model, a);
    let applied: { rank: number; out: string; notes?: string[] } | undefined;
    if (opts.apply !== undefined) {
      const fix = fixes![parseApply(opts.apply, fixes!.length) - 1]!;
      const { data, notes } = fixedFile(src, model, fix, shapes, opts.out!);
      try {
        writeFileSync(opts.out!, data);
      } catch (e) {
        throw new UsageError(`cannot write ${opts.out}: ${(e as Error).message}`);
      }
      applied = { rank: fix.rank, out: opts.out!, ...(notes.length ? { notes } : {}) };
      if (!opts.json) io.err(`normkit check: wrote ${opts.out} with fix ${fix.rank} applied (${fix.title})\n${notes.map((n) => `  note: ${n}\n`).join('')}`);
    }
    // Without MODEL the command is a showcase of a failing example: it succeeded in explaining it.
    const showcase = modelArg === undefined;
    const code = verdict === 'ok' || showcase ? 0 : 1;
    if (opts.html !== undefined || opts.svg !== undefined || opts.png !== undefined) {
      const files = { ...(opts.html !== undefined ? { html: opts.html } : {}), ...(opts.svg !== undefined ? { svg: opts.svg } : {}), ...(opts.png !== undefined ? { png: opts.png } : {}) };
      const report = reportInputOf(src.name, src.description, model, checked);
      for (const line of writeReportFiles(files, report, `normkit check ${src.name} --input ${inputText(shapes)} --mode ${mode}${opts.sweep !== undefined ? ` --sweep ${opts.sweep}` : ''}`)) io.err(line + '\n');
    }

    if (opts.json) {
      const doc = {
        ...jsonHeader(),
        model: { name: src.name, file: src.file, bundled: src.bundled, ...(src.description ? { description: src.description } : {}) },
        input,
        inputs: shapes,
        mode,
        verdict,
        exitCode: code,
        ...(loaded.onnx ? { onnx: loaded.onnx } : {}),
        analysis: a,
        summary: layerSummary,
        fixes: fixes ?? [],
        fixesSearched: fixes !== null,
        ...(applied ? { applied } : {}),
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
    if (loaded.onnx) lines.push(...onnxLines(loaded.onnx, a, mode, c));
    lines.push('', ...renderReport(a, fixes, c, swept));
    if (opts.summary) lines.push(...renderSummary(layerSummary), '');
    const codeNote = showcase && verdict !== 'ok' ? 'exit code 1 when checking your own MODEL; 0 for this showcase' : `exit code ${code}`;
    const summary =
      verdict === 'raises'
        ? c.red(c.bold(`Result: raises at ${inputText(shapes)} (${codeNote})`))
        : verdict === 'degenerate'
          ? c.yellow(c.bold(`Result: runs, but with degenerate statistics (${codeNote})`))
          : verdict === 'fallback'
            ? c.cyan(c.bold(`Result: runs, but ${fallbacks.length === 1 ? 'a FlexibleInstanceNorm passes' : 'FlexibleInstanceNorms pass'} its input through unnormalized at ${fallbacks.map((p) => (p === '' ? 'the root' : p)).join(', ')} (${codeNote})`))
            : c.green(c.bold(`Result: ok (${codeNote})`));
    lines.push(summary);
    io.out(lines.join('\n') + '\n');
    return code;
  } catch (e) {
    if (!(e instanceof UsageError) && !(e instanceof NormkitError)) throw e;
    const nodePath = e instanceof SpecError ? e.nodePath : undefined;
    if (opts.json) {
      const error = { type: e instanceof NormkitError ? e.type : 'UsageError', message: e.message, ...(nodePath !== undefined ? { nodePath } : {}) };
      io.out(JSON.stringify({ ...jsonHeader(), error, exitCode: 2 }, null, 2) + '\n');
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
    .option('--summary', 'also print a torchinfo-style summary: parameters, mult-adds, output size and memory per layer, totals (always in --json)')
    .option('--json', 'print one JSON document instead of the report (docs/json-schema.md); errors too')
    .option('--apply <n>', 'write the model with verified fix N applied (with --out)')
    .option('--out <file>', 'where --apply writes the fixed model: a .json spec; for an ONNX model, .onnx (the file with the fix, its weights kept) or .json (its general-form spec, when it has one)')
    .option('--html <file>', 'also write a self-contained HTML report: the model graph, verdicts, cause chain, fixes and their verified results, the sweep plot')
    .option('--svg <file>', 'also write the model graph as an SVG file')
    .option('--png <file>', 'also write the model graph as a PNG (needs @resvg/resvg-wasm, WebAssembly)')
    .addHelpText(
      'after',
      `\nMODEL is a JSON model spec (tree or general form, docs/model-spec.md; '-' reads it from standard input), a check file {"description", "input", "mode", "model"}, or a bundled example:\n  ${listExamples().join(', ')}\n` +
        `Without MODEL: explains the bundled '${DEFAULT_EXAMPLE}' example (and exits 0).\n` +
        'Exit codes: 0 runs with usable statistics; 1 raises at this input, a norm is degenerate or a FlexibleInstanceNorm falls back; 2 bad usage or model file.',
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
