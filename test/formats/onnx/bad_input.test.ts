/**
 * Hostile and broken input: every failure is an OnnxError whose message says
 * what and where, never another exception type, never a hang or an
 * allocation beyond what the bytes could hold. Truncations and bit flips of
 * real models, crafted length prefixes, deep nesting, unsupported features,
 * and a bounded, seeded fast-check fuzz.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { NormkitError } from '../../../src/errors.js';
import {
  AttributeType,
  DataType,
  MAX_GRAPH_DEPTH,
  OnnxError,
  decodeModel,
  decodeTensor,
  encodeModel,
  encodeTensor,
  makeTensor,
  tensorData,
  type DeepPartial,
  type GraphProto,
  type ModelProto,
} from '../../../src/formats/onnx/index.js';
import { Writer } from '../../../src/formats/onnx/wire.js';
import { CORPORA, FIXTURES, read } from './corpus.js';

/** Asserts `f` throws an OnnxError (kind format) whose message matches `re`. */
function rejects(f: () => unknown, re: RegExp, what = ''): OnnxError {
  let err: unknown;
  try {
    f();
  } catch (e) {
    err = e;
  }
  assert.ok(err instanceof OnnxError, `${what}: expected OnnxError, got ${err instanceof Error ? `${err.name}: ${err.message}` : String(err)}`);
  assert.ok(err instanceof NormkitError);
  assert.equal(err.kind, 'format');
  assert.match(err.message, re, what);
  return err;
}

/** Decodes a model and all its tensors; returns 'ok' or the OnnxError (any other exception fails the test). */
function tryAll(bytes: Uint8Array): 'ok' | OnnxError {
  try {
    const m = decodeModel(bytes);
    for (const t of m.graph!.initializer) tensorData(t);
    for (const n of m.graph!.node) for (const a of n.attribute) if (a.t) tensorData(a.t);
    return 'ok';
  } catch (e) {
    if (e instanceof OnnxError) return e;
    throw new Error(`not an OnnxError: ${e instanceof Error ? `${e.name}: ${e.message}\n${e.stack}` : String(e)}`);
  }
}

const graph = (g: DeepPartial<GraphProto> = {}): DeepPartial<GraphProto> => ({
  name: 'g',
  node: [{ opType: 'Relu', input: ['X'], output: ['Y'] }],
  input: [{ name: 'X', type: { tensorType: { elemType: DataType.FLOAT, shape: { dim: [{ dimValue: 1 }] } } } }],
  output: [{ name: 'Y', type: { tensorType: { elemType: DataType.FLOAT } } }],
  ...g,
});
const model = (m: DeepPartial<ModelProto> = {}): Uint8Array => encodeModel({ irVersion: 8, opsetImport: [{ domain: '', version: 13 }], graph: graph(), ...m });

/** Real models to damage: a torch export fixture and a few node tests. */
function samples(): [string, Uint8Array][] {
  const out: [string, Uint8Array][] = [];
  const fx = readdirSync(FIXTURES).filter((f) => f.endsWith('.onnx')).sort();
  for (const f of fx.filter((f) => /healthy-classifier.op17.functions|pooled-head.op13.training|style_net.op13.eval/.test(f))) out.push([f, read(join(FIXTURES, f))]);
  for (const root of CORPORA) {
    for (const t of ['test_if', 'test_instancenorm_example', 'test_batchnorm_example_training_mode', 'test_loop11']) {
      try {
        out.push([`${t}`, read(join(root, t, 'model.onnx'))]);
      } catch {
        // not in this corpus
      }
    }
  }
  return out;
}

