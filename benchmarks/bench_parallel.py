"""Per-sample gradients and the gradient of a sum over samples on all cores (issue 15),
side by side in one run: the batched gradient (batch=, reduce="sum") on one thread and on
every thread, against serial baselines.

1. 10,000 per-sample logistic-regression gradients (d = 50 by default):
   - serial: the generated driver on one thread (numba.set_num_threads(1)): a compiled loop
     calling the per-sample kernel, no Python per sample;
   - parallel: the same driver on all threads;
   - for scale: a compiled loop written by hand around the kernel (one thread), and a Python
     loop calling ad.grad once per sample.
2. The gradient of the summed loss sum_i loss(w, X[i], Y[i]):
   - serial: adcompile's gradient of the sum written as a loop over the samples (what a
     user without batch= writes; reverse mode with its tape), and reduce="sum" on one thread;
   - parallel: reduce="sum" on all threads (an accumulator per chunk of samples, no
     per-sample gradient materialised); timed against each serial baseline in rounds of its
     own (the serial loop's gradient writes a tape of every sample, which evicts the caches
     the other variants use when it runs between them).

3. The same sum written by the user as a prange loop (prange_loss): its gradient (the loop
   and its adjoint in chunks, passes/parallel.py) on one thread and on all, against the same
   loop written with range.

Times are medians over alternating rounds (every variant timed in each round, so a change in
the machine's load affects all alike); the ratios are of medians. The machine is shared:
the load average is printed before and after.

Before each part it waits (up to --wait-idle seconds) for a second in which other processes
keep at most 0.2 cores busy.

Run: python benchmarks/bench_parallel.py [--n 10000] [--d 50] [--rounds 31] [--threads 2]
     [--wait-idle 60]
"""
import argparse
import math
import os
import time

import numba
from numba import prange
import numpy as np

import adcompile as ad


def logistic(w, x, y):
    """One sample's loss: the per-sample function batch= runs for every sample."""
    z = np.dot(w, x)
    return np.log1p(np.exp(-y * z))


def total_loss(w, X, Y):
    """The summed loss written as a serial loop (differentiated by adcompile as it is)."""
    s = 0.0
    for i in range(X.shape[0]):
        s += logistic(w, X[i], Y[i])
    return s


def prange_loss(w, X, Y):
    """The summed loss as a prange loop in user code (passes/parallel.py runs the loop and
    its adjoint on all cores)."""
    s = 0.0
    for i in prange(X.shape[0]):
        z = 0.0
        for k in range(X.shape[1]):
            z += X[i, k] * w[k]
        s += math.log1p(math.exp(-Y[i] * z))
    return s


def range_loss(w, X, Y):
    """prange_loss with range: the serial baseline."""
    s = 0.0
    for i in range(X.shape[0]):
        z = 0.0
        for k in range(X.shape[1]):
            z += X[i, k] * w[k]
        s += math.log1p(math.exp(-Y[i] * z))
    return s


def _threads(k, fn):
    def run(*args):
        numba.set_num_threads(k)
        return fn(*args)
    return run


def _medians(fns, args, repeat, rounds):
    times = [[] for _ in fns]
    for _ in range(rounds):
        for k, fn in enumerate(fns):
            t0 = time.perf_counter()
            for _ in range(repeat):
                fn(*args)
            times[k].append((time.perf_counter() - t0) / repeat)
    return [float(np.median(t)) for t in times], [min(t) for t in times]


def _busy():
    """(jiffies the machine's cores were busy, this process's CPU seconds, wall seconds)."""
    try:
        with open("/proc/stat") as fh:
            fields = [int(v) for v in fh.readline().split()[1:]]
        busy = sum(fields) - fields[3] - fields[4]
    except (OSError, ValueError, IndexError):
        busy = None
    t = os.times()
    return busy, t.user + t.system, time.perf_counter()


def _others(before, after) -> str:
    """How many cores other processes kept busy between two _busy() readings."""
    if before[0] is None or after[0] is None:
        return "?"
    hz = os.sysconf("SC_CLK_TCK")
    wall = after[2] - before[2]
    other = (after[0] - before[0]) / hz - (after[1] - before[1])
    return f"{max(other, 0.0) / wall:.2f}"


def _wait_idle(limit: float, most: float = 0.2) -> str:
    """Wait (up to `limit` seconds) until other processes keep at most `most` cores busy
    over a second; say how long it waited."""
    t0 = time.perf_counter()
    while time.perf_counter() - t0 < limit:
        before = _busy()
        time.sleep(1.0)
        others = _others(before, _busy())
        if others == "?" or float(others) <= most:
            return f"waited {time.perf_counter() - t0:.0f} s for an idle machine"
    return f"the machine stayed busy for {limit:.0f} s: measured anyway"


def _report(title, names, fns, args, repeat, rounds, base, wait=0.0):
    waited = _wait_idle(wait) if wait else ""
    before = _busy()
    med, best = _medians(fns, args, repeat, rounds)
    print(f"\n{title}")
    print(f"  (other processes kept {_others(before, _busy())} of {os.cpu_count()} cores busy "
          f"meanwhile{'; ' + waited if waited else ''})")
    print(f"  {'variant':54s} {'median ms':>10s} {'best ms':>9s} {'vs ' + names[base]:>10s}")
    for name, m, b in zip(names, med, best):
        print(f"  {name:54s} {m * 1e3:10.3f} {b * 1e3:9.3f} {med[base] / m:9.2f}x")
    return med


