"""Random programs whose names are bound on some paths only: in one arm of an if (or some
arms of an elif chain), inside a loop that may run zero times or be left by break before
the binding, inside a while loop, as the loop variable itself; then read after the if or
loop, read later in the same loop (`prev`, bound from the second iteration on), read only
in the arm that binds them, bound again on every path before the read, or never read (a
temporary of one arm inside a loop, scalar or array). Python raises UnboundLocalError
where a read finds no binding; every transform must raise adcompile's located
UnboundNameError (an UnboundLocalError) exactly there, and agree with the others and with
central differences elsewhere (the checks of test_random_bounds: both modes,
checkpointed, the Jacobian of the gradient, hvp).
"""
from __future__ import annotations

import random

import numpy as np
import pytest
from hypothesis import given, strategies as st

import adcompile as ad
from adcompile.errors import UnboundNameError
from conftest import in_ci
from test_random_bounds import check, points, python_result, transforms
from test_random_families import Choices

HEADER = ["import math", "import numpy as np", "", "def f(x, A, n, k):", "    s = 0.0"]
CONDS = ["x[0] > 0.0", "n > 2", "k < 0", "s > x[4]", "x[1] < x[2]"]
TERMS = ["math.sin(x[{i}]) * x[{j}]", "x[{i}] * A[{j} % 3, 1]", "math.tanh(x[{i}] + s)",
         "np.sum(np.sin(x) * x[{i}])", "x[{i}] * x[{i}]"]
ARRAYS = ["np.sin(x) * x[{i}]", "x * A[0, {j} % 3]", "np.tanh(x + s)"]


def value(ch: Choices, i="0", j="1"):
    return ch.pick(TERMS).format(i=i, j=j)


def read(name, is_array):
    return f"np.sum({name} * x)" if is_array else f"{name} * x[3]"


def block(ch: Choices, t: str) -> list:
    """Lines (at function level) that may leave `t` unbound, and may read it."""
    arr = ch.bool(0.3)
    bind = f"{t} = " + (ch.pick(ARRAYS).format(i="i % 5" if "i" in t else "2", j="k")
                        if arr else value(ch, "2", "4"))
    kind = ch.pick(["if", "elif", "for", "break", "while", "prev", "arm", "both", "temp",
                    "index"])
    cond = ch.pick(CONDS)
    if kind == "if":                        # one arm binds; read after the if
        lines = [f"if {cond}:", f"    {bind}"]
        if ch.bool():
            lines += ["else:", f"    s = s + {value(ch, '1', '3')}"]
    elif kind == "elif":                    # some arms of a chain bind
        lines = [f"if {cond}:", f"    {bind}", f"elif {ch.pick(CONDS)}:",
                 f"    s = s + {value(ch, '1', '3')}", "else:", f"    {bind} * 0.5"]
    elif kind in ("for", "break"):          # zero trips, or left before the binding
        bind = bind.replace("x[2]", "x[i % 5]")
        lines = [f"for i in range({ch.pick(['n', 'k', '2'])}):"]
        if kind == "break":
            lines += [f"    if {ch.pick(['i >= 2', 'x[i % 5] < 0.0', 's > 1.0'])}:",
                      "        break"]
        lines += [f"    {bind}", f"    s = s + {value(ch, 'i % 5', '(i + 1) % 5')}"]
    elif kind == "while":
        lines = ["m = 0", "while m < n:", f"    {bind}", "    m = m + 1"]
    elif kind == "prev":                    # bound from the second iteration on
        lines = [f"for i in range({ch.pick(['n', '4'])}):", "    if i > 0:",
                 f"        s = s + ({t} - x[i % 5]) ** 2", f"    {t} = x[i % 5] * 1.5"]
        return lines
    elif kind == "arm":                     # read only where bound
        return [f"if {cond}:", f"    {bind}", f"    s = s + {read(t, arr)}"]
    elif kind == "both":                    # maybe unbound, then bound on every path
        other = bind.replace(" = ", " = 2.0 * ", 1)
        lines = [f"if {cond}:", f"    {bind}", f"if {ch.pick(CONDS)}:", f"    {bind}",
                 "else:", f"    {other}"]
    elif kind == "temp":                    # a temporary of one arm in a loop, unread after
        return [f"for i in range({ch.pick(['n', '3'])}):", f"    if {cond}:",
                f"        {bind.replace('x[2]', 'x[i % 5]')}",
                f"        s = s + {read(t, arr)}", "    else:", "        s = s * 0.9"]
    else:                                   # the loop variable, after the loop
        return [f"for {t} in range({ch.pick(['n', 'k', '1'])}):",
                f"    s = s + {value(ch, '0', '1')}", f"s = s + {t} * x[4]"]
    if ch.bool(0.8):
        lines.append(f"s = s + {read(t, arr)}")
    return lines


def gen_unbound(ch: Choices) -> str:
    lines = list(HEADER)
    for b in range(ch.int(1, 3)):
        lines += ["    " + ln for ln in block(ch, f"t{b}")]
    lines.append("    return s")
    return "\n".join(lines) + "\n"


@given(data=st.data())
def test_random_unbound_without_jit(data, tmp_path_factory):
    """Hypothesis programs at several points, every transform as Python."""
    from conftest import load_source
    ch = Choices(draw=data.draw)
    module = load_source(tmp_path_factory.mktemp("unbound"), gen_unbound(ch), "unboundprog")
    fns = transforms(module.f, False)
    for _ in range(3):
        check(module, points(ch), fns=fns)


COMPILED_SEEDS = 1 if in_ci() else 3


