"""Records the modules added with Conv3d from PyTorch 1.13, in the format of
../shared/oracle/cases (see its README):

    PReLU, ReLU6, SELU, SiLU, Hardswish, Softplus, PixelShuffle, PixelUnshuffle,
    Dropout2d, MaxPool1d, AvgPool1d, AdaptiveAvgPool1d, Conv3d, ConvTranspose1d,
    ConvTranspose3d, their functional forms, and small 1-D and 3-D networks.

    /usr/bin/python3 test/oracle/gen_modules.py [--seed N] [--out FILE]

Dropout2d in training draws from PyTorch's generator, which normkit does not
reproduce: training values are recorded only where they are deterministic
(p = 0, p = 1); otherwise a step records the output's shape alone
(`expect.output_shape`).
"""
import argparse
import json
import os
import random
import sys
import warnings

# PyTorch prints some sets in its messages (padding_mode's choices): fix the hash seed so that reruns write the same file.
if os.environ.get("PYTHONHASHSEED") != "0":
    os.environ["PYTHONHASHSEED"] = "0"
    os.execv(sys.executable, [sys.executable] + sys.argv)

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(HERE))
# torchcase.py and gen_nets.py: a copy beside this script wins (the script folder is sys.path[0]), else ../shared/oracle
sys.path.append(os.path.join(REPO, "..", "shared", "oracle"))

import torch  # noqa: E402
import torch.nn as nn  # noqa: E402
import torch.nn.functional as F  # noqa: E402

from torchcase import T, dump, err, full_state, run_fn_case, run_module_case  # noqa: E402
from gen_nets import spec_to_module  # noqa: E402

warnings.simplefilter("ignore")


def randomize(m, g, scale=0.3):
    """Parameters drawn from g: norm weights near 1, PReLU slopes in [0, 0.5), the rest N(0, scale^2)."""
    with torch.no_grad():
        for mod in m.modules():
            for name, p in mod.named_parameters(recurse=False):
                if isinstance(mod, nn.PReLU):
                    p.copy_(torch.rand(p.shape, generator=g) * 0.5)
                elif name == "weight" and p.dim() == 1:
                    p.copy_(1 + torch.randn(p.shape, generator=g) * 0.2)
                else:
                    p.copy_(torch.randn(p.shape, generator=g) * scale)


