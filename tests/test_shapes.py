"""Shape manipulation, constructors and reductions (frontend/shapes.py, constructors.py,
reductions.py): each against NumPy's value and central differences, in reverse and forward
mode (gradcheck.check_like_numpy, which also checks the caller's arrays are not written),
at several shapes including length-1 axes; the conventions at ties; the located errors."""
import numpy as np
import pytest

import adcompile as ad
from adcompile.errors import AdCompileError, UnknownFunctionError, UnsupportedSyntaxError
from gradcheck import check_like_numpy

RNG = np.random.default_rng(7)


def _arr(*shape):
    return RNG.uniform(0.2, 1.5, shape)


def _check(func, *args, jit=False, wrt=None):
    floats = tuple(i for i, a in enumerate(args) if isinstance(a, float) or
                   isinstance(a, np.ndarray) and a.dtype == np.float64)
    check_like_numpy(func, args, wrt=floats if wrt is None else wrt,
                     jits=(True, False) if jit else (False,))


# ------------------------------------------------------------------------------ reshape
def reshape_2x3(x):
    y = x.reshape(2, 3)
    return np.sum(np.sin(y) * np.arange(3.0)) + np.sum(y[:, 0] * y[:, 1])


def reshape_minus1(x):
    return np.sum(x.reshape(-1, 2) @ np.array([1.0, -2.0])) + np.sum(
        np.reshape(x, (3, -1)) ** 2 * np.arange(2.0))


def reshape_3d(x):
    B = x.reshape((1, 2, 3))
    return np.sum(B * np.arange(3.0)) + np.sum(B.reshape(6) * x) + np.sum(B.ravel() ** 3)


@pytest.mark.parametrize("shape", [(6,), (2, 3), (1, 6), (6, 1), (3, 2, 1)])
def test_reshape_ravel_of_any_shape(shape):
    x = _arr(*shape)
    _check(lambda_free_reshape, x)


def lambda_free_reshape(x):
    flat = x.ravel()
    y = np.reshape(x, (3, 2))
    return np.sum(flat * np.arange(6.0)) + np.sum(np.cos(y) * np.array([1.0, 2.0])) + \
        np.sum(x.flatten() ** 2) + np.sum(x.reshape(-1, 1) * flat)


@pytest.mark.parametrize("func", [reshape_2x3, reshape_minus1, reshape_3d])
def test_reshape(func):
    _check(func, _arr(6))


def test_reshape_compiled():
    _check(reshape_2x3, _arr(6), jit=True)


def test_reshape_size_mismatch_is_located():
    def f(x):
        return np.sum(x.reshape(4, 2))
    with pytest.raises(ValueError, match="cannot reshape"):
        ad.grad(f)(_arr(6))


def test_flatten_is_a_copy():
    def f(x):
        y = x.flatten()
        y[0] = 3.0
        return np.sum(y * x.ravel())
    _check(f, _arr(2, 3))


def test_write_through_a_reshape_is_refused():
    def f(x):
        y = x.reshape(2, 3)
        y[0, 0] = 1.0
        return np.sum(y)
    with pytest.raises(UnsupportedSyntaxError, match="copy of a view") as e:
        ad.grad(f)(_arr(6))
    assert "y[0, 0] = 1.0" in str(e.value)


def test_read_of_a_reshape_after_its_base_was_written_is_refused():
    def f(x):
        y = x.reshape(2, 3)
        x[0] = 5.0
        return np.sum(y)
    with pytest.raises(UnsupportedSyntaxError, match="base array has been written"):
        ad.grad(f)(_arr(6))


def test_reshape_read_before_the_write_is_fine():
    def f(x):
        y = x.reshape(2, 3)
        s = np.sum(y * y)
        x[0] = 5.0
        return s + np.sum(x)
    _check(f, _arr(6))


# ------------------------------------------------------------------------------ new axes
def pairwise(x):
    d = x[:, None] - x[None, :]
    return np.sum(d * d)


def pairwise_rows(X):
    D = np.sum((X[:, np.newaxis, :] - X[np.newaxis, :, :]) ** 2, axis=-1)
    return np.sum(np.sqrt(D + 1.0))


def test_pairwise_distances():
    _check(pairwise, _arr(5), jit=True)
    _check(pairwise, _arr(1))
    _check(pairwise_rows, _arr(4, 2), jit=True)
    x = _arr(4)
    np.testing.assert_allclose(ad.grad(pairwise)(x), 4 * (len(x) * x - np.sum(x)))


