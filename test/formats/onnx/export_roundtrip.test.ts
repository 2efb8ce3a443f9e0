/**
 * Imported ONNX files written back: `toOnnx(importOnnx(bytes).graph)`. For
 * every fixture exported from PyTorch (test/fixtures/onnx, onnx-graphs,
 * onnx-patterns) and every ONNX backend node test the importer reads (with
 * float32, integer or bool inputs and outputs), onnxruntime gives the same
 * outputs on the written file as on the original (within 1e-5, relative past
 * 1), the graph inputs keep their names, element types and dynamic dims
 * (dim_param names), initializers that survive keep their names and types
 * (int64 shapes stay INT64), and the re-import has the same module paths.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { DataType, decodeModel, decodeTensor, importOnnx, tensorData, toOnnx, type ModelProto, type OnnxTensor } from '../../../src/formats/onnx/index.js';
import type { Graph } from '../../../src/graph/graph.js';
import { runGraph } from '../../../src/graph/interpret.js';
import { Tensor } from '../../../src/tensor/tensor.js';
import { loadOrt, type Ort, type OrtTensor } from '../../optional_peers.js';
import { corpusCases, extraCases, ROOT } from './corpus.js';

const ortOrNull = await loadOrt();
const NO_ORT = ortOrNull === null ? 'onnxruntime-node is not installed (npm run setup:full)' : false;

const ORT_TYPES: Record<number, string> = { [DataType.FLOAT]: 'float32', [DataType.INT64]: 'int64', [DataType.INT32]: 'int32', [DataType.INT8]: 'int8', [DataType.UINT8]: 'uint8', [DataType.BOOL]: 'bool' };

function ortTensor(ort: Ort, elemType: number, data: ArrayLike<number>, dims: readonly number[]): OrtTensor {
  const type = ORT_TYPES[elemType];
  switch (type) {
    case 'int64':
      return new ort.Tensor('int64', BigInt64Array.from(Array.from(data), (v) => BigInt(Math.trunc(v))), dims);
    case 'int32':
      return new ort.Tensor('int32', Int32Array.from(data), dims);
    case 'int8':
      return new ort.Tensor('int8', Int8Array.from(data), dims);
    case 'uint8':
    case 'bool':
      return new ort.Tensor(type, Uint8Array.from(data), dims);
    default:
      return new ort.Tensor('float32', Float32Array.from(data), dims);
  }
}

async function runOrt(ort: Ort, bytes: Uint8Array, feeds: Record<string, OrtTensor>): Promise<{ dims: number[]; data: number[] }[]> {
  const s = await ort.InferenceSession.create(bytes, { graphOptimizationLevel: 'disabled', intraOpNumThreads: 1 });
  try {
    const r = await s.run(feeds);
    return s.outputNames.map((o) => ({ dims: [...r[o]!.dims], data: Array.from(r[o]!.data as ArrayLike<number | bigint>, Number) }));
  } finally {
    await s.release();
  }
}

/** Where two outputs differ (more than 1e-5, relative past 1), or null. */
function differs(got: { dims: number[]; data: ArrayLike<number> }, want: { dims: number[]; data: ArrayLike<number> }): string | null {
  if (got.dims.join() !== want.dims.join()) return `shape [${got.dims.join(', ')}], want [${want.dims.join(', ')}]`;
  for (let i = 0; i < want.data.length; i++) {
    const a = got.data[i]!;
    const b = want.data[i]!;
    if (Number.isNaN(b) ? !Number.isNaN(a) : !(a === b || Math.abs(a - b) <= 1e-5 * Math.max(1, Math.abs(b)))) return `[${i}] = ${a}, want ${b}`;
  }
  return null;
}

const modulePaths = (g: Graph) => [...new Set(g.nodes.filter((n) => n.module !== undefined).map((n) => n.scope))].sort();
const dimsOf = (m: ModelProto) => m.graph!.input.filter((i) => !m.graph!.initializer.some((t) => t.name === i.name)).map((i) => ({ name: i.name, type: i.type?.tensorType?.elemType, dims: i.type?.tensorType?.shape?.dim.map((d) => d.dimValue ?? d.dimParam) }));

