"""PyTorch side of bench/models.ts (run by it through /usr/bin/python3).

    python3 torch_models.py JOB.json       -> timings as JSON on stdout
    python3 torch_models.py --serve JOB.json
                                           -> a line "ready" once every task is built (results
                                              written), then per line "NAME<TAB>THREADS<TAB>ITERS"
                                              on stdin one line of JSON milliseconds on stdout
                                              (bench/models.ts --interleave alternates with it)
    python3 torch_models.py --export SPEC.json WEIGHTS.safetensors OUT.onnx N C H W

Models are built from normkit's JSON specs (spec_to_module of the repository's
test/oracle/gen_nets.py, the PyTorch side of the spec format), weights come from the same
safetensors file normkit loads, inputs from raw float32 files normkit wrote.
Each task's result is written back as float32 for normkit to check before any
timing counts.
"""
import json
import os
import statistics
import sys
import time

import torch
import torch.nn.functional as F

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "test", "oracle"))
from gen_nets import spec_to_module  # noqa: E402


DTYPES = {"F32": torch.float32, "F64": torch.float64, "I64": torch.int64, "I32": torch.int32}


def load_safetensors(path):
    b = open(path, "rb").read()
    n = int.from_bytes(b[:8], "little")
    header = json.loads(b[8 : 8 + n])
    out = {}
    for name, info in header.items():
        if name == "__metadata__":
            continue
        s, e = info["data_offsets"]
        out[name] = torch.frombuffer(bytearray(b[8 + n + s : 8 + n + e]), dtype=DTYPES[info["dtype"]]).reshape(info["shape"])
    return out


def model(spec_path, weights):
    m = spec_to_module(json.load(open(spec_path))["model"])
    m.load_state_dict(load_safetensors(weights), strict=True)
    return m


def load_f32(path, shape):
    n = 1
    for s in shape:
        n *= s
    return torch.from_file(path, size=n, dtype=torch.float32).reshape(shape)


def save_f32(path, t):
    t.detach().contiguous().numpy().astype("float32").tofile(path)


def timed(run, warmup, iters):
    for _ in range(warmup):
        run()
    times = []
    for _ in range(iters):
        t0 = time.perf_counter()
        run()
        times.append((time.perf_counter() - t0) * 1000)
    return statistics.median(times)


def task_runner(t):
    """A closure running the task once, and its result (computed first, before any timing)."""
    x = load_f32(t["input"], t["shape"])
    if t["kind"] == "forward":
        m = model(t["spec"], t["weights"]).eval()

        def run():
            with torch.no_grad():
                return m(x)

        return run, run()
    if t["kind"] == "train":
        m = model(t["spec"], t["weights"]).train()
        target = load_f32(t["target"], t["targetShape"])
        opt = torch.optim.Adam(m.parameters(), lr=t["lr"])

        def run():
            opt.zero_grad(set_to_none=True)
            loss = F.mse_loss(m(x), target)
            loss.backward()
            opt.step()
            return loss

        return run, run().reshape(1)
    if t["kind"] == "conv":
        # conv2d, or conv_transpose2d (t["transposed"]); forward only, or forward and
        # backward of sum(y * gy) (t["backward"]); the result is the forward's output.
        w = load_f32(t["w"], t["wShape"])
        transposed = t.get("transposed", False)
        b = load_f32(t["b"], [t["wShape"][1] if transposed else t["wShape"][0]])

        def fwd(x, w, b):
            if transposed:
                return F.conv_transpose2d(x, w, b, stride=t["stride"], padding=t["pad"], output_padding=t.get("outputPadding", 0))
            return F.conv2d(x, w, b, stride=t["stride"], padding=t["pad"])

        if t.get("backward", False):
            xg, wg, bg = (v.clone().requires_grad_() for v in (x, w, b))
            gy = load_f32(t["gy"], t["gyShape"])

            def run():
                xg.grad = wg.grad = bg.grad = None
                y = fwd(xg, wg, bg)
                y.backward(gy)
                return y

            return run, run()

        def run():
            with torch.no_grad():
                return fwd(x, w, b)

        return run, run()
    raise ValueError(t["kind"])


def main_job(path):
    job = json.load(open(path))
    results = []
    for t in job["tasks"]:
        for threads in job["threads"]:
            torch.set_num_threads(threads)
            run, first = task_runner(t)
            if threads == job["threads"][0]:
                save_f32(t["result"], first)
            ms = timed(run, t.get("warmup", job["warmup"]), t.get("iters", job["iters"]))
            results.append({"name": t["name"], "threads": threads, "medianMs": ms})
    print(json.dumps({"version": torch.__version__, "results": results}))


def main_serve(path):
    job = json.load(open(path))
    runners = {}
    for t in job["tasks"]:
        run, first = task_runner(t)
        save_f32(t["result"], first)
        runners[t["name"]] = run
    print("ready", flush=True)
    for line in sys.stdin:
        name, threads, iters = line.rstrip("\n").split("\t")
        torch.set_num_threads(int(threads))
        run = runners[name]
        run()
        times = []
        for _ in range(int(iters)):
            t0 = time.perf_counter()
            run()
            times.append((time.perf_counter() - t0) * 1000)
        print(json.dumps(times), flush=True)


def main_export(spec, weights, out, shape):
    m = model(spec, weights).eval()
    x = torch.randn(*shape)
    torch.onnx.export(m, x, out, input_names=["X"], output_names=["Y"], opset_version=17, do_constant_folding=True)


if __name__ == "__main__":
    if sys.argv[1] == "--export":
        main_export(sys.argv[2], sys.argv[3], sys.argv[4], [int(v) for v in sys.argv[5:9]])
    elif sys.argv[1] == "--serve":
        main_serve(sys.argv[2])
    else:
        main_job(sys.argv[1])
