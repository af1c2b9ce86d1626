"""Bad input gets a clear error naming the user's file:line:col with the line and a caret,
a hint, and no adcompile-internal frames in front of it."""
import os
import traceback

import pytest

import adcompile as ad
from adcompile.errors import AdCompileError, AdTypeError, JitError, UnknownFunctionError, \
    UnsupportedSyntaxError

BAD = '''import math
import numpy as np
import adcompile as ad

STATE = {'k': 1.0}

def helper(t):
    return t * 2.0

def uses_lambda(x):
    g = lambda t: t * 2
    return g(x)

def uses_class(x):
    class A:
        pass
    return x

def uses_try(x):
    try:
        y = x
    except Exception:
        y = 0.0
    return y

def uses_with(x):
    with open("f") as fh:
        pass
    return x

def uses_generator(x):
    g = (t * x for t in range(3))
    return x

def uses_listcomp(x):
    return [x for _ in range(2) if x > 0][0]

def uses_global(x):
    global STATE
    return x

def uses_nonlocal(x):
    def inner():
        nonlocal x
    return x

def uses_yield(x):
    yield x

def uses_star(x, *args):
    return x

def recursive(x):
    if x > 1.0:
        return recursive(x - 1.0)
    return x

def mutual_a(x):
    return mutual_b(x)

def mutual_b(x):
    return mutual_a(x)

def unknown_math(x):
    return math.ldexp(x, 2)

def unknown_numpy(x):
    return np.i0(x)

def unknown_builtin(x):
    return sorted(x)

def mutable_global(x):
    return x * STATE['k']

def no_return(x):
    if x > 0:
        return x

def undefined(x):
    return x * zzz

def for_number(x):
    for v in x:
        x = x * v
    return x

def range_of_float(x):
    s = 0.0
    for i in range(x):
        s += i
    return s

def tuple_out(x):
    return x, x

def int_out(n):
    return n * 2

def string_const(x):
    s = "text"
    return x * s

def bad_unpack(x):
    a, b, c = x, x
    return a

def list_append(x):
    kept = []
    for k in range(3):
        kept.append(x * k)
    return kept[0]

def calls_hvp(x):
    return hv(x, 1.0)

@ad.hvp
def hv(x):
    return x * x
'''

SYNTAX = [
    ("uses_lambda", UnsupportedSyntaxError, "lambda", 'g = lambda t', "def"),
    ("uses_class", UnsupportedSyntaxError, "class", 'class A:', "outside"),
    ("uses_try", UnsupportedSyntaxError, "try", '    try:', "try"),
    ("uses_with", UnsupportedSyntaxError, "with", 'with open', "with"),
    ("uses_generator", UnsupportedSyntaxError, "generator expression", '(t * x for', "loop"),
    ("uses_listcomp", UnsupportedSyntaxError, "comprehension", '[x for _', "loop"),
    ("uses_global", UnsupportedSyntaxError, "global", 'global STATE', "argument"),
    ("uses_nonlocal", UnsupportedSyntaxError, "nested function", 'def inner', "module level"),
    ("uses_yield", UnsupportedSyntaxError, "yield", 'yield x', "generators"),
    ("recursive", UnsupportedSyntaxError, "recursive", 'return recursive(x - 1.0)', "loop"),
    ("mutual_a", UnsupportedSyntaxError, "recursive", 'return mutual_a(x)', "loop"),
    ("unknown_math", UnknownFunctionError, "math.ldexp", 'math.ldexp(x, 2)', "math.sin"),
    ("unknown_numpy", UnknownFunctionError, "np.i0", 'np.i0(x)', "np.sin"),
    ("unknown_builtin", UnknownFunctionError, "sorted", 'sorted(x)', "helper"),
    ("mutable_global", UnsupportedSyntaxError, "dict", "STATE['k']", "argument"),
    ("no_return", UnsupportedSyntaxError, "without returning", 'def no_return', "return"),
    ("undefined", UnsupportedSyntaxError, "'zzz' is not defined", 'x * zzz', "argument"),
    ("for_number", UnsupportedSyntaxError, "cannot run over a float", 'for v in x', "range"),
    ("range_of_float", AdTypeError, "range() needs integers", 'range(x)', "int("),
    ("tuple_out", AdTypeError, "tuple of 2", 'return x, x', "one float"),
    ("string_const", AdTypeError, "string", 'x * s', "=="),
    ("bad_unpack", AdTypeError, "unpack", 'a, b, c =', None),
    ("list_append", UnsupportedSyntaxError, "list method .append()", 'kept.append(', "kept[k] = y"),
    ("calls_hvp", AdCompileError, "takes more than", 'return hv(x, 1.0)', "ad.jvp"),
]


@pytest.fixture(scope="module")
def bad(tmp_path_factory):
    from conftest import load_source
    return load_source(tmp_path_factory.mktemp("bad"), BAD, "bad_module")


def _raise(call):
    try:
        call()
    except AdCompileError as exc:
        return exc
    raise AssertionError("no error raised")


def _line_of(marker):
    return next(i for i, text in enumerate(BAD.splitlines(), 1) if marker in text)


