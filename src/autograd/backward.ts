import { RuntimeError, TypeError, fmtSize, pyTypeName } from '../errors.js';
import { sameShape } from '../tensor/shape.js';
import { Tensor, tensorCount } from '../tensor/tensor.js';
import type { GradNode } from '../tensor/grad_node.js';
import { noGrad } from '../tensor/grad_mode.js';
import { allocStorage, dropHold, pinStorage } from '../tensor/storage.js';
import { SAVES_NOTHING } from './record.js';
import { memoryPlanning } from '../tensor/plan.js';
// the same float32 sums as a loop, in wasm SIMD for long gradients
import { addInto } from '../kernels/elementwise.js';

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
 * it, so it may be summed into in place, handed to a leaf as is, or freed for
 * the next gradient of its size once its node has run (`tensors`: the
 * tensors this pass holds on it, disposed then). Arrays a backward closure
 * received (and may have passed through, like reshape's) or returned twice
 * are shared: they are copied before anything writes to them, and disposed
 * at the end of the pass.
 */
interface Pending {
  data: Float32Array;
  owned: boolean;
  tensors: Tensor[];
}

/** Tensor serial at the start of the running pass: only tensors it made are ever disposed. */
let passStart = 0;

/** Gives an owned gradient's memory back (tensor/storage.ts recycles it when it was made under noGrad, as backward's are). */
function release(p: Pending): void {
  if (p.owned && memoryPlanning()) for (const t of p.tensors) if (t.serial >= passStart) t.dispose();
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
    into.set(t, { data: gd, owned, tensors: [g] });
  } else if (prev.owned) {
    addInto(prev.data, gd, prev.data);
    release({ data: gd, owned, tensors: [g] });
  } else if (owned) {
    // The shared one added into the new one (the same float32 sums: addition commutes).
    addInto(gd, prev.data, gd);
    into.set(t, { data: gd, owned: true, tensors: [g] });
  } else {
    const sum = addInto(prev.data, gd, allocStorage(prev.data.length));
    release({ data: gd, owned, tensors: [g] });
    const st = new Tensor(sum, t.shape);
    into.set(t, { data: sum, owned: true, tensors: [st] });
  }
}

export interface BackwardOptions {
  /**
   * Keep the graph usable for another backward pass (PyTorch's `retain_graph`).
   * Without it, a second pass through an op that saved values for its
   * gradient raises PyTorch's RuntimeError instead of accumulating again.
   */
  retainGraph?: boolean;
}

/** PyTorch's message when a pass reaches an op whose saved values were freed by an earlier pass. */
export const SECOND_BACKWARD_MESSAGE =
  'Trying to backward through the graph a second time (or directly access saved tensors after they have already been freed). ' +
  'Saved intermediate values of the graph are freed when you call .backward() or autograd.grad(). Specify retain_graph=True ' +
  'if you need to backward through the graph a second time or if you need to access saved tensors after calling backward.';

function freedBackward(): never {
  throw new RuntimeError(SECOND_BACKWARD_MESSAGE);
}

/** The seed gradient, with PyTorch's TypeErrors for what is not a tensor. */
function seedOf(root: Tensor, gradient: unknown): Tensor | undefined {
  if (gradient === undefined || gradient === null) return undefined;
  if (gradient instanceof Tensor) return gradient;
  if (Array.isArray(gradient) || typeof gradient === 'string') {
    // PyTorch takes a sequence of gradients (one per output): here one output.
    const items = Array.from(gradient as ArrayLike<unknown>);
    const bad = items.find((g) => !(g instanceof Tensor) && g !== null && g !== undefined);
    if (bad !== undefined) throw new TypeError(`gradients can be either Tensors or None, but got ${pyTypeName(bad)}`, { kind: 'argument' });
    if (items.length !== 1) throw new RuntimeError(`got 1 tensors and ${items.length} gradients`, { kind: 'argument' });
    return seedOf(root, items[0]);
  }
  if (typeof gradient === 'object') throw new TypeError(`gradients can be either Tensors or None, but got ${pyTypeName(gradient)}`, { kind: 'argument' });
  throw new TypeError(`'${pyTypeName(gradient)}' object is not iterable`, { kind: 'argument' });
}

/**
 * Reverse-mode differentiation from `root`. Gradients of leaves that require
 * them are added to `.grad` (accumulating across calls, as in PyTorch), all
 * at the end: a pass that throws midway leaves every `.grad` as it was.
 * Without `retainGraph` the ops that saved values are freed afterwards (a
 * second pass through them raises, as in PyTorch).
 */
