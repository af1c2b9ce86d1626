"""Helpers that generated code imports; they run both as plain Python and inside Numba."""
from __future__ import annotations

import numpy as np
from numba.extending import register_jitable

from .errors import OutOfRangeError, ShapeError


@register_jitable
def inbounds(i, n, where):
    """i, if it indexes an axis of length n (Python's rule, negatives too); else IndexError
    naming the user's line. Generated code checks the user's reads in the forward sweep."""
    if i >= n or i < -n:
        raise OutOfRangeError(where)
    return i


@register_jitable
def same_size(a, b, where):
    """The common length of two broadcast dimensions; a mismatch raises naming the line."""
    if a != b:
        raise ShapeError(where, a, b)
    return a


@register_jitable
def checked_matmul(a, b, where):
    """a @ b of the user's code: shapes that do not align raise naming the line and both
    shapes (the adjoint's products align by construction and use @ directly)."""
    inner_a = a.shape[a.ndim - 1]
    inner_b = b.shape[0] if b.ndim == 1 else b.shape[b.ndim - 2]
    if inner_a != inner_b:
        raise ShapeError(where, a.ndim, a.shape[0], a.shape[a.ndim - 1], b.ndim, b.shape[0],
                         b.shape[b.ndim - 1])
    return a @ b


@register_jitable
def wrap_index(i, n, where):
    """An index into a view of length n: checked, a negative one counted from the end."""
    if i >= n or i < -n:
        raise OutOfRangeError(where)
    return i + n if i < 0 else i


@register_jitable
def _clamp(bound, given, missing, n, lo, hi):
    """A slice bound by Python's rules: `missing` when not given, negatives from the end."""
    if not given:
        return missing
    if bound < 0:
        return max(bound + n, lo)
    return min(bound, hi)


@register_jitable
def _bounds(start, stop, step, n, has_start, has_stop):
    if step > 0:
        lo, hi = 0, n
    else:
        lo, hi = -1, n - 1
    start = _clamp(start, has_start, hi if step < 0 else lo, n, lo, hi)
    stop = _clamp(stop, has_stop, lo if step < 0 else hi, n, lo, hi)
    if step > 0:
        length = (stop - start - 1) // step + 1 if start < stop else 0
    else:
        length = (start - stop - 1) // (-step) + 1 if stop < start else 0
    return start, length


@register_jitable
def slice_start(start, stop, step, n, has_start, has_stop):
    """Where x[start:stop:step] begins, by Python's rules (missing bounds as flagged)."""
    return _bounds(start, stop, step, n, has_start, has_stop)[0]


@register_jitable
def slice_len(start, stop, step, n, has_start, has_stop):
    """How many elements x[start:stop:step] has, by Python's rules."""
    return _bounds(start, stop, step, n, has_start, has_stop)[1]


@register_jitable
def check_range(lo, hi, n, where):
    """Every index of range(lo, hi) (lo >= 0) is inside an axis of length n, or IndexError."""
    if hi > lo and hi > n:
        raise OutOfRangeError(where)
    return hi


@register_jitable
def check_at(i, n, lo, hi, where):
    """i indexes an axis of length n (Python's rule), if the loop range(lo, hi) runs at all."""
    if hi > lo and (i >= n or i < -n):
        raise OutOfRangeError(where)
    return i


@register_jitable
def outer(a, b):
    """np.outer for 1-d float arrays (Numba's own np.outer takes seconds to compile)."""
    out = np.empty((a.shape[0], b.shape[0]))
    for i in range(a.shape[0]):
        for j in range(b.shape[0]):
            out[i, j] = a[i] * b[j]
    return out


@register_jitable
def grow_tape(tape, need):
    """Return `tape` if it holds `need` entries, else a copy with room for max(need, 2*len)."""
    n = tape.shape[0]
    if need <= n:
        return tape
    new = np.empty(max(need, 2 * n), tape.dtype)
    for k in range(n):          # an explicit loop: slice assignment costs seconds to compile
        new[k] = tape[k]
    return new


# ---------------------------------------------------------------------------- linear algebra
# NumPy's (and Numba's) LAPACK wrappers return Fortran-ordered arrays; generated code keeps
# every array C-ordered, so the results are copied once (small next to the factorisation).
@register_jitable
def la_inv(a):
    return np.ascontiguousarray(np.linalg.inv(a))


