/** Registers every op, once: the module ops (one per torch.nn class) and the functional ops. */
import { SpecError } from '../../errors.js';
import { Module } from '../../nn/module.js';
import { registerOp } from '../registry.js';
import { functionalOps } from './functional.js';
import { moduleOps } from './modules.js';
import { onnxOps } from './onnx_int.js';

/** Stands for "some other module" in the opaque op's definition; no module is of this class. */
abstract class AnyOtherModule extends Module {}

let done = false;

export function registerAllOps(): void {
  if (done) return;
  done = true;
  for (const d of moduleOps()) registerOp(d);
  for (const d of functionalOps) registerOp(d);
  for (const d of onnxOps) registerOp(d);
  // A module with a forward of its own (not a torch.nn class normkit knows): its node calls it as a whole.
  registerOp({
    kind: 'module',
    name: 'module',
    cls: AnyOtherModule,
    arity: [1, Infinity],
    build: (a) => {
      throw new SpecError(a.path, `'module' nodes stand for custom modules built in code; a spec must name a torch.nn class`);
    },
    toArgs: (m) => ({ type: m.typeName }),
  } as import('../registry.js').ModuleOpWithClass);
}

registerAllOps();
