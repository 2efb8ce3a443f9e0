/**
 * The same passes in onnxruntime-node (one-node ONNX models) and in
 * TensorFlow.js (moments-based normalization, tf.grads for the backward).
 */
import { EPS, GROUPS, type BenchCase, type BenchData, type PassResult } from './cases.js';
import type { OnnxNodeSpec } from './onnx.js';
import type { Tf } from './tfjs.js';

/** The ONNX node computing the case's forward pass, or null (ONNX Runtime does no backward). */
export function onnxSpec(c: BenchCase, d: BenchData): OnnxNodeSpec | null {
  if (c.pass !== 'forward') return null;
  const [, C, H, W] = d.shape;
  const scaleBias = [
    { name: 'scale', dims: [C], data: d.w },
    { name: 'B', dims: [C], data: d.b },
  ];
  switch (c.op) {
    case 'InstanceNorm2d':
      return { opType: 'InstanceNormalization', opset: 17, initializers: scaleBias, floatAttrs: { epsilon: EPS } };
    case 'BatchNorm2d':
      // Training mode: batch statistics, like normkit's BatchNorm2d in train(); running stats are extra outputs.
      return {
        opType: 'BatchNormalization',
        opset: 15,
        initializers: [...scaleBias, { name: 'input_mean', dims: [C], data: new Float32Array(C) }, { name: 'input_var', dims: [C], data: new Float32Array(C).fill(1) }],
        floatAttrs: { epsilon: EPS, momentum: 0.9 },
        intAttrs: { training_mode: 1 },
        extraOutputs: [{ name: 'running_mean', dims: [C] }, { name: 'running_var', dims: [C] }],
      };
    case 'GroupNorm':
      // Opset 21: scale and bias per channel, as torch.nn.GroupNorm.
      return { opType: 'GroupNormalization', opset: 21, initializers: scaleBias, floatAttrs: { epsilon: EPS }, intAttrs: { num_groups: GROUPS } };
    case 'LayerNorm':
      return {
        opType: 'LayerNormalization',
        opset: 17,
        initializers: [{ name: 'scale', dims: [H, W], data: d.lw }, { name: 'B', dims: [H, W], data: d.lb }],
        floatAttrs: { epsilon: EPS },
        intAttrs: { axis: 2 },
      };
  }
}

export interface TfRunner {
  run(): PassResult;
  dispose(): void;
}

/** The case in tfjs: (x - mean) * rsqrt(var + eps) * w + b with tf.moments; outputs read back with dataSync. */
export function tfjsRunner(tf: Tf, c: BenchCase, d: BenchData): TfRunner {
  const [N, C, H, W] = d.shape;
  const x = tf.tensor(d.x, d.shape);
  const dy = tf.tensor(d.dy, d.shape);
  const perHW = c.op === 'LayerNorm';
  const w = perHW ? tf.tensor(d.lw, [H, W]) : tf.tensor(d.w, [1, C, 1, 1]);
  const b = perHW ? tf.tensor(d.lb, [H, W]) : tf.tensor(d.b, [1, C, 1, 1]);
  type T = ReturnType<typeof tf.tensor>;
  const normalize = (v: T, axes: number[]): T => {
    const { mean, variance } = tf.moments(v, axes, true);
    return tf.mul(tf.sub(v, mean), tf.rsqrt(tf.add(variance, EPS)));
  };
  const f = (xs: T, ws: T, bs: T): T => {
    let y: T;
    if (c.op === 'InstanceNorm2d' || c.op === 'LayerNorm') y = normalize(xs, [2, 3]);
    else if (c.op === 'BatchNorm2d') y = normalize(xs, [0, 2, 3]);
    else y = tf.reshape(normalize(tf.reshape(xs, [N, GROUPS, (C / GROUPS) * H * W]), [2]), d.shape);
    return tf.add(tf.mul(y, ws), bs);
  };
  const read = (t: T): Float32Array => t.dataSync() as Float32Array;
  const dispose = () => tf.dispose([x, dy, w, b]);
  if (c.pass === 'forward') {
    return {
      run() {
        const y = tf.tidy(() => f(x, w, b));
        const out = read(y);
        y.dispose();
        return [out];
      },
      dispose,
    };
  }
  const grads = tf.grads((xs: T, ws: T, bs: T) => f(xs, ws, bs));
  return {
    run() {
      const gs = tf.tidy(() => grads([x, w, b], dy));
      const out = gs.map(read);
      tf.dispose(gs);
      return out;
    },
    dispose,
  };
}
