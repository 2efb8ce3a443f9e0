/**
 * The clock the cores run at, for flops-per-cycle figures: /proc/cpuinfo
 * shows the VM's nominal clock, not the boost clock a busy core runs at, so
 * it is also estimated from a chain of dependent int32 adds and xors
 * (1 cycle each) timed by CPU time.
 */
import { readFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { gemmInfo } from '../src/kernels/gemm.js';

/** 128-bit SIMD: 2 f32x4 multiplies + 2 f32x4 adds per cycle, or 2 f32x4 fused multiply-adds (relaxed SIMD). */
export const SIMD128_PEAK_FLOPS_PER_CYCLE = 16;

/** The peak in words, with the gemm build this run uses. */
export function peakLabel(): string {
  const v = gemmInfo().variant;
  const how = v === 'relaxed-simd' ? 'relaxed SIMD: 2 f32x4 fused multiply-adds' : 'SIMD128: 2 f32x4 multiplies + 2 adds';
  return `128-bit SIMD peak ${SIMD128_PEAK_FLOPS_PER_CYCLE} flops/cycle, ${how} per cycle`;
}

export function measuredMHz(): number {
  const chain = (n: number, a: number, b: number): number => {
    let x = a | 0;
    for (let i = 0; i < n; i++) {
      x = ((x + b) | 0) ^ a;
      x = ((x + b) | 0) ^ a;
      x = ((x + b) | 0) ^ a;
      x = ((x + b) | 0) ^ a;
    }
    return x;
  };
  chain(1e6, 3, 5);
  const rates: number[] = [];
  for (let r = 0; r < 3; r++) {
    const n = 2e7;
    const c0 = process.cpuUsage();
    if (chain(n, r, 7) === 0.5) console.log('');
    const c = process.cpuUsage(c0);
    rates.push((8 * n) / ((c.user + c.system) / 1e6) / 1e6);
  }
  return Math.max(...rates);
}

export function cpuMHz(): number {
  const m = /cpu MHz\s*:\s*([\d.]+)/.exec(readFileSync('/proc/cpuinfo', 'utf8'));
  return m ? Number(m[1]) : cpus()[0]?.speed ?? 0;
}

export function loadAverage(): string {
  return readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ');
}
