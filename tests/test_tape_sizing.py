"""Tapes reserved once where their size is known (passes/tapes.py): a loop's records are
allocated at their final size when the whole count is known on entry, hoisted out of outer
loops when the inner count does not change, and grown where it does. Each case checks the
generated source shape and the gradient against finite differences and the other mode."""
import numpy as np
import pytest

import adcompile as ad
from gradcheck import check_modes


def _check(func, args, wrt, **types):
    return check_modes(func, args, wrt, **types)


NESTED = """
import math
def f(x, m):
    s = 0.0
    for t in range(m):
        for i in range(x.shape[0]):
            s = s + math.sin(s + x[i] * t)
    return s
"""


def test_a_top_level_loop_allocates_its_tape_once(load):
    m = load("""
import math
def f(x, n):
    s = x
    for i in range(n):
        s = math.sin(s) * 1.1
    return s
""")
    src = _check(m.f, (0.3, 5), (0,), x="f64", n="i64")
    assert "grow_tape" not in src and "np.empty(max(n, 0)" in src
    for n in (0, -3):                        # no iteration: an empty tape, no error
        assert ad.grad(m.f)(0.3, n) == 1.0


def test_an_invariant_inner_count_is_hoisted_out_of_the_outer_loop(load):
    m = load(NESTED)
    rng = np.random.default_rng(0)
    src = _check(m.f, (rng.standard_normal(4), 3), (0,), x="f64[:]", m="i64")
    assert "grow_tape" not in src
    assert ad.grad(m.f)(np.ones(3), 0).tolist() == [0.0, 0.0, 0.0]
    assert ad.grad(m.f)(np.ones(3), -2).tolist() == [0.0, 0.0, 0.0]


def test_a_count_that_changes_with_the_outer_loop_grows(load):
    m = load("""
import math
def f(x):
    s = 0.0
    for t in range(x.shape[0]):
        for i in range(t):
            s = s + math.sin(s + x[i] * x[t])
    return s
""")
    src = _check(m.f, (np.linspace(0.1, 0.9, 5),), (0,), x="f64[:]")
    assert "grow_tape" in src


def test_a_loop_in_a_branch_reserves_before_the_branch(load):
    m = load("""
import math
def f(x, flag):
    s = 0.0
    for t in range(3):
        if flag:
            for i in range(x.shape[0]):
                s = s + math.cos(s * x[i])
    return s
""")
    x = np.linspace(0.1, 0.9, 4)
    for flag in (True, False):
        src = _check(m.f, (x, flag), (0,), x="f64[:]", flag="bool")
    assert "grow_tape" not in src


def test_while_loops_keep_growing(load):
    m = load("""
import math
def f(x):
    s = x
    k = 0
    while k < 4:
        for i in range(3):
            s = math.sin(s) + 0.5
        k += 1
    return s
""")
    src = _check(m.f, (0.4,), (0,), x="f64")
    assert "grow_tape" in src


@pytest.mark.parametrize("m_", [0, 1, 3])
def test_second_derivatives_read_the_hoisted_tapes(load, m_):
    m = load(NESTED)
    x, v = np.array([0.2, -0.4, 0.7]), np.array([1.0, 0.5, -2.0])
    hv = ad.hvp(m.f)(x, m_, v)
    g = ad.grad(m.f)
    h = 1e-5
    fd = (g(x + h * v, m_) - g(x - h * v, m_)) / (2 * h)
    np.testing.assert_allclose(hv, fd, rtol=1e-5, atol=1e-8)
