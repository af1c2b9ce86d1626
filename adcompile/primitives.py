"""THE primitive table: one row per primitive.

A row holds the primitive's name, arity, reference implementation (Python scalars), how to emit it
(a template over operand names), its typing rule, its derivative rule and its nonsmooth metadata.
The derivative rule gives the partial derivatives as IR built from other primitives (a Value, a
Python number for a constant, or None for zero); the JVP (sum of partial * tangent) and the VJP
(adjoint * partial, per operand) are derived from it, so adding a primitive is adding one row.
Rows with `partials=None` have derivative zero (jumps, comparisons, integer ops).
"""
from __future__ import annotations

import math
from dataclasses import dataclass, replace
from typing import Callable

import numpy as np

from . import conventions
from .ir import Value
from .types import BOOL, F64, I64, Array, promote


@dataclass(frozen=True)
class Kink:
    """Where a primitive is not differentiable, and what the generated code does there."""
    kind: str                 # "kink" (continuous, two slopes) | "tie" | "jump" | "singular"
    where: str                # e.g. "x == 0"
    slopes: tuple = ()        # one-sided slopes (left, right) for a kink
    convention: object = None  # the derivative used at the point
    alternatives: tuple = ()  # other values a reasonable convention could give
    hit: str | None = None    # how the diagnostic build tests for a hit: "zero" (the argument
    #                           is 0), "tie" (the two arguments are equal); None: not recorded


@dataclass(frozen=True)
class Prim:
    name: str
    arity: int | None                 # None: variadic
    impl: Callable                    # reference implementation on Python scalars
    emit: str                         # template: {0} {1} ... operand names, {*} all of them
    typing: Callable                  # (arg Values) -> result type
    partials: Callable | None = None  # (b, out, *args) -> tuple of partials, one per operand
    cost: str = "cheap"               # cheap ops are recomputed in loop adjoints, others taped
    fold: bool = False                # constant-fold when every operand is a constant
    kink: Kink | None = None
    doc: str = ""
    vjp_into: Callable | None = None  # (b, acc, g, out, *args) -> new adjoint of args[0],
    #                                   for ops whose adjoint is a scatter (x[i] -> x_bar[i] += g)
    inplace: bool = False             # emitted as a statement updating args[0] in place
    vjp_array: Callable | None = None  # (b, G, out, *args) -> per operand: None,
    #   ("add", contribution) or ("set", adjoint array), for ops producing an array
    takes_attrs: bool = False         # impl(*args, **attrs): the interpreter passes attrs
    needs_contents: bool = False      # its adjoint reads the elements of its array operands
    jvp_array: Callable | None = None  # (b, out, args, dots, attrs) -> tangent or None, for
    #   array primitives (forward mode); dots holds one tangent per operand (None for zero)
    directional: str | None = None    # its variant whose kink follows a tangent's sign
    finite_partials: bool = False     # partials are finite wherever the operands are (so an
    #   adjoint of 0 times them stays 0 with no guard: add, mul, sin, ...); False for rows
    #   singular or overflowing at finite operands (sqrt at 0, exp(800), 1/x)
    tangent: Callable | None = None   # (b, out, args, tangents) -> tangent, where the sum of
    #   partial * tangent would not do (select: the tangent of the branch taken, so an
    #   unselected NaN stays out)


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


def _elem(arr, *idx, **attrs):
    return arr.type.dtype


def _same_as_first(first, *rest, **attrs):
    return first.type


def _pow_type(x, y, **attrs):
    t = _arith(x, y)
    if t == I64:   # int ** int is an int only for a known non-negative exponent (as in Python)
        from .ir import parent_op
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


PRIMS: dict[str, Prim] = {}


def row(name, arity, impl, emit, typing, partials=None, **kw):
    PRIMS[name] = Prim(name, arity, impl, emit, typing, partials, **kw)


E = "expensive"
SINGULAR0 = Kink("singular", "x == 0", convention=math.inf, hit="zero")

