"""Integer-array and boolean-mask indexing (frontend/fancy.py): reads and writes with NumPy's
shapes and its rules for repeated indices, np.take, np.nonzero / np.flatnonzero / np.argwhere,
one-argument np.where, np.add.at; each against NumPy's value and central differences in both
modes (gradcheck.check_like_numpy also checks the caller's arrays are not written), second
order, a mask at its threshold, realistic programs, and the located errors."""
import numpy as np
import pytest

import adcompile as ad
from gradcheck import check_like_numpy

R = np.random.default_rng(5)
X = R.uniform(0.2, 1.5, 6)
A = R.uniform(0.2, 1.5, (4, 5))
T = R.uniform(0.2, 1.5, (3, 4, 5))
IDX = np.array([0, 2, 2, 5, -1])            # a repeat and a negative index


# ------------------------------------------------------------------------------ reads
def read_vector(x, idx):
    return np.sum(np.sin(x[idx]) * np.arange(5.0))


def read_rows_and_columns(A, idx):
    return np.sum(A[:, idx[:3]] ** 2) + np.sum(A[idx[:2]] * np.arange(5.0))


def read_pairs(A):
    rows = np.arange(4)
    cols = np.array([0, 4, 1, 1])
    return np.sum(np.log(A[rows, cols])) + A[np.array([1, 1]), 2][0]


def read_index_matrix(x):
    k = np.array([[0, 1], [5, 5], [3, 2]])
    return np.sum(x[k] * np.array([1.0, -2.0]))


def read_separated(T):
    # advanced indices apart (0 and an array): their axis comes first, as in NumPy
    return np.sum(T[0, :, np.array([1, 3])] * np.arange(4.0))


def read_adjacent(T):
    return np.sum(T[:, np.array([0, 3]), 1] * np.array([1.0, 2.0])) + \
        np.sum(T[1:, np.array([2, 0])][:, :, 4])


def read_masks(x):
    return np.sum(x[x > 0.7] ** 2) + np.sum(x[(x > 0.3) & ~(x > 1.0)]) + \
        np.sum(np.cos(x[x < 0.5]) * 2.0)


def read_matrix_mask(A):
    return np.sum(A[A > 0.5] * 2.0) + np.sum(A[np.where(A < 0.9)] ** 3) + \
        np.sum(A[A[:, 0] > 0.6] ** 2)


def read_nonzero_forms(x):
    i = np.nonzero(x > 0.5)[0]
    j = np.flatnonzero(x < 0.9)
    k = np.where(x > 0.4)[0]
    return np.sum(x[i]) + np.sum(x[j] ** 2) + np.sum(np.take(x, k) ** 3) + \
        np.sum(np.argwhere(x > 0.5)) * x[0]


def read_take(A, idx):
    return np.sum(np.take(A, idx[:3]) ** 2) + np.sum(np.take(A, idx[:2], axis=1) * 3.0) + \
        np.take(A, 7) + np.sum(np.take(A, 1, axis=1))


def read_ellipsis(T):
    return np.sum(T[..., 1] * T[:, :, 2]) + np.sum(T[1, ...] ** 2) + np.sum(T[..., :2, 0])


# ------------------------------------------------------------------------------ writes
def write_assign(x, idx):
    y = x.copy()
    y[idx] = x[:5] * 2.0
    return np.sum(y * y)


def write_iadd(x, idx):
    y = x.copy()
    y[idx] += np.sin(x[:5])
    return np.sum(y * x)


def write_masks(x):
    y = x * 1.0
    y[y > 0.8] = 0.0
    y[y < 0.5] *= 3.0
    y[x > 1.2] = x[x > 1.2] ** 2
    return np.sum(y * x)


def write_add_at(x, idx):
    y = np.zeros(6)
    np.add.at(y, idx, x[:5] ** 2)
    return np.sum(y * x)


def write_matrix(A, idx):
    B = A.copy()
    B[:, idx[:2]] = 0.5 * A[:, :2]
    B[1][idx[1:3]] += 1.0
    B[A > 1.0] -= A[A > 1.0] ** 2
    return np.sum(B * A)


