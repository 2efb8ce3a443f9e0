/**
 * Losses: hand-computed values (PyTorch's definitions), reductions, weights,
 * ignore_index, label smoothing, probability targets, stability, errors,
 * gradients by finite differences, and the nn modules.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { IndexError, RuntimeError, Tensor, ValueError, manualSeed, nn, rand, randn, tensor } from '../../src/index.js';
import {
  binaryCrossEntropyWithLogits,
  crossEntropy,
  l1Loss,
  mseLoss,
  nllLoss,
} from '../../src/ops/loss.js';
import { assertClose, checkGradients } from '../helpers.js';

const logSumExp = (row: number[]) => {
  const m = Math.max(...row);
  return m + Math.log(row.reduce((s, v) => s + Math.exp(v - m), 0));
};
/** -log softmax(row)[c] */
const ceRow = (row: number[], c: number) => logSumExp(row) - row[c]!;

test('mse and l1 losses with every reduction', () => {
  const a = tensor([[1, 2], [3, 4]]);
  const b = tensor([[0, 2], [5, 3.5]]);
  assertClose(mseLoss(a, b), [(1 + 0 + 4 + 0.25) / 4]);
  assertClose(mseLoss(a, b, { reduction: 'sum' }), [5.25]);
  assertClose(mseLoss(a, b, { reduction: 'none' }), [1, 0, 4, 0.25]);
  assertClose(l1Loss(a, b), [(1 + 0 + 2 + 0.5) / 4]);
  assertClose(l1Loss(a, b, { reduction: 'sum' }), [3.5]);
  assertClose(l1Loss(a, b, { reduction: 'none' }), [1, 0, 2, 0.5]);
});

test('an unknown reduction is a ValueError', () => {
  assert.throws(() => mseLoss(tensor([1]), tensor([1]), { reduction: 'avg' as never }), (e: Error) => e instanceof ValueError && /avg is not a valid value for reduction/.test(e.message));
});

test('mse/l1 gradients match finite differences', () => {
  manualSeed(2);
  const t = randn([3, 4]);
  checkGradients((x) => mseLoss(x, t, { reduction: 'none' }), [randn([3, 4])]);
  checkGradients((x, y) => mseLoss(x, y), [randn([3, 4]), randn([3, 4])]);
  // l1 is not differentiable at x == t; random inputs stay away from it.
  checkGradients((x) => l1Loss(x, t, { reduction: 'sum' }), [randn([3, 4])], { eps: 1e-3 });
});

test('cross entropy with class indices: the mean of -log softmax at the target', () => {
  const rows = [[1, 2, 3], [0, 0, 0], [-1, 5, 2]];
  const tgt = [2, 0, 1];
  const want = rows.map((r, i) => ceRow(r, tgt[i]!));
  assertClose(crossEntropy(tensor(rows), tgt), [(want[0]! + want[1]! + want[2]!) / 3], 1e-6);
  assertClose(crossEntropy(tensor(rows), tensor(tgt), { reduction: 'sum' }), [want[0]! + want[1]! + want[2]!], 1e-5);
  assertClose(crossEntropy(tensor(rows), tgt, { reduction: 'none' }), want, 1e-6);
  // Unbatched input [C] with a 0-d target.
  assertClose(crossEntropy(tensor([1, 2, 3]), 0), [ceRow([1, 2, 3], 0)], 1e-6);
});

test('cross entropy class weights: the mean divides by the summed weights of the targets', () => {
  const rows = [[1, 2, 3], [0, 0, 0], [-1, 5, 2]];
  const tgt = [2, 0, 2];
  const w = [0.5, 1, 3];
  const num = rows.reduce((s, r, i) => s + w[tgt[i]!]! * ceRow(r, tgt[i]!), 0);
  const den = w[2]! + w[0]! + w[2]!;
  assertClose(crossEntropy(tensor(rows), tgt, { weight: tensor(w) }), [num / den], 1e-6);
  assertClose(crossEntropy(tensor(rows), tgt, { weight: tensor(w), reduction: 'none' }), rows.map((r, i) => w[tgt[i]!]! * ceRow(r, tgt[i]!)), 1e-6);
  assert.throws(() => crossEntropy(tensor(rows), tgt, { weight: tensor([1, 2]) }), RuntimeError);
});

test('ignore_index drops a target from the sum and from the mean denominator', () => {
  const rows = [[1, 2, 3], [0, 0, 0], [-1, 5, 2]];
  assertClose(crossEntropy(tensor(rows), [2, -100, 1]), [(ceRow(rows[0]!, 2) + ceRow(rows[2]!, 1)) / 2], 1e-6);
  assertClose(crossEntropy(tensor(rows), [2, 1, 1], { ignoreIndex: 1, reduction: 'none' }), [ceRow(rows[0]!, 2), 0, 0], 1e-6);
  // Nothing left to average: 0/0, as PyTorch.
  assert.ok(Number.isNaN(crossEntropy(tensor(rows), [-100, -100, -100]).item()));
  assert.equal(crossEntropy(tensor(rows), [-100, -100, -100], { reduction: 'sum' }).item(), 0);
});

