"""The scalar rows: arithmetic, comparisons, conversions, smooth math, nonsmooth functions.

Each `row(...)` is everything about one primitive (table.py): adding `np.cbrt` was one row.
"""
from __future__ import annotations

import builtins
import math

import numpy as np

from .. import conventions
from ..functions import relu as _user_relu
from ..types import BOOL, F64, I64, promote
from .bind import Deferred, as_float, cast, hypot_1_or_2, int_result, log_base, logical, norm, np_round, \
    on, reciprocal, \
    round_n, square
from .emit import call, compare, cond, either, infix, prefix, template
from .table import PRIMS, Kink, row


# ---------------------------------------------------------------------------- typing rules
def _float(*args, **attrs):
    return F64


def _bool(*args, **attrs):
    return BOOL


def _int(*args, **attrs):
    return I64


def _arith(*args, **attrs):
    t = args[0].type
    for a in args[1:]:
        t = promote(t, a.type)
    return I64 if t == BOOL else t


def _pow_type(x, y, **attrs):
    t = _arith(x, y)
    if t == I64:   # int ** int is an int only for a known non-negative exponent (as in Python)
        from ..ir import parent_op
        op = parent_op(y)
        if not (op is not None and op.name == "const" and op.attrs["value"] >= 0):
            return F64
    return t


# ---------------------------------------------------------------------------- helpers for rules
def _sign(x):
    if x != x:
        return x                                   # nan
    return 1 if x > 0 else (-1 if x < 0 else 0)


def _relu(x):
    return x if x > 0.0 else 0.0


_NAN = math.nan


def _step(x):
    return 1.0 if x > 0.0 else (0.0 if x <= 0.0 else _NAN)


def _pow(x, y):
    """x ** y as compiled code computes it: nan where Python's would be complex."""
    r = x ** y
    return math.nan if isinstance(r, complex) else r


def _logpos(x):
    return math.log(x) if x > 0.0 else 0.0


def _over(b, num, den):
    return b.prim("div", num, den)


def _tie_weights(kind):
    """Partials of max/min: an even split of the adjoint among the arguments equal to the
    result (ties split evenly). With two arguments: 1, the tie convention (1/2) at a tie, or
    0, without division."""
    def rule(b, out, *args):
        if len(args) == 2:
            a, c = args
            hi, lo = (a, c) if kind == "max" else (c, a)     # a wins when hi > lo
            t = conventions.of(b).tie
            if t == 0.5:
                return b.prim("tie2", hi, lo), b.prim("tie2", lo, hi)
            return b.prim("tie2t", hi, lo, t), b.prim("tie2t", lo, hi, 1.0 - t)
        hits = [b.prim("to_f64", b.prim("eq", a, out)) for a in args]
        count = hits[0]
        for h in hits[1:]:
            count = b.prim("add", count, h)
        return tuple(_over(b, h, count) for h in hits)
    return rule


E = "expensive"
SINGULAR0 = Kink("singular", "x == 0", convention=math.inf, hit="zero")

# ---------------------------------------------------------------------------- arithmetic
row("add", 2, lambda x, y: x + y, infix("+", 11), _arith, lambda b, o, x, y: (1.0, 1.0),
    fold=True, finite_partials=True, bindings=(on(np.add, arrays=True),))
row("sub", 2, lambda x, y: x - y, infix("-", 11), _arith, lambda b, o, x, y: (1.0, -1.0),
    fold=True, finite_partials=True, bindings=(on(np.subtract, arrays=True),))
row("mul", 2, lambda x, y: x * y, infix("*", 12), _arith, lambda b, o, x, y: (y, x),
    fold=True, finite_partials=True, elementwise=True,
    bindings=(on(np.square, bind=square), np.multiply), doc="x * y; np.square(x) is x * x")
row("div", 2, lambda x, y: x / y, infix("/", 12), _float,
    lambda b, o, x, y: (_over(b, 1.0, y), b.prim("neg", _over(b, o, y))), fold=True,
    kink=Kink("singular", "y == 0"), bindings=(
        on(np.divide, bind=as_float(2), arrays=True),
        on(np.reciprocal, bind=reciprocal, arrays=True)),
    doc="x / y (np.divide, np.true_divide); np.reciprocal(x) is 1.0 / x")
row("neg", 1, lambda x: -x, prefix("-", 13), _arith, lambda b, o, x: (-1.0,), fold=True,
    finite_partials=True, bindings=(on(np.negative, arrays=True),))
