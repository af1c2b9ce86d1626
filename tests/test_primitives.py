"""Every differentiable primitive of the table against Richardson central differences at
several points away from its kinks; the kink conventions separately (docs/conventions.md)."""
import math

import pytest

from adcompile.primitives import PRIMS
from gradcheck import check_gradient

# how a user writes each differentiable primitive, and points inside its smooth domain
SPELLING = {
    "add": ("x + y", None), "sub": ("x - y", None), "mul": ("x * y", None),
    "div": ("x / y", None), "neg": ("-x", None), "mod": ("x % y", "mod"),
    "pow": ("x ** y", "pos"), "to_f64": ("float(x)", None),
    "sin": ("math.sin(x)", None), "cos": ("math.cos(x)", None), "tan": ("math.tan(x)", None),
    "asin": ("math.asin(x)", "unit"), "acos": ("math.acos(x)", "unit"),
    "atan": ("math.atan(x)", None), "sinh": ("math.sinh(x)", None),
    "cosh": ("math.cosh(x)", None), "tanh": ("math.tanh(x)", None),
    "exp": ("math.exp(x)", None), "expm1": ("math.expm1(x)", None),
    "log": ("math.log(x)", "pos"), "log1p": ("math.log1p(x)", "pos"),
    "log2": ("math.log2(x)", "pos"), "log10": ("math.log10(x)", "pos"),
    "sqrt": ("math.sqrt(x)", "pos"), "atan2": ("math.atan2(x, y)", None),
    "hypot": ("math.hypot(x, y)", None), "abs": ("abs(x)", None),
    "relu": ("ad.relu(x)", None), "max": ("max(x, y)", None), "min": ("min(x, y)", None),
    "select": ("np.where(x > y, x * y, x - y)", None),
    "npmax": ("np.maximum(x, y)", None), "npmin": ("np.minimum(x, y)", None),
    # rows reached through other rows' derivatives (first order: the rows they serve)
    "logpos": ("x ** y", "pos"), "recippos": ("x ** y", "pos"),
    "divnz": ("math.hypot(x, y)", None),
    "norm_sqrt": ("np.linalg.norm(np.array([x, y]))", "pos"),     # sqrt of a sum of squares
    "gmul": ("np.where(x > y, np.sqrt(x) * y, x - y)", "pos"),
    "cbrt": ("np.cbrt(x)", None), "asinh": ("math.asinh(x)", None),
    "acosh": ("math.acosh(x)", "above1"), "atanh": ("math.atanh(x)", "unit"),
    "deg2rad": ("math.radians(x)", None), "rad2deg": ("math.degrees(x)", None),
    # prims/special_rows.py
    "exp2": ("np.exp2(x)", None), "exp10": ("scipy.special.exp10(x)", None), "logaddexp": ("np.logaddexp(x, y)", None),
    "logaddexp2": ("np.logaddexp2(x, y)", None), "sinc": ("np.sinc(x)", None),
    "fmod": ("np.fmod(x, y)", "mod"), "copysign": ("np.copysign(x, y)", None),
    "heaviside": ("np.heaviside(x, y)", None), "fmax": ("np.fmax(x, y)", None),
    "fmin": ("np.fmin(x, y)", None), "erf": ("math.erf(x)", None),
    "erfc": ("math.erfc(x)", None), "erfinv": ("scipy.special.erfinv(x)", "unit"),
    "lgamma": ("math.lgamma(x)", "gamma"), "gamma": ("math.gamma(x)", "gamma"),
    "digamma": ("scipy.special.digamma(x)", "gamma"),
    "polygamma": ("scipy.special.polygamma(2, x)", "gamma"),
    "expit": ("scipy.special.expit(x)", None), "log_expit": ("scipy.special.log_expit(x)", None),
    "softplus": ("scipy.special.softplus(x)", None), "logit": ("scipy.special.logit(x)", "prob"),
    "xlogy": ("scipy.special.xlogy(x, y)", "pos2"),
    "xlog1py": ("scipy.special.xlog1py(x, y)", "pos2"),
    "ndtr": ("scipy.special.ndtr(x)", None), "log_ndtr": ("scipy.special.log_ndtr(x * 9.0)", None),
    "entr": ("scipy.special.entr(x)", "pos"), "rel_entr": ("scipy.special.rel_entr(x, y)", "pos2"),
    "kl_div": ("scipy.special.kl_div(x, y)", "pos2"),
}
POINTS = {
    None: [(0.7, -1.3), (-0.4, 0.9), (1.9, 2.6)],
    "pos": [(0.7, 1.3), (2.5, 0.4), (0.2, -0.6)],
    "unit": [(0.3, 1.0), (-0.6, 1.0), (0.85, 1.0)],
    "mod": [(5.3, 1.7), (-2.2, 0.9), (0.4, -1.1)],
    "above1": [(1.7, 1.3), (2.5, 0.4), (1.2, -0.6)],
    "gamma": [(0.7, 1.3), (3.4, 0.4), (-1.6, -0.6), (12.5, 2.0)],
    "prob": [(0.3, 1.0), (0.85, -1.0), (0.05, 2.0)],
    "pos2": [(0.3, 1.0), (1.85, 0.4), (0.05, 2.0)],
}
ALTERNATIVES = {  # NumPy spellings that must reach the same primitive
    "np.sin(x)": None, "np.arcsin(x)": "unit", "np.arctan2(x, y)": None, "np.power(x, y)": "pos",
    "np.maximum(x, y)": None, "np.abs(x)": None, "np.fabs(x)": None, "math.fabs(x)": None,
    "math.pow(x, y)": "pos", "pow(x, y)": "pos", "np.square(x)": None, "np.exp(x)": None,
    "np.hypot(x, y)": None, "np.log1p(x)": "pos", "x ** 3": None, "x ** -2": "pos",
    "np.arcsinh(x)": None, "np.arccosh(x)": "above1", "np.arctanh(x)": "unit",
    "np.deg2rad(x)": None, "np.radians(x)": None, "np.rad2deg(x)": None,
    "np.degrees(x)": None, **({"math.cbrt(x)": "pos"} if hasattr(math, "cbrt") else {}),
    "np.add(x, y)": None, "np.subtract(x, y)": None, "np.multiply(x, y)": None,
    "np.divide(x, y)": None, "np.true_divide(x, y)": None, "np.negative(x)": None,
    "np.reciprocal(x)": None, "np.float_power(x, y)": "pos", "np.mod(x, y)": "mod",
    "np.remainder(x, y)": "mod", "math.fmod(x, y)": "mod", "math.copysign(x, y)": None,
    "np.logaddexp(0.0, x)": None, "scipy.special.gammaln(x)": "gamma",
    "scipy.special.gamma(x)": "gamma", "scipy.special.psi(x)": "gamma",
    "scipy.special.polygamma(0, x)": "gamma", "scipy.special.polygamma(1, x) * y": "gamma",
    "scipy.special.erf(x)": None, "scipy.special.erfc(x)": None,
    **({"math.exp2(x)": None} if hasattr(math, "exp2") else {}),
}


