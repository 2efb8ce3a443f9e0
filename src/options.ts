/**
 * Options objects checked the way Python checks keyword arguments. PyTorch
 * refuses `InstanceNorm2d(4, track_runing_stats=True)`; a plain JavaScript
 * object would take any key and the option would be silently ignored. So
 * every constructor that takes PyTorch's keyword arguments as an options
 * object names the keys it knows and what kind of value each takes, and an
 * unknown key, a value of the wrong kind, or a bare value where the options
 * object belongs (PyTorch's positional form) raises a TypeError (kind
 * `argument`) that names the option and the right spelling:
 *
 *     new nn.InstanceNorm2d(4, { track_running_stats: true })
 *     // TypeError: InstanceNorm2d: unknown option 'track_running_stats' (did you mean trackRunningStats?)
 */
import { TypeError } from './errors.js';
import { typeNameOf } from './type_name.js';
import { Tensor } from './tensor/tensor.js';

/** What an option takes. `int`: an integer; `ints`: an integer or an array of them; `tensor`: a Tensor; `any`: not checked here. */
export type OptionKind = 'number' | 'int' | 'ints' | 'boolean' | 'string' | 'numbers' | 'tensor' | 'any';

/** Known keys and their kinds; `|null` accepts null too (PyTorch's None). */
export type OptionSpec = Readonly<Record<string, OptionKind | `${OptionKind}|null`>>;

/** `track_running_stats` -> `trackRunningStats`. */
export function camelCase(key: string): string {
  return key.replace(/_+([a-zA-Z0-9])/g, (_, c: string) => c.toUpperCase());
}

/** Edit distance (insertions, deletions, substitutions; a swap of neighbours counts 1). */
export function editDistance(a: string, b: string): number {
  const d: number[][] = Array.from({ length: a.length + 1 }, (_, i) => [i, ...new Array<number>(b.length).fill(0)]);
  for (let j = 1; j <= b.length; j++) d[0]![j] = j;
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let v = Math.min(d[i - 1]![j]! + 1, d[i]![j - 1]! + 1, d[i - 1]![j - 1]! + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) v = Math.min(v, d[i - 2]![j - 2]! + 1);
      d[i]![j] = v;
    }
  }
  return d[a.length]![b.length]!;
}

/**
 * The known key `key` most likely means: its camelCase form, else the closest
 * by edit distance (case-insensitive, a few edits at most), else one that
 * starts the other (`epsilon` -> `eps`).
 */
export function suggestKey(key: string, known: readonly string[]): string | undefined {
  const camel = camelCase(key);
  const lower = camel.toLowerCase();
  const exact = known.find((k) => k === camel || k.toLowerCase() === lower);
  if (exact) return exact;
  let best: string | undefined;
  let bestD = Infinity;
  for (const k of known) {
    const dist = editDistance(camel.toLowerCase(), k.toLowerCase());
    if (dist < bestD) [best, bestD] = [k, dist];
  }
  if (bestD <= Math.max(2, Math.floor(camel.length / 3))) return best;
  return known.find((k) => Math.min(k.length, lower.length) >= 3 && (lower.startsWith(k.toLowerCase()) || k.toLowerCase().startsWith(lower)));
}

/** How a value reads in a message: `the number 0.01`, `the string "yes"`, `an array`, `null`. */
export function describeValue(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return `an array [${v.map((x) => (typeof x === 'string' ? JSON.stringify(x) : String(x))).join(', ')}]`;
  switch (typeof v) {
    case 'number':
    case 'boolean':
    case 'bigint':
      return `the ${typeof v} ${String(v)}`;
    case 'string':
      return `the string ${JSON.stringify(v)}`;
    case 'function':
      return 'a function';
    case 'object':
      return `an object (${(v as object).constructor ? typeNameOf((v as object).constructor) : 'no prototype'})`;
    default:
      return String(v);
  }
}

function argumentError(message: string): TypeError {
  return new TypeError(message, { kind: 'argument' });
}

const isInt = (v: unknown): boolean => typeof v === 'number' && Number.isInteger(v);

function kindMatches(kind: OptionKind, v: unknown): boolean {
  switch (kind) {
    case 'number':
      return typeof v === 'number';
    case 'int':
      return isInt(v);
    case 'ints':
      return isInt(v) || (Array.isArray(v) && v.every(isInt));
    case 'numbers':
      return typeof v === 'number' || (Array.isArray(v) && v.every((x) => typeof x === 'number'));
    case 'boolean':
      return typeof v === 'boolean';
    case 'string':
      return typeof v === 'string';
    case 'tensor':
      return v instanceof Tensor;
    case 'any':
      return true;
  }
}

const KIND_WORDS: Record<OptionKind, string> = {
  number: 'a number',
  int: 'an integer',
  ints: 'an integer or an array of integers',
  numbers: 'a number or an array of numbers',
  boolean: 'a boolean',
  string: 'a string',
  tensor: 'a Tensor',
  any: 'anything',
};

export interface CheckOptionsContext {
  /** Which argument the options object is, for messages ("argument 2"). */
  position?: number;
  /**
   * PyTorch's parameter at that position, for a bare value given there
   * (`new nn.InstanceNorm2d(4, 1e-3)` is PyTorch's `eps=1e-3`): the message
   * suggests `{ eps: 0.001 }`.
   */
  positional?: string;
}

