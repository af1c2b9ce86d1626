"""Arrays created and written inside the function: element stores in loops and branches,
aliasing, helpers that write into arrays they are given, copies of parameters, and the
constructors. Gradients against central differences, jit against no-jit, the IR interpreter,
and the caller's arrays left untouched."""
import numpy as np
import pytest

import adcompile as ad
import programs as P
from adcompile.api import arg_type
from adcompile.frontend import build_function
from adcompile.interp import interpret
from adcompile.passes.reverse import reverse
from gradcheck import check_gradient, check_like_numpy
from test_arrays import _fd

SCALAR_CASES = [
    (P.trajectory, (0.7, 1.2, 50)),
    (P.aliased, (0.7,)),
    (P.via_helper, (1.3,)),
    (P.branchy_writes, (0.4, 5)),
    (P.constructors, (0.8,)),
    (P.while_writes, (2.5,)),
]


@pytest.mark.parametrize("func,args", SCALAR_CASES, ids=lambda v: getattr(v, "__name__", ""))
def test_written_arrays(func, args):
    check_gradient(func, args)
    types = [arg_type(str(i), a) for i, a in enumerate(args)]
    floats = [i for i, a in enumerate(args) if isinstance(a, float)]
    value, *grads = interpret(reverse(build_function(func, types), floats), args)
    assert value == pytest.approx(func(*args))
    assert grads == pytest.approx(list(ad.grad(func, wrt=tuple(floats))(*args)))


def test_in_place_sweep_reads_overwritten_values():
    x = np.linspace(-1.0, 1.0, 7)
    before = x.copy()
    g0 = ad.grad(P.gauss_seidel, jit=False)(x, 3)
    g1 = ad.grad(P.gauss_seidel)(x, 3)
    np.testing.assert_allclose(g1, g0, rtol=1e-12)
    np.testing.assert_allclose(g1, _fd(P.gauss_seidel, (x, 3), 0), rtol=1e-6, atol=1e-9)
    assert np.array_equal(x, before)


def test_writes_to_a_parameter_act_on_a_copy():
    x = np.array([1.0, 2.0, 3.0])
    value, (gx, gc) = ad.value_and_grad(P.writes_parameter, wrt=(0, 1))(x, 0.5)
    assert np.array_equal(x, [1.0, 2.0, 3.0])             # the caller's array is untouched
    assert value == P.writes_parameter(x.copy(), 0.5)
    np.testing.assert_allclose(gx, [0.25, 0.5, 0.5])
    assert gc == pytest.approx(6.0)
    assert "x.copy()" in ad.grad(P.writes_parameter).specialise(x="f64[:]").source


def test_out_of_range_write_raises(load):
    m = load("""
import numpy as np

def f(x, n):
    y = np.zeros(n)
    for i in range(n + 1):
        y[i] = x * i
    return y[0]
""")
    with pytest.raises(IndexError, match=r"y\[i\]: index out of range"):
        ad.grad(m.f)(1.0, 3)


def test_int_arrays_and_dtype(load):
    m = load("""
import numpy as np

def f(x, n):
    counts = np.zeros(n, dtype=np.int64)
    acc = np.zeros(n)
    for i in range(n):
        counts[i] = i * 2
        acc[i] = x * counts[i]
    return acc[n - 1] + counts[1]
""")
    check_gradient(m.f, (0.5, 4))


HEAD = "import numpy as np\n\ndef f(x):\n"
BAD_WRITES = [
    ("    y = np.zeros(3)\n    y[0] = (x, x)\n    return y[0]\n", "a number"),
    ("    y = np.zeros(3, order='F')\n    return y[0]\n", "order"),
    ("    return np.array([[x], [x, x]])[0, 0]\n", "different lengths"),
    ("    return np.array([[x], x])[0, 0]\n", "mixing numbers and lists"),
    ("    y = np.zeros(3)\n    return np.sum(y, axis=1)\n", "axis"),
]


@pytest.mark.parametrize("body,words", BAD_WRITES)
def test_unsupported_array_writes_are_explained(load, body, words):
    m = load(HEAD + body)
    with pytest.raises(ad.AdCompileError, match=words) as info:
        ad.grad(m.f)(1.0)
    assert str(info.value).startswith(m.__file__)


