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


def side_by_side(fns, args, repeat: int, rounds: int = 7) -> list:
    """Best seconds per call of each fn(*args), timed in alternating rounds so that a change
    in the machine's speed during the measurement affects all of them alike."""
    best = [float("inf")] * len(fns)
    for _ in range(rounds):
        for k, fn in enumerate(fns):
            t0 = time.perf_counter()
            for _ in range(repeat):
                fn(*args)
            best[k] = min(best[k], (time.perf_counter() - t0) / repeat)
    return best


def richardson(f, args, i: int, h: float = 1e-3) -> float:
    """Central difference of f in argument i, Richardson-extrapolated (error O(h^4))."""
    def central(step):
        up, down = list(args), list(args)
        up[i] += step
        down[i] -= step
        return (f(*up) - f(*down)) / (2 * step)
    return (4 * central(h / 2) - central(h)) / 3
