"""Time three of the evals' functions directly (no GradBench driver): kmeans' `direction`,
lse's gradient and ode's gradient, best of 30 calls on random inputs, ms. For comparing two trees side by
side: run it once per tree, alternately (docs/gradbench.md).

Run: python benchmarks/gradbench/bench_evals.py [TREE]   (TREE: a checkout, default this one)
"""
import os
import sys
import time

import numpy as np

TREE = sys.argv[1] if len(sys.argv) > 1 else os.path.join(os.path.dirname(
    os.path.abspath(__file__)), "..", "..")
sys.path.insert(0, os.path.join(TREE, "benchmarks", "gradbench", "evals"))
sys.path.insert(0, TREE)

import kmeans as K  # noqa: E402
import lse as L  # noqa: E402
import ode as O  # noqa: E402


def best(f, *args, runs=30):
    f(*args)
    times = []
    for _ in range(runs):
        t0 = time.perf_counter()
        f(*args)
        times.append(time.perf_counter() - t0)
    return min(times) * 1e3


def main():
    rng = np.random.default_rng(0)
    out = []
    for k, n in ((10, 1000), (100, 1000), (100, 10000)):
        C, P = rng.normal(size=(k, 8)), rng.normal(size=(n, 8))
        out.append(f"kmeans dir k={k},n={n}: {best(K.direction, C, P):.3f}")
    for n in (2500, 40000, 1280000):
        out.append(f"lse gradient n={n}: {best(L._grad, rng.normal(size=n)):.3f}")
    for n in (1000, 10000):
        out.append(f"ode gradient n={n},s=10: {best(O._grad, rng.normal(size=n), 10):.3f}")
    print(" | ".join(out))


if __name__ == "__main__":
    main()
