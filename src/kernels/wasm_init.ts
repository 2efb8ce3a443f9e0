/**
 * `initWasm()`: the WebAssembly kernels where they cannot load at import.
 * In Node they load synchronously when normkit is imported and this resolves
 * at once; in a browser it fetches norm.wasm and gemm_relaxed.wasm or gemm.wasm (from
 * beside the script) and switches the normalization and gemm kernels to them, as Node
 * would have chosen (NORMKIT_NO_WASM, NORMKIT_GEMM and a backend set by
 * setNormBackend/setGemmBackend are respected). Until then, and wherever they
 * fail to load, the TypeScript kernels run: same results, slower. Worker
 * threads already started get the compiled modules (the ones started later
 * get them with their data). The shape-flow analyzer needs none of this.
 */
import { platform } from '#platform';
import { adoptWasmKernels, getNormBackend, normBackendInfo, shareWasmWithThreads, type NormBackendName } from './backend.js';
import { adoptWasmGemm, gemmBackend, wasmGemm, wasmGemmError, wasmGemmVariant, type GemmBackendName } from './gemm.js';
import type { WasmGemmVariant } from './gemm_wasm.js';
import { loadWasmGemmAsync } from './gemm_wasm.js';
import { loadWasmKernelsAsync } from './norm_wasm.js';

export interface WasmInit {
  norm: NormBackendName;
  gemm: GemmBackendName;
  /** The gemm's WebAssembly build: 'relaxed-simd' where the engine validates it, else 'simd128' (null: none loaded). */
  gemmVariant: WasmGemmVariant | null;
  /** Why a module did not load (null when it did, or was not asked for). */
  normError: string | null;
  gemmError: string | null;
}

let pending: Promise<WasmInit> | null = null;

export function initWasm(): Promise<WasmInit> {
  pending ??= (async () => {
    const disabled = platform.env('NORMKIT_NO_WASM') === '1';
    if (!disabled && !normBackendInfo().wasmAvailable) adoptWasmKernels(await loadWasmKernelsAsync());
    if (!disabled && wasmGemm === null) adoptWasmGemm(await loadWasmGemmAsync());
    shareWasmWithThreads();
    return { norm: getNormBackend(), gemm: gemmBackend, gemmVariant: wasmGemmVariant, normError: normBackendInfo().wasmError, gemmError: wasmGemmError };
  })();
  return pending;
}
