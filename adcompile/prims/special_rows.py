"""More elementwise rows: NumPy's float ufuncs, math's special functions and scipy.special.

Each is one `row(...)` (table.py), as in scalar_rows.py: its bindings (every spelling users
write), evaluation, emission, typing, partials and kink metadata. Functions Numba does not
compile (scipy.special's) are emitted as calls of helpers in adcompile/runtime.py, defined
there once; the interpreter evaluates the same helpers. docs/supported.md lists them,
docs/conventions.md their kinks.
"""
from __future__ import annotations

import math

import numpy as np

from ..types import F64, I64
from .bind import Deferred, as_float, on
from .emit import call, cond
from .scalar_rows import E, _bool, _float, _over, _tie_weights
from .table import Kink, row

_LN2 = math.log(2.0)
_TWO_OVER_SQRT_PI = 2.0 / math.sqrt(math.pi)


def _f(name):
    """The runtime helper `name` as the interpreter's evaluation (a Python float), imported
    on first use (adcompile/runtime.py needs Numba)."""
    def impl(*a):
        from .. import runtime
        return float(getattr(runtime, name)(*a))
    return impl


def _math_or(fn, fallback):
    """math's function, and at its poles and overflows SciPy's (inf, nan), as Numba's."""
    def impl(x):
        try:
            return fn(x)
        except (ValueError, OverflowError):
            import scipy.special
            return float(getattr(scipy.special, fallback)(x))
    return impl


def _sp(name, **kw):
    """A scipy.special binding (named: SciPy is imported when the callee table is built)."""
    return on(Deferred("scipy.special", name), **kw)


def _helper(name):
    return call(name, helpers=(name,))


# ---------------------------------------------------------------------------- exponentials
row("exp2", 1, lambda x: float(np.exp2(x)), call("np.exp2"), _float,
    lambda b, o, x: (b.prim("mul", o, _LN2),), cost=E, elementwise=True,
    bindings=(np.exp2, _sp("exp2")) + ((math.exp2,) if hasattr(math, "exp2") else ()),
    doc="2 ** x (math.exp2 is written np.exp2: Numba compiles that one)")
row("exp10", 1, _f("exp10"), _helper("exp10"), _float,
    lambda b, o, x: (b.prim("mul", o, math.log(10.0)),), cost=E, elementwise=True,
    bindings=(_sp("exp10"),), doc="10 ** x (scipy.special.exp10)")
row("logaddexp", 2, lambda x, y: float(np.logaddexp(x, y)), call("np.logaddexp"), _float,
    lambda b, o, x, y: (b.prim("exp", b.prim("sub", x, o)), b.prim("exp", b.prim("sub", y, o))),
    cost=E, finite_partials=True, elementwise=True, bindings=(np.logaddexp,),
    doc="log(exp(x) + exp(y)) without overflow; partials the softmax weights")
row("logaddexp2", 2, lambda x, y: float(np.logaddexp2(x, y)), call("np.logaddexp2"), _float,
    lambda b, o, x, y: (b.prim("exp2", b.prim("sub", x, o)), b.prim("exp2", b.prim("sub", y, o))),
    cost=E, finite_partials=True, elementwise=True, bindings=(np.logaddexp2,),
    doc="log2(2**x + 2**y) without overflow")
row("sinc", 1, lambda x: float(np.sinc(x)), call("np.sinc"), _float,
    lambda b, o, x: (b.prim("select", b.prim("eq", x, 0.0), 0.0, _over(
        b, b.prim("sub", b.prim("cos", b.prim("mul", x, math.pi)), o), x)),),
    cost=E, elementwise=True, bindings=(np.sinc,),
    doc="sin(pi x) / (pi x), 1 at 0; its derivative (cos(pi x) - sinc(x)) / x, 0 at 0")


# ---------------------------------------------------------------------------- nonsmooth
row("ftrunc", 1, lambda x: float(np.trunc(x)), call("np.trunc"), _float,
    kink=Kink("jump", "x a nonzero integer", convention=0.0), elementwise=True,
    bindings=(np.trunc, np.fix), doc="np.trunc: float result, derivative 0")