# the directional variants of relu/abs/max/min exist only in grad(nonsmooth="directional")
# builds; tests/test_diagnose.py checks them against the ordinary gradient and at kinks
INTERNAL = {"relu_dir", "abs_dir", "max_dir", "min_dir", "npmax_dir", "npmin_dir"}


def test_every_differentiable_primitive_is_covered():
    differentiable = {n for n, p in PRIMS.items() if p.partials is not None}
    assert differentiable - set(SPELLING) - INTERNAL == set(), "add the new primitive to SPELLING"


def test_directional_variants_have_the_plain_values_and_partials_off_kinks():
    for name, plain in (("relu_dir", "relu"), ("abs_dir", "abs")):
        for x, d in ((0.7, -1.0), (-0.4, 1.0), (0.0, 1.0), (0.0, -1.0), (-0.0, 0.5)):
            assert PRIMS[name].impl(x, d) == PRIMS[plain].impl(x)
    for name, plain in (("max_dir", "max"), ("min_dir", "min"), ("npmax_dir", "npmax"),
                        ("npmin_dir", "npmin")):
        for a, c in ((0.7, -1.3), (-0.4, 0.9), (1.0, 1.0)):
            assert PRIMS[name].impl(a, c, 1.0, -1.0) == PRIMS[plain].impl(a, c)
    for name in ("npmax", "npmin", "npmax_dir", "npmin_dir"):    # NaN in either place
        extra = (1.0, -1.0) if name.endswith("_dir") else ()
        assert math.isnan(PRIMS[name].impl(math.nan, 1.0, *extra))
        assert math.isnan(PRIMS[name].impl(1.0, math.nan, *extra))
    # the partials' primitives, off and at the kinks
    assert [PRIMS["dstep"].impl(x, d) for x, d in ((0.5, -1), (-0.5, 1), (0.0, 1), (0.0, -1))] \
        == [1.0, 0.0, 1.0, 0.0]
    assert [PRIMS["dsign"].impl(x, d) for x, d in ((0.5, -1), (-0.5, 1), (0.0, 2), (-0.0, -2))] \
        == [1.0, -1.0, 1.0, -1.0]
    assert [PRIMS["dtie"].impl(a, c, da, dc) for a, c, da, dc in
            ((1, 0, 0, 5), (0, 1, 5, 0), (1, 1, 2, 1), (1, 1, 1, 2), (1, 1, 1, 1))] \
        == [1.0, 0.0, 1.0, 0.0, 0.5]


