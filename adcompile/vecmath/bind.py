"""One Python name per runtime function, with two implementations: NumPy's answer when the
generated module runs as plain Python (nan/inf outside the domain, never a ValueError, as
Numba's error_model="numpy" gives), and the vectorisable implementation inside Numba."""
from __future__ import annotations

import numpy as np
from numba import types
from numba.extending import overload


_NUMBERS = (types.Float, types.Integer, types.Boolean)


def vectorised(reference, impl, nargs=1):
    """A function computing `reference` (a NumPy ufunc) on Python floats, compiled by Numba
    as `impl` (a plain function of floats that Numba compiles and LLVM can vectorise)."""
    def python(*args):
        with np.errstate(all="ignore"):
            return float(reference(*[np.float64(a) for a in args]))
    python.__name__ = python.__qualname__ = impl.__name__.lstrip("_")
    python.__doc__ = impl.__doc__

    def accepts(*args):
        return impl if all(isinstance(a, _NUMBERS) for a in args) else None
    if nargs == 1:
        overload(python)(lambda x: accepts(x))
    else:
        overload(python)(lambda x, y: accepts(x, y))
    return python


__all__ = ["vectorised"]