test('empty and non-ONNX files: "not an ONNX model"', () => {
  rejects(() => decodeModel(new Uint8Array(0)), /^not an ONNX model: the file is empty$/);
  rejects(() => decodeModel(new TextEncoder().encode('{"module": "Sequential"}')), /not an ONNX model: the first field \(number 15, wire type 3\)|not an ONNX model/);
  rejects(() => decodeModel(new TextEncoder().encode('PK\u0003\u0004 a zip file')), /^not an ONNX model/);
  rejects(() => decodeModel(new Uint8Array([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a])), /^not an ONNX model/);
  // a TensorProto .pb is not a model
  rejects(() => decodeModel(encodeTensor(makeTensor('x', 'float32', [2], [1, 2]))), /ModelProto|not an ONNX model/);
  // valid protobuf, but no graph / no ir_version
  rejects(() => decodeModel(new Uint8Array([0x08, 0x07])), /^ModelProto.graph: not an ONNX model: it has no graph$/);
  const noIr = encodeModel({ graph: graph() });
  rejects(() => decodeModel(noIr), /not an ONNX model: ir_version is missing/);
  assert.throws(() => decodeModel('model.onnx' as unknown as Uint8Array), OnnxError);
});

test('IR versions up to 10 are read, 11 and 99 are refused by number; opsets are listed as read', () => {
  for (const v of [3, 7, 8, 10]) assert.equal(decodeModel(model({ irVersion: v })).irVersion, v);
  const e = rejects(() => decodeModel(model({ irVersion: 99 })), /IR version 99 is newer than the highest supported \(10\)/);
  assert.equal(e.at, 'ModelProto.ir_version');
  rejects(() => decodeModel(model({ irVersion: 11 })), /IR version 11/);
  const m = decodeModel(model({ opsetImport: [{ domain: '', version: 17 }, { domain: 'com.microsoft', version: 1 }, { domain: 'ai.onnx.ml', version: 3 }] }));
  assert.deepEqual(m.opsetImport, [{ domain: '', version: 17 }, { domain: 'com.microsoft', version: 1 }, { domain: 'ai.onnx.ml', version: 3 }]);
});

test('a length prefix beyond the end is an error before anything is allocated', () => {
  // ModelProto { ir_version: 8, graph: <length 2^40> }
  const w = new Writer();
  w.tag(1, 0);
  w.varint(8);
  w.tag(7, 2);
  w.varint(2 ** 40);
  w.raw(new Uint8Array(16));
  rejects(() => decodeModel(w.finish()), /^ModelProto: length prefix 1099511627776 of ModelProto.graph runs past the end of the enclosing message \(16 bytes left\) at byte 3$/);
  // a length beyond 2^53
  const w2 = new Writer();
  w2.tag(1, 0);
  w2.varint(8);
  w2.tag(6, 2);
  w2.raw(new Uint8Array([0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01]));
  rejects(() => decodeModel(w2.finish()), /length prefix .* of doc_string runs past the end/);
  // a raw_data length that fits the file but not the tensor's message
  const t = encodeTensor(makeTensor('w', 'float32', [4], [1, 2, 3, 4]));
  const bad = Uint8Array.from(t);
  const i = bad.indexOf(0x4a); // raw_data tag (field 9, wire type 2)
  bad[i + 1] = 0x7f;
  rejects(() => decodeTensor(bad), /^TensorProto: length prefix 127 of raw_data runs past the end/);
});

