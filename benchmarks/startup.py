"""Import-to-first-result time in a new process with warm caches: adcompile's gradient
against a cached numba.njit(cache=True) primal of the same function."""
import os
import shutil
import subprocess
import sys
import tempfile

SNIPPET_AD = """
import time
t0 = time.perf_counter()
import adcompile as ad
import {module} as W
{setup}
g = ad.value_and_grad(W.{name}, wrt={wrt!r})
g(*args)
print(time.perf_counter() - t0)
"""
SNIPPET_NB = """
import time
t0 = time.perf_counter()
import numba
import {module} as W
{setup}
f = numba.njit(cache=True)(W.{name})
f(*args)
print(time.perf_counter() - t0)
"""


def new_process_start(module_file, name, setup, wrt, runs):
    """Best-of-runs seconds for both, after one run that fills the caches."""
    work = tempfile.mkdtemp(prefix="adcompile-bench-")
    shutil.copy(module_file, work)
    module = os.path.splitext(os.path.basename(module_file))[0]
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    env = dict(os.environ, ADCOMPILE_CACHE_DIR=os.path.join(work, "cache"),
               PYTHONPATH=root + os.pathsep + work)
    out = {}
    for label, snippet in (("adcompile", SNIPPET_AD), ("numba", SNIPPET_NB)):
        code = snippet.format(module=module, setup=setup, name=name, wrt=wrt)
        times = []
        for _ in range(runs + 1):
            proc = subprocess.run([sys.executable, "-c", code], cwd=work, env=env,
                                  capture_output=True, text=True, check=True)
            times.append(float(proc.stdout.strip().splitlines()[-1]))
        out[label] = min(times[1:])
    shutil.rmtree(work, ignore_errors=True)
    return out


def first_gradient(func, args, wrt):
    """The numba.njit primal (warmed up), adcompile's value_and_grad, its first result and
    how long that first call took (adcompile's passes plus Numba's compile)."""
    import time
    import numba
    import adcompile as ad
    primal = numba.njit(func)
    primal(*args)
    t0 = time.perf_counter()
    vg = ad.value_and_grad(func, wrt=wrt)
    out = vg(*args)
    return primal, vg, out, time.perf_counter() - t0