# ---------------------------------------------------------------------------- arithmetic
row("add", 2, lambda x, y: x + y, "{0} + {1}", _arith, lambda b, o, x, y: (1.0, 1.0), fold=True)
row("sub", 2, lambda x, y: x - y, "{0} - {1}", _arith, lambda b, o, x, y: (1.0, -1.0), fold=True)
row("mul", 2, lambda x, y: x * y, "{0} * {1}", _arith, lambda b, o, x, y: (y, x), fold=True)
row("div", 2, lambda x, y: x / y, "{0} / {1}", _float,
    lambda b, o, x, y: (_over(b, 1.0, y), b.prim("neg", _over(b, o, y))), fold=True,
    kink=Kink("singular", "y == 0"))
row("neg", 1, lambda x: -x, "-{0}", _arith, lambda b, o, x: (-1.0,), fold=True)
row("floordiv", 2, lambda x, y: x // y, "{0} // {1}", _arith, fold=True,
    kink=Kink("jump", "x / y an integer", convention=0.0))
row("mod", 2, lambda x, y: x % y, "{0} % {1}", _arith,
    lambda b, o, x, y: (1.0, b.prim("neg", b.prim("floordiv", x, y))), fold=True,
    kink=Kink("jump", "x / y an integer", convention=1.0))
row("pow", 2, lambda x, y: x ** y, "{0} ** {1}", _pow_type,
    lambda b, o, x, y: (b.prim("mul", y, b.prim("pow", x, b.prim("sub", y, 1))),
                        b.prim("mul", o, b.prim("logpos", x))),
    cost=E, fold=True, kink=Kink("singular", "x == 0 and y < 1"))
row("logpos", 1, _logpos, "math.log({0}) if {0} > 0.0 else 0.0", _float,
    lambda b, o, x: (b.prim("recippos", x),), cost=E,
    doc="log(x) for x > 0, else 0: the exponent's partial of x ** y")
row("recippos", 1, lambda x: 1.0 / x if x > 0.0 else 0.0, "1.0 / {0} if {0} > 0.0 else 0.0",
    _float, lambda b, o, x: (b.prim("neg", b.prim("mul", o, o)),),
    doc="1/x for x > 0, else 0: the derivative of logpos")
row("divnz", 2, lambda x, y: x / y if y != 0.0 else 0.0 * x,
    "{0} / {1} if {1} != 0.0 else 0.0 * {0}", _float,
    lambda b, o, x, y: (b.prim("divnz", 1.0, y), b.prim("neg", b.prim("divnz", o, y))),
    doc="x / y, and 0 where y is 0: partials of norms, 0 at the zero vector (conventions)")

# ---------------------------------------------------------------------------- comparisons, logic
for _name, _sym, _fn in [("lt", "<", lambda x, y: x < y), ("le", "<=", lambda x, y: x <= y),
                         ("gt", ">", lambda x, y: x > y), ("ge", ">=", lambda x, y: x >= y),
                         ("eq", "==", lambda x, y: x == y), ("ne", "!=", lambda x, y: x != y)]:
    row(_name, 2, _fn, "{0} %s {1}" % _sym, _bool, fold=True,
        kink=Kink("jump", "x == y (branch boundary)"))
row("not", 1, lambda x: not x, "not {0}", _bool, fold=True)
row("and", 2, lambda x, y: x and y, "{0} and {1}", _bool, fold=True)
row("or", 2, lambda x, y: x or y, "{0} or {1}", _bool, fold=True)

# ---------------------------------------------------------------------------- conversions
row("to_f64", 1, float, "float({0})", _float, lambda b, o, x: (1.0,), fold=True)
row("to_i64", 1, int, "int({0})", _int, fold=True, kink=Kink("jump", "x an integer", convention=0.0))
row("to_bool", 1, bool, "bool({0})", _bool, fold=True)
row("bool_f64", 1, float, "1.0 if {0} else 0.0", _float, fold=True, doc="float(b) for a bool")
row("bool_i64", 1, int, "1 if {0} else 0", _int, fold=True, doc="int(b) for a bool")
row("range_len", 3, lambda lo, hi, st: len(range(lo, hi, st)), "len(range({0}, {1}, {2}))", _int,
    fold=True)

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
    "exp": (math.exp, lambda b, o, x: (o,)),
    "expm1": (math.expm1, lambda b, o, x: (b.prim("add", o, 1.0),)),
    "log": (math.log, lambda b, o, x: (_over(b, 1.0, x),)),
    "log1p": (math.log1p, lambda b, o, x: (_over(b, 1.0, b.prim("add", 1.0, x)),)),
    "log2": (math.log2, lambda b, o, x: (_over(b, 1.0 / math.log(2.0), x),)),
    "log10": (math.log10, lambda b, o, x: (_over(b, 1.0 / math.log(10.0), x),)),
    "sqrt": (math.sqrt, lambda b, o, x: (_over(b, 0.5, o),)),
}
_singular = {"log": SINGULAR0, "log1p": Kink("singular", "x == -1"), "log2": SINGULAR0,
             "log10": SINGULAR0, "sqrt": SINGULAR0,
             "asin": Kink("singular", "|x| == 1"), "acos": Kink("singular", "|x| == 1")}
