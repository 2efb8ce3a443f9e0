import { TypeError, pyTypeName } from '../errors.js';

let enabled = true;

export function isGradEnabled(): boolean {
  return enabled;
}

/** Runs `fn` with gradient recording off (PyTorch's `torch.no_grad()`). */
export function noGrad<T>(fn: () => T): T {
  if (typeof fn !== 'function') throw new TypeError(`noGrad: expected a function, got ${pyTypeName(fn)}`, { kind: 'argument' });
  const prev = enabled;
  enabled = false;
  try {
    return fn();
  } finally {
    enabled = prev;
  }
}

/** Runs `fn` with gradient recording set to `on`. */
export function withGradMode<T>(on: boolean, fn: () => T): T {
  if (typeof fn !== 'function') throw new TypeError(`withGradMode: expected a function, got ${pyTypeName(fn)}`, { kind: 'argument' });
  const prev = enabled;
  enabled = on;
  try {
    return fn();
  } finally {
    enabled = prev;
  }
}