def write_in_a_loop(x, idx):
    y = np.zeros(6)
    for k in range(3):
        y[idx[k:k + 2]] += x[k] * x[k + 1]
    return np.sum(y ** 2)


CASES = [
    (read_vector, (X, IDX)), (read_rows_and_columns, (A, IDX)), (read_pairs, (A,)),
    (read_index_matrix, (X,)), (read_separated, (T,)), (read_adjacent, (T,)),
    (read_masks, (X,)), (read_matrix_mask, (A,)), (read_nonzero_forms, (X,)),
    (read_take, (A, IDX)), (read_ellipsis, (T,)),
    (write_assign, (X, IDX)), (write_iadd, (X, IDX)), (write_masks, (X,)),
    (write_add_at, (X, IDX)), (write_matrix, (A, IDX)), (write_in_a_loop, (X, IDX)),
]


@pytest.mark.parametrize("func,args", CASES, ids=[c[0].__name__ for c in CASES])
def test_against_numpy_and_finite_differences(func, args):
    check_like_numpy(func, args, wrt=(0,), jits=(False,))


@pytest.mark.parametrize("func,args", [CASES[1], CASES[7], CASES[13], CASES[14]],
                         ids=lambda v: getattr(v, "__name__", ""))
def test_compiled(func, args):
    check_like_numpy(func, args, wrt=(0,), jits=(True,))


def test_repeated_indices_follow_numpy():
    """y[idx] = v keeps the last value; y[idx] += v adds once (NumPy reads before it
    writes); np.add.at adds every occurrence. Values and gradients, both modes."""
    def f(x, idx):
        y = np.zeros(3)
        y[idx] = x
        z = np.zeros(3)
        z[idx] += x
        w = np.zeros(3)
        np.add.at(w, idx, x)
        return y[0] * 100.0 + z[0] * 10.0 + w[0]
    x, idx = np.array([1.0, 2.0, 3.0]), np.array([0, 0, 1])
    assert f(x, idx) == 223.0
    for mode in ("reverse", "forward"):
        for jit in (True, False):
            value, g = ad.value_and_grad(f, mode=mode, jit=jit)(x, idx)
            assert value == 223.0
            np.testing.assert_array_equal(g, [1.0, 111.0, 0.0])


def test_second_order_through_a_gather():
    def f(x):
        i = np.array([0, 2, 2, 1])
        return np.sum(np.sin(x[i]) * x[i[::-1]])
    x = X[:3]
    v = R.normal(size=3)
    h = 1e-5
    grad = ad.grad(f, jit=False)
    fd = (grad(x + h * v) - grad(x - h * v)) / (2 * h)
    np.testing.assert_allclose(ad.hvp(f, jit=False)(x, v), fd, rtol=1e-6, atol=1e-8)


def masked_sum(x):
    return np.sum(x[x > 0.5] ** 2)


def test_mask_at_its_threshold():
    """An element exactly at the threshold is not selected: its derivative is 0 (the
    selection is differentiated as a branch taken, docs/conventions.md)."""
    x = np.array([0.5, 0.75, 0.25])
    for mode in ("reverse", "forward"):
        g = ad.grad(masked_sum, mode=mode, jit=False)(x)
        np.testing.assert_array_equal(g, [0.0, 1.5, 0.0])


def test_bool_arrays_as_arguments_and_names():
    def f(x, m):
        keep = m & (x > 0.3)
        return np.sum(x[keep] ** 2) + np.sum(np.where(~m, x, 0.0))
    m = np.array([True, False, True, True, False, True])
    check_like_numpy(f, (X, m), wrt=(0,), jits=(True, False))


# ------------------------------------------------------------------------------ realistic
def softmax_cross_entropy(W, X, y):
    logits = X @ W
    logits = logits - np.max(logits, axis=1, keepdims=True)
    logp = logits - np.log(np.sum(np.exp(logits), axis=1, keepdims=True))
    return -np.mean(logp[np.arange(X.shape[0]), y])


