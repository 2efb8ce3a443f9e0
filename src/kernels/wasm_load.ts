/**
 * One loader for the WebAssembly kernels (norm.wasm, gemm.wasm): the file
 * beside the code, compiled and instantiated with no imports. Synchronously
 * where the host reads files synchronously (Node, at import), else
 * asynchronously (browsers: `initWasm()`). Never throws: a module that cannot
 * load (no file, no SIMD in this engine) comes back with the reason, and the
 * TypeScript kernels are used.
 */
import { platform } from '#platform';

// The WebAssembly global, typed here (the project's lib settings do not include it).
declare const WebAssembly: {
  Module: new (bytes: Uint8Array) => object;
  Instance: new (module: object, imports: object) => { exports: unknown };
  instantiate(bytes: Uint8Array, imports: object): Promise<{ instance: { exports: unknown } }>;
};

export type WasmLoad<E> = { exports: E; error: null } | { exports: null; error: string };

const fail = (error: string) => ({ exports: null, error }) as const;

/**
 * Instantiates the module at `url()` now, or says why it cannot (browsers: it
 * loads asynchronously). `url` is a function: in a script bundle without
 * `import.meta.url` even building the URL throws, and that too is a reason.
 */
export function instantiateWasmSync<E>(url: () => URL): WasmLoad<E> {
  try {
    if (typeof WebAssembly === 'undefined') return fail('WebAssembly is not available');
    const bytes = platform.readAssetSync(url());
    if (bytes === null) return fail('WebAssembly loads asynchronously here: await initWasm()');
    // Compiling fails here when the engine lacks SIMD.
    const instance = new WebAssembly.Instance(new WebAssembly.Module(bytes), {});
    return { exports: instance.exports as E, error: null };
  } catch (err) {
    return fail((err as Error).message);
  }
}

/** Fetches (or reads) and instantiates the module at `url()`. */
export async function instantiateWasm<E>(url: () => URL): Promise<WasmLoad<E>> {
  try {
    if (typeof WebAssembly === 'undefined') return fail('WebAssembly is not available');
    const { instance } = await WebAssembly.instantiate(await platform.readAsset(url()), {});
    return { exports: instance.exports as E, error: null };
  } catch (err) {
    return fail((err as Error).message);
  }
}
