/**
 * Convolution forward as an implicit gemm (asm/gemm.ts `dconv`): no column
 * matrix. The image is copied into WebAssembly memory once, zero-padded and
 * split into its column phases (`polyPad`: for stride s along W, phase p holds
 * the padded columns p, p + s, p + 2s, ...), so that the input values a tap
 * multiplies for consecutive outputs are consecutive floats. A table of byte
 * offsets (one per tap (ci, i, j), in the gemm's K order) then makes the
 * convolution a gemm whose B operand is read straight from the image: each
 * 4-channel x 8-position register tile runs the whole K in registers, adds
 * the bias (and applies ReLU when asked) and is stored once. The sums are the
 * im2col path's, in the same order: the same float32 values.
 *
 * im2col writes a column matrix of C*kh*kw x positions values and the gemm
 * packs it again; each value then serves only Cout/4 register tiles. Here
 * nothing is written but the output, which pays most where K is large and
 * Cout small (a generator's 7x7 heads) and for strided layers.
 */
import type { ConvGeom2d } from './conv.js';
import type { Commit, ConvDims } from './conv_fwd.js';
import { copyImageRows } from './conv_fwd.js';
import { wasmGemm } from './gemm.js';
import { activateRuns, reluOf, type OutputAct } from './output_act.js';

/** The padded, phase-split layout of one image, and the tap table, for a geometry. */
export interface DirectLayout {
  /** Output row length as computed (a multiple of 4; the extra positions are dropped). */
  outWp: number;
  /** Padded rows (all that any output row reads). */
  Hp: number;
  /** Floats per phase-plane row. */
  Wq: number;
  /** Phases (the stride along W). */
  s: number;
  /** Floats between phase planes: Hp * Wq rounded up to 16 floats, to an odd number of 16-float blocks so that the planes of a tap table spread over the L1's 64 sets (at multiples of 4 KB, e.g. 32x32 planes, they all share one set and a 64-channel 1x1 layer ran 2x slower). */
  plane: number;
  /** Byte offset of tap (ci, i, j) of a group from an output position's base. */
  offs: Int32Array;
  /** Bytes between consecutive output rows' bases. */
  rowStep: number;
}

export function directLayout(Cig: number, g: ConvGeom2d): DirectLayout {
  const s = g.sw;
  const outWp = Math.ceil(g.outW / 4) * 4;
  const Hp = (g.outH - 1) * g.sh + (g.kh - 1) * g.dh + 1;
  const Wp = (g.outW - 1) * g.sw + (g.kw - 1) * g.dw + 1;
  const Wq = Math.max(Math.ceil(Wp / s), outWp + Math.floor(((g.kw - 1) * g.dw) / s));
  let plane = Math.ceil((Hp * Wq) / 16) * 16;
  if ((plane / 16) % 2 === 0) plane += 16;
  const offs = new Int32Array(Cig * g.kh * g.kw);
  let k = 0;
  for (let ci = 0; ci < Cig; ci++) {
    for (let i = 0; i < g.kh; i++) {
      for (let j = 0; j < g.kw; j++) {
        const col = j * g.dw;
        offs[k++] = ((ci * s + (col % s)) * plane + i * g.dh * Wq + Math.floor(col / s)) * 4;
      }
    }
  }
  return { outWp, Hp, Wq, s, plane, offs, rowStep: g.sh * Wq * 4 };
}

/**
 * Whether the padded layout's rows are the image's own (stride 1 along W, no
 * padding, rows as long as the image's: an unpadded layer after an explicit
 * ReflectionPad2d): then the image's rows go straight into the planes, with
 * no polyPad pass.
 */
function samePlanes(lay: DirectLayout, g: ConvGeom2d): boolean {
  return lay.s === 1 && g.ph === 0 && g.pw === 0 && lay.Wq === g.W && lay.Hp <= g.H;
}

