/**
 * The browser host (see types.ts), picked by bundlers through package.json's
 * `browser` condition for `#platform`.
 *
 * - Settings: a page may set `globalThis.NORMKIT_ENV = { NORMKIT_NO_WASM: '1' }`
 *   before loading normkit (there is no process environment).
 * - WebAssembly: a browser's main thread may not compile modules over 4 KB
 *   synchronously, so the kernels start as the TypeScript ones and
 *   `await initWasm()` fetches norm.wasm and gemm.wasm (from beside the
 *   script: bundlers copy `new URL('./x.wasm', import.meta.url)` assets)
 *   and switches to them. The shape-flow analyzer needs neither.
 * - Workers: module Web Workers, where the pool can run. It keeps a
 *   synchronous API by blocking in Atomics.wait on SharedArrayBuffers, so it
 *   needs a cross-origin-isolated page (served with Cross-Origin-Opener-Policy:
 *   same-origin and Cross-Origin-Embedder-Policy: require-corp) and a thread
 *   that may block: a dedicated Worker the page runs normkit in, not the
 *   window's main thread. Elsewhere the kernels run single-threaded and
 *   `workersUnavailable` says why. A started worker gets its data as its first
 *   message (Node passes workerData).
 * - Files by path (io.saveFile, io.loadFile): none; io.saveSafetensors and
 *   io.loadSafetensors work on bytes.
 * - Warnings: console.warn.
 */
import type { HostWorker, Platform, WorkerPort } from './types.js';

export type { HostWorker, Platform, WorkerPort } from './types.js';

interface WebWorker {
  postMessage(message: unknown): void;
  terminate(): void;
  addEventListener(type: 'error' | 'messageerror', listener: () => void): void;
}

interface BrowserGlobals {
  NORMKIT_ENV?: Record<string, unknown>;
  navigator?: { hardwareConcurrency?: number };
  fetch?: (url: string) => Promise<{ ok: boolean; status: number; statusText: string; arrayBuffer(): Promise<ArrayBuffer> }>;
  console: { warn(...args: unknown[]): void };
  crossOriginIsolated?: boolean;
  Worker?: new (url: URL, options: { type: 'module'; name: string }) => WebWorker;
  /** A worker's name (what `new Worker(url, { name })` gave it). */
  name?: string;
  addEventListener?: (type: 'message', listener: (e: { data: unknown }) => void) => void;
}

const g = globalThis as unknown as BrowserGlobals;

/** The name the pool's workers get, so they know not to start a pool of their own. */
const POOL_WORKER = 'normkit-pool';

/** Whether this thread may block in Atomics.wait (a window's main thread may not: it throws). */
function mayBlock(): boolean {
  try {
    // Returns 'not-equal' at once where waiting is allowed.
    Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 1, 0);
    return true;
  } catch {
    return false;
  }
}

function workersUnavailable(): string | null {
  if (g.crossOriginIsolated !== true) {
    return 'the page is not cross-origin isolated (serve it with Cross-Origin-Opener-Policy: same-origin and Cross-Origin-Embedder-Policy: require-corp, as normkit serve does), so there is no SharedArrayBuffer';
  }
  if (typeof SharedArrayBuffer !== 'function' || typeof Atomics !== 'object') return 'there is no SharedArrayBuffer or Atomics here';
  if (typeof g.Worker !== 'function') return 'this thread cannot start Web Workers';
  if (g.name === POOL_WORKER) return "this is one of normkit's own pool workers";
  if (!mayBlock()) return "this thread may not block in Atomics.wait (a window's main thread): run normkit in a dedicated Worker to use threads";
  return null;
}

const unavailable = workersUnavailable();

/** A worker's incoming side: its data (the first message), messages that came before its handler, the handler once set. */
interface Incoming {
  data: Promise<unknown>;
  queue: unknown[];
  handler: ((m: unknown) => void) | null;
}

let port: Incoming | null = null;

function listen(): Incoming {
  if (port) return port;
  if (typeof g.addEventListener !== 'function') throw new Error('workerPort: this is not a worker');
  let first: (data: unknown) => void = () => undefined;
  let started = false;
  const p: Incoming = { data: new Promise((resolve) => (first = resolve)), queue: [], handler: null };
  g.addEventListener('message', (e) => {
    if (!started) {
      started = true;
      first(e.data);
    } else if (p.handler) p.handler(e.data);
    else p.queue.push(e.data);
  });
  port = p;
  return p;
}

/** Whole 32-bit words where both views are aligned to them, else bytes. */
function sameWords(a: ArrayBufferView, b: ArrayBufferView): boolean {
  if (a.byteLength !== b.byteLength) return false;
  const words = a.byteOffset % 4 === 0 && b.byteOffset % 4 === 0 && a.byteLength % 4 === 0;
  const x = words ? new Int32Array(a.buffer, a.byteOffset, a.byteLength / 4) : new Uint8Array(a.buffer, a.byteOffset, a.byteLength);
  const y = words ? new Int32Array(b.buffer, b.byteOffset, b.byteLength / 4) : new Uint8Array(b.buffer, b.byteOffset, b.byteLength);
  for (let i = 0; i < x.length; i++) if (x[i] !== y[i]) return false;
  return true;
}

export const platform: Platform = {
  name: 'browser',
  env(name) {
    const v = g.NORMKIT_ENV?.[name];
    return v === undefined || v === null ? undefined : String(v);
  },
  cores: () => Math.max(1, g.navigator?.hardwareConcurrency ?? 1),
  canUseWorkers: unavailable === null,
  workersUnavailable: unavailable,
  readAssetSync: () => null,
  sameBytes: sameWords,
  // Browsers that have relaxed SIMD have it on; there is no switch.
  allowRelaxedSimd: () => false,
  async readAsset(url) {
    if (typeof g.fetch !== 'function') throw new Error(`cannot fetch ${url.href}: no fetch here`);
    const r = await g.fetch(url.href);
    if (!r.ok) throw new Error(`fetching ${url.href} failed: ${r.status} ${r.statusText}`);
    return new Uint8Array(await r.arrayBuffer());
  },
  startWorker(url, data, onFailure): HostWorker {
    if (unavailable !== null) throw new Error(`normkit runs single-threaded here: ${unavailable}`);
    const worker = new g.Worker!(url, { type: 'module', name: POOL_WORKER });
    let failed = false;
    const fail = (): void => {
      if (failed) return;
      failed = true;
      onFailure();
    };
    // A script that does not load (or throws) is an error event; a message it cannot take, a messageerror.
    worker.addEventListener('error', fail);
    worker.addEventListener('messageerror', fail);
    worker.postMessage(data);
    return {
      postMessage: (m) => worker.postMessage(m),
      terminate: async () => worker.terminate(),
    };
  },
  async workerPort(): Promise<WorkerPort> {
    const p = listen();
    const data = await p.data;
    return {
      data,
      onMessage(handler) {
        p.handler = handler;
        for (const m of p.queue.splice(0)) handler(m);
      },
    };
  },
  readFile() {
    throw new Error('there is no file system in a browser: read the bytes (a File, fetch) and use io.loadSafetensors(bytes)');
  },
  writeFile() {
    throw new Error('there is no file system in a browser: use io.saveSafetensors(...) and offer the bytes as a download');
  },
  warn: (message, code) => g.console.warn(`NormkitWarning [${code}]: ${message}`),
};
