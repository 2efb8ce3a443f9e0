/**
 * Typed errors. Where PyTorch raises, the class name and message match PyTorch's
 * (`ValueError: Expected more than 1 spatial element when training, got input size [2, 64, 1, 1]`).
 * Every error can carry the offending input size and, when raised inside a model,
 * the PyTorch-style dotted path of the module that raised it.
 */
import { typeNameOf } from './type_name.js';

/**
 * What an error says about the model, for the shape-flow doctor: set where the
 * check throws, never recovered from the message.
 * - `statistics`: a norm has too few values behind a statistic;
 * - `kernel`: a window (conv/pool kernel) does not fit the map;
 * - `padding`: reflection/replication padding as large as the map;
 * - `mismatch`: tensors combined (add, cat) whose sizes differ;
 * - `channels`: a layer built for other feature/channel counts;
 * - `rank`: wrong number of dimensions;
 * - `argument`: a bad option or argument value;
 * - `format`: a model spec or file that cannot be read (SpecError, SafetensorsError, OnnxError);
 * - `other`.
 */
export type ErrorKind = 'statistics' | 'kernel' | 'padding' | 'mismatch' | 'channels' | 'rank' | 'argument' | 'format' | 'other';

export interface ErrorOptions {
  inputSize?: readonly number[];
  kind?: ErrorKind;
}

export class NormkitError extends Error {
  static readonly typeName: string = 'NormkitError';
  /** Size of the input that triggered the error, when there is one. */
  inputSize?: number[];
  /** What the error says about the model (set by the check that throws). */
  kind: ErrorKind;
  /** Dotted module path (PyTorch's `named_modules()` name) of the module that raised. */
  modulePath?: string;
  /** Class name of that module (e.g. `InstanceNorm2d`). */
  moduleType?: string;

  constructor(message: string, options?: ErrorOptions) {
    super(message);
    // The class's declared name: a minifier may have renamed the class itself.
    this.name = typeNameOf(new.target);
    this.kind = options?.kind ?? 'other';
    if (options?.inputSize) this.inputSize = [...options.inputSize];
  }

  /** PyTorch's spelling of the error kind, e.g. `ValueError`. */
  get type(): string {
    return this.name;
  }
}

/** PyTorch's ValueError (bad sizes for statistics, wrong input rank for norm layers). */
export class ValueError extends NormkitError {
  static readonly typeName: string = 'ValueError';
}

/** PyTorch's RuntimeError (shape mismatches, impossible kernel sizes). */
export class RuntimeError extends NormkitError {
  static readonly typeName: string = 'RuntimeError';
}

/** PyTorch's TypeError (an argument of the wrong kind, e.g. not a tensor). */
export class TypeError extends NormkitError {
  static readonly typeName: string = 'TypeError';
}

/** PyTorch's IndexError (dimension out of range). */
export class IndexError extends NormkitError {
  static readonly typeName: string = 'IndexError';
}

/** Python's KeyError (a missing `ModuleDict` key, an invalid module name). */
export class KeyError extends NormkitError {
  static readonly typeName: string = 'KeyError';
}

/** PyTorch's NotImplementedError (e.g. an interpolation mode that does not fit the input's rank). */
export class NotImplementedError extends NormkitError {
  static readonly typeName: string = 'NotImplementedError';
}

/** Python's ZeroDivisionError (PyTorch's F.group_norm with num_groups=0). */
export class ZeroDivisionError extends NormkitError {
  static readonly typeName: string = 'ZeroDivisionError';
}

/** A JSON model spec, a safetensors file or a CLI argument that cannot be used. */
export class SpecError extends NormkitError {
  static readonly typeName: string = 'SpecError';
  /** Path of the offending node in the spec, PyTorch style (`3.body.1`); "" for the root. */
  nodePath: string;
  constructor(nodePath: string, message: string) {
    super(nodePath === '' ? message : `at ${nodePath}: ${message}`, { kind: 'format' });
    this.nodePath = nodePath;
  }
}

/** Formats a size as PyTorch prints `torch.Size` inside messages: `[2, 64, 1, 1]`. */
export function fmtSize(shape: readonly number[]): string {
  return `[${shape.join(', ')}]`;
}

/**
 * A hostile value shown inside a message: JSON-like, cut to `max` characters
 * (default 200) with a trailing "…", so a 20 MB shape or a 10,000-deep list
 * never ends up whole in a message. The cost is bounded by `max`, not by the
 * value (nothing is serialized past the cut; nesting deeper than 16 prints
 * "…"), and it never throws (cycles, getters that throw, BigInt).
 */
const UNREADABLE = Symbol('unreadable');

export function fmtValue(v: unknown, max = 200): string {
  const out: string[] = [];
  let len = 0;
  const put = (s: string): boolean => {
    out.push(s);
    len += s.length;
    return len <= max;
  };
  const seen = new Set<unknown>();
  const walk = (x: unknown, depth: number): boolean => {
    try {
      if (x === UNREADABLE) return put('?');
      if (typeof x === 'string') return put(JSON.stringify(x.length > max ? x.slice(0, max + 1) : x));
      if (x === null || typeof x !== 'object') return put(typeof x === 'bigint' ? `${x}n` : String(x));
      if (depth >= 16 || seen.has(x)) return put('…');
      seen.add(x);
      if (Array.isArray(x)) {
        if (!put('[')) return false;
        for (let i = 0; i < x.length; i++) if ((i > 0 && !put(',')) || !walk(x[i], depth + 1)) return false;
        return put(']');
      }
      if (!put('{')) return false;
      let first = true;
      for (const k in x) {
        if (!first && !put(',')) return false;
        first = false;
        let val: unknown;
        try {
          val = (x as Record<string, unknown>)[k];
        } catch {
          val = UNREADABLE;
        }
        if (!put(`${JSON.stringify(k.length > max ? k.slice(0, max + 1) : k)}:`) || !walk(val, depth + 1)) return false;
      }
      return put('}');
    } catch {
      return put('?');
    }
  };
  walk(v, 0);
  const s = out.join('');
  return s.length > max ? `${s.slice(0, max)}…` : s;
}

/** Python's name for the type of a JS value, as PyTorch's messages print it (`int`, `float`, `str`, `list`). */
export function pyTypeName(v: unknown): string {
  if (v === null || v === undefined) return 'NoneType';
  if (typeof v === 'number') return Number.isInteger(v) ? 'int' : 'float';
  if (typeof v === 'bigint') return 'int';
  if (typeof v === 'string') return 'str';
  if (typeof v === 'boolean') return 'bool';
  if (Array.isArray(v)) return 'list';
  if (typeof v === 'function') return 'function';
  if (typeof v === 'object') {
    const ctor = (v as { constructor?: unknown }).constructor;
    const name = typeof ctor === 'function' ? typeNameOf(ctor) : undefined;
    return name !== undefined && name !== 'Object' ? name : 'dict';
  }
  return typeof v;
}

/** Attaches the raising module's path to an error once (the innermost module wins). */
export function annotateModule(err: unknown, path: string, type: string): void {
  if (err instanceof NormkitError && err.modulePath === undefined) {
    err.modulePath = path;
    err.moduleType = type;
  }
}
