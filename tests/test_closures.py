"""Values a function reads from outside: closures over arrays, module-level arrays and
numbers, a bound method's self, an object's attributes. Arrays are read at every call (no
recompilation, never stale); numbers baked into the code are checked at every call (a change
recompiles). Gradients against central differences, both modes."""
import numpy as np
import pytest

import adcompile as ad
from test_arrays import _fd

SOURCE = """
import types
import numpy as np

K = 2.0
TABLE = np.array([1.0, 2.0, 3.0])
config = types.SimpleNamespace(scale=0.5, shift=np.array([0.1, 0.2, 0.3]))

def make_loss(X, y):
    def loss(w):
        return np.mean((X @ w - y) ** 2)
    return loss

def scaled(x):
    return K * np.sum(TABLE * x * x)

def uses_config(x):
    return config.scale * np.sum((x - config.shift) ** 2)

def writes_table(x):
    t = TABLE
    t[0] = x[0] * 10.0
    return np.sum(t * x)

class Spring:
    def __init__(self, k, rest):
        self.k = k
        self.rest = rest

    def energy(self, q):
        d = q - self.rest
        return 0.5 * self.k * np.sum(d * d)

    def helper(self, q):
        return np.sum(q)

    def calls_method(self, q):
        return self.helper(q) * self.k
"""


@pytest.fixture
def m(load):
    return load(SOURCE)


@pytest.mark.parametrize("mode", ["reverse", "forward"])
def test_closure_over_arrays(m, mode):
    r = np.random.default_rng(0)
    X, y, w = r.normal(size=(6, 3)), r.normal(size=6), r.normal(size=3)
    loss = m.make_loss(X, y)
    g = ad.grad(loss, mode=mode)
    np.testing.assert_allclose(g(w), _fd(loss, (w,), 0), rtol=1e-6, atol=1e-9)
    X[:] = r.normal(size=(6, 3))                  # changed in place: read at the next call
    np.testing.assert_allclose(g(w), _fd(loss, (w,), 0), rtol=1e-6, atol=1e-9)
    other = m.make_loss(2.0 * X, y)               # another closure, same code
    np.testing.assert_allclose(ad.grad(other, mode=mode)(w), _fd(other, (w,), 0), rtol=1e-6)


def test_module_array_rebound_needs_no_recompile(m):
    x = np.array([0.3, -0.2, 0.5])
    g = ad.grad(m.scaled)
    np.testing.assert_allclose(g(x), 2.0 * 2.0 * m.TABLE * x)
    first = g.specialise(x="f64[:]")
    m.TABLE = np.array([4.0, 5.0, 6.0])
    np.testing.assert_allclose(g(x), 2.0 * 2.0 * m.TABLE * x)
    assert g.specialise(x="f64[:]") is first      # the same compiled code, new values
    m.TABLE = np.array([[1.0, 2.0, 3.0]])          # another type: compiled again
    np.testing.assert_allclose(g(x), (2.0 * 2.0 * m.TABLE * x)[0])


def test_module_number_changed_is_never_stale(m):
    g = ad.grad(m.scaled)
    x = np.array([0.3, -0.2, 0.5])
    g(x)
    m.K = 3.0                                      # baked in: a change compiles again
    np.testing.assert_allclose(g(x), 2.0 * 3.0 * m.TABLE * x)
    np.testing.assert_allclose(g(x), 2.0 * 3.0 * m.TABLE * x)   # and the fast path too


def test_object_attributes(m):
    x = np.array([0.3, -0.2, 0.5])
    for mode in ("reverse", "forward"):
        g = ad.grad(m.uses_config, mode=mode)
        np.testing.assert_allclose(g(x), 2 * 0.5 * (x - m.config.shift))
        m.config.scale = 1.5                       # a number: compiled again
        np.testing.assert_allclose(g(x), 2 * 1.5 * (x - m.config.shift))
        m.config.shift = np.array([1.0, 1.0, 1.0])  # an array: read at the call
        np.testing.assert_allclose(g(x), 2 * 1.5 * (x - 1.0))
        m.config.scale, m.config.shift = 0.5, np.array([0.1, 0.2, 0.3])


def test_writes_into_a_module_array_act_on_a_copy(m):
    before = m.TABLE.copy()
    x = np.array([0.3, -0.2, 0.5])
    v, g = ad.value_and_grad(m.writes_table)(x)
    assert v == pytest.approx(np.sum(np.array([x[0] * 10, 2.0, 3.0]) * x))
    np.testing.assert_array_equal(m.TABLE, before)
    np.testing.assert_allclose(g, [20.0 * x[0], 2.0, 3.0])


@pytest.mark.parametrize("mode", ["reverse", "forward"])
def test_bound_method(m, mode):
    s = m.Spring(2.0, np.array([0.1, 0.2]))
    q = np.array([0.5, -0.3])
    g = ad.grad(s.energy, mode=mode)
    np.testing.assert_allclose(g(q), 2.0 * (q - s.rest))
    s.k = 4.0
    s.rest = np.array([0.0, 0.0])
    np.testing.assert_allclose(g(q), 4.0 * q)
    np.testing.assert_allclose(ad.hessian(s.energy)(q), 4.0 * np.eye(2))


def test_methods_called_inside_are_inlined_with_self(m):
    s = m.Spring(2.0, np.array([0.1, 0.2]))
    for mode in ("reverse", "forward"):
        np.testing.assert_allclose(ad.grad(s.calls_method, mode=mode)(np.array([0.5, -0.3])),
                                   [2.0, 2.0])


def test_closure_number_changed_is_never_stale(load):
    """A number read from a closure cell is compiled in; a change of the cell (nonlocal
    rebinding) compiles again, like a module constant's."""
    m = load("""
def make(k):
    def f(x):
        return k * x * x
    def set_k(v):
        nonlocal k
        k = v
    return f, set_k
""")
    f, set_k = m.make(2.0)
    g = ad.grad(f)
    assert g(1.5) == pytest.approx(6.0)
    set_k(5.0)
    assert g(1.5) == pytest.approx(15.0)
    assert g(1.5) == pytest.approx(15.0)          # the fast path too
    assert ad.grad(f, mode="forward")(1.5) == pytest.approx(15.0)
