# Copied unchanged (below this comment) from ../shared/oracle/gen_norms.py, the project's shared oracle;
# run from here it writes to test/oracle/cases.
"""Normalization and resampling cases recorded from PyTorch.

Run with a Python that has torch (Debian: apt-get install python3-torch):
    python3 gen_norms.py [--seed N] [--out DIR]
"""
import argparse
import os

import torch
import torch.nn as nn
import torch.nn.functional as F

from torchcase import T, dump, run_fn_case, run_module_case


class FlexibleInstanceNorm(nn.InstanceNorm2d):
    """Reference behaviour for FlexibleInstanceNorm (an InstanceNorm2d, same state names).

    condition "would_raise" (the default): fall back exactly when
    InstanceNorm would raise, i.e. when it uses the input's statistics
    (training, or running stats not tracked) and there is at most one
    spatial element.  condition "all_spatial_dims_gt_1": the rule of the
    original write-up, identity unless H > 1 and W > 1, whatever the mode.
    """

    def __init__(self, num_features, eps=1e-5, momentum=0.1, affine=False,
                 track_running_stats=False, condition="would_raise", fallback="identity"):
        super().__init__(num_features, eps=eps, momentum=momentum, affine=affine,
                         track_running_stats=track_running_stats)
        self.condition = condition
        assert fallback == "identity"

    def forward(self, x):
        spatial = x.shape[2:] if x.dim() == 4 else x.shape[1:]
        if self.condition == "all_spatial_dims_gt_1":
            ok = all(s > 1 for s in spatial)
        else:
            uses_input_stats = self.training or not self.track_running_stats
            n = 1
            for s in spatial:
                n *= s
            ok = n > 1 or not uses_input_stats
        return super().forward(x) if ok else x


def adain(content, style, eps=1e-5):
    """Adaptive instance normalization as in the AdaIN paper's reference code:
    per (instance, channel) mean and *unbiased* variance over the spatial
    elements, eps added to the variance."""
    n, c = content.shape[:2]
    cf = content.reshape(n, c, -1)
    sf = style.reshape(style.shape[0], style.shape[1], -1)
    if cf.shape[2] <= 1 or sf.shape[2] <= 1:
        raise ValueError("Expected more than 1 spatial element when training, got input size %s"
                         % list(content.shape if cf.shape[2] <= 1 else style.shape))
    c_mean = cf.mean(2).reshape(n, c, *([1] * (content.dim() - 2)))
    c_std = (cf.var(2) + eps).sqrt().reshape(n, c, *([1] * (content.dim() - 2)))
    s_mean = sf.mean(2).reshape(style.shape[0], style.shape[1], *([1] * (content.dim() - 2)))
    s_std = (sf.var(2) + eps).sqrt().reshape(style.shape[0], style.shape[1], *([1] * (content.dim() - 2)))
    return (content - c_mean) / c_std * s_std + s_mean


