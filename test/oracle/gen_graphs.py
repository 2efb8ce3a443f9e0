"""General-form models (docs/model-spec.md) recorded from PyTorch: forward
values and gradients (kind `network`, with named inputs and several outputs)
and shape flows over a sweep of input sizes (kind `shape_flow`), for the
model shapes the tree form cannot say: several inputs and outputs, sums of
two non-identity branches, sizes taken from another tensor, slicing. The
same models are exported to ONNX (test/fixtures/onnx-graphs) with PyTorch's
eval-mode outputs beside each file.

    /usr/bin/python3 test/oracle/gen_graphs.py [--out DIR] [--onnx DIR]

Needs PyTorch (Debian: apt-get install -y python3-torch). Builds each torch
module from the same JSON spec normkit reads: module nodes through
gen_nets.spec_to_module, functional nodes through the table FUNCTIONS below.
"""
import argparse
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
# The oracle helpers: a copy beside this file, or ../shared/oracle next to the repository.
sys.path.insert(0, HERE)
sys.path.append(os.path.join(HERE, "..", "..", "..", "shared", "oracle"))

import torch  # noqa: E402
import torch.nn as nn  # noqa: E402
import torch.nn.functional as F  # noqa: E402

from gen_nets import randomize, spec_to_module  # noqa: E402
from torchcase import T, dump, err, run_fn_case  # noqa: E402


def _interpolate(xs, a):
    kw = {"mode": a.get("mode", "nearest")}
    if a.get("align_corners") is not None:
        kw["align_corners"] = a["align_corners"]
    if len(xs) == 2:
        return F.interpolate(xs[0], size=xs[1].shape[2:], **kw)
    if "size" in a:
        return F.interpolate(xs[0], size=a["size"], **kw)
    return F.interpolate(xs[0], scale_factor=a["scale_factor"], **kw)


def _slice(xs, a):
    idx = [slice(None)] * xs[0].dim()
    idx[a["dim"]] = slice(a.get("start", 0), a.get("end"), a.get("step", 1))
    return xs[0][tuple(idx)]


def _binary(f):
    return lambda xs, a: f(xs[0], xs[1] if len(xs) == 2 else a["other"])


FUNCTIONS = {
    "add": _binary(torch.add),
    "sub": _binary(torch.sub),
    "mul": _binary(torch.mul),
    "div": _binary(torch.div),
    "cat": lambda xs, a: torch.cat(xs, dim=a.get("dim", 0)),
    "chunk": lambda xs, a: torch.chunk(xs[0], a["chunks"], dim=a.get("dim", 0)),
    "slice": _slice,
    "reshape": lambda xs, a: xs[0].reshape(a["shape"]),
    "view": lambda xs, a: xs[0].view(a["shape"]),
    "flatten": lambda xs, a: torch.flatten(xs[0], a.get("start_dim", 0), a.get("end_dim", -1)),
    "permute": lambda xs, a: xs[0].permute(a["dims"]),
    "transpose": lambda xs, a: xs[0].transpose(a["dim0"], a["dim1"]),
    "squeeze": lambda xs, a: xs[0].squeeze(a["dim"]) if a.get("dim") is not None else xs[0].squeeze(),
    "unsqueeze": lambda xs, a: xs[0].unsqueeze(a["dim"]),
    "mean": lambda xs, a: xs[0].mean(dim=a["dim"], keepdim=a.get("keepdim", False)),
    "sum": lambda xs, a: xs[0].sum(dim=a["dim"], keepdim=a.get("keepdim", False)),
    "interpolate": _interpolate,
    "pad": lambda xs, a: F.pad(xs[0], a["pad"], mode=a.get("mode", "constant"), value=a.get("value", 0.0)),
    "matmul": lambda xs, a: torch.matmul(xs[0], xs[1]),
    "relu": lambda xs, a: F.relu(xs[0]),
    "sigmoid": lambda xs, a: torch.sigmoid(xs[0]),
    "tanh": lambda xs, a: torch.tanh(xs[0]),
    "leaky_relu": lambda xs, a: F.leaky_relu(xs[0], a.get("negative_slope", 0.01)),
    "softmax": lambda xs, a: F.softmax(xs[0], dim=a["dim"]),
}


