/** The `io` namespace: safetensors reading and writing. */
export {
  SafetensorsError,
  MAX_HEADER_SIZE,
  MAX_TENSORS,
  loadSafetensors,
  saveSafetensors,
  readHeader,
  type SafetensorsErrorKind,
  type SafetensorsContents,
  type SaveOptions,
  type TensorInfo,
} from './safetensors.js';
export { saveFile, loadFile, loadInto } from './file.js';
export { DTYPE_SIZE, type Dtype, type WriteDtype } from './dtypes.js';
