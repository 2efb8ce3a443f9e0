/**
 * dist/web/lib/demo.html's script: the library itself (dist/web/lib/normkit.js,
 * the package bundled for browsers through `#platform`'s browser condition)
 * running layers in the page — first on the TypeScript kernels, then, after
 * `initWasm()` fetched norm.wasm and gemm.wasm from beside it, on the
 * WebAssembly ones — and printing what it saw as JSON (the browser test reads it).
 */
import { getNormBackend, initWasm, manualSeed, nn, normBackendInfo, randn, setGemmBackend, ValueError, type Tensor } from '../../index.js';
import { showResult } from './demo_page.js';

const maxDiff = (a: Tensor, b: Tensor): number => a.data.reduce((m, v, i) => Math.max(m, Math.abs(v - b.data[i]!)), 0);

async function main(): Promise<Record<string, unknown>> {
  manualSeed(0);
  const norm = new nn.InstanceNorm2d(4, { affine: true });
  const conv = new nn.Conv2d(3, 8, 3, { padding: 1 });
  const x = randn([2, 4, 24, 24]);
  const img = randn([1, 3, 32, 32]);
  const before = { backend: getNormBackend(), wasmError: normBackendInfo().wasmError, threads: normBackendInfo().threadsPossible };
  const y0 = norm.call(x);
  const c0 = conv.call(img);
  const init = await initWasm();
  const y1 = norm.call(x);
  const c1 = conv.call(img);
  // Back on the scalar gemm: the first result again, to the bit.
  setGemmBackend('scalar');
  const c2 = conv.call(img);
  let raised = '';
  try {
    norm.call(randn([2, 4, 1, 1]));
  } catch (e) {
    raised = e instanceof ValueError ? `${e.type}: ${e.message}` : String(e);
  }
  return {
    before,
    init,
    after: { backend: getNormBackend(), wasmAvailable: normBackendInfo().wasmAvailable },
    typeName: norm.typeName,
    repr: String(norm),
    normDiff: maxDiff(y0, y1),
    convDiff: maxDiff(c0, c1),
    convScalarAgain: maxDiff(c0, c2),
    mean: y1.data.reduce((s, v) => s + v, 0) / y1.data.length,
    raised,
  };
}

showResult(main());
