"""Slices bound to names are views, as in NumPy: reads see later writes to the base, writes
through the view reach the base. Where adcompile has to copy a slice (a branch or a loop
chooses between arrays), reading the copy after its base was written is a located error,
never a different number."""
import numpy as np
import pytest

import adcompile as ad
from gradcheck import check_like_numpy

VIEW_PROGRAMS = '''
import numpy as np

def read_after_write(x):
    v = x[1:]
    x[1] = 5.0 * x[0]
    return v[0] * x[2]

def write_through(x):
    y = x * 2.0
    v = y[1:]
    v[0] = 3.0 * x[0]
    return np.sum(y * y)

def strided_iadd(x):
    y = x.copy()
    v = y[::2]
    v += x[1]
    v *= 2.0
    return np.sum(y * x)

def row_of_matrix(A):
    B = A * 1.0
    r = B[0, :]
    B[0, 1] = 2.0 * r[0]
    return np.sum(r * r)

def column_then_rewrite(A):
    B = A * 1.0
    c = B[:, 1]
    for i in range(B.shape[0]):
        B[i, 1] = B[i, 1] * B[i, 0]
    return np.sum(c) + c[0] * A[1, 1]

def transpose_view(A):
    B = A * 1.0
    T = B.T
    B[0, 1] = 7.0 * A[1, 0]
    return T[1, 0] * A[0, 0] + np.sum(T)

def _scale_in_place(v, s):
    v *= s
    return 0.0

def via_helper(x):
    y = x * 1.0
    _scale_in_place(y[1:], x[0])
    return np.sum(y * y)

def _tail(y):
    return y[1:]

def helper_returns_view(x):
    y = x * 1.0
    t = _tail(y)
    y[1] = x[0] * x[2]
    return t[0] + np.sum(t)

def view_of_view(x):
    y = x * 1.0
    v = y[1:]
    w = v[1:]
    y[2] = 4.0 * x[0]
    return w[0] * v[0]

def rows_in_loop(A):
    B = A * 1.0
    n = B.shape[0]
    s = 0.0
    for i in range(n):
        row = B[i, :]
        s += np.sum(row * row)
        B[i, 0] = 2.0 * row[1]
        s += row[0]
    return s

def gram_schmidt(A):
    Q = A * 1.0
    n = Q.shape[1]
    for j in range(n):
        v = Q[:, j]
        for k in range(j):
            q = Q[:, k]
            v -= np.sum(q * v) * q
        v /= np.sqrt(np.sum(v * v))
    return np.sum(Q * A)

def unpacked_views(x):
    y = x * 1.0
    a, b = y[:2], y[2:]
    y[0] = b[0] * 3.0
    return a[0] + b[1]

def same_view_both_branches(x, c):
    y = x * 1.0
    w = y[1:]
    if c > 0.0:
        v = w
    else:
        v = w
    y[1] = 9.0 * x[0]
    return v[0] * x[1]

def shrinking_in_a_while_loop(x):
    y = x * 1.0
    v = y[1:]
    k = 0
    while k < 2:
        v = v[1:]
        y[k] = y[k] * 2.0
        k += 1
    return np.sum(v * v) + y[0]

def rebound_to_other_shapes(x):
    v = x * 1.0
    s = 0.0
    for i in range(3):
        v = v[1:] * v[:-1]
        s += np.sum(v) * (i + 1)
    return s

def chosen_by_branch_in_loop(x):
    y = x * 1.0
    s = 0.0
    for i in range(4):
        if i % 2 == 0:
            w = y[1:]
        else:
            w = y[:2]
        s += np.sum(w * w) * (i + 1)
    return s

def chosen_then_read(x, c):
    y = x * 1.0
    if c > 0.0:
        v = y[1:]
    else:
        v = y[:-1]
    return v[0] * v[1]
'''


@pytest.fixture(scope="module")
def progs(tmp_path_factory):
    from conftest import load_source
    return load_source(tmp_path_factory.mktemp("views"), VIEW_PROGRAMS, "view_programs")


X = np.array([1.5, -0.7, 2.0, 0.4])
A = np.array([[1.0, 0.5, -0.3], [0.2, 1.5, 0.7], [-0.4, 0.3, 2.0]])


