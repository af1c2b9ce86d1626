"""Read-only array parameters: element reads, shapes, integer arrays as data; gradients
(scatter-adds into fresh arrays) against central differences, jit against no-jit, and the
IR interpreter."""
import re

import numpy as np
import pytest

import adcompile as ad
import programs as P
from adcompile.api import arg_type
from adcompile.frontend import build_function
from adcompile.interp import interpret
from adcompile.passes.reverse import reverse
from gradcheck import fd_gradient

RNG = np.random.default_rng(7)
CASES = [
    (P.rosen_loop, (np.linspace(-1.2, 1.3, 9),), (0,)),
    (P.matrix_loop, (RNG.normal(size=(3, 4)), RNG.normal(size=4), 0.7), (0, 1, 2)),
    (P.cube_and_labels, (RNG.normal(size=(4, 3, 2)), np.array([0, 2, 1, 2]), 1.3), (0, 2)),
]


_fd = fd_gradient          # central differences on copies of the arrays


@pytest.mark.parametrize("func,args,wrt", CASES, ids=lambda v: getattr(v, "__name__", ""))
def test_array_gradients(func, args, wrt):
    copies = [a.copy() if isinstance(a, np.ndarray) else a for a in args]
    v1, g1 = ad.value_and_grad(func, wrt=wrt)(*args)
    v0, g0 = ad.value_and_grad(func, wrt=wrt, jit=False)(*args)
    assert v1 == pytest.approx(func(*args), rel=1e-13) and v0 == func(*args)
    for i, a, b in zip(wrt, g1, g0):
        np.testing.assert_allclose(a, b, rtol=1e-12, atol=1e-14)
        np.testing.assert_allclose(a, _fd(func, args, i), rtol=1e-6, atol=1e-8)
        if isinstance(args[i], np.ndarray):
            assert a.shape == args[i].shape and a is not args[i]
    for a, c in zip(args, copies):
        if isinstance(a, np.ndarray):
            assert np.array_equal(a, c)                    # inputs untouched


@pytest.mark.parametrize("func,args,wrt", CASES, ids=lambda v: getattr(v, "__name__", ""))
def test_interpreter_agrees_on_arrays(func, args, wrt):
    types = [arg_type(str(i), a) for i, a in enumerate(args)]
    assert interpret(build_function(func, types), args)[0] == pytest.approx(func(*args))
    value, *grads = interpret(reverse(build_function(func, types), list(wrt)), args)
    _, g0 = ad.value_and_grad(func, wrt=wrt, jit=False)(*args)
    for a, b in zip(grads, g0):
        np.testing.assert_allclose(a, b, rtol=1e-13, atol=1e-15)


def test_gradient_with_respect_to_int_array_is_an_error():
    with pytest.raises(ad.AdTypeError, match="labels"):
        ad.grad(P.cube_and_labels, wrt="labels")(np.ones((2, 2, 2)), np.array([0, 1]), 1.0)


@pytest.mark.parametrize("src,words", [
    ("def f(x):\n    return x[0, 1]\n", "too many indices"),
    ("def f(x):\n    return x[0.5]\n", "integers"),
    ("def f(x):\n    return x.flat[0]\n", ".flat"),
    ("def f(x):\n    if x:\n        return 1.0\n    return 0.0\n", "ambiguous"),
    ("import math\ndef f(x):\n    return math.sin(x)[0]\n", "does not take arrays"),
    ("def f(x):\n    return max(x, 0.0)[0]\n", "does not take arrays"),
])
def test_unsupported_array_uses_are_explained(load, src, words):
    m = load(src)
    with pytest.raises(ad.AdCompileError, match=words) as info:
        ad.grad(m.f)(np.ones(3))
    assert str(info.value).startswith(m.__file__)


def test_unsupported_dtype_is_a_type_error():
    # float32 is computed in float64 (tests/test_float32.py); complex and 7-d arrays are not
    with pytest.raises(TypeError, match="complex128"):
        ad.grad(P.rosen_loop)(np.ones(3, dtype=np.complex128))
    with pytest.raises(TypeError, match="7-d"):
        ad.grad(P.rosen_loop)(np.ones((1, 1, 1, 1, 1, 1, 3)))


def test_out_of_range_read_raises_naming_the_users_line(load):
    m = load("""
def f(x):
    s = 0.0
    for i in range(len(x)):
        s = s + x[i + 1] * x[i]
    return s
""")
    for jit in (True, False):
        with pytest.raises(IndexError, match=r"prog\d*\.py:5:\d+: x\[i \+ 1\]: index out of range"):
            ad.grad(m.f, jit=jit)(np.ones(4))