def _module(load, expr):
    return load(f"""
import math
import numpy as np
import scipy.special
import adcompile as ad

def f(x, y):
    return {expr}
""")


@pytest.mark.parametrize("name", sorted(SPELLING))
def test_primitive_gradient(name, load):
    expr, domain = SPELLING[name]
    m = _module(load, expr)
    for point in POINTS[domain]:
        check_gradient(m.f, point, wrt=(0, 1), rtol=1e-7, atol=1e-9)


@pytest.mark.parametrize("expr", sorted(ALTERNATIVES))
def test_numpy_and_builtin_spellings(expr, load):
    m = _module(load, expr)
    for point in POINTS[ALTERNATIVES[expr]]:
        check_gradient(m.f, point, wrt=(0, 1), rtol=1e-7, atol=1e-9)


# ------------------------------------------------------------------------- kinks
KINKS = [  # (expression, point, expected gradient (d/dx, d/dy)): the convention table
    ("abs(x)", (0.0, 0.0), (0.0, 0.0)),
    ("abs(x)", (-0.0, 0.0), (0.0, 0.0)),
    ("ad.relu(x)", (0.0, 0.0), (0.0, 0.0)),
    ("ad.relu(x)", (-0.0, 0.0), (0.0, 0.0)),
    ("max(x, y)", (1.5, 1.5), (0.5, 0.5)),
    ("min(x, y)", (-2.0, -2.0), (0.5, 0.5)),
    ("np.maximum(x, y)", (0.0, 0.0), (0.5, 0.5)),
    ("max(x, y, 1.0)", (1.0, 1.0), (1 / 3, 1 / 3)),
    ("max(x, x)", (0.3, 0.0), (1.0, 0.0)),
    ("math.floor(x) * 1.0 + y", (2.0, 0.0), (0.0, 1.0)),
    ("math.ceil(x) + 0.0", (2.0, 0.0), (0.0, 0.0)),
    ("round(x) + 0.0", (2.5, 0.0), (0.0, 0.0)),
    ("np.floor(x)", (3.0, 0.0), (0.0, 0.0)),
    ("np.round(x)", (0.5, 0.0), (0.0, 0.0)),
    ("np.sign(x)", (0.0, 0.0), (0.0, 0.0)),
    ("x // y", (4.0, 2.0), (0.0, 0.0)),
    ("x if x > 0.0 else -2.0 * x", (0.0, 0.0), (-2.0, 0.0)),   # the executed branch
    ("x if x >= 0.0 else -2.0 * x", (0.0, 0.0), (1.0, 0.0)),
]


