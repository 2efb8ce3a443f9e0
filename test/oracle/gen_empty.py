"""Records what PyTorch does with empty inputs (a zero batch or a zero spatial size) to every norm.

Writes test/oracle/cases/norms_empty.json in the format of ../shared/oracle/cases
(kind `module`, with `state_after` after every step: the running statistics
must not turn into NaN where PyTorch leaves them alone).

    /usr/bin/python3 test/oracle/gen_empty.py [--out FILE]
"""
import argparse
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "..", "..", "shared", "oracle"))

import torch  # noqa: E402
import torch.nn as nn  # noqa: E402
from torchcase import dump, run_module_case  # noqa: E402


def build(seed):
    g = torch.Generator().manual_seed(seed)
    rn = lambda *s: torch.randn(*s, generator=g)
    C = 3
    cases = []

    def rand_affine(m):
        with torch.no_grad():
            for name, p in m.named_parameters():
                p.copy_(rn(*p.shape) * 0.5 + (1.0 if name.endswith("weight") else 0.0))
            for name, b in m.named_buffers():
                if name.endswith("running_mean"):
                    b.copy_(rn(*b.shape) * 0.3)
                elif name.endswith("running_var"):
                    b.copy_(rn(*b.shape).abs() + 0.5)

    def add(case_id, module, args, make, empty, full, modes=("train", "eval"), randomize=False):
        # the empty input in each mode, then a normal one: the state must still be usable after it
        for mode in modes:
            steps = [{"mode": mode, "input": torch.zeros(*empty), "grad": True},
                     {"mode": mode, "input": rn(*full), "grad": True},
                     {"mode": mode, "input": torch.zeros(*empty), "grad": True}]
            cases.append(run_module_case("%s/%s/%s" % (case_id, list(empty), mode), module, args, make, steps,
                                         set_params=rand_affine if randomize else None, gen=g))

    # ---- instance norm: tracked and untracked, 1d/2d/3d ------------------
    for d, empties, full in ((1, [(0, C, 5), (2, C, 0)], (2, C, 5)),
                             (2, [(0, C, 3, 3), (2, C, 0, 3), (2, C, 3, 0)], (2, C, 3, 3)),
                             (3, [(0, C, 2, 2, 2), (2, C, 2, 0, 2)], (2, C, 2, 2, 2))):
        cls = getattr(nn, "InstanceNorm%dd" % d)
        for track in (False, True):
            for affine in (False, True):
                args = dict(num_features=C, affine=affine, track_running_stats=track)
                for e in empties:
                    add("InstanceNorm%dd/affine=%s/track=%s" % (d, affine, track), "InstanceNorm%dd" % d, args,
                        lambda cls=cls, args=args: cls(**args), e, full, randomize=True)
    # no batch dimension, empty spatial size
    add("InstanceNorm2d/no-batch-dim/track=True", "InstanceNorm2d", dict(num_features=C, track_running_stats=True),
        lambda: nn.InstanceNorm2d(C, track_running_stats=True), (C, 0, 3), (C, 3, 3))

    # ---- batch norm 1d/2d/3d ---------------------------------------------
    for d, empties, full in ((1, [(0, C), (0, C, 4), (2, C, 0)], (4, C)),
                             (2, [(0, C, 3, 3), (2, C, 0, 3)], (2, C, 3, 3)),
                             (3, [(0, C, 2, 2, 2), (2, C, 2, 2, 0)], (2, C, 2, 2, 2))):
        cls = getattr(nn, "BatchNorm%dd" % d)
        for affine, track, momentum in ((True, True, 0.1), (False, True, None), (True, False, 0.1)):
            args = dict(num_features=C, eps=1e-5, momentum=momentum, affine=affine, track_running_stats=track)
            for e in empties:
                f = full if d != 1 or len(e) == 2 else (4, C, 4)
                add("BatchNorm%dd/affine=%s/track=%s/momentum=%s" % (d, affine, track, momentum), "BatchNorm%dd" % d,
                    args, lambda cls=cls, args=args: cls(**args), e, f, randomize=True)

    # ---- group norm and layer norm ---------------------------------------
    for affine in (True, False):
        args = dict(num_groups=2, num_channels=4, affine=affine)
        for e, f in (((0, 4, 3, 3), (2, 4, 3, 3)), ((2, 4, 0, 3), (2, 4, 3, 3)), ((0, 4), (2, 4))):
            add("GroupNorm/2-of-4/affine=%s" % affine, "GroupNorm", args, lambda args=args: nn.GroupNorm(**args), e, f,
                modes=("train",), randomize=True)
    for ns, e, f in (([5], (0, 5), (2, 5)), ([5], (2, 0, 5), (2, 3, 5)), ([3, 4], (0, 3, 4), (2, 3, 4))):
        for ea in (True, False):
            args = dict(normalized_shape=ns, elementwise_affine=ea)
            add("LayerNorm/%s/affine=%s" % (ns, ea), "LayerNorm", args, lambda args=args: nn.LayerNorm(**args), e, f,
                modes=("train",), randomize=True)
    return cases


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--out", default=os.path.join(HERE, "cases", "norms_empty.json"))
    a = ap.parse_args()
    torch.set_num_threads(1)
    cases = build(a.seed)
    n = dump(a.out, "norms/empty", cases, note="recorded from PyTorch by test/oracle/gen_empty.py; see ../shared/oracle/README.md")
    print("wrote %d cases to %s" % (n, a.out))


if __name__ == "__main__":
    main()