@pytest.mark.parametrize("name,kind,words,marker,hint", SYNTAX, ids=[s[0] for s in SYNTAX])
def test_error_names_the_users_line(bad, name, kind, words, marker, hint):
    line = _line_of(marker)
    exc = _raise(lambda: ad.grad(getattr(bad, name))(1.5))
    assert isinstance(exc, kind)
    text = str(exc)
    first = text.splitlines()[0]
    assert first.startswith(f"{bad.__file__}:{line}:"), text
    assert words in first, text
    assert "^" in text.splitlines()[2], text           # the caret under the column
    assert text.splitlines()[1].strip() in BAD          # the user's source line
    if hint:
        assert "hint:" in text and hint in text.split("hint:")[1], text
    assert "adcompile/" not in text.replace(bad.__file__, "")


def test_caret_points_at_the_column(bad):
    exc = _raise(lambda: ad.grad(bad.unknown_math)(1.5))
    _, source, caret = str(exc).splitlines()[:3]
    col = caret.index("^")
    assert source[col:].startswith("math.ldexp")
    assert exc.loc.col + 1 == int(str(exc).split(":")[2])


def test_star_args_empty_is_compiled_and_values_for_it_are_refused(bad):
    # def fun(self, x, *args), as optimisation suites write it: compiled for calls that
    # pass nothing to *args; a value passed to it is a type error naming the def
    assert ad.grad(bad.uses_star)(2.0) == 1.0
    exc = _raise(lambda: ad.grad(bad.uses_star)(2.0, 3.0))
    assert isinstance(exc, AdTypeError) and "*args" in str(exc)
    assert f"{bad.__file__}:{_line_of('def uses_star')}:" in str(exc)


def test_wrong_argument_type_is_a_type_error_naming_the_parameter(bad):
    # a list is a structured parameter (its leaves separate values, as in JAX): arithmetic
    # on it is an error at the user's line saying how to pass an array
    with pytest.raises(TypeError, match="does not apply to a tuple") as info:
        ad.grad(bad.helper)([1.0])
    assert str(info.value).startswith(f"{bad.__file__}:{_line_of('t * 2.0')}:")
    assert "np.asarray" in info.value.hint
    with pytest.raises(TypeError, match="parameter 't'.*set"):
        ad.grad(bad.helper)({1.0})
    with pytest.raises(TypeError, match="parameter 't'.*str") as info:
        ad.grad(bad.helper)(t="a")


def test_gradient_with_respect_to_an_int_is_an_error(bad):
    with pytest.raises(AdTypeError, match="parameter 'n'.*int") as info:
        ad.grad(bad.int_out)(3)
    assert "3.0" in str(info.value)


def test_wrong_arity_and_unknown_keyword(bad):
    with pytest.raises(TypeError, match="helper"):
        ad.grad(bad.helper)(1.0, 2.0)
    with pytest.raises(TypeError, match="unexpected keyword"):
        ad.grad(bad.helper)(1.0, q=2.0)


def test_bad_wrt(bad):
    with pytest.raises(AdCompileError, match="no parameter 'q'"):
        ad.grad(bad.helper, wrt="q")
    with pytest.raises(AdCompileError, match="has 1 parameters"):
        ad.grad(bad.helper, wrt=3)


def test_source_unavailable_is_explained():
    namespace = {}
    exec("def f(x):\n    return x\n", namespace)
    with pytest.raises(UnsupportedSyntaxError, match="cannot read the source"):
        ad.grad(namespace["f"])(1.0)


def test_traceback_starts_in_user_code(bad):
    try:
        ad.grad(bad.unknown_math)(1.5)
    except AdCompileError as exc:
        frames = traceback.extract_tb(exc.__traceback__)
        assert len(frames) <= 2                    # the user's call, and one line of api.py
        assert exc.__cause__ is None and exc.__suppress_context__


def test_numba_failure_names_the_generated_file(tmp_path):
    from adcompile.jit import compile_function, run_compiled, write_module
    src = "def broken(x):\n    return undefined_name_in_generated_code + x\n"
    path = write_module(src, "broken")
    fn = compile_function(path, "broken", jit=True)
    with pytest.raises(JitError) as info:
        run_compiled(fn, (1.0,), path)
    assert str(path) in str(info.value)
    assert os.path.exists(path)


@pytest.mark.parametrize("body,words", [
    ("    return np.sum(x[idx * 1.0])\n", "astype(int)"),
    ("    return np.sum(x[x])\n", "astype(int)"),
    ("    return x[0] * LIST['a']\n", "pass it as an argument"),
])
def test_hints_point_the_right_way(load, body, words):
    import numpy as np
    m = load("import numpy as np\nLIST = {'a': 1.0}\n\ndef f(x, idx):\n" + body)
    with pytest.raises(ad.AdCompileError) as err:
        ad.grad(m.f)(np.ones(4), np.array([0, 2]))
    assert words in err.value.hint and "int(" not in err.value.hint
    assert str(err.value).startswith(m.__file__)


def test_hints_name_doc_files_that_exist(load):
    """A hint that points to the docs names a file that exists on this machine (the
    checkout's docs/, or the copy installed under <prefix>/share/adcompile/docs)."""
    import os
    import re
    m = load("import os\n\ndef f(x):\n    return x * os.getpid()\n")
    with pytest.raises(ad.AdCompileError) as err:
        ad.grad(m.f)(1.0)
    paths = re.findall(r"(\S+\.md)", err.value.hint or "")
    assert paths and all(os.path.exists(p) for p in paths)
    from adcompile.docs import doc_path
    for name in ("supported.md", "conventions.md", "nonsmooth.md"):
        assert os.path.exists(doc_path(name))