FRESH_IN_LOOP = {
    "first_set_in_loop": """
    for j in range(3):
        a = np.zeros(3)
        a[j] = x * (j + 1.0)
    return np.sum(a * a)""",
    "rebound_in_loop": """
    a = np.ones(3)
    for j in range(3):
        a = np.zeros(3)
        a[j] = x * j
    return np.sum(a * a)""",
    "inner_loop_writes": """
    for i in range(2):
        a = np.zeros(3)
        for j in range(3):
            a[j] = a[j] + x * (i + j)
    return np.sum(a * a)""",
    "nested_first_set": """
    for i in range(2):
        for j in range(2):
            a = np.zeros(3)
            a[j] = x * (i + 1.0)
    return np.sum(a * a)""",
    "copy_each_iteration": """
    a = np.ones(3) * x
    for j in range(3):
        a = a.copy()
        a[j] = a[j] * x + 1.0
    return np.sum(a * a)""",
    "augmented_fresh": """
    for j in range(2):
        a = np.ones(3)
        a += x * (j + 1.0)
        a[j] *= x
    return np.sum(a * a)""",
    "while_fresh": """
    k = 0
    while k < 3:
        a = np.zeros(3)
        a[k] = x * (k + 1.0)
        k += 1
    return np.sum(a * a)""",
    "branch_fresh_in_loop": """
    a = np.ones(3)
    for j in range(3):
        if j > 0:
            a = np.zeros(3)
            a[j] = x * j
    return np.sum(a * a)""",
    "written_then_rebound_in_loop": """
    a = np.zeros(3)
    if x > 0.0:
        for j in range(3):
            a[j] = x * j
    for j in range(3):
        z = np.zeros(3)
        z[j] = x
        a = a + z
    return np.sum(a * a)""",
    "helper_fills_fresh": """
    for j in range(2):
        a = np.zeros(3)
        put(a, j, x)
    return np.sum(a * a)""",
}


@pytest.mark.parametrize("name", sorted(FRESH_IN_LOOP))
def test_array_made_and_written_inside_a_loop(load, name):
    """A name bound to a new array inside a loop body and then written: the loop carries the
    written array, not the one before the write (this gave 0 silently), and starts from the
    array as last written before the loop (not as first bound)."""
    m = load("import numpy as np\n\ndef put(a, j, v):\n    a[j] = v * 2.0\n    return 0.0\n"
             "\n\ndef f(x):" + FRESH_IN_LOOP[name] + "\n")
    for x in (0.7, -1.3):
        check_gradient(m.f, (x,))
        for jit in (True, False):
            assert ad.grad(m.f, mode="forward", jit=jit)(x) == pytest.approx(
                ad.grad(m.f, jit=jit)(x), rel=1e-12)


# --------------------------------------------------------------------------- carried arrays
# A loop carries an array written in place (h[:] = h * w, h *= w, rows H[i] = ...) and then
# reduced (a loop of its own, whose tape reservation stands after the write): the reverse
# sweep must record the array as the iteration received it. Before the fix it recorded the
# written array (found by GradBench's lstm written with h[:] = ...).
def carried_whole_write(w):
    h = np.ones(2)
    total = 0.0
    for t in range(2):
        h[:] = h * w
        total = total + np.sum(h)
    return total


def carried_rows(w):
    H = np.ones((2, 2))
    total = 0.0
    for t in range(3):
        for i in range(2):
            H[i] = H[i] * w + 0.1
        total = total + np.sum(H * H)
    return total


def carried_in_a_while(w):
    h = w * 1.0
    total = 0.0
    k = 0
    while k < 3:
        h[:] = h * w
        total = total + np.sum(h ** 2)
        k = k + 1
    return total


def carried_iadd_and_branch(w):
    h = np.ones(2)
    total = 0.0
    for t in range(2):
        h *= w
        if t > 0:
            h[0] = h[0] * w[1]
        total = total + np.sum(h) + np.max(h)
    return total


def carried_nested(w):
    h = np.ones(2)
    total = 0.0
    for t in range(2):
        for s in range(2):
            h[:] = h * w
            total = total + np.sum(h)
        total = total + np.sum(h * w)
    return total


@pytest.mark.parametrize("func", [carried_whole_write, carried_rows, carried_in_a_while,
                                  carried_iadd_and_branch, carried_nested],
                         ids=lambda f: f.__name__)
def test_arrays_written_in_place_and_carried(func):
    check_like_numpy(func, (np.array([0.7, 1.3]),))
