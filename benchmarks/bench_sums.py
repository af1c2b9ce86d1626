"""Partial sums (adcompile/sums.py): NumPy expressions' reductions in four lanes against the
same code with its sums in order, side by side in one process (both versions compiled
here: the second with adcompile.sums turned off), best of 7 interleaved rounds.

Run: python benchmarks/bench_sums.py [--n 40000]
Prints, per function: microseconds per call with lanes, in order, and their ratio.
"""
import argparse
import os
import sys
import types

import numpy as np

import adcompile as ad
from adcompile import sums
from adcompile.timing import side_by_side

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "gradbench",
                                "evals"))


def lse(x):
    a = np.max(x)
    return a + np.log(np.sum(np.exp(x - a)))


def sumsq(x):
    return np.sum(x * x)


def dot_tanh(w, x):
    return np.sum(np.tanh(w * x)) + np.max(x)


CASES = [("lse value", ad.compile, lse, 1), ("lse gradient", ad.grad, lse, 1),
         ("sum of squares value", ad.compile, sumsq, 1),
         ("sum of squares gradient", ad.grad, sumsq, 1),
         ("sum of tanh + max gradient", ad.grad, dot_tanh, 2)]


def _twin(f):
    """A copy of f (a new function object: its own compile)."""
    g = types.FunctionType(f.__code__, f.__globals__, f.__name__, f.__defaults__,
                           f.__closure__)
    g.__module__ = f.__module__
    return g


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--n", type=int, default=40000)
    n = ap.parse_args().n
    rng = np.random.default_rng(0)
    x, w = rng.normal(size=n), rng.normal(size=n)
    lanes, plain = [], []
    for _, transform, f, nargs in CASES:
        lanes.append(transform(f))
    saved = sums.accumulators
    sums.accumulators = lambda op: []
    try:
        for _, transform, f, nargs in CASES:
            plain.append(transform(_twin(f)))
            plain[-1](*((w, x) if nargs == 2 else (x,)))      # compiled while turned off
    finally:
        sums.accumulators = saved
    print(f"n = {n:,}; microseconds per call, best of 7 rounds side by side")
    print("| function | lanes | in order | lanes / in order |\n|---|---|---|---|")
    for (label, _, _, nargs), a, b in zip(CASES, lanes, plain):
        args = (w, x) if nargs == 2 else (x,)
        ra, rb = a(*args), b(*args)
        close = all(np.allclose(p, q, rtol=1e-12) for p, q in
                    zip(np.atleast_1d(ra) if not isinstance(ra, tuple) else ra,
                        np.atleast_1d(rb) if not isinstance(rb, tuple) else rb))
        ta, tb = side_by_side([a, b], args, repeat=20)
        print(f"| {label} | {ta * 1e6:.1f} | {tb * 1e6:.1f} | {ta / tb:.2f} |"
              + ("" if close else " (results differ beyond 1e-12)"))


if __name__ == "__main__":
    main()
