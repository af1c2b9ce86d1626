"""Per-sample gradients and gradients of sums over samples (batch=, reduce="sum"), and user
loops over numba.prange (docs/parallel.md).

The batched results are compared with a Python loop of the serial gradient (equal: the
same compiled kernel runs each sample), with central differences, and the sums with the
sums of the per-sample gradients; the errors a user can meet are checked for their text.
"""
import numba
import numba as nb
import numpy as np
import pytest
from numba import prange

import adcompile as ad
from gradcheck import fd_gradient

RNG = np.random.default_rng(5)


def logistic(w, x, y):
    z = np.dot(w, x)
    return np.log1p(np.exp(-y * z))


def affine_loss(p, x, y):
    z = np.dot(p["w"], x) + p["b"]
    return (np.tanh(z) - y) ** 2


def softmax_xent(W, x, label):
    z = W @ x
    z = z - np.max(z)
    return np.log(np.sum(np.exp(z))) - z[label]


def matrix_sample(a, m):
    return np.sum(np.sin(a * m) ** 2)


def writes_its_sample(w, x, y):
    x[0] = 0.0
    return np.sum(w * x) * y


def scaled_sum(w, s, x):
    return s * np.sum(w * x) ** 2


def _data(n=37, d=5):
    X = RNG.standard_normal((n, d))
    Y = np.sign(RNG.standard_normal(n))
    w = RNG.standard_normal(d) * 0.5
    return w, X, Y


def _close(a, b, rtol=1e-12):
    a, b = np.asarray(a), np.asarray(b)
    assert a.shape == b.shape
    assert np.allclose(a, b, rtol=rtol, atol=rtol * max(1.0, float(np.max(np.abs(b)))))


# ---------------------------------------------------------------------------- per sample
@pytest.mark.parametrize("jit", [True, False])
def test_per_sample_equals_the_serial_gradient(jit):
    w, X, Y = _data()
    G = ad.grad(logistic, wrt="w", batch=("x", "y"), jit=jit)(w, X, Y)
    serial = ad.grad(logistic, wrt="w")
    assert G.shape == (X.shape[0], w.shape[0])
    for i in range(X.shape[0]):
        _close(G[i], serial(w, X[i], Y[i]))
    for i in (0, 17):
        _close(G[i], fd_gradient(logistic, (w, X[i], Y[i]), 0), rtol=1e-7)


def test_value_and_grad_per_sample():
    w, X, Y = _data()
    values, G = ad.value_and_grad(logistic, wrt="w", batch=("x", "y"))(w, X, Y)
    assert values.shape == (X.shape[0],)
    _close(values, [logistic(w, X[i], Y[i]) for i in range(X.shape[0])])
    _close(G, ad.grad(logistic, wrt="w", batch=("x", "y"))(w, X, Y))


def test_per_sample_dict_parameters():
    w, X, Y = _data()
    p = {"w": w, "b": 0.25}
    values, G = ad.value_and_grad(affine_loss, batch=(1, 2))(p, X, Y)
    assert set(G) == {"w", "b"} and G["w"].shape == X.shape and G["b"].shape == Y.shape
    serial = ad.grad(affine_loss)
    for i in range(X.shape[0]):
        g = serial(p, X[i], Y[i])
        _close(G["w"][i], g["w"])
        _close(G["b"][i], g["b"])
    b_fd = fd_gradient(lambda b: affine_loss({"w": w, "b": b}, X[3], Y[3]), (0.25,), 0)
    _close(G["b"][3], b_fd, rtol=1e-7)


def test_several_wrt_including_a_batched_parameter():
    w, X, Y = _data()
    gw, gx = ad.grad(logistic, wrt=("w", "x"), batch=("x", "y"))(w, X, Y)
    assert gw.shape == X.shape and gx.shape == X.shape
    serial = ad.grad(logistic, wrt=("w", "x"))
    for i in (0, 5, 36):
        sw, sx = serial(w, X[i], Y[i])
        _close(gw[i], sw)
        _close(gx[i], sx)


def test_int_labels_and_matrix_parameters():
    n, k, d = 23, 4, 6
    W = RNG.standard_normal((k, d))
    X = RNG.standard_normal((n, d))
    labels = RNG.integers(0, k, n)
    G = ad.grad(softmax_xent, batch=("x", "label"))(W, X, labels)
    assert G.shape == (n, k, d)
    for i in (0, 11, 22):
        _close(G[i], fd_gradient(softmax_xent, (W, X[i], int(labels[i])), 0), rtol=1e-7)


