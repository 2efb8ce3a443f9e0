/**
 * toOnnx layer by layer: the models of test/fixtures/onnx-export/cases.json
 * (the layers of #9, adaptive pools to other sizes, Upsample with size,
 * tracked InstanceNorm, conv padding modes, Flatten of other dims, LayerNorm
 * below opset 17, ...), each exported at its opsets, run in onnxruntime and
 * re-imported: both give normkit's eval-mode output within 1e-4, the
 * re-imported graph has modules at the model's paths (and the classes the
 * case names). Where torch 1.13 exports the same model, the nodes that
 * compute on the input are torch's, in torch's order, with torch's names and
 * attributes (torch_ops.json, recorded by gen_torch_ops.py).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { decodeModel, importOnnx, toOnnx } from '../../../src/formats/onnx/index.js';
import { assertTorchNodes, build, computing, runOrt, worst, type TorchNode } from './export_helpers.js';
import { runGraph } from '../../../src/graph/interpret.js';
import { lowerModule } from '../../../src/graph/lower.js';
import type { Graph } from '../../../src/graph/graph.js';
import type { Module } from '../../../src/nn/module.js';
import { graphFromGeneral } from '../../../src/spec/general.js';
import { randn } from '../../../src/tensor/creation.js';
import { manualSeed } from '../../../src/tensor/random.js';
import type { Tensor } from '../../../src/tensor/tensor.js';
import { noGrad } from '../../../src/tensor/grad_mode.js';
import '../../../src/ops/methods.js';
import { loadOrt } from '../../optional_peers.js';
import { ROOT } from './corpus.js';

const ort = await loadOrt();
const DIR = join(ROOT, 'test/fixtures/onnx-export');

interface Case {
  name: string;
  /** A tree-form spec and its input size, or a general-form graph with its inputs. */
  input?: number[];
  spec?: unknown;
  graph?: { inputs: Record<string, number[]>; nodes: unknown[]; outputs: string[] };
  opsets?: number[];
  torch?: boolean;
  scale?: number;
  classes?: Record<string, string>;
  dynamic?: Record<string, string>;
}

/** The case's model as a graph (with its module paths), seeded inputs and normkit's eval-mode outputs. */
function setup(c: Case): { graph: Graph; paths: Set<string>; inputs: Record<string, number[]>; xs: Record<string, Tensor>; ys: Tensor[]; model: Module | Graph } {
  if (c.graph) {
    manualSeed(5);
    const { graph } = graphFromGeneral(c.graph);
    const xs = Object.fromEntries(Object.entries(c.graph.inputs).map(([k, s]) => [k, randn(s).mul(c.scale ?? 1)]));
    const ys = noGrad(() => runGraph(graph, xs, { training: false }));
    const paths = new Set(['', ...graph.nodes.map((n) => n.scope)]);
    return { graph, paths, inputs: c.graph.inputs, xs, ys, model: graph };
  }
  const model = build(c.spec);
  const x = randn(c.input!).mul(c.scale ?? 1);
  const ys = [noGrad(() => model.call(x))];
  return { graph: lowerModule(model), paths: new Set([...model.namedModules()].map(([p]) => p)), inputs: { input: c.input! }, xs: { input: x }, ys, model };
}

const CASES = (JSON.parse(readFileSync(join(DIR, 'cases.json'), 'utf8')) as { cases: Case[] }).cases;
const TORCH = JSON.parse(readFileSync(join(DIR, 'torch_ops.json'), 'utf8')) as Record<string, TorchNode[]>;

for (const c of CASES) {
  for (const opset of c.opsets ?? [13, 17, 18]) {
    test(`toOnnx ${c.name} (opset ${opset}): onnxruntime and the re-import give normkit's output${TORCH[`${c.name} @${opset}`] ? "; the nodes are torch's" : ''}`, async () => {
      const { paths, inputs, xs, ys, model } = setup(c);
      const named: Record<string, (number | string)[]> = Object.fromEntries(Object.entries(inputs).map(([k, s]) => [k, s.map((d, i) => c.dynamic?.[String(i)] ?? d)]));
      const bytes = toOnnx(model, { inputs: named, opset });
      const torch = TORCH[`${c.name} @${opset}`];
      if (torch) assertTorchNodes(computing(decodeModel(bytes)), torch);
      const { graph } = importOnnx(bytes);
      const zs = runGraph(graph, xs, { training: false });
      ys.forEach((y, i) => {
        assert.deepEqual(zs[i]!.shape, y.shape);
        assert.ok(worst(zs[i]!.data, y.data) <= 1e-4, `re-imported output ${i}: ${worst(zs[i]!.data, y.data)}`);
      });
      const modules = graph.nodes.filter((n) => n.module !== undefined);
      assert.deepEqual(modules.map((n) => n.scope).filter((p) => !paths.has(p)), [], 'module paths that the model does not have');
      for (const [path, cls] of Object.entries(c.classes ?? {})) {
        assert.ok(modules.some((n) => n.scope === path && n.op === cls), `no ${cls} at '${path}' (${modules.map((n) => `${n.op} ${n.scope}`).join(', ')})`);
      }
      if (ort === null) return;
      const outs = await runOrt(ort, bytes, xs);
      ys.forEach((y, i) => {
        assert.deepEqual(outs[i]!.dims, y.shape);
        assert.ok(worst(outs[i]!.data, y.data) <= 1e-4, `onnxruntime output ${i}: ${worst(outs[i]!.data, y.data)}`);
      });
      if (c.dynamic === undefined || c.spec === undefined) return;
      // a file with dynamic dims runs at another size (the dynamic dims doubled)
      const other = c.input!.map((d, i) => (c.dynamic![String(i)] !== undefined ? 2 * d : d));
      const x2 = randn(other);
      const y2 = noGrad(() => (model as Module).call(x2));
      const [o2] = await runOrt(ort, bytes, { input: x2 });
      assert.deepEqual(o2!.dims, y2.shape);
      assert.ok(worst(o2!.data, y2.data) <= 1e-4, `onnxruntime at ${other.join('x')}: ${worst(o2!.data, y2.data)}`);
      const [z2] = runGraph(graph, { input: x2 }, { training: false });
      assert.ok(worst(z2!.data, y2.data) <= 1e-4, `re-imported at ${other.join('x')}`);
    });
  }
}