class GraphModule(nn.Module):
    """A general-form spec as a torch module: module nodes are submodules by name."""

    def __init__(self, spec):
        super().__init__()
        self.spec = spec
        for n in spec["nodes"]:
            if "module" in n:
                tree = {k: v for k, v in n.items() if k not in ("name", "inputs", "outputs", "scope")}
                self.add_module(n["name"], spec_to_module(tree))

    def forward(self, *inputs):
        env = dict(zip(self.spec["inputs"].keys(), inputs))
        for n in self.spec["nodes"]:
            xs = [env[i] for i in n["inputs"]]
            outs = n.get("outputs", [n["name"]])
            if "module" in n:
                ys = [getattr(self, n["name"])(*xs)]
            elif "call" in n:
                ys = [getattr(self, n["call"])(*xs)]
            else:
                y = FUNCTIONS[n["op"]](xs, n.get("args", {}))
                ys = list(y) if isinstance(y, tuple) else [y]
                if len(ys) != len(outs):
                    raise ValueError("not enough values to unpack (expected %d, got %d)" % (len(outs), len(ys)))
            env.update(zip(outs, ys))
        res = [env[o] for o in self.spec["outputs"]]
        return res[0] if len(res) == 1 else tuple(res)


L = lambda m, **a: {"module": m, "args": a} if a else {"module": m}  # noqa: E731
Seq = lambda *layers: {"module": "Sequential", "layers": list(layers)}  # noqa: E731


def node(name, inputs, **kw):
    return {"name": name, "inputs": inputs, **kw}


def conv(i, o, k, s=1, p=0):
    return dict(in_channels=i, out_channels=o, kernel_size=k, stride=s, padding=p)


