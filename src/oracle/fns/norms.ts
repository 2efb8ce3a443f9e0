import type { OracleFn } from './index.js';

export const fns: Record<string, OracleFn> = {};
