/**
 * The importer against ONNX's own backend node tests (../shared/external/
 * onnx-node-tests and Debian's libonnx-testdata): every test whose ops the
 * importer supports is imported, interpreted on its inputs, and every output
 * compared within ONNX's runner tolerance (rtol 1e-3, atol 1e-7). Graph
 * inputs after the first are bound as constants (ONNX lets initializers
 * shadow inputs): a node test's weights are inputs, a PyTorch export's are
 * initializers. Where normkit follows PyTorch and PyTorch refuses what ONNX
 * computes, the test must raise PyTorch's error: those are listed below.
 * Tests with an unsupported op are skipped and counted by op.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { NormkitError } from '../../../src/errors.js';
import { decodeModel, decodeTensor, OnnxError, tensorData, type OnnxTensor } from '../../../src/formats/onnx/index.js';
import { importOnnx } from '../../../src/formats/onnx/import/import.js';
import { runGraph } from '../../../src/graph/interpret.js';
import { Tensor } from '../../../src/tensor/tensor.js';
import { corpusCases, extraCases } from './corpus.js';

/**
 * Where normkit raises PyTorch's error and onnxruntime computes a value:
 * test name → the error message's pattern.
 */
const FOLLOWS_PYTORCH: Record<string, RegExp> = {
  // MaxPool2d/AvgPool2d(3, padding=2): PyTorch refuses padding over half the kernel.
  test_averagepool_2d_pads: /^pad should be at most half of kernel size, but got pad=2 and kernel_size=3$/,
  test_averagepool_2d_pads_count_include_pad: /^pad should be at most half of kernel size, but got pad=2 and kernel_size=3$/,
  test_maxpool_2d_pads: /^pad should be at most half of kernel size, but got pad=2 and kernel_size=3$/,
};

/**
 * Known differences that are not PyTorch's refusals (to fix): test name → why.
 */
const KNOWN_DIFFERENCES: Record<string, string> = {
  // Upsample(scale_factor=0.6, mode='bilinear', align_corners=True): PyTorch maps corners with (in-1)/(out-1) of the
  // whole output size (2), ONNX with the unrounded in*scale (2.4): PyTorch gives 4 where ONNX gives 3.14.
  test_resize_downsample_scales_linear_align_corners: "PyTorch's align_corners arithmetic uses the integer output size",
  // pytorch_half_pixel with an output length of 1: ONNX takes source position 0, PyTorch 1.13 (in/out)*(0.5)-0.5 = 1.5.
  test_resize_downsample_sizes_linear_pytorch_half_pixel: "PyTorch's bilinear at an output length of 1 differs from ONNX's pytorch_half_pixel",
};

const RTOL = 1e-3;
const ATOL = 1e-7;

interface Outcome {
  status: 'pass' | 'follows-pytorch' | 'skip' | 'fail' | 'known';
  why?: string;
}

function load(file: string): OnnxTensor {
  return tensorData(decodeTensor(readFileSync(file)));
}

