"""Compiler-core benchmark: compiled gradient (with value) against the numba.njit primal.

    python benchmarks/bench_core.py            (about two minutes)

For each workload, in one run: the numba.njit primal, adcompile's compiled value-and-gradient
kernel, the same through the value_and_grad wrapper, a hand-written Numba adjoint, and the
generated code run as plain Python (jit=False). Then compile times: the first gradient in a
process with Numba loaded, and import-to-first-gradient in a new process with a warm cache
against import-to-first-call of a cached numba.njit primal. Ratios are what to read; absolute
times move with the machine's load.
"""
import argparse
import os
import sys
import tempfile

import numba
import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.dirname(HERE))

import adcompile as ad  # noqa: E402
import handwritten as H  # noqa: E402
import workloads as W  # noqa: E402
from adcompile.timing import per_call, side_by_side  # noqa: E402
from startup import first_gradient, new_process_start  # noqa: E402

CASES = [  # name, function, arguments, wrt, hand-written adjoint, calls per timing
    ("seed graph", W.seed_graph, (1.5, 0.5), (0, 1), H.seed_graph_vg, 200_000),
    ("rosenbrock loop n=1000", W.rosenbrock, (np.linspace(-1.2, 1.2, 1000),), 0,
     H.rosenbrock_vg, 20_000),
    ("euler oscillator 10k steps", W.damped_oscillator, (2.0, 0.5, 1.0), (0, 1, 2),
     H.damped_oscillator_vg, 2_000),
    ("while loop (a0=1e3)", W.settle, (1000.0,), 0, H.settle_vg, 100_000),
]

def setup_code(args):
    if isinstance(args[0], np.ndarray):
        return f"import numpy as np\nargs = (np.linspace(-1.2, 1.2, {len(args[0])}),)"
    return f"args = {args!r}"


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", type=float, default=1.0, help="multiply the call counts")
    parser.add_argument("--start-runs", type=int, default=3, help="new-process runs")
    opts = parser.parse_args()
    os.environ.setdefault("ADCOMPILE_CACHE_DIR", tempfile.mkdtemp(prefix="adcompile-bench-"))
    print(f"numba {numba.__version__}, numpy {np.__version__}, python {sys.version.split()[0]}")
    print("\nper call, from Python; ratio = time / numba.njit primal time")
    header = f"{'workload':28s} {'primal':>10s} {'adcompile':>10s} {'ratio':>6s} " \
             f"{'wrapper':>7s} {'hand':>6s} {'no-jit':>8s}"
    print(header)
    rows = []
    for name, func, args, wrt, hand, reps in CASES:
        reps = max(10, int(reps * opts.scale))
        handj = numba.njit(hand)
        handj(*args)
        primal, vg, (value, grads), first = first_gradient(func, args, wrt)
        kernel = vg.kernel
        slow = ad.value_and_grad(func, wrt=wrt, jit=False)
        slow(*args)
        ref = handj(*args)
        assert abs(ref[0] - value) <= 1e-9 * max(1.0, abs(value))
        t_p, t_k, t_h = side_by_side([primal, kernel, handj], args, reps)
        t_w = per_call(vg, args, max(1, reps // 2))
        t_s = per_call(slow, args, max(1, reps // 200), rounds=2)
        rows.append((name, t_p, t_k, first))
        print(f"{name:28s} {t_p * 1e6:8.2f}us {t_k * 1e6:8.2f}us {t_k / t_p:5.2f}x "
              f"{t_w / t_p:6.2f}x {t_h / t_p:5.2f}x {t_s / t_p:7.0f}x")
    print("\nfirst gradient in a process with Numba loaded (adcompile + Numba compile):")
    for name, _, _, first in rows:
        print(f"  {name:28s} {first:6.2f} s")
    print("\nnew process, warm cache: import to first result (min of runs)")
    for name, func, args, wrt, _, _ in CASES:
        t = new_process_start(os.path.join(HERE, "workloads.py"), func.__name__,
                              setup_code(args), wrt, opts.start_runs)
        print(f"  {name:28s} adcompile {t['adcompile']:5.2f} s   numba primal "
              f"{t['numba']:5.2f} s   ratio {t['adcompile'] / t['numba']:4.2f}x")


if __name__ == "__main__":
    main()
