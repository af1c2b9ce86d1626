"""The vectorisable math runtime (adcompile/vecmath) against NumPy's ufuncs, side by side
in one run: a Numba loop `out[i] = vm.f(x[i])` over 16,384 doubles, the same loop with
Numba's `math.f` (one libm call per element), and `np.f(x, out=out)`. Prints the times and
the ratio vm / NumPy (the issue's target: <= 1.2). Timings are the minimum over
interleaved rounds (the three alternate, so a busy machine slows all of them alike).

Run: python benchmarks/bench_vecmath.py [--rounds 30] [--only log,log1p,pow] [--runs 5]
(--runs: the whole measurement that many times, and the median of each ratio: on a shared
machine one run's ratio moves by 0.1.)
"""
import argparse
import math

import numba
import numpy as np

from adcompile import vecmath as vm
from adcompile.timing import side_by_side

N = 16384
CASES = [  # name, inputs, NumPy's function
    ("exp", lambda r: r.uniform(-10, 10, N), np.exp),
    ("expm1", lambda r: r.uniform(-10, 10, N), np.expm1),
    ("log", lambda r: r.uniform(1e-3, 100, N), np.log),
    ("log1p", lambda r: r.uniform(-0.9, 10, N), np.log1p),
    ("tanh", lambda r: r.uniform(-10, 10, N), np.tanh),
    ("sin", lambda r: r.uniform(-10, 10, N), np.sin),
    ("cos", lambda r: r.uniform(-10, 10, N), np.cos),
    ("sigmoid", lambda r: r.uniform(-10, 10, N), None),
    ("pow", lambda r: r.uniform(0.1, 10, N), np.power),
]


def loops(name):
    """(vm loop, math loop) compiled for float64 arrays."""
    f = getattr(vm, name)
    if name == "pow":
        def vloop(x, out):
            for i in range(x.shape[0]):
                out[i] = f(x[i], 1.7)

        def mloop(x, out):
            for i in range(x.shape[0]):
                out[i] = x[i] ** 1.7
    elif name == "sigmoid":
        def vloop(x, out):
            for i in range(x.shape[0]):
                out[i] = f(x[i])

        def mloop(x, out):
            for i in range(x.shape[0]):
                out[i] = 1.0 / (1.0 + math.exp(-x[i]))
    else:
        g = getattr(math, name)

        def vloop(x, out):
            for i in range(x.shape[0]):
                out[i] = f(x[i])

        def mloop(x, out):
            for i in range(x.shape[0]):
                out[i] = g(x[i])
    return numba.njit(vloop), numba.njit(mloop)


def aligned(a):
    """A copy of a on a 64-byte boundary (a zmm load's width), so that every run and both
    loops read the same alignment whatever address NumPy's allocator returns."""
    buf = np.empty(a.size + 8, dtype=np.float64)
    k = (-buf.ctypes.data % 64) // 8
    out = buf[k:k + a.size]
    out[:] = a
    return out


def numpy_of(name, ufunc):
    if name == "pow":
        return lambda x, out: np.power(x, 1.7, out=out)
    if name == "sigmoid":
        return lambda x, out: np.divide(1.0, 1.0 + np.exp(-x), out=out)
    return lambda x, out: ufunc(x, out=out)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--rounds", type=int, default=30)
    ap.add_argument("--only", default="", help="comma-separated function names")
    ap.add_argument("--runs", type=int, default=1)
    args = ap.parse_args()
    only = set(filter(None, args.only.split(",")))
    cases = [c for c in CASES if not only or c[0] in only]
    rng = np.random.default_rng(0)
    prepared = []
    for name, draw, ufunc in cases:
        x = aligned(draw(rng))
        out = aligned(np.empty_like(x))
        v, m = loops(name)
        n = numpy_of(name, ufunc)
        for f in (v, m, n):
            f(x, out)
        prepared.append((name, x, out, (v, m, n)))
    print(f"{N:,} doubles, minimum over {args.rounds} interleaved rounds (microseconds)")
    ratios = {name: [] for name, *_ in prepared}
    for run in range(args.runs):
        if args.runs > 1:
            print(f"run {run + 1} of {args.runs}")
        print(f"{'function':<9} {'vm loop':>9} {'math loop':>10} {'NumPy':>9} {'vm/NumPy':>9} "
              f"{'math/NumPy':>11}")
        for name, x, out, fns in prepared:
            tv, tm, tn = side_by_side(list(fns), (x, out), 200, args.rounds)
            ratios[name].append(tv / tn)
            print(f"{name:<9} {tv * 1e6:9.1f} {tm * 1e6:10.1f} {tn * 1e6:9.1f} {tv / tn:9.2f} "
                  f"{tm / tn:11.2f}")
    if args.runs > 1:
        print("median vm/NumPy over the runs: " + ", ".join(
            f"{name} {np.median(r):.2f}" for name, r in ratios.items()))


if __name__ == "__main__":
    main()
