"""Arrays of 4 to 6 dimensions: arguments, elementwise maps with broadcasting, reductions
along axes, reshapes, transposes, slices, element loops, einsum; in both modes against
NumPy's value and central differences. And the located error beyond 6 dimensions."""
import numpy as np
import pytest

import adcompile as ad
from adcompile.errors import AdCompileError
from gradcheck import check_like_numpy

RNG = np.random.default_rng(11)


def _arr(*shape):
    return RNG.uniform(0.2, 1.5, shape)


def elementwise_4d(x, w):
    return np.sum(np.tanh(x) * w + np.exp(-x ** 2) / (1.0 + w))


def reductions_4d(x):
    s = np.sum(x ** 2, axis=(1, 3))
    m = np.mean(np.sin(x), axis=2, keepdims=True)
    return np.sum(s * s) + np.sum(m * x) + np.max(x) * np.std(x)


def reshape_5d(x):
    y = x.reshape(2, 1, 3, 2, -1)
    return np.sum(np.cos(y) * y[:, :, :, :1, :]) + np.sum(y.transpose(4, 3, 2, 1, 0)[0] ** 3)


def slices_and_loops_6d(x):
    s = 0.0
    for i in range(x.shape[0]):
        for j in range(x.shape[5]):
            s += x[i, 0, 1, 0, 1, j] * x[i, 1, 0, 1, 0, j]
    return s + np.sum(x[:, 1:, :, 0, :, ::2] ** 2)


def einsum_batched_4d(a, b):
    return np.sum(np.einsum("bhij,bhjk->bhik", a, b) ** 2)


def swap_and_broadcast_4d(x, v):
    return np.sum(np.swapaxes(x, 1, 3) * v) + np.sum(np.expand_dims(v, 0) * np.swapaxes(x, 1, 3)[:1])


CASES = [
    (elementwise_4d, (_arr(2, 3, 1, 2), _arr(3, 1, 2)), (0, 1)),
    (reductions_4d, (_arr(2, 3, 2, 2),), (0,)),
    (reshape_5d, (_arr(24),), (0,)),
    (slices_and_loops_6d, (_arr(2, 2, 2, 2, 2, 3),), (0,)),
    (einsum_batched_4d, (_arr(2, 2, 3, 2), _arr(2, 2, 2, 3)), (0, 1)),
    (swap_and_broadcast_4d, (_arr(2, 3, 2, 4), _arr(4, 2, 3)), (0, 1)),
]


@pytest.mark.parametrize("func,args,wrt", CASES, ids=[c[0].__name__ for c in CASES])
def test_against_numpy_and_finite_differences(func, args, wrt):
    check_like_numpy(func, args, wrt=wrt, jits=(False,))


def test_compiled_5d_gradient():
    x = _arr(24)
    check_like_numpy(reshape_5d, (x,), wrt=(0,), jits=(True,))


def test_gradient_keeps_the_argument_shape():
    x = _arr(1, 2, 1, 2, 1, 2)
    g = ad.grad(lambda_free_sum)(x)
    assert g.shape == x.shape
    np.testing.assert_allclose(g, 2 * x, rtol=1e-14)


def lambda_free_sum(x):
    return np.sum(x * x)


def test_seven_dimensions_is_a_clear_error():
    with pytest.raises(AdCompileError, match="1 to 6 dimensions"):
        ad.grad(lambda_free_sum)(np.ones((1,) * 7))
