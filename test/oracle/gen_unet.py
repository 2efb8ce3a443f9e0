"""Shape-flow ground truth for pix2pix's unet_256 (UnetSkipConnectionBlock,
8 downsamplings, BatchNorm2d, no dropout): real PyTorch forward passes at the
sizes the doctor's claims are about (works at 256..257 and 512..513, fails at
128 and 258..511). ngf=4 instead of 64: the channels do not change the shape
flow, and the passes stay cheap. Writes cases/shapeflow_unet.json.

    python3 gen_unet.py
"""
import os

import torch

from gen_shapeflow import trace
from gen_nets import spec_to_module
from torchcase import dump

L = lambda m, **a: {"module": m, "args": a} if a else {"module": m}
Seq = lambda *layers: {"module": "Sequential", "layers": [x for x in layers]}


def block(outer, inner, input_nc, sub, where):
    """models/networks.py's UnetSkipConnectionBlock with norm_layer=BatchNorm2d (use_bias False), use_dropout False."""
    in_c = outer if input_nc is None else input_nc
    downconv = L("Conv2d", in_channels=in_c, out_channels=inner, kernel_size=4, stride=2, padding=1, bias=False)
    downrelu = L("LeakyReLU", negative_slope=0.2, inplace=True)
    uprelu = L("ReLU", inplace=True)
    if where == "outermost":
        return Seq(downconv, sub, uprelu, L("ConvTranspose2d", in_channels=inner * 2, out_channels=outer, kernel_size=4, stride=2, padding=1), L("Tanh"))
    if where == "innermost":
        model = Seq(downrelu, downconv, uprelu, L("ConvTranspose2d", in_channels=inner, out_channels=outer, kernel_size=4, stride=2, padding=1, bias=False), L("BatchNorm2d", num_features=outer))
    else:
        model = Seq(downrelu, downconv, L("BatchNorm2d", num_features=inner), sub, uprelu,
                    L("ConvTranspose2d", in_channels=inner * 2, out_channels=outer, kernel_size=4, stride=2, padding=1, bias=False), L("BatchNorm2d", num_features=outer))
    return {"module": "Concat", "dim": 1, "branches": [L("Identity"), model]}


def unet(input_nc=3, output_nc=3, num_downs=8, ngf=4):
    b = block(ngf * 8, ngf * 8, None, None, "innermost")
    for _ in range(num_downs - 5):
        b = block(ngf * 8, ngf * 8, None, b, "middle")
    b = block(ngf * 4, ngf * 8, None, b, "middle")
    b = block(ngf * 2, ngf * 4, None, b, "middle")
    b = block(ngf, ngf * 2, None, b, "middle")
    return block(output_nc, ngf, input_nc, b, "outermost")


SIZES = [2, 64, 128, 255, 256, 257, 258, 300, 384, 511, 512, 513, 514, 767, 768, 769, 770]


def main():
    torch.set_num_threads(1)
    g = torch.Generator().manual_seed(11)
    spec = unet()
    model = spec_to_module(spec)
    mods = {n: type(m).__name__ for n, m in model.named_modules() if n}
    results, works = [], []
    for s in SIZES:
        shape = [1, 3, s, s]
        out, shapes, e, at = trace(model, torch.randn(*shape, generator=g), "train")
        r = {"size": s, "input_shape": shape}
        if e is None:
            r["outcome"] = "ok"
            r["output_shape"] = out
            works.append(s)
        else:
            r["outcome"] = "error"
            r["error"] = e
            r["raised_in"] = {"path": at, "module": mods.get(at, type(model).__name__)}
        results.append(r)
    case = {"id": "pix2pix unet_256 (ngf 4)/train", "kind": "shape_flow", "spec": spec, "mode": "train", "sweep_axis": "square",
            "modules": mods, "sweep": results, "working_sizes": works, "smallest_working_size": min(works) if works else None}
    out = os.path.join(os.path.dirname(os.path.abspath(__file__)), "cases", "shapeflow_unet.json")
    n = dump(out, "shapeflow/unet", [case], note="pix2pix unet_256: PyTorch forward passes at chosen sizes; see gen_unet.py")
    print("wrote %d case to %s; works at %s" % (n, out, works))


if __name__ == "__main__":
    main()
