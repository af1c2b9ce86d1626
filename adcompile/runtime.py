"""Helpers that generated code imports; they run both as plain Python and inside Numba."""
from __future__ import annotations

import numpy as np
from numba.extending import register_jitable


@register_jitable
def inbounds(i, n, where):
    """i, if it indexes an axis of length n (Python's rule, negatives too); else IndexError
    naming the user's line. Generated code checks the user's reads in the forward sweep."""
    if i >= n or i < -n:
        raise IndexError(where)
    return i


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