/** Output rows [r0, r1) of images [n0, n1) (see convForwardImages). */
export function forwardDirect(
  d: ConvDims,
  xd: Float32Array,
  wd: Float32Array,
  bd: Float32Array | null,
  out: Float32Array,
  n0: number,
  n1: number,
  r0: number,
  r1: number,
  key: number | null,
  commit: Commit,
  act: OutputAct = null,
): void {
  const w = wasmGemm!;
  const { C, Cout, G, g } = d;
  const Cig = C / G;
  const Cog = Cout / G;
  const K = Cig * g.kh * g.kw;
  const lay = directLayout(Cig, g);
  const { outWp, Hp, Wq, s } = lay;
  const groupIn = Cig * s * lay.plane;
  const { H, W, outH, outW } = g;
  const L = outH * outW;
  const plane = outH * outWp;
  const wBlock = Math.ceil(Cog / 4) * 4 * K;
  const keep = key !== null && w.owner === key;
  w.reset(key);
  const offOff = w.alloc(K);
  const wpOff = w.alloc(G * wBlock);
  const wOff = w.alloc(wd.length);
  const bOff = bd ? w.alloc(Cout) : -1;
  const xOff = w.alloc(C * H * W);
  // Slack past the last plane: tail positions of the last row read up to a vector past Wq.
  const xqOff = w.alloc(G * groupIn + 8);
  const yOff = w.alloc(Cout * plane);
  let F = w.f32();
  if (!keep) {
    w.i32().set(lay.offs, offOff);
    F.set(wd, wOff);
    for (let grp = 0; grp < G; grp++) w.dpackW(wOff + grp * Cog * K, Cog, K, wpOff + grp * wBlock);
    if (bd) F.set(bd, bOff);
  }
  // Padded rows that output rows [r0, r1) read, and the image rows among them.
  const hp0 = r0 * g.sh;
  const hp1 = (r1 - 1) * g.sh + (g.kh - 1) * g.dh + 1;
  const ih0 = Math.min(H, Math.max(0, hp0 - g.ph));
  const ih1 = Math.max(ih0, Math.min(H, hp1 - g.ph));
  const whole = r0 === 0 && r1 === outH && outWp === outW;
  for (let n = n0; n < n1; n++) {
    F = w.f32();
    if (samePlanes(lay, g)) copyImageRows(F, xqOff, xd, n, C, g, ih0, ih1, d.reflect, lay.plane);
    else {
      copyImageRows(F, xOff, xd, n, C, g, ih0, ih1, d.reflect);
      w.polyPad(xOff, C, H, W, g.ph, g.pw, s, Hp, Wq, lay.plane, hp0, hp1, xqOff);
    }
    for (let grp = 0; grp < G; grp++) {
      w.dconv(xqOff + grp * groupIn, offOff, K, wpOff + grp * wBlock, Cog, bd ? bOff + grp * Cog : -1, reluOf(act), lay.rowStep, r0, r1, outWp, yOff + grp * Cog * plane, plane);
    }
    activateRuns(w, act, yOff + r0 * outWp, Cout, (r1 - r0) * outWp, plane);
    if (commit && !commit(n)) continue;
    F = w.f32();
    if (whole) out.set(F.subarray(yOff, yOff + Cout * L), n * Cout * L);
    else if (outWp === outW) {
      const len = (r1 - r0) * outW;
      for (let c = 0; c < Cout; c++) {
        const at = c * L + r0 * outW;
        out.set(F.subarray(yOff + at, yOff + at + len), n * Cout * L + at);
      }
    } else {
      for (let c = 0; c < Cout; c++) {
        for (let r = r0; r < r1; r++) {
          const src = yOff + c * plane + r * outWp;
          const dst = (n * Cout + c) * L + r * outW;
          for (let i = 0; i < outW; i++) out[dst + i] = F[src + i]!;
        }
      }
    }
  }
}

/** One output phase (a, b) of a transposed convolution: its taps and their offsets into the padded input. */
interface Phase {
  a: number;
  b: number;
  /** Output rows / columns of this phase (a + sh*u < H, b + sw*v < W). */
  U: number;
  V: number;
  /** V rounded up to 4 (dconv's row length). */
  Vp: number;
  /** Taps (i, j) whose output rows land on this phase, and their input offsets (rows ci, columns cj). */
  taps: [number, number][];
  ci: number[];
  cj: number[];
}

/** The taps i of a kernel axis that feed outputs o = p + s*u, and their input offsets (o + pad - i*d) / s - u. */
function axisPhases(s: number, pad: number, k: number, d: number, size: number): { n: number; taps: number[]; off: number[] }[] {
  const out: { n: number; taps: number[]; off: number[] }[] = [];
  for (let p = 0; p < s; p++) {
    const taps: number[] = [];
    const off: number[] = [];
    for (let i = 0; i < k; i++) {
      const r = p + pad - i * d;
      if (((r % s) + s) % s === 0) {
        taps.push(i);
        off.push(r / s);
      }
    }
    out.push({ n: p < size ? Math.ceil((size - p) / s) : 0, taps, off });
  }
  return out;
}

