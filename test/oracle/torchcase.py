# Copied unchanged (below this comment) from ../shared/oracle/torchcase.py, the project's shared oracle;
# run from here it writes to test/oracle/cases.
"""Helpers that record PyTorch behaviour as JSON test cases.

A case runs a module (or a function) through a list of steps with real
PyTorch and records what came out: outputs, gradients, buffers, or the
exception.  See README.md beside this file for the format.
"""
import json
import math
import re
import warnings

import torch
import torch.nn as nn

TORCH_VERSION = torch.__version__


def T(x):
    """A tensor as {"shape", "data"} (row-major, float32 values)."""
    x = x.detach().to(torch.float32).contiguous()
    return {"shape": list(x.shape), "data": [float(v) for v in x.reshape(-1).tolist()]}


def clean_message(msg):
    # torch prints sizes as torch.Size([2, 4, 1, 1]); the cases keep [2, 4, 1, 1]
    return re.sub(r"torch\.Size\((\[[^\]]*\])\)", r"\1", str(msg))


def err(e):
    return {"type": type(e).__name__, "message": clean_message(e)}


def _fmt(o):
    if isinstance(o, float):
        if math.isnan(o):
            return "NaN"
        if math.isinf(o):
            return "Infinity" if o > 0 else "-Infinity"
        return "%.9g" % o
    return None


def dump(path, suite, cases, note=""):
    """Writes cases with float32-exact, compact numbers ('%.9g' round-trips float32)."""

    def enc(o):
        if isinstance(o, dict):
            return "{" + ",".join(json.dumps(k) + ":" + enc(v) for k, v in o.items()) + "}"
        if isinstance(o, (list, tuple)):
            return "[" + ",".join(enc(v) for v in o) + "]"
        if isinstance(o, bool) or o is None:
            return json.dumps(o)
        if isinstance(o, float):
            f = _fmt(o)
            # JSON has no NaN/Infinity: such values are written as strings
            return json.dumps(f) if f in ("NaN", "Infinity", "-Infinity") else f
        return json.dumps(o)

    body = {"suite": suite, "torch_version": TORCH_VERSION, "note": note, "cases": cases}
    with open(path, "w") as fh:
        fh.write(enc(body))
        fh.write("\n")
    return len(cases)


def state_of(module):
    out = {}
    for name, p in module.named_parameters(recurse=False):
        out[name] = T(p)
    for name, b in module.named_buffers(recurse=False):
        if b is None:
            continue
        out[name] = int(b.item()) if b.dtype == torch.long else T(b)
    return out


def full_state(module):
    """Every parameter and buffer of a module tree, by dotted name."""
    out = {}
    for name, v in module.state_dict().items():
        out[name] = int(v.item()) if v.dtype == torch.long else T(v)
    return out


def run_module_case(case_id, ctor_name, args, make, steps, set_params=None, gen=None, extra=None,
                    float64=False):
    """Builds a module and runs steps.

    steps: list of dicts with "mode" ("train"|"eval"), "input" (tensor) and
    optionally "grad" (True: a random grad_output is drawn and gradients are
    recorded).
    """
    case = {"id": case_id, "kind": "module", "module": ctor_name, "args": args}
    if extra:
        case.update(extra)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            m = make()
    except Exception as e:  # constructor refused the arguments
        case["kind"] = "construct_error"
        case["expect"] = {"error": err(e)}
        return case
    if set_params:
        set_params(m)
    case["state"] = full_state(m)
    if float64:
        # the expected values are computed in double precision from the same float32 inputs
        m = m.double()
    rec_steps = []
    for st in steps:
        x = st["input"].clone()
        step = {"mode": st["mode"], "input": T(x)}
        m.train(st["mode"] == "train")
        want_grad = st.get("grad", False)
        xg = (x.double() if float64 else x.clone()).requires_grad_(want_grad)
        m.zero_grad(set_to_none=True)
        try:
            y = m(xg)
            expect = {"output": T(y)}
            if want_grad:
                go = torch.randn(y.shape, generator=gen)
                step["grad_output"] = T(go)
                (y * (go.double() if float64 else go)).sum().backward()
                expect["grad_input"] = T(xg.grad)
                gp = {}
                for name, p in m.named_parameters():
                    if p.grad is not None:
                        gp[name] = T(p.grad)
                if gp:
                    expect["grad_params"] = gp
        except Exception as e:
            expect = {"error": err(e)}
        expect["state_after"] = full_state(m)
        step["expect"] = expect
        rec_steps.append(step)
    case["steps"] = rec_steps
    return case


def run_fn_case(case_id, fn_name, fn, inputs, kwargs, grad_wrt=(), gen=None):
    """Calls fn(**inputs, **kwargs) once; records output and gradients for grad_wrt."""
    case = {"id": case_id, "kind": "function", "fn": fn_name,
            "inputs": {k: (T(v) if torch.is_tensor(v) else v) for k, v in inputs.items()},
            "kwargs": kwargs}
    ins = {k: (v.clone().requires_grad_(k in grad_wrt) if torch.is_tensor(v) else v) for k, v in inputs.items()}
    try:
        y = fn(**ins, **kwargs)
        expect = {"output": T(y)}
        if grad_wrt:
            go = torch.randn(y.shape, generator=gen)
            case["grad_output"] = T(go)
            (y * go).sum().backward()
            expect["grads"] = {k: T(ins[k].grad) for k in grad_wrt}
    except Exception as e:
        expect = {"error": err(e)}
    case["expect"] = expect
    return case
