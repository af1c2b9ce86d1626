"""Calls dispatched natively (adcompile/native.py): after a first call through Python, a
gradient's calls with the same argument types run the compiled entry from Numba's C
dispatcher. They must return exactly what the Python path returns, and every call the
entry does not cover (other types, length-1 axes, keywords, values read per call) must
still take the Python path, with its checks and errors."""
import threading

import numpy as np
import pytest

import adcompile as ad
from adcompile.errors import AdTypeError


def fd(f, args, i, h=1e-6):
    """Central differences of f with respect to argument i (a float or an array)."""
    x = np.asarray(args[i], dtype=float)
    g = np.zeros_like(x)
    for k in np.ndindex(x.shape):
        hi, lo = x.copy(), x.copy()
        hi[k] += h
        lo[k] -= h
        a_hi, a_lo = list(args), list(args)
        a_hi[i], a_lo[i] = (hi if x.ndim else float(hi)), (lo if x.ndim else float(lo))
        g[k] = (f(*a_hi) - f(*a_lo)) / (2 * h)
    return g


SRC = """
import math
import numpy as np

def scalar(x, y):
    return math.sin(x) * y + x * x

def mlp(W, b, X):
    return np.sum(np.tanh(X @ W + b) ** 2)

def squeezed(x, w):
    return np.sum(np.squeeze(x) * w)

SCALE = 2.0

def scaled(x):
    return SCALE * np.sum(x * x)

def counts(n, x):
    s = 0.0
    for i in range(n):
        s = s + x * i
    return s
"""


@pytest.fixture
def m(load):
    return load(SRC)


def test_native_calls_return_what_python_returns(m):
    vg = ad.value_and_grad(m.scalar, wrt=(0, 1))
    first = vg(0.3, 1.7)
    assert vg._native is not None                     # adopted after the first call
    for x, y in [(0.3, 1.7), (-2.0, 0.5), (1e-3, 4.0)]:
        v, (gx, gy) = vg(x, y)
        assert v == pytest.approx(m.scalar(x, y), rel=1e-15)
        assert gx == pytest.approx(fd(m.scalar, (x, y), 0), rel=1e-7)
        assert gy == pytest.approx(fd(m.scalar, (x, y), 1), rel=1e-7)
    assert vg(0.3, 1.7) == first
    g = ad.grad(m.scalar)                             # one parameter: the gradient alone
    g(0.3, 1.7)
    assert g(0.5, 2.0) == pytest.approx(float(fd(m.scalar, (0.5, 2.0), 0)), rel=1e-7)
    g1 = ad.value_and_grad(m.scalar, wrt=(1,))        # a tuple of one: a tuple of one
    g1(0.3, 1.7)
    v, grads = g1(0.5, 2.0)
    assert isinstance(grads, tuple) and len(grads) == 1


def test_arrays_with_a_length_one_axis_take_their_own_specialisation(m):
    rng = np.random.default_rng(0)
    W, X = rng.normal(size=(3, 4)), rng.normal(size=(5, 3))
    g = ad.grad(m.mlp, wrt=(0, 1))
    g(W, rng.normal(size=4), X)                       # b without length-1 axes: adopted
    assert g._native is not None
    for b in (rng.normal(size=1), rng.normal(size=4)):  # (1,) broadcasts against (5, 4)
        gW, gb = g(W, b, X)
        assert gW == pytest.approx(fd(m.mlp, (W, b, X), 0), rel=1e-6, abs=1e-8)
        assert gb == pytest.approx(fd(m.mlp, (W, b, X), 1), rel=1e-6, abs=1e-8)
    gs = ad.grad(m.squeezed)
    w = rng.normal(size=3)
    gs(rng.normal(size=(3, 3)), rng.normal(size=(3, 3)))
    x = rng.normal(size=(3, 1))                       # squeezed to (3,): NumPy's shapes
    assert gs(x, w) == pytest.approx(fd(m.squeezed, (x, w), 0), rel=1e-7)