/**
 * Transposed convolution forward (the input gradient of a convolution) as
 * sub-pixel implicit gemms: output row oh = a + sh*u only receives the taps i
 * with (a + ph - i*dh) divisible by sh, from input row u + (a + ph - i*dh)/sh,
 * so each of the sh*sw output phases is a stride-1 correlation of the
 * (padded) input with its share of the taps (dconv), written back into the
 * image with stride (unphase). No column matrix, no col2im, no scatter-add:
 * every output is one register tile's sum.
 *
 * `d.C` is the input's channels, `d.Cout` the output's, `g` the geometry with
 * the output as the image and the input's pixels as window positions (as for
 * the transposed conv's adjoint, the convolution); wd is [C][Cout/G][kh][kw]
 * (which is also a convolution's [Cout][C/G][kh][kw], read as its transpose).
 * Output rows [r0, r1) of images [n0, n1).
 */
export function transposedDirect(
  d: ConvDims,
  xd: Float32Array,
  wd: Float32Array,
  bd: Float32Array | null,
  out: Float32Array,
  n0: number,
  n1: number,
  r0 = 0,
  r1 = d.g.H,
  key: number | null = null,
  commit: Commit = null,
  act: OutputAct = null,
): void {
  const w = wasmGemm!;
  const { C: Cin, Cout, G, g } = d;
  const Cig = Cin / G;
  const Cog = Cout / G;
  const { H, W, outH: Hin, outW: Win } = g;
  const rowsP = axisPhases(g.sh, g.ph, g.kh, g.dh, H);
  const colsP = axisPhases(g.sw, g.pw, g.kw, g.dw, W);
  const phases: Phase[] = [];
  for (let a = 0; a < g.sh; a++) {
    for (let b = 0; b < g.sw; b++) {
      const rp = rowsP[a]!;
      const cp = colsP[b]!;
      const taps: [number, number][] = [];
      const ci: number[] = [];
      const cj: number[] = [];
      rp.taps.forEach((i, ii) => cp.taps.forEach((j, jj) => (taps.push([i, j]), ci.push(rp.off[ii]!), cj.push(cp.off[jj]!))));
      phases.push({ a, b, U: rp.n, V: cp.n, Vp: Math.ceil(cp.n / 4) * 4, taps, ci, cj });
    }
  }
  // Stride 2 along W: both column phases share a row length, so unphase2 can interleave them with shuffles.
  const pairs = g.sw === 2;
  if (pairs) for (let a = 0; a < g.sh; a++) phases[2 * a]!.Vp = phases[2 * a + 1]!.Vp = Math.max(phases[2 * a]!.Vp, phases[2 * a + 1]!.Vp);
  // One zero-padded copy of the input serves every phase.
  const minOff = (p: Phase[], f: (q: Phase) => number[]) => Math.min(0, ...p.flatMap(f));
  const Pt = -minOff(phases, (q) => q.ci);
  const Pl = -minOff(phases, (q) => q.cj);
  const Hx = Pt + Math.max(Hin, ...phases.map((q) => (q.U > 0 && q.ci.length ? q.U - 1 + Math.max(...q.ci) + 1 : 0)));
  const Wx = Pl + Math.max(Win, ...phases.map((q) => (q.Vp > 0 && q.cj.length ? q.Vp - 1 + Math.max(...q.cj) + 1 : 0)));
  let plane = Math.ceil((Hx * Wx) / 16) * 16;
  if ((plane / 16) % 2 === 0) plane += 16;
  const Ks = phases.map((q) => Cig * q.taps.length);
  const Ktot = Ks.reduce((s, k) => s + k, 0);
  const blocks = Math.ceil(Cog / 4);
  const yPlane = Math.max(...phases.map((q) => q.U * q.Vp));
  const keep = key !== null && w.owner === key;
  w.reset(key);
  const offOff = w.alloc(Ktot + 1);
  const wpOff = w.alloc(G * blocks * 4 * Ktot);
  const wsOff = w.alloc(Cog * Math.max(1, ...Ks));
  const bOff = bd ? w.alloc(Cout) : -1;
  const xOff = w.alloc(Cin * Hin * Win);
  const xqOff = w.alloc(Cin * plane + 8);
  const tOff = w.alloc(Cout * yPlane);
  const t1Off = pairs ? w.alloc(Cout * yPlane) : tOff;
  const yOff = w.alloc(Cout * H * W);
  let F = w.f32();
  // Per phase: its tap table (relative to a group's first input plane) and, per group, its packed weights.
  const phOff: number[] = [];
  const phW: number[] = [];
  let kAt = 0;
  let wAt = wpOff;
  phases.forEach((q, pi) => {
    phOff.push(offOff + kAt);
    phW.push(wAt);
    if (!keep) {
      const I = w.i32();
      let k = offOff + kAt;
      for (let c = 0; c < Cig; c++) for (let t = 0; t < q.taps.length; t++) I[k++] = (c * plane + (q.ci[t]! + Pt) * Wx + (q.cj[t]! + Pl)) * 4;
      for (let grp = 0; grp < G; grp++) {
        // The phase's weights of this group as a Cog x K matrix, then packed.
        const K = Ks[pi]!;
        let o = wsOff;
        for (let co = 0; co < Cog; co++) {
          for (let c = 0; c < Cig; c++) {
            const base = ((grp * Cig + c) * Cog + co) * g.kh;
            for (const [i, j] of q.taps) F[o++] = wd[(base + i) * g.kw + j]!;
          }
        }
        w.dpackW(wsOff, Cog, K, wAt + grp * blocks * 4 * K);
      }
    }
    wAt += G * blocks * 4 * Ks[pi]!;
    kAt += Ks[pi]!;
  });
  if (!keep && bd) F.set(bd, bOff);
  const HW = H * W;
  const whole = r0 === 0 && r1 === H;
  // Phase rows u with a + sh*u in [r0, r1), and the padded input rows they read.
  const uRange = (q: Phase): [number, number] => [Math.max(0, Math.ceil((r0 - q.a) / g.sh)), Math.min(q.U, Math.ceil((r1 - q.a) / g.sh))];
  let hp0 = Hx;
  let hp1 = 0;
  for (const q of phases) {
    const [u0, u1] = uRange(q);
    if (u1 <= u0 || q.V === 0 || q.ci.length === 0) continue;
    hp0 = Math.min(hp0, u0 + Math.min(...q.ci) + Pt);
    hp1 = Math.max(hp1, u1 - 1 + Math.max(...q.ci) + Pt + 1);
  }
  hp1 = Math.max(hp0, hp1);
  const ih0 = Math.min(Hin, Math.max(0, hp0 - Pt));
  const ih1 = Math.max(ih0, Math.min(Hin, hp1 - Pt));
  const run = (q: Phase, pi: number, u0: number, u1: number, t: number): void => {
    const K = Ks[pi]!;
    for (let grp = 0; grp < G; grp++) {
      w.dconv(xqOff + grp * Cig * plane, phOff[pi]!, K, phW[pi]! + grp * blocks * 4 * K, Cog, bd ? bOff + grp * Cog : -1, reluOf(act), Wx * 4, u0, u1, q.Vp, t + grp * Cog * yPlane, yPlane);
    }
  };
  for (let n = n0; n < n1; n++) {
    F = w.f32();
    const HWin = Hin * Win;
    for (let c = 0; c < Cin; c++) {
      const src = (n * Cin + c) * HWin;
      F.set(xd.subarray(src + ih0 * Win, src + ih1 * Win), xOff + c * HWin + ih0 * Win);
    }
    if (hp1 > hp0) w.polyPad(xOff, Cin, Hin, Win, Pt, Pl, 1, Hx, Wx, plane, hp0, hp1, xqOff);
    for (let pi = 0; pi < phases.length; pi++) {
      const q = phases[pi]!;
      const [u0, u1] = uRange(q);
      if (u1 <= u0) continue;
      if (pairs) {
        // Column phases 0 and 1 of row phase a, interleaved together.
        const q1 = phases[pi + 1]!;
        run(q, pi, u0, u1, tOff);
        if (q1.V > 0) run(q1, pi + 1, u0, u1, t1Off);
        w.unphase2(tOff, t1Off, Cout, yPlane, q.Vp, u0, u1, yOff, H, W, q.a, g.sh);
        pi++;
        continue;
      }
      if (q.V === 0) continue;
      run(q, pi, u0, u1, tOff);
      w.unphase(tOff, Cout, yPlane, q.Vp, u0, u1, q.V, yOff, H, W, q.a, q.b, g.sh, g.sw);
    }
    activateRuns(w, act, yOff + r0 * W, Cout, (r1 - r0) * W, HW);
    if (commit && !commit(n)) continue;
    F = w.f32();
    if (whole) out.set(F.subarray(yOff, yOff + Cout * HW), n * Cout * HW);
    else {
      for (let c = 0; c < Cout; c++) {
        const at = c * HW + r0 * W;
        out.set(F.subarray(yOff + at, yOff + c * HW + r1 * W), n * Cout * HW + at);
      }
    }
  }
}

