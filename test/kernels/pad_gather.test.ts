/** gatherPad's row-wise bulk path against the element-by-element definition, over ranks, modes and crops. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { gatherPad, scatterPadGrad } from '../../src/kernels/pad.js';

function naive(x: Float32Array, inShape: number[], maps: Int32Array[], outShape: number[], fill: number): Float32Array {
  const out = new Float32Array(outShape.reduce((a, b) => a * b, 1));
  const idx = new Array<number>(outShape.length).fill(0);
  for (let o = 0; o < out.length; o++) {
    let r = o;
    for (let d = outShape.length - 1; d >= 0; d--) {
      idx[d] = r % outShape[d]!;
      r = Math.floor(r / outShape[d]!);
    }
    let off = 0;
    let ok = true;
    for (let d = 0; d < outShape.length; d++) {
      const s = maps[d]![idx[d]!]!;
      if (s < 0) ok = false;
      off = off * inShape[d]! + Math.max(0, s);
    }
    out[o] = ok ? x[off]! : fill;
  }
  return out;
}

test('gatherPad and scatterPadGrad equal their definitions (reflect, replicate, constant with crops; rows shorter and longer than its bulk copy)', () => {
  fc.assert(
    fc.property(
      // Outer dims small, the last one up to 40 (longer than the bulk copy's 16).
      fc.tuple(fc.array(fc.integer({ min: 1, max: 5 }), { maxLength: 3 }), fc.integer({ min: 1, max: 40 })).map(([outer, last]) => [...outer, last]),
      fc.constantFrom('reflect', 'replicate', 'constant'),
      fc.integer({ min: 0, max: 1000 }),
      (shape, mode, seed) => {
        let s = seed;
        const rnd = () => ((s = (s * 1103515245 + 12345) % 2147483648) / 2147483648);
        const maps = shape.map((size) => {
          const lim = mode === 'reflect' ? size - 1 : 3;
          const before = Math.floor(rnd() * (lim + 1)) - (mode === 'constant' ? Math.floor(rnd() * Math.min(2, size)) : 0);
          const after = Math.floor(rnd() * (lim + 1));
          const outSize = Math.max(0, size + before + after);
          return Int32Array.from({ length: outSize }, (_, i) => {
            const v = i - before;
            if (v >= 0 && v < size) return v;
            if (mode === 'constant') return -1;
            if (mode === 'replicate') return v < 0 ? 0 : size - 1;
            return v < 0 ? -v : 2 * (size - 1) - v;
          });
        });
        const outShape = maps.map((m) => m.length);
        const x = Float32Array.from({ length: shape.reduce((a, b) => a * b, 1) }, (_, i) => i + 0.5);
        assert.deepEqual(gatherPad(x, shape, maps, outShape, -7), naive(x, shape, maps, outShape, -7));
        // The adjoint, against the definition: every output gradient added into the element it read, in output order.
        const g = Float32Array.from({ length: outShape.reduce((p, q) => p * q, 1) }, (_, i) => ((i * 37) % 11) - 5);
        const want = new Float32Array(x.length);
        const where = naive(Float32Array.from(x, (_, i) => i), shape, maps, outShape, -1);
        where.forEach((src, o) => {
          if (src >= 0) want[src] = want[src]! + g[o]!;
        });
        assert.deepEqual(scatterPadGrad(g, outShape, maps, shape), want);
      },
    ),
    { numRuns: 300 },
  );
});

/** The index map of one axis of `size` padded by `before` and `after` in `mode` (-1: the fill). */
const mapOf = (size: number, before: number, after: number, mode: string) =>
  Int32Array.from({ length: size + before + after }, (_, i) => {
    const v = i - before;
    if (v >= 0 && v < size) return v;
    if (mode === 'constant') return -1;
    if (mode === 'replicate') return v < 0 ? 0 : size - 1;
    return v < 0 ? -v : 2 * (size - 1) - v;
  });

test('gatherPad of padded (not cropped) images, the plane-by-plane path, equals its definition: reflect, replicate, constant, uneven pads, padded outer dims, outputs large enough to come uninitialized', () => {
  const cases: [number[], [number, number][], string][] = [
    [[2, 3, 17, 16], [[0, 0], [0, 0], [1, 1], [1, 1]], 'reflect'],
    [[1, 2, 20, 33], [[0, 0], [0, 0], [4, 4], [4, 4]], 'reflect'],
    [[1, 2, 18, 16], [[0, 0], [0, 0], [0, 3], [2, 0]], 'replicate'],
    [[2, 2, 5, 19], [[1, 0], [0, 2], [2, 1], [0, 3]], 'constant'],
    [[3, 16, 16], [[0, 0], [3, 0], [0, 5]], 'reflect'],
    [[1, 4, 64, 70], [[0, 0], [0, 0], [1, 1], [1, 1]], 'reflect'],
  ];
  for (const [shape, pads, mode] of cases) {
    // Outer dims are only ever constant-padded (torch pads the last dims); reflect/replicate maps there stay identities.
    const maps = shape.map((size, d) => (d < shape.length - 2 && mode !== 'constant' ? mapOf(size, 0, 0, mode) : mapOf(size, pads[d]![0], pads[d]![1], mode)));
    const outShape = maps.map((m) => m.length);
    const x = Float32Array.from({ length: shape.reduce((a, b) => a * b, 1) }, (_, i) => (i % 3 === 0 ? -i : i) + 0.25);
    const want = naive(x, shape, maps, outShape, -7);
    assert.deepEqual(gatherPad(x, shape, maps, outShape, -7), want, `${shape} ${mode}`);
    assert.deepEqual(gatherPad(x, shape, maps, outShape, -7), want, `${shape} ${mode}, again`);
  }
});

test('gatherPad of many planes (several passes of the WebAssembly plane padding, fill planes between) equals its definition', () => {
  const shape = [3, 40, 30, 30];
  const x = Float32Array.from({ length: 3 * 40 * 30 * 30 }, (_, i) => Math.sin(i) * 3);
  for (const mode of ['reflect', 'replicate', 'constant'] as const) {
    const map = (size: number, before: number, after: number) => mapOf(size, before, after, mode);
    // the channel dim padded too (constant: whole fill planes among the copied ones)
    const maps = [map(3, 0, 0), mode === 'constant' ? map(40, 2, 1) : map(40, 0, 0), map(30, 2, 3), map(30, 3, 2)];
    const outShape = maps.map((m) => m.length);
    assert.deepEqual(gatherPad(x, shape, maps, outShape, -7), naive(x, shape, maps, outShape, -7), mode);
  }
});
