/**
 * The encoder: decode(encode(m)) is m for arbitrary models (fast-check,
 * seeded), the bytes match protobufjs's reading of them, real node-test
 * models re-encode to models that decode the same, and onnxruntime-node runs
 * one-node Relu and Conv models built with it.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { loadOrt } from '../../optional_peers.js';
import {
  AttributeType,
  DataType,
  decodeModel,
  decodeTensor,
  encodeModel,
  encodeTensor,
  makeTensor,
  tensorData,
  type AttributeProto,
  type GraphProto,
  type ModelProto,
  type TensorProto,
  type ValueInfoProto,
} from '../../../src/formats/onnx/index.js';
import { canon, corpusCases, read, referenceModel } from './corpus.js';
import { NO_PROTOBUF } from './corpus.js';

const ortOrNull = await loadOrt();
const ort = ortOrNull!;
const NO_ORT = ortOrNull === null ? 'onnxruntime-node is not installed (npm run setup:full)' : false;

const name = fc.string({ maxLength: 12 });
const i64 = fc.oneof(fc.integer({ min: -1000, max: 1000 }), fc.maxSafeInteger(), fc.constantFrom(0, -1, 2 ** 53 - 1, -(2 ** 53 - 1), 2 ** 32, -(2 ** 31)));
const f32 = fc.float();
const bytes = fc.uint8Array({ maxLength: 24 });

const tensorArb: fc.Arbitrary<TensorProto> = fc.record({
  dims: fc.array(fc.nat({ max: 5 }), { maxLength: 4 }),
  dataType: fc.nat({ max: 16 }),
  floatData: fc.array(f32, { maxLength: 4 }),
  int32Data: fc.array(fc.integer({ min: -(2 ** 31), max: 2 ** 31 - 1 }), { maxLength: 4 }),
  stringData: fc.array(bytes, { maxLength: 2 }),
  int64Data: fc.array(i64, { maxLength: 4 }),
  name,
  docString: name,
  rawData: bytes,
  doubleData: fc.array(fc.double(), { maxLength: 3 }),
  uint64Data: fc.array(fc.maxSafeNat(), { maxLength: 3 }),
  externalData: fc.array(fc.record({ key: name, value: name }), { maxLength: 2 }),
  dataLocation: fc.nat({ max: 1 }),
});

const valueInfoArb: fc.Arbitrary<ValueInfoProto> = fc.record(
  {
    name,
    docString: name,
    type: fc.option(
      fc.record(
        {
          tensorType: fc.record(
            {
              elemType: fc.nat({ max: 16 }),
              shape: fc.record({ dim: fc.array(fc.oneof(fc.record({ dimValue: i64 }), fc.record({ dimParam: name }), fc.constant({})), { maxLength: 4 }) }),
            },
            { requiredKeys: ['elemType'] },
          ),
        },
        { requiredKeys: [] },
      ),
      { nil: undefined },
    ),
  },
  { requiredKeys: ['name', 'docString'] },
);

/** Graphs nesting at most `depth` more graphs (inside attributes). */
function graphAt(depth: number): fc.Arbitrary<GraphProto> {
  const sub = depth > 0 ? graphAt(depth - 1) : undefined;
  const attr: fc.Arbitrary<AttributeProto> = fc.record(
    {
      name,
      refAttrName: name,
      docString: name,
      type: fc.nat({ max: 14 }),
      f: f32,
      i: i64,
      s: bytes,
      t: tensorArb,
      g: sub ?? fc.constant(undefined),
      floats: fc.array(f32, { maxLength: 3 }),
      ints: fc.array(i64, { maxLength: 3 }),
      strings: fc.array(bytes, { maxLength: 2 }),
      tensors: fc.array(tensorArb, { maxLength: 1 }),
      graphs: sub ? fc.array(sub, { maxLength: 1 }) : fc.constant([]),
    },
    { requiredKeys: ['name', 'refAttrName', 'docString', 'type', 'f', 'i', 's', 'floats', 'ints', 'strings', 'tensors', 'graphs'] },
  ) as fc.Arbitrary<AttributeProto>;
  return fc.record({
    node: fc.array(
      fc.record({
        input: fc.array(name, { maxLength: 3 }),
        output: fc.array(name, { maxLength: 2 }),
        name,
        opType: name,
        domain: name,
        attribute: fc.array(attr, { maxLength: 2 }),
        docString: name,
      }),
      { maxLength: 2 },
    ),
    name,
    initializer: fc.array(tensorArb, { maxLength: 2 }),
    docString: name,
    input: fc.array(valueInfoArb, { maxLength: 2 }),
    output: fc.array(valueInfoArb, { maxLength: 2 }),
    valueInfo: fc.array(valueInfoArb, { maxLength: 2 }),
  });
}
const graphArb = graphAt(2);

