/**
 * safetensors: bit-exact round trips, the reference writer's layout, reading
 * every supported dtype, and the reference validation rules: each kind of
 * bad file gives a SafetensorsError (fuzzed: truncations and byte flips never
 * crash with anything else).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';

// Deterministic: every property runs on the same draws each time.
fc.configureGlobal({ seed: 20261201 });
import { Tensor, manualSeed, randn, tensor } from '../../src/index.js';
import { SafetensorsError, loadSafetensors, saveSafetensors, type SafetensorsErrorKind } from '../../src/io/safetensors.js';

const enc = new TextEncoder();

/** A file from a header (object or raw text) and a data buffer, header length as given or computed. */
function build(header: unknown, data: Uint8Array = new Uint8Array(0), headerLen?: bigint): Uint8Array {
  const h = typeof header === 'string' ? enc.encode(header) : enc.encode(JSON.stringify(header));
  const out = new Uint8Array(8 + h.length + data.length);
  new DataView(out.buffer).setBigUint64(0, headerLen ?? BigInt(h.length), true);
  out.set(h, 8);
  out.set(data, 8 + h.length);
  return out;
}

function le(kind: 'f32' | 'f64' | 'i64' | 'i32' | 'i16' | 'u16', values: number[]): Uint8Array {
  const size = { f32: 4, f64: 8, i64: 8, i32: 4, i16: 2, u16: 2 }[kind];
  const out = new Uint8Array(values.length * size);
  const v = new DataView(out.buffer);
  values.forEach((x, i) => {
    if (kind === 'f32') v.setFloat32(i * 4, x, true);
    else if (kind === 'f64') v.setFloat64(i * 8, x, true);
    else if (kind === 'i64') v.setBigInt64(i * 8, BigInt(x), true);
    else if (kind === 'i32') v.setInt32(i * 4, x, true);
    else if (kind === 'i16') v.setInt16(i * 2, x, true);
    else v.setUint16(i * 2, x, true);
  });
  return out;
}

function rejects(bytes: Uint8Array, kind: SafetensorsErrorKind): void {
  assert.throws(
    () => loadSafetensors(bytes),
    (e: Error) => {
      assert.ok(e instanceof SafetensorsError, `expected SafetensorsError, got ${e.name}: ${e.message}`);
      assert.equal(e.reason, kind, e.message);
      assert.equal(e.type, 'SafetensorsError');
      return true;
    },
  );
}

test('round trip is bit-identical, including NaN payloads, -0, infinities and subnormals', () => {
  const bits = new Uint32Array([0x7fc00001, 0xffc12345, 0x7f800001, 0x80000000, 0x7f800000, 0xff800000, 0x00000001, 0x7f7fffff, 0x3f800000]);
  const t = new Tensor(new Float32Array(bits.buffer.slice(0)), [3, 3]);
  manualSeed(11);
  const r = randn([2, 3, 4]);
  const back = loadSafetensors(saveSafetensors(new Map([['special', t], ['conv.weight', r], ['scalar', tensor(2.5)]])));
  assert.deepEqual([...new Uint32Array(back.tensors.get('special')!.data.buffer)], [...bits]);
  assert.deepEqual(back.tensors.get('special')!.shape, [3, 3]);
  assert.deepEqual([...back.tensors.get('conv.weight')!.data], [...r.data]);
  assert.deepEqual(back.tensors.get('conv.weight')!.shape, [2, 3, 4]);
  assert.deepEqual(back.tensors.get('scalar')!.shape, []);
  assert.deepEqual(back.metadata, {});
});

test('the writer lays files out like the reference: header JSON, space padding to 8 bytes, data', () => {
  const out = saveSafetensors(new Map([['attn.0', tensor([0, 1, 2, 3, 4, 5], [1, 2, 3])]]));
  const header = '{"attn.0":{"dtype":"F32","shape":[1,2,3],"data_offsets":[0,24]}}';
  assert.equal(header.length, 64);
  assert.deepEqual(out, build(header, le('f32', [0, 1, 2, 3, 4, 5])));
  // An empty file is `{}` padded to 8 bytes; metadata comes first in the header.
  assert.deepEqual(saveSafetensors(new Map()), build('{}      '));
  const withMeta = saveSafetensors(new Map(), { framework: 'pt' });
  assert.equal(new TextDecoder().decode(withMeta.subarray(8)), '{"__metadata__":{"framework":"pt"}}     ');
  assert.deepEqual(loadSafetensors(withMeta).metadata, { framework: 'pt' });
});

