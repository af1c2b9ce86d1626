"""Checkpointing (grad(f, memory=...)): an explicit Euler loop of 1e8 steps, its gradient
recorded whole (8 bytes per step: 800 MB) and checkpointed within 64 MB, side by side in one
run: seconds per gradient and their ratio, whether the numbers are identical, and the peak
memory each adds to a fresh process (resident set size, measured in a subprocess each).
The issue's targets: within 64 MB, at <= 3x the time of the fully recorded gradient, the
same numbers.

Run: python benchmarks/bench_checkpoint.py [--steps 100000000] [--memory 64MB]

     python benchmarks/bench_checkpoint.py --array 50000 [--steps 1000]
         a loop carrying an array of 50,000 doubles (400 kB a snapshot): recorded whole,
         and checkpointed in a budget two levels fit and in one only three levels fit
         (a segment run again in sub-segments: each step three times forward)
"""
import argparse
import os
import subprocess
import sys

import numpy as np

import adcompile as ad
from adcompile.timing import side_by_side


def oscillator(k, x0, n):
    """A damped oscillator by explicit Euler steps (what adcompile differentiates)."""
    x = x0
    v = 0.0
    for i in range(n):
        a = -k * x - 0.1 * v
        v = v + 1e-6 * a
        x = x + 1e-6 * v
    return x


def relax(k, u0, n):
    """A loop carrying an array: what multi-level checkpointing is for."""
    u = u0.copy()
    for i in range(n):
        u = u + 0.001 * np.sin(k * u)
    return np.sum(u * u)


def peak() -> int:
    """This process's peak resident memory in kB (VmHWM: unlike ru_maxrss, not inherited
    from the parent across fork and exec)."""
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmHWM:"):
                return int(line.split()[1])
    raise OSError("no VmHWM in /proc/self/status")


def _peak_growth_mb(steps: int, memory, size: int = 0) -> float:
    """Resident memory one gradient adds to a fresh process (after compiling); size: of
    relax's array (0: the oscillator)."""
    if size:
        call = (f"g = ad.grad(b.relax, wrt='k', memory={memory!r})\n"
                "u0 = b.np.linspace(0, 1, %d)\n" % size + "g(0.7, u0[:10], 3)\n")
        run = f"g(0.7, u0, {steps})\n"
    else:
        call = (f"g = ad.grad(b.oscillator, wrt=('k', 'x0'), memory={memory!r})\n"
                "g(1.0, 1.0, 10)\n")
        run = f"g(1.0, 1.0, {steps})\n"
    script = (f"import sys; sys.path.insert(0, {os.path.dirname(__file__)!r})\n"
              "import adcompile as ad, bench_checkpoint as b\n"
              "from bench_checkpoint import peak\n" + call +
              "r0 = peak()\n" + run +
              "print((peak() - r0) / 1024)\n")
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                         check=True)
    return float(out.stdout.split()[-1])


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--steps", type=int, default=100_000_000)
    ap.add_argument("--memory", default="64MB")
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--array", type=int, default=0)
    a = ap.parse_args()
    if a.array:
        return arrays(a.array, a.steps if a.steps != 100_000_000 else 1000, a.rounds)
    recorded = ad.value_and_grad(oscillator, wrt=("k", "x0"))
    checkpointed = ad.value_and_grad(oscillator, wrt=("k", "x0"), memory=a.memory)
    args = (1.0, 1.0, a.steps)
    r, c = recorded(*args), checkpointed(*args)
    t_rec, t_chk = side_by_side([recorded, checkpointed], args, repeat=1, rounds=a.rounds)
    from adcompile.runtime import checkpoint_segment
    from adcompile.specs import memory_bytes
    m = checkpoint_segment(a.steps, 16, 16, 8, memory_bytes(a.memory), 1)
    tape = -(-a.steps // m) * 16 + 16 + m * 8
    print(f"{a.steps:,} Euler steps, gradient with respect to k and x0")
    print(f"  recorded whole:         {t_rec:8.3f} s   tape {a.steps * 8 / 1e6:10.1f} MB")
    print(f"  checkpointed ({a.memory}): {t_chk:8.3f} s   tape {tape / 1e6:10.3f} MB "
          f"(segments of {m:,} steps)")
    print(f"  time ratio checkpointed / recorded: {t_chk / t_rec:.2f} (target <= 3)")
    print(f"  identical numbers: {r == c}  {c}")
    print(f"  peak memory added in a fresh process: recorded "
          f"{_peak_growth_mb(a.steps, None):.1f} MB, checkpointed "
          f"{_peak_growth_mb(a.steps, a.memory):.1f} MB")


def arrays(size: int, steps: int, rounds: int):
    """relax with an array of `size` doubles: recorded whole, in a budget two levels fit,
    and in one only three levels fit, side by side."""
    u0 = np.linspace(0, 1, size)
    recorded = ad.value_and_grad(relax, wrt="k")
    try:
        ad.value_and_grad(relax, wrt="k", memory=16)(0.7, u0, steps)
    except ad.CheckpointMemoryError as exc:
        three, two = exc.least, exc.two_levels
    budgets = [two, three]
    fns = [recorded] + [ad.value_and_grad(relax, wrt="k", memory=m) for m in budgets]
    results = [f(0.7, u0, steps) for f in fns]
    times = side_by_side(fns, (0.7, u0, steps), repeat=1, rounds=rounds)
    print(f"{steps:,} steps of a loop carrying {size:,} doubles ({size * 8 / 1e6:.2f} MB), "
          "gradient with respect to k; seconds per gradient, best of "
          f"{rounds}, side by side; peak memory added to a fresh process")
    labels = ["recorded whole", f"two levels, memory={two / 1e6:.1f}MB",
              f"three levels, memory={three / 1e6:.1f}MB"]
    for label, t, m in zip(labels, times, [None] + budgets):
        print(f"  {label:34s} {t:8.3f} s  ratio {t / times[0]:.2f}  peak "
              f"{_peak_growth_mb(steps, m, size):8.1f} MB")
    print(f"  identical numbers: {all(r == results[0] for r in results)}")


if __name__ == "__main__":
    main()
