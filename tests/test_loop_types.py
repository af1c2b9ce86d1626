"""Loop types come from the abstract interpretation of the body (frontend/infer.py): on the
loops of the test programs and the benchmark workloads it predicts what each loop carries,
and the body is lowered once (no fallback to lowering it until its types settle)."""
import inspect
import os
import sys

import numpy as np
import pytest

import adcompile as ad
import programs as P

sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))),
                                "benchmarks"))
import numpy_workloads as NW  # noqa: E402
import workloads as W  # noqa: E402




def _float_or_int(p: inspect.Parameter) -> str:
    return "i64" if p.name in ("n", "k", "m") else "f64"


def _scalar_types(func):
    return {n: _float_or_int(p) for n, p in inspect.signature(func).parameters.items()}


def _compiles(func) -> bool:
    try:
        ad.value_and_grad(func, jit=False).specialise(**_scalar_types(func))
        return True
    except ad.AdCompileError:        # takes arrays: the workloads below cover array loops
        return False


SCALAR_PROGRAMS = [f for name, f in sorted(vars(P).items())
                   if inspect.isfunction(f) and f.__module__ == P.__name__
                   and not name.startswith("_") and _compiles(f)]


def test_the_suite_has_scalar_loop_programs():
    names = {f.__name__ for f in SCALAR_PROGRAMS}
    assert {"nested_loops", "while_in_for", "break_continue", "data_dependent_while"} <= names


@pytest.mark.parametrize("func", SCALAR_PROGRAMS, ids=lambda f: f.__name__)
def test_suite_programs_lower_each_loop_once(func, counts):
    ad.value_and_grad(func, jit=False).specialise(**_scalar_types(func))
    assert counts["gave_up"] == 0
    assert counts["lowered"] == counts["predicted"]


WORKLOADS = [
    (W.rosenbrock, dict(x="f64[:]")), (W.damped_oscillator, dict(k="f64", c="f64", x0="f64")),
    (W.settle, dict(a="f64")),
    (NW.rnn_loop, dict(Wx="f64[:, :]", Wh="f64[:, :]", xs="f64[:, :]", h0="f64[:]")),
]


@pytest.mark.parametrize("func,types", WORKLOADS, ids=lambda v: getattr(v, "__name__", ""))
def test_workloads_lower_each_loop_once(func, types, counts):
    ad.value_and_grad(func, jit=False).specialise(**types)
    assert counts["predicted"] > 0 and counts["gave_up"] == 0
    assert counts["lowered"] == counts["predicted"]


def test_a_loop_whose_variable_widens_is_predicted(load, counts):
    m = load("""
def f(x, n):
    s = 0
    k = 0
    for i in range(n):
        s = s + x * i
        k = k + 1
    return s * k
""")
    assert ad.grad(m.f, jit=False)(0.5, 4) == pytest.approx(sum(range(4)) * 4)
    assert counts["gave_up"] == 0 and counts["lowered"] == counts["predicted"] == 1
    np.testing.assert_allclose(ad.grad(m.f, mode="forward", jit=False)(0.5, 4), 24.0)
