"""The cost of the call itself: `ad.value_and_grad(f)(*args)` against the compiled kernel it
runs (the generated function, called directly) and the Numba primal, side by side in one
run. Prints per-call times (median of repeats) and the Python-level overhead the user's
call adds over the kernel (the issue's target: <= 0.25 us).

Run: python benchmarks/bench_call.py
"""
import math
import statistics
import time

import numba
import numpy as np

import adcompile as ad


def w1(x, y):
    """A scalar workload (numbers in, a number out)."""
    return math.sin(x) * y + x * x


def w2(x):
    """A small array workload."""
    return np.sum(np.tanh(x) * x)


def per_call(fn, args, repeats=7, number=20000):
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        for _ in range(number):
            fn(*args)
        times.append((time.perf_counter() - t0) / number)
    return statistics.median(times)


def measure(name, func, args, wrt):
    user = ad.value_and_grad(func, wrt=wrt)
    user(*args)                                          # compile, fill the fast path
    kernel = user._last.func
    primal = numba.njit(func)
    primal(*args)
    t_user, t_kernel, t_primal = (per_call(f, args) for f in (user, kernel, primal))
    print(f"{name:<22} user call {t_user * 1e6:6.2f} us   kernel {t_kernel * 1e6:6.2f} us   "
          f"numba primal {t_primal * 1e6:6.2f} us   overhead {(t_user - t_kernel) * 1e6:5.2f} us")
    return t_user - t_kernel


def main():
    print("call overhead (median of 7 x 20,000 calls):")
    measure("w1 (two floats)", w1, (0.3, 1.7), (0, 1))
    measure("w2 (float array, 16)", w2, (np.linspace(0.1, 1.0, 16),), (0,))


if __name__ == "__main__":
    main()
