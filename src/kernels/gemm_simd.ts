/**
 * A WebAssembly SIMD micro-kernel for gemm, assembled here byte by byte (no
 * toolchain, no binary file): for packed panels in its linear memory it
 * computes 4x8 tiles of C with eight f32x4 accumulators, i.e. 32
 * multiply-adds per 2 vector loads and 4 splat loads, several times the
 * throughput of scalar JavaScript. Accumulation is in float32, as in
 * PyTorch's CPU gemm.
 *
 * Memory layout (float indices): packed A strips at `aOff` (4 rows x kc,
 * row-interleaved: A[p*4 + i]), packed B strips at `bOff` (kc x 8 columns:
 * B[p*8 + j]), and from `cOff` a row-major panel of C (row stride ldc, a
 * multiple of 8) that the tiles load, add to and store back; the memory grows
 * with the panel.
 */

// The WebAssembly global, typed here (the project's lib settings do not include it).
declare const WebAssembly: {
  validate(bytes: Uint8Array): boolean;
  Module: new (bytes: Uint8Array) => object;
  Instance: new (module: object, imports: object) => { exports: Record<string, unknown> };
};

export interface SimdGemm {
  /** Float32 view of the module's memory (replaced when `reserveC` grows it). */
  readonly mem: Float32Array;
  readonly aOff: number;
  readonly bOff: number;
  readonly cOff: number;
  /** Makes room for a C panel of `floats` values at cOff. */
  reserveC(floats: number): void;
  /**
   * Adds the products of the packed panels (ms strips of A, ns strips of B,
   * kc >= 1) into the C panel rows starting at float `cRow`, row stride `ldc` floats.
   */
  block(ms: number, ns: number, kc: number, cRow: number, ldc: number): void;
}

const leb = (n: number): number[] => {
  const out: number[] = [];
  do {
    let b = n & 0x7f;
    n >>>= 7;
    if (n !== 0) b |= 0x80;
    out.push(b);
  } while (n !== 0);
  return out;
};
/** Signed LEB128 for the small non-negative constants used here. */
const i32const = (n: number): number[] => (n < 64 ? [0x41, n] : [0x41, (n & 0x7f) | 0x80, n >>> 7]);
const vec = (items: number[][]): number[] => [...leb(items.length), ...items.flat()];
const section = (id: number, bytes: number[]): number[] => [id, ...leb(bytes.length), ...bytes];
const name = (s: string): number[] => [...leb(s.length), ...Array.from(s, (c) => c.charCodeAt(0))];

const I32 = 0x7f;
const V128 = 0x7b;
const get = (i: number) => [0x20, i];
const set = (i: number) => [0x21, i];
const tee = (i: number) => [0x22, i];
const simd = (op: number, ...imm: number[]) => [0xfd, ...leb(op), ...imm];
const LOAD = 0x00;
const LOAD32_SPLAT = 0x09;
const STORE = 0x0b;
const CONST = 0x0c;
const F32X4_ADD = 0xe4;
const F32X4_MUL = 0xe6;
const I32_ADD = 0x6a;
const I32_SUB = 0x6b;
const I32_MUL = 0x6c;
const I32_LT_S = 0x48;
const LOOP = [0x03, 0x40];
const BR_IF_0 = [0x0d, 0x00];
const END = 0x0b;

function body(locals: number[][], code: number[]): number[] {
  const b = [...vec(locals), ...code, END];
  return [...leb(b.length), ...b];
}

/**
 * tile(kc, a, b, c, ldc): params 0..4 (byte addresses, ldc in bytes); locals
 * 5..12 accumulators (row i, column half j), 13-14 B vectors, 15 splat of A, 16 row address.
 */
