import { RuntimeError, fmtSize } from '../errors.js';
import { sameShape } from '../tensor/shape.js';
import { Tensor } from '../tensor/tensor.js';
import { noGrad } from './grad_mode.js';
import { pinStorage } from '../tensor/storage.js';

function topoOrder(root: Tensor): Tensor[] {
  const order: Tensor[] = [];
  const seen = new Set<Tensor>();
  // Iterative DFS: deep graphs (1,000-layer models) must not overflow the stack.
  const stack: [Tensor, number][] = [[root, 0]];
  seen.add(root);
  while (stack.length > 0) {
    const top = stack[stack.length - 1]!;
    const [t, i] = top;
    const inputs = t.gradNode?.inputs ?? [];
    if (i < inputs.length) {
      top[1] = i + 1;
      const child = inputs[i]!;
      if (child.requiresGrad && !seen.has(child)) {
        seen.add(child);
        stack.push([child, 0]);
      }
    } else {
      stack.pop();
      order.push(t);
    }
  }
  return order.reverse();
}

/**
 * A pending gradient. `owned`: this pass made the array and nothing else holds
 * it, so it may be summed into in place or handed to a leaf as is. Arrays a
 * backward closure received (and may have passed through, like reshape's) or
 * returned twice are shared: they are copied before anything writes to them.
 */
interface Pending {
  data: Float32Array;
  owned: boolean;
}

function accumulate(into: Map<Tensor, Pending>, t: Tensor, g: Tensor, owned: boolean): void {
  if (!sameShape(t.shape, g.shape)) {
    throw new RuntimeError(
      `internal: gradient of shape ${fmtSize(g.shape)} for a tensor of shape ${fmtSize(t.shape)} (${t.gradNode?.name ?? 'leaf'})`,
    );
  }
  const prev = into.get(t);
  const gd = g.data;
  if (prev === undefined) {
    into.set(t, { data: gd, owned });
  } else if (prev.owned) {
    const pd = prev.data;
    for (let i = 0; i < pd.length; i++) pd[i] = pd[i]! + gd[i]!;
  } else {
    const pd = prev.data;
    const sum = new Float32Array(pd.length);
    for (let i = 0; i < pd.length; i++) sum[i] = pd[i]! + gd[i]!;
    into.set(t, { data: sum, owned: true });
  }
}

/**
 * Reverse-mode differentiation from `root`. Gradients of leaves that require
 * them are added to `.grad` (accumulating across calls, as in PyTorch).
 */
export function backward(root: Tensor, gradient?: Tensor): void {
  if (!root.requiresGrad) {
    throw new RuntimeError('element 0 of tensors does not require grad and does not have a grad_fn');
  }
  let seed: Tensor;
  if (gradient === undefined) {
    if (root.numel() !== 1) throw new RuntimeError('grad can be implicitly created only for scalar outputs');
    seed = new Tensor(new Float32Array([1]), root.shape);
  } else {
    if (!sameShape(gradient.shape, root.shape)) {
      throw new RuntimeError(
        `Mismatch in shape: grad_output[0] has a shape of ${fmtSize(gradient.shape)} and output[0] has a shape of ${fmtSize(root.shape)}.`,
      );
    }
    seed = gradient;
  }
  const grads = new Map<Tensor, Pending>();
  // The caller's gradient is never written to.
  grads.set(root, { data: seed.data, owned: gradient === undefined });
  // Every array a closure was given: a closure may return it (or a view of it) unchanged.
  const given = new Set<ArrayBufferLike>([seed.data.buffer]);
  noGrad(() => {
    for (const t of topoOrder(root)) {
      const g = grads.get(t);
      if (g === undefined) continue;
      const node = t.gradNode;
      if (node === null) {
        if (t.grad === null) {
          t.grad = new Tensor(g.owned ? g.data : Float32Array.from(g.data), t.shape);
          pinStorage(t.grad.data); // a leaf's gradient outlives any tidy() around the backward pass
        }
        else {
          const acc = t.grad.data;
          const gd = g.data;
          for (let i = 0; i < acc.length; i++) acc[i] = acc[i]! + gd[i]!;
        }
        continue;
      }
      grads.delete(t);
      given.add(g.data.buffer);
      const inGrads = node.backward(new Tensor(g.data, t.shape));
      const seen = new Set<ArrayBufferLike>();
      const twice = new Set<ArrayBufferLike>();
      for (const ig of inGrads) if (ig) (seen.has(ig.data.buffer) ? twice : seen).add(ig.data.buffer);
      node.inputs.forEach((inp, i) => {
        const ig = inGrads[i];
        if (!ig || !inp.requiresGrad) return;
        const buf = ig.data.buffer;
        accumulate(grads, inp, ig, !given.has(buf) && !twice.has(buf));
        given.add(buf);
      });
    }
  });
}
