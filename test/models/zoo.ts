/**
 * Real architectures, as tree-form specs, for the doctor's tests: pix2pix's
 * unet_256 (UnetSkipConnectionBlock, 8 downsamplings), Tacotron 2's Postnet.
 */
import type { SpecNode } from '../../src/spec/spec.js';

const L = (module: string, args?: Record<string, unknown>) => (args ? { module, args } : { module });
const Seq = (...layers: unknown[]): SpecNode => ({ module: 'Sequential', layers }) as SpecNode;

/**
 * pix2pix's UnetSkipConnectionBlock (junyanz/pytorch-CycleGAN-and-pix2pix,
 * models/networks.py) with BatchNorm2d (bias=False on the convs, as PyTorch's
 * use_bias for BatchNorm) and no dropout: a non-outermost block returns
 * cat([x, model(x)], 1).
 */
function unetBlock(outer: number, inner: number, input: number | null, sub: SpecNode | null, where: 'outermost' | 'innermost' | 'middle', norm = 'BatchNorm2d'): SpecNode {
  const inC = input ?? outer;
  const downconv = L('Conv2d', { in_channels: inC, out_channels: inner, kernel_size: 4, stride: 2, padding: 1, bias: false });
  const downrelu = L('LeakyReLU', { negative_slope: 0.2, inplace: true });
  const uprelu = L('ReLU', { inplace: true });
  const n = (c: number) => L(norm, { num_features: c });
  let model: SpecNode;
  if (where === 'outermost') {
    const upconv = L('ConvTranspose2d', { in_channels: inner * 2, out_channels: outer, kernel_size: 4, stride: 2, padding: 1 });
    return Seq(downconv, sub, uprelu, upconv, L('Tanh'));
  } else if (where === 'innermost') {
    const upconv = L('ConvTranspose2d', { in_channels: inner, out_channels: outer, kernel_size: 4, stride: 2, padding: 1, bias: false });
    model = Seq(downrelu, downconv, uprelu, upconv, n(outer));
  } else {
    const upconv = L('ConvTranspose2d', { in_channels: inner * 2, out_channels: outer, kernel_size: 4, stride: 2, padding: 1, bias: false });
    model = Seq(downrelu, downconv, n(inner), sub, uprelu, upconv, n(outer));
  }
  return { module: 'Concat', dim: 1, branches: [L('Identity'), model] } as unknown as SpecNode;
}

/** pix2pix's UnetGenerator(input_nc, output_nc, num_downs, ngf): unet_256 is num_downs=8, ngf=64. */
export function unetGenerator(inputNc = 3, outputNc = 3, numDowns = 8, ngf = 64, norm = 'BatchNorm2d'): SpecNode {
  let block = unetBlock(ngf * 8, ngf * 8, null, null, 'innermost', norm);
  for (let i = 0; i < numDowns - 5; i++) block = unetBlock(ngf * 8, ngf * 8, null, block, 'middle', norm);
  block = unetBlock(ngf * 4, ngf * 8, null, block, 'middle', norm);
  block = unetBlock(ngf * 2, ngf * 4, null, block, 'middle', norm);
  block = unetBlock(ngf, ngf * 2, null, block, 'middle', norm);
  return unetBlock(outputNc, ngf, inputNc, block, 'outermost', norm);
}

/** Tacotron 2's Postnet (NVIDIA/tacotron2, model.py): five Conv1d(k=5, p=2) + BatchNorm1d over (N, 80, T), tanh on all but the last. */
export function tacotronPostnet(nMel = 80, emb = 512, convs = 5): SpecNode {
  const layers: unknown[] = [];
  for (let i = 0; i < convs; i++) {
    const inC = i === 0 ? nMel : emb;
    const outC = i === convs - 1 ? nMel : emb;
    layers.push(L('Conv1d', { in_channels: inC, out_channels: outC, kernel_size: 5, stride: 1, padding: 2, dilation: 1 }), L('BatchNorm1d', { num_features: outC }));
    if (i < convs - 1) layers.push(L('Tanh'));
    layers.push(L('Dropout', { p: 0.5 }));
  }
  return Seq(...layers);
}

/** A torchvision-style ResNet (BasicBlocks, BatchNorm2d): 7x7/2 stem, 3x3/2 max pool, blocks, a stride-2 stage, global pool, fc. */
export function smallResnet(): SpecNode {
  const bn = (c: number) => L('BatchNorm2d', { num_features: c });
  const cv = (i: number, o: number, k: number, s: number, p: number) => L('Conv2d', { in_channels: i, out_channels: o, kernel_size: k, stride: s, padding: p, bias: false });
  const block = (c: number) => ({ module: 'Residual', body: Seq(cv(c, c, 3, 1, 1), bn(c), L('ReLU'), cv(c, c, 3, 1, 1), bn(c)) });
  return Seq(cv(3, 64, 7, 2, 3), bn(64), L('ReLU'), L('MaxPool2d', { kernel_size: 3, stride: 2, padding: 1 }), block(64), block(64), cv(64, 128, 3, 2, 1), bn(128), block(128),
    L('AdaptiveAvgPool2d', { output_size: 1 }), L('Flatten'), L('Linear', { in_features: 128, out_features: 10 }));
}