test('num_batches_tracked is written as I64 (as PyTorch stores it); dtype hints choose others', () => {
  const out = saveSafetensors({ 'bn.running_mean': tensor([0.5, 1]), 'bn.num_batches_tracked': tensor(7), w: tensor([3, -4]) }, undefined, { dtypes: { w: 'I32' } });
  const text = new TextDecoder().decode(out.subarray(8, 8 + Number(new DataView(out.buffer).getBigUint64(0, true))));
  const header = JSON.parse(text) as Record<string, { dtype: string }>;
  assert.equal(header['bn.num_batches_tracked']!.dtype, 'I64');
  assert.equal(header['bn.running_mean']!.dtype, 'F32');
  assert.equal(header['w']!.dtype, 'I32');
  const back = loadSafetensors(out).tensors;
  assert.equal(back.get('bn.num_batches_tracked')!.item(), 7);
  assert.deepEqual([...back.get('w')!.data], [3, -4]);
  assert.throws(() => saveSafetensors({ num_batches_tracked: tensor(1.5) }), (e: Error) => e instanceof SafetensorsError && e.reason === 'InvalidTensor');
  assert.throws(() => saveSafetensors({ m: Tensor.meta([2]) }), SafetensorsError);
  assert.throws(() => saveSafetensors({ __metadata__: tensor([1]) }), SafetensorsError);
});

test('reads every supported dtype (converted to float32), in any header order, unpadded', () => {
  const parts: [string, string, number[], Uint8Array][] = [
    ['f64', 'F64', [2], le('f64', [0.1, -1e300])],
    ['i64', 'I64', [2], le('i64', [-3, 2 ** 40])],
    ['f32', 'F32', [1], le('f32', [1.5])],
    ['i32', 'I32', [2], le('i32', [-7, 2 ** 31 - 1])],
    ['f16', 'F16', [5], le('u16', [0x3c00, 0xc000, 0x0001, 0x7c00, 0x7e00])], // 1, -2, 2^-24, inf, NaN
    ['bf16', 'BF16', [2], le('u16', [0x3fc0, 0xc2f7])], // 1.5, -123.5
    ['i16', 'I16', [1], le('i16', [-300])],
    ['i8', 'I8', [2], new Uint8Array([0xff, 0x05])],
    ['u8', 'U8', [1], new Uint8Array([200])],
    ['bool', 'BOOL', [2], new Uint8Array([0, 1])],
  ];
  const header: Record<string, unknown> = {};
  let off = 0;
  const chunks: Uint8Array[] = [];
  for (const [name, dtype, shape, bytes] of parts) {
    header[name] = { dtype, shape, data_offsets: [off, off + bytes.length] };
    off += bytes.length;
    chunks.push(bytes);
  }
  // Header keys in reverse order: readers must sort by offset.
  const reversed = Object.fromEntries(Object.entries(header).reverse());
  const data = new Uint8Array(off);
  let at = 0;
  for (const c of chunks) {
    data.set(c, at);
    at += c.length;
  }
  const t = loadSafetensors(build(reversed, data)).tensors;
  assert.deepEqual([...t.keys()], parts.map((p) => p[0]));
  const get = (k: string) => [...t.get(k)!.data];
  assert.deepEqual(get('f64'), [Math.fround(0.1), -Infinity]);
  assert.deepEqual(get('i64'), [-3, 2 ** 40]);
  assert.deepEqual(get('i32'), [-7, Math.fround(2 ** 31 - 1)]);
  assert.deepEqual(get('f16').slice(0, 4), [1, -2, 2 ** -24, Infinity]);
  assert.ok(Number.isNaN(get('f16')[4]!));
  assert.deepEqual(get('bf16'), [1.5, -123.5]);
  assert.deepEqual(get('i16'), [-300]);
  assert.deepEqual(get('i8'), [-1, 5]);
  assert.deepEqual(get('u8'), [200]);
  assert.deepEqual(get('bool'), [0, 1]);
});

test('empty tensors take zero bytes and round-trip', () => {
  const back = loadSafetensors(saveSafetensors({ a: tensor([1]), e: new Tensor(new Float32Array(0), [0, 3]) })).tensors;
  assert.deepEqual(back.get('e')!.shape, [0, 3]);
});

