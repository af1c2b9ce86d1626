"""passes/reuse.py: an array made afresh in each iteration takes one buffer made before the
loop, only where no reference to it outlives the iteration."""
import numpy as np
import pytest

import adcompile as ad
from gradcheck import fd_gradient
from test_zeroskip import SOURCE as KMEANS          # kmeans(C, P), among others

PROGRAMS = KMEANS + """

def carried(x, n):
    prev = np.zeros(3)
    s = 0.0
    for i in range(n):
        h = np.zeros(3)
        h[i % 3] = x[i] * x[i]
        s = s + np.sum(h * prev)
        prev = h
    return s + np.sum(prev)

def kept(x, n):
    last = np.ones(3)
    for i in range(n):
        w = np.ones(3)
        w[0] = x[i]
        if x[i] > 0.0:
            last = w
    return np.sum(last * x[:3])

def view(x, n):
    s = 0.0
    tail = x[:2] * 1.0
    for i in range(n):
        w = np.zeros(4)
        w[i % 4] = np.sin(x[i])
        v = w[1:3]
        s = s + np.sum(v * tail)
        tail = v * 2.0
    return s + np.sum(tail)

def rhs(x, y):
    z = np.zeros(x.shape[0])
    z[0] = x[0]
    z[1:] = x[1:] * y[:-1]
    return z

def stages(x, n):
    y = np.zeros(x.shape[0])
    for _ in range(n):
        k1 = rhs(x, y)
        k2 = rhs(x, y + 0.1 * k1)
        y = y + 0.05 * (k1 + k2)
    return y[y.shape[0] - 1]

def nested(x, n):
    s = 0.0
    for i in range(n):
        for j in range(2):
            w = np.zeros(3)
            w[j] = x[i] * x[(i + j) % n]
            s = s + np.sum(w * w)
    return s
"""


@pytest.fixture(scope="module")
def progs(tmp_path_factory):
    from conftest import load_source
    return load_source(tmp_path_factory.mktemp("reuse"), PROGRAMS, "reuseprog")


CASES = {
    "kmeans": (lambda rng: (rng.uniform(-1, 1, (4, 3)), rng.uniform(-1, 1, (9, 3))), 2),
    "carried": (lambda rng: (rng.uniform(-1, 1, 6), 6), 0),
    "kept": (lambda rng: (rng.uniform(-1, 1, 6), 6), 0),
    "view": (lambda rng: (rng.uniform(-1, 1, 6), 6), 1),        # the adjoint's w_bar only
    "nested": (lambda rng: (rng.uniform(-1, 1, 5), 5), 1),      # the forward w is recorded
    # GradBench's ode: the adjoint's arrays have the length of the state read back from
    # its record, checked equal to x's (hoist_checks reads x's): z, z_1 and the adjoints of
    # z, z_1 and of y + 0.1 * k1
    "stages": (lambda rng: (rng.uniform(-1, 1, 5), 4), 5),
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_values_and_gradients(progs, name):
    """Reused or not, every transform gives Python's value and central differences' gradient
    (both modes, hvp, compiled and as Python); the arrays passed in are not written."""
    f = getattr(progs, name)
    make, _ = CASES[name]
    args = make(np.random.default_rng(3))
    copies = [a.copy() if isinstance(a, np.ndarray) else a for a in args]
    expect = f(*args)
    fd = fd_gradient(f, args, 0)
    for jit in (False, True):
        v, g = ad.value_and_grad(f, jit=jit)(*args)
        assert np.isclose(v, expect, rtol=1e-12, atol=1e-12)
        np.testing.assert_allclose(g, fd, rtol=1e-6, atol=1e-8)
        gf = ad.grad(f, jit=jit, mode="forward")(*args)
        np.testing.assert_allclose(gf, g, rtol=1e-10, atol=1e-12)
    u = np.ones_like(args[0])
    hv = ad.hvp(f, jit=False)(*args, u)
    fd_h = (ad.grad(f, jit=False)(*((args[0] + 1e-5 * u,) + args[1:]))
            - ad.grad(f, jit=False)(*((args[0] - 1e-5 * u,) + args[1:]))) / 2e-5
    np.testing.assert_allclose(hv, fd_h, rtol=1e-5, atol=1e-6)
    for a, c in zip(args, copies):
        assert np.array_equal(a, c)


@pytest.mark.parametrize("name", sorted(CASES))
def test_which_arrays_take_a_buffer(progs, name):
    """kmeans's d2 (and its adjoint) and the inner loop's w_bar take buffers; an array carried
    to the next iteration, kept after the loop, or seen through a view that is, does not."""
    f = getattr(progs, name)
    make, buffers = CASES[name]
    g = ad.grad(f, jit=False)
    g(*make(np.random.default_rng(0)))
    made = [line.strip() for line in g.source.splitlines() if "_buf = np." in line]
    assert len(made) == buffers, g.source


def test_prange_iterations_get_their_own_arrays(load):
    """A prange loop's iterations run at once: each makes its own array."""
    m = load("""
import numpy as np
from numba import prange

def f(x, n):
    s = 0.0
    for i in prange(n):
        w = np.zeros(3)
        w[i % 3] = x[i] * x[i]
        s += np.sum(w)
    return s
""")
    x = np.linspace(0.1, 1.0, 8)
    g = ad.grad(m.f)
    np.testing.assert_allclose(g(x, 8), 2 * x, rtol=1e-12)
    assert "_buf = np." not in g.source
