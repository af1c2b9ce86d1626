"""Adding a primitive is one row.

The rows below are defined at test time with `adcompile.prims.row` alone (no other file knows
them) and removed afterwards; cbrt, asinh and deg2rad stand in for the table's own rows of
those names while a test runs. Each is then reached from Python like any row of the table: as
a number and mapped elementwise over arrays (with broadcasting), differentiated in reverse
mode (against central differences) and in forward mode (against reverse mode), the generated
code compiled by Numba and run as plain Python; its second derivatives come from its partials
too.
"""
import math
import re
from dataclasses import fields

import numpy as np
import pytest

import adcompile as ad
from adcompile import prims, resolve
from adcompile.types import F64
from gradcheck import check_gradient, check_like_numpy


def _float(*args, **attrs):
    return F64


_MATH_CBRT = (math.cbrt,) if hasattr(math, "cbrt") else ()       # Python 3.11


# name -> (the row: everything about the primitive, how users write it, a point domain)
NEW = {
    "exp2": (lambda: prims.row(
        "exp2", 1, lambda x: float(np.exp2(x)), prims.call("np.exp2"), _float,
        lambda b, o, x: (b.prim("mul", o, math.log(2.0)),), cost="expensive",
        elementwise=True, bindings=(np.exp2,)),
        "np.exp2(x)", None),
    "logaddexp": (lambda: prims.row(
        "logaddexp", 2, lambda x, y: float(np.logaddexp(x, y)), prims.call("np.logaddexp"),
        _float, lambda b, o, x, y: (b.prim("exp", b.prim("sub", x, o)),
                                    b.prim("exp", b.prim("sub", y, o))),
        cost="expensive", elementwise=True, finite_partials=True, bindings=(np.logaddexp,)),
        "np.logaddexp(x, y)", None),
    "erf": (lambda: prims.row(           # math's functions take numbers only
        "erf", 1, math.erf, prims.call("math.erf"), _float,
        lambda b, o, x: (b.prim("mul", 2.0 / math.sqrt(math.pi),
                                b.prim("exp", b.prim("neg", b.prim("mul", x, x)))),),
        cost="expensive", elementwise=True, finite_partials=True, bindings=(math.erf,)),
        "math.erf(x)", None),
    "sinc": (lambda: prims.row(           # its partial's removable singularity: a select
        "sinc", 1, lambda x: float(np.sinc(x)), prims.call("np.sinc"), _float,
        lambda b, o, x: (b.prim("select", b.prim("eq", x, 0.0), 0.0, b.prim(
            "div", b.prim("sub", b.prim("cos", b.prim("mul", x, math.pi)), o), x)),),
        cost="expensive", elementwise=True, bindings=(np.sinc,)),
        "np.sinc(x)", None),
    # the table's own examples, one row each
    "cbrt": (lambda: prims.row(
        "cbrt", 1, lambda x: float(np.cbrt(x)), prims.call("np.cbrt"), _float,
        lambda b, o, x: (b.prim("div", 1.0 / 3.0, b.prim("mul", o, o)),), cost="expensive",
        kink=prims.Kink("singular", "x == 0", convention=math.inf, hit="zero"),
        elementwise=True, bindings=(np.cbrt,) + _MATH_CBRT),
        "np.cbrt(x)", None),
    "asinh": (lambda: prims.row(
        "asinh", 1, math.asinh, prims.call("math.asinh"), _float,
        lambda b, o, x: (b.prim("div", 1.0, b.prim("sqrt", b.prim("add", b.prim("mul", x, x),
                                                                   1.0))),),
        cost="expensive", elementwise=True, finite_partials=True,
        bindings=(math.asinh, np.arcsinh)),
        "np.arcsinh(x)", None),
    "deg2rad": (lambda: prims.row(
        "deg2rad", 1, math.radians, prims.call("math.radians"), _float,
        lambda b, o, x: (math.pi / 180.0,), elementwise=True, finite_partials=True,
        bindings=(math.radians, np.deg2rad, np.radians)),
        "np.deg2rad(x)", None),
}
POINTS = {None: [(0.7, -1.3), (-0.4, 0.9), (1.9, 2.6)]}


@pytest.fixture
def new_rows():
    """The rows of NEW in the table for one test (the table's own rows of those names taken
    out meanwhile); the table as it was afterwards (resolve's callee table follows the
    table's version)."""
    before = dict(prims.PRIMS)
    own = [prims.PRIMS[name] for name in NEW if name in prims.PRIMS]
    for p in own:
        prims.remove(p.name)
    try:
        for define, _, _ in NEW.values():
            define()
        yield NEW
    finally:
        for name in NEW:
            if name in prims.PRIMS:
                prims.remove(name)
        for p in own:                          # put back as they were
            prims.row(**{f.name: getattr(p, f.name) for f in fields(p)})
        assert prims.PRIMS == before


def _module(load, expr):
    return load(f"import math\nimport numpy as np\n\ndef f(x, y):\n    return {expr}\n")