test('header problems: too small, too large, past the end, not UTF-8, not an object, not JSON', () => {
  rejects(new Uint8Array(5), 'HeaderTooSmall');
  rejects(build('{}', undefined, 100_000_001n), 'HeaderTooLarge');
  rejects(build('{}', undefined, 2n ** 63n), 'HeaderTooLarge');
  rejects(build('{}', undefined, 3n), 'InvalidHeaderLength');
  const notUtf8 = build('{"a":1}');
  notUtf8[9] = 0xff;
  rejects(notUtf8, 'InvalidHeader');
  rejects(build('[1, 2]'), 'InvalidHeaderStart');
  rejects(build('\uFEFF{}'), 'InvalidHeaderStart');
  rejects(build('{"a": '), 'InvalidHeaderDeserialization');
  rejects(build('{"a": 1}'), 'InvalidHeaderDeserialization');
  rejects(build({ __metadata__: { n: 3 } }), 'InvalidHeaderDeserialization');
});

test('entry problems: unknown dtype, bad shapes, bad offsets', () => {
  const f4 = le('f32', [1]);
  rejects(build({ a: { dtype: 'F8_E4M3', shape: [4], data_offsets: [0, 4] } }, f4), 'UnsupportedDtype');
  rejects(build({ a: { dtype: 'float32', shape: [1], data_offsets: [0, 4] } }, f4), 'UnsupportedDtype');
  rejects(build({ a: { dtype: 'F32', shape: [-1], data_offsets: [0, 4] } }, f4), 'InvalidHeaderDeserialization');
  rejects(build({ a: { dtype: 'F32', shape: [1.5], data_offsets: [0, 4] } }, f4), 'InvalidHeaderDeserialization');
  rejects(build({ a: { dtype: 'F32', shape: '1', data_offsets: [0, 4] } }, f4), 'InvalidHeaderDeserialization');
  rejects(build({ a: { dtype: 'F32', shape: [1], data_offsets: [0] } }, f4), 'InvalidHeaderDeserialization');
  rejects(build({ a: { dtype: 'F32', shape: [1], data_offsets: [0, -4] } }, f4), 'InvalidHeaderDeserialization');
  rejects(build({ a: { dtype: 'F32', shape: [2 ** 40, 2 ** 40], data_offsets: [0, 4] } }, f4), 'ValidationOverflow');
});

test('offsets must start at 0, be contiguous, not overlap, and cover the buffer exactly', () => {
  const d8 = le('f32', [1, 2]);
  const two = (a: [number, number], b: [number, number], data = d8) =>
    build({ a: { dtype: 'F32', shape: [1], data_offsets: a }, b: { dtype: 'F32', shape: [1], data_offsets: b } }, data);
  assert.equal(loadSafetensors(two([0, 4], [4, 8])).tensors.get('b')!.item(), 2);
  rejects(two([4, 8], [8, 12], le('f32', [0, 1, 2])), 'InvalidOffset'); // does not start at 0
  rejects(two([0, 4], [2, 6]), 'InvalidOffset'); // overlap
  rejects(two([0, 4], [0, 4]), 'InvalidOffset'); // the same bytes twice
  rejects(two([0, 4], [6, 10], le('f32', [1, 2, 3])), 'InvalidOffset'); // gap
  rejects(build({ a: { dtype: 'F32', shape: [1], data_offsets: [4, 0] } }, d8), 'InvalidOffset'); // end < begin
  rejects(build({ a: { dtype: 'F32', shape: [2], data_offsets: [0, 4] } }, d8), 'TensorInvalidInfo'); // 2 floats need 8 bytes
  rejects(build({ a: { dtype: 'F16', shape: [1], data_offsets: [0, 4] } }, f32One()), 'TensorInvalidInfo');
  rejects(build({ a: { dtype: 'F32', shape: [1], data_offsets: [0, 4] } }, d8), 'MetadataIncompleteBuffer'); // trailing bytes
  rejects(build({ a: { dtype: 'F32', shape: [2], data_offsets: [0, 8] } }, le('f32', [1])), 'MetadataIncompleteBuffer'); // data cut short
});

function f32One(): Uint8Array {
  return le('f32', [1]);
}

test('every truncation of a valid file, and any single corrupted byte, gives a SafetensorsError or a valid load', () => {
  const file = saveSafetensors({ w: tensor([1, 2, 3, 4], [2, 2]), b: tensor([0.5]), n: tensor(3) }, { k: 'v' }, { dtypes: { n: 'I64' } });
  for (let len = 0; len < file.length; len++) {
    assert.throws(() => loadSafetensors(file.subarray(0, len)), SafetensorsError, `prefix of ${len} bytes`);
  }
  fc.assert(
    fc.property(fc.nat({ max: file.length - 1 }), fc.integer({ min: 0, max: 255 }), (pos, byte) => {
      const bad = Uint8Array.from(file);
      bad[pos] = byte;
      try {
        loadSafetensors(bad);
      } catch (e) {
        if (!(e instanceof SafetensorsError)) throw e;
      }
    }),
    { numRuns: 300 },
  );
});
