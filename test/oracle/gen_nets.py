# Copied unchanged (below this comment) from ../shared/oracle/gen_nets.py, the project's shared oracle;
# run from here it writes to test/oracle/cases.
"""Network building blocks, losses, optimizers and whole small networks,
recorded from PyTorch.

    python3 gen_nets.py [--seed N] [--variant public|hidden] [--out DIR]
"""
import argparse
import os

import torch
import torch.nn as nn
import torch.nn.functional as F

from torchcase import T, dump, err, full_state, run_fn_case, run_module_case


def spec_to_module(spec):
    """Builds a torch module from the JSON model spec (see MODEL_SPEC.md)."""
    kind = spec["module"]
    args = dict(spec.get("args", {}))
    if kind == "Sequential":
        return nn.Sequential(*[spec_to_module(s) for s in spec["layers"]])
    if kind == "Residual":
        return Residual(spec_to_module(spec["body"]))
    if kind == "Concat":
        return Concat([spec_to_module(s) for s in spec["branches"]], dim=spec.get("dim", 1))
    for k in ("kernel_size", "stride", "padding", "dilation", "output_padding", "output_size", "scale_factor", "size"):
        if isinstance(args.get(k), list):
            args[k] = tuple(args[k])
    return getattr(nn, kind)(**args)


class Residual(nn.Module):
    def __init__(self, body):
        super().__init__()
        self.body = body

    def forward(self, x):
        return x + self.body(x)


class Concat(nn.Module):
    def __init__(self, branches, dim=1):
        super().__init__()
        self.branches = nn.ModuleList(branches)
        self.dim = dim

    def forward(self, x):
        return torch.cat([b(x) for b in self.branches], dim=self.dim)


def randomize(m, g, scale=0.3):
    with torch.no_grad():
        for name, p in m.named_parameters():
            if name.endswith("weight") and p.dim() == 1:
                p.copy_(1 + torch.randn(p.shape, generator=g) * 0.2)
            else:
                p.copy_(torch.randn(p.shape, generator=g) * scale)


