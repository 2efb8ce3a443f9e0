/**
 * Fuzzing the model-spec parsers (tree and general form) and `normkit check`'s
 * arguments: every outcome is a built model, a typed NormkitError, or (for
 * the CLI) an exit code with a one-line message; never another exception.
 * Shared by the bounded test (spec_fuzz.test.ts) and `npm run fuzz`.
 */
import fc from 'fast-check';
import { analyze } from '../../src/analysis/analyze.js';
import { runCheck } from '../../src/cli/check.js';
import { NormkitError } from '../../src/errors.js';
import '../../src/graph/ops/index.js';
import { knownOps } from '../../src/graph/registry.js';
import { fromSpec } from '../../src/spec/spec.js';
import { withMetaParameters } from '../../src/tensor/meta_mode.js';

const MODULES = knownOps('module').filter((m) => m !== 'module');
const FUNCTIONS = knownOps('function');
const ARG_NAMES = ['num_features', 'in_channels', 'out_channels', 'kernel_size', 'stride', 'padding', 'dilation', 'groups', 'eps', 'momentum', 'affine',
  'num_groups', 'num_channels', 'normalized_shape', 'scale_factor', 'size', 'mode', 'dim', 'p', 'output_size', 'in_features', 'out_features',
  'upscale_factor', 'negative_slope', 'shape', 'start', 'end', 'chunks', 'other', 'track_running_stats', 'bogus'];

/** Values of every kind, including hostile ones. */
export const valueArb: fc.Arbitrary<unknown> = fc.oneof(
  fc.integer({ min: -3, max: 9 }),
  fc.constantFrom(0, 1, 2, 3, 4, 8, 2 ** 31, 2 ** 53 + 2, -1, 0.5, NaN, Infinity, 1e300),
  fc.boolean(),
  fc.constant(null),
  fc.string({ maxLength: 6 }),
  fc.array(fc.integer({ min: -2, max: 6 }), { maxLength: 4 }),
  fc.constantFrom('same', 'valid', 'nearest', 'bilinear', 'zeros', 'reflect'),
);

const argsArb = fc.dictionary(fc.constantFrom(...ARG_NAMES), valueArb, { maxKeys: 5 });
const leafArb = fc.record({ module: fc.constantFrom(...MODULES, 'NoSuchModule'), args: argsArb }, { requiredKeys: ['module'] });

/** Tree-form specs: leaves and containers, some malformed. */
export const treeArb: fc.Arbitrary<unknown> = fc.letrec((tie) => ({
  node: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    leafArb,
    fc.record({ module: fc.constant('Sequential'), layers: fc.array(tie('node'), { maxLength: 4 }) }),
    fc.record({ module: fc.constant('Residual'), body: tie('node') }),
    fc.record({ module: fc.constant('Concat'), branches: fc.array(tie('node'), { maxLength: 3 }), dim: valueArb }, { requiredKeys: ['module', 'branches'] }),
    fc.jsonValue({ maxDepth: 3 }),
  ),
})).node;

/** A general-form node: a function or a module, reading earlier values (sometimes missing or later ones). */
const nodeArb = (k: number) =>
  fc
    .record({
      kind: fc.constantFrom('op', 'op', 'op', 'module', 'module', 'module', 'both', 'none'),
      op: fc.constantFrom(...FUNCTIONS, 'nope'),
      module: fc.oneof(fc.constantFrom(...MODULES.filter((m) => !/Conv|Linear|Norm|AdaIN|PReLU/.test(m))), leafArb.map((l) => l.module)),
      args: fc.oneof({ weight: 3, arbitrary: fc.constant({}) }, { weight: 1, arbitrary: argsArb }),
      // Mostly earlier values; sometimes a later one (a cycle), a missing one or too many.
      inputs: fc.oneof(
        { weight: 6, arbitrary: fc.constantFrom('x', ...['n0', 'n1', 'n2'].slice(0, k)).map((v) => [v]) },
        { weight: 2, arbitrary: fc.array(fc.constantFrom('x', ...['n0', 'n1', 'n2'].slice(0, k)), { minLength: 2, maxLength: 2 }) },
        { weight: 1, arbitrary: fc.array(fc.constantFrom('x', 'n0', 'n1', 'n2', 'n3', 'zz'), { minLength: 0, maxLength: 3 }) },
      ),
      outputs: fc.oneof({ weight: 6, arbitrary: fc.constant(undefined) }, { weight: 1, arbitrary: fc.array(fc.constantFrom(`n${k}`, `n${k}b`, 'x'), { minLength: 1, maxLength: 2 }) }),
    })
    .map(({ kind, op, module, args, inputs, outputs }) => ({
      name: `n${k}`,
      ...(kind === 'op' || kind === 'both' ? { op } : {}),
      ...(kind === 'module' || kind === 'both' ? { module } : {}),
      ...(Object.keys(args).length ? { args } : {}),
      inputs,
      ...(outputs ? { outputs } : {}),
    }));

