import type { OracleFn } from './index.js';

/** Losses and other non-normalization functions. */
export const fns: Record<string, OracleFn> = {};
