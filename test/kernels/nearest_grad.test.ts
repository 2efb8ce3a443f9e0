/** nearest2dGrad (the gradient of nearest image resampling) against resampleBackward, bit for bit: x2 columns, other scales, downsampling. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { resampleBackward, type AxisTable } from '../../src/kernels/interpolate.js';
import { nearest2dGrad } from '../../src/kernels/nearest_grad.js';

/** PyTorch's 'nearest' source index along one axis: floor(j * in / out), capped. */
function table(inLen: number, outLen: number): AxisTable {
  const i0 = Int32Array.from({ length: outLen }, (_, j) => Math.min(Math.floor((j * inLen) / outLen), inLen - 1));
  return { i0, i1: i0, w0: new Float32Array(outLen).fill(1), w1: new Float32Array(outLen) };
}

test('nearest2dGrad equals resampleBackward bit for bit (seeded values, x2 and other scales, signed zeros)', () => {
  let s = 12345;
  const rnd = (): number => ((s = (s * 1103515245 + 12345) % 2147483648) / 2147483648) * 2 - 1;
  const cases: [number, number, number, number][] = [
    [4, 4, 8, 8],
    [3, 5, 6, 10],
    [16, 16, 32, 32],
    [5, 7, 15, 21],
    [6, 6, 4, 3],
    [2, 3, 7, 5],
    [1, 1, 3, 3],
  ];
  for (const [inH, inW, OH, OW] of cases) {
    const planes = 3;
    const tables = [table(inH, OH), table(inW, OW)];
    // Values spanning magnitudes (rounding of the sums matters), with some -0.
    const g = Float32Array.from({ length: planes * OH * OW }, (_, i) => (i % 13 === 0 ? -0 : rnd() * 10 ** Math.floor(rnd() * 6)));
    const want = resampleBackward(g, planes, [inH, inW], [OH, OW], tables);
    const got = nearest2dGrad(g, planes, inH, inW, tables[0]!.i0, tables[1]!.i0);
    assert.equal(got.length, want.length);
    for (let i = 0; i < want.length; i++) assert.ok(Object.is(got[i], want[i]), `[${inH}x${inW} -> ${OH}x${OW}] element ${i}: ${got[i]} != ${want[i]}`);
  }
});
