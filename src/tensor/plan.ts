/**
 * Memory planning: a container's forward (Sequential, Residual, Concat, a
 * graph run by runGraph/GraphModule) disposes each intermediate once its last
 * consumer has run, so the next output of its size takes its memory
 * (tensor/storage.ts) without the caller disposing anything. While gradients
 * are recorded the intermediates a recorded op holds (its inputs and output,
 * which its backward may read) are disposed once a backward pass has freed
 * every op holding them: the next training step's forward takes their memory. The planners themselves live with the containers
 * (nn/container.ts, graph/interpret.ts); this module holds the rule they share.
 * While planning, the same planners also fuse runs of layers whose
 * intermediates only the next layer reads (nn/fusion.ts).
 *
 * An intermediate is disposed only if all of these hold:
 * - it was made during the forward being planned (`serial >= since`): never a
 *   user's input, a parameter, a buffer or a constant made before;
 * - it is not a container's input or output, nor bound to a value still to be
 *   read (the planners check that: a module may return its input, Identity or
 *   Dropout in eval);
 * - its storage is recyclable (made under noGrad and never an input or output
 *   of a recorded op: see pinStorage; or made while recording, and then only
 *   once no recorded op holds it: see holdStorage), so disposing it buys memory;
 * - nobody else was shown it: the inputs and output of a module with forward
 *   hooks, and of a module whose class normkit does not know (a custom forward
 *   may keep a reference), are kept (`keepTensor`), and so are those handed to
 *   an interpreter's `stopAfter` callback (the planner is off then).
 * Views share their storage, which counts its live tensors: disposing a
 * reshaped intermediate while its view lives leaves the memory in use.
 *
 * A backward pass (autograd/backward.ts) does the same with the gradients it
 * makes: each node's output gradient is freed once the node has run, unless
 * the node passed it on or it is a leaf's.
 */
import { isGradEnabled } from './grad_mode.js';
import { disposeWhenFreed, isRecyclable } from './storage.js';
import type { Tensor } from './tensor.js';

let enabled = true;
const kept = new WeakSet<Tensor>();
const trusted = new Set<unknown>();

/** Turns the planner (and the backward pass's freeing of spent gradients) on (default) or off; off, intermediates are left to the garbage collector. */
export function setMemoryPlanning(on: boolean): void {
  enabled = on;
}

export function memoryPlanning(): boolean {
  return enabled;
}

/** Whether a forward starting now is planned (with gradients on too: see releaseIntermediate). */
export function planning(): boolean {
  return enabled;
}

/** `t` was shown to code that may hold it (a hook, a custom module): the planner never disposes it. */
export function keepTensor(t: Tensor): void {
  kept.add(t);
}

/**
 * Marks a module class as one whose forward keeps no reference to its inputs
 * or output (normkit's own layers and containers). Exactly that class:
 * a subclass (which may override forward) is not trusted.
 */
export function trustModuleClass(cls: abstract new (...args: never[]) => unknown): void {
  trusted.add(cls);
}

export function isTrustedModule(m: object): boolean {
  return trusted.has(m.constructor);
}

/** Disposes intermediate `t` of a forward that began at tensor serial `since`, if the rule above allows. */
export function releaseIntermediate(t: Tensor, since: number): void {
  if (t.serial < since || t.isDisposed || t.isMeta || kept.has(t)) return;
  if (isRecyclable(t.data)) t.dispose();
  // Made while recording: once the backward pass has freed the ops that may read it.
  else if (isGradEnabled()) disposeWhenFreed(t.data, t);
}