def test_calls_it_does_not_cover_keep_their_checks(m):
    g = ad.grad(m.scalar)
    g(0.3, 1.7)
    with pytest.raises(AdTypeError, match="int"):    # an int for a float parameter
        g(1, 1.7)
    with pytest.raises(TypeError):
        g(0.3)                                        # a parameter missing
    assert g(x=0.3, y=1.7) == g(0.3, 1.7)             # keywords: the Python path
    gc = ad.grad(m.counts, wrt=1)
    gc(3, 0.5)
    assert gc(4, 0.5) == pytest.approx(6.0)
    assert gc(np.int64(4), np.float64(0.5)) == pytest.approx(6.0)


def test_arrays_of_other_layouts_and_read_only_arrays(m):
    rng = np.random.default_rng(1)
    W, b, X = rng.normal(size=(3, 4)), rng.normal(size=4), rng.normal(size=(5, 3))
    g = ad.grad(m.mlp)
    expect = g(W, b, X)
    Wf = np.asfortranarray(W)
    assert np.allclose(g(Wf, b, X), expect)
    Wr = W.copy()
    Wr.flags.writeable = False
    assert np.allclose(g(Wr, b, X), expect)
    assert np.allclose(g(W[:, ::1], b, X), expect)
    big = np.zeros((3, 8))
    big[:, ::2] = W
    assert np.allclose(g(big[:, ::2], b, X), expect)         # a strided view
    assert np.allclose(g(W, b, X), expect)


def test_values_read_at_every_call_are_not_native(m):
    g = ad.grad(m.scaled)
    x = np.array([1.0, 2.0])
    assert np.allclose(g(x), 4.0 * x)
    m.SCALE = 3.0                                     # a module constant the code read
    assert np.allclose(g(x), 6.0 * x)


def test_native_calls_from_threads(m):
    vg = ad.value_and_grad(m.scalar, wrt=(0, 1))
    vg(0.1, 0.2)
    points = np.random.default_rng(2).normal(size=(8, 200, 2))
    results = [None] * 8

    def work(k):
        results[k] = [vg(float(x), float(y)) for x, y in points[k]]
    threads = [threading.Thread(target=work, args=(k,)) for k in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    for k in range(8):
        for (x, y), (v, (gx, gy)) in zip(points[k], results[k]):
            assert v == pytest.approx(m.scalar(float(x), float(y)), rel=1e-14)
            assert gx == pytest.approx(np.cos(x) * y + 2 * x, rel=1e-12)


def test_the_fast_call_keeps_the_python_paths_rules(m, load):
    """After adoption the object's __call__ is written for its argument positions
    (native.fast_call): array subclasses, keywords and errors raised by the compiled entry
    behave as before it."""
    from adcompile.transformed import Transformed
    g = ad.grad(m.mlp)
    rng = np.random.default_rng(2)
    W, b, X = rng.normal(size=(3, 4)), rng.normal(size=4), rng.normal(size=(5, 3))
    expect = g(W, b, X)
    assert type(g).__call__ is not Transformed.__call__        # the written call
    assert isinstance(g, Transformed) and type(g).__name__ == "Transformed"
    assert np.array_equal(g(W, b, X), expect)
    assert np.array_equal(g(W=W, b=b, X=X), expect)            # keywords: the Python path
    masked = np.ma.masked_array(X, mask=np.zeros_like(X, dtype=bool))
    with pytest.raises(ad.AdCompileError):                     # refused, not computed
        g(W, b, masked)                                        # on the data alone
    reads = load("""
def f(x, n):
    s = 0.0
    for i in range(n):
        s = s + x[i] * x[i]
    return s
""")
    gr = ad.grad(reads.f)
    x = np.arange(4.0)
    assert np.array_equal(gr(x, 4), 2 * x)
    assert type(gr).__call__ is not Transformed.__call__
    with pytest.raises(IndexError, match=r"x\[i\]: index out of range") as info:
        gr(x, 6)                                               # raised natively
    frames = [f.filename for f in __import__("traceback").extract_tb(info.tb)]
    assert len(frames) == 2, frames                            # the test's, the call's:
    #                                                            no internal traceback