def zoo():
    """name -> (spec, swept inputs' channels are fixed by the spec; batch)."""
    z = {}
    # StarGAN: a label vector tiled to the image's size (a size taken from another tensor), concatenated.
    z["stargan-style generator (image + label map)"] = {
        "inputs": {"x": [2, 3, 12, 12], "c": [2, 5]},
        "nodes": [
            node("c4", ["c"], op="reshape", args={"shape": [-1, 5, 1, 1]}),
            node("cmap", ["c4", "x"], op="interpolate", args={"mode": "nearest"}),
            node("xc", ["x", "cmap"], op="cat", args={"dim": 1}),
            node("enc", ["xc"], module="Sequential", layers=[
                L("Conv2d", **conv(8, 4, 3, 1, 1)), L("InstanceNorm2d", num_features=4, affine=True), L("ReLU"),
                L("Conv2d", **conv(4, 8, 4, 2, 1)), L("InstanceNorm2d", num_features=8, affine=True), L("ReLU"),
                L("Conv2d", **conv(8, 8, 4, 2, 1)), L("InstanceNorm2d", num_features=8, affine=True), L("ReLU")]),
            node("dec", ["enc"], module="Sequential", layers=[
                L("ConvTranspose2d", in_channels=8, out_channels=8, kernel_size=4, stride=2, padding=1), L("InstanceNorm2d", num_features=8, affine=True), L("ReLU"),
                L("ConvTranspose2d", in_channels=8, out_channels=4, kernel_size=4, stride=2, padding=1), L("InstanceNorm2d", num_features=4, affine=True), L("ReLU"),
                L("Conv2d", **conv(4, 3, 3, 1, 1)), L("Tanh")]),
        ],
        "outputs": ["dec"],
    }
    # torchvision ResNet past layer1: a projection shortcut (conv1x1 stride 2 + BN) summed with the main branch.
    z["resnet projection block (sum of two branches)"] = {
        "inputs": {"x": [2, 4, 8, 8]},
        "nodes": [
            node("main", ["x"], module="Sequential", layers=[
                L("Conv2d", **conv(4, 8, 3, 2, 1), bias=False), L("BatchNorm2d", num_features=8), L("ReLU"),
                L("Conv2d", **conv(8, 8, 3, 1, 1), bias=False), L("BatchNorm2d", num_features=8)]),
            node("downsample", ["x"], module="Sequential", layers=[L("Conv2d", **conv(4, 8, 1, 2, 0), bias=False), L("BatchNorm2d", num_features=8)]),
            node("sum", ["main", "downsample"], op="add"),
            node("relu", ["sum"], op="relu"),
            node("head", ["relu"], module="Sequential", layers=[L("AdaptiveAvgPool2d", output_size=1), L("Flatten"), L("Linear", in_features=8, out_features=3)]),
        ],
        "outputs": ["head"],
    }
    # DeepLab's ASPP pooled branch: pool to 1x1, conv + BN (batch statistics of N values), resize back to the input's size.
    z["aspp pooled branch (size from another tensor, BatchNorm after 1x1 pooling)"] = {
        "inputs": {"x": [2, 4, 8, 8]},
        "nodes": [
            node("stem", ["x"], module="Sequential", layers=[L("Conv2d", **conv(4, 8, 3, 2, 1)), L("BatchNorm2d", num_features=8), L("ReLU")]),
            node("branch", ["stem"], module="Sequential", layers=[L("Conv2d", **conv(8, 8, 3, 1, 2), dilation=2), L("BatchNorm2d", num_features=8), L("ReLU")]),
            node("pool", ["stem"], module="Sequential", layers=[L("AdaptiveAvgPool2d", output_size=1), L("Conv2d", **conv(8, 8, 1)), L("BatchNorm2d", num_features=8), L("ReLU")]),
            node("pool_up", ["pool", "stem"], op="interpolate", args={"mode": "bilinear", "align_corners": False}),
            node("aspp", ["branch", "pool_up"], op="cat", args={"dim": 1}),
            node("project", ["aspp"], module="Sequential", layers=[L("Conv2d", **conv(16, 8, 1)), L("BatchNorm2d", num_features=8), L("ReLU")]),
        ],
        "outputs": ["project"],
    }
    # A transposed-conv output cropped by slicing (x[:, :, 1:, 1:]) before an InstanceNorm.
    z["cropped transposed conv (slicing)"] = {
        "inputs": {"x": [2, 3, 8, 8]},
        "nodes": [
            node("down", ["x"], module="Sequential", layers=[L("Conv2d", **conv(3, 8, 3, 2, 1)), L("InstanceNorm2d", num_features=8), L("ReLU")]),
            node("up", ["down"], module="ConvTranspose2d", args=dict(in_channels=8, out_channels=8, kernel_size=3, stride=2)),
            node("crop_h", ["up"], op="slice", args={"dim": 2, "start": 1}),
            node("crop", ["crop_h"], op="slice", args={"dim": 3, "start": 1}),
            node("norm", ["crop"], module="InstanceNorm2d", args={"num_features": 8}),
            node("out", ["norm"], module="Conv2d", args=conv(8, 3, 1)),
        ],
        "outputs": ["out"],
    }
    # A VAE encoder: (mu, logvar) from one head, split in two outputs.
    z["vae encoder (two outputs)"] = {
        "inputs": {"x": [2, 3, 8, 8]},
        "nodes": [
            node("features", ["x"], module="Sequential", layers=[
                L("Conv2d", **conv(3, 8, 4, 2, 1)), L("GroupNorm", num_groups=2, num_channels=8), L("LeakyReLU", negative_slope=0.2),
                L("Conv2d", **conv(8, 16, 4, 2, 1)), L("InstanceNorm2d", num_features=16), L("LeakyReLU", negative_slope=0.2),
                L("AdaptiveAvgPool2d", output_size=1)]),
            node("flat", ["features"], op="flatten", args={"start_dim": 1}),
            node("head", ["flat"], module="Linear", args={"in_features": 16, "out_features": 8}),
            node("split", ["head"], op="chunk", args={"chunks": 2, "dim": 1}, outputs=["mu", "logvar"]),
        ],
        "outputs": ["mu", "logvar"],
    }
    # pix2pix's discriminator sees the image pair (input, target) concatenated on channels.
    z["pix2pix pair discriminator (two image inputs)"] = {
        "inputs": {"a": [1, 3, 16, 16], "b": [1, 3, 16, 16]},
        "nodes": [
            node("pair", ["a", "b"], op="cat", args={"dim": 1}),
            node("model", ["pair"], module="Sequential", layers=[
                L("Conv2d", **conv(6, 4, 4, 2, 1)), L("LeakyReLU", negative_slope=0.2),
                L("Conv2d", **conv(4, 8, 4, 2, 1)), L("InstanceNorm2d", num_features=8), L("LeakyReLU", negative_slope=0.2),
                L("Conv2d", **conv(8, 8, 4, 1, 1)), L("InstanceNorm2d", num_features=8), L("LeakyReLU", negative_slope=0.2),
                L("Conv2d", **conv(8, 1, 4, 1, 1))]),
        ],
        "outputs": ["model"],
    }
    # SPADE: a segmentation map resized to the features' size modulates a parameter-free InstanceNorm.
    z["spade block (segmentation map input, modulated norm)"] = {
        "inputs": {"x": [2, 4, 8, 8], "seg": [2, 3, 8, 8]},
        "nodes": [
            node("feat", ["x"], module="Sequential", layers=[L("Conv2d", **conv(4, 8, 3, 2, 1)), L("ReLU")]),
            node("param_free_norm", ["feat"], module="InstanceNorm2d", args={"num_features": 8}),
            node("segmap", ["seg", "feat"], op="interpolate", args={"mode": "nearest"}),
            node("mlp_shared", ["segmap"], module="Sequential", layers=[L("Conv2d", **conv(3, 8, 3, 1, 1)), L("ReLU")]),
            node("mlp_gamma", ["mlp_shared"], module="Conv2d", args=conv(8, 8, 3, 1, 1)),
            node("mlp_beta", ["mlp_shared"], module="Conv2d", args=conv(8, 8, 3, 1, 1)),
            node("gain", ["mlp_gamma"], op="add", args={"other": 1.0}),
            node("scaled", ["param_free_norm", "gain"], op="mul"),
            node("out", ["scaled", "mlp_beta"], op="add"),
        ],
        "outputs": ["out"],
    }
    return z


