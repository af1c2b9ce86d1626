"""Everyday Python constructs (docs/supported.md): sums of generator expressions and list
comprehensions (with `if` filters, several `for` clauses, a start value; min and max), loops
over enumerate, zip and the rows of a matrix, tuple targets, loops over tuples, helpers that
write into arrays and return nothing, tuples indexed with constants.

Each program is checked against what Python computes, against central differences, and
against the other AD mode, compiled and with jit=False; the frontend predicts what each loop
carries (no fallback). Constructs that cannot work are rejected with an adcompile error at
the user's file:line:col, with a hint, never an internal traceback.
"""
import math

import numpy as np
import pytest

import adcompile as ad
from adcompile.errors import AdCompileError, AdTypeError, UnknownFunctionError, \
    UnsupportedSyntaxError
from adcompile.frontend import infer
from gradcheck import fd_gradient

PROGRAMS = '''import math
import numpy as np


def dot(w, x, n):
    return sum(w[i] * x[i] for i in range(n))


def squares(x):
    return sum([v * v for v in x])


def pair(a, b):
    return a * math.sin(b)


def zipped_helper(x, y):
    return sum(pair(a, b) for a, b in zip(x, y))


def with_start(x, c):
    return sum((v for v in x), c) + sum((v * v for v in x), start=0.5) + sum([c * v for v in x], 0.0)


def filtered(x, c):
    return sum(v * v for v in x if v > c)


def two_filters(x):
    return sum(math.exp(v) for v in x if v > -1.0 if v < 1.0)


def clauses(A):
    m, n = A.shape
    return sum(A[i, j] * (i + 1.0) for i in range(m) for j in range(n) if j >= i)


def nested_generators(A):
    m, n = A.shape
    return sum(sum(A[i, j] for j in range(i + 1)) ** 2 for i in range(m))


def chained_filter(x):
    return sum(v for v in x if 0.2 < v * v < 5.0)


def largest_smallest(x):
    return max(v * v for v in x) + min(math.sin(v) for v in x) + max([v for v in x if v < 1.0])


def not_leaking(x):
    i = 2
    s = sum(x[i] for i in range(len(x)))
    return s * x[i]


def same_name(x):
    return sum(x * x for x in x)


def generator_in_loop(x, c):
    s = 0.0
    for k in range(3):
        s += sum(x[j] * k for j in range(len(x)) if x[j] > c) if k > 0 else c
    return s


def generator_in_condition(x, c):
    k = 0
    while k < len(x) and sum(x[i] for i in range(k)) < c:
        k += 1
    return c * k + sum(x[i] * x[i] for i in range(k))


def sum_helper(v):
    return sum(v[i] ** 2 for i in range(len(v)))


def generator_in_helper(x):
    return sum_helper(x) + sum_helper(x[1:]) * x[0]


def counted(x, c):
    n = sum(1 for v in x if v > c)
    s = 0.0
    for i in range(n):
        s += x[i]
    return s * n


def empty_generators(x, n):
    return sum(x[i] for i in range(n)) + sum(v * v for v in x[0:0]) + x[0]


def enumerate_generator(x):
    return sum(i * v * v for i, v in enumerate(x, 1))


def rows_with_start(A):
    r = sum((A[i] for i in range(A.shape[0])), np.zeros(A.shape[1]))
    return np.sum(r * r)


def enumerated(x):
    s = 0.0
    for i, v in enumerate(x):
        s += i * v * v
    return s


def enumerated_start(x, y):
    s = 0.0
    for i, v in enumerate(x, 2):
        s += i * v
    for k, v in enumerate(y, start=-1):
        s += k * v * v
    return s


def zipped(x, y):
    s = 0.0
    for a, b in zip(x, y):
        s += a * b
    return s


def zipped_three(x, y, z):
    s = 0.0
    for a, b, c in zip(x, y, z):
        s += a * b - c * c
    return s


def zip_ranges(x):
    s = 0.0
    for k, v in zip(range(1, 10, 2), x):
        s += k * v
    for k, v in zip(range(len(x) - 1, -1, -1), x):
        s += x[k] * v
    return s


def enumerate_zip(x, y):
    s = 0.0
    for i, (a, b) in enumerate(zip(x, y)):
        s += i * a * b
    return s


def tuple_from_zip(x, y):
    s = 0.0
    for p in zip(x, y):
        s += p[0] * p[1]
    return s


def matrix_rows(A, x):
    s = 0.0
    for row in A:
        for j in range(len(row)):
            s += row[j] * x[j]
    for i, row in enumerate(A):
        s += row[0] * i
    for a, b in zip(A, A[::-1]):
        s += np.sum(a * b)
    return s


def loop_variable_after(x):
    v = 0.0
    for v in x:
        pass
    for i, w in enumerate(x):
        pass
    return v * i + w


def writes_while_iterating(x):
    for i, v in enumerate(x):
        if i + 1 < len(x):
            x[i + 1] += v
    return np.sum(x * x)


def zip_break_continue(x, y, c):
    s = 0.0
    for a, b in zip(x, y):
        if a > c:
            continue
        if s > 2.0:
            break
        s += a * b
    return s


def tuple_of_tuples(a, b):
    s = 0.0
    for p, q in ((a, b), (b, 2.0), (a * b, 3)):
        s += p * q
    return s


def tuple_loop_exits(a, n):
    s = 0.0
    for k in range(n):
        for c in (1.0, 2.0, 3.0, 4.0):
            if c == 2.0:
                continue
            if c * k > 3.0:
                break
            s += a * c * k
    for c in [a, 2.0 * a]:
        s += c
    return s


def tuple_enumerate_zip(a, b, n):
    s = 0.0
    for i, c in enumerate((a, b, 2.0), n):
        s += i * c
    for k, (p, q) in enumerate(zip((a, b), (b * b, 3.0, 4.0))):
        s += k * p * q
    return s


def fill(out, x):
    for i in range(len(x)):
        out[i] = x[i] * 2.0


def fill_until(out, x, c):
    for i in range(len(x)):
        if x[i] > c:
            return
        out[i] = x[i] * x[i]


def put(out, v):
    out[0] = v
    return


def scale(view, c):
    view *= c


def void_helpers(x, c):
    out = np.zeros(len(x))
    fill(out, x)
    s = np.sum(out * out)
    for k in range(3):
        put(out, x[k] * k)
        fill_until(out, x, c)
        s += out[0] + out[1]
    scale(out[1:], c)
    return s + np.sum(out)


def triple(a):
    return a, 2.0 * a, (a * a, 3)


def tuple_indices(a, b):
    t = (a, b, a * b)
    u = triple(b)
    return t[0] + t[-1] * t[-2] + u[-1][0] * u[1] - u[-1][-1] * t[1]
'''

