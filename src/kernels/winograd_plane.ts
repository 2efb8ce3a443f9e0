/** asm/gemm.ts wg4Plane: floats between the 36 entries' planes of Winograd's operands (4 KB-rounded plus a cache line, against cache-set conflicts). */
export const wg4Plane = (floats: number): number => Math.ceil(floats / 1024) * 1024 + 16;
