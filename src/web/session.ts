/**
 * The web app's work, without the DOM: a file a person opened or dropped (or a
 * bundled example) becomes a model with named inputs to size; a check at the
 * typed sizes becomes the same report model `normkit check --html` embeds;
 * a fix becomes the edited model to download (the edited spec; for an ONNX
 * file, the file with the fix applied, its weights kept). Everything runs
 * where it is called (the page): the doctor's own code (doctor/, analysis/,
 * the ONNX importer and exporter, report/model.ts), on shape-only tensors
 * but for writing a fixed ONNX file; no WebAssembly, no network.
 */
import { graphOf } from '../analysis/analyze.js';
import type { Fix, Mode } from '../analysis/types.js';
import { applyFix, applyFixToOnnx } from '../doctor/apply_fix.js';
import { checkGraph, defaultAxis, reportInputOf, sweepAxes, type CheckResult } from '../doctor/check.js';
import { exampleSize, isOnnxFile, loadModel, parseRange, parseShape, resolveInputs, sourceFromBytes, UsageError, type Source } from '../doctor/source.js';
import { NormkitError, SpecError } from '../errors.js';
import type { ImportInfo } from '../formats/onnx/index.js';
import type { Graph } from '../graph/graph.js';
import { buildReportModel, type ReportModel } from '../report/model.js';

/** One input of the model, as the page asks for its size. */
export interface InputField {
  name: string;
  /** The declared shape (ONNX: names for dynamic dims), or null when the model declares none. */
  declared: (number | string)[] | null;
  /** The names of the declared dims that are dynamic (each once). */
  dynamic: string[];
  /** What the field starts with: the check file's size, else the declared size when it is all numbers, else ''. */
  value: string;
  /** What to show in an empty field: `batch x 3 x height x width`, or an example size. */
  placeholder: string;
}

export interface Opened {
  src: Source;
  graph: Graph;
  onnx?: ImportInfo;
  inputs: InputField[];
  /** The check file's mode, else train. */
  mode: Mode;
  /** Whether every input has a size already (the page checks at once). */
  ready: boolean;
}

/** What the page shows for an error: PyTorch's type word, the message, and the spec node when known. */
export interface ShownError {
  type: string;
  message: string;
  nodePath?: string;
}

/** An error the page can explain (a bad file, a bad size); anything else is a bug and is thrown on. */
export function explain(e: unknown): ShownError | null {
  if (e instanceof UsageError) return { type: 'UsageError', message: e.message };
  if (e instanceof SpecError) return { type: e.type, message: e.message, nodePath: e.nodePath };
  if (e instanceof NormkitError) return { type: e.type, message: e.message };
  return null;
}

/** Reads a file's bytes: ONNX by its `.onnx` name, else JSON (a spec in the tree or general form, or a check file). */
export function openFile(name: string, bytes: Uint8Array, opts: { bundled?: boolean } = {}): Opened {
  if (bytes.byteLength === 0) throw new UsageError(`${name} is empty`);
  const src = sourceFromBytes(bytes, { name: opts.bundled ? name.replace(/\.json$/i, '') : name, file: name, bundled: opts.bundled === true });
  if (!isOnnxFile(name) && src.spec !== null && typeof src.spec !== 'object') {
    throw new SpecError('', `${name} holds a JSON ${typeof src.spec}, not a model spec (docs/model-spec.md)`);
  }
  const loaded = loadModel(src);
  const graph = graphOf(loaded.model);
  const inputs = graph.inputs.map((gi): InputField => {
    const given = src.input?.[gi.name] ?? (graph.inputs.length === 1 ? src.input?.[''] : undefined);
    const declared = gi.shape;
    const dynamic = [...new Set((declared ?? []).filter((d): d is string => typeof d === 'string'))];
    const staticShape = declared !== null && dynamic.length === 0 ? (declared as number[]) : null;
    const value = given ? given.join('x') : staticShape ? staticShape.join('x') : '';
    const placeholder = declared ? declared.join(' x ') : 'e.g. 2x3x64x64';
    return { name: gi.name, declared, dynamic, value, placeholder };
  });
  return { src, graph, ...(loaded.onnx ? { onnx: loaded.onnx } : {}), inputs, mode: src.mode ?? 'train', ready: inputs.every((i) => i.value !== '') };
}

