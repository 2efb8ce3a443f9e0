/**
 * Safetensors files on disk: save a module's state dict (or any tensor map),
 * load one, or load one into a module with PyTorch's `load_state_dict` rules.
 */
import { platform } from '#platform';
import { Module, type LoadResult } from '../nn/module.js';
import type { Tensor } from '../tensor/tensor.js';
import { SafetensorsError, loadSafetensors, saveSafetensors, type SafetensorsContents, type SaveOptions } from './safetensors.js';

function ioError(action: string, path: string, e: unknown): SafetensorsError {
  return new SafetensorsError('IoError', `cannot ${action} ${path}: ${(e as Error).message}`);
}

/** Writes `source` (a module's state dict, or a tensor map) to `path`. */
export function saveFile(
  path: string,
  source: Module | Map<string, Tensor> | Record<string, Tensor>,
  metadata?: Record<string, string>,
  opts?: SaveOptions,
): void {
  const bytes = saveSafetensors(source instanceof Module ? source.stateDict() : source, metadata, opts);
  try {
    platform.writeFile(path, bytes);
  } catch (e) {
    throw ioError('write', path, e);
  }
}

/** Reads and validates the file at `path`. */
export function loadFile(path: string): SafetensorsContents {
  let bytes: Uint8Array;
  try {
    bytes = platform.readFile(path);
  } catch (e) {
    throw ioError('read', path, e);
  }
  return loadSafetensors(bytes);
}

/**
 * Copies the tensors of the file at `path` into `module` in place. With
 * `strict` (default) missing or unexpected keys raise PyTorch's RuntimeError;
 * otherwise they are returned.
 */
export function loadInto(module: Module, path: string, opts: { strict?: boolean } = {}): LoadResult {
  return module.loadStateDict(loadFile(path).tensors, opts);
}