row("fmod", 2, lambda x, y: float(np.fmod(x, y)), call("np.fmod"), _float,
    lambda b, o, x, y: (1.0, b.prim("neg", b.prim("ftrunc", _over(b, x, y)))), cost=E,
    kink=Kink("jump", "x / y a nonzero integer", convention="d/dx = 1, d/dy = -trunc(x / y)"),
    elementwise=True, bindings=(on(math.fmod, bind=as_float(2)), on(np.fmod, bind=as_float(2))),
    doc="the C remainder x - trunc(x / y) * y (sign of x); nan for y == 0 (as NumPy)")
row("copysign", 2, math.copysign, call("math.copysign"), _float,
    lambda b, o, x, y: (b.prim("mul", b.prim("sign", x), b.prim("copysign", 1.0, y)), None),
    kink=Kink("kink", "x == 0 (and a jump where y changes sign)", slopes=(-1.0, 1.0),
              convention=0.0, alternatives=(-1.0, 1.0), hit="zero"),
    finite_partials=True, elementwise=True,
    bindings=(on(math.copysign, bind=as_float(2)), on(np.copysign, bind=as_float(2))),
    doc="|x| with the sign of y; d/dx = sign(x) * sign(y), 0 at x == 0; d/dy = 0")
row("heaviside", 2, lambda x, h: h if x == 0.0 else (
    1.0 if x > 0.0 else (0.0 if x < 0.0 else math.nan)),
    cond("{1} if {0} == 0.0 else (1.0 if {0} > 0.0 else (0.0 if {0} < 0.0 else np.nan))"),
    _float, lambda b, o, x, h: (None, b.prim("bool_f64", b.prim("eq", x, 0.0))),
    kink=Kink("jump", "x == 0", convention=0.0), elementwise=True,
    bindings=(on(np.heaviside, bind=as_float(2)),),
    doc="np.heaviside(x, h0): 0, h0, 1; d/dx = 0, d/dh0 = 1 where x == 0")


def _nan_ignoring(kind):
    """Partials of np.fmax / np.fmin: those of np.maximum (ties split), and all of the
    adjoint to the other argument where one is NaN (it is ignored)."""
    plain = _tie_weights(kind)

    def rule(b, o, a, c):
        wa, wc = plain(b, o, a, c)
        a_nan, c_nan = b.prim("ne", a, a), b.prim("ne", c, c)
        return (b.prim("select", c_nan, 1.0, b.prim("select", a_nan, 0.0, wa)),
                b.prim("select", a_nan, 1.0, b.prim("select", c_nan, 0.0, wc)))
    return rule


def _fextreme(kind):
    better = (lambda a, c: a >= c) if kind == "max" else (lambda a, c: a <= c)
    return lambda a, c: a if better(a, c) or c != c else c


for _kind in ("max", "min"):
    _cmp = ">=" if _kind == "max" else "<="
    row("f" + _kind, 2, _fextreme(_kind), cond(f"{{0}} if {{0}} {_cmp} {{1}} or {{1}} != {{1}} "
                                               "else {1}"), _float, _nan_ignoring(_kind),
        kink=Kink("tie", "the two arguments are equal", convention="split evenly",
                  alternatives=("all to one argument",), hit="tie"), finite_partials=True,
        elementwise=True, bindings=(on(getattr(np, "f" + _kind), bind=as_float(2)),),
        doc=f"np.f{_kind}(a, b): a NaN argument is ignored; ties split evenly")


# ---------------------------------------------------------------------------- special functions
row("erf", 1, math.erf, call("math.erf"), _float,
    lambda b, o, x: (b.prim("mul", _TWO_OVER_SQRT_PI,
                            b.prim("exp", b.prim("neg", b.prim("mul", x, x)))),),
    cost=E, finite_partials=True, elementwise=True, bindings=(math.erf, _sp("erf")))
row("erfc", 1, math.erfc, call("math.erfc"), _float,
    lambda b, o, x: (b.prim("mul", -_TWO_OVER_SQRT_PI,
                            b.prim("exp", b.prim("neg", b.prim("mul", x, x)))),),
    cost=E, finite_partials=True, elementwise=True, bindings=(math.erfc, _sp("erfc")))
