/**
 * One loader for the WebAssembly kernels (norm.wasm, gemm.wasm): the file
 * beside the code, compiled and instantiated with no imports. Synchronously
 * where the host reads files synchronously (Node, at import), else
 * asynchronously (browsers: `initWasm()`). Never throws: a module that cannot
 * load (no file, no SIMD in this engine) comes back with the reason, and the
 * TypeScript kernels are used. The compiled modules are kept for the pool's
 * workers, which instantiate them rather than fetch and compile their own.
 */
import { platform } from '#platform';

// The WebAssembly global, typed here (the project's lib settings do not include it).
declare const WebAssembly: {
  Module: new (bytes: Uint8Array) => object;
  Instance: new (module: object, imports: object) => { exports: unknown };
  compile(bytes: Uint8Array): Promise<object>;
  instantiate(module: object, imports: object): Promise<{ exports: unknown }>;
};

export type WasmLoad<E> = { exports: E; error: null } | { exports: null; error: string };

/** A compiled WebAssembly.Module (structured-cloneable: workers instantiate it without fetching or compiling). */
export type WasmModule = object;

const fail = (error: string) => ({ exports: null, error }) as const;

/** The modules this thread compiled, by file name ('norm.wasm'), for the pool's workers. */
const compiled: Record<string, WasmModule> = {};

const fileName = (url: URL): string => url.pathname.slice(url.pathname.lastIndexOf('/') + 1);

/** The WebAssembly modules compiled so far, by file name. */
export function compiledWasm(): Record<string, WasmModule> {
  return { ...compiled };
}

/**
 * Instantiates the module at `url()` now, or says why it cannot (browsers: it
 * loads asynchronously). `url` is a function: in a script bundle without
 * `import.meta.url` even building the URL throws, and that too is a reason.
 */
export function instantiateWasmSync<E>(url: () => URL): WasmLoad<E> {
  try {
    if (typeof WebAssembly === 'undefined') return fail('WebAssembly is not available');
    const u = url();
    const bytes = platform.readAssetSync(u);
    if (bytes === null) return fail('WebAssembly loads asynchronously here: await initWasm()');
    // Compiling fails here when the engine lacks SIMD.
    const module = new WebAssembly.Module(bytes);
    const instance = new WebAssembly.Instance(module, {});
    compiled[fileName(u)] = module;
    return { exports: instance.exports as E, error: null };
  } catch (err) {
    return fail((err as Error).message);
  }
}

/** Fetches (or reads) and instantiates the module at `url()`. */
export async function instantiateWasm<E>(url: () => URL): Promise<WasmLoad<E>> {
  try {
    if (typeof WebAssembly === 'undefined') return fail('WebAssembly is not available');
    const u = url();
    const module = await WebAssembly.compile(await platform.readAsset(u));
    const instance = await WebAssembly.instantiate(module, {});
    compiled[fileName(u)] = module;
    return { exports: instance.exports as E, error: null };
  } catch (err) {
    return fail((err as Error).message);
  }
}

/** Instantiates a module another thread compiled (a worker: synchronously, as workers may); never throws. */
export function instantiateWasmModule<E>(module: WasmModule): WasmLoad<E> {
  try {
    if (typeof WebAssembly === 'undefined') return fail('WebAssembly is not available');
    return { exports: new WebAssembly.Instance(module, {}).exports as E, error: null };
  } catch (err) {
    return fail((err as Error).message);
  }
}