X = np.array([0.3, 1.2, -0.7, 2.1])
Y = np.array([0.5, -1.1, 2.0, 0.9, 1.4])           # longer than X: zip stops at X's end
Z = np.array([1.5, -0.4, 0.8])                      # shorter than X
A = np.array([[0.4, -1.2, 2.0], [1.1, 0.7, -0.3], [0.9, 1.6, 0.2]])
R = np.array([[0.4, -1.2], [1.1, 0.7], [0.9, 1.6]])

CASES = [
    ("dot", (Y[:4], X, 4)), ("dot", (Y, X, 0)), ("squares", (X,)),
    ("zipped_helper", (X, Y)), ("zipped_helper", (Y, X)), ("with_start", (X, 0.7)),
    ("filtered", (X, 0.5)), ("two_filters", (X,)), ("clauses", (A,)), ("clauses", (R,)),
    ("nested_generators", (A,)), ("chained_filter", (X,)), ("largest_smallest", (X,)),
    ("not_leaking", (X,)), ("same_name", (X,)), ("generator_in_loop", (X, 0.5)),
    ("generator_in_condition", (X, 1.0)), ("generator_in_helper", (X,)), ("counted", (X, 0.0)),
    ("empty_generators", (X, 0)), ("enumerate_generator", (X,)), ("rows_with_start", (R,)),
    ("enumerated", (X,)), ("enumerated_start", (X, Z)), ("zipped", (X, Y)),
    ("zipped", (X, Z)), ("zipped", (X, X[:0])), ("zipped_three", (X, Y, Z)),
    ("zip_ranges", (X,)), ("enumerate_zip", (X, Y)), ("tuple_from_zip", (Z, X)),
    ("matrix_rows", (A, X)), ("loop_variable_after", (X,)),
    ("writes_while_iterating", (X,)), ("zip_break_continue", (X, Y, 1.5)),
    ("tuple_of_tuples", (0.8, -1.3)), ("tuple_loop_exits", (0.6, 3)),
    ("tuple_enumerate_zip", (0.8, -1.3, 2)),
    ("void_helpers", (X, 1.0)), ("tuple_indices", (0.8, -1.3)),
]