row("floordiv", 2, lambda x, y: x // y, infix("//", 12), _arith, fold=True,
    kink=Kink("jump", "x / y an integer", convention=0.0),
    bindings=(on(np.floor_divide, arrays=True),))
row("mod", 2, lambda x, y: x % y, infix("%", 12), _arith,
    lambda b, o, x, y: (1.0, b.prim("neg", b.prim("floordiv", x, y))), fold=True,
    kink=Kink("jump", "x / y an integer", convention=1.0),
    bindings=(on(np.mod, arrays=True),), doc="x % y (np.mod, np.remainder: the sign of y)")
def _pow_base_partial(b, x, y):
    """y * x ** (y - 1), with the exponent 1 where y == 0: x ** 0 is constant, so its
    partial is 0 (not 0 * 0.0 ** -1, which is nan, or a ZeroDivisionError for an int y)."""
    one = 1 if y.type == I64 else 1.0
    e = b.prim("select", b.prim("eq", y, b.const(0 if y.type == I64 else 0.0)), b.const(one),
               b.prim("sub", y, b.const(one)))
    return b.prim("mul", y, b.prim("pow", x, e))


def _vectorised_pow(op):
    """x ** y for a float exponent that is not a small whole constant goes to vm.pow (Numba
    writes x ** 2.0 and int powers as multiplications, int ** int exactly)."""
    from ..ir import parent_op
    y = op.args[1]
    if y.type != F64:
        return False
    c = parent_op(y)
    return not (c is not None and c.name == "const" and float(c.attrs["value"]).is_integer()
                and abs(c.attrs["value"]) <= 4)


row("pow", 2, _pow,
    either(_vectorised_pow, call("vm.pow"), template("{0} ** {1}", 14, (15, 13))), _pow_type,
    lambda b, o, x, y: (_pow_base_partial(b, x, y), b.prim("mul", o, b.prim("logpos", x))),
    cost=E, fold=True, kink=Kink("singular", "x == 0 and y < 1"), elementwise=True,
    bindings=(on(math.pow, bind=as_float(2)), on(np.power, bind=as_float(2)), builtins.pow,
              on(np.float_power, bind=as_float(2))))
row("logpos", 1, _logpos, cond("vm.log({0}) if {0} > 0.0 else 0.0"), _float,
    lambda b, o, x: (b.prim("recippos", x),), cost=E,
    doc="log(x) for x > 0, else 0: the exponent's partial of x ** y")
row("recippos", 1, lambda x: 1.0 / x if x > 0.0 else 0.0, cond("1.0 / {0} if {0} > 0.0 else 0.0"),
    _float, lambda b, o, x: (b.prim("neg", b.prim("mul", o, o)),),
    doc="1/x for x > 0, else 0: the derivative of logpos")
row("divnz", 2, lambda x, y: x / y if y != 0.0 else 0.0 * x,
    cond("{0} / {1} if {1} != 0.0 else 0.0 * {0}"), _float,
    lambda b, o, x, y: (b.prim("divnz", 1.0, y), b.prim("neg", b.prim("divnz", o, y))),
    doc="x / y, and 0 where y is 0: partials of norms, 0 at the zero vector (conventions)")

# ---------------------------------------------------------------------------- comparisons, logic
for _name, _sym, _fn in [("lt", "<", lambda x, y: x < y), ("le", "<=", lambda x, y: x <= y),
                         ("gt", ">", lambda x, y: x > y), ("ge", ">=", lambda x, y: x >= y),
                         ("eq", "==", lambda x, y: x == y), ("ne", "!=", lambda x, y: x != y)]:
    _ufunc = {"lt": np.less, "le": np.less_equal, "gt": np.greater, "ge": np.greater_equal,
              "eq": np.equal, "ne": np.not_equal}[_name]
    row(_name, 2, _fn, compare(_sym), _bool, fold=True,
        kink=Kink("jump", "x == y (branch boundary)"),
        bindings=(on(_ufunc, arrays=True),) + (
            (on(np.logical_xor, bind=logical, arrays=True),) if _name == "ne" else ()))
row("not", 1, lambda x: not x, prefix("not ", 5), _bool, fold=True,
    bindings=(on(np.logical_not, bind=logical, arrays=True),))
