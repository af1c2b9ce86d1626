"""Arguments of other dtypes: float32 (and float16) arrays and NumPy scalars are computed in
float64 and come back in their dtype (NumPy's promotion for the value: float32 arrays with
Python floats give float32; a float64 array gives float64); int32 and other int arrays are
read as int64. Checked against a float64 run at a float32 tolerance, both modes, compiled and
not, called again (the fast path), inside structures."""
import numpy as np
import pytest

import adcompile as ad
from test_arrays import _fd

SOURCE = """
import math
import numpy as np

def energy(q):
    s = 0.0
    for i in range(q.shape[0]):
        s += q[i] ** 2 * math.sin(q[i] + 0.3)
    return s

def vec(x, w):
    return np.sum(np.tanh(x * w) * 2.0)

def mixed(x, y):
    return np.sum(x * y)

def mlp(p, X, y):
    h = np.tanh(X @ p["W"] + p["b"])
    return np.mean((h - y) ** 2)

def counts(n, x):
    return np.sum(n * x)
"""


@pytest.fixture
def m(load):
    return load(SOURCE)


X64 = np.linspace(-1.0, 1.2, 7)
X32 = X64.astype(np.float32)


@pytest.mark.parametrize("mode", ["reverse", "forward"])
@pytest.mark.parametrize("jit", [True, False])
def test_float32_in_float32_out(m, mode, jit):
    vg = ad.value_and_grad(m.energy, mode=mode, jit=jit)
    for _ in range(2):                              # the first call and the fast path
        v, g = vg(X32)
        assert isinstance(v, np.float32) and g.dtype == np.float32
        v64, g64 = ad.value_and_grad(m.energy, mode=mode, jit=jit)(X32.astype(np.float64))
        assert v == pytest.approx(v64, rel=1e-6, abs=1e-6)
        np.testing.assert_allclose(g, g64, rtol=1e-5, atol=1e-6)
        np.testing.assert_allclose(g, _fd(m.energy, (X32.astype(np.float64),), 0),
                                   rtol=1e-4, atol=1e-5)
    assert isinstance(m.energy(X32), np.float32)    # what NumPy itself gives


def test_numpy_promotion_of_the_value(m):
    w32 = np.float32(0.5)
    v, (gx, gw) = ad.value_and_grad(m.vec, wrt=(0, 1))(X32, w32)
    assert isinstance(v, np.float32) and gx.dtype == np.float32 and isinstance(gw, np.float32)
    assert v == pytest.approx(float(m.vec(X32, w32)), rel=1e-6)
    v, (gx, gw) = ad.value_and_grad(m.vec, wrt=(0, 1))(X32, 0.5)    # a Python float: weak
    assert isinstance(v, np.float32) and isinstance(gw, float)
    v, (gx, gy) = ad.value_and_grad(m.mixed, wrt=(0, 1))(X32, X64)   # with float64: float64
    assert not isinstance(v, np.float32) and gx.dtype == np.float32 and gy.dtype == np.float64
    np.testing.assert_allclose(gx, X64, rtol=1e-6)
    np.testing.assert_allclose(gy, X32, rtol=1e-6)


def test_float16_and_int32(m):
    v, g = ad.value_and_grad(m.energy)(X32.astype(np.float16))
    assert isinstance(v, np.float16) and g.dtype == np.float16
    n = np.arange(7, dtype=np.int32)
    g = ad.grad(m.counts, wrt=1)(n, X32)
    assert g.dtype == np.float32
    np.testing.assert_array_equal(g, n.astype(np.float32))


def test_float32_leaves_of_a_structure(m):
    r = np.random.default_rng(2)
    p = {"W": r.normal(size=(3, 4)).astype(np.float32), "b": r.normal(size=4).astype(np.float32)}
    X, y = r.normal(size=(5, 3)).astype(np.float32), r.normal(size=(5, 4)).astype(np.float32)
    for mode in ("reverse", "forward"):
        v, g = ad.value_and_grad(m.mlp, mode=mode)(p, X, y)
        p64 = {k: a.astype(np.float64) for k, a in p.items()}
        v64, g64 = ad.value_and_grad(m.mlp, mode=mode)(p64, X.astype(np.float64),
                                                       y.astype(np.float64))
        assert isinstance(v, np.float32) and v == pytest.approx(v64, rel=1e-5)
        for k in p:
            assert g[k].dtype == np.float32
            np.testing.assert_allclose(g[k], g64[k], rtol=1e-4, atol=1e-6)


def test_jvp_and_hessian_keep_float32(m):
    value, tangent = ad.jvp(m.energy, (X32,), (np.ones_like(X32),))
    assert isinstance(value, np.float32) and isinstance(tangent, np.float32)
    h = ad.hessian(m.energy)(X32)
    assert h.dtype == np.float32
    np.testing.assert_allclose(h, ad.hessian(m.energy)(X32.astype(np.float64)), rtol=1e-5,
                               atol=1e-6)


def test_the_callers_float32_array_is_untouched(m):
    x = X32.copy()
    ad.grad(m.energy)(x)
    np.testing.assert_array_equal(x, X32)