@pytest.mark.parametrize("name,args", [
    ("read_after_write", (X,)), ("write_through", (X,)), ("strided_iadd", (X,)),
    ("row_of_matrix", (A,)), ("column_then_rewrite", (A,)), ("transpose_view", (A,)),
    ("via_helper", (X,)), ("helper_returns_view", (X,)), ("view_of_view", (X,)),
    ("rows_in_loop", (A,)), ("gram_schmidt", (A,)), ("unpacked_views", (X,)),
    ("same_view_both_branches", (X, 1.0)), ("chosen_then_read", (X, 1.0)),
    ("chosen_then_read", (X, -1.0)), ("shrinking_in_a_while_loop", (X,)),
    ("rebound_to_other_shapes", (X,)), ("chosen_by_branch_in_loop", (X,)),
])
def test_views_match_numpy(progs, name, args):
    check_like_numpy(getattr(progs, name), args)


STALE = '''
import numpy as np

def chosen_then_written(x, c):
    y = x * 1.0
    if c > 0.0:
        v = y[1:]
    else:
        v = y[:-1]
    y[1] = 5.0
    return v[0]

def carried_then_written(x):
    y = x * 1.0
    s = 0.0
    for i in range(3):
        v = y[i:]
        s += v[0]
    y[3] = 2.0
    return s + v[1]

def outer_copy_read_in_writing_loop(x, c):
    y = x * 1.0
    v = y[1:] if c > 0.0 else y[:-1]
    s = 0.0
    for i in range(3):
        s += v[0]
        y[1] = s
    return s
'''


@pytest.mark.parametrize("name,line", [("chosen_then_written", 11),
                                       ("carried_then_written", 20),
                                       ("outer_copy_read_in_writing_loop", 27)])
def test_stale_copies_of_slices_are_located_errors(tmp_path, name, line):
    from conftest import load_source
    m = load_source(tmp_path, STALE, "stale_views")
    with pytest.raises(ad.UnsupportedSyntaxError, match="copy of") as info:
        ad.grad(getattr(m, name))(X.copy(), 1.0) if "chosen" in name or "outer" in name \
            else ad.grad(getattr(m, name))(X.copy())
    assert str(info.value).startswith(f"{m.__file__}:{line}:")


def test_carried_slice_not_read_after_a_write_compiles(progs):
    """A loop rebinding a name to a slice (copied to carry it) is fine while the copy is
    never read after its base changes: rows_in_loop and gram_schmidt above."""
    check_like_numpy(progs.rows_in_loop, (A,), modes=("reverse",), jits=(False,))


# ------------------------------------------------------------------ length-1 axes broadcast
# A view whose axis has length 1 (a slice x[:, :1], x[-1:], or a whole length-1 axis of an
# argument) broadcasts against a longer axis: each element reads index 0 of that axis.
def first_column_times(A):
    return np.sum(np.cos(A) * A[:, :1])


def last_row_times(A):
    return np.sum(A[-1:] * np.sin(A))


def middle_slab_3d(T):
    return np.sum(T[:, 1:2, :] * T ** 2)


def unit_argument_sliced(c, A):
    return np.sum(c[1:, :] * A[1:]) + np.sum(c.T * A.T)


def unit_row_argument(r, A):
    return np.sum(r[:, ::2] * A[:, ::2]) + np.sum(A[:1] * r)


def first_column_written(A):
    B = A.copy()
    B[:, :1] += 1.0
    return np.sum(B * B[:, :1])


_R = np.random.default_rng(3)


@pytest.mark.parametrize("func,args", [
    (first_column_times, (_R.uniform(0.2, 1.5, (4, 3)),)),
    (last_row_times, (_R.uniform(0.2, 1.5, (3, 5)),)),
    (middle_slab_3d, (_R.uniform(0.2, 1.5, (2, 3, 4)),)),
    (unit_argument_sliced, (_R.uniform(0.2, 1.5, (3, 1)), _R.uniform(0.2, 1.5, (3, 4)))),
    (unit_row_argument, (_R.uniform(0.2, 1.5, (1, 5)), _R.uniform(0.2, 1.5, (3, 5)))),
    (first_column_written, (_R.uniform(0.2, 1.5, (3, 4)),)),
], ids=lambda v: getattr(v, "__name__", ""))
def test_length_one_axes_of_views_broadcast(func, args):
    check_like_numpy(func, args, wrt=tuple(range(len(args))), jits=(False,))


def test_unit_slice_of_an_empty_axis_is_an_error():
    with pytest.raises(ad.AdCompileError, match="test_views.py"):
        ad.grad(first_column_times, jit=False)(np.ones((3, 0)))


def only_at_run_time(A):
    return np.sum(A * A[:, 2:])


def test_a_slice_of_length_one_only_at_run_time_is_explained():
    with pytest.raises(ad.ShapeError, match="test_views.py") as info:
        ad.grad(only_at_run_time, jit=False)(np.ones((3, 3)))
    assert "known to be 1" in str(info.value)