@pytest.fixture(scope="module")
def progs(tmp_path_factory):
    from conftest import load_source
    return load_source(tmp_path_factory.mktemp("everyday"), PROGRAMS, "everyday")


def _copies(args):
    return tuple(a.copy() if isinstance(a, np.ndarray) else a for a in args)


def _wrt(args):
    return tuple(i for i, a in enumerate(args)
                 if isinstance(a, float) or isinstance(a, np.ndarray) and a.dtype == float)


def check_everywhere(func, args):
    """Value = Python's; gradient = central differences; reverse = forward; compiled =
    jit=False; the caller's arrays unchanged. Forward mode runs as plain Python only, as in
    gradcheck.check_like_numpy (Numba's compile is the suite's time; tests/test_forward.py
    compiles the forward drivers)."""
    wrt = _wrt(args)
    expect = func(*_copies(args))
    fds = [fd_gradient(func, args, i) for i in wrt]
    before = _copies(args)
    got = {}
    for mode, jits in (("reverse", (True, False)), ("forward", (False,))):
        for jit in jits:
            value, grads = ad.value_and_grad(func, wrt=wrt, mode=mode, jit=jit)(*args)
            assert np.allclose(value, expect, rtol=1e-12, atol=1e-12), (mode, jit, value, expect)
            for i, g, fd in zip(wrt, grads, fds):
                np.testing.assert_allclose(g, fd, rtol=1e-6, atol=1e-8,
                                           err_msg=f"{mode} jit={jit} d/d{i}")
            got[mode, jit] = grads
            for a, b in zip(args, before):
                assert np.array_equal(a, b), "the caller's array was written"
    for key, grads in got.items():
        for g, ref in zip(grads, got["reverse", True]):
            np.testing.assert_allclose(g, ref, rtol=1e-10, atol=1e-12, err_msg=str(key))


@pytest.mark.parametrize("name,args", CASES, ids=[f"{n}-{k}" for k, (n, _) in enumerate(CASES)])
def test_program(progs, name, args):
    check_everywhere(getattr(progs, name), args)




def test_every_loop_is_predicted_and_lowered_once(progs, counts):
    """The abstract interpretation follows the new loops (and loops around them): no loop
    body is lowered more than once."""
    from adcompile.frontend import build_function
    from adcompile.arguments import arg_type
    for name, args in CASES:
        build_function(getattr(progs, name), [arg_type(str(i), a) for i, a in enumerate(args)])
    assert counts["predicted"] > 40 and counts["gave_up"] == 0
    assert counts["lowered"] == counts["predicted"]


def test_without_predictions_the_same_ir(progs, monkeypatch):
    """Lowering each loop body until its types settle (no prediction) gives the IR the
    prediction gives."""
    from adcompile.arguments import arg_type
    from adcompile.frontend import build_function
    from adcompile.irprint import format_function
    built = {}
    for name, args in CASES:
        types = [arg_type(str(i), a) for i, a in enumerate(args)]
        built[name, tuple(types)] = format_function(build_function(getattr(progs, name), types))
    monkeypatch.setattr(infer.Infer, "predict",
                        lambda self, node, target, element, start: None)
    for (name, types), text in built.items():
        assert format_function(build_function(getattr(progs, name), list(types))) == text, name


def test_zip_stops_at_the_shortest(progs):
    for x, y in ((X, Y), (Y, X), (X, Z), (X, X[:0])):
        n = min(len(x), len(y))
        g = ad.grad(progs.zipped, wrt=(0, 1), jit=False)(x, y)
        np.testing.assert_allclose(g[0][:n], y[:n])
        assert not g[0][n:].any() and not g[1][n:].any()


def test_max_over_a_generator_splits_ties_step_by_step(progs, load):
    m = load("def f(x):\n    return max(v for v in x)\n")
    for mode in ("reverse", "forward"):
        g = ad.grad(m.f, mode=mode, jit=False)(np.array([1.0, 3.0, 3.0]))
        np.testing.assert_allclose(g, [0.0, 0.5, 0.5])     # max(3, 3): 1/2 each, as max(a, b)
        g = ad.grad(m.f, mode=mode, jit=False)(np.array([2.0, 2.0, 2.0]))
        np.testing.assert_allclose(g, [0.25, 0.25, 0.5])


