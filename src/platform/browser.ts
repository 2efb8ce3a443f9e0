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
 * - Workers: none. The kernels' pool keeps a synchronous API by blocking in
 *   Atomics.wait, which a page's main thread may not do (and SharedArrayBuffer
 *   needs a cross-origin-isolated page), so browsers run single-threaded.
 * - Files by path (io.saveFile, io.loadFile): none; io.saveSafetensors and
 *   io.loadSafetensors work on bytes.
 * - Warnings: console.warn.
 */
import type { HostWorker, Platform } from './types.js';

export type { HostWorker, Platform } from './types.js';

interface BrowserGlobals {
  NORMKIT_ENV?: Record<string, unknown>;
  navigator?: { hardwareConcurrency?: number };
  fetch?: (url: string) => Promise<{ ok: boolean; status: number; statusText: string; arrayBuffer(): Promise<ArrayBuffer> }>;
  console: { warn(...args: unknown[]): void };
}

const g = globalThis as unknown as BrowserGlobals;

export const platform: Platform = {
  name: 'browser',
  env(name) {
    const v = g.NORMKIT_ENV?.[name];
    return v === undefined || v === null ? undefined : String(v);
  },
  cores: () => Math.max(1, g.navigator?.hardwareConcurrency ?? 1),
  canUseWorkers: false,
  readAssetSync: () => null,
  async readAsset(url) {
    if (typeof g.fetch !== 'function') throw new Error(`cannot fetch ${url.href}: no fetch here`);
    const r = await g.fetch(url.href);
    if (!r.ok) throw new Error(`fetching ${url.href} failed: ${r.status} ${r.statusText}`);
    return new Uint8Array(await r.arrayBuffer());
  },
  startWorker(): HostWorker {
    throw new Error('normkit runs single-threaded in the browser (its kernels block in Atomics.wait, which a page may not)');
  },
  readFile() {
    throw new Error('there is no file system in a browser: read the bytes (a File, fetch) and use io.loadSafetensors(bytes)');
  },
  writeFile() {
    throw new Error('there is no file system in a browser: use io.saveSafetensors(...) and offer the bytes as a download');
  },
  warn: (message, code) => g.console.warn(`NormkitWarning [${code}]: ${message}`),
};
