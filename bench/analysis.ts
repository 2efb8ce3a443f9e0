/**
 * Shape-flow analysis speed (a benchmark, not a test): one analysis of a
 * 1,000-layer model, and a 1..256 square sweep of a ResNet-style generator.
 * Targets: under 50 ms and under 1 s.
 *
 *     npm run bench:analysis     (node dist/bench/analysis.js after a build)
 */
import { analyze } from '../src/analysis/analyze.js';
import { sweep } from '../src/analysis/sweep.js';
import { fromSpec } from '../src/spec/spec.js';
import '../src/ops/methods.js';

const L = (module: string, args?: Record<string, unknown>) => (args ? { module, args } : { module });
const Seq = (...layers: unknown[]) => ({ module: 'Sequential', layers });

/** 1,000 leaf layers: conv / InstanceNorm2d / ReLU triples, one of the convs strided. */
function deepModel() {
  const layers: unknown[] = [L('Conv2d', { in_channels: 3, out_channels: 16, kernel_size: 3, padding: 1 })];
  let leaves = 1;
  while (leaves < 1000) {
    const down = leaves % 250 === 1 && leaves > 1;
    layers.push(L('Conv2d', { in_channels: 16, out_channels: 16, kernel_size: 3, stride: down ? 2 : 1, padding: 1 }), L('InstanceNorm2d', { num_features: 16, affine: true }), L('ReLU'));
    leaves += 3;
  }
  return Seq(...layers.slice(0, 1000));
}

function resnetGenerator(blocks = 9) {
  const res = (c: number) => ({
    module: 'Residual',
    body: Seq(
      L('ReflectionPad2d', { padding: 1 }), L('Conv2d', { in_channels: c, out_channels: c, kernel_size: 3 }), L('InstanceNorm2d', { num_features: c, affine: true }), L('ReLU'),
      L('ReflectionPad2d', { padding: 1 }), L('Conv2d', { in_channels: c, out_channels: c, kernel_size: 3 }), L('InstanceNorm2d', { num_features: c, affine: true }),
    ),
  });
  return Seq(
    L('ReflectionPad2d', { padding: 3 }), L('Conv2d', { in_channels: 3, out_channels: 32, kernel_size: 7 }), L('InstanceNorm2d', { num_features: 32, affine: true }), L('ReLU'),
    L('Conv2d', { in_channels: 32, out_channels: 64, kernel_size: 3, stride: 2, padding: 1 }), L('InstanceNorm2d', { num_features: 64, affine: true }), L('ReLU'),
    L('Conv2d', { in_channels: 64, out_channels: 128, kernel_size: 3, stride: 2, padding: 1 }), L('InstanceNorm2d', { num_features: 128, affine: true }), L('ReLU'),
    ...Array.from({ length: blocks }, () => res(128)),
    L('ConvTranspose2d', { in_channels: 128, out_channels: 64, kernel_size: 3, stride: 2, padding: 1, output_padding: 1 }), L('InstanceNorm2d', { num_features: 64, affine: true }), L('ReLU'),
    L('ConvTranspose2d', { in_channels: 64, out_channels: 32, kernel_size: 3, stride: 2, padding: 1, output_padding: 1 }), L('InstanceNorm2d', { num_features: 32, affine: true }), L('ReLU'),
    L('ReflectionPad2d', { padding: 3 }), L('Conv2d', { in_channels: 32, out_channels: 3, kernel_size: 7 }), L('Tanh'),
  );
}

function time(label: string, runs: number, fn: () => void, target: number): void {
  for (let i = 0; i < 3; i++) fn(); // warm-up (JIT)
  const ms: number[] = [];
  for (let i = 0; i < runs; i++) {
    const t = performance.now();
    fn();
    ms.push(performance.now() - t);
  }
  ms.sort((a, b) => a - b);
  const median = ms[Math.floor(ms.length / 2)]!;
  const verdict = median < target ? 'under' : 'OVER';
  console.log(`${label}: median ${median.toFixed(2)} ms, min ${ms[0]!.toFixed(2)} ms over ${runs} runs (${verdict} the ${target} ms target)`);
}

const deep = fromSpec(deepModel());
const leaves = [...deep.namedModules()].filter(([, m]) => m.children().length === 0).length;
const a = analyze(deep, [2, 3, 64, 64]);
console.log(`1,000-layer model: ${leaves} layers, ${a.modules.length} module calls, output ${a.outputShape?.join('x')}`);
time('analyze(1,000-layer model, [2, 3, 64, 64])', 20, () => analyze(deep, [2, 3, 64, 64]), 50);

const gen = fromSpec(resnetGenerator());
const s = sweep(gen, 'square', [1, 256], { baseShape: [1, 3, 64, 64] });
console.log(`ResNet generator (9 blocks, ${[...gen.namedModules()].length - 1} modules): runs at ${s.summary}`);
time('sweep(ResNet generator, square 1..256)', 5, () => sweep(gen, 'square', [1, 256], { baseShape: [1, 3, 64, 64] }), 1000);