row("and", 2, lambda x, y: x and y, infix("and", 4), _bool, fold=True,
    bindings=(on(np.logical_and, bind=logical, arrays=True),))
row("or", 2, lambda x, y: x or y, infix("or", 3), _bool, fold=True,
    bindings=(on(np.logical_or, bind=logical, arrays=True),))

# ---------------------------------------------------------------------------- conversions
row("to_f64", 1, float, call("float"), _float, lambda b, o, x: (1.0,), fold=True,
    finite_partials=True, bindings=(builtins.float, np.float64), bind=cast)
row("to_i64", 1, int, call("int"), _int, fold=True,
    kink=Kink("jump", "x an integer", convention=0.0), bindings=(
        builtins.int, np.int64, on(math.trunc, bind=int_result)), bind=cast,
    doc="int(x), math.trunc(x): toward zero")
row("to_bool", 1, bool, call("bool"), _bool, fold=True, bindings=(builtins.bool,), bind=cast)
row("bool_f64", 1, float, cond("1.0 if {0} else 0.0"), _float, fold=True,
    doc="float(b) for a bool")
row("bool_i64", 1, int, cond("1 if {0} else 0"), _int, fold=True, doc="int(b) for a bool")
row("range_len", 3, lambda lo, hi, st: len(range(lo, hi, st)), "len(range({0}, {1}, {2}))",
    _int, fold=True, operands="ints")
def _checkpoint_segment(*args):
    from .. import runtime                       # needs Numba: imported on first use
    return runtime.checkpoint_segment(*args)


row("checkpoint_segment", 6, _checkpoint_segment,
    call("checkpoint_segment", helpers=("checkpoint_segment",)), _int, operands="ints",
    doc="steps per segment (level 1) or sub-segment (2) of a checkpointed loop "
        "(passes/checkpoint.py)")

# ---------------------------------------------------------------------------- smooth math
_unary = {
    "sin": (math.sin, lambda b, o, x: (b.prim("cos", x),)),
    "cos": (math.cos, lambda b, o, x: (b.prim("neg", b.prim("sin", x)),)),
    "tan": (math.tan, lambda b, o, x: (b.prim("add", 1.0, b.prim("mul", o, o)),)),
    "asin": (math.asin, lambda b, o, x: (
        _over(b, 1.0, b.prim("sqrt", b.prim("sub", 1.0, b.prim("mul", x, x)))),)),
    "acos": (math.acos, lambda b, o, x: (
        _over(b, -1.0, b.prim("sqrt", b.prim("sub", 1.0, b.prim("mul", x, x)))),)),
    "atan": (math.atan, lambda b, o, x: (_over(b, 1.0, b.prim("add", 1.0, b.prim("mul", x, x))),)),
    "sinh": (math.sinh, lambda b, o, x: (b.prim("cosh", x),)),
    "cosh": (math.cosh, lambda b, o, x: (b.prim("sinh", x),)),
    "tanh": (math.tanh, lambda b, o, x: (b.prim("sub", 1.0, b.prim("mul", o, o)),)),
    "asinh": (math.asinh, lambda b, o, x: (
        _over(b, 1.0, b.prim("sqrt", b.prim("add", b.prim("mul", x, x), 1.0))),)),
    "acosh": (math.acosh, lambda b, o, x: (
        _over(b, 1.0, b.prim("sqrt", b.prim("sub", b.prim("mul", x, x), 1.0))),)),
    "atanh": (math.atanh, lambda b, o, x: (
        _over(b, 1.0, b.prim("sub", 1.0, b.prim("mul", x, x))),)),
    "exp": (math.exp, lambda b, o, x: (o,)),
    "expm1": (math.expm1, lambda b, o, x: (b.prim("add", o, 1.0),)),
    "log": (math.log, lambda b, o, x: (_over(b, 1.0, x),)),
    "log1p": (math.log1p, lambda b, o, x: (_over(b, 1.0, b.prim("add", 1.0, x)),)),
    "log2": (math.log2, lambda b, o, x: (_over(b, 1.0 / math.log(2.0), x),)),
    "log10": (math.log10, lambda b, o, x: (_over(b, 1.0 / math.log(10.0), x),)),
    "sqrt": (math.sqrt, lambda b, o, x: (_over(b, 0.5, o),)),
}
_NP_NAMES = {"asin": "arcsin", "acos": "arccos", "atan": "arctan", "asinh": "arcsinh",
             "acosh": "arccosh", "atanh": "arctanh"}
