/** The Node host (see types.ts): process.env, node:os, node:fs, node:worker_threads, process.emitWarning. */
import { readFileSync, writeFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { availableParallelism } from 'node:os';
import { fileURLToPath } from 'node:url';
import { setFlagsFromString } from 'node:v8';
import { isMainThread, parentPort, receiveMessageOnPort, Worker, workerData } from 'node:worker_threads';
import type { HostWorker, Platform, WorkerPort } from './types.js';

export type { HostWorker, Platform, WorkerPort } from './types.js';

/** Why this thread runs the kernels alone (null: it may start the pool). */
function workersUnavailable(): string | null {
  if (typeof SharedArrayBuffer !== 'function' || typeof Atomics !== 'object') return 'there is no SharedArrayBuffer or Atomics here';
  // One pool per process, started from the main thread (its workers do not start their own).
  if (!isMainThread) return 'this is a worker thread: normkit starts its workers from the main thread only';
  return null;
}

const unavailable = workersUnavailable();

const RELAXED_FLAG = 'experimental-wasm-relaxed-simd';
let relaxedAllowed = false;

/**
 * Node 20's V8 (11.3) has relaxed SIMD complete but behind a flag (on by
 * default from V8 11.4, Node 22). V8's flags are process-wide, so the pool's
 * workers, which instantiate the module compiled here, see it too. Left off
 * when the command line or NODE_OPTIONS says --no-experimental-wasm-relaxed-simd.
 */
function allowRelaxedSimd(): boolean {
  if (relaxedAllowed) return false;
  const args = [...process.execArgv, ...(process.env['NODE_OPTIONS'] ?? '').split(/\s+/)];
  if (args.some((a) => a.replace(/_/g, '-') === `--no-${RELAXED_FLAG}`)) return false;
  relaxedAllowed = true;
  try {
    setFlagsFromString(`--${RELAXED_FLAG}`);
    return true;
  } catch {
    return false;
  }
}

export const platform: Platform = {
  name: 'node',
  env: (name) => process.env[name],
  cores: () => (typeof availableParallelism === 'function' ? availableParallelism() : 1),
  canUseWorkers: unavailable === null,
  workersUnavailable: unavailable,
  readAssetSync: (url) => readFileSync(fileURLToPath(url)),
  allowRelaxedSimd,
  sameBytes: (a, b) => a.byteLength === b.byteLength && Buffer.from(a.buffer, a.byteOffset, a.byteLength).equals(Buffer.from(b.buffer, b.byteOffset, b.byteLength)),
  readAsset: async (url) => readFile(fileURLToPath(url)),
  startWorker(url, data, onFailure): HostWorker {
    // No inherited flags: under `node -e`, say, they would make the worker run the eval'd script.
    const worker = new Worker(url, { workerData: data, execArgv: [] });
    // Never keeps the process alive.
    worker.unref();
    let failed = false;
    const fail = (): void => {
      if (failed) return;
      failed = true;
      onFailure();
    };
    worker.on('error', fail);
    worker.on('exit', fail);
    return worker;
  },
  async workerPort(): Promise<WorkerPort> {
    const port = parentPort;
    if (port === null) throw new Error('workerPort: this is not a worker thread');
    // A MessagePort queues messages until its first listener.
    return {
      data: workerData,
      onMessage: (handler) => void port.on('message', handler),
      receive: () => receiveMessageOnPort(port)?.message,
    };
  },
  readFile: (path) => readFileSync(path),
  writeFile: (path, bytes) => writeFileSync(path, bytes),
  warn: (message, code) => process.emitWarning(message, { type: 'NormkitWarning', code }),
};
