"""`adcompile demo`: the seeds' computation-graph example, end to end.

f(w1, w2) = (sin(2 pi w1 / w2) + 3 w1 / w2 - exp(2 w2)) * (3 w1 / w2 - exp(2 w2))
"""
from __future__ import annotations

import inspect
import math


def seed_graph(w1, w2):
    a = 2.0 * math.pi * w1 / w2
    b = 3.0 * w1 / w2 - math.exp(2.0 * w2)
    return (math.sin(a) + b) * b


def run_demo(repeat: int = 200_000, out=print) -> dict:
    import numba
    if repeat < 1:
        raise ValueError(f"repeat must be at least 1, got {repeat}")

    from .api import value_and_grad
    from .timing import per_call, richardson

    point = (1.5, 0.5)
    vg = value_and_grad(seed_graph, wrt=("w1", "w2"))
    out("adcompile demo: the computation-graph example from the seed lecture\n")
    out(inspect.getsource(seed_graph))
    value, grads = vg(*point)
    out("typed SSA IR (f.ir):")
    out(vg.ir + "\n")
    out("generated forward-plus-adjoint source (f.source):")
    out(vg.source)
    out(f"at w1={point[0]}, w2={point[1]}: value = {value!r}")
    fd = [richardson(seed_graph, point, i) for i in range(2)]
    for name, g, d in zip(("w1", "w2"), grads, fd):
        rel = abs(g - d) / max(1.0, abs(d))
        out(f"  d/d{name}: adcompile {g: .15e}   finite differences {d: .15e}   "
            f"rel. diff {rel:.1e}")
    primal = numba.njit(cache=True)(seed_graph)
    kernel = vg.kernel
    primal(*point)
    kernel(*point)
    t_primal = per_call(primal, point, repeat)
    t_kernel = per_call(kernel, point, repeat)
    t_call = per_call(vg, point, max(1, repeat // 4))
    out("\ntimings per call, from Python (each includes Numba's call dispatch):")
    out(f"  compiled primal (numba.njit)           {t_primal * 1e9:8.1f} ns")
    out(f"  compiled value and gradient (kernel)   {t_kernel * 1e9:8.1f} ns   "
        f"{t_kernel / t_primal:.2f}x the primal")
    out(f"  through the value_and_grad wrapper     {t_call * 1e9:8.1f} ns   "
        f"{t_call / t_primal:.2f}x the primal")
    return {"value": value, "grads": grads, "fd": fd, "ratio": t_kernel / t_primal}
