/**
 * PyTorch CPU as a peer, through /usr/bin/python3 when `import torch` works
 * there. Per shape, one Python process gets the inputs and normkit's reference
 * results as raw float32 files, checks each pass against them, and times the
 * ones that agree with torch.set_num_threads matched.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { EPS, GROUPS, type BenchCase, type BenchData, type PassResult } from './cases.js';

/** The Python whose torch is the peer (Debian's python3-torch). */
export const PYTHON = '/usr/bin/python3';

const SCRIPT = String.raw`
import json, os, statistics, sys, time
import torch
job = json.load(open(sys.argv[1]))
d = job["dir"]
N, C, H, W = job["shape"]
n = N * C * H * W
def load(name, size):
    return torch.from_file(os.path.join(d, name), size=size, dtype=torch.float32)
x = load("x.f32", n).reshape(N, C, H, W)
dy = load("dy.f32", n).reshape(N, C, H, W)
params = {"w": load("w.f32", C), "b": load("b.f32", C), "lw": load("lw.f32", H * W).reshape(H, W), "lb": load("lb.f32", H * W).reshape(H, W)}
eps = job["eps"]

def make(op, p):
    if op == "InstanceNorm2d":
        m = torch.nn.InstanceNorm2d(C, eps=eps, affine=True)
    elif op == "BatchNorm2d":
        m = torch.nn.BatchNorm2d(C, eps=eps)
    elif op == "GroupNorm":
        m = torch.nn.GroupNorm(job["groups"], C, eps=eps)
    else:
        m = torch.nn.LayerNorm([H, W], eps=eps)
    with torch.no_grad():
        m.weight.copy_(params["lw" if op == "LayerNorm" else "w"])
        m.bias.copy_(params["lb" if op == "LayerNorm" else "b"])
    m.train()
    if p == "forward":
        def run():
            with torch.no_grad():
                return [m(x)]
        return run
    xg = x.clone().requires_grad_(True)
    def run():
        xg.grad = None
        m.zero_grad(set_to_none=True)
        m(xg).backward(dy)
        return [xg.grad, m.weight.grad, m.bias.grad]
    return run

results = []
for case in job["cases"]:
    refs = [load(f, size) for f, size in case["refs"]]
    for t in job["threads"]:
        torch.set_num_threads(t)
        run = make(case["op"], case["pass"])
        got = run()
        # worst |got - ref| relative to each array's scale, as the JavaScript side measures it
        err = max(((g.detach().reshape(-1) - r).abs().max() / max(1.0, r.abs().max().item())).item() for g, r in zip(got, refs))
        entry = {"op": case["op"], "pass": case["pass"], "threads": t, "maxErr": err}
        if err <= job["tol"]:
            for _ in range(job["warmup"]):
                run()
            times = []
            for _ in range(job["iters"]):
                t0 = time.perf_counter()
                run()
                times.append((time.perf_counter() - t0) * 1000)
            entry["medianMs"] = statistics.median(times)
        results.append(entry)
print(json.dumps({"version": torch.__version__, "results": results}))
`;

/** torch's version if /usr/bin/python3 can import it, else null. */
export function torchVersion(): string | null {
  const r = spawnSync(PYTHON, ['-c', 'import torch; print(torch.__version__)'], { encoding: 'utf8', timeout: 60_000 });
  return r.status === 0 ? r.stdout.trim() : null;
}

export interface TorchResult {
  op: string;
  pass: string;
  threads: number;
  maxErr: number;
  medianMs?: number;
}

/** Runs every case of one shape in one Python process; refs are normkit's reference results per case. */
export function runTorch(
  d: BenchData,
  cases: readonly BenchCase[],
  refs: readonly PassResult[],
  o: { threads: number[]; warmup: number; iters: number; tol: number },
): TorchResult[] {
  // Hundreds of MB go through these files on the large shape: prefer memory (tmpfs) to disk.
  const dir = mkdtempSync(join(existsSync('/dev/shm') ? '/dev/shm' : tmpdir(), 'normkit-bench-'));
  try {
    const put = (name: string, a: Float32Array) => writeFileSync(join(dir, name), new Uint8Array(a.buffer, a.byteOffset, a.byteLength));
    put('x.f32', d.x);
    put('dy.f32', d.dy);
    put('w.f32', d.w);
    put('b.f32', d.b);
    put('lw.f32', d.lw);
    put('lb.f32', d.lb);
    const jobCases = cases.map((c, i) => ({
      op: c.op,
      pass: c.pass,
      refs: refs[i]!.map((a, j) => {
        const name = `ref${i}_${j}.f32`;
        put(name, a);
        return [name, a.length];
      }),
    }));
    const job = { dir, shape: d.shape, eps: EPS, groups: GROUPS, cases: jobCases, ...o };
    writeFileSync(join(dir, 'job.json'), JSON.stringify(job));
    writeFileSync(join(dir, 'bench.py'), SCRIPT);
    const r = spawnSync(PYTHON, [join(dir, 'bench.py'), join(dir, 'job.json')], { encoding: 'utf8', maxBuffer: 1 << 24 });
    if (r.status !== 0) throw new Error(`python exited with ${r.status}: ${r.stderr.slice(-2000)}`);
    return (JSON.parse(r.stdout) as { results: TorchResult[] }).results;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
