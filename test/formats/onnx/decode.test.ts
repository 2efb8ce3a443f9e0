/**
 * The decoder against the truth: every model and every tensor `.pb` of the
 * ONNX backend node tests (../shared/external/onnx-node-tests and Debian's
 * libonnx-testdata), decoded here and by protobufjs from the real onnx.proto,
 * compared field by field (normalized forms, deep equality); tensor values
 * from tensorData against the reference's typed fields or raw bytes.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { AttributeType, DataType, attrString, decodeModel, decodeTensor, tensorData, OnnxError, type ModelProto, type TensorProto, type TypeProto } from '../../../src/formats/onnx/index.js';
import { CORPORA, FIXTURES, NO_PROTOBUF, ROOT, canon, corpusCases, read, referenceModel, referenceTensor } from './corpus.js';

const cases = corpusCases();

test('the corpora are there', () => {
  assert.ok(CORPORA.length >= 1, 'no ONNX node-test corpus found');
  assert.ok(cases.length >= 30, `only ${cases.length} node tests found`);
});

function tensorTypeOf(m: ModelProto, io: 'input' | 'output', i: number): TypeProto | undefined {
  // input_i feeds the i-th graph input that is not an initializer
  const inits = new Set(m.graph!.initializer.map((t) => t.name));
  const list = io === 'input' ? m.graph!.input.filter((v) => !inits.has(v.name)) : m.graph!.output;
  return list[i]?.type;
}

/** Element values of a reference tensor, straight from its fields (raw bytes little-endian). */
function referenceValues(t: TensorProto): number[] {
  const n = t.dims.reduce((a, b) => a * b, 1);
  const raw = t.rawData;
  if (raw.length > 0) {
    const v = new DataView(raw.buffer, raw.byteOffset, raw.byteLength);
    const get: Record<number, (i: number) => number> = {
      [DataType.FLOAT]: (i) => v.getFloat32(4 * i, true),
      [DataType.DOUBLE]: (i) => Math.fround(v.getFloat64(8 * i, true)),
      [DataType.INT64]: (i) => Number(v.getBigInt64(8 * i, true)),
      [DataType.INT32]: (i) => v.getInt32(4 * i, true),
      [DataType.INT8]: (i) => v.getInt8(i),
      [DataType.UINT8]: (i) => v.getUint8(i),
      [DataType.BOOL]: (i) => (v.getUint8(i) ? 1 : 0),
      [DataType.FLOAT16]: (i) => half(v.getUint16(2 * i, true)),
    };
    return Array.from({ length: n }, (_, i) => get[t.dataType]!(i));
  }
  if (t.dataType === DataType.FLOAT) return t.floatData;
  if (t.dataType === DataType.DOUBLE) return t.doubleData.map(Math.fround);
  if (t.dataType === DataType.INT64) return t.int64Data;
  if (t.dataType === DataType.FLOAT16) return t.int32Data.map(half);
  if (t.dataType === DataType.BOOL) return t.int32Data.map((b) => (b ? 1 : 0));
  return t.int32Data;
}

// float16 via Math.pow, independent of the decoder's halfToFloat
function half(h: number): number {
  const e = (h >> 10) & 31;
  const f = h & 1023;
  const s = h >> 15 ? -1 : 1;
  if (e === 31) return f ? NaN : s * Infinity;
  return e === 0 ? s * Math.pow(2, -14) * (f / 1024) : s * Math.pow(2, e - 15) * (1 + f / 1024);
}

const SUPPORTED = new Set<number>([DataType.FLOAT, DataType.DOUBLE, DataType.INT64, DataType.INT32, DataType.INT8, DataType.UINT8, DataType.BOOL, DataType.FLOAT16]);

test('every node-test model decodes exactly as protobufjs reads it from onnx.proto', { skip: NO_PROTOBUF }, () => {
  let nodes = 0;
  for (const c of cases) {
    const bytes = read(c.model);
    const m = decodeModel(bytes);
    assert.deepStrictEqual(canon(m), canon(referenceModel(bytes)), c.name);
    nodes += m.graph!.node.length;
  }
  assert.ok(nodes >= cases.length);
});

