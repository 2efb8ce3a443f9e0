/**
 * normkit's normalization layers against onnxruntime-node (forward) and
 * TensorFlow.js on its wasm backend (forward and backward), through the
 * benchmark's own harness (bench/: one-node ONNX models, tf.moments maths),
 * on small shapes. Skipped, with the reason, when the optional peers are not
 * installed (`npm run setup:full` installs them; CI does).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import '../../src/tensor/methods.js';
import { missingPeers, importBench } from '../optional_peers.js';

// The bench modules' shapes, as far as these tests use them.
type PassResult = Float32Array[];
interface BenchCase { op: string; pass: string }
interface BenchData { shape: [number, number, number, number]; x: Float32Array }
interface CasesModule {
  CASES: readonly BenchCase[];
  makeData(shape: [number, number, number, number]): BenchData;
  normkitRunner(c: BenchCase, d: BenchData): () => PassResult;
}
interface OnnxModule {
  buildModel(shape: readonly number[], spec: unknown): Uint8Array;
  ortRunner(model: Uint8Array, x: Float32Array, shape: readonly number[], threads: number): Promise<{ run(): Promise<Float32Array>; release(): Promise<void> }>;
}
interface PeersModule {
  onnxSpec(c: BenchCase, d: BenchData): unknown;
  tfjsRunner(tf: unknown, c: BenchCase, d: BenchData): { run(): PassResult; dispose(): void };
}
interface TfjsModule { loadTfjs(): Promise<unknown> }

const SHAPES: [number, number, number, number][] = [
  [2, 16, 6, 5],
  [1, 8, 1, 7],
];

function assertNear(got: Float32Array, want: Float32Array, what: string): void {
  assert.equal(got.length, want.length, `${what}: length`);
  let worst = 0;
  for (let i = 0; i < got.length; i++) worst = Math.max(worst, Math.abs(got[i]! - want[i]!) / (1e-5 + 1e-4 * Math.abs(want[i]!)));
  assert.ok(worst <= 1, `${what}: differs by ${worst.toFixed(2)} x (1e-5 + 1e-4 |want|)`);
}

const noOrt = missingPeers('onnxruntime-node', 'protobufjs');
test('normalization forward passes match onnxruntime-node', { skip: noOrt ?? false }, async () => {
  const { CASES, makeData, normkitRunner } = await importBench<CasesModule>('cases');
  const { buildModel, ortRunner } = await importBench<OnnxModule>('onnx');
  const { onnxSpec } = await importBench<PeersModule>('peers');
  let checked = 0;
  for (const shape of SHAPES) {
    const d = makeData(shape);
    for (const c of CASES) {
      const spec = onnxSpec(c, d);
      if (!spec) continue;
      const r = await ortRunner(buildModel(shape, spec), d.x, shape, 1);
      assertNear(await r.run(), normkitRunner(c, d)()[0]!, `${c.op} ${c.pass} [${shape.join(', ')}]`);
      await r.release();
      checked++;
    }
  }
  assert.equal(checked, 8);
});

const noTf = missingPeers('@tensorflow/tfjs-core', '@tensorflow/tfjs-backend-wasm');
test('normalization forward and backward passes match TensorFlow.js (wasm backend)', { skip: noTf ?? false }, async () => {
  const { CASES, makeData, normkitRunner } = await importBench<CasesModule>('cases');
  const { tfjsRunner } = await importBench<PeersModule>('peers');
  const tf = await (await importBench<TfjsModule>('tfjs')).loadTfjs();
  for (const shape of SHAPES) {
    const d = makeData(shape);
    for (const c of CASES) {
      const r = tfjsRunner(tf, c, d);
      const got = r.run();
      const want = normkitRunner(c, d)();
      assert.equal(got.length, want.length);
      got.forEach((g, i) => assertNear(g, want[i]!, `${c.op} ${c.pass} [${shape.join(', ')}] output ${i}`));
      r.dispose();
    }
  }
});