/** The written file's initializers that the original has too: the same data type. */
function assertInitializerTypes(original: ModelProto, written: ModelProto, where: string): number {
  const types = new Map(original.graph!.initializer.map((t) => [t.name, t.dataType]));
  let kept = 0;
  for (const t of written.graph!.initializer) {
    const was = types.get(t.name);
    if (was === undefined || was === DataType.DOUBLE || was === DataType.FLOAT16) continue;
    assert.equal(t.dataType, was, `${where}: initializer '${t.name}' of type ${t.dataType}, the file's is ${was}`);
    kept++;
  }
  return kept;
}

// ---- the fixtures exported from PyTorch ----------------------------------------

const FIXTURE_DIRS = ['onnx', 'onnx-graphs', 'onnx-patterns'].map((d) => join(ROOT, 'test', 'fixtures', d));
type Side = { input?: { shape: number[]; data: number[] }; inputs?: Record<string, { shape: number[]; data: number[] }>; export?: { training?: string; opset_version?: number }; opset?: number };

test('the fixtures written back: onnxruntime gives the original\'s outputs, inputs keep their dynamic dims, the re-import its module paths', { skip: NO_ORT }, async () => {
  const ort = ortOrNull!;
  let count = 0;
  let int64s = 0;
  for (const dir of FIXTURE_DIRS) {
    for (const f of readdirSync(dir).filter((x) => x.endsWith('.onnx')).sort()) {
      const bytes = new Uint8Array(readFileSync(join(dir, f)));
      const side = JSON.parse(readFileSync(join(dir, f.replace(/\.onnx$/, '.expect.json')), 'utf8')) as Side;
      const original = decodeModel(bytes);
      const { graph } = importOnnx(bytes);
      // the file's own opset where normkit writes it (the patterns' opset 11 as 13); a training-mode export as one again
      const opset = Math.max(13, original.opsetImport.find((o) => o.domain === '')!.version);
      const written = toOnnx(graph, { opset, training: side.export?.training === 'TRAINING' });
      const m = decodeModel(written);
      assert.deepEqual(dimsOf(m), dimsOf(original), `${f}: the inputs`);
      // the file's integer constants (its Constant nodes' and folded values) keep their names and are INT64 again
      for (const [name, dtype] of graph.dtypes ?? []) {
        assert.equal(dtype, 'int64', `${f}: ${name}`);
        assert.equal(m.graph!.initializer.find((t) => t.name === name)?.dataType, DataType.INT64, `${f}: initializer ${name}`);
        int64s++;
      }
      assertInitializerTypes(original, m, f);
      const data = side.inputs ?? { [graph.inputs[0]!.name]: side.input! };
      const feeds = Object.fromEntries(Object.entries(data).map(([k, v]) => [k, ortTensor(ort, DataType.FLOAT, v.data, v.shape)]));
      const want = await runOrt(ort, bytes, feeds);
      const got = await runOrt(ort, written, feeds);
      want.forEach((w, k) => assert.equal(differs(got[k]!, w), null, `${f} output ${k}`));
      assert.deepEqual(modulePaths(importOnnx(written).graph), modulePaths(graph), `${f}: module paths`);
      count++;
    }
  }
  assert.equal(count, 54);
  assert.ok(int64s >= 40, `${int64s} integer constants`);
});

test('the collapsing encoder\'s fixture written back names its dynamic dims as the file did', () => {
  const bytes = new Uint8Array(readFileSync(join(FIXTURE_DIRS[0]!, 'collapsing-encoder.op17.preserve.onnx')));
  const { graph } = importOnnx(bytes);
  assert.deepEqual(graph.inputs[0]!.shape, ['batch', 3, 'height', 'width']);
  const m = decodeModel(toOnnx(graph));
  assert.deepEqual(m.graph!.input[0]!.type!.tensorType!.shape!.dim.map((d) => d.dimParam || d.dimValue), ['batch', 3, 'height', 'width']);
  assert.equal(m.opsetImport[0]!.version, 17);
});

// ---- ONNX's backend node tests ----------------------------------------------------

/** Where the importer follows PyTorch and the original file ONNX (import_node_tests.test.ts): the written file computes normkit's values. */
const FOLLOWS_PYTORCH = new Set(['test_resize_downsample_sizes_linear_pytorch_half_pixel', 'test_resize_downsample_scales_linear_align_corners']);