def test_random_unbound_seeded_both_ways(tmp_path):
    """Seeded programs at several points, UnboundLocalError at some of them: 40 without
    Numba, the first compiled in every transform (three in a long run)."""
    from conftest import load_source
    raised = 0
    for seed in range(40):
        ch = Choices(rng=random.Random(f"unbound-{seed}"))
        module = load_source(tmp_path, gen_unbound(ch), f"unbound{seed}")
        for jit in (False, True) if seed < COMPILED_SEEDS else (False,):
            fns = transforms(module.f, jit)
            for p in range(4):
                args = points(Choices(rng=random.Random(f"unbound-{seed}-{p}")))
                raised += isinstance(python_result(module.f, args), UnboundLocalError)
                check(module, args, jit, fns)
    assert raised >= 20                      # the programs do reach unbound reads


# Programs written out: what the generator draws, and what it found.
ONE_ARM = '''import numpy as np
SCALE = 2.0

def temp_in_arm(x, c):
    y = x * 1.0
    for k in range(3):
        if c > 0.6:
            k1 = np.sin(y)
            y = k1 * 2.0
        else:
            y = y * x
    return np.sum(y)

def temp_in_while_arm(x, c):
    s = 0.0
    k = 0
    while k < 3:
        if c > 0.6:
            k1 = np.sin(x) * k
            s = s + np.sum(k1)
        else:
            s = s * c
        k += 1
    return s

def read_after(x, c):
    if c > 0.6:
        k1 = np.sin(x)
    return np.sum(k1 * x)

def kept_after_break(x, n):
    s = 0.0
    for i in range(n):
        if i >= 2:
            break
        t = x[i] * x[i]
        s = s + x[i]
    return s + t * x[3]

def loop_variable(x, n):
    for i in range(n):
        x = x * 1.5
    return np.sum(x) * i

def prev(x, n):
    s = 0.0
    for i in range(n):
        if i > 0:
            s = s + (x[i] - p) ** 2
        p = x[i] * 1.5
    return s

def shadows_global(x):
    y = x * SCALE
    SCALE = 3.0
    return np.sum(y) * SCALE

def two_types(x, c):
    s = 0.0
    for i in range(3):
        if c > 0.6:
            k1 = np.zeros(3) + x
        s += np.sum(k1)
        k1 = 1.0
    return s
'''


@pytest.fixture(scope="module")
def written(tmp_path_factory):
    from conftest import load_source
    return load_source(tmp_path_factory.mktemp("unbound"), ONE_ARM, "unbound_written")


@pytest.mark.parametrize("name,args,raises", [
    ("temp_in_arm", (np.array([0.1, 0.2, 0.3]), 0.7), False),
    ("temp_in_arm", (np.array([0.1, 0.2, 0.3]), 0.5), False),
    ("temp_in_while_arm", (np.array([0.1, 0.2, 0.3]), 0.7), False),
    ("temp_in_while_arm", (np.array([0.1, 0.2, 0.3]), 0.5), False),
    ("read_after", (np.array([0.1, 0.2, 0.3]), 0.7), False),
    ("read_after", (np.array([0.1, 0.2, 0.3]), 0.5), True),
    ("kept_after_break", (np.array([0.1, -0.2, 0.3, 0.4]), 4), False),   # t from i = 1
    ("kept_after_break", (np.array([0.1, -0.2, 0.3, 0.4]), 0), True),
    ("loop_variable", (np.array([0.1, 0.2, 0.3]), 3), False),
    ("loop_variable", (np.array([0.1, 0.2, 0.3]), 0), True),
    ("prev", (np.array([0.1, 0.2, 0.3]), 3), False),
])
@pytest.mark.parametrize("jit", [False, True])
def test_names_bound_on_some_paths(written, name, args, raises, jit):
    """Temporaries of one arm inside loops compile (they were refused: a name first bound
    in a loop had a float type to start from); a read where no binding ran raises the
    located UnboundNameError in both modes, as Python raises UnboundLocalError; elsewhere
    the value is Python's and the gradient matches the other mode and central
    differences."""
    from test_arrays import _fd
    f = getattr(written, name)
    fns = [ad.value_and_grad(f, jit=jit, mode=m) for m in ("reverse", "forward")]
    if raises:
        with pytest.raises(UnboundLocalError):
            f(*args)
        for fn in fns:
            with pytest.raises(UnboundNameError) as info:
                fn(*args)
            assert str(info.value).startswith(written.__file__.rsplit("/", 1)[1] + ":")
        return
    (v, g), (vf, gf) = (fn(*args) for fn in fns)
    assert np.isclose(v, f(*args), rtol=1e-13) and np.isclose(vf, v, rtol=1e-13)
    np.testing.assert_allclose(gf, g, rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(g, _fd(f, args, 0, 1e-6), rtol=1e-5, atol=1e-7)


def test_a_local_read_before_any_binding_is_refused(written):
    """`y = x * SCALE` before `SCALE = 3.0` in the same function: Python raises
    UnboundLocalError (SCALE is local); adcompile read the global. Now a located error."""
    with pytest.raises(UnboundNameError) as info:
        ad.grad(written.shadows_global)(np.ones(3))
    assert "'SCALE'" in str(info.value) and str(info.value).startswith(written.__file__)


def test_a_name_of_two_types_is_still_refused(written):
    """An array in one arm, a float at the end of the body: a type error, not a merge
    that takes the array's type for the float."""
    with pytest.raises(ad.AdTypeError, match="k1"):
        ad.grad(written.two_types)(np.ones(3), 0.7)