def trace(model, inputs, mode):
    """Runs model(*inputs); returns (output shapes or None, {path: output shape}, error, path that raised)."""
    model.train(mode == "train")
    shapes, stack, handles = {}, [], []
    names = {m: n for n, m in model.named_modules()}

    def pre(mod, inp):
        stack.append(names[mod])

    def post(mod, inp, out):
        stack.pop()
        if torch.is_tensor(out):
            shapes[names[mod]] = list(out.shape)

    for mod in model.modules():
        handles.append(mod.register_forward_pre_hook(pre))
        handles.append(mod.register_forward_hook(post))
    try:
        with torch.no_grad():
            y = model(*inputs)
        ys = list(y) if isinstance(y, tuple) else [y]
        return [list(t.shape) for t in ys], shapes, None, None
    except Exception as e:
        return None, shapes, err(e), (stack[-1] if stack else "")
    finally:
        for h in handles:
            h.remove()


def swept(spec, s):
    """Every input with spatial dims takes size s (the batch stays)."""
    return {k: (v[:2] + [s] * (len(v) - 2) if len(v) >= 3 else list(v)) for k, v in spec["inputs"].items()}


def shape_flow_cases(z, g, lo=1, hi=40):
    cases = []
    for name, spec in z.items():
        model = GraphModule(spec)
        mods = {n: type(m).__name__ for n, m in model.named_modules() if n}
        for mode in ("train", "eval"):
            results, works = [], []
            for s in range(lo, hi + 1):
                shapes = swept(spec, s)
                xs = [torch.randn(*v, generator=g) for v in shapes.values()]
                out, mshapes, e, at = trace(model, xs, mode)
                first = list(shapes.values())[0]
                r = {"size": s, "input_shape": first, "input_shapes": shapes}
                if e is None:
                    r["outcome"] = "ok"
                    r["output_shape"] = out[0]
                    r["output_shapes"] = out
                    works.append(s)
                    if s in (16, 32):
                        r["module_output_shapes"] = mshapes
                else:
                    r["outcome"] = "error"
                    r["error"] = e
                    r["raised_in"] = {"path": at, "module": mods.get(at, "GraphModule")}
                results.append(r)
            cases.append({"id": "graph %s/%s" % (name, mode), "kind": "shape_flow", "spec": spec, "mode": mode,
                          "sweep_axis": "square", "modules": mods, "sweep": results,
                          "working_sizes": works, "smallest_working_size": min(works) if works else None})
    return cases


