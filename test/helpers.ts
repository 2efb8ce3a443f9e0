/** Shared test helpers: close-value assertions and finite-difference gradient checks. */
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import assert from 'node:assert/strict';
import { Tensor } from '../src/tensor/tensor.js';
import '../src/tensor/methods.js';
import { noGrad } from '../src/autograd/grad_mode.js';

export function assertClose(got: Tensor | number[] | Float32Array, want: ArrayLike<number>, atol = 1e-5, rtol = 1e-4, what = 'value'): void {
  const g = got instanceof Tensor ? got.data : got;
  assert.equal(g.length, want.length, `${what}: length ${g.length} != ${want.length}`);
  for (let i = 0; i < want.length; i++) {
    const a = g[i]!;
    const b = want[i]!;
    if (Number.isNaN(b)) {
      assert.ok(Number.isNaN(a), `${what}[${i}]: got ${a}, want NaN`);
      continue;
    }
    assert.ok(Math.abs(a - b) <= atol + rtol * Math.abs(b), `${what}[${i}]: got ${a}, want ${b}`);
  }
}

/**
 * Checks autograd against central finite differences (in float64 on a float32
 * function, so tolerances are loose): f must map the inputs to a tensor; the
 * scalar differentiated is sum(f(inputs) * w) with a fixed random weight w.
 */
export function checkGradients(f: (...xs: Tensor[]) => Tensor, inputs: Tensor[], opts: { eps?: number; atol?: number; rtol?: number } = {}): void {
  const eps = opts.eps ?? 1e-2;
  const atol = opts.atol ?? 2e-2;
  const rtol = opts.rtol ?? 2e-2;
  for (const x of inputs) {
    x.requiresGrad = true;
    x.grad = null;
  }
  const out = f(...inputs);
  const w = new Tensor(Float32Array.from({ length: out.numel() }, (_, i) => Math.sin(i * 1.7 + 0.3)), out.shape);
  out.backward(w);
  const objective = () =>
    noGrad(() => {
      const o = f(...inputs).data;
      let s = 0;
      for (let i = 0; i < o.length; i++) s += o[i]! * w.data[i]!;
      return s;
    });
  inputs.forEach((x, k) => {
    const analytic = x.grad?.data ?? new Float32Array(x.numel());
    for (let i = 0; i < x.numel(); i++) {
      const orig = x.data[i]!;
      x.data[i] = orig + eps;
      const up = objective();
      x.data[i] = orig - eps;
      const down = objective();
      x.data[i] = orig;
      const numeric = (up - down) / (2 * eps);
      const a = analytic[i]!;
      assert.ok(Math.abs(a - numeric) <= atol + rtol * Math.abs(numeric), `input ${k}[${i}]: autograd ${a} vs finite difference ${numeric}`);
    }
  });
}

/** The repository's root (the folder with package.json), from the compiled test's location. */
export function repoRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  while (!existsSync(join(dir, 'package.json')) && dirname(dir) !== dir) dir = dirname(dir);
  return dir;
}