def expand_squeeze(A):
    e = np.expand_dims(A, 0)            # (1, m, n)
    f = np.expand_dims(A, axis=-1)      # (m, n, 1)
    s = np.squeeze(e, axis=0) + np.squeeze(f, axis=2) + A[None, :, :][0]
    return np.sum(s * A) + np.sum(np.atleast_3d(A) * f) + np.sum(np.atleast_1d(A[0]))


@pytest.mark.parametrize("shape", [(2, 3), (1, 3), (3, 1)])
def test_expand_dims_squeeze(shape):
    _check(expand_squeeze, _arr(*shape))


def test_squeeze_of_length_one_parameter_axes():
    def f(A):
        return np.sum(np.squeeze(A) * np.arange(3.0))
    _check(f, _arr(1, 3))
    _check(f, _arr(3, 1))


def test_atleast():
    def f(x):
        a = np.atleast_2d(x)
        b = np.atleast_3d(x)
        return np.sum(a * a) + np.sum(b * np.arange(1.0)) + np.sum(a.T * x[:, None])
    _check(f, _arr(4))


# ------------------------------------------------------------------------------ transpose
def transposes(B):
    T = np.transpose(B, (2, 0, 1))
    S = np.swapaxes(B, 0, 2)
    return np.sum(T * np.arange(3.0)) + np.sum(S[0] ** 2) + np.sum(B.transpose(1, 0, 2)[0])


def test_transpose_axes():
    _check(transposes, _arr(2, 3, 2))
    _check(transposes, _arr(1, 3, 2))


def test_transpose_is_a_view_as_in_numpy():
    def f(A):
        T = np.transpose(A)
        T[0, 1] = 2.0
        return np.sum(A * A)
    _check(f, _arr(3, 4))


# ------------------------------------------------------------------------------ concatenation
def concats(A, x):
    B = np.concatenate([A, 2.0 * A], axis=1)
    C = np.concatenate((A, np.sin(A)))
    D = np.concatenate([x, x[::-1] ** 2])
    return np.sum(np.cos(B) * np.arange(2.0 * A.shape[1])) + np.sum(C ** 2) + \
        np.sum(D * np.arange(2.0 * len(x))) + np.sum(np.concatenate([A, A], axis=-1) * 0.5)


def stacks(x, y):
    P = np.stack([x, x * y, y ** 3])
    Q = np.stack((x, y), axis=1)
    R = np.stack([x, y], axis=-1)
    V = np.vstack([x, np.sin(y)])
    H = np.hstack([x, y ** 2])
    W = np.hstack([Q, Q * 2.0])
    return np.sum(P ** 2) + np.sum(Q @ np.array([1.0, 2.0])) + np.sum(R * R) + \
        np.sum(V ** 3) + np.sum(H * np.arange(2.0 * len(x))) + np.sum(W) + \
        np.sum(np.vstack([Q, Q]) ** 2)


@pytest.mark.parametrize("m,n", [(2, 3), (1, 3), (3, 1)])
def test_concatenate(m, n):
    _check(concats, _arr(m, n), _arr(4))


@pytest.mark.parametrize("n", [1, 4])
def test_stack(n):
    _check(stacks, _arr(n), _arr(n))


def test_concatenate_of_a_tuple_name_and_ints():
    def f(x, k):
        parts = (x, np.arange(k) * 1.0)
        return np.sum(np.concatenate(parts) ** 2)
    _check(f, _arr(3), 4)


def test_concatenate_shape_mismatch_is_located():
    def f(A, B):
        return np.sum(np.concatenate([A, B], axis=0))
    with pytest.raises(ValueError, match="dimensions except for the concatenation"):
        ad.grad(f)(_arr(2, 3), _arr(2, 4))


def polynomial_features(x, w):
    F = np.stack([np.ones_like(x), x, x ** 2, x ** 3], axis=1)
    G = np.vstack([np.ones_like(x), x, x ** 2]).T
    r = F @ w - np.sin(x)
    return np.sum(r * r) + np.sum(G @ w[:3])


def test_polynomial_features():
    _check(polynomial_features, _arr(6), _arr(4), jit=True)


# ------------------------------------------------------------------------------ constructors
def constructors(A):
    I = np.eye(3)
    J = np.eye(3, 4, k=1)
    return np.sum(A * J) + np.sum(np.identity(3) @ A) + np.sum(np.tri(3, 4, -1) * A) + \
        np.sum(I) + np.sum(np.eye(3, dtype=int))


def triangles(A):
    return np.sum(np.triu(A) ** 2) + np.sum(np.tril(A, -1) * 3.0) + np.sum(np.triu(A, k=1)) + \
        np.sum(np.full_like(A, 2.0) * A)