def test_samples_that_are_matrices():
    a = RNG.standard_normal((2, 3))
    M = RNG.standard_normal((9, 2, 3))
    G = ad.grad(matrix_sample, batch="m")(a, M)
    assert G.shape == (9, 2, 3)
    for i in range(9):
        _close(G[i], ad.grad(matrix_sample, jit=False)(a, M[i]))   # the reference


def test_forward_mode_and_float32_samples():
    w, X, Y = _data()
    rev = ad.grad(logistic, batch=("x", "y"))(w, X, Y)
    _close(ad.grad(logistic, batch=("x", "y"), mode="forward")(w, X, Y), rev)
    _close(ad.grad(logistic, batch=("x", "y"))(w, X.astype(np.float32), Y), ad.grad(
        logistic, batch=("x", "y"))(w, X.astype(np.float32).astype(np.float64), Y))


def test_user_arrays_are_not_written():
    w, X, Y = _data()
    copies = w.copy(), X.copy(), Y.copy()
    G = ad.grad(writes_its_sample, batch=("x", "y"))(w, X, Y)
    S = ad.grad(writes_its_sample, batch=("x", "y"), reduce="sum")(w, X, Y)
    for a, b in zip((w, X, Y), copies):
        assert np.array_equal(a, b)
    expect = X * Y[:, None]
    expect[:, 0] = 0.0
    _close(G, expect)
    _close(S, expect.sum(axis=0))


def test_no_samples():
    w, X, Y = _data(n=0)
    assert ad.grad(logistic, batch=("x", "y"))(w, X, Y).shape == (0, w.shape[0])
    value, g = ad.value_and_grad(logistic, batch=("x", "y"), reduce="sum")(w, X, Y)
    assert value == 0.0 and np.array_equal(g, np.zeros_like(w))


def test_source_shows_the_parallel_driver():
    w, X, Y = _data()
    g = ad.grad(logistic, batch=("x", "y"))
    g(w, X, Y)
    assert "for c in prange(n_chunks):" in g.source and "kernel(w, x[i], y[i])" in g.source
    assert "w_bar_out[i] = r[1]" in g.source
    assert "logistic_vg" in g.per_sample.source
    s = ad.grad(logistic, batch=("x", "y"), reduce="sum")
    s(w, X, Y)
    assert "for c in prange(n_chunks):" in s.source and "w_bar_c += r[1]" in s.source
    assert "per-sample" in repr(g) and "sum over samples" in repr(s)


# ---------------------------------------------------------------------------- sums
def test_sum_equals_the_sum_of_per_sample_gradients():
    w, X, Y = _data(n=101)
    G = ad.grad(logistic, batch=("x", "y"))(w, X, Y)
    value, S = ad.value_and_grad(logistic, batch=("x", "y"), reduce="sum")(w, X, Y)
    _close(S, G.sum(axis=0))
    _close(value, sum(logistic(w, X[i], Y[i]) for i in range(X.shape[0])))

    def total(w):
        return sum(logistic(w, X[i], Y[i]) for i in range(X.shape[0]))
    _close(S, fd_gradient(total, (w,), 0), rtol=1e-6)


def test_sum_with_dict_and_scalar_parameters():
    w, X, Y = _data()
    s = 1.5
    gw, gs = ad.grad(scaled_sum, wrt=("w", "s"), batch="x", reduce="sum")(w, s, X)
    per_w, per_s = ad.grad(scaled_sum, wrt=("w", "s"), batch="x", jit=False)(w, s, X)  # the
    #                 reference, as plain Python: test_per_sample_* compile per-sample drivers
    _close(gw, per_w.sum(axis=0))
    assert isinstance(gs, float)
    _close(gs, per_s.sum())
    p = {"w": w, "b": -0.5}
    S = ad.grad(affine_loss, batch=("x", "y"), reduce="sum")(p, X, Y)
    G = ad.grad(affine_loss, batch=("x", "y"), jit=False)(p, X, Y)
    _close(S["w"], G["w"].sum(axis=0))
    _close(S["b"], G["b"].sum())


