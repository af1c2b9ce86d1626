"""The cheap gradient principle (Baur-Strassen; Griewank), measured.

Reverse mode computes the whole gradient of a function of n inputs for a small constant
times the cost of the function, whatever n. Forward mode computes one directional derivative
per direction: the gradient needs n of them (adcompile's forward mode sweeps 4 directions at
a time), so its cost grows linearly with n.

The script times, for n from 1 to 10,000, the compiled primal (numba.njit), the reverse-mode
gradient and the forward-mode gradient of the same loop, and plots gradient time / primal
time for both modes (cost_of_gradients.png).

Run it:  python examples/cost_of_gradients.py
"""
import math
import time

import numba
import numpy as np

import adcompile as ad
from _plot import save_plot


def chain(x):
    s = 0.0
    for i in range(len(x)):
        s += math.sin(x[i]) * x[i - 1] + 0.5 * x[i] * x[i]
    return s


def _time(fn, x, budget=0.02):
    """Best of three rounds, each at least `budget` seconds long, per call."""
    fn(x)
    t0 = time.perf_counter()
    fn(x)
    once = max(time.perf_counter() - t0, 1e-7)
    repeat = max(1, int(budget / once))
    best = float("inf")
    for _ in range(3):
        t0 = time.perf_counter()
        for _ in range(repeat):
            fn(x)
        best = min(best, (time.perf_counter() - t0) / repeat)
    return best


def main(sizes=(1, 3, 10, 30, 100, 300, 1000, 3000, 10000)):
    primal = numba.njit(chain)
    reverse = ad.grad(chain)
    forward = ad.grad(chain, mode="forward")
    rng = np.random.default_rng(0)
    x = rng.standard_normal(50)
    np.testing.assert_allclose(forward(x), reverse(x), rtol=1e-10)   # the same gradient
    # after its first call with arguments of some types, a gradient's later calls with the
    # same types go straight from Numba's dispatcher to the compiled code, as the primal's do
    ratios = {"reverse": [], "forward": []}
    print("gradient time / primal time, explicit loop over n inputs")
    print(f"{'n':>7s} {'primal':>10s} {'reverse':>9s} {'forward':>9s}")
    for n in sizes:
        x = rng.standard_normal(n)
        tp = _time(primal, x)
        tr, tf = _time(reverse, x) / tp, _time(forward, x) / tp
        ratios["reverse"].append(tr)
        ratios["forward"].append(tf)
        print(f"{n:7d} {tp * 1e6:8.2f}us {tr:8.1f}x {tf:8.1f}x")
    print("reverse mode stays flat; forward mode grows linearly with n")

    def draw(plt):
        plt.loglog(sizes, ratios["reverse"], "o-", label="reverse mode (adcompile)")
        plt.loglog(sizes, ratios["forward"], "s-", label="forward mode (adcompile, 4 directions"
                                                         " per sweep)")
        ref = ratios["forward"][-1] / sizes[-1]
        plt.loglog(sizes, [ref * n for n in sizes], ":", color="gray", label="~ n")
        plt.xlabel("number of inputs n")
        plt.ylabel("gradient time / primal time")
        plt.title("Cost of a gradient: reverse stays flat, forward grows with n")
        plt.legend()
    save_plot("cost_of_gradients", draw)
    return sizes, ratios


if __name__ == "__main__":
    main()