function runCase(c: ReturnType<typeof corpusCases>[number]): Outcome {
  const bytes = readFileSync(c.model);
  const model = decodeModel(bytes);
  const g = model.graph!;
  const inits = new Set(g.initializer.map((t) => t.name));
  const inputs = g.input.filter((i) => !inits.has(i.name));
  const data = c.data.filter((d) => d.file.includes('test_data_set_0'));
  let ins: OnnxTensor[];
  let outs: OnnxTensor[];
  try {
    ins = data.filter((d) => d.io === 'input').sort((a, b) => a.index - b.index).map((d) => load(d.file));
    outs = data.filter((d) => d.io === 'output').sort((a, b) => a.index - b.index).map((d) => load(d.file));
  } catch (e) {
    if (e instanceof OnnxError) return { status: 'skip', why: `data: ${e.message.replace(/.*: /, '')}` };
    throw e;
  }
  if (ins.length !== inputs.length || outs.length !== g.output.length) return { status: 'skip', why: 'optional inputs/outputs omitted' };
  const constants: Record<string, OnnxTensor> = {};
  inputs.slice(1).forEach((vi, k) => (constants[vi.name] = ins[k + 1]!));
  let imported;
  try {
    imported = importOnnx(model, { constants });
  } catch (e) {
    if (e instanceof OnnxError) return { status: 'skip', why: e.message };
    throw e;
  }
  const training = g.node.some((n) => n.opType === 'BatchNormalization' && n.attribute.some((a) => a.name === 'training_mode' && a.i === 1));
  const feed: Record<string, Tensor> = {};
  if (inputs.length > 0 && imported.graph.inputs.length > 0) feed[inputs[0]!.name] = new Tensor(Float32Array.from(ins[0]!.data as ArrayLike<number>), ins[0]!.dims);
  let ys: Tensor[];
  try {
    ys = runGraph(imported.graph, feed, { training });
  } catch (e) {
    const follows = FOLLOWS_PYTORCH[c.name.replace(/^.*\//, '')];
    if (follows && e instanceof NormkitError && follows.test(e.message)) return { status: 'follows-pytorch', why: e.message };
    return { status: 'fail', why: `raised ${e instanceof Error ? `${e.name}: ${e.message}` : String(e)}` };
  }
  for (let k = 0; k < outs.length; k++) {
    const want = outs[k]!;
    const got = ys[k]!;
    if (got.shape.join() !== want.dims.join()) return { status: 'fail', why: `output ${k}: shape [${got.shape.join(', ')}], want [${want.dims.join(', ')}]` };
    if (got.isMeta) return { status: 'fail', why: `output ${k} has no values` };
    const w = want.data as ArrayLike<number>;
    for (let i = 0; i < w.length; i++) {
      const a = got.data[i]!;
      const b = w[i]!;
      if (Number.isNaN(b) ? !Number.isNaN(a) : !(a === b || Math.abs(a - b) <= ATOL + RTOL * Math.abs(b))) {
        return { status: 'fail', why: `output ${k}[${i}] = ${a}, want ${b}` };
      }
    }
  }
  return { status: 'pass' };
}

test('ONNX backend node tests: every supported test gives ONNX\'s outputs (rtol 1e-3, atol 1e-7) or PyTorch\'s refusal', () => {
  const cases = [...corpusCases(), ...extraCases()];
  assert.ok(cases.length > 0, 'no node tests found');
  const passedByOp = new Map<string, number>();
  const skippedByOp = new Map<string, number>();
  const failures: string[] = [];
  const followed: string[] = [];
  const known: string[] = [];
  let passed = 0;
  for (const c of cases) {
    const model = decodeModel(readFileSync(c.model));
    const ops = [...new Set(model.graph!.node.map((n) => n.opType))].join('+');
    const o = runCase(c);
    const short = c.name.replace(/^.*\//, '');
    if (o.status === 'pass') {
      passed++;
      passedByOp.set(ops, (passedByOp.get(ops) ?? 0) + 1);
    } else if (o.status === 'follows-pytorch') followed.push(`${c.name}: ${o.why}`);
    else if (o.status === 'skip') {
      skippedByOp.set(ops, (skippedByOp.get(ops) ?? 0) + 1);
      if (process.env['NORMKIT_NODE_TESTS_VERBOSE']) console.log(`skip ${c.name}: ${o.why}`);
    } else if (KNOWN_DIFFERENCES[short] !== undefined) known.push(short);
    else failures.push(`${c.name} (${ops}): ${o.why}`);
  }
  const fmt = (m: Map<string, number>) => [...m].sort((a, b) => a[0].localeCompare(b[0])).map(([k, v]) => `${k} ${v}`).join(', ');
  console.log(`node tests: ${cases.length}, passed ${passed}, following PyTorch ${followed.length}, failed ${failures.length}`);
  console.log(`passed by op: ${fmt(passedByOp)}`);
  console.log(`following PyTorch:\n  ${followed.join('\n  ')}`);
  console.log(`skipped (unsupported) by op: ${fmt(skippedByOp)}`);
  if (failures.length) console.log(`FAILED:\n  ${failures.join('\n  ')}`);
  console.log(`known differences (PyTorch's arithmetic): ${known.join(', ')}`);
  assert.deepEqual(failures, []);
  // The lists are exact: every entry is a test that exists here and still behaves as listed.
  const present = new Set(cases.map((c) => c.name.replace(/^.*\//, '')));
  const followedNames = new Set(followed.map((f) => f.replace(/^[^/]*\//, '').replace(/:.*$/, '')));
  for (const k of Object.keys(FOLLOWS_PYTORCH)) if (present.has(k)) assert.ok(followedNames.has(k), `${k} no longer raises PyTorch's error`);
  for (const k of Object.keys(KNOWN_DIFFERENCES)) if (present.has(k)) assert.ok(known.includes(k), `${k} no longer differs`);
  assert.ok(passed >= 200, `${passed} node tests passed`);
});