def diagonals(v, A):
    return np.sum(np.diag(v) @ A) + np.sum(np.diag(v, 1) ** 2) + np.sum(np.diag(v, k=-2)) + \
        np.sum(np.diag(A) ** 3) + np.sum(np.diag(A, 1)) + np.sum(np.diag(A, -1) * 2.0)


def spaces(a, b):
    t = np.linspace(a, b, 7)
    u = np.linspace(a, b, num=5, endpoint=False)
    return np.sum(np.sin(t)) + np.sum(u * u) + np.linspace(a, b, 1)[0] + \
        np.sum(np.linspace(0.0, b, 4))


def test_constructors():
    _check(constructors, _arr(3, 4))
    _check(triangles, _arr(3, 4))
    _check(triangles, _arr(1, 3))
    _check(diagonals, _arr(3), _arr(3, 4))
    _check(diagonals, _arr(1), _arr(1, 4))
    _check(spaces, 0.3, 1.7)


def test_constructors_compiled():
    _check(diagonals, _arr(3), _arr(3, 4), jit=True)
    _check(spaces, 0.3, 1.7, jit=True)


def test_constructed_arrays_are_writable():
    def f(x):
        I = np.eye(3)
        I[0, 2] = x[0]
        L = np.tril(np.outer(x, x))
        L[2, 0] = 0.0
        return np.sum(I @ x) + np.sum(L)
    _check(f, _arr(3))


# ------------------------------------------------------------------------------ reductions
def softmax_rows(X):
    m = np.max(X, axis=1, keepdims=True)
    e = np.exp(X - m)
    p = e / np.sum(e, axis=1, keepdims=True)
    return np.sum(p * np.arange(float(X.shape[1])))


def batch_norm(X):
    mu = X.mean(axis=0)
    Z = (X - mu) / np.sqrt(np.var(X, axis=0) + 1e-5)
    return np.sum(Z ** 3 * np.arange(float(X.shape[1]))) + np.sum(np.std(X, axis=0, ddof=1))


def test_softmax_and_batch_norm():
    _check(softmax_rows, _arr(3, 4), jit=True)
    _check(softmax_rows, _arr(1, 4))
    _check(batch_norm, _arr(5, 3), jit=True)
    _check(batch_norm, _arr(4, 1))


def axis_tuples(B):
    return np.sum(np.sum(B, axis=(0, 2)) ** 2) + np.sum(np.mean(B, axis=(1, 2), keepdims=True) * B) \
        + np.sum(B.max(axis=(0, 1)) ** 2) + np.sum(np.prod(B, axis=(-1, 0))) + \
        np.sum(np.sum(B, keepdims=True) * B) + np.var(B, axis=(0, 2), keepdims=True)[0, 1, 0]


@pytest.mark.parametrize("shape", [(2, 3, 2), (1, 3, 1)])
def test_axis_tuples_and_keepdims(shape):
    _check(axis_tuples, _arr(*shape))


def var_std(x):
    return np.var(x) + np.std(x, ddof=1) + x.var() + np.var(x, keepdims=True)[0] + x.std()


def test_var_std():
    _check(var_std, _arr(5))
    x = _arr(4)
    assert np.isclose(ad.grad(var_std)(x)[0], ad.grad(var_std, mode="forward")(x)[0])


def cumulative(x):
    return np.sum(np.cumsum(x) ** 2) + np.sum(np.cumprod(x) * np.arange(float(len(x))))


def cumulative_2d(A):
    return np.sum(np.cumsum(A, axis=0) * np.cumprod(A, axis=1)) + np.sum(np.cumsum(A) ** 2) + \
        np.sum(A.cumprod(axis=-1))


def test_cumsum_cumprod():
    _check(cumulative, _arr(5))
    _check(cumulative_2d, _arr(3, 2))
    _check(cumulative_2d, _arr(1, 3), jit=True)


@pytest.mark.parametrize("x", [[2.0, 0.0, 3.0, 1.5], [0.0, 2.0, 0.0, 3.0], [1.5, 2.0, 3.0, 0.0]])
def test_cumprod_adjoint_at_zeros(x):
    """The adjoint never divides by the running product: exact at zeros."""
    def f(x):
        return np.sum(np.cumprod(x))
    x = np.array(x)
    expect = np.array([sum(np.prod(np.delete(x[:k + 1], i)) for k in range(i, len(x)))
                       for i in range(len(x))])
    for mode in ("reverse", "forward"):
        np.testing.assert_allclose(ad.grad(f, mode=mode, jit=False)(x), expect)
    _check(f, x)


