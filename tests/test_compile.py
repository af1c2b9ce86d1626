"""ad.compile(f): the function itself through adcompile's code generation. Its values are
Python's (loops, arrays, tuple outputs, dict parameters, ints), its errors the located ones
of the derivatives, the caller's arrays are never written, and what exists only for a
derivative (np.max's even split over ties) is left out of the code."""
import re

import numpy as np
import pytest

import adcompile as ad

SRC = '''import math
import numpy as np

def lse(x):
    a = np.max(x)
    return a + np.log(np.sum(np.exp(x - a)))

def simulate(k, x0, n):
    x, v = x0, 0.0
    for i in range(n):
        a = -k * x - 0.1 * v
        v = v + 0.01 * a
        x = x + 0.01 * v
    return x

def two(x, c):
    y = np.tanh(x) * c
    y[0] = c
    return y, np.min(x)

def params(p, x):
    return np.sum(p["w"] * x) + p["b"]

def reads(x, i):
    return x[i] * 2.0

def smallest(C, P):
    total = 0.0
    for i in range(P.shape[0]):
        total = total + np.min(np.sum((C - P[i]) ** 2, axis=1))
    return total
'''


@pytest.fixture(scope="module")
def m(tmp_path_factory):
    from conftest import load_source
    return load_source(tmp_path_factory.mktemp("compile"), SRC, "compile_prog")


def _args(rng):
    x = rng.standard_normal(7)
    return {"lse": (x,), "simulate": (1.5, 0.3, 200), "two": (x, 0.7),
            "params": ({"w": x, "b": 0.25}, x * 2.0), "reads": (x, -2),
            "smallest": (rng.standard_normal((4, 3)), rng.standard_normal((9, 3)))}


@pytest.mark.parametrize("jit", [False, True])
def test_values_are_pythons(m, jit):
    args = _args(np.random.default_rng(0))
    for name, a in args.items():
        copies = [np.copy(v) if isinstance(v, np.ndarray) else v for v in a]
        got, expect = ad.compile(getattr(m, name), jit=jit)(*a), getattr(m, name)(*a)
        for g, e in zip(*(v if isinstance(v, tuple) else (v,) for v in (got, expect))):
            np.testing.assert_allclose(g, e, rtol=1e-13, atol=1e-14, err_msg=name)
        assert type(got) is type(expect) or np.isscalar(expect), name
        for v, c in zip(a, copies):
            if isinstance(v, np.ndarray):
                assert np.array_equal(v, c), f"{name} wrote the caller's array"


def test_max_and_min_at_ties_and_nan(m):
    """np.max is the maximum itself (ties, NaN, -inf): the tie split its derivatives use
    is not in the compiled code, which reads x once for np.max."""
    f = ad.compile(m.lse)
    for x in ([1.0, 3.0, 3.0, -2.0], [np.nan, 1.0, 2.0], [-np.inf, -np.inf], [np.inf, 1.0]):
        x = np.array(x)
        with np.errstate(all="ignore"):               # the sum in lanes (sums.py), as
            np.testing.assert_allclose(f(x), m.lse(x), rtol=1e-15)   # NumPy's: not in order
    loops = lambda src: len(re.findall(r"^\s+for (?!.* n_quads)", src, re.M))  # noqa: E731
    assert loops(f.source) == 3 and "== " not in f.source, f.source   # max, exp, sum
    assert f.source.count("* n_quads") == 2        # max and sum in lanes, then their tails
    g = ad.grad(m.lse, jit=False)
    g(np.ones(3))
    assert "== " in g.source                   # the gradient still counts the ties


def test_errors_are_located(m):
    with pytest.raises(ad.OutOfRangeError) as info:
        ad.compile(m.reads)(np.ones(3), 5)
    assert str(info.value).startswith("compile_prog.py:")
    with pytest.raises(ad.AdCompileError, match="derivative"):
        ad.compile(ad.grad(m.lse))(np.ones(3))


def test_decorator_form_and_source(tmp_path):
    from conftest import load_source
    mod = load_source(tmp_path, "import adcompile as ad\n\n@ad.compile\ndef sq(x):\n"
                                "    return x * x + 1.0\n", "compile_deco")
    assert mod.sq(3.0) == 10.0
    assert "def sq_compiled(x):" in mod.sq.source
