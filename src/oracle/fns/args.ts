/** Reading an oracle `function` case's inputs and keyword arguments, as Python would. */
import { TypeError } from '../../errors.js';
import { type Tensor, assertTensor } from '../../tensor/tensor.js';

/** Checks the keyword names (as Python would) and reads them. */
export function kw(fn: string, kwargs: Record<string, unknown>, allowed: readonly string[]) {
  for (const k of Object.keys(kwargs)) {
    if (!allowed.includes(k)) throw new TypeError(`${fn}() got an unexpected keyword argument '${k}'`);
  }
  return <T>(name: string, dflt: T): T => (kwargs[name] ?? dflt) as T;
}

export function input(inputs: Record<string, unknown>, name = 'input'): Tensor {
  const t = inputs[name];
  assertTensor(t, name);
  return t;
}

export function optTensor(inputs: Record<string, unknown>, name: string): Tensor | null {
  const t = inputs[name];
  if (t === undefined || t === null) return null;
  assertTensor(t, name);
  return t;
}
