# Copied unchanged (below this comment) from ../shared/oracle/gen_shapeflow.py, the project's shared oracle;
# run from here it writes to test/oracle/cases.
"""Shape-flow ground truth: real PyTorch forward passes over a sweep of
input sizes, recording for each size whether the model runs, every
module's output shape, and, where it fails, which module raised what.

    python3 gen_shapeflow.py [--variant public|hidden] [--out DIR]
"""
import argparse
import os

import torch

from gen_nets import spec_to_module
from torchcase import dump, err

L = lambda m, **a: {"module": m, "args": a} if a else {"module": m}
Seq = lambda *layers: {"module": "Sequential", "layers": list(layers)}


def public_zoo():
    z = {}
    z["collapsing encoder (stride-2 convs, InstanceNorm2d)"] = (Seq(
        L("Conv2d", in_channels=3, out_channels=8, kernel_size=3, stride=2, padding=1), L("InstanceNorm2d", num_features=8), L("ReLU"),
        L("Conv2d", in_channels=8, out_channels=16, kernel_size=3, stride=2, padding=1), L("InstanceNorm2d", num_features=16), L("ReLU"),
        L("Conv2d", in_channels=16, out_channels=32, kernel_size=3, stride=2, padding=1), L("InstanceNorm2d", num_features=32), L("ReLU"),
        L("Conv2d", in_channels=32, out_channels=32, kernel_size=3, stride=2, padding=1), L("InstanceNorm2d", num_features=32), L("ReLU"),
        L("AdaptiveAvgPool2d", output_size=1), L("Flatten"), L("Linear", in_features=32, out_features=10)), "square", 3, 2)
    z["patch discriminator (k4 s2, InstanceNorm2d, LeakyReLU)"] = (Seq(
        L("Conv2d", in_channels=3, out_channels=8, kernel_size=4, stride=2, padding=1), L("LeakyReLU", negative_slope=0.2),
        L("Conv2d", in_channels=8, out_channels=16, kernel_size=4, stride=2, padding=1), L("InstanceNorm2d", num_features=16), L("LeakyReLU", negative_slope=0.2),
        L("Conv2d", in_channels=16, out_channels=32, kernel_size=4, stride=2, padding=1), L("InstanceNorm2d", num_features=32), L("LeakyReLU", negative_slope=0.2),
        L("Conv2d", in_channels=32, out_channels=32, kernel_size=4, stride=1, padding=1), L("InstanceNorm2d", num_features=32), L("LeakyReLU", negative_slope=0.2),
        L("Conv2d", in_channels=32, out_channels=1, kernel_size=4, stride=1, padding=1)), "square", 3, 2)
    res = lambda c: {"module": "Residual", "body": Seq(
        L("ReflectionPad2d", padding=1), L("Conv2d", in_channels=c, out_channels=c, kernel_size=3), L("InstanceNorm2d", num_features=c, affine=True), L("ReLU"),
        L("ReflectionPad2d", padding=1), L("Conv2d", in_channels=c, out_channels=c, kernel_size=3), L("InstanceNorm2d", num_features=c, affine=True))}
    z["resnet generator (reflect pad, 2 downsamplings, residual blocks)"] = (Seq(
        L("ReflectionPad2d", padding=3), L("Conv2d", in_channels=3, out_channels=8, kernel_size=7), L("InstanceNorm2d", num_features=8, affine=True), L("ReLU"),
        L("Conv2d", in_channels=8, out_channels=16, kernel_size=3, stride=2, padding=1), L("InstanceNorm2d", num_features=16, affine=True), L("ReLU"),
        L("Conv2d", in_channels=16, out_channels=32, kernel_size=3, stride=2, padding=1), L("InstanceNorm2d", num_features=32, affine=True), L("ReLU"),
        res(32), res(32),
        L("ConvTranspose2d", in_channels=32, out_channels=16, kernel_size=3, stride=2, padding=1, output_padding=1), L("InstanceNorm2d", num_features=16, affine=True), L("ReLU"),
        L("ConvTranspose2d", in_channels=16, out_channels=8, kernel_size=3, stride=2, padding=1, output_padding=1), L("InstanceNorm2d", num_features=8, affine=True), L("ReLU"),
        L("ReflectionPad2d", padding=3), L("Conv2d", in_channels=8, out_channels=3, kernel_size=7), L("Tanh")), "square", 3, 1)
    z["u-net level (skip concat around a down/up path)"] = (Seq(
        L("Conv2d", in_channels=3, out_channels=8, kernel_size=3, padding=1), L("InstanceNorm2d", num_features=8), L("ReLU"),
        {"module": "Concat", "dim": 1, "branches": [L("Identity"), Seq(
            L("MaxPool2d", kernel_size=2), L("Conv2d", in_channels=8, out_channels=8, kernel_size=3, padding=1), L("InstanceNorm2d", num_features=8), L("ReLU"),
            L("MaxPool2d", kernel_size=2), L("Conv2d", in_channels=8, out_channels=8, kernel_size=3, padding=1), L("InstanceNorm2d", num_features=8), L("ReLU"),
            L("Upsample", scale_factor=4, mode="nearest"))]},
        L("Conv2d", in_channels=16, out_channels=2, kernel_size=1)), "square", 3, 2)
    z["keypoint encoder (Conv1d k1 + InstanceNorm1d over keypoints)"] = (Seq(
        L("Conv1d", in_channels=3, out_channels=16, kernel_size=1), L("InstanceNorm1d", num_features=16), L("ReLU"),
        L("Conv1d", in_channels=16, out_channels=32, kernel_size=1), L("InstanceNorm1d", num_features=32), L("ReLU"),
        L("Conv1d", in_channels=32, out_channels=32, kernel_size=1)), "length", 3, 1)
    z["pooled head with BatchNorm2d (fails at batch 1)"] = (Seq(
        L("Conv2d", in_channels=3, out_channels=8, kernel_size=3, padding=1), L("BatchNorm2d", num_features=8), L("ReLU"),
        L("AdaptiveAvgPool2d", output_size=1), L("Conv2d", in_channels=8, out_channels=8, kernel_size=1), L("BatchNorm2d", num_features=8), L("ReLU"),
        L("Flatten"), L("Linear", in_features=8, out_features=4)), "batch", 3, 8)
    z["upsampled bottleneck (nearest upsample from 1x1 then InstanceNorm2d)"] = (Seq(
        L("Conv2d", in_channels=3, out_channels=8, kernel_size=3, stride=2, padding=1), L("InstanceNorm2d", num_features=8), L("ReLU"),
        L("AdaptiveAvgPool2d", output_size=1),
        L("Upsample", scale_factor=2, mode="nearest"), L("InstanceNorm2d", num_features=8), L("ReLU"),
        L("Conv2d", in_channels=8, out_channels=4, kernel_size=1)), "square", 3, 2)
    return z


