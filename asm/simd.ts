/**
 * Small SIMD helpers shared by the gemm module's kernels.
 */

/** c + a * b: fused where relaxed SIMD is enabled at compile time (gemm_relaxed.wasm), else a multiply then an add. */
@inline export function madd(a: v128, b: v128, c: v128): v128 {
  if (ASC_FEATURE_RELAXED_SIMD) return f32x4.relaxed_madd(a, b, c);
  return f32x4.add(c, f32x4.mul(a, b));
}

/**
 * table[i] in every lane, for a float32 table from memory.data: one
 * broadcast load. V8 (x64) builds each use of a v128 constant inside a loop
 * from an immediate with three instructions, two on the shuffle port, so a
 * polynomial's coefficients as f32x4.splat(c) made the exp-based kernels
 * shuffle-bound (about 2x slower).
 */
@inline export function lane4(table: usize, i: i32): v128 {
  return v128.load32_splat(table + (<usize>i << 2));
}
