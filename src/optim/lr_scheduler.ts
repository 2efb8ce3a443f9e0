/**
 * Learning-rate schedulers (PyTorch 1.13's `torch.optim.lr_scheduler`):
 * `StepLR`, `CosineAnnealingLR`, `OneCycleLR`. As in PyTorch, constructing a
 * scheduler sets the optimizer's lr for the first step; call
 * `optimizer.step()` then `scheduler.step()` once per epoch (StepLR,
 * CosineAnnealingLR) or per batch (OneCycleLR). The formulas are PyTorch's
 * recursive (chainable) forms, so the sequences equal PyTorch's to the last
 * bit (test/fixtures/gen_lr_schedules.py records them).
 */
import { TypeError, ValueError, pyTypeName } from '../errors.js';
import { checkOptions } from '../options.js';
import { Optimizer } from './optimizer.js';

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type AnyOptimizer = Optimizer<any, any>;
type Group = { lr: number } & Record<string, unknown>;

/** What every scheduler's `stateDict()` holds after its own entries: PyTorch 1.13's `_LRScheduler` attributes. */
export interface LRSchedulerStateDict {
  base_lrs: number[];
  last_epoch: number;
  verbose: boolean;
  _step_count: number;
  _get_lr_called_within_step: boolean;
  _last_lr: number[];
}

const BASE_KEYS = ['base_lrs', 'last_epoch', 'verbose', '_step_count', '_get_lr_called_within_step', '_last_lr'] as const;

/** Python's `'{:.4e}'.format(x)`: four decimals, a signed exponent of at least two digits. */
function sci(x: number): string {
  const [m, e] = x.toExponential(4).split('e') as [string, string];
  const n = Number(e);
  return `${m}e${n < 0 ? '-' : '+'}${String(Math.abs(n)).padStart(2, '0')}`;
}

const isNumbers = (v: unknown, n: number): v is number[] => Array.isArray(v) && v.length === n && v.every((x) => typeof x === 'number' && Number.isFinite(x));

/**
 * PyTorch's `_LRScheduler`: `lastEpoch` counts `step()` calls (0 after
 * construction), `baseLrs` are the groups' initial lrs. As PyTorch's, it
 * records them in the optimizer's groups (`initialLr`, `initial_lr` in the
 * optimizer's stateDict), keeping one an earlier scheduler recorded.
 * `verbose` prints each lr a step sets, as PyTorch's does.
 */
export abstract class LRScheduler<Own extends object = object> {
  readonly optimizer: AnyOptimizer;
  lastEpoch = -1;
  readonly baseLrs: number[];
  verbose: boolean;
  #lastLr: number[] = [];
  #stepCount = 0;

  constructor(optimizer: AnyOptimizer, initialLrs?: readonly number[], verbose = false) {
    if (!(optimizer instanceof Optimizer)) throw new TypeError(`${pyTypeName(optimizer)} is not an Optimizer`, { kind: 'argument' });
    this.optimizer = optimizer;
    this.verbose = verbose;
    for (const g of this.groups) if (g['initialLr'] === undefined) g['initialLr'] = g.lr;
    this.baseLrs = initialLrs ? [...initialLrs] : this.groups.map((g) => g['initialLr'] as number);
  }

  protected get groups(): Group[] {
    return this.optimizer.paramGroups as unknown as Group[];
  }

  /** PyTorch's `get_lr()`: the groups' lrs at `lastEpoch`, from their current lrs. */
  protected abstract computeLr(): number[];

  /** The scheduler's own `state_dict()` entries (its constructor's settings), in PyTorch's order: before the common ones. */
  protected abstract ownState(): Own;

  /** Checks and sets the scheduler's own entries of a loaded state dict (each optional, as PyTorch's `__dict__.update`). */
  protected abstract loadOwnState(d: Record<string, unknown>): void;

  /** The keys of the scheduler's own entries. */
  protected abstract readonly ownKeys: readonly string[];