row("erfinv", 1, _f("erfinv"), _helper("erfinv"), _float,
    lambda b, o, x: (b.prim("mul", math.sqrt(math.pi) / 2.0,
                            b.prim("exp", b.prim("mul", o, o))),),
    cost=E, kink=Kink("singular", "|x| == 1"), elementwise=True, bindings=(_sp("erfinv"),),
    doc="the inverse of erf; derivative sqrt(pi)/2 exp(erfinv(x)**2)")
_POLES = Kink("singular", "x a non-positive integer (a pole of gamma)")
row("lgamma", 1, _math_or(math.lgamma, "gammaln"), call("math.lgamma"), _float,
    lambda b, o, x: (b.prim("digamma", x),), cost=E, kink=_POLES, elementwise=True,
    bindings=(math.lgamma, _sp("gammaln")),
    doc="log|gamma(x)| (math.lgamma, scipy.special.gammaln); derivative digamma(x)")
row("gamma", 1, _math_or(math.gamma, "gamma"), call("math.gamma"), _float,
    lambda b, o, x: (b.prim("mul", o, b.prim("digamma", x)),), cost=E, kink=_POLES,
    elementwise=True, bindings=(math.gamma, _sp("gamma")),
    doc="the gamma function; derivative gamma(x) digamma(x)")
row("digamma", 1, _f("digamma"), _helper("digamma"), _float,
    lambda b, o, x: (b.prim("polygamma", b.const(1), x),), cost=E, kink=_POLES,
    elementwise=True, bindings=(_sp("digamma"), _sp("psi")),
    doc="psi(x) = d/dx log|gamma(x)| (a runtime helper); derivative polygamma(1, x)")


def _polygamma(low, call):
    """scipy.special.polygamma(n, x): n an integer (a number, not an array), x a number or
    an array (mapped)."""
    call.no_keywords()
    args = call.args
    call.takes(2, args)
    n, x = args
    if low.is_array(n) or n.type != I64:
        low.type_error(call.node, f"{call.label}(n, x) takes an integer n (the order of the "
                                  "derivative)", "write an int: polygamma(1, x)")
    mapped = call.over_arrays([x], operands=[n, x])
    if mapped is not None:
        return mapped
    return call.prim(n, low.convert(x, F64))


row("polygamma", 2, _f("polygamma"), _helper("polygamma"), _float,
    lambda b, o, n, x: (None, b.prim("polygamma", b.prim("add", n, 1), x)), cost=E,
    kink=_POLES, elementwise=True, bindings=(_sp("polygamma", bind=_polygamma),),
    doc="the n-th derivative of digamma (a runtime helper; n an int); derivative "
        "polygamma(n + 1, x)")

# ---------------------------------------------------------------------------- logistic
row("expit", 1, _f("expit"), _helper("expit"), _float,
    lambda b, o, x: (b.prim("mul", o, b.prim("sub", 1.0, o)),), cost=E, finite_partials=True,
    elementwise=True, bindings=(_sp("expit"),), doc="the logistic sigmoid, without overflow")
row("log_expit", 1, _f("log_expit"), _helper("log_expit"), _float,
    lambda b, o, x: (b.prim("expit", b.prim("neg", x)),), cost=E, finite_partials=True,
    elementwise=True, bindings=(_sp("log_expit"),), doc="log(expit(x)) without overflow")


row("softplus", 1, _f("softplus"), _helper("softplus"), _float,
    lambda b, o, x: (b.prim("expit", x),), cost=E, finite_partials=True, elementwise=True,
    bindings=(_sp("softplus"),),                                  # SciPy 1.15
    doc="log(1 + exp(x)) without overflow (np.logaddexp(0, x) is the logaddexp row)")
row("logit", 1, _f("logit"), _helper("logit"), _float,
    lambda b, o, x: (_over(b, 1.0, b.prim("mul", x, b.prim("sub", 1.0, x))),), cost=E,
    kink=Kink("singular", "x == 0 or x == 1"), elementwise=True, bindings=(_sp("logit"),),
    doc="log(x / (1 - x)), the inverse of expit")