def test_max_and_min_of_an_empty_generator(load):
    m = load("def f(x, n):\n    return max(x[i] for i in range(n)) - min(x[i] for i in range(n))\n")
    value, g = ad.value_and_grad(m.f, jit=False)(np.ones(3), 0)
    assert value == -math.inf and not g.any()              # Python raises ValueError here


def test_generated_code_is_a_plain_loop(progs):
    src = ad.value_and_grad(progs.dot, wrt=(0, 1)).specialise(
        w="f64[:]", x="f64[:]", n="i64").source
    assert "total = total + w[i] * x[i]" in src
    src = ad.value_and_grad(progs.zipped, wrt=(0, 1)).specialise(x="f64[:]", y="f64[:]").source
    assert "min(x.shape[0], y.shape[0])" in src and "s = s + x[i] * y[i]" in src


def test_a_helper_returning_nothing_in_a_loop_and_in_a_branch(load):
    m = load('''
import numpy as np

def push(y, k, v):
    if v < 0.0:
        return
    y[k] += v

def f(x, c):
    y = np.zeros(3)
    for k in range(3):
        if c > 0.0:
            push(y, k, x[k] * c)
        else:
            push(y, 2 - k, x[k])
    return np.sum(y * y) + y[0]
''')
    for c in (0.7, -0.4):
        check_everywhere(m.f, (np.array([0.4, -1.0, 2.0]), c))


# ------------------------------------------------------------------------------ errors
BAD = '''import math
import numpy as np


def kept_generator(x):
    g = (v * v for v in x)
    return x[0]


def passed_generator(x):
    return np.sum(v for v in x)


def returned_generator(x):
    return (v + 1.0 for v in x)


def indexed_list(x):
    return [v for v in x if v > 0.0][0]


def array_of_comprehension(x):
    return np.sum(np.array(v * v for v in x))


def max_default(x):
    return max((v for v in x), default=0.0)


def sum_of_rows(A):
    return np.sum(sum(row for row in A))


def max_of_rows(A):
    return np.sum(max(row for row in A))


def zip_strict(x, y):
    s = 0.0
    for a, b in zip(x, y, strict=True):
        s += a * b
    return s


def enumerate_float_start(x):
    s = 0.0
    for i, v in enumerate(x, 1.5):
        s += v
    return s


def unpack_three(x, y):
    s = 0.0
    for a, b, c in zip(x, y):
        s += a
    return s


def unpack_row(A):
    s = 0.0
    for a, b in A:
        s += a * b
    return s


def loop_over_number(x):
    s = 0.0
    for v in x[0]:
        s += v
    return s


def zip_of_tuple(x):
    s = 0.0
    for a, b in zip((1.0, 2.0), x):
        s += a * b
    return s


def fill(out, x):
    out[0] = x[0]


def uses_nothing(x):
    out = np.zeros(2)
    y = fill(out, x)
    return out[0]


def adds_nothing(x):
    out = np.zeros(2)
    return 1.0 + fill(out, x)


def sometimes(out, x):
    if x[0] > 0.0:
        return
    return 2.0


def uses_sometimes(x):
    out = np.zeros(2)
    return sometimes(out, x)


def entry_without_return(x):
    y = x * 2.0


def entry_bare_return(x):
    return


def imports_inside(x):
    import math
    return math.sin(x[0])


def imports_from_inside(x):
    from math import sin
    return sin(x[0])


def recursive(x):
    if x[0] > 1.0:
        return recursive(x - 1.0)
    return x[0]


def tuple_out_of_range(x):
    t = (x[0], x[1])
    return t[2]


def tuple_variable_index(x):
    t = (x[0], x)
    return t[len(x) - 2]
'''

