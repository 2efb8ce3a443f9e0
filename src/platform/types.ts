/**
 * What the library needs from its host, in one place: environment settings,
 * the core count, files shipped beside the code (the WebAssembly kernels),
 * worker threads and a warning sink. Node's implementation is node.ts, the
 * browsers' browser.ts; package.json's `imports` picks one for `#platform`
 * (`browser` condition: bundlers targeting the web; `default`: Node), so no
 * other file reads `process` or imports `node:` modules on the library's path
 * (the CLI, the report's PNG writer and the training demo are Node-only).
 */

/** A started worker (Node: a worker thread; browsers: a module Web Worker). */
export interface HostWorker {
  postMessage(message: unknown): void;
  /** Stops it; resolves once it is gone. */
  terminate(): Promise<unknown>;
}

/** The worker's side of `startWorker`: the data it was started with, then its messages. */
export interface WorkerPort {
  readonly data: unknown;
  /** Receives the messages posted to this worker after its data, in order (none are lost before this is called). */
  onMessage(handler: (message: unknown) => void): void;
  /**
   * Takes the next message waiting for this worker, synchronously (undefined
   * when none is), where the host can (Node: receiveMessageOnPort). A worker
   * with it can wait for work on shared memory (Atomics.wait), which wakes
   * far sooner than its event loop; it then never calls onMessage.
   */
  receive?(): unknown;
}

export interface Platform {
  readonly name: 'node' | 'browser';
  /** A setting such as NORMKIT_THREADS (Node: the process environment). */
  env(name: string): string | undefined;
  /** Cores worth spreading work over. */
  cores(): number;
  /**
   * Whether this thread may start workers and block waiting for them (the
   * pool's synchronous API waits in Atomics.wait, which a browser's main
   * thread forbids). False means single-threaded kernels.
   */
  readonly canUseWorkers: boolean;
  /** Why canUseWorkers is false, in words (null when it is true). */
  readonly workersUnavailable: string | null;
  /** The bytes of a file shipped beside the code, read synchronously; null where only asynchronous reads exist (browsers). */
  readAssetSync(url: URL): Uint8Array | null;
  /** The bytes of a file shipped beside the code (browsers: fetched from the same place as the script). */
  readAsset(url: URL): Promise<Uint8Array>;
  /**
   * Starts the worker module at `url` with `data`; `onFailure` is called once
   * if it errors or exits. Throws where workers cannot start.
   */
  startWorker(url: URL, data: unknown, onFailure: () => void): HostWorker;
  /**
   * Inside a worker `startWorker` started: its data (Node: workerData;
   * browsers: the first message) and its later messages. Call it during the
   * worker module's first evaluation (before any await), so no message is missed.
   */
  workerPort(): Promise<WorkerPort>;
  /** A file's bytes, by path (io.loadFile); throws where there is no file system (browsers). */
  readFile(path: string): Uint8Array;
  /** Writes a file (io.saveFile); throws where there is no file system. */
  writeFile(path: string, bytes: Uint8Array): void;
  /** Whether two arrays hold the same bytes (Node: memcmp; browsers: a loop over 32-bit words). */
  sameBytes(a: ArrayBufferView, b: ArrayBufferView): boolean;
  /**
   * Where the engine has relaxed SIMD behind a flag (Node 20: V8's
   * --experimental-wasm-relaxed-simd), turns it on for this process, once;
   * true when it did, so that compiling the relaxed build again may succeed.
   * False where there is no such switch (browsers), when it is already on,
   * or when the command line turned it off (--no-experimental-wasm-relaxed-simd).
   */
  allowRelaxedSimd(): boolean;
  /** Reports a normkit warning no listener took (Node: process.emitWarning; browsers: console.warn). */
  warn(message: string, code: string): void;
}