test('spatial cross entropy [N, C, d] equals the 2-d loss over every position', () => {
  manualSeed(3);
  const x = randn([2, 3, 4]);
  const t = [0, 2, 1, 1, 2, 2, 0, 1];
  const flat = x.permute(0, 2, 1).reshape(8, 3);
  assertClose(crossEntropy(x, tensor(t, [2, 4])), crossEntropy(flat, t).data, 1e-6);
  assertClose(crossEntropy(x, tensor(t, [2, 4]), { reduction: 'none' }), crossEntropy(flat, t, { reduction: 'none' }).data, 1e-6);
  assert.deepEqual(crossEntropy(x, tensor(t, [2, 4]), { reduction: 'none' }).shape, [2, 4]);
  assert.throws(() => crossEntropy(x, tensor([0, 1, 2, 0, 1, 2], [2, 3])), RuntimeError);
});

test('label smoothing: (1 - s) * nll + s * mean over classes of -log p', () => {
  const rows = [[1, 2, 3], [0, 0, 0], [-1, 5, 2]];
  const tgt = [2, 0, 1];
  const s = 0.2;
  const per = rows.map((r, i) => {
    const lse = logSumExp(r);
    const smooth = r.reduce((acc, v) => acc + (lse - v), 0) / 3;
    return (1 - s) * ceRow(r, tgt[i]!) + s * smooth;
  });
  assertClose(crossEntropy(tensor(rows), tgt, { labelSmoothing: s, reduction: 'none' }), per, 1e-5);
  assertClose(crossEntropy(tensor(rows), tgt, { labelSmoothing: s }), [(per[0]! + per[1]! + per[2]!) / 3], 1e-5);
  // With an ignored target, both terms average over the two remaining rows.
  const smoothSum = (r: number[]) => r.reduce((acc, v) => acc + (logSumExp(r) - v), 0);
  const kept = ((1 - s) * (ceRow(rows[0]!, 2) + ceRow(rows[2]!, 1))) / 2 + ((smoothSum(rows[0]!) + smoothSum(rows[2]!)) / 2) * (s / 3);
  assertClose(crossEntropy(tensor(rows), [2, -100, 1], { labelSmoothing: s }), [kept], 1e-5);
  assert.throws(() => crossEntropy(tensor(rows), tgt, { labelSmoothing: 1.5 }), RuntimeError);
});

test('probability targets (same shape as the input) and one-hot targets agree with indices', () => {
  const rows = [[1, 2, 3], [0, 0, 0]];
  const p = [[0.2, 0.3, 0.5], [1, 0, 0]];
  const want = rows.map((r, i) => p[i]!.reduce((s, pc, c) => s + pc * ceRow(r, c), 0));
  assertClose(crossEntropy(tensor(rows), tensor(p)), [(want[0]! + want[1]!) / 2], 1e-6);
  const oneHot = tensor([[0, 0, 1], [0, 1, 0]]);
  assertClose(crossEntropy(tensor(rows), oneHot, { reduction: 'none' }), crossEntropy(tensor(rows), [2, 1], { reduction: 'none' }).data, 1e-6);
  assert.throws(() => crossEntropy(tensor(rows), tensor(p), { ignoreIndex: 0 }), RuntimeError);
});

test('cross entropy errors: out-of-range and non-integer targets, batch mismatch, 0-d input', () => {
  const x = tensor([[1, 2, 3], [0, 0, 0]]);
  assert.throws(() => crossEntropy(x, [0, 3]), (e: Error) => e instanceof IndexError && e.message === 'Target 3 is out of bounds.');
  assert.throws(() => crossEntropy(x, [0, -1]), IndexError);
  assert.throws(() => crossEntropy(x, [0, 1.5]), RuntimeError);
  assert.throws(() => crossEntropy(x, [0, 1, 2]), (e: Error) => e instanceof ValueError && /batch_size \(2\).*batch_size \(3\)/.test(e.message));
  assert.throws(() => crossEntropy(tensor(1), tensor(0)), ValueError);
});

test('cross entropy gradients (weights, smoothing, spatial, probabilities) match finite differences', () => {
  manualSeed(4);
  const opts = { atol: 5e-3, rtol: 5e-3 };
  checkGradients((x) => crossEntropy(x, [0, 2, 1, 1]), [randn([4, 3])], opts);
  checkGradients((x) => crossEntropy(x, [0, 2, -100, 1], { weight: tensor([0.2, 1, 2]) }), [randn([4, 3])], opts);
  checkGradients((x) => crossEntropy(x, tensor([0, 2, 1, 1, 0, 2], [2, 3]), { labelSmoothing: 0.1, weight: tensor([1, 2, 3]) }), [randn([2, 3, 3])], opts);
  checkGradients((x) => crossEntropy(x, tensor([0, 2, 1, 1], [2, 2]), { reduction: 'none' }), [randn([2, 3, 2])], opts);
  const probs = rand([3, 4]);
  checkGradients((x) => crossEntropy(x, probs, { labelSmoothing: 0.3 }), [randn([3, 4])], opts);
});