export function backward(root: Tensor, gradient?: Tensor | null, opts: BackwardOptions = {}): void {
  if (!(root instanceof Tensor)) throw new TypeError(`backward(): argument 'tensors' must be a Tensor, not ${pyTypeName(root)}`, { kind: 'argument' });
  const given0 = seedOf(root, gradient);
  if (opts === null || typeof opts !== 'object') throw new TypeError(`backward(): options must be an object, not ${pyTypeName(opts)}`, { kind: 'argument' });
  if (!root.requiresGrad) {
    throw new RuntimeError('element 0 of tensors does not require grad and does not have a grad_fn');
  }
  let seed: Tensor;
  if (given0 === undefined) {
    if (root.numel() !== 1) throw new RuntimeError('grad can be implicitly created only for scalar outputs');
    seed = new Tensor(new Float32Array([1]), root.shape);
  } else {
    if (!sameShape(given0.shape, root.shape)) {
      throw new RuntimeError(
        `Mismatch in shape: grad_output[0] has a shape of ${fmtSize(given0.shape)} and output[0] has a shape of ${fmtSize(root.shape)}.`,
      );
    }
    seed = given0;
  }
  const grads = new Map<Tensor, Pending>();
  passStart = tensorCount();
  // The caller's gradient is never written to.
  grads.set(root, { data: seed.data, owned: given0 === undefined, tensors: [] });
  // Every array a closure was given: a closure may return it (or a view of it) unchanged.
  const given = new Set<ArrayBufferLike>([seed.data.buffer]);
  // Leaf gradients are applied once every node has run (all or nothing).
  const leaves: [Tensor, Pending][] = [];
  const visited: GradNode[] = [];
  // Every gradient tensor the closures were given or returned: those still live at the end are disposed then.
  const spent: Tensor[] = [];
  noGrad(() => {
    for (const t of topoOrder(root)) {
      const g = grads.get(t);
      if (g === undefined) continue;
      const node = t.gradNode;
      if (node === null) {
        leaves.push([t, g]);
        continue;
      }
      grads.delete(t);
      given.add(g.data.buffer);
      if (node.freed) freedBackward();
      visited.push(node);
      const gt = new Tensor(g.data, t.shape);
      g.tensors.push(gt);
      spent.push(gt);
      const inGrads = node.backward(gt);
      const seen = new Set<ArrayBufferLike>();
      const twice = new Set<ArrayBufferLike>();
      for (const ig of inGrads) {
        if (!ig) continue;
        (seen.has(ig.data.buffer) ? twice : seen).add(ig.data.buffer);
        spent.push(ig);
      }
      node.inputs.forEach((inp, i) => {
        const ig = inGrads[i];
        if (!ig || !inp.requiresGrad) return;
        const buf = ig.data.buffer;
        accumulate(grads, inp, ig, !given.has(buf) && !twice.has(buf));
        given.add(buf);
      });
      // This node's output gradient is spent, unless a closure passed it on (reshape's, add's).
      if (!seen.has(g.data.buffer)) release(g);
    }
    // Every gradient is computed: now (and only now) the leaves' .grad change.
    for (const [t, g] of leaves) {
      if (t.grad === null) {
        t.grad = new Tensor(g.owned ? g.data : Float32Array.from(g.data), t.shape);
        pinStorage(t.grad.data); // a leaf's gradient outlives any tidy() around the backward pass
      } else {
        const acc = t.grad.data;
        const gd = g.data;
        for (let i = 0; i < acc.length; i++) acc[i] = acc[i]! + gd[i]!;
      }
    }
    // The gradients passed on or shared (add's, reshape's) were left alive during the pass; the leaves now
    // hold theirs (pinned), so the rest are spent: their memory serves the next pass's gradients.
    if (memoryPlanning()) for (const sp of spent) if (sp.serial >= passStart) sp.dispose();
  });
  if (!opts.retainGraph) {
    for (const node of visited) {
      if (SAVES_NOTHING.has(node.name)) continue;
      node.freed = true;
      // Drop the closure (and the arrays it holds) as PyTorch frees saved values.
      (node as { backward: GradNode['backward'] }).backward = freedBackward;
      if (node.held) for (const a of node.held) dropHold(a);
      node.held = undefined;
    }
  }
}
