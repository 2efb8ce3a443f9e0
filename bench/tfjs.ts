/**
 * TensorFlow.js core on its WebAssembly backend (SIMD, one thread), with the
 * .wasm files read from node_modules. The gradients tfjs-core registers for
 * tf.grad live only in its ES-module tree, whose imports omit file
 * extensions: a resolve hook (this process only) adds them, so tf.grad runs
 * tfjs's own gradient code.
 */
import { createRequire, register } from 'node:module';
import { dirname, join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { setWasmPaths } from '@tensorflow/tfjs-backend-wasm';

const RESOLVE_HOOK = `
export async function resolve(spec, ctx, next) {
  if (spec.startsWith('.') && !spec.endsWith('.js') && ctx.parentURL && ctx.parentURL.includes('/@tensorflow/tfjs-core/dist/')) {
    try { return await next(spec + '.js', ctx); } catch { return next(spec + '/index.js', ctx); }
  }
  return next(spec, ctx);
}`;

export type Tf = typeof tf;

/** Loads the wasm backend; resolves to tf, or throws with the reason. */
export async function loadTfjs(): Promise<Tf> {
  register(`data:text/javascript,${encodeURIComponent(RESOLVE_HOOK)}`);
  await import('@tensorflow/tfjs-core/dist/register_all_gradients.js' as string);
  const require = createRequire(import.meta.url);
  setWasmPaths(join(dirname(require.resolve('@tensorflow/tfjs-backend-wasm/package.json')), 'dist') + '/');
  // Node has no cross-origin isolation story here: use the single-threaded SIMD build.
  tf.env().set('WASM_HAS_MULTITHREAD_SUPPORT', false);
  if (!(await tf.setBackend('wasm'))) throw new Error('tf.setBackend("wasm") failed');
  return tf;
}
