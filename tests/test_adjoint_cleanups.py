"""Adjoint loops run forwards when their iterations commute; outer products read element by
element are not built. Each case checks the generated source shape and the gradient (against
finite differences), including the cases where the clean-up must not apply."""
import numpy as np
import pytest

import adcompile as ad
from test_arrays import _fd


def _grads(func, args, wrt, **types):
    src = ad.value_and_grad(func, wrt=wrt).specialise(**types).source
    for jit in (True, False):
        _, grads = ad.value_and_grad(func, wrt=wrt, jit=jit)(*args)
        grads = grads if isinstance(grads, tuple) else (grads,)
        for i, g in zip(wrt, grads):
            np.testing.assert_allclose(g, _fd(func, args, i), rtol=1e-6, atol=1e-8)
    return src


def _adjoint_part(src):
    return src[src.index("# adjoint of"):]


def test_elementwise_adjoint_loops_run_forwards(load):
    m = load("""
import numpy as np
def f(x, w):
    return np.sum(np.sin(x * w) + w ** 2)
""")
    rng = np.random.default_rng(1)
    src = _grads(m.f, (rng.standard_normal(7), 0.7), (0, 1), x="f64[:]", w="f64")
    assert ", -1, -1)" not in _adjoint_part(src)


def test_recurrences_stay_reversed(load):
    m = load("""
import numpy as np
def f(x, a):
    y = np.zeros(len(x))
    y[0] = x[0]
    for i in range(1, len(x)):
        y[i] = a * y[i - 1] + np.sin(x[i])
    return np.sum(y * y)
""")
    rng = np.random.default_rng(2)
    src = _grads(m.f, (rng.standard_normal(9), 0.8), (0, 1), x="f64[:]", a="f64")
    assert ", -1, -1)" in _adjoint_part(src)


def test_scalar_recurrence_stays_reversed(load):
    m = load("""
def f(x, n):
    s = x
    t = 0.0
    for i in range(n):
        s = s * 0.9 + 0.1 * s * s
        t = t + s
    return t
""")
    src = _grads(m.f, (0.3, 6), (0,), x="f64", n="i64")
    assert ", -1, -1)" in _adjoint_part(src)


def test_an_adjoint_read_and_accumulated_in_one_loop_stays_reversed(load):
    m = load("""
import numpy as np
def f(x):
    y = x.copy()
    for i in range(len(x) - 1):
        y[i + 1] = y[i + 1] + y[i] * y[i]
    return np.sum(y)
""")
    rng = np.random.default_rng(3)
    src = _grads(m.f, (0.3 * rng.standard_normal(6),), (0,), x="f64[:]")
    assert ", -1, -1)" in _adjoint_part(src)


def test_matrix_vector_adjoint_reads_the_outer_product_in_its_loop(load):
    m = load("""
import numpy as np
def f(W, b, v, X):
    h = np.tanh(X @ W + b)
    return np.sum((h @ v) ** 2)
""")
    rng = np.random.default_rng(4)
    args = (rng.standard_normal((3, 4)), rng.standard_normal(4), rng.standard_normal(4),
            rng.standard_normal((5, 3)))
    src = _grads(m.f, args, (0, 1, 2), W="f64[:,:]", b="f64[:]", v="f64[:]", X="f64[:,:]")
    assert "outer(" not in src


def test_outer_product_kept_when_it_is_returned_as_a_gradient(load):
    m = load("""
import numpy as np
def f(A, x):
    return np.sum(np.sin(A @ x))
""")
    rng = np.random.default_rng(5)
    src = _grads(m.f, (rng.standard_normal((3, 4)), rng.standard_normal(4)), (0, 1),
                 A="f64[:,:]", x="f64[:]")
    assert "outer(" in src


@pytest.mark.parametrize("n", [0, 1, 4])
def test_forward_loops_with_short_and_empty_ranges(load, n):
    m = load("""
import numpy as np
def f(x, c):
    s = 0.0
    for i in range(len(x)):
        s = s + c * x[i] * x[i]
    return s + c
""")
    x = np.linspace(-1.0, 1.0, n)
    for jit in (True, False):
        _, (gx, gc) = ad.value_and_grad(m.f, wrt=(0, 1), jit=jit)(x, 1.5)
        np.testing.assert_allclose(gx, 3.0 * x)
        assert gc == pytest.approx(float(np.sum(x * x)) + 1.0)


def test_shape_reads_are_one_unpacking(load):
    """`n, m = A.shape` is written back as one statement (and so is the forward driver's
    reading of a matrix parameter's shape); the gradient is unchanged."""
    m = load("""
import numpy as np
def f(A, v):
    n, m = A.shape
    s = 0.0
    for i in range(n):
        for j in range(m):
            s += A[i, j] * v[j] * (i + 1)
    return s
""")
    rng = np.random.default_rng(3)
    A, v = rng.normal(size=(3, 4)), rng.normal(size=4)
    src = _grads(m.f, (A, v), (0, 1), A="f64[:, :]", v="f64[:]")
    assert "n, m = A.shape" in src
    fwd = ad.value_and_grad(m.f, wrt=(0, 1), mode="forward")
    assert "n0_A, n1_A = A.shape" in fwd.specialise(A="f64[:, :]", v="f64[:]").source
    _, (gA, gv) = fwd(A, v)
    np.testing.assert_allclose(gA, _fd(m.f, (A, v), 0), rtol=1e-6, atol=1e-8)
    np.testing.assert_allclose(gv, _fd(m.f, (A, v), 1), rtol=1e-6, atol=1e-8)
