/**
 * Shape-only construction: inside `withMetaParameters(fn)`, `zeros`, `ones`,
 * `full`, `rand`, `randn` and `uniform` return meta tensors (shape, no data)
 * and the `nn.init` fills do nothing. Building a model for analysis then costs
 * no parameter memory: three `Conv2d(4096, 4096, 3)` are 1.8 GB of weights,
 * and the analyzer needs only their shapes.
 */
let depth = 0;

export function withMetaParameters<T>(fn: () => T): T {
  depth++;
  try {
    return fn();
  } finally {
    depth--;
  }
}

export function metaParametersActive(): boolean {
  return depth > 0;
}