const opsetArb = fc.record({ domain: name, version: i64 });
const modelArb: fc.Arbitrary<ModelProto> = fc.record({
  irVersion: fc.integer({ min: 1, max: 10 }),
  opsetImport: fc.array(opsetArb, { maxLength: 3 }),
  producerName: name,
  producerVersion: name,
  domain: name,
  modelVersion: i64,
  docString: name,
  graph: graphArb,
  metadataProps: fc.array(fc.record({ key: name, value: name }), { maxLength: 2 }),
  functions: fc.array(
    fc.record({
      name,
      input: fc.array(name, { maxLength: 2 }),
      output: fc.array(name, { maxLength: 2 }),
      attribute: fc.array(name, { maxLength: 2 }),
      attributeProto: fc.constant([]),
      node: fc.constant([]),
      docString: name,
      opsetImport: fc.array(opsetArb, { maxLength: 2 }),
      domain: name,
    }),
    { maxLength: 2 },
  ),
});

/** What the decoder gives for a string that TextEncoder had to repair (lone surrogates): the repaired string. */
const utf8 = (s: string) => new TextDecoder().decode(new TextEncoder().encode(s));
function repairStrings(x: unknown): unknown {
  if (typeof x === 'string') return utf8(x);
  if (x instanceof Uint8Array) return x;
  if (Array.isArray(x)) return x.map(repairStrings);
  if (x !== null && typeof x === 'object') return Object.fromEntries(Object.entries(x).map(([k, v]) => [k, repairStrings(v)]));
  return x;
}

test('decode(encode(model)) is the model (property, seeded), and protobufjs reads the same bytes the same way', { skip: NO_PROTOBUF }, () => {
  fc.assert(
    fc.property(modelArb, (m) => {
      const bytes = encodeModel(m);
      const back = decodeModel(bytes);
      assert.deepStrictEqual(canon(back), canon(repairStrings(m)));
      // functions' attribute_proto and node lists are empty here; referenceModel covers them on the corpus
      assert.deepStrictEqual(canon(back), canon(referenceModel(bytes)));
    }),
    { seed: 2024, numRuns: 60 },
  );
});

test('decodeTensor(encodeTensor(t)) is t (property, seeded)', () => {
  fc.assert(
    fc.property(tensorArb, (t) => {
      assert.deepStrictEqual(canon(decodeTensor(encodeTensor(t))), canon(repairStrings(t)));
    }),
    { seed: 99, numRuns: 300 },
  );
});

test('node-test models re-encode to bytes that decode to the same model', () => {
  let n = 0;
  // every other one keeps this under a second
  for (const c of corpusCases().filter((_, i) => i % 2 === 0)) {
    const m = decodeModel(read(c.model));
    assert.deepStrictEqual(canon(decodeModel(encodeModel(m))), canon(m), c.name);
    n++;
  }
  assert.ok(n > 30);
});

const FLOAT = DataType.FLOAT;
const vi = (n: string, dims: number[]) => ({ name: n, type: { tensorType: { elemType: FLOAT, shape: { dim: dims.map((d) => ({ dimValue: d })) } } } });