def kmeans_objective(C, X):
    d = np.sum((X[:, None, :] - C[None, :, :]) ** 2, axis=2)
    nearest = np.argmin(d, axis=1)
    return np.sum((X - C[nearest]) ** 2)


def test_softmax_cross_entropy_with_integer_labels():
    W, Xs = R.normal(size=(4, 3)), R.normal(size=(10, 4))
    y = R.integers(0, 3, 10)
    check_like_numpy(softmax_cross_entropy, (W, Xs, y), wrt=(0,), jits=(True, False))


def test_kmeans_with_argmin_and_a_gather():
    C, Xs = R.normal(size=(3, 2)), R.normal(size=(12, 2))
    check_like_numpy(kmeans_objective, (C, Xs), wrt=(0,), jits=(False,))


# ------------------------------------------------------------------------------ errors
def out_of_range(x, idx):
    return np.sum(x[idx])


def short_mask(x):
    return np.sum(x[x[:2] > 0.0])


def float_index(x):
    return np.sum(x[x * 2.0])


def too_many(x, idx):
    return np.sum(x[idx, idx])


@pytest.mark.parametrize("func,args,error,words", [
    (out_of_range, (X, np.array([0, 6])), ad.OutOfRangeError, "out of bounds"),
    (short_mask, (X,), ad.ShapeError, "boolean index did not match"),
    (float_index, (X,), ad.AdTypeError, "integer or boolean"),
    (too_many, (X, IDX), ad.AdCompileError, "too many indices"),
], ids=["out_of_range", "short_mask", "float_index", "too_many"])
def test_mistakes_are_located_errors(func, args, error, words):
    for jit in (True, False):
        with pytest.raises(error, match=words) as info:
            ad.grad(func, jit=jit)(*args)
        assert "test_fancy_indexing.py" in str(info.value)


def logical_masks(x):
    m = np.logical_and(x > 0.3, np.logical_not(x > 0.9))
    k = np.logical_or(np.isnan(x), np.logical_xor(x > 0.5, m))
    y = np.where(np.isfinite(1.0 / (x - 0.5)), x, 0.0)
    return np.sum(x[m] ** 2) + np.sum(np.where(k, x, 2 * x)) + np.sum(y) + \
        float(np.logical_and(x[0] > 0, True)) * x[1] + np.sum(x[~np.isinf(x)])


def test_logical_functions_and_float_tests():
    check_like_numpy(logical_masks, (np.linspace(0.1, 1, 7),), jits=(True, False))
    x = np.array([0.1, np.nan, np.inf, 0.7])
    value = ad.value_and_grad(lambda_free_count, jit=False)(x)[0]
    assert value == lambda_free_count(x) == 2.0


def lambda_free_count(x):
    return float(np.sum(np.isnan(x)) + np.sum(np.isinf(x)))


# ------------------------------------------------------------------------------ random data
# The programs are compiled once; hypothesis draws the index arrays (repeats, negatives,
# empty) and the points: the values must be NumPy's and the gradients central differences'.
from hypothesis import given, settings, strategies as st  # noqa: E402
from conftest import examples  # noqa: E402


def g_read(x, idx):
    return np.sum(np.sin(x[idx]) * (1.0 + np.arange(idx.shape[0])))


def g_assign(x, idx, v):
    y = x.copy()
    y[idx] = v * 2.0
    return np.sum(y * y * x)


def g_iadd(x, idx, v):
    y = x * 1.0
    y[idx] += np.cos(v)
    return np.sum(y ** 2)


def g_add_at(x, idx, v):
    y = x * 0.5
    np.add.at(y, idx, v * v)
    return np.sum(y * x)


def g_mask(x, t):
    y = x.copy()
    y[x > t] = t * 2.0
    y[y < 0.5 * t] *= 3.0
    return np.sum(y * x) + np.sum(x[x < t] ** 2)