def extremes(x):
    i = np.argmax(x)
    j = np.argmin(x)
    return x[i] - 2.0 * x[j] + float(i) + float(np.any(x > 1.0)) + 2.0 * float(np.all(x > 0.0))


def test_argmax_argmin_any_all():
    for x in ([0.3, 1.2, -0.5, 2.0], [0.5], [1.1, 0.9]):
        _check(extremes, np.array(x))


def test_argmax_ties_and_nan_follow_numpy():
    def f(x):
        return float(np.argmax(x)) + 10.0 * float(np.argmin(x)) + 100.0 * float(x.argmin()) \
            + 1000.0 * float(np.any(x)) + 10000.0 * float(np.all(x)) + 0.0 * x[0]
    for x in ([1.0, 3.0, 3.0, 0.0], [0.0, 0.0], [2.0, np.nan, 5.0, np.nan], [1.0, -np.inf]):
        x = np.array(x)
        for jit in (True, False):
            assert ad.value_and_grad(f, jit=jit)(x)[0] == f(x)


def kmeans_cost(X, C):
    d = np.sum((X[:, None, :] - C[None, :, :]) ** 2, axis=2)
    a = np.argmin(d, axis=1)
    s = 0.0
    for i in range(X.shape[0]):
        s += d[i, a[i]]
    return s


def test_kmeans_assignment():
    X, C = _arr(7, 2), _arr(3, 2)
    _check(kmeans_cost, X, C, jit=True)
    d = ((X[:, None, :] - C[None, :, :]) ** 2).sum(-1)
    assert np.isclose(kmeans_cost(X, C), ad.value_and_grad(kmeans_cost)(X, C)[0])
    assert np.isclose(kmeans_cost(X, C), d.min(axis=1).sum())


def argmax_axis(A):
    k = np.argmax(A, axis=0)
    r = np.argmin(A, axis=-1)
    return float(np.sum(k)) + float(np.sum(r * 10))


def test_argmax_along_an_axis():
    A = _arr(3, 4)
    assert ad.value_and_grad(argmax_axis, jit=False)(A)[0] == argmax_axis(A)


def sorted_weights(x):
    return np.sum(np.sort(x) * np.arange(float(len(x)))) + np.median(x) + np.median(x[1:])


def test_sort_and_median():
    _check(sorted_weights, np.array([0.3, 1.2, -0.5, 2.0, 0.7]), jit=True)
    _check(sorted_weights, np.array([0.3, 1.2]))
    A = _arr(2, 3)

    def med2(A):
        return np.median(A) * 2.0
    _check(med2, A)


def test_sort_ties_follow_the_stable_order():
    """Tied elements keep their order (mergesort): sorted position k's adjoint goes to the
    element that lands there (docs/conventions.md)."""
    def f(x):
        return np.sum(np.sort(x) * np.array([1.0, 2.0, 3.0]))
    x = np.array([1.0, 2.0, 1.0])
    for mode in ("reverse", "forward"):
        np.testing.assert_allclose(ad.grad(f, mode=mode, jit=False)(x), [1.0, 3.0, 2.0])


def test_median_ties_and_even_lengths():
    def f(x):
        return np.median(x)
    cases = [([1.0, 1.0, 1.0], [0.0, 1.0, 0.0]), ([2.0, 2.0, 2.0, 2.0], [0.0, 0.5, 0.5, 0.0]),
             ([4.0, 1.0, 3.0, 2.0], [0.0, 0.0, 0.5, 0.5]), ([3.0, 1.0, 2.0], [0.0, 0.0, 1.0])]
    for x, g in cases:
        x = np.array(x)
        for mode in ("reverse", "forward"):
            v, grad = ad.value_and_grad(f, mode=mode, jit=False)(x)
            assert v == np.median(x)
            np.testing.assert_allclose(grad, g)


# ------------------------------------------------------------------------------ errors
def _convolve(x):
    return np.sum(np.convolve(x, x))


def _lexsort(x):
    return np.sum(np.lexsort((x, x)) * x)


def _unwrap(x):
    return np.sum(np.unwrap(x))


@pytest.mark.parametrize("func,name", [(_convolve, "np.convolve"), (_lexsort, "np.lexsort"),
                                       (_unwrap, "np.unwrap")])
def test_other_numpy_functions_stay_located_errors(func, name):
    with pytest.raises(UnknownFunctionError, match=name) as e:
        ad.grad(func)(_arr(3))
    assert "test_shapes.py" in str(e.value)


