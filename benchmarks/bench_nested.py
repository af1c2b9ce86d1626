"""Nested-derivative benchmark: second derivatives as transforms of the gradient (forward
over reverse, docs/nested.md) against the gradient itself, side by side in one run.

    python benchmarks/bench_nested.py           (about two minutes)

Per workload, the compiled kernels of: the numba.njit primal; the gradient (value and
gradient, reverse mode); jvp(grad(f)): the gradient's tangent along a random direction, H v
by one forward sweep over the reverse sweep; ad.hvp(f), the same product built directly
(for comparison); and where every input is a float, grad(grad(f, wrt=0), wrt=0), one second
partial, and jacobian(grad(f)): the whole Hessian (forward mode, all inputs in one sweep). Ratios
to the gradient are what to read (the target for a second derivative is <= 4x); absolute
times move with the machine's load.
"""
import argparse
import os
import sys
import tempfile

import numba
import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.dirname(HERE))

import adcompile as ad  # noqa: E402
import workloads as W  # noqa: E402
from adcompile import specs  # noqa: E402
from adcompile.timing import side_by_side  # noqa: E402
from adcompile.transformed import Transformed  # noqa: E402

RNG = np.random.default_rng(0)
CASES = [  # name, function, arguments, float parameters, calls per timing
    ("seed graph", W.seed_graph, (1.5, 0.5), (0, 1), 200_000),
    ("rosenbrock loop n=1000", W.rosenbrock, (np.linspace(-1.2, 1.2, 1000),), (0,), 20_000),
    ("euler oscillator 10k steps", W.damped_oscillator, (2.0, 0.5, 1.0), (0, 1, 2), 2_000),
    ("while loop (a0=1e3)", W.settle, (1000.0,), (0,), 100_000),
]


def _direction(a):
    return RNG.standard_normal(a.shape) if isinstance(a, np.ndarray) else float(RNG.normal())


def _kernel(t, *args):
    """The compiled entry of transform t for these arguments (compiled on this call)."""
    t.specialise(*[ad.api.arg_type(str(i), a) for i, a in enumerate(args)])
    return t.kernel


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", type=float, default=1.0, help="multiply the call counts")
    opts = parser.parse_args()
    os.environ.setdefault("ADCOMPILE_CACHE_DIR", tempfile.mkdtemp(prefix="adcompile-bench-"))
    print(f"numba {numba.__version__}, numpy {np.__version__}, python {sys.version.split()[0]}")
    print("per call of the compiled kernels; ratio = time / the gradient's time")
    print(f"{'workload':28s} {'primal':>9s} {'gradient':>10s} {'jvp(grad)':>10s} "
          f"{'hvp':>7s} {'d2/dx0^2':>9s} {'hessian':>9s}")
    for name, func, args, wrt, reps in CASES:
        reps = max(10, int(reps * opts.scale))
        primal = numba.njit(func)
        primal(*args)
        grad = ad.grad(func, wrt=wrt)
        g = _kernel(grad, *args)
        v = [_direction(args[i]) for i in wrt]
        jg = Transformed(grad, specs.jvp(), wrt=wrt)
        jk = _kernel(jg, *args)
        hk = _kernel(ad.hvp(func, wrt=wrt), *args)
        fns = [primal, g, (jk, list(args) + v), (hk, list(args) + v)]
        scalars = all(not isinstance(a, np.ndarray) for a in args)
        if scalars:                          # one second partial; the whole Hessian
            fns.append(_kernel(ad.grad(ad.grad(func, wrt=0), wrt=0), *args))
            fns.append(_kernel(ad.jacobian(grad, wrt=wrt), *args))
        # the nested kernels agree with the direct ones
        H_v = jk(*args, *v)[len(wrt):]
        direct = hk(*args, *v)[1:]
        for a, b in zip(H_v, direct):
            assert np.allclose(a, b, rtol=1e-10, atol=1e-10), (name, a, b)
        calls = [(f, list(args)) if not isinstance(f, tuple) else f for f in fns]
        times = _side_by_side(calls, reps)
        t_g = times[1]
        cells = [f"{t / t_g:6.2f}x" for t in times[2:]] + ["-", "-"]
        print(f"{name:28s} {times[0] * 1e6:7.2f}us {t_g * 1e6:8.2f}us {cells[0]:>10s} "
              f"{cells[1]:>7s} {cells[2]:>9s} {cells[3]:>9s}")


def _side_by_side(calls, reps):
    """side_by_side for functions with their own arguments."""
    wrapped = [lambda *_, f=f, a=a: f(*a) for f, a in calls]
    return side_by_side(wrapped, (), reps)


if __name__ == "__main__":
    main()
