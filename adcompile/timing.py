"""Timing and finite-difference helpers shared by the demo, the benchmarks and the tests."""
from __future__ import annotations

import time


def per_call(fn, args, repeat: int, rounds: int = 5) -> float:
    """Best-of-rounds seconds per call of fn(*args) (fn already warmed up)."""
    best = float("inf")
    for _ in range(rounds):
        t0 = time.perf_counter()
        for _ in range(repeat):
            fn(*args)
        best = min(best, (time.perf_counter() - t0) / repeat)
    return best


def richardson(f, args, i: int, h: float = 1e-3) -> float:
    """Central difference of f in argument i, Richardson-extrapolated (error O(h^4))."""
    def central(step):
        up, down = list(args), list(args)
        up[i] += step
        down[i] -= step
        return (f(*up) - f(*down)) / (2 * step)
    return (4 * central(h / 2) - central(h)) / 3