/**
 * The weight gradient gw[co][ci][i][j] = sum over images and positions of
 * gy[co][pos] * x[ci][pos*s - p + (i, j)*d] as an implicit gemm (dgradW) over
 * the forward's padded, phase-split image: four-lane partial sums per weight,
 * added lane-wise at the end (pairwise: (0 + 1) + (2 + 3)). With stride 1
 * down the rows and a finite image, the positions run as one flat range over
 * whole padded rows (gy spread to the padded row length, zeros in the extra
 * columns, whose products with finite values are zero): one long loop
 * instead of a short one per row. Otherwise row by row, never past a row's
 * last output (a non-finite value no window reads cannot reach gw). Output
 * channels [c0, c1) of every group (c0 a multiple of 4), written into gw
 * (Cout x C/G*kh*kw) once `commit` (if any) agrees.
 */
export function weightGradDirect(d: ConvDims, xd: Float32Array, gd: Float32Array, gw: Float32Array, c0 = 0, c1 = d.Cout / d.G, key: number | null = null, commit: Commit = null): void {
  const w = wasmGemm!;
  const { N, C, Cout, G, g } = d;
  const Cig = C / G;
  const Cog = Cout / G;
  const lay = directLayout(Cig, g);
  const K = lay.offs.length;
  const Kp = K + (K & 1);
  const { Hp, Wq, s } = lay;
  const { H, W, outH, outW } = g;
  const L = outH * outW;
  const n4 = Math.ceil((c1 - c0) / 4) * 4;
  const groupIn = Cig * s * lay.plane;
  const canFlat = g.sh === 1;
  const P = outH * Wq;
  w.reset(key);
  const offOff = w.alloc(Kp);
  const accOff = w.alloc(G * n4 * Kp * 4);
  const gwOff = w.alloc(G * (c1 - c0) * K);
  const xOff = w.alloc(C * H * W);
  // A padded row of slack: the flat range's last positions read up to a row past the last plane.
  const xqOff = w.alloc(G * groupIn + Wq + 8);
  // Three planes of slack: the last group's 4-channel block may run past Cout (its sums are dropped).
  const gOff = w.alloc((Cout + 3) * L);
  const gqOff = canFlat ? w.alloc((Cout + 3) * P) : -1;
  let F = w.f32();
  const I = w.i32();
  I.set(lay.offs, offOff);
  if (Kp > K) I[offOff + K] = lay.offs[K - 1]!;
  F.fill(0, accOff, accOff + G * n4 * Kp * 4);
  F.fill(0, gOff + Cout * L, gOff + (Cout + 3) * L);
  // Zeros in the planes' gaps and the slack (read by the flat range), and in gy's extra columns.
  if (canFlat) {
    F.fill(0, xqOff, xqOff + G * groupIn + Wq + 8);
    F.fill(0, gqOff, gqOff + (Cout + 3) * P);
  }
  for (let n = 0; n < N; n++) {
    F = w.f32();
    F.set(gd.subarray(n * Cout * L, (n + 1) * Cout * L), gOff);
    let finite: boolean;
    if (samePlanes(lay, g)) {
      copyImageRows(F, xqOff, xd, n, C, g, 0, Hp, undefined, lay.plane);
      finite = true;
      for (let c = 0; c < C && finite; c++) finite = w.allFinite(xqOff + c * lay.plane, Hp * Wq);
    } else {
      F.set(xd.subarray(n * C * H * W, (n + 1) * C * H * W), xOff);
      w.polyPad(xOff, C, H, W, g.ph, g.pw, s, Hp, Wq, lay.plane, 0, Hp, xqOff);
      finite = w.allFinite(xOff, C * H * W);
    }
    const flat = canFlat && finite;
    if (flat) w.spreadRows(gOff, Cout, outH, outW, Wq, P, gqOff);
    for (let grp = 0; grp < G; grp++) {
      const acc = accOff + grp * n4 * Kp * 4;
      const xg = xqOff + grp * groupIn;
      if (flat) w.dgradW(xg, offOff, Kp, gqOff + (grp * Cog + c0) * P, n4, P, 0, P, 0, 0, 1, acc);
      else w.dgradW(xg, offOff, Kp, gOff + (grp * Cog + c0) * L, n4, L, outW, outW, lay.rowStep, 0, outH, acc);
    }
  }
  for (let grp = 0; grp < G; grp++) w.dgradWFinish(accOff + grp * n4 * Kp * 4, c1 - c0, Kp, K, gwOff + grp * (c1 - c0) * K, false);
  if (commit && !commit(0)) return;
  F = w.f32();
  for (let grp = 0; grp < G; grp++) {
    gw.set(F.subarray(gwOff + grp * (c1 - c0) * K, gwOff + (grp + 1) * (c1 - c0) * K), (grp * Cog + c0) * K);
  }
}
