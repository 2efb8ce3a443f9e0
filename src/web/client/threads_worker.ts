/**
 * dist/web/lib/threads.html's dedicated Worker: the library (./normkit.js) on
 * two threads, where it may block in Atomics.wait. Asked by the page (with
 * `wasmFirst`: initWasm() before the pool starts, so its workers get the
 * compiled modules with their data; else after, so they get them by message),
 * it runs the seeded job (../threads_job.ts) split over the pool, then on one
 * thread, and posts back what it saw.
 */
import { getNormBackend, initWasm, normBackendInfo, setNumThreads, warmNormThreads } from '../../index.js';
import { bitsHash, runThreadsJob, sameBits } from '../threads_job.js';

const scope = globalThis as unknown as {
  crossOriginIsolated: boolean;
  onmessage: (e: { data: { wasmFirst: boolean } }) => void;
  postMessage(m: unknown): void;
};

async function run(wasmFirst: boolean): Promise<Record<string, unknown>> {
  const before = normBackendInfo();
  if (wasmFirst) await initWasm();
  setNumThreads(2);
  const warmed = await warmNormThreads();
  const init = await initWasm();
  const threaded = runThreadsJob(6);
  const info = normBackendInfo();
  setNumThreads(1);
  const single = runThreadsJob(6);
  return {
    crossOriginIsolated: scope.crossOriginIsolated,
    threadsPossible: before.threadsPossible,
    threadsUnavailable: before.threadsUnavailable,
    warmed,
    init,
    backend: getNormBackend(),
    threadsInUse: info.threadsInUse,
    threadedCalls: threaded.threadedCalls,
    singleThreadedCalls: single.threadedCalls,
    identical: { norm: sameBits(threaded.norm, single.norm), conv: sameBits(threaded.conv, single.conv) },
    hash: { norm: bitsHash(threaded.norm), conv: bitsHash(threaded.conv) },
  };
}

scope.onmessage = (e) => {
  run(e.data.wasmFirst).then(
    (r) => scope.postMessage({ ok: true, ...r }),
    (err: unknown) => scope.postMessage({ ok: false, error: (err as Error).stack ?? String(err) }),
  );
};
