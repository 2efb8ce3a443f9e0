import { TypeError, pyTypeName } from '../errors.js';
/**
 * Seedable pseudo-random generator (xoshiro128**, seeded through splitmix32),
 * shared by `rand`, `randn`, parameter initialization and dropout.
 */
export class Generator {
  private s = new Uint32Array(4);
  private spare: number | null = null;

  constructor(seed = 0) {
    this.manualSeed(seed);
  }

  manualSeed(seed: number): this {
    if (typeof seed !== 'number' || !Number.isFinite(seed)) {
      throw new TypeError(`manual_seed expected a finite number, got ${typeof seed === 'number' ? seed : pyTypeName(seed)}`, { kind: 'argument' });
    }
    let x = (Math.floor(seed) >>> 0) ^ 0x9e3779b9;
    for (let i = 0; i < 4; i++) {
      x = (x + 0x9e3779b9) >>> 0;
      let z = x;
      z = Math.imul(z ^ (z >>> 16), 0x85ebca6b) >>> 0;
      z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35) >>> 0;
      this.s[i] = (z ^ (z >>> 16)) >>> 0;
    }
    this.spare = null;
    return this;
  }

  private nextU32(): number {
    const s = this.s;
    const result = Math.imul(rotl(Math.imul(s[1]!, 5), 7), 9) >>> 0;
    const t = (s[1]! << 9) >>> 0;
    s[2]! ^= s[0]!;
    s[3]! ^= s[1]!;
    s[1]! ^= s[2]!;
    s[0]! ^= s[3]!;
    s[2]! ^= t;
    s[3] = rotl(s[3]!, 11);
    return result;
  }

  /** Uniform in [0, 1). */
  random(): number {
    return (this.nextU32() >>> 8) / 16777216;
  }

  /** Standard normal (Box–Muller). */
  normal(): number {
    if (this.spare !== null) {
      const v = this.spare;
      this.spare = null;
      return v;
    }
    let u = 0;
    while (u === 0) u = this.random();
    const v = this.random();
    const r = Math.sqrt(-2 * Math.log(u));
    this.spare = r * Math.sin(2 * Math.PI * v);
    return r * Math.cos(2 * Math.PI * v);
  }
}

function rotl(x: number, k: number): number {
  return ((x << k) | (x >>> (32 - k))) >>> 0;
}

/** The default generator used when none is passed. */
export const defaultGenerator = new Generator(0);

/** Seeds the default generator (PyTorch's `torch.manual_seed`). */
export function manualSeed(seed: number): void {
  defaultGenerator.manualSeed(seed);
}