def build(seed, variant):
    g = torch.Generator().manual_seed(seed)
    rn = lambda *s: torch.randn(*s, generator=g)
    hid = variant == "hidden"
    files = {}
    rz = lambda m: randomize(m, g)

    # ---- layers ---------------------------------------------------------
    cases = []
    layers = [
        ("Conv2d", dict(in_channels=3, out_channels=4, kernel_size=3), (2, 3, 5, 6)),
        ("Conv2d", dict(in_channels=3, out_channels=2, kernel_size=3, stride=2, padding=1), (1, 3, 7, 6)),
        ("Conv2d", dict(in_channels=4, out_channels=4, kernel_size=[3, 1], stride=[1, 2], padding=[1, 0], dilation=[2, 1]), (1, 4, 6, 5)),
        ("Conv2d", dict(in_channels=4, out_channels=6, kernel_size=3, padding=1, groups=2, bias=False), (2, 4, 4, 4)),
        ("Conv2d", dict(in_channels=2, out_channels=3, kernel_size=3, padding=1, padding_mode="reflect"), (1, 2, 4, 5)),
        ("Conv2d", dict(in_channels=3, out_channels=3, kernel_size=1), (2, 3, 1, 1)),
        ("Conv2d", dict(in_channels=3, out_channels=3, kernel_size=3), (1, 3, 2, 2)),
        ("Conv1d", dict(in_channels=2, out_channels=3, kernel_size=3, stride=2, padding=1), (2, 2, 9)),
        ("ConvTranspose2d", dict(in_channels=3, out_channels=2, kernel_size=3, stride=2, padding=1, output_padding=1), (1, 3, 3, 4)),
        ("ConvTranspose2d", dict(in_channels=2, out_channels=2, kernel_size=4, stride=2, padding=1, bias=False), (2, 2, 2, 2)),
        ("ReflectionPad2d", dict(padding=2), (1, 2, 3, 4)),
        ("ReflectionPad2d", dict(padding=[1, 0, 2, 1]), (1, 1, 3, 3)),
        ("ReplicationPad2d", dict(padding=1), (1, 2, 2, 3)),
        ("ZeroPad2d", dict(padding=[1, 2, 0, 1]), (1, 1, 2, 2)),
        ("MaxPool2d", dict(kernel_size=2), (2, 2, 5, 4)),
        ("MaxPool2d", dict(kernel_size=3, stride=2, padding=1), (1, 2, 7, 7)),
        ("MaxPool2d", dict(kernel_size=2, stride=2, ceil_mode=True), (1, 1, 5, 5)),
        ("AvgPool2d", dict(kernel_size=2), (2, 2, 4, 6)),
        ("AvgPool2d", dict(kernel_size=3, stride=2, padding=1, count_include_pad=False), (1, 2, 5, 5)),
        ("AvgPool2d", dict(kernel_size=2, stride=2, ceil_mode=True), (1, 1, 5, 3)),
        ("AdaptiveAvgPool2d", dict(output_size=1), (2, 3, 5, 4)),
        ("AdaptiveAvgPool2d", dict(output_size=[2, 3]), (1, 2, 5, 7)),
        ("AdaptiveMaxPool2d", dict(output_size=2), (1, 2, 5, 5)),
        ("MaxPool2d", dict(kernel_size=2), (1, 2, 1, 1)),
        ("Linear", dict(in_features=5, out_features=3), (4, 5)),
        ("Linear", dict(in_features=4, out_features=2, bias=False), (2, 3, 4)),
        ("Flatten", dict(), (2, 3, 2, 2)),
        ("ReLU", dict(), (2, 3, 4)),
        ("LeakyReLU", dict(negative_slope=0.2), (2, 3, 4)),
        ("Tanh", dict(), (2, 3, 4)),
        ("Sigmoid", dict(), (2, 3, 4)),
        ("GELU", dict(), (2, 3, 4)),
        ("ELU", dict(), (2, 3, 4)),
    ]
    for kind, args, shp in layers:
        a = {k: (tuple(v) if isinstance(v, list) else v) for k, v in args.items()}
        cases.append(run_module_case("%s/%s/%s" % (kind, args, list(shp)), kind, args,
                                     lambda kind=kind, a=a: getattr(nn, kind)(**a),
                                     [{"mode": "train", "input": rn(*shp), "grad": True}], set_params=rz, gen=g))
    files["layers"] = cases

    # ---- losses ---------------------------------------------------------
    cases = []
    p, q = rn(4, 3), rn(4, 3)
    for red in ("mean", "sum"):
        cases.append(run_fn_case("mse_loss/%s" % red, "mse_loss", F.mse_loss, {"input": p, "target": q}, {"reduction": red},
                                 grad_wrt=("input",), gen=g))
        cases.append(run_fn_case("l1_loss/%s" % red, "l1_loss", F.l1_loss, {"input": p, "target": q}, {"reduction": red},
                                 grad_wrt=("input",), gen=g))
    logits = rn(5, 4)
    target = torch.tensor([0, 3, 1, 1, 2])
    # cross_entropy takes integer class indices: recorded by hand
    lg = logits.clone().requires_grad_(True)
    loss = F.cross_entropy(lg, target)
    loss.backward()
    cases.append({"id": "cross_entropy/class indices", "kind": "function", "fn": "cross_entropy",
                  "inputs": {"input": T(logits), "target": target.tolist()}, "kwargs": {},
                  "grad_output": {"shape": [], "data": [1.0]},
                  "expect": {"output": T(loss), "grads": {"input": T(lg.grad)}}})
    cases.append(run_fn_case("binary_cross_entropy_with_logits", "binary_cross_entropy_with_logits",
                             F.binary_cross_entropy_with_logits, {"input": rn(3, 2), "target": torch.rand(3, 2, generator=g)},
                             {}, grad_wrt=("input",), gen=g))
    files["losses"] = cases

    # ---- optimizers: a few steps on a fixed quadratic-ish problem -------
    cases = []
    opt_cfgs = [
        ("SGD", dict(lr=0.1)),
        ("SGD", dict(lr=0.05, momentum=0.9)),
        ("SGD", dict(lr=0.05, momentum=0.9, nesterov=True, weight_decay=0.01)),
        ("Adam", dict(lr=0.01)),
        ("Adam", dict(lr=0.01, betas=[0.8, 0.99], weight_decay=0.1)),
        ("AdamW", dict(lr=0.01, weight_decay=0.1)),
    ]
    for name, cfg in opt_cfgs:
        w0 = rn(3, 2)
        b0 = rn(2)
        X = rn(6, 3)
        Y = rn(6, 2)
        w = w0.clone().requires_grad_(True)
        b = b0.clone().requires_grad_(True)
        c = {k: (tuple(v) if isinstance(v, list) else v) for k, v in cfg.items()}
        opt = getattr(torch.optim, name)([w, b], **c)
        traj = []
        for _ in range(4):
            opt.zero_grad()
            loss = ((X @ w + b - Y) ** 2).mean()
            loss.backward()
            opt.step()
            traj.append({"loss": float(loss), "w": T(w), "b": T(b)})
        cases.append({"id": "%s/%s" % (name, cfg), "kind": "optimizer", "optimizer": name, "args": cfg,
                      "problem": "loss = mean((X @ w + b - Y)^2); each step: zero_grad, loss, backward, step",
                      "init": {"w": T(w0), "b": T(b0), "X": T(X), "Y": T(Y)}, "steps": traj})
    files["optim"] = cases

    # ---- whole networks: forward and every gradient ---------------------
    cases = []
    nets = {}
    ch = 4 if not hid else 6
    # a small image-transformation network in the style of fast style transfer
    nets["style transfer net"] = ({"module": "Sequential", "layers": [
        {"module": "ReflectionPad2d", "args": {"padding": 2}},
        {"module": "Conv2d", "args": {"in_channels": 3, "out_channels": ch, "kernel_size": 5}},
        {"module": "InstanceNorm2d", "args": {"num_features": ch, "affine": True}},
        {"module": "ReLU"},
        {"module": "Conv2d", "args": {"in_channels": ch, "out_channels": 2 * ch, "kernel_size": 3, "stride": 2, "padding": 1}},
        {"module": "InstanceNorm2d", "args": {"num_features": 2 * ch, "affine": True}},
        {"module": "ReLU"},
        {"module": "Residual", "body": {"module": "Sequential", "layers": [
            {"module": "ReflectionPad2d", "args": {"padding": 1}},
            {"module": "Conv2d", "args": {"in_channels": 2 * ch, "out_channels": 2 * ch, "kernel_size": 3}},
            {"module": "InstanceNorm2d", "args": {"num_features": 2 * ch, "affine": True}},
            {"module": "ReLU"},
            {"module": "ReflectionPad2d", "args": {"padding": 1}},
            {"module": "Conv2d", "args": {"in_channels": 2 * ch, "out_channels": 2 * ch, "kernel_size": 3}},
            {"module": "InstanceNorm2d", "args": {"num_features": 2 * ch, "affine": True}}]}},
        {"module": "Upsample", "args": {"scale_factor": 2, "mode": "nearest"}},
        {"module": "Conv2d", "args": {"in_channels": 2 * ch, "out_channels": ch, "kernel_size": 3, "padding": 1}},
        {"module": "InstanceNorm2d", "args": {"num_features": ch, "affine": True}},
        {"module": "ReLU"},
        {"module": "Conv2d", "args": {"in_channels": ch, "out_channels": 3, "kernel_size": 3, "padding": 1}},
        {"module": "Tanh"}]}, (2, 3, 8, 8) if not hid else (1, 3, 10, 6))
    # an encoder that shrinks to 1x1 before a norm: fails in training, works at a larger size
    nets["collapsing encoder"] = ({"module": "Sequential", "layers": [
        {"module": "Conv2d", "args": {"in_channels": 3, "out_channels": ch, "kernel_size": 3, "stride": 2, "padding": 1}},
        {"module": "InstanceNorm2d", "args": {"num_features": ch}},
        {"module": "LeakyReLU", "args": {"negative_slope": 0.2}},
        {"module": "Conv2d", "args": {"in_channels": ch, "out_channels": ch, "kernel_size": 3, "stride": 2, "padding": 1}},
        {"module": "InstanceNorm2d", "args": {"num_features": ch}},
        {"module": "LeakyReLU", "args": {"negative_slope": 0.2}},
        {"module": "MaxPool2d", "args": {"kernel_size": 2}},
        {"module": "Conv2d", "args": {"in_channels": ch, "out_channels": ch, "kernel_size": 1}},
        {"module": "InstanceNorm2d", "args": {"num_features": ch}},
        {"module": "AdaptiveAvgPool2d", "args": {"output_size": 1}},
        {"module": "Flatten"},
        {"module": "Linear", "args": {"in_features": ch, "out_features": 2}}]}, (2, 3, 16, 16))
    nets["batchnorm classifier"] = ({"module": "Sequential", "layers": [
        {"module": "Conv2d", "args": {"in_channels": 1, "out_channels": ch, "kernel_size": 3, "padding": 1}},
        {"module": "BatchNorm2d", "args": {"num_features": ch}},
        {"module": "ReLU"},
        {"module": "AvgPool2d", "args": {"kernel_size": 2}},
        {"module": "Concat", "branches": [
            {"module": "Sequential", "layers": [
                {"module": "Conv2d", "args": {"in_channels": ch, "out_channels": ch, "kernel_size": 1}},
                {"module": "GroupNorm", "args": {"num_groups": 2, "num_channels": ch}}]},
            {"module": "Identity"}], "dim": 1},
        {"module": "AdaptiveAvgPool2d", "args": {"output_size": 1}},
        {"module": "Flatten"},
        {"module": "Linear", "args": {"in_features": 2 * ch, "out_features": 3}},
        {"module": "LayerNorm", "args": {"normalized_shape": [3]}}]}, (3, 1, 6, 6))
    for name, (spec, shp) in nets.items():
        m = spec_to_module(spec)
        randomize(m, g, 0.25)
        x = rn(*shp)
        case = {"id": "network/%s" % name, "kind": "network", "spec": spec, "state": full_state(m)}
        steps = []
        small = rn(shp[0], shp[1], max(1, shp[2] // 2), max(1, shp[3] // 2))
        for mode, xin in (("train", x), ("train", x[:1].clone()), ("eval", x), ("train", small)):
            m.train(mode == "train")
            m.zero_grad(set_to_none=True)
            xi = xin.clone().requires_grad_(True)
            st = {"mode": mode, "input": T(xin)}
            try:
                y = m(xi)
                go = torch.randn(y.shape, generator=g)
                st["grad_output"] = T(go)
                (y * go).sum().backward()
                st["expect"] = {"output": T(y), "grad_input": T(xi.grad),
                                "grad_params": {n: T(p.grad) for n, p in m.named_parameters() if p.grad is not None}}
            except Exception as e:
                st["expect"] = {"error": err(e)}
            st["expect"]["state_after"] = full_state(m)
            steps.append(st)
        case["steps"] = steps
        cases.append(case)
    files["networks"] = cases
    return files


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--variant", default="public")
    ap.add_argument("--out", default=os.path.join(os.path.dirname(os.path.abspath(__file__)), "cases"))
    a = ap.parse_args()
    os.makedirs(a.out, exist_ok=True)
    torch.set_num_threads(1)
    total = 0
    for name, cases in build(a.seed, a.variant).items():
        total += dump(os.path.join(a.out, "nets_%s.json" % name), "nets/" + name, cases,
                      note="recorded from PyTorch; see README.md")
    print("wrote %d cases to %s" % (total, a.out))


if __name__ == "__main__":
    main()