def test_negative_indices_follow_python(load):
    m = load("""
def f(x):
    return x[-1] * x[0] + x[-2]
""")
    x = np.array([2.0, 3.0, 5.0])
    assert np.array_equal(ad.grad(m.f)(x), [5.0, 1.0, 2.0])
    with pytest.raises(IndexError):
        ad.grad(m.f)(np.array([1.0]))


def test_hoisted_checks_respect_break_and_branches(load):
    """Reads that a break or an if keeps in range must not raise (checks stay per access)."""
    m = load("""
def f(x, n):
    s = 0.0
    for i in range(n):
        if i >= len(x):
            break
        s = s + x[i] * x[i]
    for i in range(n):
        if i < len(x):
            s = s + x[i]
    for i in range(len(x)):
        for j in range(0):
            s = s + x[i + 100]
    return s
""")
    x = np.array([1.0, 2.0, 3.0])
    for jit in (True, False):
        value, grad = ad.value_and_grad(m.f, jit=jit)(x, 10)
        assert value == m.f(x, 10)
        np.testing.assert_allclose(grad, 2 * x + 1)


def test_hoisted_check_still_raises_naming_the_line(load):
    m = load("""
def f(x, n):
    s = 0.0
    for i in range(n):
        for j in range(3):
            s = s + x[i, j] * j
    return s
""")
    with pytest.raises(IndexError, match=r"x\[i, j\]: index out of range"):
        ad.grad(m.f)(np.ones((2, 3)), 3)
    src = ad.grad(m.f).specialise(x="f64[:,:]", n="i64").source
    body = src[src.index("def f_"):]
    raises = [k for k in range(len(body)) if body.startswith("raise OutOfRangeError(", k)]
    assert len(raises) == 2, src                  # once per axis, not per access:
    inner = re.search(r"^\s*for j in range\(3\):", body, re.M).start()
    assert max(raises) < inner, src                  # before the inner loop


def test_stencil_reads_are_checked_once_and_still_raise(load):
    m = load("""
def f(x):
    s = 0.0
    for i in range(1, len(x)):
        s = s + x[i - 1] * x[i + 1]
    return s
""")
    src = ad.grad(m.f).specialise(x="f64[:]").source
    loop_body = src.split("for i in range")[1].split("return")[0]
    assert "inbounds" not in loop_body                 # hoisted before the loop
    with pytest.raises(IndexError, match=r"x\[i \+ 1\]: index out of range"):
        ad.grad(m.f)(np.ones(5))


def test_rows_of_a_loop_over_their_own_axis_are_not_checked(load):
    """X[i] for i in range(X.shape[0]) (and in the adjoint sweep's reversed loop) is in range
    by construction: no wrap_index; over range(n) or range(k, ...) it is still checked."""
    m = load("""
import numpy as np
def f(X, w, n, k):
    s = 0.0
    for i in range(X.shape[0]):
        s = s + np.sum(X[i] * w) ** 2
    for i in range(1, len(X)):
        s = s + np.sum(X[i] * X[i - 1])
    for i in range(k, X.shape[0]):
        s = s + X[i][0]
    for i in range(n):
        s = s + np.sum(X[i])
    return s
""")
    g = ad.grad(m.f, wrt=(0, 1))
    src = g.specialise(X="f64[:,:]", w="f64[:]", n="i64", k="i64").source
    body = src[src.index("def f_"):]
    checked = [ln for ln in body.splitlines() if "wrap_index(" in ln]
    for where, expect in (("6:24: X[i]:", 0), ("8:31: X[i - 1]:", 2), ("10:17: X[i]:", 2),
                          ("12:24: X[i]:", 2)):      # lines 6, 8, 10, 12: both sweeps
        assert sum(f"prog0.py:{where}" in ln for ln in checked) == expect, (where, src)
    X, w = np.arange(12.0).reshape(4, 3) / 10.0, np.array([0.5, -1.0, 2.0])
    for n, k in ((4, 0), (2, -2), (0, 3)):
        fd = [_fd(m.f, (X, w, n, k), i) for i in (0, 1)]
        for jit in (True, False):
            for got, want in zip(g(X, w, n, k) if jit else ad.grad(m.f, wrt=(0, 1),
                                                                    jit=False)(X, w, n, k), fd):
                np.testing.assert_allclose(got, want, rtol=1e-6, atol=1e-8)
    with pytest.raises(IndexError, match=r"X\[i\]: index out of range"):
        g(X, w, 5, 0)
    with pytest.raises(IndexError, match=r"X\[i\]: index out of range"):
        g(X, w, 0, -5)