  /** Advances one epoch (or batch) and sets each group's lr. */
  step(): void {
    this.#stepCount += 1;
    this.lastEpoch += 1;
    const lrs = this.computeLr();
    this.groups.forEach((g, i) => {
      g.lr = lrs[i]!;
      if (this.verbose) console.log(`Adjusting learning rate of group ${i} to ${sci(lrs[i]!)}.`);
    });
    this.#lastLr = lrs;
  }

  /**
   * PyTorch 1.13's `scheduler.state_dict()`: every attribute but the
   * optimizer, PyTorch's names and order (the scheduler's own settings, then
   * base_lrs, last_epoch, verbose, _step_count, _get_lr_called_within_step,
   * _last_lr). With the optimizer's stateDict, a scheduler given this
   * continues the same sequence; PyTorch's own (as JSON) loads too.
   */
  stateDict(): Own & LRSchedulerStateDict {
    return {
      ...this.ownState(),
      base_lrs: [...this.baseLrs],
      last_epoch: this.lastEpoch,
      verbose: this.verbose,
      _step_count: this.#stepCount,
      _get_lr_called_within_step: false,
      _last_lr: [...this.#lastLr],
    };
  }

  /**
   * PyTorch's `load_state_dict`: the entries given replace the scheduler's
   * (its own settings too, as PyTorch's `__dict__.update` does); each is
   * checked, and a key this scheduler has no entry for is a ValueError.
   */
  loadStateDict(dict: Partial<Own & LRSchedulerStateDict>): void {
    const name = this.constructor.name;
    const d = dict as Partial<LRSchedulerStateDict> & Record<string, unknown>;
    if (d === null || typeof d !== 'object' || Array.isArray(d) || typeof d.last_epoch !== 'number') {
      throw new TypeError(`loadStateDict: expected ${name}'s state dict (${[...this.ownKeys, ...BASE_KEYS].join(', ')}) as stateDict() returns, got ${pyTypeName(d)}`, { kind: 'argument' });
    }
    const known = new Set<string>([...this.ownKeys, ...BASE_KEYS]);
    const unknown = Object.keys(d).filter((k) => !known.has(k));
    if (unknown.length) throw new ValueError(`loadStateDict: ${name}'s state dict has no ${unknown.map((k) => `'${k}'`).join(', ')} (its keys: ${[...known].join(', ')})`, { kind: 'argument' });
    const n = this.groups.length;
    const bad = (k: string, want: string) => new ValueError(`loadStateDict: '${k}' must be ${want}, got ${JSON.stringify(d[k])}`, { kind: 'argument' });
    if (!Number.isInteger(d.last_epoch) || (d.last_epoch as number) < -1) throw bad('last_epoch', 'an integer >= -1');
    if (d.base_lrs !== undefined && !isNumbers(d.base_lrs, n)) throw bad('base_lrs', `${n} numbers (one per parameter group)`);
    if (d._last_lr !== undefined && !isNumbers(d._last_lr, n)) throw bad('_last_lr', `${n} numbers (one per parameter group)`);
    if (d._step_count !== undefined && (!Number.isInteger(d._step_count) || d._step_count < 0)) throw bad('_step_count', 'a non-negative integer');
    for (const k of ['verbose', '_get_lr_called_within_step'] as const) if (d[k] !== undefined && typeof d[k] !== 'boolean') throw bad(k, 'true or false');
    this.loadOwnState(d);
    this.lastEpoch = d.last_epoch as number;
    if (d.base_lrs) this.baseLrs.splice(0, this.baseLrs.length, ...d.base_lrs);
    if (d._last_lr) this.#lastLr = [...d._last_lr];
    if (d._step_count !== undefined) this.#stepCount = d._step_count;
    if (d.verbose !== undefined) this.verbose = d.verbose;
  }

  /** PyTorch's `get_last_lr()`: the lrs the last `step()` set. */
  getLastLr(): number[] {
    return [...this.#lastLr];
  }
}

/** A loaded entry of a scheduler's own: checked by `ok`, else a ValueError saying what it must be. */
function entry<T>(d: Record<string, unknown>, key: string, ok: (v: unknown) => boolean, want: string): T | undefined {
  const v = d[key];
  if (v === undefined) return undefined;
  if (!ok(v)) throw new ValueError(`loadStateDict: '${key}' must be ${want}, got ${JSON.stringify(v)}`, { kind: 'argument' });
  return v as T;
}
const isPositiveInt = (v: unknown) => typeof v === 'number' && Number.isInteger(v) && v > 0;
const isNumber = (v: unknown) => typeof v === 'number' && Number.isFinite(v);

function positiveInt(v: unknown, name: string): number {
  if (typeof v !== 'number' || !Number.isInteger(v) || v <= 0) throw new ValueError(`Expected positive integer ${name}, but got ${String(v)}`, { kind: 'argument' });
  return v;
}

export interface StepLROptions {
  stepSize: number;
  /** Factor applied every `stepSize` epochs; 0.1 by default. */
  gamma?: number;
  /** Print each lr a step sets (PyTorch's verbose); false by default. */
  verbose?: boolean;
}

export type StepLRStateDict = { step_size: number; gamma: number } & LRSchedulerStateDict;
type StepLROwn = { step_size: number; gamma: number };

/** `lr = baseLr * gamma ** floor(epoch / stepSize)` (applied as PyTorch does: times gamma every stepSize steps). */
export class StepLR extends LRScheduler<StepLROwn> {
  stepSize: number;
  gamma: number;
  protected readonly ownKeys = ['step_size', 'gamma'];

  constructor(optimizer: AnyOptimizer, opts: StepLROptions) {
    const o = checkOptions('StepLR', opts, { stepSize: 'int', gamma: 'number', verbose: 'boolean' }, { position: 2 });
    super(optimizer, undefined, o?.verbose ?? false);
    if (o?.stepSize === undefined) throw new TypeError("StepLR: missing required option 'stepSize' (PyTorch's step_size)", { kind: 'argument' });
    this.stepSize = o.stepSize;
    this.gamma = o.gamma ?? 0.1;
    this.step();
  }

  protected ownState(): StepLROwn {
    return { step_size: this.stepSize, gamma: this.gamma };
  }

  protected loadOwnState(d: Record<string, unknown>): void {
    this.stepSize = entry<number>(d, 'step_size', isPositiveInt, 'a positive integer') ?? this.stepSize;
    this.gamma = entry<number>(d, 'gamma', isNumber, 'a number') ?? this.gamma;
  }

  protected computeLr(): number[] {
    if (this.lastEpoch === 0 || this.lastEpoch % this.stepSize !== 0) return this.groups.map((g) => g.lr);
    return this.groups.map((g) => g.lr * this.gamma);
  }
}

export interface CosineAnnealingLROptions {
  /** Half period, in steps. */
  tMax: number;
  /** Lowest lr; 0 by default. */
  etaMin?: number;
  /** Print each lr a step sets (PyTorch's verbose); false by default. */
  verbose?: boolean;
}

type CosineAnnealingLROwn = { T_max: number; eta_min: number };
export type CosineAnnealingLRStateDict = CosineAnnealingLROwn & LRSchedulerStateDict;

/** `lr = etaMin + (baseLr - etaMin) * (1 + cos(pi * epoch / tMax)) / 2`, continued past tMax as PyTorch does (back up again). */
export class CosineAnnealingLR extends LRScheduler<CosineAnnealingLROwn> {
  tMax: number;
  etaMin: number;
  protected readonly ownKeys = ['T_max', 'eta_min'];

  constructor(optimizer: AnyOptimizer, opts: CosineAnnealingLROptions) {
    const o = checkOptions('CosineAnnealingLR', opts, { tMax: 'number', etaMin: 'number', verbose: 'boolean' }, { position: 2 });
    super(optimizer, undefined, o?.verbose ?? false);
    if (o?.tMax === undefined) throw new TypeError("CosineAnnealingLR: missing required option 'tMax' (PyTorch's T_max)", { kind: 'argument' });
    this.tMax = o.tMax;
    this.etaMin = o.etaMin ?? 0;
    this.step();
  }

  protected ownState(): CosineAnnealingLROwn {
    return { T_max: this.tMax, eta_min: this.etaMin };
  }

  protected loadOwnState(d: Record<string, unknown>): void {
    this.tMax = entry<number>(d, 'T_max', (v) => isNumber(v) && (v as number) > 0, 'a positive number') ?? this.tMax;
    this.etaMin = entry<number>(d, 'eta_min', isNumber, 'a number') ?? this.etaMin;
  }

  protected computeLr(): number[] {
    const { tMax: T, etaMin, lastEpoch: e } = this;
    if (e === 0) return this.groups.map((g) => g.lr);
    const m = 2 * T;
    if ((((e - 1 - T) % m) + m) % m === 0) {
      return this.groups.map((g, i) => g.lr + ((this.baseLrs[i]! - etaMin) * (1 - Math.cos(Math.PI / T))) / 2);
    }
    return this.groups.map((g) => ((1 + Math.cos((Math.PI * e) / T)) / (1 + Math.cos((Math.PI * (e - 1)) / T))) * (g.lr - etaMin) + etaMin);
  }
}

export interface OneCycleLROptions {
  /** Peak lr: one for all groups or one per group. */
  maxLr: number | readonly number[];
  /** Or give `epochs` and `stepsPerEpoch`. */
  totalSteps?: number;
  epochs?: number;
  stepsPerEpoch?: number;
  /** Fraction of the cycle spent increasing the lr; 0.3 by default. */
  pctStart?: number;
  annealStrategy?: 'cos' | 'linear';
  /** Cycle SGD's momentum (Adam's beta1) inversely to the lr; true by default. */
  cycleMomentum?: boolean;
  baseMomentum?: number | readonly number[];
  maxMomentum?: number | readonly number[];
  /** initialLr = maxLr / divFactor; 25 by default. */
  divFactor?: number;
  /** minLr = initialLr / finalDivFactor; 1e4 by default. */
  finalDivFactor?: number;
  threePhase?: boolean;
  /** Print each lr a step sets (PyTorch's verbose); false by default. */
  verbose?: boolean;
}

/** A phase of the cycle as PyTorch's `_schedule_phases` holds it: the group entries it anneals between, up to `end_step`. */
export interface OneCyclePhase {
  end_step: number;
  start_lr: 'initial_lr' | 'max_lr' | 'min_lr';
  end_lr: 'initial_lr' | 'max_lr' | 'min_lr';
  start_momentum: 'max_momentum' | 'base_momentum';
  end_momentum: 'max_momentum' | 'base_momentum';
}

/** PyTorch's annealing methods, by the name pickle stores `anneal_func` under. */
const ANNEAL: Record<string, (start: number, end: number, pct: number) => number> = {
  _annealing_cos: (start, end, pct) => end + ((start - end) / 2) * (Math.cos(Math.PI * pct) + 1),
  _annealing_linear: (start, end, pct) => (end - start) * pct + start,
};

type OneCycleLROwn = {
  total_steps: number;
  _schedule_phases: OneCyclePhase[];
  /** PyTorch's bound method, by name: `_annealing_cos` or `_annealing_linear`. */
  anneal_func: string;
  cycle_momentum: boolean;
  /** Only when cycle_momentum (as PyTorch sets it): whether the momentum is Adam's beta1. */
  use_beta1?: boolean;
};
export type OneCycleLRStateDict = OneCycleLROwn & LRSchedulerStateDict;

/** The optimizer group's entry a phase names (PyTorch's `group['initial_lr']`; normkit's groups spell them camelCase). */
const GROUP_KEY: Record<string, string> = { initial_lr: 'initialLr', max_lr: 'maxLr', min_lr: 'minLr', max_momentum: 'maxMomentum', base_momentum: 'baseMomentum' };

const isPhase = (v: unknown): boolean => {
  if (v === null || typeof v !== 'object') return false;
  const p = v as Record<string, unknown>;
  const lr = ['initial_lr', 'max_lr', 'min_lr'];
  const m = ['max_momentum', 'base_momentum'];
  return isNumber(p['end_step']) && lr.includes(p['start_lr'] as string) && lr.includes(p['end_lr'] as string) && m.includes(p['start_momentum'] as string) && m.includes(p['end_momentum'] as string);
};

/**
 * Leslie Smith's 1cycle policy, PyTorch's OneCycleLR (stepped once per batch).
 * As PyTorch's, the cycle's lrs and momentums live in the optimizer's groups
 * (initial_lr, max_lr, min_lr, max_momentum, base_momentum in its stateDict),
 * the phases in the scheduler's.
 */
export class OneCycleLR extends LRScheduler<OneCycleLROwn> {
  totalSteps: number;
  phases: OneCyclePhase[];
  annealFunc: string;
  cycleMomentum: boolean;
  useBeta1: boolean;
  protected readonly ownKeys = ['total_steps', '_schedule_phases', 'anneal_func', 'cycle_momentum', 'use_beta1'];

  constructor(optimizer: AnyOptimizer, opts: OneCycleLROptions) {
    const o = checkOptions('OneCycleLR', opts, {
      maxLr: 'any', totalSteps: 'any', epochs: 'any', stepsPerEpoch: 'any', pctStart: 'number', annealStrategy: 'string',
      cycleMomentum: 'boolean', baseMomentum: 'any', maxMomentum: 'any', divFactor: 'number', finalDivFactor: 'number', threePhase: 'boolean', verbose: 'boolean',
    }, { position: 2 });
    if (o?.maxLr === undefined) throw new TypeError("OneCycleLR: missing required option 'maxLr' (PyTorch's max_lr)", { kind: 'argument' });
    let total: number;
    if (o.totalSteps === undefined && o.epochs === undefined && o.stepsPerEpoch === undefined) {
      throw new ValueError('You must define either total_steps OR (epochs AND steps_per_epoch)', { kind: 'argument' });
    } else if (o.totalSteps !== undefined) {
      total = positiveInt(o.totalSteps, 'total_steps');
    } else {
      total = positiveInt(o.epochs, 'epochs') * positiveInt(o.stepsPerEpoch, 'steps_per_epoch');
    }
    const pct = o.pctStart ?? 0.3;
    if (!(pct >= 0 && pct <= 1)) throw new ValueError(`Expected float between 0 and 1 pct_start, but got ${pct}`, { kind: 'argument' });
    const anneal = o.annealStrategy ?? 'cos';
    if (anneal !== 'cos' && anneal !== 'linear') throw new ValueError(`anneal_strategy must by one of 'cos' or 'linear', instead got ${anneal}`, { kind: 'argument' });
    const groups = optimizer.paramGroups as unknown as Group[];
    const perGroup = (name: string, v: number | readonly number[]): number[] => {
      if (Array.isArray(v)) {
        if (v.length !== groups.length) throw new ValueError(`expected ${groups.length} values for ${name}, got ${v.length}`, { kind: 'argument' });
        return [...(v as number[])];
      }
      if (typeof v !== 'number') throw new TypeError(`OneCycleLR: ${name} must be a number or a list of numbers, not ${pyTypeName(v)}`, { kind: 'argument' });
      return groups.map(() => v);
    };
    const divFactor = o.divFactor ?? 25;
    const finalDiv = o.finalDivFactor ?? 1e4;
    const maxLrs = perGroup('max_lr', o.maxLr);
    // PyTorch's OneCycleLR writes them into the groups (initial_lr, max_lr, min_lr in the optimizer's state_dict)
    groups.forEach((g, i) => {
      g['initialLr'] = maxLrs[i]! / divFactor;
      g['maxLr'] = maxLrs[i]!;
      g['minLr'] = (g['initialLr'] as number) / finalDiv;
    });
    super(optimizer, groups.map((g) => g['initialLr'] as number), o.verbose ?? false);
    this.totalSteps = total;
    this.phases = o.threePhase
      ? [
          { end_step: pct * total - 1, start_lr: 'initial_lr', end_lr: 'max_lr', start_momentum: 'max_momentum', end_momentum: 'base_momentum' },
          { end_step: 2 * pct * total - 2, start_lr: 'max_lr', end_lr: 'initial_lr', start_momentum: 'base_momentum', end_momentum: 'max_momentum' },
          { end_step: total - 1, start_lr: 'initial_lr', end_lr: 'min_lr', start_momentum: 'max_momentum', end_momentum: 'max_momentum' },
        ]
      : [
          { end_step: pct * total - 1, start_lr: 'initial_lr', end_lr: 'max_lr', start_momentum: 'max_momentum', end_momentum: 'base_momentum' },
          { end_step: total - 1, start_lr: 'max_lr', end_lr: 'min_lr', start_momentum: 'base_momentum', end_momentum: 'max_momentum' },
        ];
    this.annealFunc = anneal === 'cos' ? '_annealing_cos' : '_annealing_linear';
    this.cycleMomentum = o.cycleMomentum ?? true;
    this.useBeta1 = false;
    if (this.cycleMomentum) {
      if (!('momentum' in optimizer.defaults) && !('betas' in optimizer.defaults)) throw new ValueError('optimizer must support momentum with `cycle_momentum` option enabled', { kind: 'argument' });
      this.useBeta1 = 'betas' in optimizer.defaults;
      const maxM = perGroup('max_momentum', o.maxMomentum ?? 0.95);
      const baseM = perGroup('base_momentum', o.baseMomentum ?? 0.85);
      groups.forEach((g, i) => {
        this.#setMomentum(g, maxM[i]!);
        g['maxMomentum'] = maxM[i]!;
        g['baseMomentum'] = baseM[i]!;
      });
    }
    this.step();
  }

  #setMomentum(g: Group, m: number): void {
    if (this.useBeta1) g['betas'] = [m, ...(g['betas'] as number[]).slice(1)];
    else g['momentum'] = m;
  }

  protected ownState(): OneCycleLROwn {
    return {
      total_steps: this.totalSteps,
      _schedule_phases: this.phases.map((p) => ({ ...p })),
      anneal_func: this.annealFunc,
      cycle_momentum: this.cycleMomentum,
      ...(this.cycleMomentum ? { use_beta1: this.useBeta1 } : {}),
    };
  }

  protected loadOwnState(d: Record<string, unknown>): void {
    this.totalSteps = entry<number>(d, 'total_steps', isPositiveInt, 'a positive integer') ?? this.totalSteps;
    const phases = entry<OneCyclePhase[]>(d, '_schedule_phases', (v) => Array.isArray(v) && v.length > 0 && v.every(isPhase), 'a list of phases {end_step, start_lr, end_lr, start_momentum, end_momentum}');
    if (phases) this.phases = phases.map((p) => ({ ...p }));
    this.annealFunc = entry<string>(d, 'anneal_func', (v) => typeof v === 'string' && v in ANNEAL, "'_annealing_cos' or '_annealing_linear'") ?? this.annealFunc;
    this.cycleMomentum = entry<boolean>(d, 'cycle_momentum', (v) => typeof v === 'boolean', 'true or false') ?? this.cycleMomentum;
    this.useBeta1 = entry<boolean>(d, 'use_beta1', (v) => typeof v === 'boolean', 'true or false') ?? this.useBeta1;
  }

  protected computeLr(): number[] {
    const stepNum = this.lastEpoch;
    if (stepNum > this.totalSteps) {
      throw new ValueError(`Tried to step ${stepNum + 1} times. The specified number of total steps is ${this.totalSteps}`, { kind: 'argument' });
    }
    const anneal = ANNEAL[this.annealFunc]!;
    return this.groups.map((g) => {
      let start = 0;
      let lr = 0;
      const phases = this.phases;
      for (let i = 0; i < phases.length; i++) {
        const ph = phases[i]!;
        if (stepNum <= ph.end_step || i === phases.length - 1) {
          const pct = (stepNum - start) / (ph.end_step - start);
          const at = (k: string) => g[GROUP_KEY[k]!] as number;
          lr = anneal(at(ph.start_lr), at(ph.end_lr), pct);
          if (this.cycleMomentum) this.#setMomentum(g, anneal(at(ph.start_momentum), at(ph.end_momentum), pct));
          break;
        }
        start = ph.end_step;
      }
      return lr;
    });
  }
}