for _name, (_fn, _rule) in _unary.items():
    row(_name, 1, _fn, f"math.{_name}({{0}})", _float, _rule, cost=E, kink=_singular.get(_name))

row("atan2", 2, math.atan2, "math.atan2({0}, {1})", _float,
    lambda b, o, y, x: (
        _over(b, x, b.prim("add", b.prim("mul", x, x), b.prim("mul", y, y))),
        b.prim("neg", _over(b, y, b.prim("add", b.prim("mul", x, x), b.prim("mul", y, y))))),
    cost=E, kink=Kink("singular", "x == 0 and y == 0"))
row("hypot", 2, math.hypot, "math.hypot({0}, {1})", _float,
    lambda b, o, x, y: (b.prim("divnz", x, o), b.prim("divnz", y, o)), cost=E,
    kink=Kink("kink", "x == 0 and y == 0", convention=0.0, alternatives=("the unit disk",),
              hit="zero"))
row("norm_sqrt", 1, math.sqrt, "math.sqrt({0})", _float,
    lambda b, o, s: (b.prim("divnz", 0.5, o),), cost=E,
    kink=Kink("kink", "the vector is 0", convention=0.0, alternatives=("the unit ball",),
              hit="zero"),
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


row("abs", 1, abs, "abs({0})", _arith, _at_kink("sign", "signc", "abs"),
    kink=Kink("kink", "x == 0", slopes=(-1.0, 1.0), convention=0.0, alternatives=(-1.0, 1.0),
              hit="zero"), directional="abs_dir")
row("relu", 1, _relu, "{0} if {0} > 0.0 else 0.0", _float, _at_kink("step", "stepc", "relu"),
    kink=Kink("kink", "x == 0", slopes=(0.0, 1.0), convention=0.0, alternatives=(0.0, 1.0),
              hit="zero"), directional="relu_dir")
row("max", None, max, "max({*})", _arith, _tie_weights("max"),
    kink=Kink("tie", "two arguments equal the maximum", convention="split evenly",
              alternatives=("all to one argument",), hit="tie"), directional="max_dir")
row("min", None, min, "min({*})", _arith, _tie_weights("min"),
    kink=Kink("tie", "two arguments equal the minimum", convention="split evenly",
              alternatives=("all to one argument",), hit="tie"), directional="min_dir")
def _np_extreme(kind):
    """np.maximum / np.minimum of two numbers: NaN if either is NaN (Python's max(a, b)
    keeps a when b is NaN)."""
    better = (lambda a, c: a > c) if kind == "max" else (lambda a, c: a < c)
    return lambda a, c: a if better(a, c) or a != a else c


_NP_EXTREME = {"npmax": ("max", ">"), "npmin": ("min", "<")}
for _name, (_kind, _op) in _NP_EXTREME.items():
    row(_name, 2, _np_extreme(_kind), "{0} if {0} %s {1} or {0} != {0} else {1}" % _op,
        _arith, _tie_weights(_kind), kink=PRIMS[_kind].kink, directional=_name + "_dir",
        doc=f"np.{_kind}imum(a, b): NaN-propagating; ties split evenly")
row("tie2", 2, lambda a, c: 1.0 if a > c else (0.5 if a == c else (0.0 if a < c else _NAN)),
    "1.0 if {0} > {1} else (0.5 if {0} == {1} else (0.0 if {0} < {1} else np.nan))", _float,
    doc="the share of max(a, c)'s adjoint that goes to a (ties split evenly)")
# directional variants (grad(f, nonsmooth="directional")): the value of relu/abs/max/min, with
# the derivative at the kink chosen by the sign of d, the directions' tangent key (the piece
# the direction enters; with two directions the second breaks the first's ties); a tie in
# every direction falls back to the default convention
row("relu_dir", 2, lambda x, d: _relu(x), "{0} if {0} > 0.0 else 0.0", _float,
    lambda b, o, x, d: (b.prim("dstep", x, d), None), kink=Kink("kink", "x == 0"),
    doc="relu(x); at 0 the derivative follows the sign of the tangent d")
row("dstep", 2, lambda x, d: 1.0 if x > 0.0 or (x == 0.0 and d > 0.0) else (
    0.0 if x <= 0.0 else _NAN),
    "1.0 if {0} > 0.0 or ({0} == 0.0 and {1} > 0.0) else (0.0 if {0} <= 0.0 else np.nan)",
    _float)
row("abs_dir", 2, lambda x, d: abs(x), "abs({0})", _float,
    lambda b, o, x, d: (b.prim("dsign", x, d), None), kink=Kink("kink", "x == 0"),
    doc="abs(x); at 0 the derivative is the sign of the tangent d")
row("dsign", 2, lambda x, d: float(_sign(x)) if x != 0.0 else float(_sign(d)),
    "np.sign({0}) if {0} != 0.0 else np.sign({1})", _float)
row("max_dir", 4, lambda a, c, da, dc: max(a, c), "max({0}, {1})", _float,
    lambda b, o, a, c, da, dc: (b.prim("dtie", a, c, da, dc), b.prim("dtie", c, a, dc, da),
                                None, None), kink=Kink("tie", "a == b"))
row("min_dir", 4, lambda a, c, da, dc: min(a, c), "min({0}, {1})", _float,
    lambda b, o, a, c, da, dc: (b.prim("dtie", c, a, dc, da), b.prim("dtie", a, c, da, dc),
                                None, None), kink=Kink("tie", "a == b"))
for _name in _NP_EXTREME:                      # the same, with np.maximum's NaN rule
    _plain = PRIMS[_name]
    row(_name + "_dir", 4, lambda a, c, da, dc, _f=_plain.impl: _f(a, c), _plain.emit, _float,
        PRIMS[_NP_EXTREME[_name][0] + "_dir"].partials, kink=Kink("tie", "a == b"))
row("dtie", 4, lambda a, c, da, dc: 1.0 if a > c or (a == c and da > dc) else (
    0.5 if a == c and da == dc else (0.0 if a <= c else _NAN)),
    "1.0 if {0} > {1} or ({0} == {1} and {2} > {3}) else (0.5 if {0} == {1} and {2} == {3} "
    "else (0.0 if {0} <= {1} else np.nan))", _float, doc="max(a, c)'s share for a: ties broken by the tangents")
row("tie2t", 3, lambda a, c, t: 1.0 if a > c else (t if a == c else (0.0 if a < c else _NAN)),
    "1.0 if {0} > {1} else ({2} if {0} == {1} else (0.0 if {0} < {1} else np.nan))", _float,
    doc="tie2 with share t at a tie (Conventions(tie=t))")
row("stepc", 2, lambda x, c: 1.0 if x > 0.0 else (c if x == 0.0 else (0.0 if x < 0.0 else _NAN)),
    "1.0 if {0} > 0.0 else ({1} if {0} == 0.0 else (0.0 if {0} < 0.0 else np.nan))", _float,
    doc="relu's partial with relu'(0) = c (Conventions(relu=c))")
row("signc", 2, lambda x, c: c if x == 0.0 else float(_sign(x)),
    "np.sign({0}) if {0} != 0.0 else {1}", _float,
    doc="abs's partial with abs'(0) = c (Conventions(abs=c))")
row("step", 1, _step, "1.0 if {0} > 0.0 else (0.0 if {0} <= 0.0 else np.nan)", _float,
    kink=Kink("jump", "x == 0", convention=0.0), doc="Heaviside step with step(0) = 0")
row("sign", 1, lambda x: float(_sign(x)), "np.sign({0})", _float,
    kink=Kink("jump", "x == 0", convention=0.0))
row("floor", 1, math.floor, "math.floor({0})", _int, kink=Kink("jump", "x an integer", convention=0.0))
row("ceil", 1, math.ceil, "math.ceil({0})", _int, kink=Kink("jump", "x an integer", convention=0.0))
row("round", 1, round, "round({0})", _int, kink=Kink("jump", "x a half-integer", convention=0.0))
row("ffloor", 1, lambda x: float(np.floor(x)), "np.floor({0})", _float,
    kink=Kink("jump", "x an integer", convention=0.0), doc="np.floor: float result")
row("fceil", 1, lambda x: float(np.ceil(x)), "np.ceil({0})", _float,
    kink=Kink("jump", "x an integer", convention=0.0), doc="np.ceil: float result")
row("fround", 1, lambda x: float(np.round(x)), "np.round({0})", _float,
    kink=Kink("jump", "x a half-integer", convention=0.0), doc="np.round: float result")
row("roundn", 2, round, "round({0}, {1})", _float, kink=Kink("jump", "x a rounding boundary",
                                                               convention=0.0))


# ---------------------------------------------------------------------------- arrays
row("index", None, lambda a, *i: a[i], "{0}[{rest}]", _elem, cost="cheap",
    vjp_into=lambda b, acc, g, out, arr, *idx: b.prim("index_add", acc, g, *idx),
    doc="element read x[i] / A[i, j]; its adjoint scatters: x_bar[i] += g")
def _index_add(acc, g, *idx):
    acc[idx] += g
    return acc


row("index_add", None, _index_add, "{0}[{rest2}] += {1}", _same_as_first, inplace=True,
    vjp_array=lambda b, G, out, acc, g, *idx: [("set", G), ("add", b.prim("index", G, *idx))]
    + [None] * len(idx),
    doc="x_bar[i] += g, updating the accumulator in place")
row("zeros_like", 1, lambda a: np.zeros_like(a, dtype=np.float64), "np.zeros_like({0})",
    lambda a: Array(F64, a.type.ndim, a.type.ones), cost=E,
    doc="a fresh zero gradient shaped like an array")
row("len", 1, len, "len({0})", _int)
row("dim", 2, lambda a, k: a.shape[k], "{0}.shape[{1}]", _int, doc="x.shape[k]")


# ---------------------------------------------------------------------------- array writes
def _made(*dims, dtype="f64", **_):
    return Array({"f64": F64, "i64": I64}[dtype], len(dims))


def _np_dtype(dtype):
    return np.float64 if dtype == "f64" else np.int64


def _store(arr, v, *idx):
    out = arr.copy()
    out[idx] = v
    return out


def _store_adjoint(b, G, out, arr, v, *idx, fresh=False):
    """y1 = store(y0, v, i): v_bar += y1_bar[i]; y0_bar = y1_bar with [i] zeroed, in place.
    A `fresh` store fills an element nothing wrote before (an array being built), so the
    old element has no adjoint to keep apart and the zeroing is skipped."""
    g_v = b.prim("index", G, *idx)
    rest = G if fresh else b.prim("store", G, 0.0, *idx)
    return [("set", rest), ("add", g_v)] + [None] * len(idx)


def _array_of_adjoint(b, G, out, *elems):
    return [("add", b.prim("index", G, k)) for k in range(len(elems))]


row("store", None, _store, "{0}[{rest2}] = {1}", _same_as_first, inplace=True,
    vjp_array=_store_adjoint, doc="y[i] = v: a new version of y, written in place")
row("iadd", 2, lambda a, b: a + b, "{0} += {1}", _same_as_first, inplace=True,
    vjp_array=lambda b, G, out, a, x: [
        ("set", G), ("add", b.prim("copy", G) if isinstance(x.type, Array) else b.prim("sum_all", G))],
    doc="an array accumulator += an array or a number, in place")
row("zeros", None, lambda *d, dtype="f64": np.zeros(d, _np_dtype(dtype)),
    "np.zeros({shape}, {dtype})", _made, cost=E, takes_attrs=True)
row("ones", None, lambda *d, dtype="f64": np.ones(d, _np_dtype(dtype)),
    "np.ones({shape}, {dtype})", _made, cost=E, takes_attrs=True)
row("empty", None, lambda *d, dtype="f64": np.zeros(d, _np_dtype(dtype)),
    "np.empty({shape}, {dtype})", _made, cost=E, takes_attrs=True,
    doc="uninitialised (the interpreter fills zeros)")
row("full", None, lambda v, *d, dtype="f64": np.full(d, v, _np_dtype(dtype)),
    "np.full({shape1}, {0}, {dtype})", lambda v, *d, dtype="f64", **_: _made(*d, dtype=dtype),
    cost=E, takes_attrs=True,
    vjp_array=lambda b, G, out, v, *d: [("add", b.prim("sum_all", G))] + [None] * len(d))
row("arange", 3, lambda a, b, c: np.arange(a, b, c), "np.arange({0}, {1}, {2})",
    lambda a, b, c, **_: Array(a.type, 1), cost=E)
row("copy", 1, lambda a: a.copy(), "{0}.copy()", _same_as_first, cost=E,
    vjp_array=lambda b, G, out, arr: [("set", G)])
row("array_of", None, lambda *e: np.array(e), "np.array([{*}])",
    lambda *e, **_: Array(e[0].type, 1), cost=E, vjp_array=_array_of_adjoint)
row("sum_all", 1, lambda a: a.sum(), "np.sum({0})", lambda a, **_: a.type.dtype, cost=E,
    vjp_into=lambda b, acc, g, out, arr: b.prim("iadd", acc, g),
    doc="np.sum(x) over every element")


# ---------------------------------------------------------------------------- derived rules
def _times(b, factor, d):
    """factor * d for a partial d: a Value, a Python number (1.0 and -1.0 folded) or None."""
    if d is None:
        return None
    if isinstance(d, (int, float)):
        if d == 1.0:
            return factor
        if d == -1.0:
            return b.prim("neg", factor)
        return b.prim("mul", factor, float(d))
    return b.prim("mul", factor, d)


def guarded_times(b, t, d):
    """t * d for a tangent or adjoint t and a partial d, with 0 * d = 0 even where d is inf
    or NaN (a structural zero: a lane seeded 0, a value the path does not read)."""
    if isinstance(d, Value):
        return b.prim("gmul", t, d)
    return _times(b, t, d)


def _sum_terms(b, terms):
    """The sum of tangent terms (False/None for zero), or None."""
    terms = [t for t in terms if t is not None and t is not False]
    total = terms[0] if terms else None
    for t in terms[1:]:
        total = b.prim("add", total, t)
    return total


def _sum_partials(b, d1, d2):
    if isinstance(d1, (int, float)) and isinstance(d2, (int, float)):
        return float(d1 + d2)
    return b.prim("add", d1, d2)


def vjp(b, name: str, g, out, args, wanted, guarded: bool = False) -> list:
    """Adjoint contributions [(operand index, value)] of `out = name(*args)` for incoming
    adjoint g, for the operand positions in `wanted`. An operand that appears twice gets one
    contribution (x * x: g * (x + x)). `guarded`: g may be exactly 0 where the partials are
    not finite (a value the path did not read): 0 times anything is then 0."""
    partials = PRIMS[name].partials(b, out, *args)
    combined: dict = {}
    for k, (a, d) in enumerate(zip(args, partials)):
        if d is None or k not in wanted:
            continue
        first = next(j for j in combined if args[j] is a) if any(
            args[j] is a for j in combined) else None
        if first is None:
            combined[k] = d
        else:
            combined[first] = _sum_partials(b, combined[first], d)
    if guarded:
        return [(k, guarded_times(b, g, d)) for k, d in combined.items() if d is not None]
    return [(k, _times(b, g, d)) for k, d in combined.items()]


def jvp(b, name: str, out, args, tangents):
    """The tangent of `out = name(*args)` given operand tangents (None for zero)."""
    if PRIMS[name].tangent is not None:
        return PRIMS[name].tangent(b, out, args, tangents)
    partials = PRIMS[name].partials(b, out, *args)
    total = None
    for t, d in zip(tangents, partials):
        term = _times(b, t, d) if t is not None else None
        if term is not None:
            total = term if total is None else b.prim("add", total, term)
    return total


# ---------------------------------------------------------------------------- array helpers
def _runtime(name: str):
    """The interpreter's implementation of a check: the runtime helper compiled code calls
    (adcompile/runtime.py: one definition, the same errors), imported on first use (it
    needs Numba)."""
    def call(*args, where="", has_start=True, has_stop=True, **_):
        from . import runtime
        helper = getattr(runtime, name)
        if name in ("slice_start", "slice_len"):
            return helper(*args, has_start, has_stop)
        return helper(*args, where)
    return call


row("same_size", 2, _runtime("same_size"), "same_size({0}, {1}, {where!r})", _int,
    takes_attrs=True, doc="a dimension two broadcast operands share; a mismatch raises naming the user's line")
row("select", 3, lambda c, a, b: a if c else b, "{1} if {0} else {2}",
    lambda c, a, b, **_: promote(a.type, b.type) if a.type != b.type else a.type,
    lambda b, o, c, x, y: (None, b.prim("bool_f64", c), b.prim("bool_f64", b.prim("not", c))),
    kink=Kink("jump", "the condition changes (the branch taken is differentiated)"),
    tangent=lambda b, o, args, ts: None if ts[1] is None and ts[2] is None else b.prim(
        "select", args[0], 0.0 if ts[1] is None else ts[1], 0.0 if ts[2] is None else ts[2]),
    doc="np.where(c, a, b) elementwise")
row("gmul", 2, lambda g, d: g * d if g != 0.0 else 0.0, "{0} * {1} if {0} != 0.0 else 0.0",
    _float, lambda b, o, g, d: (d, g), tangent=lambda b, o, args, ts: _sum_terms(b, [
        ts[0] is not None and b.prim("gmul", ts[0], args[1]),
        ts[1] is not None and b.prim("gmul", args[0], ts[1])]),
    doc="g * d, and 0 where the adjoint g is 0 (d may be inf or NaN on a path not taken)")
row("slice_start", 4, _runtime("slice_start"),
    "slice_start({0}, {1}, {2}, {3}, {has_start}, {has_stop})", _int, takes_attrs=True,
    fold=False, doc="start of x[a:b:c] with Python's rules")
row("slice_len", 4, _runtime("slice_len"),
    "slice_len({0}, {1}, {2}, {3}, {has_start}, {has_stop})", _int, takes_attrs=True,
    doc="length of x[a:b:c] with Python's rules")
row("wrap_index", 2, _runtime("wrap_index"), "wrap_index({0}, {1}, {where!r})", _int,
    takes_attrs=True, doc="an index into a view: checked, negatives counted from the end")
row("check_range", 3, _runtime("check_range"), "check_range({0}, {1}, {2}, {where!r})",
    _int, takes_attrs=True, doc="range(lo, hi) indexes an axis of length n (checked once, before the loop)")
row("check_at", 4, _runtime("check_at"), "check_at({0}, {1}, {2}, {3}, {where!r})", _int,
    takes_attrs=True, doc="i indexes an axis of length n, checked once before a loop range(lo, hi) that runs")
row("stop_gradient", 1, lambda x: x, "{0}", _same_as_first,
    doc="x, treated as a constant by differentiation")


def _matmul_type(a, c, **_):
    ranks = (a.type.ndim, c.type.ndim)
    if ranks == (1, 1):
        return F64
    return Array(F64, 2 if ranks == (2, 2) else 1)


def _matmul(a, c, ta=False, tb=False, **_):
    return (a.T if ta else a) @ (c.T if tb else c)


def _matmul_adjoint(b, G, out, A, B):
    ranks = (A.type.ndim, B.type.ndim)
    if ranks == (2, 2):                   # C = A @ B
        return [("add", b.prim("matmul", G, B, tb=True)), ("add", b.prim("matmul", A, G, ta=True))]
    if ranks == (2, 1):                   # y = A @ x
        return [("add", b.prim("outer", G, B)), ("add", b.prim("matmul", A, G, ta=True))]
    if ranks == (1, 2):                   # y = x @ A
        return [("add", b.prim("matmul", B, G)), ("add", b.prim("outer", A, G))]
    return [("add", b.prim("scaled", B, G)), ("add", b.prim("scaled", A, G))]   # a @ b


row("matmul", 2, _matmul, "{0}{ta} @ {1}{tb}", _matmul_type, cost=E, takes_attrs=True,
    vjp_array=_matmul_adjoint, needs_contents=True,
    doc="A @ B, np.dot: BLAS; adjoints G @ B.T and A.T @ G")
row("outer", 2, lambda a, c: np.outer(a, c), "outer({0}, {1})",
    lambda a, c, **_: Array(F64, 2), cost=E, needs_contents=True,
    vjp_array=lambda b, G, out, a, c: [("add", b.prim("matmul", G, c)),
                                        ("add", b.prim("matmul", G, a, ta=True))])
row("scaled", 2, lambda a, s: a * s, "{0} * {1}", _same_as_first, cost=E,
    doc="an array times a number (adjoint of a dot product)")


# ---------------------------------------------------------------------------- forward mode
# Tangent rules of the array primitives (all linear or bilinear), used by passes/forward.py;
# scalar primitives need none: their tangent is the sum of partial * operand tangent.
def _sum_arrays(b, terms):
    """The sum of tangent terms (None for zero); array terms are fresh, so add in place."""
    terms = [t for t in terms if t is not None]
    if not terms:
        return None
    total = terms[0]
    for t in terms[1:]:
        total = b.prim("iadd", total, t) if isinstance(total.type, Array) else \
            b.prim("add", total, t)
    return total


def _bilinear_tangent(name):
    def rule(b, out, args, dots, attrs):
        (a, c), (da, dc) = args, dots
        return _sum_arrays(b, [da and b.prim(name, da, c, **attrs),
                               dc and b.prim(name, a, dc, **attrs)])
    return rule


def _write_tangent(name):
    """store / index_add: the same write into the tangent array, of the value's tangent."""
    def rule(b, out, args, dots, attrs):
        idx = args[2:]
        if dots[0] is None and dots[1] is None:
            return None
        target = dots[0] if dots[0] is not None else b.prim("zeros_like", out)
        if dots[1] is None:
            return target if name == "index_add" else b.prim("store", target, 0.0, *idx)
        return b.prim(name, target, dots[1], *idx)
    return rule


def _iadd_tangent(b, out, args, dots, attrs):
    if dots[1] is None:
        return dots[0]
    target = dots[0] if dots[0] is not None else b.prim("zeros_like", out)
    return b.prim("iadd", target, dots[1])


def _linear_tangent(name, keep_rest=False):
    """A primitive linear in its first operand: the same primitive of its tangent."""
    def rule(b, out, args, dots, attrs):
        return dots[0] and b.prim(name, dots[0], *(args[1:] if keep_rest else ()), **attrs)
    return rule


_ARRAY_TANGENTS = {
    "index": _linear_tangent("index", keep_rest=True),
    "full": _linear_tangent("full", keep_rest=True),
    "copy": _linear_tangent("copy"), "sum_all": _linear_tangent("sum_all"),
    "store": _write_tangent("store"), "index_add": _write_tangent("index_add"),
    "iadd": _iadd_tangent,
    "array_of": lambda b, out, args, dots, attrs: b.prim(
        "array_of", *[d if d is not None else 0.0 for d in dots]),
    "matmul": _bilinear_tangent("matmul"), "outer": _bilinear_tangent("outer"),
    "scaled": _bilinear_tangent("scaled"),
}
for _name, _rule in _ARRAY_TANGENTS.items():
    PRIMS[_name] = replace(PRIMS[_name], jvp_array=_rule)


# rows whose partials are finite wherever their operands are finite
_FINITE_PARTIALS = ("add", "sub", "mul", "neg", "to_f64", "sin", "cos", "atan", "tanh", "abs",
                    "relu", "max", "min", "npmax", "npmin", "select", "hypot", "relu_dir",
                    "abs_dir", "max_dir", "min_dir", "npmax_dir", "npmin_dir", "gmul")
for _name in _FINITE_PARTIALS:
    PRIMS[_name] = replace(PRIMS[_name], finite_partials=True)


def is_differentiable(name: str) -> bool:
    prim = PRIMS.get(name)
    return prim is not None and (prim.partials is not None or prim.vjp_into is not None
                                 or prim.vjp_array is not None)


__all__ = ["PRIMS", "Prim", "Kink", "is_differentiable"]