test('truncated varints and fixed fields say where', () => {
  const ok = model({ graph: graph({ node: [{ opType: 'LeakyRelu', input: ['X'], output: ['Y'], attribute: [{ name: 'alpha', type: AttributeType.FLOAT, f: 0.2 }, { name: 'k', type: AttributeType.INT, i: 300 }] }] }) });
  assert.equal(decodeModel(ok).graph!.node[0]!.attribute[1]!.i, 300);
  // a varint cut at the end of the attribute that holds it
  const w = new Writer();
  w.tag(1, 0);
  w.varint(8);
  w.messageField(7, (g) =>
    g.messageField(1, (n) => {
      n.stringField(4, 'LeakyRelu');
      n.messageField(5, (a) => a.stringField(1, 'alpha'));
      n.messageField(5, (a) => {
        a.stringField(1, 'k');
        a.tag(3, 0);
        a.raw(new Uint8Array([0xac]));
      });
    }),
  );
  rejects(() => decodeModel(w.finish()), /^ModelProto.graph.node\[0\].attribute\[1\]: truncated varint \(i\) at byte 32$/);
  const c = Uint8Array.from(ok);
  const fAt = c.findIndex((x) => x === 0x15); // attribute f (field 2, fixed32)
  c[fAt] = 0x18 + 0; // keep length; make it a varint: i with a float's bytes is fine, so use a truncated fixed64 instead
  c[fAt] = 0x11; // field 2, fixed64: needs 8 bytes, the attribute has fewer left
  rejects(() => decodeModel(c), /attribute\[0\]: (f has fixed64 encoding, expected fixed32|truncated)/);
});

test('integers beyond ±2^53 are an error naming the field (sizes, versions); int64 values saturate (INT64_MAX as "to the end")', () => {
  const w = new Writer();
  w.tag(1, 0);
  w.raw(new Uint8Array([0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x10])); // 2^59
  rejects(() => decodeModel(w.finish()), /^ModelProto: ir_version does not fit in a JS number exactly \(beyond ±2\^53\) at byte 1$/);
  const big = Uint8Array.from(model({ graph: graph({ node: [{ opType: 'X', attribute: [{ name: 'n', type: AttributeType.INTS, ints: [2 ** 53 - 1, -(2 ** 53 - 1), -1, 0] }] }] }) }));
  assert.deepEqual(decodeModel(big).graph!.node[0]!.attribute[0]!.ints, [2 ** 53 - 1, -(2 ** 53 - 1), -1, 0]);
  // INT64_MAX as a Slice end would be: 0xff.. 0x7f
  const w2 = new Writer();
  w2.tag(1, 0);
  w2.varint(8);
  w2.messageField(7, (g) =>
    g.messageField(1, (n) =>
      n.messageField(5, (a) => {
        a.tag(8, 0);
        a.raw(new Uint8Array([0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x7f]));
      }),
    ),
  );
  // torch writes INT64_MAX for "to the end": as an attribute value it saturates to 2^53 - 1, still past any real size.
  assert.deepEqual(decodeModel(w2.finish()).graph!.node[0]!.attribute[0]!.ints, [Number.MAX_SAFE_INTEGER]);
  // an 11-byte varint
  const w3 = new Writer();
  w3.tag(1, 0);
  w3.raw(new Uint8Array([0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x01]));
  rejects(() => decodeModel(w3.finish()), /varint \(ir_version\) does not fit in 64 bits/);
});

test('groups, field 0 and bad wire types are refused', () => {
  rejects(() => decodeModel(new Uint8Array([0x08, 0x07, 0x3b, 0x3c])), /field 7 uses a group \(group start\), not supported at byte 2/);
  rejects(() => decodeModel(new Uint8Array([0x08, 0x07, 0x00])), /ModelProto: field number 0 \(invalid tag\) at byte 2/);
  rejects(() => decodeModel(new Uint8Array([0x08, 0x07, 0x3e])), /field 7 has invalid wire type 6/);
  rejects(() => decodeModel(new Uint8Array([0x08, 0x07, 0x38, 0x01])), /^ModelProto: graph has varint encoding, expected length-delimited at byte 2$/);
});

