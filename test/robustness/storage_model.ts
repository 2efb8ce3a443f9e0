/**
 * Model-based storage test: random programs of ops, views (reshape/view),
 * subarrays, dispose, tidy, noGrad, backward and optimizer steps, checked
 * after every step against a shadow copy of every live tensor's values: no
 * recycled memory ever changes a live tensor. Shared by storage_model.test.ts
 * (bounded) and fuzz_main.ts (`npm run fuzz`).
 */
import fc from 'fast-check';
import '../../src/tensor/methods.js';
import { Tensor } from '../../src/tensor/tensor.js';
import { RuntimeError } from '../../src/errors.js';
import { randn } from '../../src/tensor/creation.js';
import { manualSeed } from '../../src/tensor/random.js';
import { noGrad } from '../../src/autograd/grad_mode.js';
import { add, mul, exp } from '../../src/ops/elementwise.js';
import { reshape } from '../../src/ops/shape_ops.js';
import { sum } from '../../src/ops/reduce.js';
import { instanceNorm } from '../../src/ops/norm/index.js';
import { tidy } from '../../src/tensor/tidy.js';
import { emptyStorageCache } from '../../src/tensor/storage.js';
import { SGD } from '../../src/optim/sgd.js';

/** Recycled sizes (at least 16,384 elements) and a small one. */
const SHAPES = [[4, 64, 64], [16384], [2, 2, 64, 64], [8, 3]];

interface Live {
  t: Tensor;
  shadow: Float32Array;
}

type Step =
  | { k: 'create'; shape: number; grad: boolean; seed: number }
  | { k: 'op'; which: number; src: number; other: number; noGrad: boolean }
  | { k: 'view'; src: number }
  | { k: 'subarray'; src: number; a: number; b: number; disposeOwner: boolean }
  | { k: 'dispose'; src: number }
  | { k: 'tidy'; steps: number; keep: number; seed: number }
  | { k: 'backward'; src: number }
  | { k: 'step'; lr: number };

const stepArb: fc.Arbitrary<Step> = fc.oneof(
  fc.record({ k: fc.constant('create' as const), shape: fc.nat(SHAPES.length - 1), grad: fc.boolean(), seed: fc.nat(1000) }),
  fc.record({ k: fc.constant('op' as const), which: fc.nat(4), src: fc.nat(), other: fc.nat(), noGrad: fc.boolean() }),
  fc.record({ k: fc.constant('op' as const), which: fc.nat(4), src: fc.nat(), other: fc.nat(), noGrad: fc.constant(true) }),
  fc.record({ k: fc.constant('view' as const), src: fc.nat() }),
  fc.record({ k: fc.constant('subarray' as const), src: fc.nat(), a: fc.nat(20000), b: fc.nat(20000), disposeOwner: fc.boolean() }),
  fc.record({ k: fc.constant('dispose' as const), src: fc.nat() }),
  fc.record({ k: fc.constant('dispose' as const), src: fc.nat() }),
  fc.record({ k: fc.constant('tidy' as const), steps: fc.integer({ min: 1, max: 4 }), keep: fc.nat(), seed: fc.nat(1000) }),
  fc.record({ k: fc.constant('backward' as const), src: fc.nat() }),
  fc.record({ k: fc.constant('step' as const), lr: fc.double({ min: 0.001, max: 0.5, noNaN: true }) }),
);

function same(a: Float32Array, b: Float32Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (!Object.is(a[i], b[i])) return false;
  return true;
}

