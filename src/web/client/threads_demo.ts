/**
 * dist/web/lib/threads.html's script: starts ./threads_worker.js (the library
 * on two threads in a dedicated Worker), then runs the same seeded job
 * (../threads_job.ts) on the page's main thread, where the library stays on
 * one thread (a window may not block in Atomics.wait) and says why; prints
 * both as JSON (the browser test reads it). `?wasm=late` starts the worker's
 * pool before initWasm().
 */
import { initWasm, normBackendInfo, setNumThreads } from '../../index.js';
import { bitsHash, runThreadsJob } from '../threads_job.js';
import { showResult } from './demo_page.js';

function inWorker(wasmFirst: boolean): Promise<Record<string, unknown>> {
  const worker = new Worker(new URL('./threads_worker.js', import.meta.url), { type: 'module' });
  return new Promise((resolve) => {
    // The worker stays (idle), its pool with it: the browser test asks the pool worker what it loaded.
    worker.onmessage = (e: MessageEvent) => resolve(e.data as Record<string, unknown>);
    worker.onerror = (e: ErrorEvent) => resolve({ ok: false, error: e.message });
    worker.postMessage({ wasmFirst });
  });
}

async function main(): Promise<Record<string, unknown>> {
  const worker = await inWorker(new URLSearchParams(location.search).get('wasm') !== 'late');
  await initWasm();
  setNumThreads(2);
  const r = runThreadsJob(6);
  const info = normBackendInfo();
  return {
    worker,
    page: {
      crossOriginIsolated,
      threads: info.threads,
      threadsPossible: info.threadsPossible,
      threadsUnavailable: info.threadsUnavailable,
      threadsInUse: info.threadsInUse,
      threadedCalls: r.threadedCalls,
      backend: info.backend,
      hash: { norm: bitsHash(r.norm), conv: bitsHash(r.conv) },
    },
  };
}

showResult(main());
