/** The shape-flow doctor: analysis, sweeps and verified fixes (what `normkit check` prints). */
export { analyze, type AnalyzeOptions } from './analyze.js';
export { sweep, describeSizes, type SweepOptions } from './sweep.js';
export { suggestFixes } from './fixes.js';
export type * from './types.js';
