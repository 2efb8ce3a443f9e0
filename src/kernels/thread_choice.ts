/**
 * Whether a kernel call goes to the worker pool, from measurements: the
 * speed (work per ms, moving averages) of each kind of call (the caller's
 * key: kernel, size class, memory, path) on one thread and on the pool.
 * Whether the pool pays depends on all of these and on how busy the machine
 * is (a loaded machine can leave the workers no core, and then the pool only
 * adds its copies and waits). So each call takes the path measured faster
 * (the pool only when at least 10% faster), after a measurement of each
 * (past two warm-up runs of each: cold code, the workers' first use of
 * their memory and of what they keep resident), and now and then (every 16th call of that kind, up to every
 * 256th while the choice holds) the other path, to follow the machine's load.
 * One rule for every kernel family (normalization: backend.ts; convolution:
 * conv_threads.ts; the layers between convolutions: layer_threads.ts).
 */
interface Speed {
  single?: number;
  threaded?: number;
  /** Runs of each path still to make before one counts (WARM_RUNS). */
  warmSingle: number;
  warmThreaded: number;
  calls: number;
  every: number;
  /** Runs observed on each path, warm-ups included. */
  singleRuns: number;
  threadedRuns: number;
}

/**
 * Uncounted first runs of each path: cold code and first use of memory, and
 * on the pool each thread's first copy of what it then keeps resident (its
 * share of a cached Winograd transform, which the first call does not have
 * yet: weights seen once are not cached, so each thread transforms its
 * share), so the pool's first two runs can cost several times its steady ones.
 */
const WARM_RUNS = 2;

function prefersPool(s: Speed): boolean {
  return s.threaded !== undefined && s.single !== undefined && s.threaded > 1.1 * s.single;
}

/** What speeds() reports of a kind of call: the averages (work per ms), whether the pool is preferred, the runs of each path (warm-ups included). */
export interface ThreadSpeed {
  single?: number;
  threaded?: number;
  pool: boolean;
  singleRuns: number;
  threadedRuns: number;
}

export class ThreadChoice {
  readonly #speeds = new Map<string, Speed>();

  #speedOf(key: string): Speed {
    let s = this.#speeds.get(key);
    if (!s) this.#speeds.set(key, (s = { warmSingle: WARM_RUNS, warmThreaded: WARM_RUNS, calls: 0, every: 16, singleRuns: 0, threadedRuns: 0 }));
    return s;
  }

  /** Whether the next call of this kind goes to the pool. */
  choose(key: string): boolean {
    const s = this.#speedOf(key);
    if (s.single === undefined) return false;
    if (s.threaded === undefined) return true;
    const pref = prefersPool(s);
    return ++s.calls % s.every === 0 ? !pref : pref;
  }

  /** Records a call's speed (work per ms) on the pool (`threaded`) or on this thread. */
  observe(key: string, threaded: boolean, rate: number): void {
    if (!Number.isFinite(rate) || rate <= 0) return;
    const s = this.#speedOf(key);
    if (threaded) s.threadedRuns++;
    else s.singleRuns++;
    if (threaded ? s.warmThreaded > 0 : s.warmSingle > 0) {
      if (threaded) s.warmThreaded--;
      else s.warmSingle--;
      return;
    }
    const before = prefersPool(s);
    const avg = (old: number | undefined): number => (old === undefined ? rate : 0.7 * old + 0.3 * rate);
    if (threaded) s.threaded = avg(s.threaded);
    else s.single = avg(s.single);
    // A probe that confirmed the choice makes the next one rarer; a changed choice starts over.
    if (prefersPool(s) !== before) s.every = 16;
    else if (threaded !== before) s.every = Math.min(256, s.every * 2);
  }

  /** Forgets the measured speeds. */
  reset(): void {
    this.#speeds.clear();
  }

  /** The measured speeds by key, whether the pool is preferred, and how many calls ran on each path (warm-ups included). */
  speeds(): Record<string, ThreadSpeed> {
    const r: Record<string, ThreadSpeed> = {};
    for (const [k, s] of this.#speeds) {
      r[k] = {
        ...(s.single !== undefined ? { single: s.single } : {}),
        ...(s.threaded !== undefined ? { threaded: s.threaded } : {}),
        pool: prefersPool(s),
        singleRuns: s.singleRuns,
        threadedRuns: s.threadedRuns,
      };
    }
    return r;
  }
}
