/** Comparing a thrown error with the recorded PyTorch error. */
import { NormkitError } from '../errors.js';
import type { ErrorExpect } from './case_types.js';

/**
 * Type must match; the message must match exactly for the statistics errors
 * (the heart of the project), and for every error of a case that asks for it
 * (`exact_messages`); otherwise it may be worded by normkit.
 */
export function matchError(err: unknown, want: ErrorExpect, exact = false): string | null {
  if (!(err instanceof NormkitError)) {
    return `expected ${want.type}: ${want.message}; got an untyped ${(err as Error)?.name ?? typeof err}: ${(err as Error)?.message ?? String(err)}`;
  }
  if (err.type !== want.type) return `expected ${want.type}, got ${err.type}: ${err.message}`;
  if ((exact || want.message.startsWith('Expected more than 1')) && err.message !== want.message) {
    return `message "${err.message}" != "${want.message}"`;
  }
  return null;
}
