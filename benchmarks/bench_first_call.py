"""First calls: a gradient's first call (adcompile's passes, writing the module, Numba's
compile of it, the runtime's math functions it uses) against Numba's compile of the primal
it differentiates, each in a fresh process with an empty adcompile cache, after the same
warm-up (importing NumPy and Numba, compiling one tiny function: what every process pays
once). The issue's target: gradient first call <= 1.5x the primal's compile.

Run: python benchmarks/bench_first_call.py [--repeats 3]
"""
import argparse
import json
import os
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))

WORKLOADS = {   # name: (module, function, wrt, arguments as Python source)
    "seed graph": ("workloads", "seed_graph", (0, 1), "(0.5, 1.5)"),
    "rosenbrock loop": ("workloads", "rosenbrock", (0,), "(np.linspace(-1, 1, 100),)"),
    "damped oscillator": ("workloads", "damped_oscillator", (0, 1, 2), "(1.0, 0.1, 1.0)"),
    "settle (while)": ("workloads", "settle", (0,), "(1.5,)"),
    "logistic loss": ("numpy_workloads", "logistic_loss", (0,),
                      "(R.normal(size=20), R.normal(size=(100, 20)), R.normal(size=100))"),
    "ReLU MLP": ("numpy_workloads", "mlp_loss", (0, 1, 2),
                 "(R.normal(size=(10, 16)), R.normal(size=16), R.normal(size=16), "
                 "R.normal(size=(32, 10)), R.normal(size=32))"),
    "tanh RNN loop": ("numpy_workloads", "rnn_loop", (0, 1),
                      "(R.normal(size=(8, 4)), R.normal(size=(8, 8)), R.normal(size=(5, 4)), "
                      "R.normal(size=8))"),
}

CHILD = r"""
import json, sys, time
sys.path.insert(0, {here!r})
import numba, numpy as np
numba.njit(lambda a: a + 1.0)(1.0)                 # warm-up every process pays
import adcompile as ad
from {module} import {func} as f
R = np.random.default_rng(0)
args = {args}
t0 = time.perf_counter()
if {what!r} == "primal":
    numba.njit(f)(*args)
else:
    ad.value_and_grad(f, wrt={wrt!r})(*args)
print(json.dumps(time.perf_counter() - t0))
"""


def first_call(what, module, func, wrt, args):
    with tempfile.TemporaryDirectory(prefix="adc-first-") as cache, \
            tempfile.TemporaryDirectory(prefix="nb-first-") as numba_cache:
        env = dict(os.environ, ADCOMPILE_CACHE_DIR=cache, NUMBA_CACHE_DIR=numba_cache)
        env.pop("PYTHONDONTWRITEBYTECODE", None)   # Python's own modules' bytecode cached,
        #                                            as in any installation (see bytecode())
        code = CHILD.format(here=HERE, module=module, func=func, args=args, what=what,
                            wrt=wrt)
        out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                             env=env, check=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def bytecode():
    """Write the bytecode of adcompile's modules, as installing a package does (pip compiles
    it; an editable install writes it on first import). A machine that sets
    PYTHONDONTWRITEBYTECODE would otherwise charge every first call with compiling
    adcompile's own source, about 0.1 s, which users do not pay."""
    import compileall
    compileall.compile_dir(os.path.join(HERE, "..", "adcompile"), quiet=1)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--repeats", type=int, default=3)
    a = ap.parse_args()
    bytecode()
    print(f"first call, seconds (minimum of {a.repeats} fresh processes each)")
    print(f"{'workload':<20} {'Numba primal':>13} {'gradient':>9} {'ratio':>6}")
    for name, (module, func, wrt, args) in WORKLOADS.items():
        p = min(first_call("primal", module, func, wrt, args) for _ in range(a.repeats))
        g = min(first_call("gradient", module, func, wrt, args) for _ in range(a.repeats))
        print(f"{name:<20} {p:13.2f} {g:9.2f} {g / p:6.2f}")


if __name__ == "__main__":
    main()