@pytest.mark.parametrize("name", sorted(NEW))
def test_scalar_calls(name, new_rows, load):
    """Reverse mode against central differences, compiled and plain (check_gradient), and
    forward mode equal to reverse mode, compiled and plain."""
    _, expr, domain = NEW[name]
    m = _module(load, f"{expr} * y + x")
    for point in POINTS[domain]:
        check_gradient(m.f, point, wrt=(0, 1), rtol=1e-7, atol=1e-9)
        for jit in (True, False):
            rev = ad.grad(m.f, wrt=(0, 1), jit=jit)(*point)
            fwd = ad.grad(m.f, wrt=(0, 1), jit=jit, mode="forward")(*point)
            assert fwd == pytest.approx(rev, rel=1e-13, abs=1e-15), (name, jit)
    compiled = ad.grad(m.f, wrt=(0, 1)).specialise()
    assert re.search(rf"= {name} ", compiled.ir), compiled.ir     # the row's op


@pytest.mark.parametrize("name", sorted(n for n in NEW if NEW[n][1].startswith("np.")))
def test_elementwise_over_arrays(name, new_rows, load):
    """np.<f> of arrays, broadcast with a 1-d array: fused into loops, differentiated by both
    modes, compiled and plain, against central differences and NumPy's value."""
    _, expr, _ = NEW[name]
    m = load(f"import numpy as np\n\ndef f(x, y):\n    return np.sum(np.sin({expr}) * y)\n")
    rng = np.random.default_rng(7)
    args = (rng.uniform(-1.5, 1.5, (3, 4)), rng.uniform(-1.5, 1.5, 4))
    for mode in ("reverse", "forward"):
        check_like_numpy(m.f, args, wrt=(0, 1), modes=(mode,), jits=(True, False))


def test_math_spellings_take_numbers_only(new_rows, load):
    m = _module(load, "math.erf(x)[0]")
    with pytest.raises(ad.UnsupportedSyntaxError, match=r"math\.erf\(\) does not take arrays"):
        ad.grad(m.f, jit=False)(np.ones(3), 1.0)


@pytest.mark.parametrize("name", sorted(NEW))
def test_second_order_from_the_partials(name, new_rows, load):
    """hvp (forward over reverse of the row's partials) against central differences of the
    gradient."""
    _, expr, domain = NEW[name]
    m = _module(load, f"({expr}) * (1.5 + x - 0.5 * y)")
    hvp = ad.hvp(m.f, wrt=(0, 1), jit=False)
    grad = ad.grad(m.f, wrt=(0, 1), jit=False)
    v, h = (0.6, -0.8), 1e-4
    for x, y in POINTS[domain]:
        up = grad(x + h * v[0], y + h * v[1])
        down = grad(x - h * v[0], y - h * v[1])
        fd = [(a - b) / (2 * h) for a, b in zip(up, down)]
        assert list(hvp(x, y, *v)) == pytest.approx(fd, rel=1e-6, abs=1e-8), (name, x, y)


def test_a_removed_row_is_an_unknown_function_again(load):
    m = _module(load, "np.exp2(x) + y")
    define, _, _ = NEW["exp2"]
    own = prims.PRIMS["exp2"]                 # the table's own row, put back afterwards
    prims.remove("exp2")
    assert resolve.callee_of(np.exp2) is None
    define()
    try:
        assert isinstance(resolve.callee_of(np.exp2), prims.Binding)
        assert ad.grad(m.f, jit=False)(1.0, 0.0) == pytest.approx(2.0 * math.log(2.0))
        with pytest.raises(ValueError, match="already"):
            define()                              # one row per name, one row per callable
    finally:
        prims.remove("exp2")
    assert resolve.callee_of(np.exp2) is None
    try:
        with pytest.raises(ad.UnknownFunctionError, match=r"(?s)np\.exp2.*did you mean np\.exp\?"):
            ad.grad(_module(load, "np.exp2(x) + y").f, jit=False)(1.0, 0.0)
    finally:
        prims.row(**{f.name: getattr(own, f.name) for f in fields(own)})
    assert isinstance(resolve.callee_of(np.exp2), prims.Binding)


def test_the_real_rows_answer_to_their_spellings():
    """The rows added to the table itself (docs/supported.md), each under every spelling."""
    spellings = {"cbrt": [np.cbrt, *_MATH_CBRT], "asinh": [math.asinh, np.arcsinh],
                 "acosh": [math.acosh, np.arccosh], "atanh": [math.atanh, np.arctanh],
                 "deg2rad": [math.radians, np.deg2rad, np.radians],
                 "rad2deg": [math.degrees, np.rad2deg, np.degrees]}
    for name, objs in spellings.items():
        for obj in objs:
            callee = resolve.callee_of(obj)
            assert isinstance(callee, prims.Binding) and callee.row == name, (name, obj)
    assert prims.PRIMS["cbrt"].kink.kind == "singular"
    assert prims.PRIMS["acosh"].kink.where == "x == 1"
    assert prims.PRIMS["atanh"].kink.where == "|x| == 1"


def test_runtime_helpers_are_defined_once_in_runtime():
    """Every helper a row's emitter calls exists in adcompile/runtime.py, and generated code
    imports exactly those of them it calls."""
    from adcompile import runtime
    from adcompile.codegen import runtime_helpers
    for h in runtime_helpers():
        assert callable(getattr(runtime, h)), h
    assert {"same_size", "inbounds", "checked_matmul", "outer"} <= prims.runtime_helpers()