test('every tensor .pb decodes like protobufjs, and tensorData gives its dims, dtype and values', { skip: NO_PROTOBUF }, () => {
  let checked = 0;
  let unsupported = 0;
  const dtypes = new Set<string>();
  for (const c of cases) {
    const m = decodeModel(read(c.model));
    for (const d of c.data) {
      // sequences, maps and optionals are other messages (SequenceProto, OptionalProto)
      if (tensorTypeOf(m, d.io, d.index)?.tensorType === undefined) continue;
      const bytes = read(d.file);
      const t = decodeTensor(bytes);
      const ref = referenceTensor(bytes) as TensorProto;
      assert.deepStrictEqual(canon(t), canon(ref), d.file);
      if (!SUPPORTED.has(t.dataType)) {
        assert.throws(() => tensorData(t), (e: Error) => e instanceof OnnxError && /unsupported data type/.test(e.message), d.file);
        unsupported++;
        continue;
      }
      const td = tensorData(t);
      assert.deepEqual(td.dims, ref.dims, d.file);
      dtypes.add(td.dtype);
      assert.deepStrictEqual(canon([...td.data]), canon(referenceValues(ref)), d.file);
      checked++;
    }
  }
  assert.ok(checked > 100, `only ${checked} tensors checked`);
  for (const dt of ['float32', 'int64', 'int32', 'bool', 'uint8', 'int8', 'float64', 'float16']) assert.ok(dtypes.has(dt), `no ${dt} tensor in the corpus`);
  assert.ok(unsupported > 0);
});

test('subgraphs (If, Loop, Scan bodies) and model-local functions decode', () => {
  const names = cases.map((c) => c.name);
  for (const want of ['test_if', 'test_loop11', 'test_scan_sum']) {
    const c = cases.find((x) => x.name.endsWith(`/${want}`));
    assert.ok(c, `${want} missing from ${names.length} cases`);
    const m = decodeModel(read(c.model));
    assert.ok(m.graph!.node.some((n) => n.attribute.some((a) => a.g !== undefined)), want);
  }
  // the node tests hold no FunctionProto: torch's export_modules_as_functions fixture does
  const f = decodeModel(read(join(FIXTURES, 'healthy-classifier.op17.functions.onnx')));
  assert.equal(f.irVersion, 8);
  assert.deepEqual(
    f.functions.map((x) => `${x.domain}.${x.name}`).sort(),
    ['torch.nn.modules.batchnorm.BatchNorm2d', 'torch.nn.modules.instancenorm.InstanceNorm2d', 'torch.nn.modules.normalization.GroupNorm'],
  );
  const gn = f.functions.find((x) => x.name === 'GroupNorm')!;
  assert.deepEqual(gn.attribute, ['num_groups', 'num_channels', 'eps', 'affine']);
  assert.ok(gn.node.some((n) => n.opType === 'InstanceNormalization'));
  const call = f.graph!.node.find((n) => n.opType === 'GroupNorm')!;
  assert.equal(call.domain, 'torch.nn.modules.normalization');
  assert.equal(call.attribute.find((a) => a.name === 'num_groups')!.i, 4);
});

test('src/formats/onnx runs in a browser: no node: imports, no Buffer/process/require', () => {
  const dir = join(ROOT, 'src/formats/onnx');
  const files = readdirSync(dir).filter((f) => f.endsWith('.ts'));
  assert.ok(files.length >= 6);
  for (const f of files) {
    const src = readFileSync(join(dir, f), 'utf8');
    for (const line of src.split('\n').filter((l) => /^\s*(import|export)\b.*from\s/.test(l))) {
      assert.match(line, /from '(\.\/|\.\.\/\.\.\/errors\.js)/, `${f}: ${line}`);
    }
    assert.doesNotMatch(src.replace(/\/\*[\s\S]*?\*\/|\/\/.*$/gm, ''), /\bBuffer\b|\bprocess\.|\brequire\(/, f);
  }
  // and the one module outside the folder it uses imports only type_name.ts, which imports nothing
  // (the browser bundles of build-web.mjs check the whole library's path too)
  assert.deepEqual(readFileSync(join(ROOT, 'src/errors.ts'), 'utf8').match(/^import .*$/gm), ["import { typeNameOf } from './type_name.js';"]);
  assert.doesNotMatch(readFileSync(join(ROOT, 'src/type_name.ts'), 'utf8'), /^import /m);
});

test('string attributes read as UTF-8 (attrString): the reflect Pad and Resize modes of a torch export', () => {
  const m = decodeModel(read(join(FIXTURES, 'resnet-generator.op13.eval.onnx')));
  const pad = m.graph!.node.find((n) => n.opType === 'Pad')!;
  assert.equal(attrString(pad.attribute.find((a) => a.name === 'mode')!), 'reflect');
  assert.equal(pad.attribute[0]!.type, AttributeType.STRING);
  const u = decodeModel(read(join(FIXTURES, 'unet-level.op17.eval.onnx')));
  const resize = u.graph!.node.find((n) => n.opType === 'Resize')!;
  assert.equal(attrString(resize.attribute.find((a) => a.name === 'mode')!), 'linear');
  assert.equal(resize.name, '/3/branches.1/branches.1.8/Resize');
  assert.deepEqual(u.opsetImport, [{ domain: '', version: 17 }]);
  assert.equal(u.producerName, 'pytorch');
});
