"""passes/zeroskip.py: adjoint iterations whose incoming adjoint is exactly 0 skip their loop,
in the code that runs, never in a derivative that is differentiated again."""
import numpy as np
import pytest

import adcompile as ad
from gradcheck import fd_gradient

SOURCE = '''
import numpy as np


def kmeans(C, P):
    total = 0.0
    for i in range(P.shape[0]):
        d2 = np.sum((C - P[i]) ** 2, axis=1)
        total = total + np.min(d2)
    return total


def squares(C, P):                 # the row adjoint is d2[j]: 0 where a row sums to P's sum
    d2 = np.sum(C - P, axis=1)
    return 0.5 * np.sum(d2 * d2) + np.sum(C ** 3)


def relu_rows(C, P):               # a masked adjoint: rows with negative sums get none
    d2 = np.sum(C * P, axis=1)
    return np.sum(np.maximum(d2, 0.0) ** 2)


def recorded(C, P):                # the row loop records values: its iterations cannot skip
    total = 0.0
    for j in range(C.shape[0]):
        s = 0.0
        for l in range(C.shape[1]):
            s = np.sin(s + C[j, l] * P[l])
        total = total + max(s, 0.0)
    return total
'''

GUARD = "!= 0.0:"


@pytest.fixture(scope="module")
def progs(tmp_path_factory):
    from conftest import load_source
    return load_source(tmp_path_factory.mktemp("zeroskip"), SOURCE, "zeroskip_progs")


def data(k=5, d=3, n=40, seed=0):
    rng = np.random.default_rng(seed)
    return rng.normal(size=(k, d)), rng.normal(size=(n, d))


@pytest.mark.parametrize("name", ["kmeans", "squares", "relu_rows"])
def test_guarded_gradient_is_the_gradient(progs, name):
    f = getattr(progs, name)
    C, P = data()
    if name != "kmeans":
        P = P[0]
    g = ad.value_and_grad(f)
    value, grad = g(C, P)
    assert GUARD in g.source, g.source
    assert np.isclose(value, f(C, P), rtol=1e-12)
    assert np.allclose(grad, fd_gradient(f, [C, P], 0), rtol=1e-6, atol=1e-7)
    assert np.allclose(grad, ad.grad(f, mode="forward")(C, P), rtol=1e-10, atol=1e-12)
    assert np.array_equal(grad, ad.grad(f, jit=False)(C, P))


def test_second_derivatives_see_the_skipped_contributions(progs):
    """At a point where a row's adjoint is 0 its derivative is not: hvp, the Hessian and the
    Jacobian of the gradient must keep that row's terms."""
    f = progs.squares
    C, P = data()
    P = P[0]
    C[2] += (P.sum() - C[2].sum()) / C.shape[1]       # row 2 sums to P's sum: d2[2] == 0
    assert abs(np.sum(C[2] - P)) < 1e-12
    grad = ad.grad(f)
    v = np.random.default_rng(1).normal(size=C.shape)
    eps = 1e-6
    fd_hv = (grad(C + eps * v, P) - grad(C - eps * v, P)) / (2 * eps)
    assert np.allclose(ad.hvp(f)(C, P, v), fd_hv, rtol=1e-6, atol=1e-6)
    assert np.allclose(ad.jacobian(grad)(C, P).reshape(C.size, C.size) @ v.ravel(),
                       fd_hv.ravel(), rtol=1e-6, atol=1e-6)
    assert np.allclose(ad.hessian(f)(C, P).reshape(C.size, C.size) @ v.ravel(),
                       fd_hv.ravel(), rtol=1e-6, atol=1e-6)


def test_a_zero_adjoint_contributes_zero_even_times_inf(progs):
    """A centroid at infinity is nobody's nearest: its gradient is 0 (0 * inf would be nan)."""
    C, P = data()
    C[3] = np.inf
    grad = ad.grad(progs.kmeans)(C, P)
    assert np.all(grad[3] == 0.0)
    assert np.all(np.isfinite(grad))
    rest = [0, 1, 2, 4]
    f = lambda c: progs.kmeans(np.vstack([c[:3], C[3:4], c[3:]]), P)  # noqa: E731
    assert np.allclose(grad[rest], fd_gradient(f, [C[rest]], 0), rtol=1e-6, atol=1e-7)


def test_no_guard_where_iterations_record(progs):
    g = ad.value_and_grad(progs.recorded)
    C, P = data()
    value, grad = g(C, P[0])
    assert GUARD not in g.source
    assert np.allclose(grad, fd_gradient(progs.recorded, [C, P[0]], 0), rtol=1e-6, atol=1e-7)


def test_elementwise_adjoints_are_not_guarded(progs):
    """No loop to skip: the branch would only cost the loop its vectorisation."""
    def f(x):
        return np.sum(np.maximum(x, 0.0) ** 2)
    g = ad.value_and_grad(f)
    g(np.linspace(-1, 1, 9))
    assert GUARD not in g.source