_singular = {"log": SINGULAR0, "log1p": Kink("singular", "x == -1"), "log2": SINGULAR0,
             "log10": SINGULAR0, "sqrt": SINGULAR0,
             "asin": Kink("singular", "|x| == 1"), "acos": Kink("singular", "|x| == 1"),
             "acosh": Kink("singular", "x == 1"), "atanh": Kink("singular", "|x| == 1")}
_FINITE = ("sin", "cos", "atan", "tanh", "asinh")
_BIND = {"log": log_base}                      # math.log(x, base)
_SCIPY = {n: on(Deferred("scipy.special", n)) for n in ("expm1", "log1p")}
# written with the vectorisable runtime (adcompile/vecmath: LLVM vectorises loops of them);
# the others are Numba's math.* (one libm call each)
_VECMATH = ("exp", "expm1", "log", "log1p", "tanh", "sin", "cos")
for _name, (_fn, _rule) in _unary.items():
    _math = getattr(math, _name)
    row(_name, 1, _fn, call(f"{'vm' if _name in _VECMATH else 'math'}.{_name}"), _float, _rule, cost=E, kink=_singular.get(_name),
        finite_partials=_name in _FINITE, elementwise=True,
        bindings=(on(_math, bind=_BIND.get(_name)), getattr(np, _NP_NAMES.get(_name, _name)))
        + ((_SCIPY[_name],) if _name in _SCIPY else ()))

row("cbrt", 1, lambda x: float(np.cbrt(x)), call("np.cbrt"), _float,
    lambda b, o, x: (_over(b, 1.0 / 3.0, b.prim("mul", o, o)),), cost=E, kink=SINGULAR0,
    elementwise=True, bindings=(np.cbrt, Deferred("scipy.special", "cbrt")) + (
        (math.cbrt,) if hasattr(math, "cbrt") else ()),
    doc="the real cube root (math.cbrt is written np.cbrt: Numba compiles that one)")
row("deg2rad", 1, math.radians, call("math.radians"), _float,
    lambda b, o, x: (math.pi / 180.0,), cost=E, finite_partials=True, elementwise=True,
    bindings=(math.radians, np.deg2rad, np.radians))
row("rad2deg", 1, math.degrees, call("math.degrees"), _float,
    lambda b, o, x: (180.0 / math.pi,), cost=E, finite_partials=True, elementwise=True,
    bindings=(math.degrees, np.rad2deg, np.degrees))
row("atan2", 2, math.atan2, call("math.atan2"), _float,
    lambda b, o, y, x: (
        _over(b, x, b.prim("add", b.prim("mul", x, x), b.prim("mul", y, y))),
        b.prim("neg", _over(b, y, b.prim("add", b.prim("mul", x, x), b.prim("mul", y, y))))),
    cost=E, kink=Kink("singular", "x == 0 and y == 0"), elementwise=True,
    bindings=(math.atan2, np.arctan2))
row("hypot", 2, math.hypot, call("math.hypot"), _float,
    lambda b, o, x, y: (b.prim("divnz", x, o), b.prim("divnz", y, o)), cost=E,
    kink=Kink("kink", "x == 0 and y == 0", convention=0.0, alternatives=("the unit disk",),
              hit="zero"), finite_partials=True, elementwise=True,
    bindings=(on(math.hypot, bind=hypot_1_or_2), np.hypot))
row("norm_sqrt", 1, math.sqrt, call("math.sqrt"), _float,
    lambda b, o, s: (b.prim("divnz", 0.5, o),), cost=E,
    kink=Kink("kink", "the vector is 0", convention=0.0, alternatives=("the unit ball",),
              hit="zero"), bindings=(on(np.linalg.norm, "np.linalg.norm", bind=norm),),
    doc="the square root of a sum of squares (a norm): derivative 0 at the zero vector")


# ---------------------------------------------------------------------------- nonsmooth
def _at_kink(plain, general, name):
    """A partial whose value at the kink is the convention: the plain primitive for the
    default, the general one (the convention as an operand) otherwise."""
    def rule(b, o, x):
        c = getattr(conventions.of(b), name)
        return (b.prim(plain, x) if c == getattr(conventions.DEFAULT, name)
                else b.prim(general, x, c)),
    return rule


