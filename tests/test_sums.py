"""Partial sums (adcompile/sums.py): a NumPy expression's reduction runs in four lanes
(reassociated, as NumPy's np.sum is), a loop the user wrote keeps Python's order."""
import math

import numpy as np
import pytest

import adcompile as ad
from gradcheck import fd_gradient

SRC = '''
import numpy as np

def total(x, w):
    return np.sum(np.tanh(w * x)) + np.max(x) - np.min(w)

def backwards(x, w):
    return np.sum(x[::-1] * w) + np.sum(x[::3] ** 2)

def in_order(x, w):
    s = 0.0
    for i in range(x.shape[0]):
        s = s + x[i] * w[i]
    return s
'''


@pytest.fixture(scope="module")
def m(tmp_path_factory):
    from conftest import load_source
    return load_source(tmp_path_factory.mktemp("sums"), SRC, "sums_prog")


@pytest.mark.parametrize("name,jit", [("total", False), ("backwards", False),
                                      ("backwards", True)])   # total compiled: below
def test_every_length_against_numpy_and_both_modes(m, name, jit):
    """Lengths 0-9 and 37 (no full step of four, each remainder, several steps):
    values as NumPy's within rounding; reverse and forward gradients agree, and with
    central differences."""
    f = getattr(m, name)
    rng = np.random.default_rng(3)
    rev = ad.value_and_grad(f, wrt=(0, 1), jit=jit)
    fwd = ad.value_and_grad(f, wrt=(0, 1), jit=jit, mode="forward")
    val = ad.compile(f, jit=jit)
    assert "partial sums" in val.specialise(x="f64[:]", w="f64[:]").source
    for n in list(range(1 if name == "total" else 0, 10)) + [37]:
        x, w = rng.normal(size=n), rng.normal(size=n)
        expect = f(x, w)
        assert math.isclose(val(x, w), expect, rel_tol=1e-13, abs_tol=1e-13), n
        v, g = rev(x, w)
        vf, gf = fwd(x, w)
        assert math.isclose(v, expect, rel_tol=1e-13, abs_tol=1e-13), n
        assert math.isclose(vf, expect, rel_tol=1e-13, abs_tol=1e-13), n
        for k in (0, 1):
            assert np.allclose(g[k], gf[k], rtol=1e-12, atol=1e-13), (n, k)
            if n:
                fd = fd_gradient(f, [x, w], k)
                assert np.allclose(g[k], fd, rtol=1e-6, atol=1e-7), (n, k, g[k], fd)


def test_max_and_min_in_lanes_are_exact(m):
    """max and min do not round: in lanes they are NumPy's exactly, with NaN, inf and
    ties anywhere among the lanes and the tail."""
    f = ad.compile(m.total)
    rng = np.random.default_rng(5)
    for n in (5, 8, 11):
        for special in (np.nan, np.inf, -np.inf, 7.0):
            for at in range(n):
                x, w = rng.normal(size=n), rng.normal(size=n)
                x[at] = special
                w[(at + 1) % n] = -special if special == special else special
                with np.errstate(all="ignore"):
                    got, expect = f(x, w), m.total(x, w)
                    parts = np.max(x) - np.min(w)
                if not math.isfinite(parts):
                    assert got == expect or (math.isnan(got) and math.isnan(expect))
                else:
                    assert math.isclose(got, expect, rel_tol=1e-13), (n, special, at)


@pytest.mark.parametrize("jit", [False, True])
def test_a_users_loop_keeps_pythons_order(m, jit):
    """Values whose sum depends on the order (1e16 + 1 - 1e16 ...): the user's loop gives
    Python's result bit for bit, its derivative too, and its code has no lanes."""
    x = np.array([1e16, 1.0, -1e16, 1.0, 3.0, 1e-3, -3.0, 2.0, 1.0])
    w = np.ones_like(x)
    f = ad.value_and_grad(m.in_order, wrt=(0, 1), jit=jit)
    v, (gx, gw) = f(x, w)
    assert v == m.in_order(x, w)
    assert np.array_equal(gx, w) and np.array_equal(gw, x)
    assert "partial sums" not in f.source
    assert ad.compile(m.in_order, jit=jit)(x, w) == m.in_order(x, w)
