"""No foreign traceback: every crash found by trying adcompile as users would is a clear
adcompile error (or a TypeError/ValueError for API misuse) naming the user's file and line,
and the same checks run on every call path (first call and warm fast path)."""
import importlib
import os
import sys
import textwrap

import numba
import numpy as np
import pytest

import adcompile as ad

SRC = '''
import math
import numba
import numpy as np

def cube(x):
    return x ** 3

def vec(x):
    return np.sum(x * x) + x[0] ** 3

@numba.njit
def energy(q):
    return np.sum(q * q) + q[0] ** 3

@numba.njit
def spring(d):
    return 0.5 * d * d

def uses_numba_helper(x, y):
    return spring(x - y) + x

def product(A, x):
    return np.sum(A @ x)

def broadcast(a, b):
    return np.sum(a * b)

def scaled(x, n):
    return x * (n + 1)

def count(x, n):
    s = 0.0
    for i in range(n):
        s += x
    return s

def shadow_np(np, y):
    return np * y

def shadow_kernel(x, shadow_kernel_jvp, shadow_kernel_fwd, inbounds, math):
    return x * shadow_kernel_jvp + shadow_kernel_fwd * inbounds - math

def equality_branch(t):
    if t == 0.0:
        y = 0.0
    else:
        y = t
    return y

def two_conditionals(t):
    a = t if t >= 0 else 0.0
    b = t if t <= 0 else 0.0
    return a + b
'''


@pytest.fixture(scope="module")
def m(tmp_path_factory):
    from conftest import load_source
    return load_source(tmp_path_factory.mktemp("robust"), SRC, "robust_programs")


# ---------------------------------------------------------------------------- transforms
TRANSFORMS = {
    "grad": lambda d: ad.grad(d)(2.0),
    "value_and_grad": lambda d: ad.value_and_grad(d)(2.0),
    "jvp": lambda d: ad.jvp(d, (2.0,), (1.0,)),
    "hessian": lambda d: ad.hessian(d)(2.0),
    "hvp": lambda d: ad.hvp(d)(2.0, 1.0),
    "jacobian": lambda d: ad.jacobian(d)(2.0),
    "diagnose": lambda d: ad.diagnose(d, 2.0),
    "forward grad": lambda d: ad.grad(d, mode="forward")(2.0),
}


# what each transform of a derivative of cube (x ** 3) gives at 2.0 (docs/nested.md): s is
# the inner derivative, (s, s', s'') its value and derivatives there; None: an error
_SCALAR_OUTER = {
    "grad": lambda s: s[1], "value_and_grad": lambda s: (s[0], s[1]),
    "jvp": lambda s: (s[0], s[1]), "hessian": lambda s: s[2], "hvp": lambda s: s[2],
    "jacobian": lambda s: s[1], "diagnose": lambda s: None, "forward grad": lambda s: s[1],
}


def _expected(inner: str, outer: str):
    if inner == "hvp" or outer == "diagnose":
        return None
    if inner == "value_and_grad":               # a tuple: (x ** 3, 3 x ** 2)
        return {"jvp": ((8.0, 12.0), (12.0, 12.0)), "jacobian": (12.0, 12.0)}.get(outer)
    s = (12.0, 6.0, 0.0) if inner == "hessian" else (12.0, 12.0, 6.0)     # 6x or 3x^2
    return _SCALAR_OUTER[outer](s)


@pytest.mark.parametrize("called_first", [False, True])
@pytest.mark.parametrize("name", sorted(TRANSFORMS))
def test_transform_of_a_transform_is_right_or_a_clear_error(m, name, called_first):
    """Never the derivative of the wrong function, never a TypeError/AttributeError: a
    transform of a derivative is that derivative's derivative, or a clear error."""
    inners = {"grad": ad.grad(m.cube), "value_and_grad": ad.value_and_grad(m.cube),
              "forward grad": ad.grad(m.cube, mode="forward"), "hvp": ad.hvp(m.cube),
              "hessian": ad.hessian(m.cube), "jacobian": ad.jacobian(m.cube)}
    for kind, inner in inners.items():
        if called_first:
            inner(2.0) if kind != "hvp" else inner(2.0, 1.0)
        expected = _expected(kind, name)
        if expected is None and kind == "value_and_grad" and name != "diagnose":
            with pytest.raises(ad.AdTypeError, match="grad needs a scalar") as info:
                TRANSFORMS[name](inner)
            assert "jacobian" in info.value.hint
        elif expected is None:
            with pytest.raises(ad.AdCompileError, match="diagnos|takes more than") as info:
                TRANSFORMS[name](inner)
            assert str(info.value).startswith(m.__file__), str(info.value)
        else:
            got = TRANSFORMS[name](inner)
            np.testing.assert_allclose(np.array(got, dtype=float), expected, rtol=1e-13)