test('nll_loss on log-probabilities picks -input[n, target]', () => {
  const lp = tensor([[-1, -2], [-3, -4]]);
  assertClose(nllLoss(lp, [1, 0]), [(2 + 3) / 2]);
  assertClose(nllLoss(lp, [1, 0], { reduction: 'none' }), [2, 3]);
});

test('BCE with logits: the textbook formula, and stable for huge logits', () => {
  const x = [-2, 0, 0.5, 3];
  const t = [0, 1, 0.25, 1];
  const sig = (v: number) => 1 / (1 + Math.exp(-v));
  const per = x.map((v, i) => -(t[i]! * Math.log(sig(v)) + (1 - t[i]!) * Math.log(1 - sig(v))));
  assertClose(binaryCrossEntropyWithLogits(tensor(x), tensor(t), { reduction: 'none' }), per, 1e-6);
  assertClose(binaryCrossEntropyWithLogits(tensor(x), tensor(t)), [per.reduce((a, b) => a + b) / 4], 1e-6);
  // log(sigmoid(-100)) underflows naively; the stable form gives 100.
  assertClose(binaryCrossEntropyWithLogits(tensor([100, -100, 100]), tensor([0, 1, 1]), { reduction: 'none' }), [100, 100, 0], 1e-4);
});

test('BCE with logits: weight and pos_weight', () => {
  const x = [-1, 0.5, 2];
  const t = [1, 0, 0.5];
  const pw = 3;
  const w = [2, 1, 0.5];
  const ls = (v: number) => -Math.log(1 + Math.exp(-v)); // log sigmoid
  const per = x.map((v, i) => -w[i]! * (pw * t[i]! * ls(v) + (1 - t[i]!) * ls(-v)));
  assertClose(
    binaryCrossEntropyWithLogits(tensor(x), tensor(t), { weight: tensor(w), posWeight: tensor([pw]), reduction: 'none' }),
    per,
    1e-6,
  );
  assert.throws(
    () => binaryCrossEntropyWithLogits(tensor([1, 2]), tensor([1, 2, 3])),
    (e: Error) => e instanceof ValueError && e.message === 'Target size ([3]) must be the same as input size ([2])',
  );
});

test('BCE with logits gradients (input, target, weights) match finite differences', () => {
  manualSeed(5);
  checkGradients(
    (x, t) => binaryCrossEntropyWithLogits(x, t, { posWeight: tensor([0.5, 2, 1]), weight: tensor([[1], [2]]), reduction: 'none' }),
    [randn([2, 3]), rand([2, 3])],
    { atol: 5e-3, rtol: 5e-3 },
  );
});

test('loss modules call the functional forms; class weights are state-dict buffers', () => {
  manualSeed(6);
  const x = randn([4, 3]);
  const t = tensor([0, 1, 2, 1]);
  const ce = new nn.CrossEntropyLoss({ weight: tensor([1, 2, 3]), labelSmoothing: 0.1 });
  assertClose(ce.call(x, t), crossEntropy(x, t, { weight: tensor([1, 2, 3]), labelSmoothing: 0.1 }).data, 1e-7);
  assert.deepEqual([...ce.stateDict().keys()], ['weight']);
  const bce = new nn.BCEWithLogitsLoss({ posWeight: tensor([2, 2, 2]) });
  assert.deepEqual([...bce.stateDict().keys()], ['pos_weight']);
  assertClose(new nn.MSELoss({ reduction: 'sum' }).call(x, x.mul(2)), mseLoss(x, x.mul(2), { reduction: 'sum' }).data);
  assertClose(new nn.L1Loss().call(x, t.reshape(4, 1)), l1Loss(x, t.reshape(4, 1)).data);
  assert.throws(() => new nn.MSELoss({ reduction: 'all' as never }), ValueError);
  assert.throws(() => new nn.L1Loss().call(x), RuntimeError);
});

test('meta inputs: losses check shapes and return meta outputs without data', () => {
  const m = crossEntropy(Tensor.meta([8, 10, 4, 4]), Tensor.meta([8, 4, 4]), { reduction: 'none' });
  assert.ok(m.isMeta);
  assert.deepEqual(m.shape, [8, 4, 4]);
  assert.deepEqual(crossEntropy(Tensor.meta([8, 10]), Tensor.meta([8])).shape, []);
  assert.throws(() => crossEntropy(Tensor.meta([8, 10]), Tensor.meta([7])), ValueError);
  assert.deepEqual(mseLoss(Tensor.meta([2, 3]), Tensor.meta([2, 3])).shape, []);
  assert.deepEqual(binaryCrossEntropyWithLogits(Tensor.meta([2, 3]), Tensor.meta([2, 3]), { reduction: 'none' }).shape, [2, 3]);
});
