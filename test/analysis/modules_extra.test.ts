/**
 * Shape-only analysis through the layers added with Conv3d: a 3-D network's
 * InstanceNorm3d failure with its stride chain, a 1-D network's MaxPool1d
 * failure, PixelUnshuffle and PReLU on the way, and sweeps that agree with
 * real execution at every size.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { analyze } from '../../src/analysis/analyze.js';
import { sweep } from '../../src/analysis/sweep.js';
import { NormkitError } from '../../src/errors.js';
import { fromSpec } from '../../src/spec/spec.js';
import { randn } from '../../src/tensor/creation.js';
import '../../src/ops/methods.js';

const L = (module: string, args?: Record<string, unknown>) => (args ? { module, args } : { module });
const Seq = (...layers: unknown[]) => ({ module: 'Sequential', layers });

const volumeNet = () =>
  fromSpec(
    Seq(
      L('Conv3d', { in_channels: 1, out_channels: 4, kernel_size: 3, stride: 2, padding: 1 }),
      L('InstanceNorm3d', { num_features: 4, affine: true }),
      L('PReLU', { num_parameters: 4 }),
      L('Conv3d', { in_channels: 4, out_channels: 8, kernel_size: 3, stride: 2, padding: 1 }),
      L('InstanceNorm3d', { num_features: 8 }),
      L('SiLU'),
      L('ConvTranspose3d', { in_channels: 8, out_channels: 4, kernel_size: 2, stride: 2 }),
      L('BatchNorm3d', { num_features: 4 }),
      L('Hardswish'),
    ),
  );

const sequenceNet = () =>
  fromSpec(
    Seq(
      L('Conv1d', { in_channels: 2, out_channels: 4, kernel_size: 3 }),
      L('MaxPool1d', { kernel_size: 2 }),
      L('InstanceNorm1d', { num_features: 4 }),
      L('SELU'),
      L('AvgPool1d', { kernel_size: 3 }),
      L('ConvTranspose1d', { in_channels: 4, out_channels: 2, kernel_size: 3, stride: 2 }),
      L('AdaptiveAvgPool1d', { output_size: 1 }),
    ),
  );

/** What a real training call at `shape` does: null when it runs, else its error. */
function realOutcome(make: () => ReturnType<typeof fromSpec>, shape: number[]): string | null {
  const m = make().train();
  try {
    m.call(randn(shape));
    return null;
  } catch (e) {
    if (!(e instanceof NormkitError)) throw e;
    return `${e.type}: ${e.message}`;
  }
}

test('3-D network at 4x4x4: the second InstanceNorm3d sees 1x1x1 after two stride-2 Conv3d', () => {
  const a = analyze(volumeNet(), [2, 1, 4, 4, 4], { mode: 'train' });
  assert.equal(a.runs, false);
  const f = a.failure!;
  assert.equal(f.path, '4');
  assert.equal(f.type, 'InstanceNorm3d');
  assert.deepEqual(f.error, { type: 'ValueError', message: 'Expected more than 1 spatial element when training, got input size [2, 8, 1, 1, 1]' });
  assert.deepEqual(
    f.chain.map((c) => [c.path, c.before, c.after]),
    [
      ['0', [4, 4, 4], [2, 2, 2]],
      ['3', [2, 2, 2], [1, 1, 1]],
    ],
  );
  const ok = analyze(volumeNet(), [2, 1, 8, 8, 8], { mode: 'train' });
  assert.equal(ok.runs, true);
  assert.deepEqual(ok.outputShape, [2, 4, 4, 4, 4]);
});

test('sweeps agree with real execution at every size (3-D square sizes, 1-D lengths)', () => {
  const s3 = sweep(volumeNet(), 'square', [1, 9], { baseShape: [2, 1, 8, 8, 8], mode: 'train' });
  for (const p of s3.points) {
    const shape = [2, 1, p.size, p.size, p.size];
    assert.equal(p.outcome !== 'raises', realOutcome(volumeNet, shape) === null, `size ${p.size}`);
  }
  const s1 = sweep(sequenceNet(), 'length', [1, 30], { baseShape: [2, 2, 24], mode: 'train' });
  for (const p of s1.points) {
    const real = realOutcome(sequenceNet, [2, 2, p.size]);
    assert.equal(p.outcome !== 'raises', real === null, `length ${p.size}: ${real}`);
    if (real !== null) assert.equal(`${p.error!.type}: ${p.error!.message}`, real);
  }
});

test('1-D network too short: MaxPool1d raises PyTorch 1.13 message, with the kernel kind', () => {
  const a = analyze(sequenceNet(), [2, 2, 3], { mode: 'train' });
  assert.equal(a.failure!.path, '1');
  assert.equal(a.failure!.error.message, 'Given input size: (4x1x1). Calculated output size: (4x1x0). Output size is too small');
  assert.equal(a.failure!.kind, 'kernel');
});

test('PixelUnshuffle on the way to a 1x1 InstanceNorm2d is named in the cause chain', () => {
  const m = fromSpec(Seq(L('PixelUnshuffle', { downscale_factor: 2 }), L('PixelUnshuffle', { downscale_factor: 2 }), L('InstanceNorm2d', { num_features: 48 })));
  const a = analyze(m, [1, 3, 4, 4], { mode: 'train' });
  assert.equal(a.failure!.path, '2');
  assert.deepEqual(
    a.failure!.chain.map((c) => [c.path, c.after, c.because]),
    [
      ['0', [2, 2], ['pixel unshuffle /2']],
      ['1', [1, 1], ['pixel unshuffle /2']],
    ],
  );
});