const load = (file: string): OnnxTensor => tensorData(decodeTensor(readFileSync(file)));

test('ONNX backend node tests written back: onnxruntime gives the original\'s outputs (1e-5), the re-import its module paths', { skip: NO_ORT }, async () => {
  const ort = ortOrNull!;
  let passed = 0;
  let followed = 0;
  const skipped = new Map<string, number>();
  const skip = (why: string) => skipped.set(why, (skipped.get(why) ?? 0) + 1);
  const failures: string[] = [];
  for (const c of [...corpusCases(), ...extraCases()]) {
    const short = c.name.replace(/^.*\//, '');
    const files = c.data.filter((d) => d.file.includes('test_data_set_0'));
    if (files.length === 0 || !existsSync(c.model)) continue;
    const bytes = new Uint8Array(readFileSync(c.model));
    const original = decodeModel(bytes);
    const g0 = original.graph!;
    const inits = new Set(g0.initializer.map((t) => t.name));
    const inputs = g0.input.filter((i) => !inits.has(i.name));
    // float32, integer and bool models (normkit computes float16 and float64 in float32)
    if ([...inputs, ...g0.output].some((vi) => ORT_TYPES[vi.type?.tensorType?.elemType ?? 0] === undefined)) {
      skip('float16/float64/other types');
      continue;
    }
    let ins: OnnxTensor[];
    try {
      ins = inputs.map((_, k) => load(files.find((d) => d.io === 'input' && d.index === k)!.file));
    } catch {
      skip('test data not read');
      continue;
    }
    // as import_node_tests: the inputs after the first are the node's constants
    const constants = Object.fromEntries(inputs.slice(1).map((vi, k) => [vi.name, ins[k + 1]!]));
    let graph: Graph;
    try {
      graph = importOnnx(original, { constants }).graph;
    } catch {
      skip('not imported');
      continue;
    }
    let want: { dims: number[]; data: number[] }[];
    try {
      want = await runOrt(ort, bytes, Object.fromEntries(inputs.map((vi, k) => [vi.name, ortTensor(ort, vi.type!.tensorType!.elemType, ins[k]!.data as ArrayLike<number>, ins[k]!.dims)])));
    } catch {
      skip('onnxruntime does not run the original (opset < 7)');
      continue;
    }
    try {
      const written = toOnnx(graph);
      const m = decodeModel(written);
      assert.deepEqual(dimsOf(m), dimsOf(original).slice(0, graph.inputs.length), `${short}: the inputs`);
      assertInitializerTypes(original, m, short);
      const feeds = Object.fromEntries(graph.inputs.map((gi, k) => [gi.name, ortTensor(ort, m.graph!.input[k]!.type!.tensorType!.elemType, ins[k]!.data as ArrayLike<number>, ins[k]!.dims)]));
      const got = await runOrt(ort, written, feeds);
      if (FOLLOWS_PYTORCH.has(short)) {
        // PyTorch's arithmetic, as normkit computes it
        const mine = runGraph(graph, Object.fromEntries(graph.inputs.map((gi, k) => [gi.name, new Tensor(Float32Array.from(ins[k]!.data as ArrayLike<number>), ins[k]!.dims)])), { training: false });
        mine.forEach((y, k) => assert.equal(differs(got[k]!, { dims: [...y.shape], data: y.data }), null, `${short} output ${k} against normkit`));
        followed++;
      } else want.forEach((w, k) => assert.equal(differs(got[k]!, w), null, `${short} output ${k}`));
      assert.deepEqual(modulePaths(importOnnx(written).graph), modulePaths(graph), `${short}: module paths`);
      passed++;
    } catch (e) {
      failures.push(`${c.name}: ${(e as Error).message.split('\n')[0]}`);
    }
  }
  console.log(`# ${passed} node tests written back and rerun (${followed} against normkit's PyTorch arithmetic); skipped: ${[...skipped].map(([k, v]) => `${k} ${v}`).join(', ')}`);
  assert.deepEqual(failures, []);
  assert.ok(passed >= 650, `only ${passed} node tests written back`);
  assert.equal(followed, FOLLOWS_PYTORCH.size);
});
