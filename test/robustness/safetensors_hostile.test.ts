/**
 * Hostile safetensors headers: deep nesting, overflowing shapes, a million
 * tensors, huge values in messages; I64 values rounded once to float32.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import '../../src/tensor/methods.js';
import { fmtValue } from '../../src/errors.js';
import { MAX_TENSORS, SafetensorsError, loadSafetensors } from '../../src/io/safetensors.js';
import { int64ToFloat32 } from '../../src/io/dtypes.js';

const enc = new TextEncoder();

function build(header: string, data: Uint8Array = new Uint8Array(0)): Uint8Array {
  const h = enc.encode(header);
  const out = new Uint8Array(8 + h.length + data.length);
  new DataView(out.buffer).setBigUint64(0, BigInt(h.length), true);
  out.set(h, 8);
  out.set(data, 8 + h.length);
  return out;
}

function refusal(bytes: Uint8Array): SafetensorsError {
  try {
    loadSafetensors(bytes);
  } catch (e) {
    assert.ok(e instanceof SafetensorsError, `${(e as Error).name}: ${(e as Error).message.slice(0, 200)}`);
    assert.equal(e.kind, 'format');
    return e;
  }
  assert.fail('accepted');
}

test('a shape nested 10,000 deep is a SafetensorsError with a short message, not a RangeError', () => {
  const deep = '['.repeat(10_000) + ']'.repeat(10_000);
  for (const header of [
    `{"a":{"dtype":"F32","shape":${deep},"data_offsets":[0,0]}}`,
    `{"a":{"dtype":"F32","shape":[1],"data_offsets":${deep}}}`,
    `{"a":{"dtype":${deep},"shape":[1],"data_offsets":[0,4]}}`,
    `{"__metadata__":{"k":${deep}}}`,
  ]) {
    const e = refusal(build(header));
    assert.equal(e.reason, 'InvalidHeaderDeserialization');
    assert.ok(e.message.length < 300, e.message);
  }
  // Much deeper: still a SafetensorsError.
  const deeper = '['.repeat(200_000) + ']'.repeat(200_000);
  assert.ok(refusal(build(`{"a":{"dtype":"F32","shape":${deeper},"data_offsets":[0,0]}}`)).message.length < 400);
});

test('a shape whose product overflows before a zero dimension is ValidationOverflow (checked multiplication in order)', () => {
  const e = refusal(build(`{"a":{"dtype":"F32","shape":[${2 ** 40},${2 ** 40},0],"data_offsets":[0,0]}}`));
  assert.equal(e.reason, 'ValidationOverflow');
  assert.match(e.message, /^ValidationOverflow: tensor "a": the element count of shape \[1099511627776, 1099511627776, 0\] overflows$/);
  // zero first: the product stays 0, the file is fine
  assert.equal(loadSafetensors(build(`{"a":{"dtype":"F32","shape":[0,${2 ** 40},${2 ** 40}],"data_offsets":[0,0]}}`)).tensors.get('a')!.numel(), 0);
  // the byte count overflows even though the element count does not
  assert.equal(refusal(build(`{"a":{"dtype":"F64","shape":[${2 ** 51}],"data_offsets":[0,0]}}`)).reason, 'ValidationOverflow');
});

test('more than MAX_TENSORS tensors is refused quickly, before parsing', () => {
  const parts: string[] = [];
  for (let i = 0; i < MAX_TENSORS + 10; i++) parts.push(`"t${i}":{"dtype":"F32","shape":[0],"data_offsets":[0,0]}`);
  const t0 = performance.now();
  const e = refusal(build(`{${parts.join(',')}}`));
  assert.equal(e.reason, 'HeaderTooLarge');
  assert.match(e.message, /more than 100000 tensors/);
  assert.ok(performance.now() - t0 < 2000, `${performance.now() - t0} ms`);
  // at the bound it loads
  const ok = loadSafetensors(build(`{${parts.slice(0, 1000).join(',')}}`));
  assert.equal(ok.tensors.size, 1000);
});

test('messages show at most 200 characters of an offending value (a 1M-element shape, a 1 MB name)', () => {
  const shape = JSON.stringify(new Array(1_000_000).fill(-1));
  const e = refusal(build(`{"a":{"dtype":"F32","shape":${shape},"data_offsets":[0,0]}}`));
  assert.ok(e.message.length < 320, `${e.message.length} chars`);
  assert.ok(e.message.endsWith('…'));
  const name = 'n'.repeat(1 << 20);
  const e2 = refusal(build(`{"${name}":{"dtype":"X9","shape":[1],"data_offsets":[0,4]}}`, new Uint8Array(4)));
  assert.equal(e2.reason, 'UnsupportedDtype');
  assert.ok(e2.message.length < 320, `${e2.message.length} chars`);
  const long = new Array(100_000).fill(1);
  const e3 = refusal(build(`{"a":{"dtype":"F32","shape":${JSON.stringify(long)},"data_offsets":[0,8]}}`, new Uint8Array(8)));
  assert.equal(e3.reason, 'TensorInvalidInfo');
  assert.ok(e3.message.length < 500, `${e3.message.length} chars`);
});

test('fmtValue: capped, bounded by the cap (not the value), never throws', () => {
  assert.equal(fmtValue([1, 2, 3]), '[1,2,3]');
  assert.equal(fmtValue('x'.repeat(500)), `"${'x'.repeat(199)}…`);
  const cyc: unknown[] = [];
  cyc.push(cyc);
  assert.equal(fmtValue(cyc), '[…]');
  assert.equal(fmtValue({ get a() { throw new Error('no'); } }), '{"a":?}');
  assert.equal(fmtValue(10n), '10n');
  let deep: unknown = 1;
  for (let i = 0; i < 100_000; i++) deep = [deep];
  assert.ok(fmtValue(deep).length <= 201);
});

function i64File(values: bigint[]): Uint8Array {
  const data = new Uint8Array(values.length * 8);
  const v = new DataView(data.buffer);
  values.forEach((x, i) => v.setBigInt64(i * 8, x, true));
  return build(`{"a":{"dtype":"I64","shape":[${values.length}],"data_offsets":[0,${data.length}]}}`, data);
}

test('I64 values are rounded to float32 once, from the exact integer', () => {
  // 2^60 + 2^36 + 1 is just above halfway between two float32s: the nearest is 2^60 + 2^37. Through a double
  // (which drops the +1) it becomes an exact tie and rounds to even: 2^60, one float32 step off.
  const v = 2n ** 60n + 2n ** 36n + 1n;
  assert.equal(Math.fround(Number(v)), 2 ** 60, 'the double rounding this fixes');
  const got = loadSafetensors(i64File([v, -v, 2n ** 63n - 1n, -(2n ** 63n), 3n, -7n, 2n ** 24n + 1n])).tensors.get('a')!.data;
  assert.deepEqual(Array.from(got), [2 ** 60 + 2 ** 37, -(2 ** 60 + 2 ** 37), 2 ** 63, -(2 ** 63), 3, -7, 2 ** 24]);
});

test('property: int64ToFloat32 is the float32 nearest the exact integer (ties to even)', () => {
  fc.assert(
    fc.property(fc.bigInt({ min: -(2n ** 63n), max: 2n ** 63n - 1n }), (v) => {
      const f = Math.fround(int64ToFloat32(v));
      if (v > -(2n ** 24n) && v < 2n ** 24n) return assert.equal(f, Number(v), 'exact below 2^24');
      assert.equal(f, int64ToFloat32(v), 'representable in float32');
      // exact comparison in BigInt: no float32 is strictly nearer
      const exact = (x: number) => BigInt(x);
      const d = (x: number) => { const e = exact(x) - v; return e < 0n ? -e : e; };
      const up = new Float32Array([f]);
      const bits = new Int32Array(up.buffer);
      const neighbours = [-1, 1].map((s) => { const b = new Int32Array([bits[0]! + s]); return new Float32Array(b.buffer)[0]!; });
      for (const n of neighbours) if (Number.isFinite(n)) assert.ok(d(f) <= d(n), `${v}: ${f} vs ${n}`);
    }),
    { numRuns: 2000, seed: 7 },
  );
});
