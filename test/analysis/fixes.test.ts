/**
 * suggestFixes(): ranked, concrete fixes — and each one, applied here again
 * independently (the edited spec rebuilt with fromSpec, or the new input
 * size), really makes the model run with healthy statistics.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { analyze } from '../../src/analysis/analyze.js';
import { pickGroups, suggestFixes } from '../../src/analysis/fixes.js';
import { describeNode, nodeAt, withArgs, withNode } from '../../src/analysis/spec_edit.js';
import type { Fix, Mode } from '../../src/analysis/types.js';
import { fromSpec, type SpecNode } from '../../src/spec/spec.js';
import '../../src/ops/methods.js';

const L = (module: string, args?: Record<string, unknown>) => (args ? { module, args } : { module });
const Seq = (...layers: unknown[]): SpecNode => ({ module: 'Sequential', layers }) as SpecNode;
const conv = (i: number, o: number, k: number, s = 1, p = 0) => L('Conv2d', { in_channels: i, out_channels: o, kernel_size: k, stride: s, padding: p });

function encoder(): SpecNode {
  const layers: unknown[] = [];
  const ch = [3, 8, 16, 32, 32];
  for (let i = 0; i < 4; i++) layers.push(conv(ch[i]!, ch[i + 1]!, 3, 2, 1), L('InstanceNorm2d', { num_features: ch[i + 1] }), L('ReLU'));
  layers.push(L('AdaptiveAvgPool2d', { output_size: 1 }), L('Flatten'), L('Linear', { in_features: 32, out_features: 10 }));
  return Seq(...layers);
}

/** Applies a fix to the spec and input on our own and re-analyzes. */
function reapply(spec: SpecNode, shape: number[], mode: Mode, fix: Fix) {
  let s = spec;
  for (const c of fix.changes) s = withNode(s, c.path, c.node as SpecNode);
  return analyze(fromSpec(s), fix.kind === 'input-size' ? fix.verified.inputShape : shape, { mode });
}

function checkAll(spec: SpecNode, shape: number[], mode: Mode): Fix[] {
  const fixes = suggestFixes(fromSpec(spec), analyze(fromSpec(spec), shape, { mode }));
  fixes.forEach((f, i) => {
    assert.equal(f.rank, i + 1);
    const a = reapply(spec, shape, mode, f);
    assert.ok(a.runs && !a.degenerate, `fix '${f.title}' does not work: ${a.failure?.error.message ?? 'degenerate'}`);
    assert.deepEqual(a.norms.filter((n) => n.verdict === 'fallback').map((n) => n.path), f.verified.fallbacks);
  });
  return fixes;
}

test('collapsing encoder at 16x16: every kind of fix, ranked, each verified', () => {
  const fixes = checkAll(encoder(), [2, 3, 16, 16], 'train');
  assert.deepEqual(
    fixes.map((f) => [f.kind, f.title]),
    [
      ['input-size', 'Use an input of at least 17x17 (2x3x17x17): every size from 17 to 1024 works (sizes 1..1024 searched)'],
      ['replace-norm', 'Replace InstanceNorm2d at 10 with GroupNorm(num_groups=8, num_channels=32, affine=False)'],
      ['replace-norm', 'Replace InstanceNorm2d at 10 with GroupNorm with one group (LayerNorm over channels and positions)'],
      ['replace-norm', 'Replace InstanceNorm2d at 10 with no normalization (Identity)'],
      ['stride', 'Conv2d at 9: stride=(2, 2) -> stride=1'],
      ['stride', 'Conv2d at 6: stride=(2, 2) -> stride=1'],
      ['flexible-norm', 'Use FlexibleInstanceNorm at 10 (passes 1x1 maps through instead of raising)'],
    ],
  );
  assert.deepEqual(fixes.at(-1)!.verified.fallbacks, ['10']);
  assert.match(fixes.at(-1)!.caveat!, /affine parameters get no gradient/);
});

test('a map that collapses early needs the fix at every later norm too', () => {
  const fixes = checkAll(encoder(), [2, 3, 3, 3], 'train');
  const gn = fixes.find((f) => f.kind === 'replace-norm')!;
  assert.deepEqual(gn.changes.map((c) => [c.path, c.to]), [
    ['4', 'GroupNorm(num_groups=4, num_channels=16, affine=False)'],
    ['7', 'GroupNorm(num_groups=8, num_channels=32, affine=False)'],
    ['10', 'GroupNorm(num_groups=8, num_channels=32, affine=False)'],
  ]);
  const stride = fixes.filter((f) => f.kind === 'stride');
  assert.ok(stride.length > 0 && stride.every((f) => f.changes.length >= 2));
});

test('eval mode: track_running_stats is offered for InstanceNorm without running statistics', () => {
  const fixes = checkAll(encoder(), [2, 3, 16, 16], 'eval');
  const t = fixes.find((f) => f.kind === 'track-running-stats')!;
  assert.deepEqual(t.changes.map((c) => [c.path, c.from, c.to]), [['10', 'InstanceNorm2d(track_running_stats=False)', 'InstanceNorm2d(track_running_stats=True)']]);
  assert.equal(suggestFixes(fromSpec(encoder()), analyze(fromSpec(encoder()), [2, 3, 16, 16])).some((f) => f.kind === 'track-running-stats'), false);
});