_FLOAT1 = as_float(1)
row("abs", 1, abs, call("abs"), _arith, _at_kink("sign", "signc", "abs"),
    kink=Kink("kink", "x == 0", slopes=(-1.0, 1.0), convention=0.0, alternatives=(-1.0, 1.0),
              hit="zero"), directional="abs_dir", finite_partials=True, elementwise=True,
    bindings=(on(builtins.abs, arrays=True), on(math.fabs, bind=_FLOAT1),
              on(np.fabs, bind=_FLOAT1), on(np.abs, "np.abs", bind=_FLOAT1)))
row("relu", 1, _relu, cond("{0} if {0} > 0.0 else 0.0"), _float,
    _at_kink("step", "stepc", "relu"),
    kink=Kink("kink", "x == 0", slopes=(0.0, 1.0), convention=0.0, alternatives=(0.0, 1.0),
              hit="zero"), directional="relu_dir", finite_partials=True, elementwise=True,
    bindings=(on(_user_relu, "adcompile.relu"),))
row("max", None, max, call("max"), _arith, _tie_weights("max"),
    kink=Kink("tie", "two arguments equal the maximum", convention="split evenly",
              alternatives=("all to one argument",), hit="tie"), directional="max_dir",
    finite_partials=True, bindings=(builtins.max,))
row("min", None, min, call("min"), _arith, _tie_weights("min"),
    kink=Kink("tie", "two arguments equal the minimum", convention="split evenly",
              alternatives=("all to one argument",), hit="tie"), directional="min_dir",
    finite_partials=True, bindings=(builtins.min,))


def _np_extreme(kind):
    """np.maximum / np.minimum of two numbers: NaN if either is NaN (Python's max(a, b)
    keeps a when b is NaN)."""
    better = (lambda a, c: a > c) if kind == "max" else (lambda a, c: a < c)
    return lambda a, c: a if better(a, c) or a != a else c


_NP_EXTREME = {"npmax": ("max", np.maximum), "npmin": ("min", np.minimum)}
for _name, (_kind, _np) in _NP_EXTREME.items():
    row(_name, 2, _np_extreme(_kind), call(f"np.{_kind}imum"),
        _arith, _tie_weights(_kind), kink=PRIMS[_kind].kink, directional=_name + "_dir",
        finite_partials=True, elementwise=True, bindings=(_np,), bind=as_float(2),
        doc=f"np.{_kind}imum(a, b): NaN-propagating; ties split evenly")
row("tie2", 2, lambda a, c: 1.0 if a > c else (0.5 if a == c else (0.0 if a < c else _NAN)),
    cond("1.0 if {0} > {1} else (0.5 if {0} == {1} else (0.0 if {0} < {1} else np.nan))"),
    _float, doc="the share of max(a, c)'s adjoint that goes to a (ties split evenly)")
# directional variants (grad(f, nonsmooth="directional")): the value of relu/abs/max/min, with
# the derivative at the kink chosen by the sign of d, the directions' tangent key (the piece
# the direction enters; with two directions the second breaks the first's ties); a tie in
# every direction falls back to the default convention
row("relu_dir", 2, lambda x, d: _relu(x), cond("{0} if {0} > 0.0 else 0.0"), _float,
    lambda b, o, x, d: (b.prim("dstep", x, d), None), kink=Kink("kink", "x == 0"),
    finite_partials=True, doc="relu(x); at 0 the derivative follows the sign of the tangent d")
row("dstep", 2, lambda x, d: 1.0 if x > 0.0 or (x == 0.0 and d > 0.0) else (
    0.0 if x <= 0.0 else _NAN),
    cond("1.0 if {0} > 0.0 or ({0} == 0.0 and {1} > 0.0) else (0.0 if {0} <= 0.0 else np.nan)"),
    _float)
row("abs_dir", 2, lambda x, d: abs(x), template("abs({0})"), _float,
    lambda b, o, x, d: (b.prim("dsign", x, d), None), kink=Kink("kink", "x == 0"),
    finite_partials=True, doc="abs(x); at 0 the derivative is the sign of the tangent d")
row("dsign", 2, lambda x, d: float(_sign(x)) if x != 0.0 else float(_sign(d)),
    cond("np.sign({0}) if {0} != 0.0 else np.sign({1})"), _float)
row("max_dir", 4, lambda a, c, da, dc: max(a, c), template("max({0}, {1})"), _float,
    lambda b, o, a, c, da, dc: (b.prim("dtie", a, c, da, dc), b.prim("dtie", c, a, dc, da),
                                None, None), kink=Kink("tie", "a == b"), finite_partials=True)
