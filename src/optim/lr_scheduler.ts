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

/**
 * PyTorch's `_LRScheduler`: `lastEpoch` counts `step()` calls (0 after
 * construction), `baseLrs` are the groups' initial lrs. As PyTorch's, it
 * records them in the optimizer's groups (`initialLr`, `initial_lr` in the
 * optimizer's stateDict), keeping one an earlier scheduler recorded.
 */
export abstract class LRScheduler {
  readonly optimizer: AnyOptimizer;
  lastEpoch = -1;
  readonly baseLrs: number[];
  #lastLr: number[] = [];

  constructor(optimizer: AnyOptimizer, initialLrs?: readonly number[]) {
    if (!(optimizer instanceof Optimizer)) throw new TypeError(`${pyTypeName(optimizer)} is not an Optimizer`, { kind: 'argument' });
    this.optimizer = optimizer;
    for (const g of this.groups) if (g['initialLr'] === undefined) g['initialLr'] = g.lr;
    this.baseLrs = initialLrs ? [...initialLrs] : this.groups.map((g) => g['initialLr'] as number);
  }

  protected get groups(): Group[] {
    return this.optimizer.paramGroups as unknown as Group[];
  }

  /** PyTorch's `get_lr()`: the groups' lrs at `lastEpoch`, from their current lrs. */
  protected abstract computeLr(): number[];

  /** Advances one epoch (or batch) and sets each group's lr. */
  step(): void {
    this.lastEpoch += 1;
    const lrs = this.computeLr();
    this.groups.forEach((g, i) => { g.lr = lrs[i]!; });
    this.#lastLr = lrs;
  }