def build(seed, variant):
    """variant: 'public' or 'hidden' (other sizes and values, same kinds of case)."""
    g = torch.Generator().manual_seed(seed)
    rn = lambda *s: torch.randn(*s, generator=g)
    hid = variant == "hidden"
    files = {}

    def rand_affine(m):
        with torch.no_grad():
            for name, p in m.named_parameters():
                p.copy_(rn(*p.shape) * 0.5 + (1.0 if name.endswith("weight") else 0.0))
            for name, b in m.named_buffers():
                if name.endswith("running_mean"):
                    b.copy_(rn(*b.shape) * 0.3)
                elif name.endswith("running_var"):
                    b.copy_(rn(*b.shape).abs() + 0.5)

    # ---- instance norm --------------------------------------------------
    cases = []
    C = 5 if hid else 3
    shapes = {1: [(2, C, 7 if hid else 6)], 2: [(2, C, 4, 5) if not hid else (3, C, 5, 3)],
              3: [(2, C, 3, 2, 4) if not hid else (1, C, 2, 3, 3)]}
    for d in (1, 2, 3):
        cls = getattr(nn, "InstanceNorm%dd" % d)
        for affine in (False, True):
            for track in (False, True):
                args = dict(num_features=C, eps=1e-5, momentum=0.1, affine=affine, track_running_stats=track)
                shp = shapes[d][0]
                steps = [{"mode": "train", "input": rn(*shp) * 2 + 0.5, "grad": True},
                         {"mode": "train", "input": rn(*shp), "grad": True},
                         {"mode": "eval", "input": rn(*shp), "grad": True}]
                cases.append(run_module_case(
                    "InstanceNorm%dd/affine=%s/track=%s" % (d, affine, track), "InstanceNorm%dd" % d, args,
                    lambda cls=cls, args=args: cls(**args), steps, set_params=rand_affine, gen=g))
    # eps and momentum other than the defaults
    args = dict(num_features=C, eps=1e-3, momentum=0.3, affine=True, track_running_stats=True)
    cases.append(run_module_case("InstanceNorm2d/eps=1e-3/momentum=0.3", "InstanceNorm2d", args,
                                 lambda: nn.InstanceNorm2d(**args),
                                 [{"mode": "train", "input": rn(2, C, 3, 3), "grad": True},
                                  {"mode": "eval", "input": rn(2, C, 3, 3)}], set_params=rand_affine, gen=g))
    # inputs without a batch dimension
    for d, shp in ((1, (C, 6)), (2, (C, 3, 4)), (3, (C, 2, 2, 3))):
        args = dict(num_features=C, affine=True)
        cls = getattr(nn, "InstanceNorm%dd" % d)
        cases.append(run_module_case("InstanceNorm%dd/no-batch-dim" % d, "InstanceNorm%dd" % d, args,
                                     lambda cls=cls, args=args: cls(**args),
                                     [{"mode": "train", "input": rn(*shp), "grad": True}], set_params=rand_affine, gen=g))
    # the failure the whole system is about, and its neighbours
    fail = [
        ("1x1 train", 2, dict(num_features=C), (2, C, 1, 1), "train"),
        ("1x1 batch=1 train", 2, dict(num_features=C), (1, C, 1, 1), "train"),
        ("1x1 eval untracked", 2, dict(num_features=C), (2, C, 1, 1), "eval"),
        ("1x1 eval tracked", 2, dict(num_features=C, track_running_stats=True), (2, C, 1, 1), "eval"),
        ("1x1 train tracked", 2, dict(num_features=C, track_running_stats=True), (2, C, 1, 1), "train"),
        ("1x2 train", 2, dict(num_features=C), (2, C, 1, 2), "train"),
        ("2x1 train", 2, dict(num_features=C), (2, C, 2, 1), "train"),
        ("L=1 train", 1, dict(num_features=C), (2, C, 1), "train"),
        ("L=1 no-batch train", 1, dict(num_features=C), (C, 1), "train"),
        ("1x1x1 train", 3, dict(num_features=C), (2, C, 1, 1, 1), "train"),
        ("1x1x2 train", 3, dict(num_features=C), (2, C, 1, 1, 2), "train"),
        ("2D input to 2d", 2, dict(num_features=C), (4, C), "train"),
        ("5D input to 2d", 2, dict(num_features=C), (1, C, 2, 2, 2), "train"),
        ("channel mismatch affine", 2, dict(num_features=C, affine=True), (2, C + 1, 3, 3), "train"),
    ]
    for name, d, args, shp, mode in fail:
        cls = getattr(nn, "InstanceNorm%dd" % d)
        cases.append(run_module_case("InstanceNorm%dd/%s" % (d, name), "InstanceNorm%dd" % d, args,
                                     lambda cls=cls, args=args: cls(**args),
                                     [{"mode": mode, "input": rn(*shp), "grad": True}], set_params=rand_affine, gen=g))
    files["instance_norm"] = cases

    # ---- batch norm -----------------------------------------------------
    cases = []
    for d, shp in ((1, (4, C)), (1, (3, C, 5)), (2, (3, C, 2, 3)), (3, (2, C, 2, 2, 2))):
        cls = getattr(nn, "BatchNorm%dd" % d)
        for affine, track, momentum in ((True, True, 0.1), (False, True, None), (True, False, 0.1)):
            args = dict(num_features=C, eps=1e-5, momentum=momentum, affine=affine, track_running_stats=track)
            steps = [{"mode": "train", "input": rn(*shp) + 1.0, "grad": True},
                     {"mode": "train", "input": rn(*shp) * 0.5, "grad": True},
                     {"mode": "eval", "input": rn(*shp), "grad": True}]
            cases.append(run_module_case("BatchNorm%dd/%s/affine=%s/track=%s/momentum=%s" % (d, list(shp), affine, track, momentum),
                                         "BatchNorm%dd" % d, args, lambda cls=cls, args=args: cls(**args), steps,
                                         set_params=rand_affine, gen=g))
    for name, d, shp, mode in (("batch=1 train", 1, (1, C), "train"), ("1x1 batch=1 train", 2, (1, C, 1, 1), "train"),
                               ("batch=1 eval", 2, (1, C, 1, 1), "eval"), ("batch=1 L=2 train", 1, (1, C, 2), "train"),
                               ("3D input to 2d", 2, (C, 2, 2), "train")):
        cls = getattr(nn, "BatchNorm%dd" % d)
        cases.append(run_module_case("BatchNorm%dd/%s" % (d, name), "BatchNorm%dd" % d, dict(num_features=C),
                                     lambda cls=cls: cls(C), [{"mode": mode, "input": rn(*shp), "grad": True}],
                                     set_params=rand_affine, gen=g))
    files["batch_norm"] = cases

    # ---- group norm and layer norm --------------------------------------
    cases = []
    for groups, chans, shp in ((2, 4, (2, 4, 3, 3)), (1, 4, (2, 4, 5)), (4, 4, (2, 4, 2, 3)), (3, 6, (1, 6, 2, 2, 2))):
        for affine in (True, False):
            args = dict(num_groups=groups, num_channels=chans, eps=1e-5, affine=affine)
            cases.append(run_module_case("GroupNorm/%d-of-%d/%s/affine=%s" % (groups, chans, list(shp), affine), "GroupNorm", args,
                                         lambda args=args: nn.GroupNorm(**args),
                                         [{"mode": "train", "input": rn(*shp) * 3 - 1, "grad": True}],
                                         set_params=rand_affine, gen=g))
    cases.append(run_module_case("GroupNorm/one element per group (silent zeros in torch)", "GroupNorm",
                                 dict(num_groups=4, num_channels=4), lambda: nn.GroupNorm(4, 4),
                                 [{"mode": "train", "input": rn(2, 4, 1, 1), "grad": True}], gen=g))
    cases.append(run_module_case("GroupNorm/channels not divisible", "GroupNorm", dict(num_groups=3, num_channels=4),
                                 lambda: nn.GroupNorm(3, 4), [], gen=g))
    for ns, shp, ea in (([5], (2, 3, 5), True), ([3, 4], (2, 3, 4), True), ([4, 2, 2], (2, 4, 2, 2), False), ([6], (6,), True)):
        args = dict(normalized_shape=ns, eps=1e-5, elementwise_affine=ea)
        cases.append(run_module_case("LayerNorm/%s/%s/affine=%s" % (ns, list(shp), ea), "LayerNorm", args,
                                     lambda args=args: nn.LayerNorm(**args),
                                     [{"mode": "train", "input": rn(*shp) * 2, "grad": True}], set_params=rand_affine, gen=g))
    cases.append(run_module_case("LayerNorm/shape mismatch", "LayerNorm", dict(normalized_shape=[4]),
                                 lambda: nn.LayerNorm([4]), [{"mode": "train", "input": rn(2, 4, 3, 3)}], gen=g))
    files["group_layer_norm"] = cases

    # ---- functional forms -----------------------------------------------
    cases = []
    x = rn(2, C, 3, 4)
    cases.append(run_fn_case("instance_norm/use_input_stats", "instance_norm", F.instance_norm,
                             {"input": x, "weight": rn(C), "bias": rn(C)}, {"eps": 1e-5},
                             grad_wrt=("input", "weight", "bias"), gen=g))
    rm, rv = rn(C) * 0.2, rn(C).abs() + 0.5
    cases.append(run_fn_case("instance_norm/running stats, use_input_stats=False", "instance_norm", F.instance_norm,
                             {"input": rn(2, C, 1, 1), "running_mean": rm, "running_var": rv},
                             {"use_input_stats": False, "eps": 1e-5}, grad_wrt=("input",), gen=g))
    cases.append(run_fn_case("batch_norm/training", "batch_norm", F.batch_norm,
                             {"input": rn(4, C, 2, 2), "running_mean": rm.clone(), "running_var": rv.clone(),
                              "weight": rn(C), "bias": rn(C)}, {"training": True, "momentum": 0.1, "eps": 1e-5},
                             grad_wrt=("input", "weight", "bias"), gen=g))
    cases.append(run_fn_case("group_norm", "group_norm", F.group_norm,
                             {"input": rn(2, 6, 2, 3), "weight": rn(6), "bias": rn(6)}, {"num_groups": 3, "eps": 1e-5},
                             grad_wrt=("input", "weight", "bias"), gen=g))
    cases.append(run_fn_case("layer_norm", "layer_norm", F.layer_norm,
                             {"input": rn(2, 3, 4), "weight": rn(3, 4), "bias": rn(3, 4)},
                             {"normalized_shape": [3, 4], "eps": 1e-5}, grad_wrt=("input", "weight", "bias"), gen=g))
    files["functional"] = cases

    # ---- resampling -----------------------------------------------------
    cases = []
    ups = [
        ("nearest x2 2d", (2, 2, 3, 2), dict(scale_factor=2, mode="nearest")),
        ("nearest size 2d", (1, 2, 3, 3), dict(size=[5, 7], mode="nearest")),
        ("nearest x1.5 2d", (1, 2, 3, 4), dict(scale_factor=1.5, mode="nearest")),
        ("nearest x(2,3) 2d", (1, 1, 2, 2), dict(scale_factor=(2, 3), mode="nearest")),
        ("nearest x3 1d", (2, 2, 3), dict(scale_factor=3, mode="nearest")),
        ("nearest x2 3d", (1, 2, 2, 1, 2), dict(scale_factor=2, mode="nearest")),
        ("nearest from 1x1", (2, 3, 1, 1), dict(scale_factor=2, mode="nearest")),
        ("bilinear x2", (1, 2, 3, 3), dict(scale_factor=2, mode="bilinear", align_corners=False)),
        ("bilinear x2 align", (1, 2, 3, 3), dict(scale_factor=2, mode="bilinear", align_corners=True)),
        ("bilinear size", (2, 1, 4, 3), dict(size=[3, 5], mode="bilinear", align_corners=False)),
        ("bilinear down", (1, 1, 6, 6), dict(size=[4, 3], mode="bilinear", align_corners=False)),
        ("bilinear from 1x1", (1, 2, 1, 1), dict(size=[3, 3], mode="bilinear", align_corners=False)),
        ("linear x2 1d", (1, 2, 4), dict(scale_factor=2, mode="linear", align_corners=False)),
        ("nearest on 2D input", (3, 4), dict(scale_factor=2, mode="nearest")),
    ]
    for name, shp, kw in ups:
        args = dict(kw)
        if "scale_factor" in args and isinstance(args["scale_factor"], tuple):
            args["scale_factor"] = list(args["scale_factor"])
        cases.append(run_module_case("Upsample/%s" % name, "Upsample", args, lambda kw=kw: nn.Upsample(**kw),
                                     [{"mode": "train", "input": rn(*shp), "grad": True}], gen=g))
    cases.append(run_module_case("Identity", "Identity", {}, lambda: nn.Identity(),
                                 [{"mode": "train", "input": rn(2, 3, 1, 1), "grad": True}], gen=g))
    files["resample"] = cases

    # ---- the write-up's three examples, and what follows from them ------
    cases = []
    C2 = 64 if not hid else 16
    cases.append(run_module_case("seed example 1: InstanceNorm2d on [2,C,1,1] raises", "InstanceNorm2d",
                                 dict(num_features=C2), lambda: nn.InstanceNorm2d(C2),
                                 [{"mode": "train", "input": rn(2, C2, 1, 1)}], gen=g))
    up_then_norm = nn.Sequential(nn.Upsample(scale_factor=2, mode="nearest"), nn.InstanceNorm2d(C2))
    case = run_module_case("seed example 2: nearest upsample then InstanceNorm2d (constant planes: output ~ 0)",
                           "Sequential", {}, lambda: up_then_norm,
                           [{"mode": "train", "input": rn(2, C2, 1, 1), "grad": True}], gen=g)
    # a model, so it is written as a network with a spec (see ../MODEL_SPEC.md)
    del case["module"], case["args"]
    case["kind"] = "network"
    case["spec"] = {"module": "Sequential", "layers": [
        {"module": "Upsample", "args": {"scale_factor": 2, "mode": "nearest"}},
        {"module": "InstanceNorm2d", "args": {"num_features": C2}}]}
    cases.append(case)
    for cond in ("all_spatial_dims_gt_1", "would_raise"):
        for track in (False, True):
            args = dict(num_features=C, affine=True, track_running_stats=track, condition=cond, fallback="identity")
            steps = [{"mode": "train", "input": rn(2, C, 1, 1), "grad": True},
                     {"mode": "train", "input": rn(2, C, 4, 4), "grad": True},
                     {"mode": "train", "input": rn(2, C, 1, 3), "grad": True},
                     {"mode": "eval", "input": rn(2, C, 1, 1), "grad": True},
                     {"mode": "eval", "input": rn(2, C, 3, 1), "grad": True}]
            cases.append(run_module_case("FlexibleInstanceNorm/condition=%s/track=%s" % (cond, track), "FlexibleInstanceNorm",
                                         args, lambda args=args: FlexibleInstanceNorm(**args), steps,
                                         set_params=rand_affine, gen=g))
    files["seed_examples"] = cases

    # ---- AdaIN ----------------------------------------------------------
    cases = []
    for name, cs, ss in (("same size", (2, C, 3, 4), (2, C, 3, 4)), ("style larger", (1, C, 3, 3), (1, C, 5, 6)),
                         ("content 1x1", (2, C, 1, 1), (2, C, 3, 3))):
        cases.append(run_fn_case("adaptive_instance_norm/%s" % name, "adaptive_instance_norm", adain,
                                 {"content": rn(*cs) * 2 + 1, "style": rn(*ss) * 0.5 - 2}, {"eps": 1e-5},
                                 grad_wrt=("content", "style"), gen=g))
    files["adain"] = cases
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
        total += dump(os.path.join(a.out, "norms_%s.json" % name), "norms/" + name, cases,
                      note="recorded from PyTorch; see README.md")
    print("wrote %d cases to %s" % (total, a.out))


if __name__ == "__main__":
    main()
