"""Forward-mode benchmark: one JVP, one Hessian-vector product and the forward-mode gradient
against the numba.njit primal, side by side in one run.

    python benchmarks/bench_forward.py          (about a minute)

JVP: every float parameter gets a random tangent; one sweep gives the value and the
directional derivative. hvp: reverse mode over the tangent code, H v for a random v. The
forward-mode gradient seeds 4 directions per sweep (as many as there are float parameters
when they are all scalars). Ratios are what to read; absolute times move with the load.
"""
import os
import sys
import tempfile

import numba
import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.dirname(HERE))

import adcompile as ad  # noqa: E402
import numpy_workloads as NW  # noqa: E402
import workloads as W  # noqa: E402
from adcompile.api import arg_type  # noqa: E402
from adcompile.timing import side_by_side  # noqa: E402
from adcompile.specs import jvp as jvp_transform  # noqa: E402
from adcompile.transformed import Transformed  # noqa: E402

RNG = np.random.default_rng(0)
CASES = [  # name, function, arguments, float parameters, calls per timing
    ("seed graph", W.seed_graph, (1.5, 0.5), (0, 1), 200_000),
    ("rosenbrock loop n=1000", W.rosenbrock, (np.linspace(-1.2, 1.2, 1000),), (0,), 20_000),
    ("euler oscillator 10k steps", W.damped_oscillator, (2.0, 0.5, 1.0), (0, 1, 2), 2_000),
    ("while loop (a0=1e3)", W.settle, (1000.0,), (0,), 100_000),
    ("Rosenbrock vectorised n=1e5", NW.rosenbrock_vec, (np.linspace(-1.2, 1.2, 100_000),),
     (0,), 200),
    ("MLP 256x100->256->1 (ReLU)", NW.mlp_loss,
     (RNG.standard_normal((100, 256)) * 0.1, RNG.standard_normal(256) * 0.1,
      RNG.standard_normal(256) * 0.1, RNG.standard_normal((256, 100)),
      RNG.standard_normal(256)), (0, 1, 2), 500),
    ("logistic loss 1000x100", NW.logistic_loss,
     (RNG.standard_normal(100) * 0.1, RNG.standard_normal((1000, 100)),
      (RNG.uniform(size=1000) > 0.5).astype(np.float64)), (0,), 2_000),
]


def _direction(a):
    return RNG.standard_normal(a.shape) if isinstance(a, np.ndarray) else float(RNG.normal())


def main():
    os.environ.setdefault("ADCOMPILE_CACHE_DIR", tempfile.mkdtemp(prefix="adcompile-bench-"))
    print(f"numba {numba.__version__}, numpy {np.__version__}")
    print("per call of the compiled kernels; ratio = time / numba.njit primal time")
    print(f"{'workload':30s} {'primal':>10s} {'jvp':>7s} {'hvp':>7s} {'reverse':>8s} "
          f"{'fwd grad':>9s}  directional/reverse")
    for name, func, args, wrt, reps in CASES:
        primal = numba.njit(func)
        primal(*args)
        dots = tuple(_direction(args[i]) for i in wrt)
        types = [arg_type(str(i), a) for i, a in enumerate(args)]
        jk = Transformed(func, jvp_transform(), wrt).specialise(*types).func   # one sweep
        jargs = args + dots
        jk(*jargs)
        hv = ad.hvp(func, wrt=wrt)
        hv(*args, *dots)
        hk = hv.kernel
        hk(*jargs)
        rev = ad.value_and_grad(func, wrt=wrt)
        rev(*args)
        dirg = ad.value_and_grad(func, wrt=wrt, nonsmooth="directional")
        dirg(*args)
        n_in = sum(np.size(args[i]) for i in wrt)
        fwd = ad.value_and_grad(func, wrt=wrt, mode="forward")
        if n_in <= 10_000:
            fwd(*args)
        t_p, t_j, t_h, t_r, t_d = _times([(primal, args), (jk, jargs), (hk, jargs),
                                          (rev.kernel, args), (dirg.kernel, jargs)], reps)
        if n_in <= 10_000:            # n / 4 sweeps: seconds per call beyond that
            (t_f,) = _times([(fwd.kernel, args)], max(1, reps // max(1, n_in // 4)))
            fwd_ratio = f"{t_f / t_p:8.1f}x"
        else:
            fwd_ratio = f"{'-':>9s}"
        print(f"{name:30s} {t_p * 1e6:8.2f}us {t_j / t_p:6.2f}x {t_h / t_p:6.2f}x "
              f"{t_r / t_p:7.2f}x {fwd_ratio}  {t_d / t_r:6.2f}x  ({n_in} inputs)")


def _times(pairs, reps):
    """side_by_side for functions taking different arguments."""
    fns = [(lambda f=f, a=a: f(*a)) for f, a in pairs]
    return side_by_side(fns, (), reps)


if __name__ == "__main__":
    main()