def g_rows_cols(A, r, c):
    return np.sum(A[r, c] ** 2) + np.sum(A[r] * 2.0) + np.sum(A[:, c] * A[:, c])


@st.composite
def indexed(draw):
    n = draw(st.integers(1, 5))
    k = draw(st.integers(0, 6))
    idx = np.array(draw(st.lists(st.integers(-n, n - 1), min_size=k, max_size=k)),
                   dtype=np.int64)
    seed = draw(st.integers(0, 2 ** 16))
    rng = np.random.default_rng(seed)
    return rng.uniform(0.2, 1.5, n), idx, rng.uniform(0.2, 1.5, k)


def _agree(func, args, wrt):
    from gradcheck import fd_gradient
    expect = func(*[a.copy() if isinstance(a, np.ndarray) else a for a in args])
    fds = [fd_gradient(func, args, i) for i in wrt]
    from conftest import compiled
    for mode in ("reverse", "forward"):                 # forward compiled for some examples
        jit = mode == "reverse" or compiled(repr(args))  # (Numba's compile: the time)
        value, grads = ad.value_and_grad(func, wrt=wrt, mode=mode, jit=jit)(*args)
        assert np.isclose(value, expect, rtol=1e-12, atol=1e-12), (mode, value, expect)
        for g, fd in zip(grads, fds):
            np.testing.assert_allclose(g, fd, rtol=1e-6, atol=1e-8, err_msg=mode)


@settings(max_examples=examples(30), deadline=None)
@given(data=indexed())
def test_random_index_arrays(data):
    x, idx, v = data
    _agree(g_read, (x, idx), (0,))
    for func in (g_assign, g_iadd, g_add_at):
        _agree(func, (x, idx, v), (0, 2))


@settings(max_examples=examples(20), deadline=None)
@given(x=st.lists(st.floats(0.2, 1.5), min_size=1, max_size=6),
       t=st.floats(0.3, 1.4))
def test_random_masks(x, t):
    x = np.array(x)
    if np.min(np.abs(x - t)) < 1e-3 or np.min(np.abs(x - 0.5 * t)) < 1e-3 or \
            np.min(np.abs(2.0 * t - 0.5 * t)) < 1e-3:
        return                                       # a kink within the differences' step
    _agree(g_mask, (x, t), (0, 1))


@settings(max_examples=examples(20), deadline=None)
@given(m=st.integers(1, 4), n=st.integers(1, 4), k=st.integers(0, 5),
       seed=st.integers(0, 2 ** 16))
def test_random_paired_indices(m, n, k, seed):
    rng = np.random.default_rng(seed)
    A = rng.uniform(0.2, 1.5, (m, n))
    r = rng.integers(-m, m, k)
    c = rng.integers(-n, n, k)
    _agree(g_rows_cols, (A, r, c), (0,))


# ------------------------------------------------------------------------------ self reads
# A write whose value reads the array it writes (through an index map: an index array, a
# reshape, a roll, a tile) reads every element before writing any, as NumPy does.
def self_gather(x):
    y = x * 1.0
    for i in range(2):
        y[[i, 0]] = y[[1, i]] * 2.0 + x[i]
    return np.sum(y * x)


def self_reshaped(x):
    y = x[:4] * 1.0
    y[:] = y.reshape(2, 2).T.ravel() * 3.0 + y
    return np.sum(y * y)


def self_rolled(x):
    y = x * 1.0
    y[1:] = np.roll(y, 1)[1:] * y[1:]
    y[y > 0.9] = np.flip(y)[y > 0.9]
    return np.sum(y * x)


def self_tiled(x):
    y = x[:4] * 1.0
    y[:] = np.tile(y[:2], 2) + np.repeat(y[2:], 2)
    return np.sum(y ** 3)


@pytest.mark.parametrize("func", [self_gather, self_reshaped, self_rolled, self_tiled],
                         ids=lambda f: f.__name__)
def test_writes_that_read_their_own_array(func):
    check_like_numpy(func, (np.array([0.3, 0.7, 1.2, 0.95, 0.5]),), jits=(True, False))
