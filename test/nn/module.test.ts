/** Module and containers: state dicts, loading, train/eval, hooks, printing, error paths. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { NormkitError, RuntimeError, TypeError, ValueError, fmtSize, matmul, nn, ones, tensor, zeros } from '../../src/index.js';
import type { Tensor } from '../../src/tensor/tensor.js';

/** y = x * weight + bias, with a buffer: enough state to test names and loading. */
class Affine extends nn.Module {
  constructor(n: number) {
    super();
    this.registerParameter('weight', ones([n]));
    this.registerParameter('bias', zeros([n]));
    this.registerBuffer('count', zeros([1]));
  }
  forward(x: Tensor): Tensor {
    return x.mul(this.getParameter('weight')!).add(this.getParameter('bias')!);
  }
}

/** Raises PyTorch-style, like a norm layer refusing a 1x1 input. */
class Refuses extends nn.Module {
  forward(x: Tensor): Tensor {
    throw new ValueError(`Expected more than 1 spatial element when training, got input size ${fmtSize(x.shape)}`);
  }
}

/** Fails inside an op (a shape mismatch in matmul). */
class BadMatmul extends nn.Module {
  forward(x: Tensor): Tensor {
    return matmul(x, ones([7, 2]));
  }
}

const model = () =>
  new nn.Sequential(new Affine(2), new nn.Residual(new nn.Sequential(new Affine(2), new nn.Identity())), new nn.Concat([new Affine(2), new nn.Identity()], 0));

function caught(f: () => unknown): NormkitError {
  try {
    f();
  } catch (e) {
    assert.ok(e instanceof NormkitError, `expected a NormkitError, got ${String(e)}`);
    return e;
  }
  assert.fail('did not raise');
}

test('stateDict uses PyTorch dotted names: params then buffers per module, depth first', () => {
  assert.deepEqual([...model().stateDict().keys()], [
    '0.weight', '0.bias', '0.count',
    '1.body.0.weight', '1.body.0.bias', '1.body.0.count',
    '2.branches.0.weight', '2.branches.0.bias', '2.branches.0.count',
  ]);
  const m = model();
  assert.deepEqual([...m.namedParameters()].map(([n]) => n), ['0.weight', '0.bias', '1.body.0.weight', '1.body.0.bias', '2.branches.0.weight', '2.branches.0.bias']);
  assert.deepEqual([...m.namedBuffers()].map(([n]) => n), ['0.count', '1.body.0.count', '2.branches.0.count']);
  assert.deepEqual([...m.namedModules()].map(([n]) => n), ['', '0', '1', '1.body', '1.body.0', '1.body.1', '2', '2.branches', '2.branches.0', '2.branches.1']);
  assert.ok(m.parameters().every((p) => p.requiresGrad));
});

test('loadStateDict copies values in place; strict mode reports missing, unexpected and mismatched keys', () => {
  const src = model();
  src.getSubmodule('1.body.0').getParameter('weight')!.data.set([3, 4]);
  const dst = model();
  const w = dst.getSubmodule('1.body.0').getParameter('weight')!;
  const res = dst.loadStateDict(src.stateDict());
  assert.deepEqual(res, { missingKeys: [], unexpectedKeys: [] });
  assert.deepEqual(w.toArray(), [3, 4]); // same tensor object, new values
  assert.equal(dst.getSubmodule('1.body.0').getParameter('weight'), w);

  const sd = src.stateDict();
  sd.delete('0.bias');
  sd.set('extra.weight', ones([1]));
  const err = caught(() => dst.loadStateDict(sd));
  assert.ok(err instanceof RuntimeError);
  assert.equal(
    err.message,
    'Error(s) in loading state_dict for Sequential:\n\tMissing key(s) in state_dict: "0.bias". \n\tUnexpected key(s) in state_dict: "extra.weight". ',
  );
  assert.deepEqual(dst.loadStateDict(sd, { strict: false }), { missingKeys: ['0.bias'], unexpectedKeys: ['extra.weight'] });

  const bad = src.stateDict();
  bad.set('0.weight', ones([3]));
  assert.throws(() => dst.loadStateDict(bad, { strict: false }), {
    message: /size mismatch for 0\.weight: copying a param with shape \[3\] from checkpoint, the shape in current model is \[2\]\./,
  });
  assert.throws(() => dst.loadStateDict({ ...Object.fromEntries(src.stateDict()), '0.weight': 'x' as unknown as Tensor }), TypeError);
});

test('train() and eval() reach every descendant', () => {
  const m = model();
  m.eval();
  assert.ok(m.modules().every((x) => !x.training));
  m.getSubmodule('1.body').train();
  assert.equal(m.getSubmodule('1.body.1').training, true);
  assert.equal(m.getSubmodule('2.branches.0').training, false);
  m.train();
  assert.ok(m.modules().every((x) => x.training));
});

test('containers compute: Sequential chains, Residual adds, Concat concatenates', () => {
  const m = model();
  m.getSubmodule('0').getParameter('weight')!.data.set([2, 3]);
  const y = m.call(tensor([[1, 1]]));
  // Affine -> [2, 3]; Residual -> 2 * [2, 3]; Concat along dim 0 with itself
  assert.deepEqual(y.toArray(), [[4, 6], [4, 6]]);
  y.sum().backward();
  assert.deepEqual(m.getSubmodule('0').getParameter('weight')!.grad!.toArray(), [4, 4]);
  m.zeroGrad();
  assert.ok(m.parameters().every((p) => p.grad === null));
});