/** Runs a program; throws (with the step) when a live tensor's values changed. */
export function runProgram(steps: readonly Step[]): void {
  emptyStorageCache();
  manualSeed(1);
  const live: Live[] = [];
  const param = randn([4, 64, 64]).requiresGrad_();
  const opt = new SGD([param], { lr: 0.1 });
  const track = (t: Tensor) => live.push({ t, shadow: Float32Array.from(t.data) });
  const pick = (i: number): Live | undefined => {
    for (let j = live.length - 1; j >= 0; j--) if (live[j]!.t.isDisposed) live.splice(j, 1);
    return live.length ? live[i % live.length] : undefined;
  };
  // Recent tensors (the last four): programs then dispose what they just viewed, as real code does.
  const pickRecent = (i: number): Live | undefined => {
    pick(0);
    return live.length ? live[Math.max(0, live.length - 1 - (i % 4))] : undefined;
  };
  const op = (which: number, a: Tensor, b: Tensor | undefined): Tensor => {
    const sameShape = b !== undefined && b.shape.length === a.shape.length && b.shape.every((d, i) => d === a.shape[i]);
    switch (which) {
      case 0:
        return add(a, sameShape ? b! : 1);
      case 1:
        return mul(a, 2);
      case 2:
        return exp(a);
      case 3:
        return a.ndim === 4 ? instanceNorm(a) : add(a, a);
      default:
        return mul(a, sameShape ? b! : a);
    }
  };
  const exec = (s: Step): void => {
    switch (s.k) {
      case 'create': {
        manualSeed(s.seed);
        const t = s.grad ? randn(SHAPES[s.shape]!).requiresGrad_() : noGrad(() => add(randn(SHAPES[s.shape]!), 0));
        track(t);
        break;
      }
      case 'op': {
        const a = pick(s.src);
        if (!a) return;
        const b = pick(s.other);
        track(s.noGrad ? noGrad(() => op(s.which, a.t, b?.t)) : op(s.which, a.t, b?.t));
        break;
      }
      case 'view': {
        const a = pick(s.src);
        if (a) track(reshape(a.t, [-1]));
        break;
      }
      case 'subarray': {
        const a = pickRecent(s.src);
        if (!a) return;
        const n = a.t.numel();
        const lo = Math.min(s.a, s.b) % (n + 1);
        const hi = Math.min(n, lo + (Math.max(s.a, s.b) % (n + 1 - lo)));
        track(new Tensor(a.t.data.subarray(lo, hi), [hi - lo]));
        // The owner goes while the part lives on (a view kept past its source, as real code does).
        if (s.disposeOwner && a.t !== param) a.t.dispose();
        break;
      }
      case 'dispose': {
        const a = s.src % 2 ? pickRecent(s.src >> 1) : pick(s.src);
        if (a && a.t !== param) a.t.dispose();
        break;
      }
      case 'tidy': {
        manualSeed(s.seed);
        const made: Tensor[] = [];
        const kept = tidy(() =>
          noGrad(() => {
            for (let i = 0; i < s.steps; i++) {
              const src = pick(s.seed + i);
              made.push(src ? op((s.seed + i) % 5, src.t, made[made.length - 1]) : add(randn(SHAPES[0]!), 0));
            }
            return made[s.keep % made.length]!;
          }),
        );
        for (const t of made) if (!t.isDisposed) track(t);
        if (kept.isDisposed) throw new Error('tidy disposed its result');
        break;
      }
      case 'backward': {
        const a = pick(s.src);
        const other = a && a.t.numel() === param.numel() ? reshape(a.t, param.shape) : undefined;
        const loss = sum(mul(param, other ?? param));
        try {
          loss.backward();
        } catch (e) {
          // A graph that saved a tensor disposed since, or freed by an earlier backward, says so (typed errors).
          if (!(e instanceof RuntimeError && /was disposed|a second time/.test(e.message))) throw e;
        }
        break;
      }
      case 'step': {
        opt.step();
        opt.zeroGrad();
        break;
      }
    }
  };
  track(param);
  for (let i = 0; i < steps.length; i++) {
    exec(steps[i]!);
    // The optimizer changes the parameter in place (legitimately): its shadow, and those of its views, follow.
    const pbuf = param.data.buffer;
    for (const l of live) if (!l.t.isDisposed && l.t.data.buffer === pbuf) l.shadow = Float32Array.from(l.t.data);
    for (const l of live) {
      if (l.t.isDisposed || l.t.data.buffer === pbuf) continue;
      if (!same(l.t.data, l.shadow)) {
        throw new Error(`step ${i} (${JSON.stringify(steps[i])}): a live tensor of shape [${l.t.shape.join(', ')}] changed`);
      }
    }
  }
}

export function storageProperty(): fc.IPropertyWithHooks<[Step[]]> {
  return fc.property(fc.array(stepArb, { minLength: 1, maxLength: 40 }), (steps) => {
    runProgram(steps);
  });
}