/**
 * Checks an options object against `spec` and returns it (`{}` for
 * undefined). Throws normkit's TypeError (kind `argument`) for a value that
 * is not a plain object, an unknown key (suggesting the known one it most
 * likely means: camelCase for snake_case, else the nearest spelling) and a
 * value of the wrong kind. Keys whose value is `undefined` are still checked
 * by name, not by kind.
 */
export function checkOptions<T extends object>(where: string, options: T | undefined, spec: OptionSpec, ctx: CheckOptionsContext = {}): T {
  if (options === undefined) return {} as T;
  const at = ctx.position === undefined ? 'the options' : `argument ${ctx.position}`;
  if (!isOptionsObject(options)) {
    const shown = options instanceof Tensor ? 'tensor' : typeof options === 'string' ? JSON.stringify(options) : String(options);
    const hint =
      ctx.positional && options !== null && (typeof options !== 'object' || options instanceof Tensor)
        ? ` (PyTorch's positional ${ctx.positional}? Pass it by name: { ${ctx.positional}: ${shown} })`
        : '';
    throw argumentError(`${where}: ${at} must be an options object such as { ${Object.keys(spec).slice(0, 2).join(', ')} }, got ${describeValue(options)}${hint}`);
  }
  const known = Object.keys(spec);
  for (const [key, value] of Object.entries(options)) {
    const kind = spec[key];
    if (kind === undefined) {
      const s = suggestKey(key, known);
      throw argumentError(`${where}: unknown option '${key}'${s ? ` (did you mean ${s}?)` : ''}; known options: ${known.join(', ')}`);
    }
    if (value === undefined) continue;
    const [base, nullable] = kind.endsWith('|null') ? [kind.slice(0, -5) as OptionKind, true] : [kind as OptionKind, false];
    if (base === 'any') continue;
    if (value === null ? !nullable : !kindMatches(base, value)) {
      throw argumentError(`${where}: option '${key}' must be ${KIND_WORDS[base]}${nullable ? ' or null' : ''}, got ${describeValue(value)}`);
    }
  }
  return options;
}

/** A plain object (`{ ... }`, no class instance such as a Tensor, a Map or an array): what an options argument must be. */
/**
 * The options actually given: keys whose value is `undefined` dropped, so that
 * `{ ...defaults, ...given(opts) }` keeps a default the caller wrote as
 * `betas: undefined` (JavaScript's "not given") instead of replacing it.
 */
export function given<T extends object>(opts: T | undefined): Partial<T> {
  if (opts === undefined || opts === null) return {};
  return Object.fromEntries(Object.entries(opts).filter(([, v]) => v !== undefined)) as Partial<T>;
}

export function isOptionsObject(v: unknown): v is Record<string, unknown> {
  if (v === null || typeof v !== 'object' || Array.isArray(v)) return false;
  const proto = Object.getPrototypeOf(v) as unknown;
  return proto === Object.prototype || proto === null;
}

/**
 * Checks a positional argument's kind: `Linear: in_features must be an
 * integer, got the string "3"`; `|null` accepts null. An options object where
 * a value belongs says that this argument goes by position.
 */
export function checkArgument(where: string, name: string, value: unknown, kind: OptionKind | `${OptionKind}|null`): void {
  const [base, nullable] = kind.endsWith('|null') ? [kind.slice(0, -5) as OptionKind, true] : [kind as OptionKind, false];
  if (value === null ? nullable : kindMatches(base, value)) return;
  const hint = isOptionsObject(value) ? ` (${name} goes by position here, as PyTorch's positional argument)` : '';
  throw argumentError(`${where}: ${name} must be ${KIND_WORDS[base]}${nullable ? ' or null' : ''}, got ${describeValue(value)}${hint}`);
}

/** One of a function's trailing arguments: a value by PyTorch's name and kind, and its default. */
export type Trailing = readonly [name: string, kind: OptionKind | `${OptionKind}|null`, dflt: unknown];

/**
 * PyTorch's positional-or-keyword trailing arguments in JavaScript: either
 * the values by position (`leakyRelu(x, 0.2)`, PyTorch's
 * `leaky_relu(x, 0.2)`) or one options object by their camelCase names
 * (`leakyRelu(x, { negativeSlope: 0.2 })`, PyTorch's
 * `leaky_relu(x, negative_slope=0.2)`). Checks kinds and keys (a
 * TypeError naming the argument); returns the values in order, defaults
 * filled in. `position` is the first trailing argument's (for messages).
 */
export function trailingArgs(where: string, given: readonly unknown[], params: readonly Trailing[], position: number): unknown[] {
  if (given.length === 1 && isOptionsObject(given[0])) {
    const spec: Record<string, OptionKind | `${OptionKind}|null`> = {};
    for (const [name, kind] of params) spec[camelCase(name)] = kind;
    const o = checkOptions(where, given[0], spec, { position });
    return params.map(([name, , d]) => (o[camelCase(name)] === undefined ? d : o[camelCase(name)]));
  }
  if (given.length > params.length) {
    throw argumentError(`${where}: takes ${params.length} argument${params.length === 1 ? '' : 's'} after the input (${params.map(([n]) => n).join(', ')}), got ${given.length}`);
  }
  return params.map(([name, kind, d], i) => {
    const v = given[i];
    if (v === undefined) return d;
    checkArgument(where, name, v, kind);
    return v;
  });
}
