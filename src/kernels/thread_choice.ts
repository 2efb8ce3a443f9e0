/**
 * Whether a kernel call goes to the worker pool, from measurements: the
 * speed (work per ms, moving averages) of each kind of call (the caller's
 * key: kernel, size class, memory, path) on one thread and on the pool.
 * Whether the pool pays depends on all of these and on how busy the machine
 * is (a loaded machine can leave the workers no core, and then the pool only
 * adds its copies and waits). So each call takes the path measured faster
 * (the pool only when at least 10% faster), after a measurement of each
 * (past a first, warm-up run of each: cold code, the workers' first use of
 * their memory), and now and then (every 16th call of that kind, up to every
 * 256th while the choice holds) the other path, to follow the machine's load.
 * One rule for every kernel family (normalization: backend.ts; convolution:
 * conv_threads.ts; the layers between convolutions: layer_threads.ts).
 */
interface Speed {
  single?: number;
  threaded?: number;
  /** Whether each path has run once: that first run is not counted. */
  warmSingle: boolean;
  warmThreaded: boolean;
  calls: number;
  every: number;
}

function prefersPool(s: Speed): boolean {
  return s.threaded !== undefined && s.single !== undefined && s.threaded > 1.1 * s.single;
}

export class ThreadChoice {
  readonly #speeds = new Map<string, Speed>();

  #speedOf(key: string): Speed {
    let s = this.#speeds.get(key);
    if (!s) this.#speeds.set(key, (s = { warmSingle: false, warmThreaded: false, calls: 0, every: 16 }));
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
    if (threaded ? !s.warmThreaded : !s.warmSingle) {
      if (threaded) s.warmThreaded = true;
      else s.warmSingle = true;
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

  /** The measured speeds by key, and whether the pool is preferred. */
  speeds(): Record<string, { single?: number; threaded?: number; pool: boolean }> {
    const r: Record<string, { single?: number; threaded?: number; pool: boolean }> = {};
    for (const [k, s] of this.#speeds) r[k] = { ...(s.single !== undefined ? { single: s.single } : {}), ...(s.threaded !== undefined ? { threaded: s.threaded } : {}), pool: prefersPool(s) };
    return r;
  }
}