def _load() -> str:
    try:
        return "%.2f %.2f %.2f" % os.getloadavg()
    except OSError:
        return "?"


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--n", type=int, default=10_000)
    ap.add_argument("--d", type=int, default=50)
    ap.add_argument("--rounds", type=int, default=31)
    ap.add_argument("--threads", type=int, default=min(2, numba.config.NUMBA_NUM_THREADS))
    ap.add_argument("--wait-idle", type=float, default=60.0,
                    help="seconds to wait for other processes to leave the cores (0: no wait)")
    a = ap.parse_args()
    rng = np.random.default_rng(0)
    X = rng.standard_normal((a.n, a.d))
    Y = np.sign(rng.standard_normal(a.n))
    w = rng.standard_normal(a.d) * 0.1
    args = (w, X, Y)
    T = a.threads
    print(f"n = {a.n} samples, d = {a.d}; {os.cpu_count()} cores, Numba threads: "
          f"{numba.config.NUMBA_NUM_THREADS} (parallel runs use {T}); load average {_load()}")

    # 1. per-sample gradients
    per = ad.grad(logistic, wrt="w", batch=("x", "y"))
    serial_grad = ad.grad(logistic, wrt="w")
    G = per(w, X, Y)
    kernel = per.per_sample.kernel

    @numba.njit
    def hand_loop(w, X, Y):
        out = np.empty((X.shape[0], w.shape[0]))
        for i in range(X.shape[0]):
            out[i] = kernel(w, X[i], Y[i])[1]
        return out
    hand_loop(w, X, Y)

    def python_loop(w, X, Y):
        return np.array([serial_grad(w, X[i], Y[i]) for i in range(X.shape[0])])
    ref = python_loop(w, X, Y)
    numba.set_num_threads(1)
    G1 = per(w, X, Y)
    numba.set_num_threads(T)
    GT = per(w, X, Y)
    med = _report("1. per-sample gradients: grad(logistic, wrt='w', batch=('x', 'y')) -> "
                  f"({a.n}, {a.d})",
                  ["batch= driver, 1 thread (serial)", f"batch= driver, {T} threads",
                   "hand-written njit loop over the kernel, 1 thread",
                   "Python loop of ad.grad calls"],
                  [_threads(1, per), _threads(T, per), _threads(1, hand_loop), python_loop],
                  args, 3, a.rounds, 0, a.wait_idle)
    print(f"  speedup {T} threads over serial: {med[0] / med[1]:.2f}x; "
          f"max |difference| parallel vs serial: {np.max(np.abs(GT - G1)):.1e}, "
          f"vs the Python loop: {np.max(np.abs(G - ref)):.1e}")

    # 2. gradient of the sum over samples
    summed = ad.value_and_grad(logistic, wrt="w", batch=("x", "y"), reduce="sum")
    loop_grad = ad.value_and_grad(total_loss, wrt="w")
    numba.set_num_threads(1)
    v1, S1 = summed(w, X, Y)
    numba.set_num_threads(T)
    vT, ST = summed(w, X, Y)
    vl, Sl = loop_grad(w, X, Y)
    med = _report("2a. gradient of the summed loss: value_and_grad(logistic, batch=('x', 'y'), "
                  "reduce='sum'), 1 thread against all",
                  ["reduce='sum', 1 thread (serial)", f"reduce='sum', {T} threads"],
                  [_threads(1, summed), _threads(T, summed)], args, 5, a.rounds, 0, a.wait_idle)
    print(f"  speedup {T} threads over reduce='sum' on 1 thread: {med[0] / med[1]:.2f}x")
    med = _report("2b. the same against adcompile's gradient of the sum written as a serial "
                  "loop (total_loss)",
                  ["adcompile gradient of the serial loop (total_loss)",
                   f"reduce='sum', {T} threads"],
                  [_threads(1, loop_grad), _threads(T, summed)], args, 5, a.rounds, 0,
                  a.wait_idle)
    print(f"  speedup {T} threads over the serial loop's gradient: {med[0] / med[1]:.2f}x")
    rel = lambda p, q: float(np.max(np.abs(p - q)) / np.max(np.abs(q)))  # noqa: E731
    print(f"  max relative difference of the gradient, {T} threads vs the serial loop: "
          f"{rel(ST, Sl):.1e} (vs 1 thread: {rel(ST, S1):.1e}); values: "
          f"{abs(vT - vl) / abs(vl):.1e}")

    # 3. a prange loop in the user's own code
    pr, rg = ad.value_and_grad(prange_loss, wrt="w"), ad.value_and_grad(range_loss, wrt="w")
    vp, Gp = pr(w, X, Y)
    vr, Gr = rg(w, X, Y)
    med = _report("3. a prange loop in user code: value_and_grad(prange_loss) (the loop and its "
                  "adjoint in parallel) against the same loop with range",
                  ["range loop (serial)", "prange loop, 1 thread", f"prange loop, {T} threads"],
                  [_threads(1, rg), _threads(1, pr), _threads(T, pr)], args, 5, a.rounds, 0,
                  a.wait_idle)
    print(f"  speedup {T} threads over the range loop: {med[0] / med[2]:.2f}x, over its own 1 "
          f"thread: {med[1] / med[2]:.2f}x; max relative difference of the gradient: "
          f"{rel(Gp, Gr):.1e}, values: {abs(vp - vr) / abs(vr):.1e}")
    print(f"\nload average after: {_load()}")


if __name__ == "__main__":
    main()