ERRORS = [
    ("kept_generator", UnsupportedSyntaxError, "generator expression", "(v * v for", "loop"),
    ("passed_generator", UnsupportedSyntaxError, "generator expression",
     "(v for v in x)\n\n\ndef returned", "sum"),
    ("returned_generator", UnsupportedSyntaxError, "generator expression", "(v + 1.0 for",
     "loop"),
    ("indexed_list", UnsupportedSyntaxError, "list comprehension", "[v for v in x if", "loop"),
    ("array_of_comprehension", UnsupportedSyntaxError, "np.array() of a generator",
     "(v * v for v in x))", "np.empty"),
    ("max_default", UnsupportedSyntaxError, "default=", "max((v for", "loop"),
    ("sum_of_rows", AdTypeError, "sum() of arrays", "sum(row for", "np.zeros"),
    ("max_of_rows", UnsupportedSyntaxError, "max() does not take arrays",
     "row for row in A))\n\n\ndef zip", "np.maximum"),
    ("zip_strict", UnsupportedSyntaxError, "zip() keyword", "zip(x, y, strict", "shortest"),
    ("enumerate_float_start", AdTypeError, "integer start", "1.5)", "enumerate(x, 1)"),
    ("unpack_three", AdTypeError, "cannot unpack 2 values into 3 names", "a, b, c in",
     "use 2 names"),
    ("unpack_row", AdTypeError, "cannot unpack a row of a matrix", "a, b in A", "row[0]"),
    ("loop_over_number", UnsupportedSyntaxError, "cannot run over a float", "x[0]:",
     "enumerate"),
    ("zip_of_tuple", UnsupportedSyntaxError, "zip() of a tuple with an array", "(1.0, 2.0)",
     "tuples with tuples"),
    ("uses_nothing", UnsupportedSyntaxError, "fill() returns nothing", "fill(out, x)\n",
     "line of its own"),
    ("adds_nothing", UnsupportedSyntaxError, "fill() returns nothing",
     "fill(out, x)\n\n\ndef sometimes", "line of its own"),
    ("uses_sometimes", UnsupportedSyntaxError, "returns a value elsewhere",
     "return\n    return 2.0", "every path"),
    ("entry_without_return", UnsupportedSyntaxError, "without returning",
     "def entry_without_return", "return"),
    ("entry_bare_return", UnsupportedSyntaxError, "return without a value",
     "return\n\n\ndef imports", "return the number"),
    ("imports_inside", UnsupportedSyntaxError, "import is not supported",
     "import math\n    return math.sin", "top of the file"),
    ("imports_from_inside", UnsupportedSyntaxError, "import is not supported",
     "from math import sin", "top of the file"),
    ("recursive", UnsupportedSyntaxError, "recursive call to recursive()",
     "recursive(x - 1.0)", "loop"),
    ("tuple_out_of_range", AdTypeError, "tuple index 2 out of range", "t[2]", "-2"),
    ("tuple_variable_index", UnsupportedSyntaxError, "known at compile time", "len(x) - 2]",
     "constant"),
]


@pytest.fixture(scope="module")
def bad(tmp_path_factory):
    from conftest import load_source
    return load_source(tmp_path_factory.mktemp("everyday_bad"), BAD, "everyday_bad")


def _where(marker):
    """(line, column) of the first occurrence of marker in BAD (1-based line, 0-based col)."""
    k = BAD.index(marker)
    line = BAD.count("\n", 0, k) + 1
    col = k - (BAD.rfind("\n", 0, k) + 1)
    return line, col


@pytest.mark.parametrize("name,kind,words,marker,hint", ERRORS, ids=[e[0] for e in ERRORS])
@pytest.mark.parametrize("mode", ["reverse", "forward"])
def test_rejected_with_a_located_error(bad, name, kind, words, marker, hint, mode):
    func = getattr(bad, name)
    args = (np.array([[0.5, 1.0], [2.0, 3.0]]),) if name in ("unpack_row", "sum_of_rows",
                                                                "max_of_rows") else \
        (np.array([0.5, 1.0, 2.0]),) * (2 if name in ("zip_strict", "unpack_three") else 1)
    with pytest.raises(AdCompileError) as info:
        ad.value_and_grad(func, mode=mode, jit=False)(*args)
    exc = info.value
    assert isinstance(exc, kind), repr(exc)
    text = str(exc)
    line, col = _where(marker)
    assert text.startswith(f"{bad.__file__}:{line}:{col + 1}:"), text
    assert words in text.splitlines()[0], text
    assert "^" in text.splitlines()[2], text
    assert "hint:" in text, text
    if hint:
        assert hint in text.split("hint:")[1], text
    assert "Traceback" not in text and "adcompile/" not in text.replace(bad.__file__, "")
    assert not isinstance(exc, UnknownFunctionError) or "calls" in text