def network_cases(z, g):
    """Forward values, input and parameter gradients of sum(output_i * grad_output_i), train and eval."""
    cases = []
    for name, spec in z.items():
        model = GraphModule(spec)
        randomize(model, g)
        state = {k: T(v) if v.dtype.is_floating_point else int(v) for k, v in model.state_dict().items()}
        steps = []
        for mode in ("train", "eval"):
            model.train(mode == "train")
            xs = {k: torch.randn(*v, generator=g).requires_grad_(True) for k, v in spec["inputs"].items()}
            model.zero_grad()
            y = model(*xs.values())
            ys = list(y) if isinstance(y, tuple) else [y]
            gos = [torch.randn(t.shape, generator=g) for t in ys]
            sum((t * go).sum() for t, go in zip(ys, gos)).backward()
            steps.append({"mode": mode, "inputs": {k: T(v) for k, v in xs.items()}, "grad_outputs": [T(t) for t in gos],
                          "expect": {"outputs": [T(t) for t in ys], "grad_inputs": {k: T(v.grad) for k, v in xs.items()},
                                     "grad_params": {k: T(p.grad) for k, p in model.named_parameters()},
                                     "state_after": {k: T(v) if v.dtype.is_floating_point else int(v) for k, v in model.state_dict().items()}}})
        cases.append({"id": "graph %s" % name, "kind": "network", "spec": spec, "state": state, "steps": steps})
    return cases


def function_cases(g):
    """Every functional op of normkit's registry, called as torch calls it: values, gradients and errors."""
    r = lambda *shape: torch.randn(*shape, generator=g)  # noqa: E731
    x, y = r(2, 3, 4, 5), r(2, 3, 4, 5)
    cases = []

    def fn(case_id, name, f, inputs, kwargs, grad=("input",)):
        cases.append(run_fn_case(case_id, name, f, inputs, kwargs, grad_wrt=[k for k in grad if k in inputs], gen=g))

    for name, f in (("add", torch.add), ("sub", torch.sub), ("mul", torch.mul), ("div", torch.div)):
        fn(name, name, f, {"input": x, "other": y}, {}, grad=("input", "other"))
        fn("%s/broadcast" % name, name, f, {"input": x, "other": r(3, 1, 1)}, {}, grad=("input", "other"))
        fn("%s/scalar" % name, name, f, {"input": x}, {"other": 0.5})
        fn("%s/mismatch" % name, name, f, {"input": x, "other": r(2, 3, 5, 4)}, {})
    fn("cat/dim1", "cat", lambda input, other, dim: torch.cat([input, other], dim=dim), {"input": x, "other": r(2, 2, 4, 5)}, {"dim": 1}, grad=("input", "other"))
    fn("cat/mismatch", "cat", lambda input, other, dim: torch.cat([input, other], dim=dim), {"input": x, "other": r(2, 2, 3, 5)}, {"dim": 1})
    sl = lambda input, dim, start=0, end=None, step=1: input[(slice(None),) * dim + (slice(start, end, step),)]  # noqa: E731
    fn("slice/crop", "slice", sl, {"input": x}, {"dim": 2, "start": 1})
    fn("slice/step", "slice", sl, {"input": x}, {"dim": 3, "start": -4, "end": None, "step": 2})
    fn("reshape", "reshape", torch.reshape, {"input": x}, {"shape": [2, -1, 5]})
    fn("reshape/bad", "reshape", torch.reshape, {"input": x}, {"shape": [7, -1]})
    fn("view", "view", lambda input, shape: input.view(shape), {"input": x}, {"shape": [6, 20]})
    fn("flatten", "flatten", torch.flatten, {"input": x}, {"start_dim": 1})
    fn("permute", "permute", torch.permute, {"input": x}, {"dims": [0, 2, 3, 1]})
    fn("transpose", "transpose", torch.transpose, {"input": x}, {"dim0": 1, "dim1": 3})
    fn("squeeze", "squeeze", torch.squeeze, {"input": r(2, 1, 4, 1)}, {"dim": 1})
    fn("unsqueeze", "unsqueeze", torch.unsqueeze, {"input": x}, {"dim": 2})
    fn("mean/spatial", "mean", torch.mean, {"input": x}, {"dim": [2, 3], "keepdim": True})
    fn("sum/channels", "sum", torch.sum, {"input": x}, {"dim": [1]})
    for mode, extra in (("nearest", {}), ("bilinear", {"align_corners": False}), ("bilinear", {"align_corners": True})):
        fn("interpolate/%s size %s" % (mode, extra), "interpolate", F.interpolate, {"input": x}, {"size": [7, 3], "mode": mode, **extra})
        fn("interpolate/%s scale %s" % (mode, extra), "interpolate", F.interpolate, {"input": x}, {"scale_factor": 2, "mode": mode, **extra})
    fn("interpolate/linear 1d", "interpolate", F.interpolate, {"input": r(2, 3, 5)}, {"size": 9, "mode": "linear", "align_corners": False})
    fn("interpolate/from 1x1", "interpolate", F.interpolate, {"input": r(2, 3, 1, 1)}, {"size": [4, 4], "mode": "nearest"})
    fn("interpolate/bilinear on 3d", "interpolate", F.interpolate, {"input": r(2, 3, 5)}, {"size": 4, "mode": "bilinear"})
    for mode in ("constant", "reflect", "replicate"):
        fn("pad/%s" % mode, "pad", F.pad, {"input": x}, {"pad": [1, 2, 2, 1], "mode": mode})
    fn("pad/reflect too large", "pad", F.pad, {"input": x}, {"pad": [5, 5, 0, 0], "mode": "reflect"})
    fn("matmul", "matmul", torch.matmul, {"input": r(3, 4), "other": r(4, 5)}, {}, grad=("input", "other"))
    fn("matmul/mismatch", "matmul", torch.matmul, {"input": r(3, 4), "other": r(3, 5)}, {})
    fn("relu", "relu", F.relu, {"input": x}, {})
    fn("sigmoid", "sigmoid", torch.sigmoid, {"input": x}, {})
    fn("tanh", "tanh", torch.tanh, {"input": x}, {})
    fn("leaky_relu", "leaky_relu", F.leaky_relu, {"input": x}, {"negative_slope": 0.2})
    fn("gelu", "gelu", F.gelu, {"input": x}, {})
    fn("gelu/tanh", "gelu", F.gelu, {"input": x}, {"approximate": "tanh"})
    fn("elu", "elu", F.elu, {"input": x}, {"alpha": 0.7})
    fn("softmax", "softmax", F.softmax, {"input": x}, {"dim": 1})
    return cases


