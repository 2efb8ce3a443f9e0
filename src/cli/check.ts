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
import { analyze, graphOf } from '../analysis/analyze.js';
import { suggestFixes } from '../analysis/fixes.js';
import { renderReport } from '../analysis/report.js';
import { sweep } from '../analysis/sweep.js';
import type { Mode, SweepAxis, SweepResult } from '../analysis/types.js';
import { NormkitError, SpecError } from '../errors.js';
import type { Graph } from '../graph/graph.js';
import { writeReportFiles } from '../report/cli.js';
import { build, inputText, listExamples, loadSource, parseInputs, parseMode, parseRange, resolveInputs, UsageError } from './model_source.js';

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
  /** Write the self-contained HTML report / the graph as SVG to these files. */
  html?: string;
  svg?: string;
  png?: string;
}

export interface CheckIO {
  out: (text: string) => void;
  err: (text: string) => void;
  color: boolean;
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
    const fixes = opts.fixes === false ? null : suggestFixes(model, a);
    const swept: SweepResult | undefined = range ? sweep(model, axis, range, { mode, baseShape: shapes }) : undefined;
    const fallbacks = a.norms.filter((n) => n.verdict === 'fallback').map((n) => n.path);
    // A FlexibleInstanceNorm that passes its input through is a finding too: that layer does not normalize.
    const verdict = a.failure ? 'raises' : a.degenerate ? 'degenerate' : fallbacks.length ? 'fallback' : 'ok';
    // Without MODEL the command is a showcase of a failing example: it succeeded in explaining it.
    const showcase = modelArg === undefined;
    const code = verdict === 'ok' || showcase ? 0 : 1;
    if (opts.html !== undefined || opts.svg !== undefined || opts.png !== undefined) {
      const files = { ...(opts.html !== undefined ? { html: opts.html } : {}), ...(opts.svg !== undefined ? { svg: opts.svg } : {}), ...(opts.png !== undefined ? { png: opts.png } : {}) };
      const report = { name: src.name, ...(src.description ? { description: src.description } : {}), graph: model, analysis: a, fixes, ...(swept ? { sweep: swept } : {}) };
      for (const line of writeReportFiles(files, report, `normkit check ${src.name} --input ${inputText(shapes)} --mode ${mode}${opts.sweep !== undefined ? ` --sweep ${opts.sweep}` : ''}`)) io.err(line + '\n');
    }

    if (opts.json) {
      const doc = {
        model: { name: src.name, file: src.file, bundled: src.bundled, ...(src.description ? { description: src.description } : {}) },
        input,
        inputs: shapes,
        mode,
        verdict,
        exitCode: code,
        analysis: a,
        fixes: fixes ?? [],
        fixesSearched: fixes !== null,
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
    .option('--html <file>', 'also write a self-contained HTML report: the model graph, verdicts, cause chain, fixes and their verified results, the sweep plot')
    .option('--svg <file>', 'also write the model graph as an SVG file')
    .option('--png <file>', 'also write the model graph as a PNG (needs @resvg/resvg-wasm, WebAssembly)')
    .addHelpText(
      'after',
      `\nMODEL is a JSON model spec (tree or general form, docs/model-spec.md), a check file {"description", "input", "mode", "model"}, or a bundled example:\n  ${listExamples().join(', ')}\n` +
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