def sweep_inputs(axis, channels, fixed, lo, hi):
    """axis 'square': [fixed, C, s, s]; 'length': [fixed, C, s]; 'batch': [s, C, fixed, fixed]."""
    for s in range(lo, hi + 1):
        if axis == "square":
            yield s, [fixed, channels, s, s]
        elif axis == "length":
            yield s, [fixed, channels, s]
        else:
            yield s, [s, channels, fixed, fixed]


def trace(model, x, mode):
    """Runs model(x); returns (output shape or None, {path: output shape}, error, path that raised)."""
    model.train(mode == "train")
    shapes, stack, handles = {}, [], []
    names = {m: n for n, m in model.named_modules()}

    def pre(mod, inp):
        stack.append(names[mod])

    def post(mod, inp, out):
        stack.pop()
        shapes[names[mod]] = list(out.shape)

    for mod in model.modules():
        handles.append(mod.register_forward_pre_hook(pre))
        handles.append(mod.register_forward_hook(post))
    try:
        with torch.no_grad():
            y = model(x)
        return list(y.shape), shapes, None, None
    except Exception as e:
        return None, shapes, err(e), (stack[-1] if stack else None)
    finally:
        for h in handles:
            h.remove()


def build(zoo, seed, lo=1, hi=48):
    g = torch.Generator().manual_seed(seed)
    cases = []
    for name, (spec, axis, channels, fixed) in zoo.items():
        model = spec_to_module(spec)
        mods = {n: type(m).__name__ for n, m in model.named_modules() if n}
        for mode in ("train", "eval"):
            results, works = [], []
            for s, shape in sweep_inputs(axis, channels, fixed, lo, hi if axis != "batch" else 6):
                x = torch.randn(*shape, generator=g)
                out, shapes, e, at = trace(model, x, mode)
                r = {"size": s, "input_shape": shape}
                if e is None:
                    r["outcome"] = "ok"
                    r["output_shape"] = out
                    works.append(s)
                    if s in (lo + 15, 32):
                        r["module_output_shapes"] = shapes
                else:
                    r["outcome"] = "error"
                    r["error"] = e
                    r["raised_in"] = {"path": at, "module": mods.get(at, type(model).__name__)}
                results.append(r)
            cases.append({"id": "%s/%s" % (name, mode), "kind": "shape_flow", "spec": spec, "mode": mode,
                          "sweep_axis": axis, "modules": mods, "sweep": results,
                          "working_sizes": works, "smallest_working_size": min(works) if works else None})
    return cases


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--variant", default="public")
    ap.add_argument("--out", default=os.path.join(os.path.dirname(os.path.abspath(__file__)), "cases"))
    a = ap.parse_args()
    os.makedirs(a.out, exist_ok=True)
    torch.set_num_threads(1)
    if a.variant == "public":
        zoo = public_zoo()
    else:
        import importlib
        zoo = importlib.import_module("hidden_zoo").hidden_zoo()
    n = dump(os.path.join(a.out, "shapeflow_zoo.json"), "shapeflow/zoo", build(zoo, 7),
             note="PyTorch forward passes over a sweep of input sizes; see README.md")
    print("wrote %d cases to %s" % (n, a.out))


if __name__ == "__main__":
    main()
