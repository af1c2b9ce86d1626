"""Time three of the evals' functions directly (no GradBench driver): kmeans' `direction`,
lse's gradient and ode's gradient, best of 30 calls on random inputs, ms. For comparing two trees side by
side: run it once per tree, alternately (docs/gradbench.md).

Run: python benchmarks/gradbench/bench_evals.py [TREE]   (TREE: a checkout, default this one;
each item runs in a fresh process)
     python benchmarks/gradbench/bench_evals.py --allocator   (each item twice, side by side:
with ADCOMPILE_MALLOC=system, glibc's thresholds as they are, and with adcompile's default,
adcompile/allocator.py)
"""
import os
import sys
import time

import numpy as np

ALLOCATOR = "--allocator" in sys.argv
if ALLOCATOR:
    sys.argv.remove("--allocator")
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


ITEMS = [("kmeans dir k=10,n=1000", "K.direction", "C(10, 1000)"),
         ("kmeans dir k=100,n=1000", "K.direction", "C(100, 1000)"),
         ("kmeans dir k=100,n=10000", "K.direction", "C(100, 10000)"),
         ("lse gradient n=2500", "L._grad", "(rng.normal(size=2500),)"),
         ("lse gradient n=40000", "L._grad", "(rng.normal(size=40000),)"),
         ("lse gradient n=1280000", "L._grad", "(rng.normal(size=1280000),)"),
         ("ode gradient n=1000,s=10", "O._grad", "(rng.normal(size=1000), 10)"),
         ("ode gradient n=10000,s=10", "O._grad", "(rng.normal(size=10000), 10)")]


def C(k, n):
    rng = np.random.default_rng(0)
    return rng.normal(size=(k, 8)), rng.normal(size=(n, 8))


def main():
    """Each item in a fresh process: the time of one depends on the allocator's state the
    ones before it leave (glibc serves 80 KB arrays by mmap, with a page fault per 4 KB
    touched, until a larger block has been freed: then from its heap)."""
    import subprocess
    if len(sys.argv) > 2:                      # one item, in this process
        label, fn, args = ITEMS[int(sys.argv[2])]
        rng = np.random.default_rng(0)  # noqa: F841  (read by the args text)
        print(f"{label}: {best(eval(fn), *eval(args)):.3f}")
        return
    def run(k, **env):
        return subprocess.run([sys.executable, __file__, TREE, str(k)], capture_output=True,
                              text=True, check=True, env={**os.environ, **env}).stdout.strip()
    if not ALLOCATOR:
        print(" | ".join(run(k) for k in range(len(ITEMS))))
        return
    print("| item | ADCOMPILE_MALLOC=system | default | ratio |\n|---|---|---|---|")
    for k in range(len(ITEMS)):
        label, system = run(k, ADCOMPILE_MALLOC="system").split(": ")
        default = run(k).split(": ")[1]
        print(f"| {label} | {system} | {default} | {float(system) / float(default):.2f} |")


if __name__ == "__main__":
    main()
