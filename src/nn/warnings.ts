/**
 * normkit's warning channel. Fallbacks and other silent-in-PyTorch behaviour
 * are reported here: by default through the host's warning sink (#platform:
 * Node's `process.emitWarning`, type `NormkitWarning`, on stderr; a browser's
 * console.warn); subscribe with `onWarning` to collect them instead (then
 * nothing is printed).
 */
import { platform } from '#platform';

export interface NormkitWarning {
  /** Stable identifier, e.g. `NK_FLEXIBLE_FALLBACK`. */
  code: string;
  message: string;
  /** Class name of the module that warned. */
  module: string;
  inputSize?: number[];
}

export type WarningListener = (w: NormkitWarning) => void;

const listeners = new Set<WarningListener>();

/** Receives every normkit warning; returns the unsubscribe function. */
export function onWarning(listener: WarningListener): () => void {
  listeners.add(listener);
  return () => listeners.delete(listener);
}

export function emitWarning(w: NormkitWarning): void {
  if (listeners.size > 0) {
    for (const l of listeners) l(w);
    return;
  }
  platform.warn(w.message, w.code);
}