  /**
   * PyTorch's `scheduler.state_dict()` (the entries a resume needs, PyTorch's
   * names): with the optimizer's own stateDict, a scheduler built with the same
   * options and given this continues the same sequence.
   */
  stateDict(): { last_epoch: number; base_lrs: number[]; _last_lr: number[] } {
    return { last_epoch: this.lastEpoch, base_lrs: [...this.baseLrs], _last_lr: [...this.#lastLr] };
  }

  loadStateDict(d: { last_epoch: number; base_lrs?: readonly number[]; _last_lr?: readonly number[] }): void {
    if (d === null || typeof d !== 'object' || typeof d.last_epoch !== 'number') {
      throw new TypeError(`loadStateDict: expected { last_epoch, base_lrs, _last_lr } as stateDict() returns, got ${pyTypeName(d)}`, { kind: 'argument' });
    }
    this.lastEpoch = d.last_epoch;
    if (d.base_lrs) this.baseLrs.splice(0, this.baseLrs.length, ...d.base_lrs);
    if (d._last_lr) this.#lastLr = [...d._last_lr];
  }

  /** PyTorch's `get_last_lr()`: the lrs the last `step()` set. */
  getLastLr(): number[] {
    return [...this.#lastLr];
  }
}

function positiveInt(v: unknown, name: string): number {
  if (typeof v !== 'number' || !Number.isInteger(v) || v <= 0) throw new ValueError(`Expected positive integer ${name}, but got ${String(v)}`, { kind: 'argument' });
  return v;
}

export interface StepLROptions {
  stepSize: number;
  /** Factor applied every `stepSize` epochs; 0.1 by default. */
  gamma?: number;
}

/** `lr = baseLr * gamma ** floor(epoch / stepSize)` (applied as PyTorch does: times gamma every stepSize steps). */
export class StepLR extends LRScheduler {
  readonly stepSize: number;
  readonly gamma: number;

  constructor(optimizer: AnyOptimizer, opts: StepLROptions) {
    super(optimizer);
    const o = checkOptions('StepLR', opts, { stepSize: 'int', gamma: 'number' }, { position: 2 });
    if (o?.stepSize === undefined) throw new TypeError("StepLR: missing required option 'stepSize' (PyTorch's step_size)", { kind: 'argument' });
    this.stepSize = o.stepSize;
    this.gamma = o.gamma ?? 0.1;
    this.step();
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
}

/** `lr = etaMin + (baseLr - etaMin) * (1 + cos(pi * epoch / tMax)) / 2`, continued past tMax as PyTorch does (back up again). */
export class CosineAnnealingLR extends LRScheduler {
  readonly tMax: number;
  readonly etaMin: number;

  constructor(optimizer: AnyOptimizer, opts: CosineAnnealingLROptions) {
    super(optimizer);
    const o = checkOptions('CosineAnnealingLR', opts, { tMax: 'number', etaMin: 'number' }, { position: 2 });
    if (o?.tMax === undefined) throw new TypeError("CosineAnnealingLR: missing required option 'tMax' (PyTorch's T_max)", { kind: 'argument' });
    this.tMax = o.tMax;
    this.etaMin = o.etaMin ?? 0;
    this.step();
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
}

interface Phase {
  endStep: number;
  startLr: 'initial' | 'max' | 'min';
  endLr: 'initial' | 'max' | 'min';
  startMomentum: 'max' | 'base';
  endMomentum: 'max' | 'base';
}

/** Leslie Smith's 1cycle policy, PyTorch's OneCycleLR (stepped once per batch). */
export class OneCycleLR extends LRScheduler {
  readonly totalSteps: number;
  readonly #phases: Phase[];
  readonly #anneal: (start: number, end: number, pct: number) => number;
  readonly cycleMomentum: boolean;
  readonly #useBeta1: boolean;
  readonly #lrs: { initial: number; max: number; min: number }[];
  readonly #momentums: { max: number; base: number }[];

  constructor(optimizer: AnyOptimizer, opts: OneCycleLROptions) {
    const o = checkOptions('OneCycleLR', opts, {
      maxLr: 'any', totalSteps: 'any', epochs: 'any', stepsPerEpoch: 'any', pctStart: 'number', annealStrategy: 'string',
      cycleMomentum: 'boolean', baseMomentum: 'any', maxMomentum: 'any', divFactor: 'number', finalDivFactor: 'number', threePhase: 'boolean',
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
    const lrs = perGroup('max_lr', o.maxLr).map((max) => {
      const initial = max / divFactor;
      return { initial, max, min: initial / finalDiv };
    });
    // PyTorch's OneCycleLR writes them into the groups (initial_lr, max_lr, min_lr in the optimizer's state_dict)
    groups.forEach((g, i) => {
      g['initialLr'] = lrs[i]!.initial;
      g['maxLr'] = lrs[i]!.max;
      g['minLr'] = lrs[i]!.min;
    });
    super(optimizer, lrs.map((l) => l.initial));
    this.totalSteps = total;
    this.#lrs = lrs;
    this.#phases = o.threePhase
      ? [
          { endStep: pct * total - 1, startLr: 'initial', endLr: 'max', startMomentum: 'max', endMomentum: 'base' },
          { endStep: 2 * pct * total - 2, startLr: 'max', endLr: 'initial', startMomentum: 'base', endMomentum: 'max' },
          { endStep: total - 1, startLr: 'initial', endLr: 'min', startMomentum: 'max', endMomentum: 'max' },
        ]
      : [
          { endStep: pct * total - 1, startLr: 'initial', endLr: 'max', startMomentum: 'max', endMomentum: 'base' },
          { endStep: total - 1, startLr: 'max', endLr: 'min', startMomentum: 'base', endMomentum: 'max' },
        ];
    this.#anneal = anneal === 'cos'
      ? (start, end, p) => end + ((start - end) / 2) * (Math.cos(Math.PI * p) + 1)
      : (start, end, p) => (end - start) * p + start;
    this.cycleMomentum = o.cycleMomentum ?? true;
    this.#useBeta1 = 'betas' in optimizer.defaults;
    this.#momentums = [];
    if (this.cycleMomentum) {
      if (!('momentum' in optimizer.defaults) && !this.#useBeta1) throw new ValueError('optimizer must support momentum with `cycle_momentum` option enabled', { kind: 'argument' });
      const maxM = perGroup('max_momentum', o.maxMomentum ?? 0.95);
      const baseM = perGroup('base_momentum', o.baseMomentum ?? 0.85);
      groups.forEach((g, i) => {
        this.#momentums.push({ max: maxM[i]!, base: baseM[i]! });
        this.#setMomentum(g, maxM[i]!);
        g['maxMomentum'] = maxM[i]!;
        g['baseMomentum'] = baseM[i]!;
      });
    }
    this.step();
  }

  #setMomentum(g: Group, m: number): void {
    if (this.#useBeta1) g['betas'] = [m, ...(g['betas'] as number[]).slice(1)];
    else g['momentum'] = m;
  }

  protected computeLr(): number[] {
    const stepNum = this.lastEpoch;
    if (stepNum > this.totalSteps) {
      throw new ValueError(`Tried to step ${stepNum + 1} times. The specified number of total steps is ${this.totalSteps}`, { kind: 'argument' });
    }
    return this.groups.map((g, gi) => {
      let start = 0;
      let lr = 0;
      const phases = this.#phases;
      for (let i = 0; i < phases.length; i++) {
        const ph = phases[i]!;
        if (stepNum <= ph.endStep || i === phases.length - 1) {
          const pct = (stepNum - start) / (ph.endStep - start);
          const l = this.#lrs[gi]!;
          lr = this.#anneal(l[ph.startLr], l[ph.endLr], pct);
          if (this.cycleMomentum) {
            const m = this.#momentums[gi]!;
            this.#setMomentum(g, this.#anneal(m[ph.startMomentum], m[ph.endMomentum], pct));
          }
          break;
        }
        start = ph.endStep;
      }
      return lr;
    });
  }
}


