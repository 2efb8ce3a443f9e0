/** sweep(): outcome per size along square / length / batch, and the working set (not always an interval). */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { describeSizes, shapeAt, sweep } from '../../src/analysis/sweep.js';
import { fromSpec } from '../../src/spec/spec.js';
import '../../src/ops/methods.js';

const L = (module: string, args?: Record<string, unknown>) => (args ? { module, args } : { module });
const Seq = (...layers: unknown[]) => ({ module: 'Sequential', layers });

test('shapeAt replaces the swept dimension', () => {
  assert.deepEqual(shapeAt([2, 3, 9, 9], 'square', 5), [2, 3, 5, 5]);
  assert.deepEqual(shapeAt([2, 3, 9], 'length', 5), [2, 3, 5]);
  assert.deepEqual(shapeAt([2, 3, 9, 9], 'batch', 5), [5, 3, 9, 9]);
});

test('describeSizes: intervals, progressions, scattered sets', () => {
  assert.equal(describeSizes([]), 'none');
  assert.equal(describeSizes([17, 18, 19, 20]), '17..20');
  assert.equal(describeSizes([8, 12, 16, 20, 24]), '8, 12, ..., 24 (every 4 from 8)');
  assert.equal(describeSizes([2, 3, 4, 5, 9, 11, 12]), '2..5, 9, 11..12');
});

test('a skip concat around a down/up path works only at multiples of 4 (from 8)', () => {
  const conv = (i: number, o: number) => L('Conv2d', { in_channels: i, out_channels: o, kernel_size: 3, padding: 1 });
  const m = fromSpec(
    Seq(conv(3, 8), L('InstanceNorm2d', { num_features: 8 }), {
      module: 'Concat',
      dim: 1,
      branches: [
        L('Identity'),
        Seq(L('MaxPool2d', { kernel_size: 2 }), conv(8, 8), L('InstanceNorm2d', { num_features: 8 }), L('MaxPool2d', { kernel_size: 2 }), conv(8, 8), L('InstanceNorm2d', { num_features: 8 }), L('Upsample', { scale_factor: 4 })),
      ],
    }),
  );
  const s = sweep(m, 'square', [1, 40], { baseShape: [2, 3, 32, 32] });
  assert.deepEqual(s.workingSizes, [8, 12, 16, 20, 24, 28, 32, 36, 40]);
  assert.equal(s.smallestWorkingSize, 8);
  assert.equal(s.summary, '8, 12, ..., 40 (every 4 from 8)');
  assert.deepEqual(s.healthySizes, s.workingSizes);
  const at = (n: number) => s.points[n - 1]!;
  assert.deepEqual(at(2).raisedIn, { path: '2.branches.1.2', type: 'InstanceNorm2d' });
  assert.deepEqual(at(9).raisedIn, { path: '2', type: 'Concat' });
  assert.equal(at(9).error!.message, 'Sizes of tensors must match except in dimension 1. Expected size 9 but got size 8 for tensor number 1 in the list.');
  assert.deepEqual(at(8).outputShape, [2, 16, 8, 8]);
});

test('length sweep of a keypoint encoder, batch sweep of a BatchNorm head (train vs eval)', () => {
  const kp = fromSpec(Seq(L('Conv1d', { in_channels: 2, out_channels: 4, kernel_size: 1 }), L('InstanceNorm1d', { num_features: 4 })));
  const s = sweep(kp, 'length', { from: 1, to: 6 }, { baseShape: [1, 2, 10] });
  assert.deepEqual(s.workingSizes, [2, 3, 4, 5, 6]);
  assert.equal(s.points[0]!.error!.message, 'Expected more than 1 spatial element when training, got input size [1, 4, 1]');

  const head = fromSpec(Seq(L('AdaptiveAvgPool2d', { output_size: 1 }), L('BatchNorm2d', { num_features: 3 })));
  assert.deepEqual(sweep(head, 'batch', [1, 4], { baseShape: [2, 3, 8, 8] }).workingSizes, [2, 3, 4]);
  assert.deepEqual(sweep(head, 'batch', [1, 4], { baseShape: [2, 3, 8, 8], mode: 'eval' }).workingSizes, [1, 2, 3, 4]);
});

test('degenerate sizes run (they are working sizes) but are not healthy', () => {
  const m = fromSpec(Seq(L('AdaptiveAvgPool2d', { output_size: 1 }), L('Upsample', { size: 4 }), L('InstanceNorm2d', { num_features: 3 })));
  const s = sweep(m, 'square', [1, 3], { baseShape: [2, 3, 8, 8] });
  assert.deepEqual(s.workingSizes, [1, 2, 3]);
  assert.deepEqual(s.healthySizes, []);
  assert.deepEqual(s.points.map((p) => [p.outcome, p.degenerateAt]), [['degenerate', ['2']], ['degenerate', ['2']], ['degenerate', ['2']]]);
});

test('default base shape from the first layer; bad arguments are ValueErrors', () => {
  const m = fromSpec(Seq(L('Conv2d', { in_channels: 5, out_channels: 2, kernel_size: 3 })));
  assert.deepEqual(sweep(m, 'square', [3, 3]).points[0]!.inputShape, [2, 5, 3, 3]);
  assert.throws(() => sweep(m, 'square', [0, 3]), { name: 'ValueError' });
  assert.throws(() => sweep(m, 'diagonal' as 'square', [1, 3]), { name: 'ValueError' });
  assert.throws(() => sweep(fromSpec(Seq(L('ReLU'))), 'square', [1, 3]), { name: 'ValueError', message: /pass baseShape/ });
});
