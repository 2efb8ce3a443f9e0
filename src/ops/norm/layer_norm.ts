/** `layerNorm`: statistics over the trailing `normalizedShape` dims; affine per element. */
import { record } from '../../autograd/record.js';
import { layerNormBackward, layerNormForward } from '../../kernels/backend.js';
import { checkOptions } from '../../options.js';
import { checkSizeArg, numel } from '../../tensor/shape.js';
import { Tensor, assertTensor } from '../../tensor/tensor.js';
import { checkStatistics, type WarnSite } from './stat_warnings.js';
import { checkFiniteOption, checkLayerNormShape, checkOptionalTensor } from './checks.js';
import { normGradTensors, normMetaOutput } from './core.js';

export interface LayerNormOptions {
  weight?: Tensor | null;
  bias?: Tensor | null;
  eps?: number;
  /** The layer calling (warnings are emitted once per layer); undefined: once for F.layerNorm. */
  warnSite?: WarnSite;
}

export function layerNorm(input: Tensor, normalizedShape: readonly number[] | number, o: LayerNormOptions = {}): Tensor {
  assertTensor(input, 'layer_norm: input');
  // PyTorch's F.layer_norm(input, normalized_shape, weight, bias, eps): the rest by name here
  checkOptions('layer_norm', o, { weight: 'any', bias: 'any', eps: 'number', warnSite: 'any' }, { position: 3, positional: 'weight' });
  const ns = typeof normalizedShape === 'number' ? [normalizedShape] : normalizedShape;
  checkSizeArg(ns, 'layer_norm', { name: 'normalized_shape', pos: 2 });
  checkOptionalTensor(o.weight, 'layer_norm', 'weight');
  checkOptionalTensor(o.bias, 'layer_norm', 'bias');
  const weight = o.weight ?? null;
  const bias = o.bias ?? null;
  checkLayerNormShape(input.shape, ns, weight?.shape, bias?.shape);
  if (o.eps !== undefined) checkFiniteOption('eps', o.eps);
  if (input.isMeta) return normMetaOutput(input);
  const D = numel(ns);
  const rows = D === 0 ? 0 : input.numel() / D;
  const { out: outData, mean, rstd, variance } = layerNormForward(input.data, rows, D, o.eps ?? 1e-5, weight?.data ?? null, bias?.data ?? null);
  checkStatistics('layer_norm', o.warnSite, input, variance, D);
  const out = new Tensor(outData, input.shape);
  const inputs = [input, ...(weight ? [weight] : []), ...(bias ? [bias] : [])];
  return record(out, inputs, 'layer_norm', (g) => {
    const gr = layerNormBackward(input.data, g.data, rows, D, mean, rstd, weight?.data ?? null, {
      input: input.requiresGrad,
      weight: weight?.requiresGrad ?? false,
      bias: bias?.requiresGrad ?? false,
    });
    return normGradTensors(gr, input, weight, bias);
  });
}