@pytest.mark.parametrize("expr,point,expected", KINKS)
def test_kink_conventions(expr, point, expected, load):
    import adcompile as ad
    m = _module(load, expr)
    for jit in (True, False):
        got = ad.grad(m.f, wrt=(0, 1), jit=jit)(*point)
        assert got == pytest.approx(expected, abs=1e-15), (expr, jit)


CUSTOM = [  # (expression, point, Conventions(...) keywords, expected gradient)
    ("ad.relu(x)", (0.0, 0.0), {"relu": 1.0}, (1.0, 0.0)),
    ("ad.relu(x)", (-0.0, 0.0), {"relu": 0.5}, (0.5, 0.0)),
    ("ad.relu(-x) + x", (0.0, 0.0), {"relu": 1.0}, (0.0, 0.0)),   # relu2 at 0: 1 - relu'(0)
    ("abs(x) * 2.0", (0.0, 0.0), {"abs": 1.0}, (2.0, 0.0)),
    ("abs(x)", (-0.0, 0.0), {"abs": -0.25}, (-0.25, 0.0)),
    ("np.abs(x - y)", (1.0, 1.0), {"abs": 1.0}, (1.0, -1.0)),
    ("max(x, y)", (1.5, 1.5), {"tie": 1.0}, (1.0, 0.0)),
    ("np.maximum(x, y)", (0.0, 0.0), {"tie": 0.25}, (0.25, 0.75)),
    ("min(x, y)", (-2.0, -2.0), {"tie": 0.0}, (0.0, 1.0)),
    ("np.minimum(x, y) * 4.0", (3.0, 3.0), {"tie": 0.75}, (3.0, 1.0)),
    ("ad.relu(x) + abs(y)", (0.5, -1.0), {"relu": 1.0, "abs": 1.0}, (1.0, -1.0)),  # no kink
]


@pytest.mark.parametrize("expr,point,conv,expected", CUSTOM)
def test_custom_conventions_both_modes(expr, point, conv, expected, load):
    import adcompile as ad
    m = _module(load, expr)
    c = ad.Conventions(**conv)
    for mode in ("reverse", "forward"):
        for jit in (True, False):
            got = ad.grad(m.f, wrt=(0, 1), jit=jit, mode=mode, conventions=c)(*point)
            assert got == pytest.approx(expected, abs=1e-15), (expr, mode, jit)


def test_conventions_out_of_range_are_user_errors():
    import adcompile as ad
    for kw in ({"relu": 1.5}, {"abs": -2.0}, {"tie": -0.1}, {"relu": "one"}):
        with pytest.raises(ad.AdCompileError, match="Conventions"):
            ad.Conventions(**kw)
    with pytest.raises(ad.AdCompileError, match="adcompile.Conventions"):
        ad.grad(abs, conventions={"relu": 1.0})


def test_jumps_have_zero_derivative_between_jumps(load):
    import adcompile as ad
    m = _module(load, "math.floor(x) + np.ceil(y) + round(x * y) + np.sign(x - y)")
    assert ad.grad(m.f, wrt=(0, 1))(2.3, 0.7) == (0.0, 0.0)


def test_singular_points_give_inf_not_an_exception(load):
    import adcompile as ad
    m = _module(load, "math.sqrt(x) + y")
    assert ad.grad(m.f)(0.0, 1.0) == math.inf