test('onnxruntime-node runs a Relu model written by the encoder', { skip: NO_ORT }, async () => {
  const bytes = encodeModel({
    irVersion: 8,
    producerName: 'normkit-test',
    opsetImport: [{ domain: '', version: 13 }],
    graph: { name: 'relu', node: [{ name: 'r', opType: 'Relu', input: ['X'], output: ['Y'] }], input: [vi('X', [2, 3])], output: [vi('Y', [2, 3])] },
  });
  const s = await ort.InferenceSession.create(bytes);
  const x = new Float32Array([-1, 2, -3, 4, 0, -0.5]);
  const out = await s.run({ X: new ort.Tensor('float32', x, [2, 3]) });
  assert.deepEqual([...(out['Y']!.data as Float32Array)], [0, 2, 0, 4, 0, 0]);
  await s.release();
});

test('onnxruntime-node runs a Conv model (initializers in raw_data, int attributes, symbolic batch) written by the encoder', { skip: NO_ORT }, async () => {
  // Conv 2->3 channels, 3x3 kernel, stride 2, padding 1 on a [N, 2, 5, 5] input
  const w = Float32Array.from({ length: 3 * 2 * 3 * 3 }, (_, i) => Math.sin(i * 0.7));
  const b = new Float32Array([0.1, -0.2, 0.3]);
  const bytes = encodeModel({
    irVersion: 7,
    opsetImport: [{ domain: '', version: 11 }],
    graph: {
      name: 'conv',
      node: [
        {
          name: 'conv',
          opType: 'Conv',
          input: ['X', 'W', 'B'],
          output: ['Y'],
          attribute: [
            { name: 'kernel_shape', type: AttributeType.INTS, ints: [3, 3] },
            { name: 'strides', type: AttributeType.INTS, ints: [2, 2] },
            { name: 'pads', type: AttributeType.INTS, ints: [1, 1, 1, 1] },
            { name: 'group', type: AttributeType.INT, i: 1 },
          ],
        },
      ],
      initializer: [makeTensor('W', 'float32', [3, 2, 3, 3], w), makeTensor('B', 'float32', [3], b)],
      input: [{ name: 'X', type: { tensorType: { elemType: FLOAT, shape: { dim: [{ dimParam: 'N' }, { dimValue: 2 }, { dimValue: 5 }, { dimValue: 5 }] } } } }],
      output: [{ name: 'Y', type: { tensorType: { elemType: FLOAT, shape: { dim: [{ dimParam: 'N' }, { dimValue: 3 }, { dimValue: 3 }, { dimValue: 3 }] } } } }],
    },
  });
  const x = Float32Array.from({ length: 2 * 2 * 5 * 5 }, (_, i) => Math.cos(i * 0.3));
  const s = await ort.InferenceSession.create(bytes);
  const y = (await s.run({ X: new ort.Tensor('float32', x, [2, 2, 5, 5]) }))['Y']!;
  assert.deepEqual(y.dims, [2, 3, 3, 3]);
  // direct convolution from the definition
  const want: number[] = [];
  for (let n = 0; n < 2; n++)
    for (let o = 0; o < 3; o++)
      for (let oy = 0; oy < 3; oy++)
        for (let ox = 0; ox < 3; ox++) {
          let acc = b[o]!;
          for (let c = 0; c < 2; c++)
            for (let ky = 0; ky < 3; ky++)
              for (let kx = 0; kx < 3; kx++) {
                const iy = oy * 2 - 1 + ky;
                const ix = ox * 2 - 1 + kx;
                if (iy < 0 || ix < 0 || iy >= 5 || ix >= 5) continue;
                acc += x[((n * 2 + c) * 5 + iy) * 5 + ix]! * w[((o * 2 + c) * 3 + ky) * 3 + kx]!;
              }
          want.push(acc);
        }
  const got = y.data as Float32Array;
  want.forEach((v, i) => assert.ok(Math.abs(got[i]! - v) < 1e-5, `Y[${i}] = ${got[i]}, want ${v}`));
  await s.release();
  // and the decoder reads back what was written
  const m = decodeModel(bytes);
  assert.deepEqual([...tensorData(m.graph!.initializer[0]!).data], [...w]);
  assert.deepEqual(m.graph!.input[0]!.type!.tensorType!.shape!.dim[0], { dimParam: 'N' });
});
