/**
 * The network `normkit train` trains: examples/style_net.json, a small
 * image-transformation network in the JSON model format (so `normkit check`
 * and the shape-flow doctor read the very same model).
 *
 * Its body is the classic style-transfer shape — reflection padding, a
 * strided conv, InstanceNorm2d(affine) + ReLU, two residual blocks, nearest
 * upsampling + conv. Instance norm removes each image's per-channel mean and
 * scale, so the body alone cannot know absolute colours; a Concat with an
 * Identity branch hands the raw input to a small head (conv, ReLU, 1x1 conv)
 * that maps colours while the body supplies edge and texture features.
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { SpecError } from '../errors.js';
import type { Module } from '../nn/module.js';
import { fromSpec } from '../spec/spec.js';

/** examples/style_net.json, found from this file (dist/src/train/ or src/train/ -> repository root). */
export const STYLE_NET_PATH = fileURLToPath(new URL(import.meta.url.includes('/dist/') ? '../../../examples/style_net.json' : '../../examples/style_net.json', import.meta.url));

/** Reads a model spec (JSON text) from `path`: a bare spec, or a check file's "model". */
export function readSpec(path: string = STYLE_NET_PATH): unknown {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    throw new SpecError('', `cannot read model spec ${path}: ${(e as Error).message}`);
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (e) {
    throw new SpecError('', `${path} is not valid JSON: ${(e as Error).message}`);
  }
  // A check file ({"description", "input", "mode", "model"}, as in examples/) holds the spec under "model".
  if (typeof parsed === 'object' && parsed !== null && !('module' in parsed) && 'model' in parsed) return (parsed as { model: unknown }).model;
  return parsed;
}

/** Builds the training network (parameters drawn from the default generator; seed it first). */
export function buildStyleNet(spec: unknown = readSpec()): Module {
  return fromSpec(spec);
}
