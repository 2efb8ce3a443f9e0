/** The functional namespace (PyTorch's `torch.nn.functional`). */
export { interpolate, type InterpolateOptions, type InterpolateMode } from '../ops/interpolate.js';
export {};
