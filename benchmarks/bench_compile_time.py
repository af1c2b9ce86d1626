"""Python-side compile time (everything before Numba: parse, lower, differentiate, clean up,
name, write) of generated straight-line functions of 100 to 5,000 statements, in reverse and
forward mode.

    python benchmarks/bench_compile_time.py [--sizes 100,500,2000,5000]

Each function chains scalar statements over a few live names (sin, products, sums, a
division and a conditional expression now and then), like the code a model generator or
an unrolled loop produces. Times are wall-clock seconds of `g.specialise()` with jit=False
(Numba is not involved), the minimum of two runs.
"""
import argparse
import importlib.util
import os
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.dirname(HERE))

import adcompile as ad  # noqa: E402

FORMS = ["a{k} = math.sin(a{p}) * x + a{q}", "a{k} = a{p} * a{q} - 0.5 * y",
         "a{k} = a{p} / (1.0 + a{q} * a{q})", "a{k} = a{p} if a{q} > 0.0 else -a{p}",
         "a{k} = math.tanh(a{p} + a{q}) * y"]


def program(n: int) -> str:
    lines = ["import math", "", "def f(x, y):", "    a0 = x", "    a1 = y"]
    for k in range(2, n):
        p, q = k - 1, max(0, k - 2 - k % 7)
        lines.append("    " + FORMS[k % len(FORMS)].format(k=k, p=p, q=q))
    lines.append(f"    return a{n - 1} + a{n - 2}")
    return "\n".join(lines) + "\n"


def load(n: int, folder: str):
    path = os.path.join(folder, f"straight_{n}.py")
    with open(path, "w", encoding="utf-8") as fh:
        fh.write(program(n))
    spec = importlib.util.spec_from_file_location(f"straight_{n}", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.f


def seconds(f, mode: str) -> float:
    best = float("inf")
    for _ in range(2):
        g = ad.grad(f, wrt=(0, 1), jit=False, mode=mode)
        t0 = time.perf_counter()
        g.specialise(x="f64", y="f64")
        best = min(best, time.perf_counter() - t0)
    return best


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="100,500,2000,5000")
    args = parser.parse_args()
    os.environ.setdefault("ADCOMPILE_CACHE_DIR", tempfile.mkdtemp(prefix="adc-compile-"))
    folder = tempfile.mkdtemp(prefix="adc-straight-")
    print("Python-side compile time (no Numba), seconds, min of 2 runs")
    print(f"{'statements':>10}  {'reverse':>8}  {'forward':>8}")
    for n in (int(s) for s in args.sizes.split(",")):
        f = load(n, folder)
        print(f"{n:>10}  {seconds(f, 'reverse'):8.2f}  {seconds(f, 'forward'):8.2f}",
              flush=True)


if __name__ == "__main__":
    main()
