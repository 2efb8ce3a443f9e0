/**
 * Adam and AdamW on both backends (the float32 SIMD kernel, kernels/adam.ts,
 * and the TypeScript loops) against PyTorch 1.13's trajectories for every
 * variant of the update (test/fixtures/gen_adam_steps.py: amsgrad, maximize,
 * L2 and decoupled decay, tails past four values, steps with tiny and huge
 * gradients), and the kernel's chunks against the loops over a parameter
 * longer than three chunks, NaN gradients included.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { gemmBackend, setGemmBackend, type GemmBackendName } from '../../src/kernels/gemm.js';
import { Adam } from '../../src/optim/adam.js';
import { AdamW } from '../../src/optim/adamw.js';
import { Generator } from '../../src/tensor/random.js';
import { Tensor } from '../../src/tensor/tensor.js';

interface Step {
  param: number[];
  exp_avg: number[];
  exp_avg_sq: number[];
  max_exp_avg_sq?: number[];
}
interface Case {
  optimizer: 'Adam' | 'AdamW';
  options: Record<string, unknown>;
  n: number;
  param: number[];
  grads: number[][];
  after: Step[];
}

const fixture = JSON.parse(readFileSync(new URL('../../../test/fixtures/adam_steps.json', import.meta.url), 'utf8')) as { cases: Case[] };

const camel = (k: string): string => k.replace(/_(\w)/g, (_, c: string) => c.toUpperCase());

function optimizer(c: Case, p: Tensor): Adam | AdamW {
  const opts = Object.fromEntries(Object.entries(c.options).map(([k, v]) => [camel(k), v]));
  return c.optimizer === 'Adam' ? new Adam([p], opts) : new AdamW([p], opts);
}

function onBackend<T>(name: GemmBackendName, f: () => T): T {
  const before = gemmBackend;
  setGemmBackend(name);
  try {
    return f();
  } finally {
    setGemmBackend(before);
  }
}

function close(got: ArrayLike<number>, want: readonly number[], what: string): void {
  assert.equal(got.length, want.length, what);
  for (let i = 0; i < want.length; i++) {
    const d = Math.abs(got[i]! - want[i]!);
    assert.ok(d <= 1e-6 + 2e-6 * Math.abs(want[i]!), `${what}[${i}]: ${got[i]} vs PyTorch's ${want[i]}`);
  }
}

for (const backend of ['wasm-simd', 'scalar'] as const) {
  test(`Adam and AdamW (${backend}) follow PyTorch's trajectories: amsgrad, maximize, L2 and decoupled decay, tails, tiny and huge gradients`, () => {
    assert.ok(fixture.cases.length >= 18);
    onBackend(backend, () => {
      for (const c of fixture.cases) {
        const where = `${c.optimizer} ${JSON.stringify(c.options)} n=${c.n}`;
        const p = new Tensor(Float32Array.from(c.param), [c.n]).requiresGrad_();
        const opt = optimizer(c, p);
        c.grads.forEach((g, s) => {
          p.grad = new Tensor(Float32Array.from(g), [c.n]);
          opt.step();
          const want = c.after[s]!;
          const st = opt.stateDict().state as Record<string, Record<string, Tensor>>;
          close(p.data, want.param, `${where} step ${s} param`);
          close(st['0']!['exp_avg']!.data, want.exp_avg, `${where} step ${s} exp_avg`);
          close(st['0']!['exp_avg_sq']!.data, want.exp_avg_sq, `${where} step ${s} exp_avg_sq`);
          if (want.max_exp_avg_sq) close(st['0']!['max_exp_avg_sq']!.data, want.max_exp_avg_sq, `${where} step ${s} max_exp_avg_sq`);
        });
      }
    });
  });
}

test('the kernel over a parameter of three chunks and a tail equals the TypeScript loops (within float32 rounding), NaN gradients where they are', () => {
  const n = 3 * (1 << 14) + 5;
  const g = new Generator(5);
  const start = Float32Array.from({ length: n }, () => g.normal());
  const grads = Array.from({ length: 4 }, (_, s) => Float32Array.from({ length: n }, (_, i) => (s === 1 && i % 9973 === 0 ? NaN : g.normal())));
  const run = (backend: GemmBackendName, opts: Record<string, unknown>) =>
    onBackend(backend, () => {
      const p = new Tensor(Float32Array.from(start), [n]).requiresGrad_();
      const opt = new Adam([p], opts);
      for (const gr of grads) {
        p.grad = new Tensor(Float32Array.from(gr), [n]);
        opt.step();
      }
      return p.data;
    });
  for (const opts of [{ lr: 0.01 }, { lr: 0.01, amsgrad: true, weightDecay: 0.01 }]) {
    const a = run('wasm-simd', opts);
    const b = run('scalar', opts);
    let nans = 0;
    for (let i = 0; i < n; i++) {
      if (Number.isNaN(b[i]!)) {
        nans++;
        assert.ok(Number.isNaN(a[i]!), `${JSON.stringify(opts)} [${i}]: NaN in the loops, ${a[i]} in the kernel`);
      } else assert.ok(Math.abs(a[i]! - b[i]!) <= 1e-6 + 1e-6 * Math.abs(b[i]!), `${JSON.stringify(opts)} [${i}]: ${a[i]} vs ${b[i]}`);
    }
    assert.equal(nans, Math.ceil(n / 9973), 'each NaN gradient spoils its own parameter only');
  }
});