function tileFunction(): number[] {
  const acc = (i: number, j: number) => 5 + i * 2 + j;
  const ROW = 16;
  const code: number[] = [];
  const eachRow = (f: (i: number) => number[]) => {
    code.push(...get(3), ...set(ROW));
    for (let i = 0; i < 4; i++) {
      code.push(...f(i));
      if (i < 3) code.push(...get(ROW), ...get(4), I32_ADD, ...set(ROW));
    }
  };
  eachRow((i) => [...get(ROW), ...simd(LOAD, 4, 0), ...set(acc(i, 0)), ...get(ROW), ...simd(LOAD, 4, 16), ...set(acc(i, 1))]);
  code.push(...LOOP);
  code.push(...get(2), ...simd(LOAD, 4, 0), ...set(13));
  code.push(...get(2), ...simd(LOAD, 4, 16), ...set(14));
  for (let i = 0; i < 4; i++) {
    code.push(...get(1), ...simd(LOAD32_SPLAT, 2, 4 * i), ...set(15));
    for (let j = 0; j < 2; j++) {
      code.push(...get(acc(i, j)), ...get(15), ...get(13 + j), ...simd(F32X4_MUL), ...simd(F32X4_ADD), ...set(acc(i, j)));
    }
  }
  code.push(...get(1), ...i32const(16), I32_ADD, ...set(1));
  code.push(...get(2), ...i32const(32), I32_ADD, ...set(2));
  code.push(...get(0), ...i32const(1), I32_SUB, ...tee(0), ...BR_IF_0, END);
  eachRow((i) => [...get(ROW), ...get(acc(i, 0)), ...simd(STORE, 4, 0), ...get(ROW), ...get(acc(i, 1)), ...simd(STORE, 4, 16)]);
  return body([[...leb(11), V128], [1, I32]], code);
}

/**
 * block(ms, ns, kc, aBase, bBase, cBase, ldc): params 0..6; locals 7 (r), 8 (s).
 * for r < ms, s < ns: tile(kc, aBase + r*kc*16, bBase + s*kc*32, cBase + r*4*ldc + s*32, ldc).
 */
function blockFunction(): number[] {
  const code: number[] = [];
  code.push(...i32const(0), ...set(7), ...LOOP);
  code.push(...i32const(0), ...set(8), ...LOOP);
  code.push(...get(2));
  code.push(...get(3), ...get(7), ...get(2), I32_MUL, ...i32const(16), I32_MUL, I32_ADD);
  code.push(...get(4), ...get(8), ...get(2), I32_MUL, ...i32const(32), I32_MUL, I32_ADD);
  code.push(...get(5), ...get(7), ...get(6), I32_MUL, ...i32const(4), I32_MUL, I32_ADD, ...get(8), ...i32const(32), I32_MUL, I32_ADD);
  code.push(...get(6));
  code.push(0x10, 0x00); // call tile
  code.push(...get(8), ...i32const(1), I32_ADD, ...tee(8), ...get(1), I32_LT_S, ...BR_IF_0, END);
  code.push(...get(7), ...i32const(1), I32_ADD, ...tee(7), ...get(0), I32_LT_S, ...BR_IF_0, END);
  return body([[2, I32]], code);
}

const PAGE_FLOATS = 65536 / 4;

/** Builds the module for panels of up to mc x kc (A) and kc x nc (B); null where WebAssembly SIMD is missing. */
export function createSimdGemm(mc: number, kc: number, nc: number): SimdGemm | null {
  const aOff = 0;
  const bOff = aOff + mc * kc;
  const cOff = bOff + (nc + 8) * kc;
  const initialPages = Math.ceil((cOff + 256 * (nc + 8)) / PAGE_FLOATS);
  const params = (n: number) => vec(new Array<number[]>(n).fill([I32]));
  const bytes = new Uint8Array([
    0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00,
    ...section(1, vec([[0x60, ...params(5), 0], [0x60, ...params(7), 0]])),
    ...section(3, vec([[0], [1]])),
    ...section(5, vec([[0x00, ...leb(initialPages)]])),
    ...section(7, vec([[...name('block'), 0x00, 1], [...name('mem'), 0x02, 0]])),
    ...section(10, vec([tileFunction(), blockFunction()])),
  ]);
  if (typeof WebAssembly === 'undefined' || !WebAssembly.validate(bytes)) return null;
  const inst = new WebAssembly.Instance(new WebAssembly.Module(bytes), {});
  const block = inst.exports['block'] as (ms: number, ns: number, kc: number, a: number, b: number, c: number, ldc: number) => void;
  const memory = inst.exports['mem'] as { buffer: ArrayBuffer; grow(pages: number): number };
  const state = {
    mem: new Float32Array(memory.buffer),
    aOff,
    bOff,
    cOff,
    reserveC(floats: number): void {
      const need = Math.ceil((cOff + floats) / PAGE_FLOATS) - memory.buffer.byteLength / 65536;
      if (need > 0) {
        memory.grow(need);
        state.mem = new Float32Array(memory.buffer);
      }
    },
    block: (ms: number, ns: number, k: number, cRow: number, ldc: number) => block(ms, ns, k, aOff * 4, bOff * 4, cRow * 4, ldc * 4),
  };
  return state;
}
