/** The Node host (see types.ts): process.env, node:os, node:fs, node:worker_threads, process.emitWarning. */
import { readFileSync, writeFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { availableParallelism } from 'node:os';
import { fileURLToPath } from 'node:url';
import { isMainThread, Worker } from 'node:worker_threads';
import type { HostWorker, Platform } from './types.js';

export type { HostWorker, Platform } from './types.js';

export const platform: Platform = {
  name: 'node',
  env: (name) => process.env[name],
  cores: () => (typeof availableParallelism === 'function' ? availableParallelism() : 1),
  canUseWorkers: isMainThread && typeof SharedArrayBuffer === 'function' && typeof Atomics === 'object',
  readAssetSync: (url) => readFileSync(fileURLToPath(url)),
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
  readFile: (path) => readFileSync(path),
  writeFile: (path, bytes) => writeFileSync(path, bytes),
  warn: (message, code) => process.emitWarning(message, { type: 'NormkitWarning', code }),
};