/** General-form specs: a few nodes wired to earlier (or later, or missing) values. */
export const generalArb: fc.Arbitrary<unknown> = fc
  .tuple(
    fc.oneof({ weight: 8, arbitrary: fc.constant({ x: [2, 3, 8, 8] }) }, { weight: 1, arbitrary: fc.constant({ x: null }) }, { weight: 1, arbitrary: fc.jsonValue({ maxDepth: 2 }) }),
    fc.tuple(nodeArb(0), nodeArb(1), nodeArb(2), nodeArb(3)),
    fc.integer({ min: 1, max: 4 }),
    fc.option(fc.array(fc.constantFrom('n0', 'n1', 'n2', 'n3', 'x', 'zz'), { maxLength: 2 }), { nil: undefined }),
  )
  .map(([inputs, nodes, n, outputs]) => ({ inputs, nodes: nodes.slice(0, n), ...(outputs ? { outputs } : {}) }));

export const shapeArb = fc.array(fc.integer({ min: 0, max: 9 }), { minLength: 1, maxLength: 5 });

/** What one spec does: 'built', 'analyzed', or the typed error's class. Anything else is returned as UNTYPED. */
export function runSpec(spec: unknown, shape: number[]): string {
  let model;
  try {
    model = withMetaParameters(() => fromSpec(spec));
  } catch (e) {
    return e instanceof NormkitError ? e.type : `UNTYPED ${(e as Error).constructor?.name}: ${(e as Error).message}`;
  }
  try {
    const inputs = (model as { graph?: { inputs: { name: string }[] } }).graph?.inputs;
    const shapes = inputs && inputs.length > 1 ? Object.fromEntries(inputs.map((i) => [i.name, shape])) : shape;
    analyze(model, shapes as number[]);
    return 'analyzed';
  } catch (e) {
    return e instanceof NormkitError ? e.type : `UNTYPED ${(e as Error).constructor?.name}: ${(e as Error).message}`;
  }
}

/** `normkit check` with fuzzed arguments: an exit code, never a throw. */
export const cliArb = fc.record({
  model: fc.constantFrom('collapsing-encoder', 'unet-level', 'keypoint-encoder', 'healthy-classifier', 'no-such', '', '/'),
  input: fc.option(fc.oneof(fc.string({ maxLength: 12 }), fc.constantFrom('2x3x64x64', '2x3x16x16', '1x3x33x33', '1x3x99999999999999999999x2', '0x3x4x4', 'x=1x3x8x8,c=1x5', '64x64', '2x3x8x8x8x8')), { nil: undefined }),
  mode: fc.option(fc.constantFrom('train', 'eval', 'test', ''), { nil: undefined }),
  sweep: fc.option(fc.constantFrom('1..8', '8..1', '1..999999', 'x', '0..4', '3..3'), { nil: undefined }),
  axis: fc.option(fc.constantFrom('square', 'length', 'batch', 'diag'), { nil: undefined }),
  json: fc.boolean(),
});

export function runCli(o: { model: string; input?: string; mode?: string; sweep?: string; axis?: string; json: boolean }): string {
  let out = '';
  let err = '';
  try {
    const code = runCheck(o.model, { input: o.input, mode: o.mode, sweep: o.sweep, axis: o.axis, json: o.json, fixes: false }, { out: (s) => (out += s), err: (s) => (err += s), color: false });
    if (code === 2 && !o.json && err.trim().split('\n').length !== 1) return `BAD MESSAGE: ${err}`;
    return `exit ${code}`;
  } catch (e) {
    return `UNTYPED ${(e as Error).constructor?.name}: ${(e as Error).message}`;
  }
}