test(`graphs nest at most ${MAX_GRAPH_DEPTH} deep (no stack overflow at 10 000)`, () => {
  const nested = (depth: number): DeepPartial<GraphProto> => {
    let g: DeepPartial<GraphProto> = graph();
    for (let i = 0; i < depth; i++) g = { name: `g${i}`, node: [{ opType: 'If', input: ['c'], output: ['y'], attribute: [{ name: 'then_branch', type: AttributeType.GRAPH, g }] }] };
    return g;
  };
  assert.equal(decodeModel(model({ graph: nested(MAX_GRAPH_DEPTH) })).graph!.name, `g${MAX_GRAPH_DEPTH - 1}`);
  rejects(() => decodeModel(model({ graph: nested(MAX_GRAPH_DEPTH + 1) })), new RegExp(`graphs nested more than ${MAX_GRAPH_DEPTH} deep`));
  // crafted by hand, from the inside out: 10 000 levels of graph { node { attribute { g: ... } } }
  const vlen = (n: number) => (n < 128 ? 1 : n < 16384 ? 2 : n < 2097152 ? 3 : 4);
  const prefixes: number[][] = [];
  let len = 0;
  for (let i = 0; i < 10_000; i++) {
    const attr = 1 + vlen(len) + len;
    const node = 1 + vlen(attr) + attr;
    const lw = new Writer();
    lw.tag(1, 2);
    lw.varint(node);
    lw.tag(5, 2);
    lw.varint(attr);
    lw.tag(6, 2);
    lw.varint(len);
    prefixes.push([...lw.finish()]);
    len = 1 + vlen(node) + node;
  }
  const body = Uint8Array.from(prefixes.reverse().flat());
  const top = new Writer();
  top.tag(1, 0);
  top.varint(8);
  top.bytesField(7, body);
  rejects(() => decodeModel(top.finish()), /graphs nested more than 64 deep/);
});

test('sparse initializers, tensor segments and external data are refused by name', () => {
  const w = new Writer();
  w.tag(1, 0);
  w.varint(8);
  w.messageField(7, (g) => {
    g.stringField(2, 'main');
    g.messageField(15, () => {});
  });
  rejects(() => decodeModel(w.finish()), /^ModelProto.graph: sparse initializers \(GraphProto.sparse_initializer\) are not supported at byte \d+$/);

  const seg = new Writer();
  seg.tag(1, 0);
  seg.varint(2);
  seg.messageField(3, (s) => {
    s.tag(1, 0);
    s.varint(0);
  });
  rejects(() => decodeTensor(seg.finish()), /^TensorProto: tensor segments \(TensorProto.segment\) are not supported/);

  const ext = makeTensor('encoder.weight', 'float32', [2], []);
  ext.dataLocation = 1;
  ext.externalData = [{ key: 'location', value: 'weights.bin' }, { key: 'offset', value: '0' }];
  const m = decodeModel(model({ graph: graph({ initializer: [ext] }) }));
  const t = m.graph!.initializer[0]!;
  assert.equal(t.dataLocation, 1);
  rejects(() => tensorData(t), /^tensor "encoder.weight": external data is not supported \(tensor "encoder.weight" keeps its values in "weights.bin"\)/);
  const ext2 = makeTensor('w2', 'float32', [2], []);
  ext2.externalData = [{ key: 'location', value: 'x.bin' }];
  rejects(() => tensorData(decodeTensor(encodeTensor(ext2))), /external data is not supported/);
});