test('BatchNorm with a batch of one: a bigger batch, or GroupNorm', () => {
  const spec = Seq(conv(3, 8, 3, 1, 1), L('AdaptiveAvgPool2d', { output_size: 1 }), L('BatchNorm2d', { num_features: 8 }), L('Flatten'), L('Linear', { in_features: 8, out_features: 2 }));
  const fixes = checkAll(spec, [1, 3, 8, 8], 'train');
  assert.equal(fixes[0]!.title, 'Use a batch of 2 or more (input 2x3x8x8)');
  assert.ok(fixes.some((f) => f.title === 'Replace BatchNorm2d at 2 with GroupNorm(num_groups=2, num_channels=8)'));
});

test('degenerate statistics: replacing the norm, or pooling to 2x2 instead of 1x1; no input size helps', () => {
  const spec = Seq(conv(3, 8, 3, 2, 1), L('AdaptiveAvgPool2d', { output_size: 1 }), L('Upsample', { scale_factor: 4 }), L('InstanceNorm2d', { num_features: 8 }), conv(8, 2, 1));
  const fixes = checkAll(spec, [2, 3, 32, 32], 'train');
  assert.deepEqual(fixes.map((f) => f.kind), ['replace-norm', 'replace-norm', 'replace-norm', 'pooling']);
  assert.equal(fixes[3]!.title, 'AdaptiveAvgPool2d at 1: output_size=1 -> output_size=2');
});

test('a skip concat: the nearest working size; kernel-too-large: padding', () => {
  const unet = Seq({ module: 'Concat', dim: 1, branches: [L('Identity'), Seq(L('MaxPool2d', { kernel_size: 2 }), L('MaxPool2d', { kernel_size: 2 }), L('Upsample', { scale_factor: 4 }))] });
  const fixes = checkAll(unet, [1, 2, 30, 30], 'train');
  assert.equal(fixes[0]!.title, 'Use an input of 32x32 (1x2x32x32): of sizes 1..1024, these work: 4, 8, ..., 1024 (every 4 from 4)');
  const k4 = Seq(L('Conv2d', { in_channels: 1, out_channels: 1, kernel_size: 4, padding: 1 }), L('Conv2d', { in_channels: 1, out_channels: 1, kernel_size: 4, padding: 1 }), L('InstanceNorm2d', { num_features: 1 }));
  const pad = checkAll(k4, [1, 1, 3, 3], 'train').find((f) => f.kind === 'padding')!;
  assert.equal(pad.title, 'Conv2d at 1: padding=(1, 1) -> padding=(2, 2)');
});

test('nothing to fix for a healthy model; a layer built for other channels gets its count set to what it receives', () => {
  const ok = Seq(conv(3, 8, 3, 1, 1), L('InstanceNorm2d', { num_features: 8 }));
  assert.deepEqual(suggestFixes(fromSpec(ok), analyze(fromSpec(ok), [2, 3, 8, 8])), []);
  const bad = Seq(conv(3, 8, 3), conv(4, 8, 3));
  const fixes = suggestFixes(fromSpec(bad), analyze(fromSpec(bad), [2, 3, 16, 16]));
  assert.deepEqual(fixes.map((f) => [f.kind, f.title]), [['channels', 'Conv2d at 1: in_channels=4 -> in_channels=8']]);
  assert.equal(fixes[0]!.verified.runs, true);
  // Two norms built for 4 channels after 8: both get num_features=8 (not replaced by Identity), each verified in turn.
  const norms = Seq(conv(3, 8, 3, 1, 1), L('BatchNorm2d', { num_features: 4 }), L('ReLU'), L('BatchNorm2d', { num_features: 4 }));
  const nf = suggestFixes(fromSpec(norms), analyze(fromSpec(norms), [2, 3, 8, 8]));
  assert.deepEqual(nf.map((f) => f.title), ['BatchNorm2d at 1: num_features=4 -> num_features=8; BatchNorm2d at 3: num_features=4 -> num_features=8']);
});

test('pickGroups and spec edits', () => {
  assert.deepEqual([3, 8, 16, 32, 64, 256, 6].map(pickGroups), [1, 2, 4, 8, 16, 32, 1]);
  const spec = Seq(L('ReLU'), { module: 'Residual', body: Seq(conv(2, 2, 3)) }, { module: 'Concat', branches: [L('Identity'), L('Tanh')], dim: 1 });
  assert.deepEqual(nodeAt(spec, '1.body.0'), conv(2, 2, 3));
  assert.deepEqual(nodeAt(spec, '2.branches.1'), L('Tanh'));
  const edited = withArgs(spec, '1.body.0', { stride: 2 });
  assert.equal(describeNode(nodeAt(edited, '1.body.0')), 'Conv2d(in_channels=2, out_channels=2, kernel_size=3, stride=2)');
  assert.deepEqual(nodeAt(spec, '1.body.0'), conv(2, 2, 3)); // the original is untouched
  assert.throws(() => nodeAt(spec, '0.body'), { name: 'SpecError' });
});
