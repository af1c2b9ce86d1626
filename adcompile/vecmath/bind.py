"""One Python name per runtime function, with two implementations: as plain Python (the
generated module run without Numba, the interpreter) the C library's answer as Python's
`math` gives it, and NumPy's outside math's domain (nan/inf, never a ValueError, as Numba's
error_model="numpy" gives); inside Numba the vectorisable implementation, inlined.

Inlining: a body too big for LLVM's inliner stays a call inside the caller's loop, which
then does not vectorise; Numba's own inlining (`inline="always"`) retypes the whole body at
every call site (seconds each). So the public name inlines (Numba IR) only a one-call
wrapper; the call is an intrinsic that links the body, compiled once (bodies.py: kept on
disk as LLVM IR, marked alwaysinline), and calls it: LLVM inlines it when it optimises the
caller's module. The body is compiled without the caller's fastmath
flags: its error-free transformations need exact IEEE arithmetic.
"""
from __future__ import annotations

import math

import numpy as np
from numba import types
from numba.core import cgutils
from numba.extending import intrinsic, overload

from . import bodies

_NUMBERS = (types.Float, types.Integer, types.Boolean)
_OUTSIDE = (ValueError, OverflowError, ZeroDivisionError)


def vectorised(scalar, ufunc, impl, nargs=1):
    """A function computing `scalar` (a math function) on Python floats, or `ufunc` (its
    NumPy twin) where `scalar` raises or leaves the reals; compiled by Numba as `impl` (a
    plain function of floats, Numba-compilable and branch-free so LLVM can vectorise it)."""
    sig = types.float64(*[types.float64] * nargs)

    def codegen(context, builder, signature, args):
        name = bodies.link(context, impl, sig)
        fnty = context.call_conv.get_function_type(sig.return_type, sig.args)
        fn = cgutils.get_or_insert_function(builder.module, fnty, name)
        vals = [context.cast(builder, v, t, types.float64)
                for v, t in zip(args, signature.args)]
        _, res = context.call_conv.call_function(builder, fn, sig.return_type, sig.args, vals)
        return res                            # the bodies never raise: no status to check

    def python(*args):
        try:
            r = scalar(*args)
            if isinstance(r, float):
                return r
        except _OUTSIDE:
            pass
        with np.errstate(all="ignore"):
            r = float(ufunc(*[np.float64(a) for a in args]))
        return r if r == r else math.nan     # NumPy's nan may carry a sign; compiled: +nan
    python.__name__ = python.__qualname__ = impl.__name__.lstrip("_")
    python.__doc__ = impl.__doc__

    if nargs == 1:
        @intrinsic
        def call(typingctx, x):
            return types.float64(x) if isinstance(x, _NUMBERS) else None, codegen

        def wrapper(x):
            return call(x)
        overload(python, inline="always")(
            lambda x: wrapper if isinstance(x, _NUMBERS) else None)
    else:
        @intrinsic
        def call(typingctx, x, y):
            ok = isinstance(x, _NUMBERS) and isinstance(y, _NUMBERS)
            return types.float64(x, y) if ok else None, codegen

        def wrapper(x, y):
            return call(x, y)
        overload(python, inline="always")(
            lambda x, y: wrapper if isinstance(x, _NUMBERS) and isinstance(y, _NUMBERS)
            else None)
    return python


__all__ = ["vectorised"]