def slug(name):
    return name.split(" (")[0].replace(" ", "-")


def export_onnx(z, g, out_dir):
    """Each model exported as PyTorch users do (opset 17, norms kept visible, batch and
    spatial sizes dynamic), with its input(s) and PyTorch's eval-mode output(s) beside it."""
    import json
    os.makedirs(out_dir, exist_ok=True)
    for name, spec in z.items():
        model = GraphModule(spec)
        randomize(model, g)
        model.eval()
        xs = {k: torch.randn(*v, generator=g) for k, v in spec["inputs"].items()}
        names = list(xs.keys())
        dyn = {k: ({0: "batch", **{d: "%s_%d" % (k, d) for d in range(2, len(v))}}) for k, v in spec["inputs"].items()}
        outs = spec["outputs"]
        for o in outs:
            dyn[o] = {0: "batch"}
        path = os.path.join(out_dir, slug(name) + ".onnx")
        torch.onnx.export(model, tuple(xs.values()), path, opset_version=17, training=torch.onnx.TrainingMode.PRESERVE,
                          input_names=names, output_names=outs, dynamic_axes=dyn, do_constant_folding=True)
        with torch.no_grad():
            y = model(*xs.values())
        ys = list(y) if isinstance(y, tuple) else [y]
        side = {"model": name, "torch_version": torch.__version__, "opset": 17, "training": "PRESERVE", "module_mode": "eval",
                "inputs": {k: T(v) for k, v in xs.items()}, "outputs": {o: T(t) for o, t in zip(outs, ys)}}
        with open(os.path.join(out_dir, slug(name) + ".expect.json"), "w") as fh:
            fh.write(json.dumps(side, separators=(",", ":")))
        print("exported", path)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--out", default=os.path.join(HERE, "cases"))
    ap.add_argument("--seed", type=int, default=11)
    ap.add_argument("--onnx", default=os.path.join(HERE, "..", "fixtures", "onnx-graphs"),
                    help="where the ONNX exports of the same models go")
    a = ap.parse_args()
    torch.set_num_threads(1)
    torch.manual_seed(a.seed)
    g = torch.Generator().manual_seed(a.seed)
    z = zoo()
    n = dump(os.path.join(a.out, "graphs_general_form.json"), "graphs/general-form",
             network_cases(z, g) + shape_flow_cases(z, g) + function_cases(g),
             note="General-form models (docs/model-spec.md): values, gradients and shape flows recorded from PyTorch; see gen_graphs.py")
    print("wrote %d cases" % n)
    export_onnx(z, torch.Generator().manual_seed(a.seed + 1), a.onnx)


if __name__ == "__main__":
    main()
