/**
 * Whether a kind of call should use the worker pool, from measured speeds
 * (moving averages of units per ms) on one thread and on the pool, kept per
 * key (a kind and size class): the pool only while it measures at least 10%
 * faster; each path's first run (cold code, the workers' first touch of the
 * memory) is not counted; and now and then (every 16th call of a key, up to
 * every 256th while the choice holds) the other path runs, to follow the
 * machine's load. The rule of backend.ts's normalization choice, for the
 * layer kernels (layer_threads.ts).
 */
interface Speed {
  single?: number;
  threaded?: number;
  warmSingle: boolean;
  warmThreaded: boolean;
  calls: number;
  every: number;
}

export class ThreadChoice {
  readonly #speeds = new Map<string, Speed>();

  /** Whether the next call of `key` goes to the pool (one thread until one thread is measured). */
  choose(key: string): boolean {
    const s = this.#speed(key);
    if (s.single === undefined) return false;
    if (s.threaded === undefined) return true;
    const pref = prefersPool(s);
    return ++s.calls % s.every === 0 ? !pref : pref;
  }

  observe(key: string, threaded: boolean, rate: number): void {
    if (!Number.isFinite(rate) || rate <= 0) return;
    const s = this.#speed(key);
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

  reset(): void {
    this.#speeds.clear();
  }

  /** The measured speeds by key, and whether the pool is preferred. */
  speeds(): Record<string, { single?: number; threaded?: number; pool: boolean }> {
    const r: Record<string, { single?: number; threaded?: number; pool: boolean }> = {};
    for (const [k, s] of this.#speeds) r[k] = { ...(s.single !== undefined ? { single: s.single } : {}), ...(s.threaded !== undefined ? { threaded: s.threaded } : {}), pool: prefersPool(s) };
    return r;
  }

  #speed(key: string): Speed {
    let s = this.#speeds.get(key);
    if (!s) this.#speeds.set(key, (s = { warmSingle: false, warmThreaded: false, calls: 0, every: 16 }));
    return s;
  }
}

function prefersPool(s: Speed): boolean {
  return s.threaded !== undefined && s.single !== undefined && s.threaded > 1.1 * s.single;
}
