"""Array benchmark: compiled gradient (with value) against the numba.njit primal.

    python benchmarks/bench_numpy.py

Workloads: logistic loss (X 1000x100), a two-layer ReLU MLP loss (batch 256, 100->256->1),
vectorised Rosenbrock (n = 100,000) and an explicit-loop RNN (20 steps, 32 hidden, 16 in).
Prints, per workload and side by side in one run, the primal time, adcompile's kernel time,
their ratio, and the first-call compile time.
"""
import os
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")   # steady BLAS timings on a shared machine
import sys
import tempfile

import numba
import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.dirname(HERE))

import numpy_workloads as W  # noqa: E402
from adcompile.timing import side_by_side  # noqa: E402
from others import jax_timers, torch_timers  # noqa: E402
from startup import first_gradient, new_process_start  # noqa: E402

SETUP = {  # the same arguments, rebuilt in a new process
    "logistic_loss": "import numpy as np\nR = np.random.default_rng(0)\n"
                     "args = (R.normal(size=100), R.normal(size=(1000, 100)), "
                     "np.sign(R.normal(size=1000)))",
    "mlp_loss": "import numpy as np\nR = np.random.default_rng(0)\n"
                "args = (R.normal(size=(100, 256)), R.normal(size=256), R.normal(size=256), "
                "R.normal(size=(256, 100)), R.normal(size=256))",
    "rosenbrock_vec": "import numpy as np\nargs = (np.random.default_rng(0).normal(size=100000),)",
    "rnn_loop": "import numpy as np\nR = np.random.default_rng(0)\n"
                "args = (R.normal(size=(32, 16)), R.normal(size=(32, 32)), "
                "R.normal(size=(20, 16)), R.normal(size=32))",
}

R = np.random.default_rng(0)
CASES = [
    ("logistic loss 1000x100", W.logistic_loss,
     (R.normal(size=100) * 0.1, R.normal(size=(1000, 100)), np.sign(R.normal(size=1000))),
     (0,), 300),
    ("MLP 256x100->256->1", W.mlp_loss,
     (R.normal(size=(100, 256)) * 0.1, R.normal(size=256) * 0.1, R.normal(size=256) * 0.1,
      R.normal(size=(256, 100)), R.normal(size=256)), (0, 1, 2), 100),
    ("Rosenbrock vectorised n=1e5", W.rosenbrock_vec, (R.normal(size=100_000),), (0,), 100),
    ("RNN loops T=20 H=32 D=16", W.rnn_loop,
     (R.normal(size=(32, 16)) * 0.3, R.normal(size=(32, 32)) * 0.2, R.normal(size=(20, 16)),
      R.normal(size=32)), (0, 1), 300),
]


def main():
    os.environ.setdefault("ADCOMPILE_CACHE_DIR", tempfile.mkdtemp(prefix="adcompile-bench-"))
    print(f"numba {numba.__version__}, numpy {np.__version__}")
    print(f"{'workload':30s} {'primal':>10s} {'adcompile':>10s} {'ratio':>6s} {'compile':>8s}")
    primal_times = {}
    for name, func, args, wrt, reps in CASES:
        primal, vg, (value, _), first = first_gradient(func, args, wrt)
        kernel = vg.kernel
        assert abs(value - primal(*args)) <= 1e-8 * max(1.0, abs(value))
        tp, tk = side_by_side([primal, kernel], args, reps)
        primal_times[name] = tp
        print(f"{name:30s} {tp * 1e6:8.1f}us {tk * 1e6:8.1f}us {tk / tp:5.2f}x {first:6.2f} s")
    print("\nnew process, warm cache: import to first result (min of 2 runs)")
    for name, func, args, wrt, _ in CASES:
        t = new_process_start(os.path.join(HERE, "numpy_workloads.py"), func.__name__,
                              SETUP[func.__name__], wrt, 2)
        print(f"  {name:30s} adcompile {t['adcompile']:5.2f} s   numba primal "
              f"{t['numba']:5.2f} s   ratio {t['adcompile'] / t['numba']:4.2f}x")
    for label, timers in (("jax.jit(jax.value_and_grad)", jax_timers),
                          ("PyTorch forward+backward", torch_timers)):
        measured = timers(CASES)
        if not measured:
            print(f"\n{label}: not installed, not timed")
            continue
        print(f"\n{label}, same workloads, ratio to the numba.njit primal above:")
        for name, t in measured.items():
            print(f"  {name:30s} {t * 1e6:8.1f}us {t / primal_times[name]:5.2f}x")



if __name__ == "__main__":
    main()
