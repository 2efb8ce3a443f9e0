import { RuntimeError, fmtSize } from '../errors.js';
import { sameShape } from '../tensor/shape.js';
import { Tensor } from '../tensor/tensor.js';
import { noGrad } from './grad_mode.js';

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

function accumulate(into: Map<Tensor, Float32Array>, t: Tensor, g: Tensor): void {
  if (!sameShape(t.shape, g.shape)) {
    throw new RuntimeError(
      `internal: gradient of shape ${fmtSize(g.shape)} for a tensor of shape ${fmtSize(t.shape)} (${t.gradNode?.name ?? 'leaf'})`,
    );
  }
  const prev = into.get(t);
  if (prev === undefined) {
    into.set(t, Float32Array.from(g.data));
  } else {
    const gd = g.data;
    for (let i = 0; i < prev.length; i++) prev[i] = prev[i]! + gd[i]!;
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
  const grads = new Map<Tensor, Float32Array>();
  grads.set(root, Float32Array.from(seed.data));
  noGrad(() => {
    for (const t of topoOrder(root)) {
      const g = grads.get(t);
      if (g === undefined) continue;
      const node = t.gradNode;
      if (node === null) {
        const gt = new Tensor(g, t.shape);
        if (t.grad === null) t.grad = gt;
        else {
          const acc = t.grad.data;
          for (let i = 0; i < acc.length; i++) acc[i] = acc[i]! + g[i]!;
        }
        continue;
      }
      grads.delete(t);
      const inGrads = node.backward(new Tensor(g, t.shape));
      node.inputs.forEach((inp, i) => {
        const ig = inGrads[i];
        if (ig && inp.requiresGrad) accumulate(grads, inp, ig);
      });
    }
  });
}