row("min_dir", 4, lambda a, c, da, dc: min(a, c), template("min({0}, {1})"), _float,
    lambda b, o, a, c, da, dc: (b.prim("dtie", c, a, dc, da), b.prim("dtie", a, c, da, dc),
                                None, None), kink=Kink("tie", "a == b"), finite_partials=True)
for _name in _NP_EXTREME:                      # the same, with np.maximum's NaN rule
    _plain = PRIMS[_name]
    row(_name + "_dir", 4, lambda a, c, da, dc, _f=_plain.impl: _f(a, c), _plain.emit, _float,
        PRIMS[_NP_EXTREME[_name][0] + "_dir"].partials, kink=Kink("tie", "a == b"),
        finite_partials=True)
row("dtie", 4, lambda a, c, da, dc: 1.0 if a > c or (a == c and da > dc) else (
    0.5 if a == c and da == dc else (0.0 if a <= c else _NAN)),
    cond("1.0 if {0} > {1} or ({0} == {1} and {2} > {3}) else (0.5 if {0} == {1} and "
         "{2} == {3} else (0.0 if {0} <= {1} else np.nan))"), _float,
    doc="max(a, c)'s share for a: ties broken by the tangents")
row("tie2t", 3, lambda a, c, t: 1.0 if a > c else (t if a == c else (0.0 if a < c else _NAN)),
    cond("1.0 if {0} > {1} else ({2} if {0} == {1} else (0.0 if {0} < {1} else np.nan))"),
    _float, doc="tie2 with share t at a tie (Conventions(tie=t))")
row("stepc", 2, lambda x, c: 1.0 if x > 0.0 else (c if x == 0.0 else (0.0 if x < 0.0 else _NAN)),
    cond("1.0 if {0} > 0.0 else ({1} if {0} == 0.0 else (0.0 if {0} < 0.0 else np.nan))"),
    _float, doc="relu's partial with relu'(0) = c (Conventions(relu=c))")
row("signc", 2, lambda x, c: c if x == 0.0 else float(_sign(x)),
    cond("np.sign({0}) if {0} != 0.0 else {1}"), _float,
    doc="abs's partial with abs'(0) = c (Conventions(abs=c))")
row("step", 1, _step, cond("1.0 if {0} > 0.0 else (0.0 if {0} <= 0.0 else np.nan)"), _float,
    kink=Kink("jump", "x == 0", convention=0.0), doc="Heaviside step with step(0) = 0")
row("sign", 1, lambda x: float(_sign(x)), call("np.sign"), _float,
    kink=Kink("jump", "x == 0", convention=0.0), elementwise=True, bindings=(np.sign,))
row("floor", 1, math.floor, call("math.floor"), _int,
    kink=Kink("jump", "x an integer", convention=0.0), bindings=(math.floor,), bind=int_result)
row("ceil", 1, math.ceil, call("math.ceil"), _int,
    kink=Kink("jump", "x an integer", convention=0.0), bindings=(math.ceil,), bind=int_result)
row("round", 1, round, call("round"), _int, kink=Kink("jump", "x a half-integer", convention=0.0),
    bindings=(builtins.round,), bind=round_n)
row("ffloor", 1, lambda x: float(np.floor(x)), call("np.floor"), _float,
    kink=Kink("jump", "x an integer", convention=0.0), elementwise=True,
    bindings=(np.floor,), doc="np.floor: float result")
row("fceil", 1, lambda x: float(np.ceil(x)), call("np.ceil"), _float,
    kink=Kink("jump", "x an integer", convention=0.0), elementwise=True,
    bindings=(np.ceil,), doc="np.ceil: float result")
row("fround", 1, lambda x: float(np.round(x)), call("np.round"), _float,
    kink=Kink("jump", "x a half-integer", convention=0.0), elementwise=True,
    bindings=(on(np.round, bind=np_round, arrays=True), np.rint,
              on(np.around, bind=np_round, arrays=True)),
    doc="np.round: float result (decimals=: scaled, rounded, scaled back, as NumPy)")
row("roundn", 2, round, call("round"), _float,
    kink=Kink("jump", "x a rounding boundary", convention=0.0), operands="ints")

__all__ = ["SINGULAR0", "E"]