test('element counts must match the dims; unsupported data types are named', () => {
  const t = makeTensor('w', 'float32', [2, 3], [1, 2, 3, 4, 5]);
  rejects(() => tensorData(t), /^tensor "w": dims \[2, 3\] need 6 elements, raw_data holds 5$/);
  rejects(() => tensorData({ ...makeTensor('w', 'float32', [3], []), floatData: [1, 2] }), /dims \[3\] need 3 elements, float_data holds 2/);
  rejects(() => tensorData({ ...makeTensor('w', 'float32', [2], [1, 2]), rawData: new Uint8Array(7) }), /raw_data of 7 bytes is not a whole number of float32 elements/);
  rejects(() => tensorData({ ...makeTensor('w', 'float32', [-1], []) }), /invalid dimension -1/);
  rejects(() => tensorData({ ...makeTensor('w', 'float32', [2 ** 30, 2 ** 30, 2 ** 30], []) }), /hold too many elements/);
  rejects(() => tensorData({ ...makeTensor('s', 'float32', [1], []), dataType: DataType.STRING }), /unsupported data type STRING \(8\)/);
  rejects(() => tensorData({ ...makeTensor('s', 'float32', [1], []), dataType: 42 }), /unsupported data type data type 42 \(42\)/);
  const big = makeTensor('i', 'int64', [1], [0]);
  new DataView(big.rawData.buffer).setBigInt64(0, 2n ** 62n, true);
  assert.deepEqual(tensorData(big).data, [Number.MAX_SAFE_INTEGER]); // saturates, as a Slice end INT64_MAX must
  new DataView(big.rawData.buffer).setBigInt64(0, -(2n ** 63n), true);
  assert.deepEqual(tensorData(big).data, [-Number.MAX_SAFE_INTEGER]);
  assert.deepEqual(tensorData(makeTensor('i', 'int64', [3], [-(2 ** 53 - 1), -1, 2 ** 53 - 1])).data, [-(2 ** 53 - 1), -1, 2 ** 53 - 1]);
});

test('raw_data at an unaligned offset in the file decodes (every dtype)', () => {
  const values = [1.5, -2.25, 3, 0, -0.125, 100];
  for (const dtype of ['float32', 'float64', 'int64', 'int32', 'int8', 'uint8', 'bool'] as const) {
    for (const pad of ['', 'a', 'ab', 'abc', 'abcdefg']) {
      const vs = dtype === 'float32' || dtype === 'float64' ? values : dtype === 'uint8' || dtype === 'bool' ? [1, 0, 3, 255, 7, 1] : [1, -2, 3, 0, -5, 100];
      // name (field 8) precedes raw_data (field 9) in the encoding, so its length shifts the data
      const bytes = encodeTensor(makeTensor(`t${pad}`, dtype, [2, 3], vs));
      // and a copy of the file starting at an odd address
      const shifted = new Uint8Array(bytes.length + 1).subarray(1);
      shifted.set(bytes);
      for (const b of [bytes, shifted]) {
        const t = decodeTensor(b);
        const td = tensorData(t);
        assert.equal(td.dtype, dtype);
        assert.deepEqual(td.dims, [2, 3]);
        const want = dtype === 'bool' ? vs.map((v) => (v ? 1 : 0)) : vs;
        assert.deepEqual([...td.data], want, `${dtype} at raw_data offset ${t.rawData.byteOffset}`);
      }
    }
  }
  // float16 raw (1, -2, 0.5, 65504, -inf, smallest subnormal)
  const h = new Uint8Array(new Uint16Array([0x3c00, 0xc000, 0x3800, 0x7bff, 0xfc00, 0x0001]).buffer);
  const t16 = { ...makeTensor('h', 'float32', [6], []), dataType: DataType.FLOAT16, rawData: Uint8Array.from(h) };
  const d16 = tensorData(decodeTensor(encodeTensor(t16)));
  assert.equal(d16.dtype, 'float16');
  assert.deepEqual([...d16.data], [1, -2, 0.5, 65504, -Infinity, Math.fround(2 ** -24)]);
  // typed fields: float16 and bool in int32_data, float64 in double_data, int64 in int64_data
  const typed = tensorData(decodeTensor(encodeTensor({ dims: [2], dataType: DataType.FLOAT16, int32Data: [0x3c00, 0xc000] })));
  assert.deepEqual([...typed.data], [1, -2]);
  assert.deepEqual([...tensorData(decodeTensor(encodeTensor({ dims: [3], dataType: DataType.BOOL, int32Data: [1, 0, 1] }))).data], [1, 0, 1]);
  assert.deepEqual([...tensorData(decodeTensor(encodeTensor({ dims: [2], dataType: DataType.DOUBLE, doubleData: [0.1, 1e300] }))).data], [Math.fround(0.1), Infinity]);
  assert.deepEqual(tensorData(decodeTensor(encodeTensor({ dims: [2], dataType: DataType.INT64, int64Data: [-3, 2 ** 40] }))).data, [-3, 2 ** 40]);
  assert.deepEqual([...tensorData(decodeTensor(encodeTensor({ dims: [], dataType: DataType.INT32, int32Data: [-7] }))).data], [-7]);
});