# ---------------------------------------------------------------------------- Numba
def test_numba_functions_are_differentiated(m):
    q = np.array([1.0, 2.0])
    expect = 2 * q + np.array([3 * q[0] ** 2, 0.0])
    assert np.allclose(ad.grad(m.energy)(q), expect)
    assert np.allclose(ad.grad(m.energy, mode="forward")(q), expect)
    v, t = ad.jvp(m.energy, (q,), (np.array([1.0, 0.0]),))
    assert v == pytest.approx(6.0) and t == pytest.approx(expect[0])
    assert np.allclose(ad.hessian(m.energy)(q), [[2 + 6 * q[0], 0.0], [0.0, 2.0]])
    assert ad.diagnose(m.energy, q).verdict == "smooth"
    assert ad.grad(m.uses_numba_helper, wrt=(0, 1))(2.0, 0.5) == (2.5, -1.5)


# ---------------------------------------------------------------------------- arguments
def _paths(g, *args):
    """Call twice: the first call (full checks) and the warm fast path must agree."""
    out = []
    for _ in range(2):
        with pytest.raises(ad.AdTypeError) as info:
            g(*args)
        out.append(str(info.value))
    assert out[0] == out[1]
    return out[0]


def test_bad_arrays_rejected_on_every_path(m):
    g = ad.grad(m.vec)
    good = np.array([1.0, 2.0, 3.0])
    assert np.allclose(g(good), 2 * good + np.array([3.0, 0.0, 0.0]))
    msg = _paths(g, np.array([1.0, 2.0, 3.0], dtype=">f8"))
    assert "byte order" in msg and msg.startswith(m.__file__)
    msg = _paths(g, np.ma.masked_array([1.0, 2.0, 3.0], mask=[0, 1, 0]))
    assert "MaskedArray" in msg
    with pytest.warns(PendingDeprecationWarning):
        bad = np.matrix([[1.0, 2.0], [3.0, 4.0]])
    msg = _paths(g, bad)
    assert "matrix" in msg
    assert np.allclose(g(good), 2 * good + np.array([3.0, 0.0, 0.0]))   # still fine


@pytest.mark.parametrize("n", [2 ** 63, -2 ** 63 - 1, 2 ** 64, 10 ** 30])
def test_ints_beyond_int64_rejected_on_every_path(m, n):
    g = ad.grad(m.count)
    assert g(1.0, 3) == 3.0                 # the fast path is warm
    msg = _paths(g, 1.0, n)
    assert "64-bit" in msg and "'n'" in msg
    for transform in (lambda: ad.jvp(m.count, (1.0, n), (1.0, 0)),
                      lambda: ad.grad(m.count, mode="forward")(1.0, n)):
        with pytest.raises(ad.AdTypeError, match="64-bit"):
            transform()


def test_int64_arithmetic_wraps_as_documented(m):
    """An int inside the range is accepted; int64 arithmetic then wraps (docs/supported.md)."""
    assert ad.grad(m.scaled)(1.0, 2 ** 63 - 1) == float(np.int64(-2 ** 63))


# ---------------------------------------------------------------------------- shapes
def test_matmul_shape_mismatch_names_the_line_and_both_shapes(m):
    for mode in ("reverse", "forward"):
        with pytest.raises(ad.ShapeError) as info:
            ad.grad(m.product, mode=mode)(np.ones((2, 3)), np.ones(4))
        msg = str(info.value)
        assert "robust_programs.py:24:" in msg and "(2, 3)" in msg and "(4,)" in msg


def test_broadcast_mismatch_names_both_lengths(m):
    with pytest.raises(ad.ShapeError) as info:
        ad.grad(m.broadcast)(np.ones(3), np.ones(4))
    assert "robust_programs.py:27:" in str(info.value) and "3 and 4" in str(info.value)


# ---------------------------------------------------------------------------- names
def test_parameters_named_like_generated_names(m):
    assert ad.grad(m.shadow_np, mode="forward")(1.0, 2.0) == 2.0
    assert ad.grad(m.shadow_np)(1.0, 2.0) == 2.0
    args = (1.0, 2.0, 3.0, 4.0, 5.0)
    for mode in ("reverse", "forward"):
        g = ad.grad(m.shadow_kernel, wrt=(0, 1, 2, 3, 4), mode=mode)(*args)
        assert g == (2.0, 1.0, 4.0, 3.0, -1.0)


# ---------------------------------------------------------------------------- specialise
def test_specialise_compiles_native_code(m):
    g = ad.grad(m.count)
    compiled = g.specialise(x="f64", n="i64")
    assert len(compiled.func.signatures) == 1       # compiled now, not at the first call
    assert g(2.0, 4) == 4.0
    assert len(compiled.func.signatures) == 1


# ---------------------------------------------------------------------------- diagnose
@pytest.mark.parametrize("name", ["equality_branch", "two_conditionals"])
def test_branch_made_artifacts_are_artifacts(m, name):
    rep = ad.diagnose(getattr(m, name), 0.0)
    assert rep.verdict == "artifact"
    assert rep.subgradient == pytest.approx(1.0)


