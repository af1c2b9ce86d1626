"""ad.compile(f) against the same function run as NumPy (or as numba.njit of the same
source where the function is a loop), side by side in one process: ms per call (best of 5
repeats of enough calls for 50 ms) and the ratio compiled / reference (below 1: faster).

Run: python benchmarks/bench_compiled_primal.py
"""
import os
import sys
import timeit

import numba
import numpy as np

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))

import adcompile as ad  # noqa: E402
from benchmarks.gradbench.evals import kmeans, lse, ode  # noqa: E402


def best(f, *args):
    f(*args)
    once = timeit.timeit(lambda: f(*args), number=1)
    n = max(1, int(0.05 / max(once, 1e-9)))
    return min(timeit.repeat(lambda: f(*args), number=n, repeat=5)) / n * 1e3


def main():
    rng = np.random.default_rng(0)
    rows = [("lse n=40,000 (NumPy)", lse.lse, (rng.standard_normal(40_000),)),
            ("lse n=640,000 (NumPy)", lse.lse, (rng.standard_normal(640_000),)),
            ("ode n=1,000 s=10 (NumPy)", ode.solve, (rng.random(1000), 10)),
            ("ode n=10,000 s=10 (NumPy)", ode.solve, (rng.random(10_000), 10)),
            ("kmeans cost k=100 n=10,000 (numba.njit)", numba.njit(kmeans.cost),
             (rng.standard_normal((100, 8)), rng.standard_normal((10_000, 8))))]
    print("| function | reference ms | ad.compile ms | ratio |\n|---|---:|---:|---:|")
    for label, ref, args in rows:
        fast = ad.compile(ref.py_func if hasattr(ref, "py_func") else ref)
        assert np.allclose(fast(*args), ref(*args), rtol=1e-12, atol=1e-12)
        r, c = best(ref, *args), best(fast, *args)
        print(f"| {label} | {r:.3f} | {c:.3f} | {c / r:.2f} |")


if __name__ == "__main__":
    main()