test('errors carry the dotted path and type of the module that raised', () => {
  const seq = new nn.Sequential(new nn.Identity(), new nn.Residual(new nn.Sequential(new Refuses(), new nn.Identity())));
  const e1 = caught(() => seq.call(zeros([2, 3, 1, 1])));
  assert.equal(e1.type, 'ValueError');
  assert.equal(e1.message, 'Expected more than 1 spatial element when training, got input size [2, 3, 1, 1]');
  assert.equal(e1.modulePath, '1.body.0');
  assert.equal(e1.moduleType, 'Refuses');

  const e2 = caught(() => new nn.Concat([new nn.Identity(), new BadMatmul()]).call(zeros([2, 3])));
  assert.equal(e2.type, 'RuntimeError');
  assert.equal(e2.modulePath, 'branches.1');
  assert.equal(e2.moduleType, 'BadMatmul');

  const e3 = caught(() => new nn.Sequential(new nn.Concat([new Refuses()])).call(zeros([1])));
  assert.equal(e3.modulePath, '0.branches.0');

  // a container's own failure (Concat's cat) is attributed to the container
  const e4 = caught(() => new nn.Sequential(new nn.Identity(), new nn.Concat([new nn.Identity(), new Affine(3)], 0)).call(zeros([2, 1])));
  assert.equal(e4.modulePath, '1');
  assert.equal(e4.moduleType, 'Concat');

  const e5 = caught(() => new Refuses().call(zeros([1])));
  assert.equal(e5.modulePath, '');
  assert.throws(() => new nn.Identity().call([1, 2] as unknown as Tensor), TypeError);
});

test('forward hooks see inputs and output, and can be removed', () => {
  const m = new Affine(2);
  const seen: number[][] = [];
  const remove = m.registerForwardHook((mod, inputs, out) => {
    assert.equal(mod, m);
    seen.push([inputs[0]!.numel(), out.numel()]);
  });
  m.call(ones([3, 2]));
  remove();
  m.call(ones([1, 2]));
  assert.deepEqual(seen, [[6, 6]]);
});

test('printing follows PyTorch module repr', () => {
  assert.equal(String(new nn.Identity()), 'Identity()');
  assert.equal(
    String(new nn.Sequential(new nn.Identity(), new nn.Residual(new nn.Identity()))),
    'Sequential(\n  (0): Identity()\n  (1): Residual(\n    (body): Identity()\n  )\n)',
  );
  assert.equal(
    String(new nn.Concat([new nn.Identity()])),
    'Concat(\n  dim=1\n  (branches): ModuleList(\n    (0): Identity()\n  )\n)',
  );
  assert.equal(String(new nn.Upsample({ scaleFactor: 2 })), 'Upsample(scale_factor=2.0, mode=nearest)');
});

test('getSubmodule, Sequential.at/append, ModuleList has no forward', () => {
  const s = new nn.Sequential(new nn.Identity());
  s.append(new Affine(1));
  assert.equal(s.length, 2);
  assert.ok(s.at(-1) instanceof Affine);
  assert.throws(() => s.getSubmodule('5'), RuntimeError);
  assert.throws(() => new nn.ModuleList([]).call(ones([1])), RuntimeError);
});

test("stateDict({ prefix, keepVars, destination }) as PyTorch's state_dict(destination, prefix, keep_vars); detach() takes no arguments", () => {
  // PyTorch 1.13: list(nn.Linear(2, 2).state_dict(prefix='enc.')) == ['enc.weight', 'enc.bias'];
  // entries detached (requires_grad False) on the parameter's storage; keep_vars=True gives the parameters
  const lin = new nn.Linear(2, 2);
  const w = lin.getParameter('weight')!;
  const sd = lin.stateDict({ prefix: 'enc.' });
  assert.deepEqual([...sd.keys()], ['enc.weight', 'enc.bias']);
  const e = sd.get('enc.weight')!;
  assert.notEqual(e, w);
  assert.equal(e.requiresGrad, false);
  assert.equal(w.requiresGrad, true);
  assert.equal(e.data, w.data, 'the same storage');
  e.data[0] = 7;
  assert.equal(w.data[0], 7);
  const kept = lin.stateDict({ keepVars: true });
  assert.equal(kept.get('weight'), w);
  const dest = new Map<string, Tensor>([['step', zeros([1])]]);
  assert.equal(lin.stateDict({ destination: dest, prefix: 'm.' }), dest);
  assert.deepEqual([...dest.keys()], ['step', 'm.weight', 'm.bias']);
  // a prefixed dict loads into a module of that prefix
  const seq = new nn.Sequential(new nn.Linear(2, 2));
  assert.deepEqual(seq.loadStateDict(lin.stateDict({ prefix: '0.' })), { missingKeys: [], unexpectedKeys: [] });
  assert.deepEqual(Array.from(seq.at(0).getParameter('weight')!.data), Array.from(w.data));
  // PyTorch: state_dict('enc.') takes the string as the destination and fails; normkit names the options
  assert.throws(() => lin.stateDict('enc.' as never), (err: unknown) => err instanceof TypeError && /stateDict/.test(err.message));
  assert.throws(() => lin.stateDict({ prefx: 'a.' } as never), (err: unknown) => err instanceof TypeError && /unknown option 'prefx' \(did you mean prefix\?\)/.test(err.message));
  assert.throws(() => lin.stateDict({ destination: {} as never }), (err: unknown) => err instanceof TypeError && err.message === 'stateDict: destination must be a Map, got dict');
  // PyTorch 1.13: torch.ones(2).detach(1) -> TypeError: _TensorBase.detach() takes no arguments (1 given)
  const x = ones([2]);
  assert.throws(() => (x.detach as (...a: unknown[]) => Tensor)(true), (err: unknown) => err instanceof TypeError && err.message === '_TensorBase.detach() takes no arguments (1 given)');
  assert.equal(x.detach().data, x.data);
});
