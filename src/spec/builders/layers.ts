/** Builders for conv, pooling, padding, linear, activation and resampling layers. */
import type { ModuleBuilder } from '../registry.js';
import { SpecError } from '../../errors.js';
import { Identity } from '../../nn/identity.js';
import { Upsample, UpsamplingBilinear2d, UpsamplingNearest2d } from '../../nn/upsample.js';
import type { ArgReader } from '../args.js';
import { builders as networkLayerBuilders } from './network_layers.js';

export const builders: ModuleBuilder[] = [...networkLayerBuilders];

// ---- resampling and Identity ----------------------------------------------

/** A bool, or absent / JSON null (PyTorch's `None`) -> undefined. */
function optBool(a: ArgReader, name: string): boolean | undefined {
  if (a.args[name] == null) {
    a.ignore(name);
    return undefined;
  }
  return a.bool(name);
}

/** Upsample's `size`: an int, a list of ints, or absent / null. */
function optSize(a: ArgReader, name: string): number | number[] | undefined {
  const v = a.optNumberOrList(name);
  const list = typeof v === 'number' ? [v] : v ?? [];
  if (list.some((x) => !Number.isInteger(x) || x < 0)) {
    throw new SpecError(a.path, `${a.moduleName}: argument '${name}' must be an integer or a list of integers, got ${JSON.stringify(v)}`);
  }
  return v;
}

const UPSAMPLE_MODES = ['nearest', 'nearest-exact', 'linear', 'bilinear', 'trilinear'] as const;

function sizeArgs(m: Upsample): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  if (m.size !== undefined) out.size = m.size;
  if (m.scaleFactor !== undefined) out.scale_factor = m.scaleFactor;
  return out;
}

builders.push(
  {
    name: 'Upsample',
    cls: Upsample,
    build: (a) =>
      new Upsample({
        size: optSize(a, 'size'),
        scaleFactor: a.optNumberOrList('scale_factor'),
        mode: a.str('mode', UPSAMPLE_MODES, 'nearest'),
        alignCorners: optBool(a, 'align_corners'),
        recomputeScaleFactor: optBool(a, 'recompute_scale_factor'),
      }),
    toArgs: (m) => {
      const u = m as Upsample;
      const out: Record<string, unknown> = { ...sizeArgs(u), mode: u.mode };
      if (u.alignCorners !== undefined) out.align_corners = u.alignCorners;
      if (u.recomputeScaleFactor !== undefined) out.recompute_scale_factor = u.recomputeScaleFactor;
      return out;
    },
  },
  {
    name: 'UpsamplingNearest2d',
    cls: UpsamplingNearest2d,
    build: (a) => new UpsamplingNearest2d({ size: optSize(a, 'size'), scaleFactor: a.optNumberOrList('scale_factor') }),
    toArgs: (m) => sizeArgs(m as Upsample),
  },
  {
    name: 'UpsamplingBilinear2d',
    cls: UpsamplingBilinear2d,
    build: (a) => new UpsamplingBilinear2d({ size: optSize(a, 'size'), scaleFactor: a.optNumberOrList('scale_factor') }),
    toArgs: (m) => sizeArgs(m as Upsample),
  },
  {
    // PyTorch's Identity accepts (and ignores) any arguments.
    name: 'Identity',
    cls: Identity,
    build: (a) => {
      a.ignore(...Object.keys(a.args));
      return new Identity();
    },
    toArgs: () => ({}),
  },
);
