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