# ---------------------------------------------------------------------------- sources
def test_module_constants_and_closures_are_read_when_a_transform_compiles(tmp_path):
    from conftest import load_source
    mod = load_source(tmp_path, "K = 2.0\n\ndef f(x):\n    return K * x * x\n\n"
                                "def make(c):\n    def g(x):\n        return c * x * x\n"
                                "    return g\n", "consts")
    assert ad.grad(mod.f)(1.0) == 4.0
    mod.K = 3.0
    assert ad.grad(mod.f)(1.0) == 6.0                # a new transform: the new value
    assert ad.jvp(mod.f, (1.0,), (1.0,)) == (3.0, 6.0)
    mod.K = 5.0
    assert ad.jvp(mod.f, (1.0,), (1.0,)) == (5.0, 10.0)
    assert ad.diagnose(mod.f, 1.0).ad == 10.0
    assert [ad.grad(mod.make(c))(1.0) for c in (1.0, 2.0, 3.0)] == [2.0, 4.0, 6.0]


@pytest.mark.parametrize("edit", ["body", "rename", "moved"])
def test_source_edited_after_import_is_detected(tmp_path, edit):
    from conftest import load_source
    text = "def f(x):\n    return 2.0 * x * x\n\ndef h(x):\n    return x\n"
    mod = load_source(tmp_path, text, "edited")
    path = mod.__file__
    if edit == "body":
        new = text.replace("2.0 * x * x", "2.0 * x * x * x")
    elif edit == "rename":
        new = "def h(x):\n    return x\n\ndef f_old(x):\n    return 2.0 * x * x\n"
    else:
        new = "\n\n" + text
    with open(path, "w", encoding="utf-8") as fh:
        fh.write(new)
    import linecache
    linecache.checkcache(path)
    with pytest.raises(ad.UnsupportedSyntaxError, match="changed after it was imported") as e:
        ad.grad(mod.f)(1.0)
    assert str(e.value).startswith(path)


def test_file_names_with_quotes_and_backslashes(tmp_path):
    folder = tmp_path / 'we"""ird\\N'
    folder.mkdir()
    path = folder / 'm\\N{x}"""q.py'
    path.write_text("def f(x):\n    return x * x\n", encoding="utf-8")
    spec = importlib.util.spec_from_file_location("weird_names", path)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    assert ad.grad(mod.f)(3.0) == 6.0
    assert ad.grad(mod.f, mode="forward")(3.0) == 6.0
    assert ad.grad(mod.f, jit=False)(3.0) == 6.0


def test_decorated_wrappers_and_other_callables_are_clear_errors(tmp_path):
    import functools
    from conftest import load_source
    mod = load_source(tmp_path, "def f(x):\n    return x * x\n", "wrapped")

    @functools.wraps(mod.f)
    def timed(*a):
        return mod.f(*a)
    with pytest.raises(ad.AdCompileError, match="wrapper made by a decorator"):
        ad.grad(timed)(1.0)
    for bad in (functools.partial(mod.f), np.sin, lambda x: x, 3.0):
        with pytest.raises((ad.AdCompileError, TypeError)):
            ad.grad(bad)(1.0)
    assert ad.grad(timed.__wrapped__)(3.0) == 6.0


def test_library_functions_are_never_compiled_from_their_source(tmp_path):
    """np.convolve or scipy.optimize.rosen_der are not rows of the table: a located error,
    not their Python source compiled as if it were the user's."""
    import scipy.optimize
    from conftest import load_source
    mod = load_source(tmp_path, "import numpy as np\nimport scipy.optimize\n\n"
                                "def f(x):\n    return np.sum(np.convolve(x, x))\n\n"
                                "def g(x):\n    return np.sum(scipy.optimize.rosen_der(x))\n", "libs")
    for fn, name, line in ((mod.f, "np.convolve", 5), (mod.g, "scipy.optimize.rosen_der", 8)):
        with pytest.raises(ad.UnknownFunctionError, match=name) as info:
            ad.grad(fn)(np.ones(3))
        assert str(info.value).startswith(f"{mod.__file__}:{line}:")
    for fn in (scipy.optimize.rosen, np.hanning):   # passed as the function itself
        with pytest.raises(ad.AdCompileError, match="library function"):
            ad.grad(fn)(np.ones(3))


def test_compiling_leaves_the_garbage_collector_as_it_was(load):
    """The compiler pauses the cyclic collector while it builds; it is on again after a
    compile, after a compile that fails, and stays off if the user had turned it off."""
    import gc
    m = load("""
def ok(x):
    return x * x

def bad(x):
    return undefined_name + x
""")
    assert gc.isenabled()
    ad.grad(m.ok)(2.0)
    assert gc.isenabled()
    with pytest.raises(ad.AdCompileError):
        ad.grad(m.bad)(2.0)
    assert gc.isenabled()
    gc.disable()
    try:
        ad.grad(m.ok, mode="forward")(2.0)
        assert not gc.isenabled()
    finally:
        gc.enable()
