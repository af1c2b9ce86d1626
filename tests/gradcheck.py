"""Gradient checks: adcompile against Richardson central differences, jit against no-jit."""
import math

import adcompile as ad
from adcompile.timing import richardson


def float_params(func, args):
    return tuple(i for i, a in enumerate(args) if isinstance(a, float))


def check_gradient(func, args, wrt=None, rtol=1e-6, atol=1e-8, h=1e-3):
    """Assert value and gradient agree with the Python function and finite differences,
    and that the compiled and the plain-Python generated code agree to rounding."""
    wrt = wrt if wrt is not None else float_params(func, args)
    results = {}
    for jit in (True, False):
        vg = ad.value_and_grad(func, wrt=tuple(wrt), jit=jit)
        value, grads = vg(*args)
        results[jit] = (value, grads)
    expect = func(*args)
    for jit, (value, grads) in results.items():
        assert math.isclose(value, expect, rel_tol=1e-12, abs_tol=1e-12), (jit, value, expect)
    (_, g1), (_, g0) = results[True], results[False]
    for a, b in zip(g1, g0):
        assert math.isclose(a, b, rel_tol=1e-10, abs_tol=1e-12), (g1, g0)
    for i, g in zip(wrt, g1):
        fd = richardson(func, args, i, h)
        assert math.isclose(g, fd, rel_tol=rtol, abs_tol=atol), \
            f"d/d{i}: adcompile {g!r} vs finite differences {fd!r}"
    return g1