def test_sum_order_is_chunks_in_order():
    """64 chunks of consecutive samples, each summed in order, then the chunks in order:
    the same bits at every call and for every number of threads."""
    n = 1001
    w, X, Y = _data(n=n, d=7)
    s = ad.grad(logistic, batch=("x", "y"), reduce="sum")
    G = ad.grad(logistic, batch=("x", "y"))(w, X, Y)
    total = np.zeros_like(w)
    for c in range(64):
        sub = np.zeros_like(w)
        for row in G[c * n // 64:(c + 1) * n // 64]:
            sub += row
        total += sub
    first = s(w, X, Y)
    assert np.array_equal(first, total)
    threads = numba.get_num_threads()
    try:
        numba.set_num_threads(1)
        one = s(w, X, Y)
    finally:
        numba.set_num_threads(threads)
    assert np.array_equal(one, first)
    assert all(np.array_equal(s(w, X, Y), first) for _ in range(3))
    few = ad.grad(logistic, batch=("x", "y"), reduce="sum")(w, X[:5], Y[:5])
    acc = np.zeros_like(w)
    for row in G[:5]:
        acc += row
    assert np.array_equal(few, acc)


def test_gradient_of_the_sum_wrt_a_batched_parameter_is_per_sample():
    w, X, Y = _data()
    gw, gx = ad.grad(logistic, wrt=("w", "x"), batch=("x", "y"), reduce="sum")(w, X, Y)
    pw, px = ad.grad(logistic, wrt=("w", "x"), batch=("x", "y"))(w, X, Y)
    _close(gw, pw.sum(axis=0))
    _close(gx, px)


# ---------------------------------------------------------------------------- errors
def _error(call):
    with pytest.raises(ad.AdCompileError) as info:
        call()
    err = info.value
    assert err.__cause__ is None and err.__context__ is None
    return err


def test_mismatched_sample_counts():
    w, X, Y = _data()
    for reduce in (None, "sum"):
        err = _error(lambda: ad.grad(logistic, batch=("x", "y"), reduce=reduce)(w, X, Y[:-1]))
        assert isinstance(err, ValueError)
        assert "'x' has 37" in str(err) and "'y' has 36" in str(err)
        assert "test_batch.py" in str(err) and err.hint and "axis 0" in err.hint


def test_bad_batch_arguments():
    w, X, Y = _data()
    err = _error(lambda: ad.grad(logistic, batch=("x", "z")))
    assert "no parameter 'z'" in str(err) and "w, x, y" in err.hint
    err = _error(lambda: ad.grad(logistic, batch=("x", "y"))(w, X, 1.0))
    assert "batched parameter 'y'" in str(err) and "leading" not in str(err) and err.hint
    err = _error(lambda: ad.grad(logistic, batch="x", reduce="mean"))
    assert "'sum'" in str(err)
    err = _error(lambda: ad.grad(logistic, reduce="sum"))
    assert "needs batch=" in str(err)
    err = _error(lambda: ad.grad(logistic, batch="x", nonsmooth="directional"))
    assert "nonsmooth" in str(err)
    err = _error(lambda: ad.grad(logistic, batch=("x", "x")))
    assert "twice" in str(err)
    err = _error(lambda: ad.grad(logistic, batch="x").source)
    assert "not been called" in str(err)
    err = _error(lambda: ad.grad(logistic, batch=("x", "y"))(w, X.astype(complex), Y))
    assert "complex" in str(err)


def test_error_in_one_sample_names_it():
    w, X, Y = _data(n=8, d=3)
    labels = np.array([0, 1, 2, 3, 0, 1, 2, 1])   # 3 is out of range for 3 classes
    W = RNG.standard_normal((3, 3))
    for reduce in (None, "sum"):
        err = _error(lambda: ad.grad(softmax_xent, batch=("x", "label"), reduce=reduce)(
            W, X, labels))
        assert isinstance(err, IndexError)
        assert "sample 3 of the batch" in str(err) and "z[label]" in str(err)
    err = _error(lambda: ad.grad(logistic, batch=("x", "y"))(np.ones(4), X, Y))
    assert "sample 0" in str(err) and "shapes do not align" in str(err)
    # the batched gradient still works after an error
    G = ad.grad(softmax_xent, batch=("x", "label"))(W, X, labels % 3)
    assert G.shape == (8, 3, 3)


# ---------------------------------------------------------------------------- prange loops
def sum_prange(x):
    s = 0.0
    for i in prange(x.shape[0]):
        s += np.sin(x[i]) * x[i]
    return s


def sum_range(x):
    s = 0.0
    for i in range(x.shape[0]):
        s += np.sin(x[i]) * x[i]
    return s


def strided_prange(x, w):
    s = 0.0
    for i in numba.prange(1, x.shape[0], 2):
        s += w * x[i] * x[i - 1]
    return s


def writes_prange(x):
    out = np.zeros_like(x)
    for i in nb.prange(x.shape[0]):
        out[i] = np.exp(x[i]) * x[i]
    return np.sum(out ** 2)


@nb.njit(parallel=True)
def parallel_helper(x):
    s = 0.0
    for i in nb.prange(x.shape[0]):
        s += x[i] ** 3
    return s


def calls_parallel_helper(x):
    return parallel_helper(x) * 2.0 + np.sum(x)


def test_prange_loops_are_differentiated():
    x = RNG.standard_normal(9)
    g = ad.grad(sum_prange)
    _close(g(x), ad.grad(sum_range, jit=False)(x))
    _close(g(x), fd_gradient(sum_prange, (x,), 0), rtol=1e-7)
    assert "prange(" in g.ir
    gx, gw = ad.grad(strided_prange, wrt=(0, 1))(x, 0.7)
    _close(gx, fd_gradient(strided_prange, (x, 0.7), 0), rtol=1e-7)
    _close(gw, fd_gradient(strided_prange, (x, 0.7), 1), rtol=1e-7)
    _close(ad.grad(writes_prange)(x), fd_gradient(writes_prange, (x,), 0), rtol=1e-6)


def test_prange_in_a_parallel_numba_helper():
    x = RNG.standard_normal(7)
    assert parallel_helper(x) == pytest.approx(np.sum(x ** 3))
    _close(ad.grad(calls_parallel_helper)(x), 6.0 * x ** 2 + 1.0)


def test_prange_in_other_transforms():
    x = RNG.standard_normal(6)
    _close(ad.grad(sum_prange, mode="forward")(x), ad.grad(sum_range, jit=False)(x))
    _close(ad.hessian(sum_prange)(x), ad.hessian(sum_range, jit=False)(x))
    v = RNG.standard_normal(6)
    _close(ad.jvp(sum_prange, (x,), (v,))[1], np.dot(ad.grad(sum_range, jit=False)(x), v))
    gx, gw = ad.grad(strided_prange, wrt=(0, 1), mode="forward")(x, 0.7)
    _close(gw, fd_gradient(strided_prange, (x, 0.7), 1), rtol=1e-7)


def test_prange_loss_batched():
    """A per-sample loss with a prange loop inside, batched: both kinds of parallelism."""
    X = RNG.standard_normal((12, 5))
    G = ad.grad(sum_prange, batch="x")(X)
    for i in range(12):
        _close(G[i], np.sin(X[i]) + X[i] * np.cos(X[i]))


def test_new_lengths_with_the_same_types():
    """A call with other lengths (same dtypes and dimensions) reuses the compiled driver and
    gives results of its own shapes; keywords take the slow path, the same results."""
    g = ad.grad(logistic, wrt=("w", "x"), batch=("x", "y"))
    s = ad.grad(logistic, wrt=("w", "x"), batch=("x", "y"), reduce="sum")
    for n, d in ((5, 3), (9, 6), (2, 6)):
        w, X, Y = _data(n=n, d=d)
        gw, gx = g(w, X, Y)
        assert gw.shape == (n, d) and gx.shape == (n, d)
        sw, sx = s(w, x=X, y=Y)
        assert sw.shape == (d,) and sx.shape == (n, d)
        _close(sw, gw.sum(axis=0))
        kw, kx = g(w, x=X, y=Y)
        assert np.array_equal(kw, gw) and np.array_equal(kx, gx)


class _Counted:
    def __init__(self):
        self.nfev = 0

    def loss(self, w, x):
        self.nfev += 1
        return np.sum(w * x)


def test_counters_are_refused():
    counted = _Counted()
    err = _error(lambda: ad.grad(counted.loss, batch="x")(np.ones(3), np.ones((4, 3))))
    assert "self.nfev" in str(err) and "in parallel" in str(err) and err.hint
    assert counted.nfev == 0


def euler(a, x0):
    x = x0
    for _ in range(50):
        x = x + 0.01 * np.sin(a * x)
    return x * x


def test_memory_budget_with_batch():
    """memory= (checkpointing) reaches the per-sample gradient."""
    X0 = RNG.standard_normal(11)
    plain = ad.grad(euler, batch="x0")(0.7, X0)
    budget = ad.grad(euler, batch="x0", memory="1KB")(0.7, X0)
    _close(budget, plain)
    _close(plain[4], fd_gradient(euler, (0.7, float(X0[4])), 0), rtol=1e-7)
