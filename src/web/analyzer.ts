/**
 * The shape-flow doctor alone, for pages and bundlers: what the web app runs
 * (built by scripts/build-web.mjs into dist/web/normkit-analyzer.js, an ES
 * module, and measured there: the analyzer and the ONNX reader and writer
 * together stay well under 1 MB before compression). Analysis runs on
 * shape-only tensors (a fixed ONNX file is written with the file's weights):
 * no WebAssembly, no workers, no network.
 */
import '../ops/methods.js';

export { analyze, graphOf } from '../analysis/analyze.js';
export { suggestFixes } from '../analysis/fixes.js';
export { sweep } from '../analysis/sweep.js';
export { checkGraph, reportInputOf, type CheckResult, type Verdict } from '../doctor/check.js';
export { loadModel, parseInputs, parseShape, resolveInputs, sourceFromBytes, UsageError, type Source } from '../doctor/source.js';
export { applyFix, applyFixToOnnx, applyFixToOnnxSpec, type FixedOnnx } from '../doctor/apply_fix.js';
export { importOnnx, OnnxError } from '../formats/onnx/index.js';
export { fromSpec } from '../spec/spec.js';
export { withMetaParameters } from '../tensor/meta_mode.js';
export { buildReportModel, type ReportModel } from '../report/model.js';
export { check, explain, fixedSpec, inputShapes, openFile, type Checked, type FixedModel, type Opened } from './session.js';
export * from '../errors.js';
export type { Analysis, Fix, SweepResult } from '../analysis/types.js';