def test_unknown_function_names_it():
    def f(x):
        return np.sum(np.convolve(x, x))
    with pytest.raises(UnknownFunctionError, match="np.convolve"):
        ad.grad(f)(_arr(3))


def test_in_place_sort_and_several_axes_are_refused():
    def g(x):
        x.sort()
        return np.sum(x)

    def h(A):
        return np.sum(np.cumsum(A, axis=(0, 1)))
    with pytest.raises(UnsupportedSyntaxError, match="sort"):
        ad.grad(g)(_arr(3))
    with pytest.raises(AdCompileError, match="one axis"):
        ad.grad(h)(_arr(2, 3))


def sort_axes(A):
    return np.sum(np.sort(A) * np.arange(float(A.shape[1]))) + \
        np.sum(np.sort(A, axis=0) ** 2 * np.arange(float(A.shape[0]))[:, None]) + \
        np.sum(np.sort(A, axis=None) * np.arange(float(A.size)))


def median_axes(A):
    return np.sum(np.median(A, axis=0) ** 2) + \
        np.sum(np.median(A, axis=-1) * np.arange(float(A.shape[0]))) + np.median(A)


@pytest.mark.parametrize("shape", [(3, 4), (1, 3), (2, 1)])
def test_sort_and_median_along_axes(shape):
    _check(sort_axes, _arr(*shape))
    _check(median_axes, _arr(*shape))


def test_sort_along_an_axis_compiled():
    def f(B):
        return np.sum(np.sort(B, axis=1) * np.arange(3.0)[:, None]) + \
            np.sum(np.median(B, axis=2) ** 2)
    _check(f, _arr(2, 3, 2), jit=True)


def test_shapes_inside_loops_and_helpers():
    def norm_rows(A):
        return A / np.sqrt(np.sum(A * A, axis=1, keepdims=True))

    def f(A, n):
        s = 0.0
        B = A
        for _ in range(n):
            B = norm_rows(B + 0.1) @ np.eye(B.shape[1])
            s += np.sum(B.reshape(-1) * np.arange(float(B.size)))
        return s
    check_like_numpy(f, (_arr(2, 3), 3), wrt=(0,), jits=(False,))


def test_a_reduction_of_every_axis_along_axis_is_a_number():
    def f(x, A):
        return np.sum(x, axis=0) + np.mean(A, axis=(0, 1)) + np.max(x, axis=-1)
    _check(f, _arr(3), _arr(2, 2))


def test_squeeze_of_a_longer_axis_is_located():
    def f(A):
        return np.sum(np.squeeze(A, axis=0))
    with pytest.raises(ValueError, match="squeeze"):
        ad.grad(f)(_arr(2, 3))


def row_vector_loop(x, W, n):
    h = x * 1.0                       # (1, 3): its length-1 axis known, then not
    for _ in range(n):
        h = np.tanh(h @ W)
    return np.sum(h)


def branch_new_axes(x, c):
    if c > 0:
        y = x[:, None]
    else:
        y = x[None, :].T
    return np.sum(y * x)


def test_length_one_axes_known_on_one_path_only():
    """A branch or loop joining an array whose length-1 axis is known with one whose is
    not gives the array type without it (a copy), not a type error."""
    _check(row_vector_loop, _arr(1, 3), _arr(3, 3) * 0.5, 2, wrt=(0, 1))
    _check(branch_new_axes, _arr(3), 1)
    _check(branch_new_axes, _arr(3), -1)


# ------------------------------------------------------------------------------ split
def split_equal(x):
    a, b, c = np.split(x, 3)
    return np.sum(a * b) + np.sum(np.hypot(b, c)) + np.sum(np.arctan2(a, c))


def split_at_indices(A):
    p, q = np.split(A, [1], axis=1)
    u, v = np.hsplit(A, 2)
    r, s = np.vsplit(A, [3])
    first, middle, last = np.split(A[0], [1, -1])
    return np.sum(p * q[:, :1]) + np.sum(u * v) + np.sum(r ** 2) - np.sum(s) + \
        first[0] * np.sum(middle) * last[0]


@pytest.mark.parametrize("func,shape", [(split_equal, (6,)), (split_at_indices, (4, 4))],
                         ids=["equal", "indices"])
def test_split(func, shape):
    _check(func, _arr(*shape), jit=True)


def test_split_unequal_is_a_located_error():
    with pytest.raises(ad.ShapeError, match="equal division") as info:
        ad.grad(split_equal, jit=False)(np.ones(7))
    assert "test_shapes.py" in str(info.value)