row("xlogy", 2, _f("xlogy"), _helper("xlogy"), _float,
    lambda b, o, x, y: (b.prim("log", y), b.prim("select", b.prim("eq", x, 0.0), 0.0,
                                                  _over(b, x, y))), cost=E,
    kink=Kink("singular", "y == 0", convention="d/dy = 0 where x == 0; d/dx = log(y)"),
    elementwise=True, bindings=(_sp("xlogy", bind=as_float(2)),),
    doc="x log(y), 0 where x == 0; d/dx = log(y), d/dy = x / y (0 where x == 0)")
row("xlog1py", 2, _f("xlog1py"), _helper("xlog1py"), _float,
    lambda b, o, x, y: (b.prim("log1p", y), b.prim("select", b.prim("eq", x, 0.0), 0.0, _over(
        b, x, b.prim("add", 1.0, y)))), cost=E,
    kink=Kink("singular", "y == -1", convention="d/dy = 0 where x == 0; d/dx = log1p(y)"),
    elementwise=True, bindings=(_sp("xlog1py", bind=as_float(2)),),
    doc="x log1p(y), 0 where x == 0")

# ---------------------------------------------------------------------------- normal, entropy
_INV_SQRT_2PI = 1.0 / math.sqrt(2.0 * math.pi)
row("ndtr", 1, _f("ndtr"), _helper("ndtr"), _float,
    lambda b, o, x: (b.prim("mul", _INV_SQRT_2PI, b.prim(
        "exp", b.prim("mul", -0.5, b.prim("mul", x, x)))),), cost=E, finite_partials=True,
    elementwise=True, bindings=(_sp("ndtr"),), doc="the standard normal CDF")
row("log_ndtr", 1, _f("log_ndtr"), _helper("log_ndtr"), _float,
    lambda b, o, x: (b.prim("mul", _INV_SQRT_2PI, b.prim("exp", b.prim(
        "sub", b.prim("mul", -0.5, b.prim("mul", x, x)), o))),), cost=E, finite_partials=True,
    elementwise=True, bindings=(_sp("log_ndtr"),),
    doc="log of the normal CDF without underflow; derivative pdf(x) / cdf(x) = "
        "exp(-x**2 / 2 - log_ndtr(x)) / sqrt(2 pi)")
_XLOG0 = "d/dy = 0 where x == 0; d/dx = -inf at x == 0"
row("entr", 1, _f("entr"), _helper("entr"), _float,
    lambda b, o, x: (b.prim("neg", b.prim("add", b.prim("log", x), 1.0)),), cost=E,
    kink=Kink("singular", "x == 0", convention=math.inf, hit="zero"), elementwise=True,
    bindings=(_sp("entr"),), doc="-x log(x), 0 at 0; derivative -(log(x) + 1)")
row("rel_entr", 2, _f("rel_entr"), _helper("rel_entr"), _float,
    lambda b, o, x, y: (b.prim("add", b.prim("log", _over(b, x, y)), 1.0),
                        b.prim("select", b.prim("eq", x, 0.0), 0.0,
                               b.prim("neg", _over(b, x, y)))), cost=E,
    kink=Kink("singular", "x == 0 or y == 0", convention=_XLOG0), elementwise=True,
    bindings=(_sp("rel_entr", bind=as_float(2)),),
    doc="x log(x / y), 0 where x == 0")
row("kl_div", 2, _f("kl_div"), _helper("kl_div"), _float,
    lambda b, o, x, y: (b.prim("log", _over(b, x, y)),
                        b.prim("sub", 1.0, b.prim("select", b.prim("eq", x, 0.0), 0.0,
                                                  _over(b, x, y)))), cost=E,
    kink=Kink("singular", "x == 0 or y == 0", convention=_XLOG0), elementwise=True,
    bindings=(_sp("kl_div", bind=as_float(2)),),
    doc="x log(x / y) - x + y, y where x == 0")

# ---------------------------------------------------------------------------- float tests
for _name in ("isnan", "isinf", "isfinite"):
    row(_name, 1, getattr(math, _name), call(f"math.{_name}"), _bool, elementwise=True,
        bindings=(getattr(np, _name), getattr(math, _name)),
        doc=f"np.{_name}(x): a bool (arrays: a mask); no derivative")

__all__: list = []
