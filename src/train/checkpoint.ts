/**
 * Checkpoints of `normkit train`: the model's state dict in safetensors, with
 * the model spec in the file's `__metadata__` so the file alone rebuilds the
 * model (PyTorch loads the same tensors by name with `safetensors.torch`).
 */
import { SpecError } from '../errors.js';
import { loadFile, saveFile } from '../io/file.js';
import type { Module } from '../nn/module.js';
import { fromSpec } from '../spec/spec.js';

const SPEC_KEY = 'normkit_spec';

/** Writes `model`'s state dict to `path`; `spec` and `extra` go into the metadata. */
export function saveCheckpoint(path: string, model: Module, spec: unknown, extra: Record<string, string> = {}): void {
  saveFile(path, model, { format: 'pt', ...extra, [SPEC_KEY]: JSON.stringify(spec) });
}

/** Rebuilds the model stored at `path` (spec from the metadata) and loads its weights strictly. */
export function loadCheckpoint(path: string): { model: Module; metadata: Record<string, string> } {
  const { tensors, metadata } = loadFile(path);
  const specText = metadata[SPEC_KEY];
  if (specText === undefined) throw new SpecError('', `${path} has no '${SPEC_KEY}' metadata: not a normkit train checkpoint`);
  const model = fromSpec(specText);
  model.loadStateDict(tensors);
  return { model, metadata };
}
