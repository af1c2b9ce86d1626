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


def fd_gradient(func, args, i, h=1e-6):
    """Central differences of func in argument i (a float or a float array), calling func
    on fresh copies of the array arguments (func may write into them)."""
    import numpy as np

    def call(a):
        return func(*[v.copy() if isinstance(v, np.ndarray) else v for v in a])
    base = args[i]
    if isinstance(base, float):
        up, down = list(args), list(args)
        up[i], down[i] = base + h, base - h
        return (call(up) - call(down)) / (2 * h)
    grad = np.zeros_like(base)
    for idx in np.ndindex(base.shape):
        e = np.zeros_like(base)
        e[idx] = h
        up, down = list(args), list(args)
        up[i], down[i] = base + e, base - e
        grad[idx] = (call(up) - call(down)) / (2 * h)
    return grad


def check_like_numpy(func, args, wrt=(0,), rtol=1e-6, atol=1e-8, modes=("reverse", "forward"),
                     jits=(True, False)):
    """The value equals what Python and NumPy compute (on copies of the arrays), the gradient
    equals central differences in every mode, and the caller's arrays are left untouched."""
    import numpy as np
    copies = [v.copy() if isinstance(v, np.ndarray) else v for v in args]
    expect = func(*[v.copy() if isinstance(v, np.ndarray) else v for v in args])
    fds = [fd_gradient(func, args, i) for i in wrt]
    # Numba compiles cost the time: forward mode is compiled only when it is the one mode
    # asked for (tests/test_forward.py covers the compiled forward drivers)
    builds = [(mode, jit) for mode in modes for jit in jits
              if not (jit and mode == "forward" and "reverse" in modes and False in jits)]
    for mode, jit in builds:
        value, grads = ad.value_and_grad(func, wrt=tuple(wrt), mode=mode, jit=jit)(*args)
        assert np.allclose(value, expect, rtol=1e-12, atol=1e-12), (mode, jit, value, expect)
        for g, fd in zip(grads, fds):
            assert np.allclose(g, fd, rtol=rtol, atol=atol), (mode, jit, g, fd)
        for a, c in zip(args, copies):
            if isinstance(a, np.ndarray):
                assert np.array_equal(a, c), "the caller's array was written"


def check_modes(func, args, wrt, **types):
    """The generated source for `types`, after checking, compiled and plain, that reverse
    mode agrees with central differences (tests/test_arrays._fd) and with forward mode (as
    plain Python)."""
    import numpy as np

    import adcompile as ad
    from test_arrays import _fd
    src = ad.value_and_grad(func, wrt=wrt).specialise(**types).source
    fwd = ad.grad(func, wrt=wrt, jit=False, mode="forward")(*args)   # compiled forward
    fwd = fwd if isinstance(fwd, tuple) else (fwd,)              # drivers: test_forward.py
    for jit in (True, False):
        _, grads = ad.value_and_grad(func, wrt=wrt, jit=jit)(*args)
        grads = grads if isinstance(grads, tuple) else (grads,)
        for i, g, f in zip(wrt, grads, fwd):
            np.testing.assert_allclose(g, _fd(func, args, i), rtol=1e-6, atol=1e-8)
            np.testing.assert_allclose(g, f, rtol=1e-10, atol=1e-12)
    return src
