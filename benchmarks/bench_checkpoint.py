"""Checkpointing (grad(f, memory=...)): an explicit Euler loop of 1e8 steps, its gradient
recorded whole (8 bytes per step: 800 MB) and checkpointed within 64 MB, side by side in one
run: seconds per gradient and their ratio, whether the numbers are identical, and the peak
memory each adds to a fresh process (resident set size, measured in a subprocess each).
The issue's targets: within 64 MB, at <= 3x the time of the fully recorded gradient, the
same numbers.

Run: python benchmarks/bench_checkpoint.py [--steps 100000000] [--memory 64MB]
"""
import argparse
import os
import subprocess
import sys

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


def peak() -> int:
    """This process's peak resident memory in kB (VmHWM: unlike ru_maxrss, not inherited
    from the parent across fork and exec)."""
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmHWM:"):
                return int(line.split()[1])
    raise OSError("no VmHWM in /proc/self/status")


def _peak_growth_mb(steps: int, memory) -> float:
    """Resident memory one gradient adds to a fresh process (after compiling)."""
    script = (f"import sys; sys.path.insert(0, {os.path.dirname(__file__)!r})\n"
              "import adcompile as ad, bench_checkpoint as b\n"
              "from bench_checkpoint import peak\n"
              f"g = ad.grad(b.oscillator, wrt=('k', 'x0'), memory={memory!r})\n"
              "g(1.0, 1.0, 10)\n"
              "r0 = peak()\n"
              f"g(1.0, 1.0, {steps})\n"
              "print((peak() - r0) / 1024)\n")
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                         check=True)
    return float(out.stdout.split()[-1])


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--steps", type=int, default=100_000_000)
    ap.add_argument("--memory", default="64MB")
    ap.add_argument("--rounds", type=int, default=3)
    a = ap.parse_args()
    recorded = ad.value_and_grad(oscillator, wrt=("k", "x0"))
    checkpointed = ad.value_and_grad(oscillator, wrt=("k", "x0"), memory=a.memory)
    args = (1.0, 1.0, a.steps)
    r, c = recorded(*args), checkpointed(*args)
    t_rec, t_chk = side_by_side([recorded, checkpointed], args, repeat=1, rounds=a.rounds)
    from adcompile.runtime import checkpoint_segment
    from adcompile.specs import memory_bytes
    m = checkpoint_segment(a.steps, 16, 8, memory_bytes(a.memory))
    tape = -(-a.steps // m) * 16 + m * 8
    print(f"{a.steps:,} Euler steps, gradient with respect to k and x0")
    print(f"  recorded whole:         {t_rec:8.3f} s   tape {a.steps * 8 / 1e6:10.1f} MB")
    print(f"  checkpointed ({a.memory}): {t_chk:8.3f} s   tape {tape / 1e6:10.3f} MB "
          f"(segments of {m:,} steps)")
    print(f"  time ratio checkpointed / recorded: {t_chk / t_rec:.2f} (target <= 3)")
    print(f"  identical numbers: {r == c}  {c}")
    print(f"  peak memory added in a fresh process: recorded "
          f"{_peak_growth_mb(a.steps, None):.1f} MB, checkpointed "
          f"{_peak_growth_mb(a.steps, a.memory):.1f} MB")


if __name__ == "__main__":
    main()