@register_jitable
def la_solve(a, b):
    return np.ascontiguousarray(np.linalg.solve(a, b))


@register_jitable
def la_cholesky(a):
    return np.ascontiguousarray(np.linalg.cholesky(a))


@register_jitable
def la_eigh_w(a):
    return np.ascontiguousarray(np.linalg.eigh(a)[0])


@register_jitable
def la_eigh_v(a):
    return np.ascontiguousarray(np.linalg.eigh(a)[1])


@register_jitable
def la_qr_q(a):
    return np.ascontiguousarray(np.linalg.qr(a)[0])


@register_jitable
def la_qr_r(a):
    return np.ascontiguousarray(np.linalg.qr(a)[1])


@register_jitable
def la_lstsq(a, b):
    return np.ascontiguousarray(np.linalg.lstsq(a, b, -1.0)[0])


@register_jitable
def la_logabsdet(a):
    return np.linalg.slogdet(a)[1]


@register_jitable
def la_sign(a):
    return np.linalg.slogdet(a)[0]


@register_jitable
def la_transpose(a):
    return np.ascontiguousarray(a.T)


@register_jitable
def la_lower(a, scale):
    """The strictly lower triangle of a square matrix plus `scale` times its diagonal."""
    n = a.shape[0]
    out = np.zeros((n, a.shape[1]))
    for i in range(n):
        for j in range(min(i, a.shape[1])):
            out[i, j] = a[i, j]
        if i < a.shape[1]:
            out[i, i] = scale * a[i, i]
    return out


@register_jitable
def la_upper(a, scale):
    """The strictly upper triangle plus `scale` times the diagonal."""
    out = np.zeros((a.shape[0], a.shape[1]))
    for i in range(a.shape[0]):
        for j in range(i + 1, a.shape[1]):
            out[i, j] = a[i, j]
        if i < a.shape[1]:
            out[i, i] = scale * a[i, i]
    return out


@register_jitable
def la_diag(v):
    n = v.shape[0]
    out = np.zeros((n, n))
    for i in range(n):
        out[i, i] = v[i]
    return out


@register_jitable
def la_diagonal(a):
    n = min(a.shape[0], a.shape[1])
    out = np.empty(n)
    for i in range(n):
        out[i] = a[i, i]
    return out


@register_jitable
def la_eye(n, m):
    out = np.zeros((n, m))
    for i in range(min(n, m)):
        out[i, i] = 1.0
    return out


@register_jitable
def la_trace(a):
    s = 0.0
    for i in range(min(a.shape[0], a.shape[1])):
        s += a[i, i]
    return s


@register_jitable
def la_gaps(w):
    """F[i, j] = 1 / (w[j] - w[i]) off the diagonal, 0 on it and where the two eigenvalues
    are equal to rounding (|w[j] - w[i]| <= 1e-12 * max|w|: a degenerate eigenspace, where
    eigenvectors are not differentiable; the convention drops those terms)."""
    n = w.shape[0]
    scale = 0.0
    for i in range(n):
        scale = max(scale, abs(w[i]))
    tol = 1e-12 * scale
    out = np.zeros((n, n))
    for i in range(n):
        for j in range(n):
            d = w[j] - w[i]
            if i != j and abs(d) > tol:
                out[i, j] = 1.0 / d
    return out


@register_jitable
def la_cofactor(a):
    """The cofactor matrix det(A) * inv(A).T, from the SVD A = U S V^T: it is
    det(U) det(V) U diag(prod_{j != i} s_j) V^T, finite (and right) at singular matrices."""
    n = a.shape[0]
    if n == 1:
        return np.ones((1, 1))
    u, s, vt = np.linalg.svd(a)
    sign = np.linalg.det(u) * np.linalg.det(vt)
    p = np.empty(n)
    for i in range(n):
        prod = sign
        for j in range(n):
            if j != i:
                prod *= s[j]
        p[i] = prod
    out = np.empty((n, n))
    for i in range(n):
        for j in range(n):
            acc = 0.0
            for k in range(n):
                acc += u[i, k] * p[k] * vt[k, j]
            out[i, j] = acc
    return out