test('truncations at every 7th byte and bit flips of real models: OnnxError or a model, nothing else', () => {
  const started = Date.now();
  let errors = 0;
  let runs = 0;
  for (const [name, bytes] of samples()) {
    const step = Math.max(7, Math.floor(bytes.length / 400));
    for (let n = 0; n < bytes.length; n += step) {
      const r = tryAll(bytes.subarray(0, n));
      runs++;
      if (r !== 'ok') {
        errors++;
        assert.ok(r.message.length > 10 && !/undefined|NaN/.test(r.message), `${name} cut at ${n}: ${r.message}`);
      }
    }
    let seed = 12345;
    const rnd = () => ((seed = (seed * 1103515245 + 12345) >>> 0), seed / 2 ** 32);
    for (let k = 0; k < 200; k++) {
      const b = Uint8Array.from(bytes);
      for (let j = 0; j < 1 + (k % 4); j++) {
        const i = Math.floor(rnd() * b.length);
        b[i]! ^= 1 << Math.floor(rnd() * 8);
      }
      if (tryAll(b) !== 'ok') errors++;
      runs++;
    }
  }
  assert.ok(errors > runs / 4, `${errors} errors in ${runs} damaged models`);
  assert.ok(Date.now() - started < 5000);
});

test('fuzz (seeded, bounded): random bytes and mutated models never throw anything but OnnxError', () => {
  const base = samples().map(([, b]) => b).filter((b) => b.length < 40_000);
  fc.assert(
    fc.property(fc.uint8Array({ maxLength: 300 }), (bytes) => {
      tryAll(bytes);
      try {
        decodeTensor(bytes);
      } catch (e) {
        if (!(e instanceof OnnxError)) throw e;
      }
    }),
    { seed: 42, numRuns: 2000 },
  );
  fc.assert(
    fc.property(
      fc.nat({ max: base.length - 1 }),
      fc.array(fc.tuple(fc.nat(), fc.nat({ max: 255 })), { minLength: 1, maxLength: 8 }),
      fc.option(fc.nat(), { nil: undefined }),
      (which, edits, cut) => {
        const b = Uint8Array.from(base[which]!);
        for (const [i, v] of edits) b[i % b.length] = v;
        tryAll(cut === undefined ? b : b.subarray(0, cut % b.length));
      },
    ),
    { seed: 7, numRuns: 300 },
  );
});

test('a memory budget stops files of millions of tiny messages (default: 64 MiB + 32 bytes per file byte)', () => {
  const n = 50_000;
  const w = new Writer();
  w.tag(1, 0);
  w.varint(8);
  const body = new Uint8Array(2 * n);
  for (let i = 0; i < n; i++) body[2 * i] = 0x0a; // graph.node {} (empty), 2 bytes each
  w.bytesField(7, body);
  const file = w.finish();
  assert.equal(decodeModel(file).graph!.node.length, n);
  const e = rejects(() => decodeModel(file, { memoryBudget: 1_000_000 }), /^ModelProto.graph.node\[\d+\]: decoding would take more than the memory budget of 1000000 bytes/);
  assert.match(e.message, /node\[3\d{3}\]/); // ~256 bytes charged per message
  // packed values are charged up front, before the array grows
  const t = encodeTensor({ dims: [100_000], dataType: DataType.INT64, int64Data: Array.from({ length: 100_000 }, (_, i) => i % 100) });
  rejects(() => decodeTensor(t, { memoryBudget: 100_000 }), /^TensorProto: decoding would take more than the memory budget/);
  assert.equal(decodeTensor(t).int64Data.length, 100_000);
});
