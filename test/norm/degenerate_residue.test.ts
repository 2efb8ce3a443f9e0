/**
 * Bit-exact float32 residue on constant planes, against PyTorch 1.13 results
 * frozen by test/fixtures/gen_degenerate_residue.py (see its docstring), on
 * both kernel sets.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { tensor } from '../../src/tensor/creation.js';
import { interpolate } from '../../src/ops/interpolate.js';
import { groupNorm, instanceNorm } from '../../src/ops/norm/index.js';
import { normBackendInfo, setNormBackend, type NormBackendName } from '../../src/kernels/backend.js';
import '../helpers.js';

interface Fixture {
  op: string;
  scale?: number;
  x: number[];
  w?: number[];
  b?: number[];
  dy: number[];
  y: number[];
  gx: number[];
}

const { cases } = JSON.parse(readFileSync(new URL('../../../test/fixtures/degenerate_residue.json', import.meta.url), 'utf8')) as { cases: Fixture[] };

function exact(got: Float32Array, want: number[], what: string): void {
  const w = Float32Array.from(want);
  for (let i = 0; i < w.length; i++) assert.equal(got[i], w[i], `${what}[${i}]: got ${got[i]}, want ${w[i]}`);
}

const backends: NormBackendName[] = normBackendInfo().wasmAvailable ? ['js', 'wasm'] : ['js'];

for (const be of backends) {
  for (const c of cases) {
    test(`${c.op}${c.scale ? ` x${c.scale}` : ''} matches PyTorch bit for bit (${be} kernels)`, () => {
      const before = normBackendInfo().backend;
      setNormBackend(be);
      try {
        const x = tensor(Float32Array.from(c.x), [c.x.length / (c.op === 'group_norm_one_per_group' ? 6 : 4), c.op === 'group_norm_one_per_group' ? 6 : 4, 1, 1], { requiresGrad: true });
        const y =
          c.op === 'group_norm_one_per_group'
            ? groupNorm(x, 6, { weight: tensor(c.w!), bias: tensor(c.b!) })
            : instanceNorm(interpolate(x, { scaleFactor: c.scale!, mode: 'nearest' }));
        y.backward(tensor(Float32Array.from(c.dy), y.shape));
        exact(y.data, c.y, 'output');
        exact(x.grad!.data, c.gx, 'grad input');
      } finally {
        setNormBackend(before);
      }
    });
  }
}
