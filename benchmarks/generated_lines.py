"""Lines of generated code for the benchmark workloads, both modes (no comments, no blank
lines, no docstring): what a person reads. With --against PATH, the same for another
checkout of adcompile (e.g. a worktree of an earlier commit), side by side.

    python benchmarks/generated_lines.py [--against /tmp/base]

The count is run in a fresh process per checkout (each imports its own adcompile); it also
reports any `1.0 *` left in the generated code.
"""
import argparse
import json
import os
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))

PROBE = r"""
import json, sys
sys.path.insert(0, sys.argv[1])
sys.path.insert(0, sys.argv[2])
import numpy as np
import adcompile as ad
import workloads as W, numpy_workloads as N
r = np.random.default_rng(0)
cases = [
    (W.seed_graph, dict(w1="f64", w2="f64"), (0, 1)),
    (W.rosenbrock, dict(x="f64[:]"), (0,)),
    (W.damped_oscillator, dict(k="f64", c="f64", x0="f64"), (0, 1, 2)),
    (W.settle, dict(a="f64"), (0,)),
    (N.logistic_loss, dict(w="f64[:]", X="f64[:, :]", y="f64[:]"), (0,)),
    (N.mlp_loss, dict(W1="f64[:, :]", b1="f64[:]", w2="f64[:]", X="f64[:, :]", y="f64[:]"),
     (0, 1, 2)),
    (N.rosenbrock_vec, dict(x="f64[:]"), (0,)),
    (N.rnn_loop, dict(Wx="f64[:, :]", Wh="f64[:, :]", xs="f64[:, :]", h0="f64[:]"),
     (0, 1, 3)),
]


def lines(src):
    q = chr(34) * 3
    body = src.split(q, 2)[2] if src.startswith(q) else src
    return [l for l in body.splitlines() if l.strip() and not l.strip().startswith("#")]


out = {}
for f, types, wrt in cases:
    for mode in ("reverse", "forward"):
        src = ad.value_and_grad(f, wrt=wrt, mode=mode).specialise(**types).source
        ls = lines(src)
        out[f"{f.__name__} {mode}"] = [len(ls), sum("1.0 *" in l for l in ls)]
print(json.dumps(out))
"""


def count(root: str) -> dict:
    res = subprocess.run([sys.executable, "-c", PROBE, root, HERE], capture_output=True,
                         text=True)
    if res.returncode:
        raise SystemExit(f"counting in {root} failed:\n{res.stderr}")
    return json.loads(res.stdout.strip().splitlines()[-1])


def main(argv=None):
    ap = argparse.ArgumentParser()
    ap.add_argument("--against", help="another adcompile checkout to compare with")
    args = ap.parse_args(argv)
    now = count(os.path.dirname(HERE))
    then = count(args.against) if args.against else {}
    print(f"{'workload':<28}{'lines':>7}" + (f"{'before':>8}" if then else "") + f"{'1.0 *':>7}")
    for key, (n, ones) in now.items():
        old = f"{then[key][0]:>8}" if key in then else ""
        print(f"{key:<28}{n:>7}{old}{ones:>7}")
    total = sum(v[0] for v in now.values())
    print(f"{'total':<28}{total:>7}" + (f"{sum(v[0] for v in then.values()):>8}" if then
                                          else ""))


if __name__ == "__main__":
    main()