NEIGHBOURS = """
def f(x, n):
    s = 0.0
    for i in range(n):
        s = s + x[i] * x[i + 1]
    return s
"""


def test_dce_keeps_the_hoisted_checks(load):
    """A hoisted check's result is read by nothing: it runs for its error, so dead-code
    elimination after hoist_checks must keep it (a pass running dce late once dropped them,
    and out-of-range reads went unreported)."""
    from adcompile import pipeline
    from adcompile.ir import walk
    from adcompile.types import F64, I64, Array
    m = load(NEIGHBOURS)
    fn = pipeline.value_and_gradient(pipeline.primal(m.f, [Array(F64, 1), I64]), [0])

    def checks(fn):
        return sorted(o.name for o in walk(fn.body) if o.name in ("check_range", "check_at"))
    before = checks(fn)
    assert before
    assert checks(pipeline.run(("dce",), fn)) == before


def test_nested_derivatives_keep_the_bounds_checks(load):
    """A derivative differentiated again starts from its compiled IR, checks included."""
    m = load(NEIGHBOURS)
    x = np.linspace(0.5, 1.5, 4)
    g = ad.grad(m.f)
    jac = ad.jacobian(g)
    assert np.allclose(jac(x, 3), ad.hessian(m.f)(x, 3))
    with pytest.raises(IndexError, match=r"x\[i \+ 1\]: index out of range"):
        jac(x, 4)
    k = load("""
def f(x, n, k):
    s = 0.0
    for i in range(n):
        s = s + x[i] * x[k]
    return s
""")
    jk = ad.jacobian(ad.grad(k.f))
    assert np.allclose(jk(x, 3, 1), ad.hessian(k.f)(x, 3, 1))
    with pytest.raises(IndexError, match=r"x\[k\]: index out of range"):
        jk(x, 3, 9)                                 # a loop-invariant index (check_at)


UNREAD = """
import numpy as np

def read(x, n):
    t = x[n]
    return x[0] * 2.0

def loop(x, A, n):
    s = 0.0
    for i in range(n):
        s = s + A[i, 0] * x[i]
    return x[0] * x[1]

def write(x, n):
    y = np.zeros(3)
    y[n] = x[0]
    return x[0] * x[0]

def product(x, B, C):
    D = B @ C
    return x[0] * x[0]

def broadcast(x, y):
    t = x + y
    return x[0] * x[0]

def strided(x, n):
    s = 0.0
    for i in range(n):
        s = s + x[2 * i] * x[2 * i]
    return s
"""


@pytest.mark.parametrize("name, args, error", [
    ("read", (np.ones(3), 7), r"x\[n\]: index out of range"),
    ("loop", (np.ones(3), np.ones((2, 2)), 3), r"A\[i, 0\]: index out of range"),
    ("write", (np.ones(3), 5), r"y\[n\]: index out of range"),
    ("product", (np.ones(3), np.ones((2, 3)), np.ones((2, 2))), r"B @ C: shapes do not align"),
    ("broadcast", (np.ones(3), np.ones(4)), r"x \+ y: operands could not be broadcast"),
    ("strided", (np.ones(5), 4), r"x\[2 \* i\]: index out of range")])
def test_unread_reads_still_raise(load, name, args, error):
    """Python stops at a read out of range (shapes that do not align or broadcast) whether
    or not anything uses its value: so must every transform, nested ones included, whose IR
    no longer needs the value (dce once dropped such reads, and with them their checks; a
    Hessian's tangent read x_dot[2 * i] once ran before the check of x[2 * i])."""
    f = getattr(load(UNREAD), name)
    with pytest.raises((IndexError, ValueError)):
        f(*args)
    for jit in (False, True) if name in ("loop", "strided") else (False,):
        made = [ad.grad(f, jit=jit), ad.value_and_grad(f, jit=jit),
                ad.grad(f, jit=jit, mode="forward"), ad.jacobian(ad.grad(f, jit=jit), jit=jit)]
        if name == "strided":
            made.append(lambda x, n: ad.hvp(f, jit=jit)(x, n, np.ones_like(x)))
        for fn in made:
            with pytest.raises((IndexError, ValueError), match=error):
                fn(*args)