def build(seed):
    g = torch.Generator().manual_seed(seed)
    rn = lambda *s: torch.randn(*s, generator=g)
    cases = []

    def tup(args):
        return {k: (tuple(v) if isinstance(v, list) else v) for k, v in args.items()}

    def mod_case(kind, args, steps, tag=""):
        a = tup(args)
        cid = "%s/%s%s" % (kind, args, tag)
        case = run_module_case(cid, kind, args, lambda: getattr(nn, kind)(**a), steps,
                               set_params=lambda m: randomize(m, g), gen=g)
        for st, src in zip(case.get("steps", []), steps):
            if src.get("grad") and "grad_output" not in st:
                st["requires_grad"] = True  # it raised: no grad_output recorded, but the input required grad
        cases.append(case)

    def train(*shape, scale=1.0):
        return {"mode": "train", "input": rn(*shape) * scale, "grad": True}

    def evals(*shape, scale=1.0):
        return {"mode": "eval", "input": rn(*shape) * scale, "grad": True}

    # ---- activations ------------------------------------------------------
    # inputs scaled by 4 so that every branch (x < -3, |x| <= 3, x > 3, beta x > threshold) is hit
    for kind, arglist in [
        ("ReLU6", [{}, {"inplace": True}]),
        ("SELU", [{}]),
        ("SiLU", [{}, {"inplace": True}]),
        ("Hardswish", [{}]),
        ("Softplus", [{}, {"beta": 2, "threshold": 5}, {"beta": 0.5, "threshold": 1.5}]),
    ]:
        for args in arglist:
            if args.get("inplace"):
                # in place on a leaf that requires grad is an error in PyTorch; normkit never works in place
                mod_case(kind, args, [{"mode": "train", "input": rn(2, 3, 4) * 4}])
            else:
                mod_case(kind, args, [train(2, 3, 4, 5, scale=4), train(7, scale=4), evals(3, 4, scale=4)])
    # exact kinks: 0 and 6 for ReLU6, -3 and 3 for Hardswish
    kinks = torch.tensor([[-6.0, -3.0, -1.5, 0.0, 1.5, 3.0, 6.0, 7.0]])
    for kind in ("ReLU6", "Hardswish", "SELU", "SiLU", "Softplus"):
        mod_case(kind, {}, [{"mode": "train", "input": kinks.clone(), "grad": True}], tag="/kinks")

    for args, shapes in [
        ({}, [(2, 3, 4, 5), (6,), (2, 5)]),
        ({"num_parameters": 3}, [(2, 3, 4, 5), (3, 4, 5), (4, 3), (2, 3, 6)]),
        ({"num_parameters": 4, "init": 0.1}, [(2, 4, 2, 2, 3)]),
    ]:
        mod_case("PReLU", args, [train(*s, scale=2) for s in shapes])
    # channel mismatches and a 0-d input
    mod_case("PReLU", {"num_parameters": 3}, [train(2, 4, 5), train(3), {"mode": "train", "input": torch.tensor(1.5), "grad": True}],
             tag="/errors")
    mod_case("PReLU", {}, [{"mode": "train", "input": torch.tensor(-1.5), "grad": True}], tag="/0-d")
    mod_case("PReLU", {"num_parameters": -1}, [])

    # ---- pixel shuffle --------------------------------------------------------
    for r, shapes in [(2, [(2, 8, 3, 2), (4, 2, 3), (2, 1, 4, 1, 2)]), (3, [(1, 18, 2, 2)]), (1, [(1, 3, 2, 2)])]:
        mod_case("PixelShuffle", {"upscale_factor": r}, [train(*s) for s in shapes])
    mod_case("PixelShuffle", {"upscale_factor": 2}, [train(1, 6, 2, 2), train(8, 2), train(5, 2, 2)], tag="/errors")
    mod_case("PixelShuffle", {"upscale_factor": 0}, [train(1, 8, 2, 2)], tag="/errors")
    for r, shapes in [(2, [(2, 2, 4, 6), (3, 2, 4), (2, 1, 1, 2, 4)]), (3, [(1, 2, 3, 6)])]:
        mod_case("PixelUnshuffle", {"downscale_factor": r}, [train(*s) for s in shapes])
    mod_case("PixelUnshuffle", {"downscale_factor": 2}, [train(1, 2, 3, 4), train(1, 2, 4, 3), train(2, 4), train(1, 2, 1, 1)], tag="/errors")
    mod_case("PixelUnshuffle", {"downscale_factor": -1}, [train(1, 2, 4, 4)], tag="/errors")

    # ---- Dropout2d ------------------------------------------------------------
    for p in (0.0, 1.0):
        mod_case("Dropout2d", {"p": p}, [train(2, 3, 4, 5), train(2, 3, 4), evals(2, 3, 4, 5)])
    for p in (0.3, 0.5):
        mod_case("Dropout2d", {"p": p}, [evals(2, 3, 4, 5), evals(3, 4, 5), evals(4, 5, 6)])
    mod_case("Dropout2d", {"p": 1.5}, [])
    mod_case("Dropout2d", {"p": -0.1}, [])
    mod_case("Dropout2d", {"p": 0.5}, [train(7)], tag="/1-d")

    # ---- 1-D pooling ----------------------------------------------------------
    pools = [
        ("MaxPool1d", {"kernel_size": 2}, [(2, 3, 8), (3, 7)]),
        ("MaxPool1d", {"kernel_size": 3, "stride": 2, "padding": 1}, [(1, 2, 9), (2, 10)]),
        ("MaxPool1d", {"kernel_size": 3, "stride": 1, "dilation": 2}, [(2, 2, 7)]),
        ("MaxPool1d", {"kernel_size": 2, "stride": 2, "ceil_mode": True}, [(1, 2, 7)]),
        ("MaxPool1d", {"kernel_size": [3], "stride": [2], "padding": [1], "ceil_mode": True}, [(1, 1, 6)]),
        ("AvgPool1d", {"kernel_size": 2}, [(2, 3, 8), (3, 7)]),
        ("AvgPool1d", {"kernel_size": 3, "stride": 2, "padding": 1}, [(1, 2, 9)]),
        ("AvgPool1d", {"kernel_size": 3, "stride": 2, "padding": 1, "count_include_pad": False}, [(1, 2, 9), (2, 6)]),
        ("AvgPool1d", {"kernel_size": 2, "stride": 2, "ceil_mode": True}, [(1, 2, 7)]),
        ("AvgPool1d", {"kernel_size": [4], "stride": [3], "padding": [2], "ceil_mode": True, "count_include_pad": False}, [(1, 2, 8)]),
        ("AdaptiveAvgPool1d", {"output_size": 1}, [(2, 3, 8), (3, 5)]),
        ("AdaptiveAvgPool1d", {"output_size": 3}, [(2, 2, 7), (1, 2, 2), (4, 3)]),
        ("AdaptiveAvgPool1d", {"output_size": [4]}, [(1, 2, 10)]),
    ]
    for kind, args, shapes in pools:
        mod_case(kind, args, [train(*s) for s in shapes] + [evals(*shapes[0])])
    # too small, wrong ranks, bad arguments
    mod_case("MaxPool1d", {"kernel_size": 3}, [train(1, 2, 2), train(2, 2), train(2), train(1, 2, 2, 3), train(1, 0, 4)], tag="/errors")
    mod_case("MaxPool1d", {"kernel_size": 5, "dilation": 3}, [train(1, 2, 4)], tag="/errors")
    mod_case("MaxPool1d", {"kernel_size": 3, "padding": 2}, [train(1, 2, 5)], tag="/errors")
    mod_case("MaxPool1d", {"kernel_size": 0}, [train(1, 2, 5)], tag="/errors")
    mod_case("MaxPool1d", {"kernel_size": [2, 2]}, [train(1, 2, 5)], tag="/errors")
    mod_case("AvgPool1d", {"kernel_size": 3}, [train(1, 2, 2), train(2, 2), train(2), train(1, 2, 2, 3)], tag="/errors")
    mod_case("AvgPool1d", {"kernel_size": 3, "padding": 2}, [train(1, 2, 5)], tag="/errors")
    mod_case("AvgPool1d", {"kernel_size": [2, 2]}, [train(1, 2, 5)], tag="/errors")
    mod_case("AvgPool1d", {"kernel_size": 0}, [train(1, 2, 5)], tag="/errors")
    mod_case("AdaptiveAvgPool1d", {"output_size": 3}, [train(1, 2, 0), train(1, 2, 2, 3), train(2)], tag="/errors")
    mod_case("AdaptiveAvgPool1d", {"output_size": [3, 2]}, [train(1, 2, 5)], tag="/errors")
    mod_case("AdaptiveAvgPool1d", {"output_size": -1}, [train(1, 2, 5)], tag="/errors")

    # ---- convolutions -----------------------------------------------------------
    convs = [
        ("Conv3d", {"in_channels": 2, "out_channels": 3, "kernel_size": 3}, [(2, 2, 4, 5, 4), (2, 3, 4, 3)]),
        ("Conv3d", {"in_channels": 2, "out_channels": 4, "kernel_size": [1, 3, 2], "stride": [1, 2, 1], "padding": [0, 1, 1], "dilation": [1, 1, 2]}, [(1, 2, 3, 5, 5)]),
        ("Conv3d", {"in_channels": 4, "out_channels": 2, "kernel_size": 2, "stride": 2, "groups": 2, "bias": False}, [(1, 4, 4, 4, 5)]),
        ("Conv3d", {"in_channels": 2, "out_channels": 2, "kernel_size": 3, "padding": "same"}, [(1, 2, 3, 4, 2)]),
        ("Conv3d", {"in_channels": 2, "out_channels": 2, "kernel_size": [2, 3, 1], "padding": "same", "dilation": 2}, [(1, 2, 4, 4, 3)]),
        ("Conv3d", {"in_channels": 2, "out_channels": 3, "kernel_size": 3, "padding": 1, "padding_mode": "reflect"}, [(1, 2, 3, 3, 4)]),
        ("Conv3d", {"in_channels": 2, "out_channels": 3, "kernel_size": 3, "padding": 1, "padding_mode": "replicate"}, [(1, 2, 2, 3, 3)]),
        ("Conv3d", {"in_channels": 2, "out_channels": 3, "kernel_size": 3, "padding": 1, "padding_mode": "circular"}, [(1, 2, 3, 3, 3)]),
        ("ConvTranspose1d", {"in_channels": 2, "out_channels": 3, "kernel_size": 3}, [(2, 2, 5), (2, 4)]),
        ("ConvTranspose1d", {"in_channels": 2, "out_channels": 4, "kernel_size": 4, "stride": 2, "padding": 1, "output_padding": 1, "groups": 2}, [(1, 2, 5)]),
        ("ConvTranspose1d", {"in_channels": 3, "out_channels": 2, "kernel_size": 3, "stride": 3, "dilation": 2, "output_padding": 1, "bias": False}, [(2, 3, 3)]),
        ("ConvTranspose3d", {"in_channels": 2, "out_channels": 3, "kernel_size": 3}, [(1, 2, 2, 3, 2), (2, 2, 2, 2)]),
        ("ConvTranspose3d", {"in_channels": 4, "out_channels": 2, "kernel_size": [2, 3, 3], "stride": [2, 2, 1], "padding": [0, 1, 1], "output_padding": [1, 1, 0], "groups": 2}, [(1, 4, 2, 3, 3)]),
        ("ConvTranspose3d", {"in_channels": 2, "out_channels": 2, "kernel_size": 2, "stride": 2, "dilation": [1, 2, 1], "bias": False}, [(2, 2, 2, 2, 3)]),
    ]
    for kind, args, shapes in convs:
        mod_case(kind, args, [train(*s) for s in shapes] + [evals(*shapes[0])])
    mod_case("Conv3d", {"in_channels": 2, "out_channels": 3, "kernel_size": 3},
             [train(1, 2, 2, 4, 4), train(1, 3, 4, 4, 4), train(1, 2, 4, 4), train(2, 4, 4), train(1, 2, 3, 3, 3, 3)], tag="/errors")
    mod_case("Conv3d", {"in_channels": 2, "out_channels": 3, "kernel_size": 3, "stride": 2, "padding": 1}, [train(1, 2, 1, 1, 1)], tag="/1x1x1")
    mod_case("ConvTranspose1d", {"in_channels": 2, "out_channels": 3, "kernel_size": 3, "padding": 3},
             [train(1, 2, 1), train(1, 3, 4), train(1, 2, 4, 4), train(2)], tag="/errors")
    mod_case("ConvTranspose1d", {"in_channels": 2, "out_channels": 3, "kernel_size": 3, "stride": 2, "output_padding": 2}, [train(1, 2, 3)], tag="/errors")
    mod_case("ConvTranspose3d", {"in_channels": 2, "out_channels": 3, "kernel_size": 3, "padding": 3},
             [train(1, 2, 1, 2, 2), train(1, 3, 1, 2, 2), train(2, 2, 2)], tag="/errors")
    mod_case("ConvTranspose3d", {"in_channels": 2, "out_channels": 2, "kernel_size": 3, "output_padding": 1}, [train(1, 2, 2, 2, 2)], tag="/errors")
    for kind, args in [
        ("Conv3d", {"in_channels": 2, "out_channels": 3, "kernel_size": 3, "groups": 2}),
        ("Conv3d", {"in_channels": 2, "out_channels": 4, "kernel_size": 3, "padding": "same", "stride": 2}),
        ("Conv3d", {"in_channels": 2, "out_channels": 4, "kernel_size": 3, "padding_mode": "mirror"}),
        ("ConvTranspose1d", {"in_channels": 3, "out_channels": 4, "kernel_size": 3, "groups": 2}),
        ("ConvTranspose3d", {"in_channels": 2, "out_channels": 4, "kernel_size": 3, "padding_mode": "reflect"}),
        ("ConvTranspose1d", {"in_channels": 2, "out_channels": 4, "kernel_size": 3, "groups": 0}),
    ]:
        mod_case(kind, args, [])

    # ---- functional forms ---------------------------------------------------------
    x = rn(2, 3, 4) * 4
    for name, fn in (("relu6", F.relu6), ("selu", F.selu), ("silu", F.silu), ("hardswish", F.hardswish)):
        cases.append(run_fn_case(name, name, fn, {"input": x}, {}, grad_wrt=("input",), gen=g))
    cases.append(run_fn_case("softplus/beta=3", "softplus", F.softplus, {"input": x}, {"beta": 3, "threshold": 4}, grad_wrt=("input",), gen=g))
    cases.append(run_fn_case("prelu/per channel", "prelu", F.prelu, {"input": x, "weight": torch.rand(3, generator=g)}, {},
                             grad_wrt=("input", "weight"), gen=g))
    cases.append(run_fn_case("prelu/one weight", "prelu", F.prelu, {"input": x, "weight": torch.rand(1, generator=g)}, {},
                             grad_wrt=("input", "weight"), gen=g))
    cases.append(run_fn_case("prelu/2-d weight", "prelu", F.prelu, {"input": x, "weight": torch.rand(3, 1, generator=g)}, {}))
    cases.append(run_fn_case("pixel_shuffle", "pixel_shuffle", F.pixel_shuffle, {"input": rn(1, 12, 2, 3)}, {"upscale_factor": 2},
                             grad_wrt=("input",), gen=g))
    cases.append(run_fn_case("pixel_unshuffle", "pixel_unshuffle", F.pixel_unshuffle, {"input": rn(1, 3, 4, 6)}, {"downscale_factor": 2},
                             grad_wrt=("input",), gen=g))
    cases.append(run_fn_case("pixel_shuffle/indivisible", "pixel_shuffle", F.pixel_shuffle, {"input": rn(1, 12, 2, 3)}, {"upscale_factor": 3}))
    cases.append(run_fn_case("dropout2d/eval", "dropout2d", F.dropout2d, {"input": rn(2, 3, 2, 2)}, {"p": 0.5, "training": False},
                             grad_wrt=("input",), gen=g))
    cases.append(run_fn_case("dropout2d/p=1", "dropout2d", F.dropout2d, {"input": rn(2, 3, 2, 2)}, {"p": 1.0, "training": True},
                             grad_wrt=("input",), gen=g))
    xl = rn(2, 3, 9)
    cases.append(run_fn_case("max_pool1d", "max_pool1d", F.max_pool1d, {"input": xl}, {"kernel_size": 3, "stride": 2, "padding": 1},
                             grad_wrt=("input",), gen=g))
    # without grad, PyTorch 1.13's own max_pool1d kernel: an empty output where no window fits, an error below that
    cases.append(run_fn_case("max_pool1d/no grad, empty output", "max_pool1d", F.max_pool1d, {"input": rn(1, 2, 2)}, {"kernel_size": 3}))
    cases.append(run_fn_case("max_pool1d/no grad, negative size", "max_pool1d", F.max_pool1d, {"input": rn(1, 2, 2)},
                             {"kernel_size": 5, "dilation": 3}))
    c = run_fn_case("max_pool1d/grad, too small", "max_pool1d", F.max_pool1d, {"input": rn(1, 2, 2)}, {"kernel_size": 3},
                    grad_wrt=("input",), gen=g)
    c["requires_grad"] = ["input"]
    cases.append(c)
    cases.append(run_fn_case("avg_pool1d", "avg_pool1d", F.avg_pool1d, {"input": xl}, {"kernel_size": 4, "stride": 2, "padding": 2, "ceil_mode": True},
                             grad_wrt=("input",), gen=g))
    cases.append(run_fn_case("avg_pool1d/too small", "avg_pool1d", F.avg_pool1d, {"input": rn(1, 2, 2)}, {"kernel_size": 3}))
    cases.append(run_fn_case("adaptive_avg_pool1d", "adaptive_avg_pool1d", F.adaptive_avg_pool1d, {"input": xl}, {"output_size": 4},
                             grad_wrt=("input",), gen=g))
    cases.append(run_fn_case("adaptive_avg_pool1d/0", "adaptive_avg_pool1d", F.adaptive_avg_pool1d, {"input": xl}, {"output_size": 0}))
    xv = rn(1, 2, 3, 4, 4)
    cases.append(run_fn_case("conv3d", "conv3d", F.conv3d, {"input": xv, "weight": rn(4, 1, 2, 3, 3) * 0.3, "bias": rn(4)},
                             {"stride": [1, 2, 1], "padding": 1, "groups": 2}, grad_wrt=("input", "weight", "bias"), gen=g))
    cases.append(run_fn_case("conv3d/too small", "conv3d", F.conv3d, {"input": rn(1, 2, 1, 4, 4), "weight": rn(4, 2, 3, 3, 3)}, {}))
    cases.append(run_fn_case("conv_transpose1d", "conv_transpose1d", F.conv_transpose1d,
                             {"input": rn(2, 4, 5), "weight": rn(4, 3, 3) * 0.3, "bias": rn(6)},
                             {"stride": 2, "padding": 1, "output_padding": 1, "groups": 2}, grad_wrt=("input", "weight", "bias"), gen=g))
    cases.append(run_fn_case("conv_transpose3d", "conv_transpose3d", F.conv_transpose3d,
                             {"input": rn(1, 2, 2, 2, 3), "weight": rn(2, 3, 2, 2, 3) * 0.3, "bias": rn(3)},
                             {"stride": 2, "padding": [0, 1, 1], "dilation": [1, 1, 2]}, grad_wrt=("input", "weight", "bias"), gen=g))

    # ---- networks: a 3-D one (InstanceNorm3d / BatchNorm3d become reachable) and a 1-D one ----
    nets = {
        "3-d encoder-decoder": ({"module": "Sequential", "layers": [
            {"module": "Conv3d", "args": {"in_channels": 2, "out_channels": 4, "kernel_size": 3, "padding": 1}},
            {"module": "InstanceNorm3d", "args": {"num_features": 4, "affine": True}},
            {"module": "PReLU", "args": {"num_parameters": 4}},
            {"module": "Conv3d", "args": {"in_channels": 4, "out_channels": 6, "kernel_size": 3, "stride": 2, "padding": 1}},
            {"module": "BatchNorm3d", "args": {"num_features": 6}},
            {"module": "SiLU"},
            {"module": "Residual", "body": {"module": "Sequential", "layers": [
                {"module": "Conv3d", "args": {"in_channels": 6, "out_channels": 6, "kernel_size": 3, "padding": 1, "padding_mode": "replicate"}},
                {"module": "InstanceNorm3d", "args": {"num_features": 6}},
                {"module": "ReLU6"}]}},
            {"module": "ConvTranspose3d", "args": {"in_channels": 6, "out_channels": 4, "kernel_size": 3, "stride": 2, "padding": 1, "output_padding": 1}},
            {"module": "InstanceNorm3d", "args": {"num_features": 4, "affine": True}},
            {"module": "Hardswish"},
            {"module": "Dropout2d", "args": {"p": 0.0}},
            {"module": "Conv3d", "args": {"in_channels": 4, "out_channels": 2, "kernel_size": 1}},
            {"module": "Softplus"}]}, (2, 2, 4, 4, 4)),
        "1-d sequence net": ({"module": "Sequential", "layers": [
            {"module": "Conv1d", "args": {"in_channels": 3, "out_channels": 8, "kernel_size": 3, "padding": 1}},
            {"module": "InstanceNorm1d", "args": {"num_features": 8, "affine": True}},
            {"module": "SELU"},
            {"module": "MaxPool1d", "args": {"kernel_size": 2}},
            {"module": "Conv1d", "args": {"in_channels": 8, "out_channels": 8, "kernel_size": 3, "stride": 2}},
            {"module": "BatchNorm1d", "args": {"num_features": 8}},
            {"module": "PReLU"},
            {"module": "AvgPool1d", "args": {"kernel_size": 2, "ceil_mode": True}},
            {"module": "ConvTranspose1d", "args": {"in_channels": 8, "out_channels": 4, "kernel_size": 4, "stride": 2, "padding": 1}},
            {"module": "InstanceNorm1d", "args": {"num_features": 4}},
            {"module": "AdaptiveAvgPool1d", "args": {"output_size": 3}}]}, (2, 3, 24)),
        "sub-pixel upsampler": ({"module": "Sequential", "layers": [
            {"module": "Conv2d", "args": {"in_channels": 3, "out_channels": 8, "kernel_size": 3, "padding": 1}},
            {"module": "PixelUnshuffle", "args": {"downscale_factor": 2}},
            {"module": "InstanceNorm2d", "args": {"num_features": 32}},
            {"module": "Conv2d", "args": {"in_channels": 32, "out_channels": 12, "kernel_size": 1}},
            {"module": "PReLU", "args": {"num_parameters": 12}},
            {"module": "PixelShuffle", "args": {"upscale_factor": 2}},
            {"module": "InstanceNorm2d", "args": {"num_features": 3, "affine": True}}]}, (2, 3, 4, 6)),
    }
    for name, (spec, shp) in nets.items():
        m = spec_to_module(spec)
        randomize(m, g, 0.25)
        x = rn(*shp)
        case = {"id": "network/%s" % name, "kind": "network", "spec": spec, "state": full_state(m)}
        small = rn(*shp[:2], *[max(1, s // 4) for s in shp[2:]])
        steps = []
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

    # ---- random configurations (sizes, strides, dilations, ceil mode, groups), errors included ----
    R = random.Random(seed)

    def rand_shape(c, nd, lo=1, hi=6):
        spatial = tuple(R.randint(lo, hi) for _ in range(nd))
        return ((R.randint(1, 2), c) if R.random() < 0.7 else (c,)) + spatial

    def empty_window(L, k, s, p, d, ceil):
        """A max-pool window with no tap inside the input: PyTorch sends its gradient into the next plane."""
        num = L + 2 * p - d * (k - 1) - 1 + (s - 1 if ceil else 0)
        out = num // s + 1
        if ceil and (out - 1) * s >= L + p:
            out -= 1
        return any(all(not (0 <= o * s - p + j * d < L) for j in range(k)) for o in range(max(out, 0)))

    for _ in range(8):
        k, st, p, d, ceil = R.randint(1, 4), R.randint(1, 3), 0, R.randint(1, 2), R.random() < 0.5
        p = R.randint(0, k // 2)
        shp = rand_shape(R.randint(1, 3), 1, 1, 12)
        if not empty_window(shp[-1], k, st, p, d, ceil):
            mod_case("MaxPool1d", {"kernel_size": k, "stride": st, "padding": p, "dilation": d, "ceil_mode": ceil}, [train(*shp)], tag="/random %s" % list(shp))
        mod_case("AvgPool1d", {"kernel_size": k, "stride": st, "padding": p, "ceil_mode": ceil, "count_include_pad": R.random() < 0.5},
                 [train(*shp)], tag="/random %s" % list(shp))
        mod_case("AdaptiveAvgPool1d", {"output_size": R.randint(1, 6)}, [train(*shp)], tag="/random %s" % list(shp))
    for _ in range(6):
        G = R.choice([1, 2])
        cin, cout = G * R.randint(1, 2), G * R.randint(1, 2)
        k = [R.randint(1, 3) for _ in range(3)]
        st = [R.randint(1, 2) for _ in range(3)]
        p = [R.randint(0, 1) for _ in range(3)]
        d = [R.randint(1, 2) for _ in range(3)]
        shp = rand_shape(cin, 3, 1, 5)
        mod_case("Conv3d", {"in_channels": cin, "out_channels": cout, "kernel_size": k, "stride": st, "padding": p, "dilation": d,
                            "groups": G, "bias": R.random() < 0.5}, [train(*shp)], tag="/random %s" % list(shp))
        op = [R.randint(0, max(a, b) - 1) for a, b in zip(st, d)]
        mod_case("ConvTranspose3d", {"in_channels": cin, "out_channels": cout, "kernel_size": k, "stride": st, "padding": p, "dilation": d,
                                     "output_padding": op, "groups": G}, [train(*shp)], tag="/random %s" % list(shp))
        k1, s1, d1 = R.randint(1, 4), R.randint(1, 3), R.randint(1, 2)
        shp1 = rand_shape(cin, 1, 1, 6)
        mod_case("ConvTranspose1d", {"in_channels": cin, "out_channels": cout, "kernel_size": k1, "stride": s1, "padding": R.randint(0, 2),
                                     "dilation": d1, "output_padding": R.randint(0, max(s1, d1) - 1), "groups": G}, [train(*shp1)],
                 tag="/random %s" % list(shp1))
    for _ in range(6):
        r = R.randint(1, 3)
        c = R.randint(1, 3) * (r * r if R.random() < 0.8 else 1)
        shp = rand_shape(c, 2, 1, 3)
        mod_case("PixelShuffle", {"upscale_factor": r}, [train(*shp)], tag="/random %s" % list(shp))
        shp = rand_shape(R.randint(1, 3), 2, 1, 6)
        mod_case("PixelUnshuffle", {"downscale_factor": r}, [train(*shp)], tag="/random %s" % list(shp))

    # ---- Dropout2d in training with 0 < p < 1: PyTorch's draw is its own; only the shape is recorded ----
    for p, shp in ((0.5, (2, 3, 4, 5)), (0.25, (2, 3, 4))):
        m = nn.Dropout2d(p).train()
        x = rn(*shp)
        y = m(x)
        cases.append({"id": "Dropout2d/{'p': %s}/train shape" % p, "kind": "module", "module": "Dropout2d", "args": {"p": p},
                      "state": {}, "steps": [{"mode": "train", "input": T(x), "expect": {"output_shape": list(y.shape), "state_after": {}}}]})
    return cases


REPR_MODULES = [
    ("PReLU", {}), ("PReLU", {"num_parameters": 3, "init": 0.1}),
    ("ReLU6", {}), ("ReLU6", {"inplace": True}), ("SELU", {}), ("SELU", {"inplace": True}),
    ("SiLU", {}), ("SiLU", {"inplace": True}), ("Hardswish", {}), ("Hardswish", {"inplace": True}),
    ("Softplus", {}), ("Softplus", {"beta": 2, "threshold": 10.5}), ("Softplus", {"beta": 0.5}),
    ("PixelShuffle", {"upscale_factor": 3}), ("PixelUnshuffle", {"downscale_factor": 2}),
    ("Dropout2d", {}), ("Dropout2d", {"p": 0.0}), ("Dropout2d", {"p": 0.25, "inplace": True}),
    ("MaxPool1d", {"kernel_size": 3}), ("MaxPool1d", {"kernel_size": 3, "stride": 2, "padding": 1, "dilation": 2, "ceil_mode": True}),
    ("MaxPool1d", {"kernel_size": [2], "stride": [1]}),
    ("AvgPool1d", {"kernel_size": 3}), ("AvgPool1d", {"kernel_size": 3, "stride": 2, "padding": 1, "ceil_mode": True, "count_include_pad": False}),
    ("AvgPool1d", {"kernel_size": [4], "stride": [2]}),
    ("AdaptiveAvgPool1d", {"output_size": 3}), ("AdaptiveAvgPool1d", {"output_size": [5]}),
    ("Conv3d", {"in_channels": 2, "out_channels": 4, "kernel_size": 3}),
    ("Conv3d", {"in_channels": 2, "out_channels": 4, "kernel_size": [1, 3, 3], "stride": [1, 2, 2], "padding": [0, 1, 1], "dilation": 2, "groups": 2, "bias": False}),
    ("Conv3d", {"in_channels": 2, "out_channels": 4, "kernel_size": 3, "padding": "same", "padding_mode": "reflect"}),
    ("Conv3d", {"in_channels": 2, "out_channels": 4, "kernel_size": 3, "padding": "valid"}),
    ("ConvTranspose1d", {"in_channels": 2, "out_channels": 4, "kernel_size": 3}),
    ("ConvTranspose1d", {"in_channels": 2, "out_channels": 4, "kernel_size": 4, "stride": 2, "padding": 1, "output_padding": 1, "groups": 2, "dilation": 1, "bias": False}),
    ("ConvTranspose3d", {"in_channels": 2, "out_channels": 4, "kernel_size": [1, 2, 3], "groups": 2, "bias": False}),
    ("ConvTranspose3d", {"in_channels": 4, "out_channels": 2, "kernel_size": 3, "stride": 2, "padding": 1, "output_padding": [1, 0, 1], "dilation": [1, 1, 2]}),
]


def reprs():
    """PyTorch's repr of each module of REPR_MODULES, for the unit tests of extraRepr and the spec builders."""
    out = []
    for kind, args in REPR_MODULES:
        a = {k: (tuple(v) if isinstance(v, list) else v) for k, v in args.items()}
        out.append({"module": kind, "args": args, "repr": repr(getattr(nn, kind)(**a))})
    return out


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--out", default=os.path.join(HERE, "cases", "modules_extra.json"))
    a = ap.parse_args()
    os.makedirs(os.path.dirname(os.path.abspath(a.out)), exist_ok=True)
    torch.set_num_threads(1)
    cases = build(a.seed)
    for c in cases:
        # every message word for word, but where PyTorch prints a Python set (its order is the hash seed's)
        if "padding_mode': 'mirror'" not in c["id"]:
            c["exact_messages"] = True
    n = dump(a.out, "modules/extra", cases,
             note="recorded from PyTorch by test/oracle/gen_modules.py; format: ../shared/oracle/README.md")
    print("wrote %d cases to %s" % (n, a.out))
    rpath = os.path.join(REPO, "test", "fixtures", "modules_extra_repr.json")
    with open(rpath, "w") as fh:
        json.dump({"torch_version": torch.__version__, "note": "PyTorch reprs, recorded by test/oracle/gen_modules.py",
                   "modules": reprs()}, fh, indent=1)
        fh.write("\n")
    print("wrote %d reprs to %s" % (len(REPR_MODULES), rpath))


if __name__ == "__main__":
    main()
