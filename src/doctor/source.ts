/**
 * The doctor's input, with no file system: a model source (a JSON spec in the
 * tree or the general form, a check file `{"description", "input", "mode",
 * "model"}`, or an ONNX file's bytes), the input sizes (`2x3x64x64`,
 * `x=1x3x64x64,c=1x5`), the mode and the sweep range as the CLI's options
 * spell them, and the model built from a source. The CLI reads files into
 * it (cli/model_source.ts); the web app, the files a person drops.
 */
import { MAX_DIM } from '../analysis/analyze.js';
import type { Mode } from '../analysis/types.js';
import { NormkitError, SpecError } from '../errors.js';
import type { Graph } from '../graph/graph.js';
import type { Module } from '../nn/module.js';
import { GraphModule } from '../graph/graph_module.js';
import { importOnnx, type ImportInfo } from '../formats/onnx/index.js';
import { fromSpec } from '../spec/spec.js';
import { withMetaParameters } from '../tensor/meta_mode.js';

/** A problem with the command line or the model file: exit code 2. */
export class UsageError extends Error {
  override name = 'UsageError';
}

export interface Source {
  name: string;
  file: string;
  bundled: boolean;
  description?: string;
  /** Input shapes by name; `''` names the only input of a one-input model. */
  input?: Record<string, number[]>;
  mode?: Mode;
  spec: unknown;
  /** An ONNX file's bytes (then `spec` is null). */
  onnx?: Uint8Array;
}

/** The largest model file read (an ONNX file with its weights inside; external data is not supported). */
export const MAX_MODEL_BYTES = 2 ** 30;

/** Whether a file name says ONNX (`.onnx`, any case). */
export const isOnnxFile = (file: string) => /\.onnx$/i.test(file);

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
export function resolveInputs(g: Graph, given: Record<string, number[]> | undefined, name: string): Record<string, number[]> {
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
    if (sym.length) {
      const eg = g.inputs.length > 1 ? `${gi.name}=${exampleSize(gi.shape)}` : exampleSize(gi.shape);
      throw new UsageError(`input '${gi.name}' has dynamic dimension${sym.length > 1 ? 's' : ''} ${sym.map((d) => `'${d}'`).join(', ')} ([${gi.shape.join(', ')}]): give its size with --input, e.g. --input ${eg}`);
    }
    out[gi.name] = gi.shape as number[];
  }
  return out;
}

/** A size to suggest for a declared shape with dynamic dims: a batch of 2 (PyTorch's BatchNorm needs more than one value in train mode), 32 elsewhere. */
export const exampleSize = (declared: readonly (number | string)[]): string =>
  declared.map((d, i) => (typeof d === 'number' ? d : i === 0 || /^(batch|n|bs|batch_size)$/i.test(d) ? 2 : 32)).join('x');

export const inputText = (shapes: Record<string, number[]>) => {
  const entries = Object.entries(shapes);
  return entries.length === 1 && (entries[0]![0] === 'input' || entries[0]![0] === '') ? entries[0]![1].join('x') : entries.map(([k, v]) => `${k}=${v.join('x')}`).join(', ');
};

export function parseRange(text: string, what = '--sweep'): [number, number] {
  const m = /^\s*(\d+)\s*(?:\.\.|-|:)\s*(\d+)\s*$/.exec(text);
  if (!m) throw new UsageError(`${what} must be a range like 1..128, got '${text}'`);
  const a = Number(m[1]);
  const b = Number(m[2]);
  if (a < 1 || b < a) throw new UsageError(`${what} range must satisfy 1 <= from <= to, got '${text}'`);
  if (b - a > 4096) throw new UsageError(`${what} covers at most 4097 sizes, got '${text}'`);
  return [a, b];
}

export function parseMode(text: string | undefined, fallback: Mode): Mode {
  if (text === undefined) return fallback;
  if (text !== 'train' && text !== 'eval') throw new UsageError(`--mode must be 'train' or 'eval', got '${text}'`);
  return text;
}

/**
 * A source from a file's bytes: ONNX when `file` ends in .onnx, else JSON (a
 * spec, or a check file with its description, input sizes and mode). `name`
 * is what messages and reports call it; invalid JSON and a malformed check
 * file are SpecErrors.
 */
export function sourceFromBytes(bytes: Uint8Array, at: { name: string; file: string; bundled: boolean }): Source {
  const { file, bundled: isBundled } = at;
  if (bytes.byteLength > MAX_MODEL_BYTES) {
    throw new UsageError(`${at.name} is ${(bytes.byteLength / 2 ** 30).toFixed(1)} GB: model files over 1 GB are not read (ONNX external data is not supported either)`);
  }
  if (isOnnxFile(file)) return { name: at.name, file, bundled: false, spec: null, onnx: new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength) };
  const text = new TextDecoder('utf-8', { ignoreBOM: true }).decode(bytes);
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (e) {
    throw new SpecError('', `${file}: invalid JSON (${(e as Error).message})`);
  }
  const name = at.name;
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
 * fromSpec, by default with shape-only parameters (analysis needs no weights:
 * three Conv2d(4096, 4096, 3) cost nothing), a constructor's own error (e.g.
 * GroupNorm's divisibility) turned into a SpecError at its node.
 */
export function build(spec: unknown, opts: { meta?: boolean } = {}): Module {
  try {
    return opts.meta === false ? fromSpec(spec) : withMetaParameters(() => fromSpec(spec));
  } catch (e) {
    if (e instanceof NormkitError && !(e instanceof SpecError) && e.modulePath !== undefined) {
      throw new SpecError(e.modulePath, `${e.moduleType}: ${e.type}: ${e.message}`);
    }
    throw e;
  }
}

export interface LoadedModel {
  model: Module;
  /** What the ONNX importer says of the file (producer, opsets, folded BatchNorms, notes). */
  onnx?: ImportInfo;
}

/** The model of a source: built from its spec, or imported from its ONNX bytes (shape-only weights unless `meta: false`). */
export function loadModel(src: Source, opts: { meta?: boolean } = {}): LoadedModel {
  if (src.onnx === undefined) return { model: build(src.spec, opts) };
  const bytes = src.onnx;
  const { graph, info } = opts.meta === false ? importOnnx(bytes) : withMetaParameters(() => importOnnx(bytes));
  return { model: new GraphModule(graph), onnx: info };
}

