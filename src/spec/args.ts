/**
 * Reads a spec node's `args` (PyTorch's keyword names, snake_case) with type
 * checks; every problem is a SpecError naming the node's path and the argument.
 */
import { SpecError, fmtValue } from '../errors.js';

export type Args = Record<string, unknown>;

export class ArgReader {
  private readonly used = new Set<string>();

  constructor(
    readonly args: Args,
    readonly path: string,
    readonly moduleName: string,
  ) {}

  private fail(name: string, what: string): never {
    throw new SpecError(this.path, `${this.moduleName}: argument '${name}' ${what}`);
  }

  has(name: string): boolean {
    return this.args[name] !== undefined;
  }

  private raw(name: string): unknown {
    this.used.add(name);
    return this.args[name];
  }

  int(name: string, dflt?: number, opts: { min?: number } = {}): number {
    const v = this.raw(name) ?? dflt;
    if (v === undefined) this.fail(name, 'is required');
    if (typeof v !== 'number' || !Number.isInteger(v)) this.fail(name, `must be an integer, got ${fmtValue(v)}`);
    if (opts.min !== undefined && v < opts.min) this.fail(name, `must be >= ${opts.min}, got ${v}`);
    return v;
  }

  float(name: string, dflt?: number): number {
    const v = this.raw(name) ?? dflt;
    if (v === undefined) this.fail(name, 'is required');
    if (typeof v !== 'number' || !Number.isFinite(v)) this.fail(name, `must be a finite number, got ${fmtValue(v)}`);
    return v;
  }

  /** A number or JSON null (e.g. BatchNorm's `momentum=None`). */
  nullableFloat(name: string, dflt: number | null): number | null {
    this.used.add(name);
    if (!(name in this.args)) return dflt;
    const v = this.args[name];
    if (v === null) return null;
    if (typeof v !== 'number' || !Number.isFinite(v)) this.fail(name, `must be a number or null, got ${fmtValue(v)}`);
    return v;
  }

  bool(name: string, dflt?: boolean): boolean {
    const v = this.raw(name) ?? dflt;
    if (v === undefined) this.fail(name, 'is required');
    if (typeof v !== 'boolean') this.fail(name, `must be true or false, got ${fmtValue(v)}`);
    return v;
  }

  str<T extends string>(name: string, choices: readonly T[], dflt?: T): T {
    const v = this.raw(name) ?? dflt;
    if (v === undefined) this.fail(name, 'is required');
    if (typeof v !== 'string' || !(choices as readonly string[]).includes(v)) {
      this.fail(name, `must be one of ${choices.map((c) => `'${c}'`).join(', ')}, got ${fmtValue(v)}`);
    }
    return v as T;
  }

  /** An int or a tuple of `n` ints (PyTorch's `_pair`, `_single`, `_triple`). */
  intTuple(name: string, n: number, dflt?: number | readonly number[], opts: { min?: number } = {}): number[] {
    const v = this.raw(name) ?? dflt;
    if (v === undefined) this.fail(name, 'is required');
    const list = typeof v === 'number' ? new Array<number>(n).fill(v) : v;
    if (!Array.isArray(list) || list.length !== n || !list.every((x) => typeof x === 'number' && Number.isInteger(x))) {
      this.fail(name, `must be an integer or a list of ${n} integers, got ${fmtValue(v)}`);
    }
    if (opts.min !== undefined && (list as number[]).some((x) => x < opts.min!)) {
      this.fail(name, `must be >= ${opts.min}, got ${fmtValue(v)}`);
    }
    return [...(list as number[])];
  }

  /** A number, a list of numbers, or absent. */
  optNumberOrList(name: string): number | number[] | undefined {
    const v = this.raw(name);
    if (v === undefined || v === null) return undefined;
    if (typeof v === 'number' && Number.isFinite(v)) return v;
    if (Array.isArray(v) && v.every((x) => typeof x === 'number' && Number.isFinite(x))) return v as number[];
    this.fail(name, `must be a number or a list of numbers, got ${fmtValue(v)}`);
  }

  /** An integer list (e.g. LayerNorm's normalized_shape), a lone int counting as a list of one. */
  intList(name: string): number[] {
    const v = this.raw(name);
    if (v === undefined) this.fail(name, 'is required');
    const list = typeof v === 'number' ? [v] : v;
    if (!Array.isArray(list) || !list.every((x) => typeof x === 'number' && Number.isInteger(x) && x >= 0)) {
      this.fail(name, `must be a list of non-negative integers, got ${fmtValue(v)}`);
    }
    return [...(list as number[])];
  }

  /** An integer, or absent / JSON null (PyTorch's `None`) -> undefined. */
  optInt(name: string): number | undefined {
    const v = this.raw(name);
    if (v === undefined || v === null) return undefined;
    if (typeof v !== 'number' || !Number.isInteger(v)) this.fail(name, `must be an integer or null, got ${fmtValue(v)}`);
    return v;
  }

  /** A list of integers, negatives allowed (a reshape's -1, dims counted from the end); a lone int is a list of one. */
  ints(name: string, dflt?: readonly number[]): number[] {
    const v = this.raw(name) ?? dflt;
    if (v === undefined) this.fail(name, 'is required');
    const list = typeof v === 'number' ? [v] : v;
    if (!Array.isArray(list) || !list.every((x) => typeof x === 'number' && Number.isInteger(x))) {
      this.fail(name, `must be an integer or a list of integers, got ${fmtValue(v)}`);
    }
    return [...(list as number[])];
  }

  /** Marks arguments PyTorch accepts but normkit ignores (e.g. `device`, `dtype` = float32). */
  ignore(...names: string[]): void {
    for (const n of names) this.used.add(n);
  }

  /** Fails on any argument that was not read: a typo must not pass silently. */
  done(): void {
    const unknown = Object.keys(this.args).filter((k) => !this.used.has(k));
    if (unknown.length) {
      throw new SpecError(this.path, `${this.moduleName}: unknown argument${unknown.length > 1 ? 's' : ''} ${unknown.map((u) => `'${u}'`).join(', ')}`);
    }
  }
}