/** The sizes typed for each input (by name): every input needs one, of positive integers (what they do to the model is the analysis's to say). */
export function inputShapes(opened: Opened, typed: Record<string, string>): Record<string, number[]> {
  const out: Record<string, number[]> = {};
  for (const f of opened.inputs) {
    const text = (typed[f.name] ?? '').trim();
    const label = opened.inputs.length > 1 || f.name !== 'input' ? `input '${f.name}'` : 'the input';
    if (text === '') {
      throw new UsageError(
        f.dynamic.length
          ? `${label} has dynamic dimension${f.dynamic.length > 1 ? 's' : ''} ${f.dynamic.map((d) => `'${d}'`).join(', ')} ([${f.declared!.join(', ')}]): type its size, e.g. ${exampleSize(f.declared!)}`
          : `${label} has no size: type one, e.g. 2x3x64x64`,
      );
    }
    const shape = parseShape(text, label);
    out[f.name] = shape;
  }
  return resolveInputs(opened.graph, out, opened.src.name);
}

export interface CheckSettings {
  mode: Mode;
  /** A range like `1..96`, or '' for none. */
  sweep?: string;
  axis?: string;
}

export interface Checked {
  result: CheckResult;
  report: ReportModel;
  /** Milliseconds the analysis, fixes, sweep and report model took. */
  ms: number;
}

/** The check at these sizes: the analysis, the verified fixes, the sweep if asked, as the report model. */
export function check(opened: Opened, shapes: Record<string, number[]>, s: CheckSettings): Checked {
  const t0 = performance.now();
  const range = s.sweep !== undefined && s.sweep.trim() !== '' ? parseRange(s.sweep, 'the sweep') : undefined;
  const first = Object.values(shapes)[0]!;
  if (range && s.axis !== undefined && !(sweepAxes(first) as string[]).includes(s.axis)) {
    throw new UsageError(`a ${s.axis} sweep needs an input with ${s.axis === 'square' ? 'two' : 'one or more'} spatial dims, got ${first.join('x')}`);
  }
  const result = checkGraph(opened.graph, shapes, { mode: s.mode, ...(range ? { sweep: range, axis: s.axis ?? defaultAxis(first) } : {}) });
  const report = buildReportModel(reportInputOf(opened.src.name, opened.src.description, opened.graph, result));
  return { result, report, ms: performance.now() - t0 };
}

/** What a fix gives to download: the edited spec, or for an ONNX file the fixed file (with what to know of it), or why there is nothing. */
export type FixedModel = { json: string; file: string } | { onnx: Uint8Array; file: string; notes: string[] } | { note: string };

/**
 * A fix applied to the model (what `normkit check --apply N --out FILE`
 * writes): a spec's edited JSON; an ONNX file's fixed ONNX file (written at
 * the checked `shapes` where the fixed model needs fixed sizes); or why there
 * is none to write.
 */
export function fixedSpec(opened: Opened, fix: Fix, shapes?: Record<string, number[]>): FixedModel {
  if (fix.changes.length === 0) return { note: `This fix changes the input, not the model: use input ${fix.verified.inputShape.join('x')}.` };
  if (opened.src.onnx !== undefined) {
    const fixed = applyFixToOnnx(opened.src.onnx, fix, shapes ?? { [opened.graph.inputs[0]!.name]: fix.verified.inputShape });
    return { onnx: fixed.bytes, file: `${opened.src.name.replace(/\.onnx$/i, '')}.fix${fix.rank}.onnx`, notes: fixed.notes };
  }
  const base = opened.src.name.replace(/\.json$/i, '');
  return { json: JSON.stringify(applyFix(opened.src.spec, fix), null, 2) + '\n', file: `${base}.fix${fix.rank}.json` };
}
