"""The array rows: element reads and writes, construction, checks, products.

Their derivative rules are their own (rules.py): tangents are linear maps of the operands'
tangents (`each_direction`), adjoints scatter into an accumulator (`scatter`) or are given per
operand (`array_adjoint`). The checks call helpers of adcompile/runtime.py, defined there once
and named by their emitters.
"""
from __future__ import annotations

import numpy as np

from ..types import BOOL, F64, I64, NUMPY_DTYPE, Array, promote
from .bind import dot, on, outer, where
from .emit import ATOM, COND, Emit, call, cond, infix, template
from .rules import array_adjoint, each_direction, scatter, sum_terms
from .scalar_rows import E, _float, _int
from .table import Kink, row


def _elem(arr, *idx, **attrs):
    return arr.type.dtype


def _same_as_first(first, *rest, **attrs):
    return first.type


# ---------------------------------------------------------------------------- emitters
def _checked(op) -> bool:
    """Is this the user's own read or write, checked? (The adjoint sweep re-reads unchecked
    what the forward sweep checked.)"""
    return op.role == "primal" and "where" in op.attrs


def _guarded_at(first):
    """Does the subscript op (indices from operand `first` on) check an index at run time?"""
    def guards(op) -> bool:
        safe = op.attrs.get("safe", ())
        return _checked(op) and any(k not in safe for k in range(len(op.args) - first))
    return guards


def _subscript(op, arg, first, checked):
    """arr[i, j] of the indices from operand `first` on; checked: an index out of range
    raises IndexError naming the user's line."""
    arr = arg(0, ATOM if checked else 0)
    idx = [arg(k, 0) for k in range(first, len(op.args))]
    if not checked:
        return f"{arr}[{', '.join(idx)}]"
    where, safe = op.attrs["where"], op.attrs.get("safe", ())
    return arr + "[" + ", ".join(i if k in safe else f"inbounds({i}, {arr}.shape[{k}], {where!r})"
                                 for k, i in enumerate(idx)) + "]"


def _read(op, arg):
    return _subscript(op, arg, 1, _checked(op)), ATOM


def _write(symbol, checks=True):
    """y[i] = v / y[i] += v: a statement updating the array in place."""
    def fn(op, arg):
        target = _subscript(op, arg, 2, checks and _checked(op))
        return f"{target} {symbol} {arg(1, 0)}", ATOM
    return Emit(fn, (), ("inbounds",) if checks else ())


def _alloc(func, first=0):
    """np.zeros(shape, dtype), np.full(shape, value, dtype): the shape from the operands
    after the first `first`."""
    def fn(op, arg):
        dims = [arg(k, 0) for k in range(first, len(op.args))]
        shape = dims[0] if len(dims) == 1 else "(" + ", ".join(dims) + ")"
        dtype = NUMPY_DTYPE[_ELEMENT[op.attrs.get("dtype", "f64")]]
        return f"{func}({', '.join([shape] + [arg(k, 0) for k in range(first)] + [dtype])})", \
            ATOM
    return Emit(fn)


def _array_literal(op, arg):
    return f"np.array([{', '.join(arg(k, 0) for k in range(len(op.args)))}])", ATOM


def _helper(name, *attrs):
    """A call of the runtime helper `name` on the operands, then the attrs (repr): `where`
    names the user's line in the error the helper raises."""
    def fn(op, arg):
        parts = [arg(k, 0) for k in range(len(op.args))]
        parts += [repr(op.attrs.get(a, "")) if a == "where" else repr(op.attrs[a]) for a in attrs]
        return f"{name}({', '.join(parts)})", ATOM
    return Emit(fn, (), (name,))


def _user_product(op) -> bool:
    """The user's own `@` (it names a line): its shapes are checked when it runs."""
    return bool(op.attrs.get("where"))


def _matmul_emit(op, arg):
    if _user_product(op):           # the user's product: shapes checked, naming the line
        return f"checked_matmul({arg(0, 0)}, {arg(1, 0)}, {op.attrs['where']!r})", ATOM
    ta, tb = (".T" if op.attrs.get(k) else "" for k in ("ta", "tb"))
    return f"{arg(0, 12)}{ta} @ {arg(1, 13)}{tb}", 12


# ---------------------------------------------------------------------------- tangent rules
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


def _bilinear(name):
    def rule(b, out, args, dots, attrs):
        (a, c), (da, dc) = args, dots
        return _sum_arrays(b, [da and b.prim(name, da, c, **attrs),
                               dc and b.prim(name, a, dc, **attrs)])
    return each_direction(rule, zeros=False)


def _written(name):
    """store / index_add: the same write into the tangent array, of the value's tangent."""
    def rule(b, out, args, dots, attrs):
        idx = args[2:]
        if dots[0] is None and dots[1] is None:
            return None
        target = dots[0] if dots[0] is not None else b.prim("zeros_like", out)
        if dots[1] is None:
            return target if name == "index_add" else b.prim("store", target, 0.0, *idx)
        return b.prim(name, target, dots[1], *idx)
    return each_direction(rule, zeros=False)


def _iadd_tangent(b, out, args, dots, attrs):
    if dots[1] is None:
        return dots[0]
    target = dots[0] if dots[0] is not None else b.prim("zeros_like", out)
    return b.prim("iadd", target, dots[1])


def _linear(name, keep_rest=False):
    """A primitive linear in its first operand: the same primitive of its tangent."""
    def rule(b, out, args, dots, attrs):
        return dots[0] and b.prim(name, dots[0], *(args[1:] if keep_rest else ()), **attrs)
    return each_direction(rule, zeros=False)


# ---------------------------------------------------------------------------- adjoint rules
def _store_adjoint(b, G, args, attrs):
    """y1 = store(y0, v, i): v_bar += y1_bar[i]; y0_bar = y1_bar with [i] zeroed, in place.
    A `fresh` store fills an element nothing wrote before (an array being built), so the
    old element has no adjoint to keep apart and the zeroing is skipped."""
    arr, v, *idx = args
    g_v = b.prim("index", G, *idx)
    rest = G if attrs.get("fresh") else b.prim("store", G, 0.0, *idx)
    return [("set", rest), ("add", g_v)] + [None] * len(idx)


def _matmul_adjoint(b, G, args, attrs):
    A, B = args
    ranks = (A.type.ndim, B.type.ndim)
    if ranks == (2, 2):                   # C = A @ B
        return [("add", b.prim("matmul", G, B, tb=True)), ("add", b.prim("matmul", A, G, ta=True))]
    if ranks == (2, 1):                   # y = A @ x
        return [("add", b.prim("outer", G, B)), ("add", b.prim("matmul", A, G, ta=True))]
    if ranks == (1, 2):                   # y = x @ A
        return [("add", b.prim("matmul", B, G)), ("add", b.prim("outer", A, G))]
    return [("add", b.prim("scaled", B, G)), ("add", b.prim("scaled", A, G))]   # a @ b


# ---------------------------------------------------------------------------- reads
def _index_add(acc, g, *idx):
    acc[idx] += g
    return acc


row("index", None, lambda a, *i: a[i], Emit(_read, (), ("inbounds",)), _elem, cost="cheap",
    guards=_guarded_at(1),
    jvp=_linear("index", keep_rest=True),
    vjp=scatter(lambda b, acc, g, arr, *idx: b.prim("index_add", acc, g, *idx)),
    doc="element read x[i] / A[i, j]; its adjoint scatters: x_bar[i] += g", operands="arrays")
row("index_add", None, _index_add, _write("+=", checks=False), _same_as_first, inplace=True,
    jvp=_written("index_add"),
    vjp=array_adjoint(lambda b, G, args, attrs: [
        ("set", G), ("add", b.prim("index", G, *args[2:]))] + [None] * len(args[2:])),
    doc="x_bar[i] += g, updating the accumulator in place", operands="arrays")
row("zeros_like", 1, lambda a: np.zeros_like(a, dtype=np.float64), call("np.zeros_like"),
    lambda a: Array(F64, a.type.ndim, a.type.ones), cost=E,
    doc="a fresh zero gradient shaped like an array", operands="arrays")
row("len", 1, len, call("len"), _int, operands="arrays")
row("dim", 2, lambda a, k: a.shape[k], "{0}.shape[{1}]", _int, doc="x.shape[k]", operands="arrays")


# ---------------------------------------------------------------------------- array writes
def _made(*dims, dtype="f64", ones=(), **_):
    """The array type; `ones` marks the axes known to have length 1 (a new axis, keepdims),
    which broadcast like an argument's length-1 axes."""
    return Array(_ELEMENT[dtype], len(dims), tuple(ones) if any(ones) else ())


_ELEMENT = {"f64": F64, "i64": I64, "bool": BOOL}     # an array's dtype attr: its elements


def _np_dtype(dtype):
    return {"f64": np.float64, "i64": np.int64, "bool": np.bool_}[dtype]


def _store(arr, v, *idx):
    out = arr.copy()
    out[idx] = v
    return out


row("store", None, _store, _write("="), _same_as_first, inplace=True, jvp=_written("store"),
    guards=_guarded_at(2),
    vjp=array_adjoint(_store_adjoint), doc="y[i] = v: a new version of y, written in place",
    operands="arrays")
row("iadd", 2, lambda a, b: a + b, "{0} += {1}", _same_as_first, inplace=True,
    jvp=each_direction(_iadd_tangent, zeros=False),
    vjp=array_adjoint(lambda b, G, args, attrs: [
        ("set", G), ("add", b.prim("copy", G) if isinstance(args[1].type, Array)
                     else b.prim("sum_all", G))]),
    doc="an array accumulator += an array or a number, in place", operands="arrays")
row("zeros", None, lambda *d, dtype="f64": np.zeros(d, _np_dtype(dtype)), _alloc("np.zeros"),
    _made, cost=E, takes_attrs=True, operands="ints")
row("ones", None, lambda *d, dtype="f64": np.ones(d, _np_dtype(dtype)), _alloc("np.ones"),
    _made, cost=E, takes_attrs=True, operands="ints")
row("empty", None, lambda *d, dtype="f64", **_: np.zeros(d, _np_dtype(dtype)), _alloc("np.empty"),
    _made, cost=E, takes_attrs=True, doc="uninitialised (the interpreter fills zeros)",
    operands="ints")
row("full", None, lambda v, *d, dtype="f64": np.full(d, v, _np_dtype(dtype)),
    _alloc("np.full", first=1), lambda v, *d, dtype="f64", **_: _made(*d, dtype=dtype),
    cost=E, takes_attrs=True, jvp=_linear("full", keep_rest=True),
    vjp=array_adjoint(lambda b, G, args, attrs: [("add", b.prim("sum_all", G))]
                      + [None] * (len(args) - 1)), operands="ints")
row("arange", 3, lambda a, b, c: np.arange(a, b, c), call("np.arange"),
    lambda a, b, c, **_: Array(a.type, 1), cost=E, operands="ints")
row("copy", 1, lambda a: a.copy(), "{0}.copy()", _same_as_first, cost=E, jvp=_linear("copy"),
    vjp=array_adjoint(lambda b, G, args, attrs: [("set", G)]), operands="arrays")
row("retype", 1, lambda a, **_: a.copy(), "{0}.copy()",
    lambda a, ndim=1, ones=(), **_: Array(a.type.dtype, a.type.ndim, tuple(ones)), cost=E,
    takes_attrs=True, jvp=_linear("retype", keep_rest=True),
    vjp=array_adjoint(lambda b, G, args, attrs: [("set", b.prim(
        "retype", G, ndim=args[0].type.ndim, ones=args[0].type.ones))]),
    doc="a copy of an array typed with other axes known to have length 1 (where a branch or "
        "a loop joins arrays that differ there: fewer)", operands="arrays")
row("array_of", None, lambda *e: np.array(e), Emit(_array_literal),
    lambda *e, **_: Array(e[0].type, 1), cost=E,
    jvp=each_direction(lambda b, out, args, dots, attrs: b.prim(
        "array_of", *[d if d is not None else 0.0 for d in dots]), zeros=False),
    vjp=array_adjoint(lambda b, G, args, attrs: [
        ("add", b.prim("index", G, k)) for k in range(len(args))]), operands="arrays")
row("sum_all", 1, lambda a: a.sum(), call("np.sum"), lambda a, **_: a.type.dtype, cost=E,
    jvp=_linear("sum_all"), vjp=scatter(lambda b, acc, g, arr: b.prim("iadd", acc, g)),
    doc="np.sum(x) over every element", operands="arrays")


# ---------------------------------------------------------------------------- checks, select
def _runtime(name: str):
    """The interpreter's implementation of a check: the runtime helper compiled code calls
    (adcompile/runtime.py: one definition, the same errors), imported on first use (it
    needs Numba)."""
    def call_(*args, where="", has_start=True, has_stop=True, **_):
        from .. import runtime
        helper = getattr(runtime, name)
        if name in ("slice_start", "slice_len"):
            return helper(*args, has_start, has_stop)
        return helper(*args, where)
    return call_


def _or_zero(b, arg, dot):
    """A tangent, or a zero like its operand (an array chosen by a select: a Jacobian
    driver's accumulator, zeros or the last sweep's)."""
    if dot is not None:
        return dot
    return b.prim("zeros_like", arg) if isinstance(arg.type, Array) else 0.0


row("assert_true", 1, _runtime("assert_true"), _helper("assert_true", "where"),
    lambda c, **_: BOOL, takes_attrs=True, check=True,
    doc="the user's assert: AssertionFailed naming the line when false", operands="ints")
row("check_bound", 1, _runtime("check_bound"), _helper("check_bound", "where"),
    lambda c, **_: BOOL, takes_attrs=True, check=True, raises=("not {0}", "UnboundNameError"),
    doc="a read of a name a path may not have bound: UnboundNameError naming the line",
    operands="ints")
row("same_size", 2, _runtime("same_size"), _helper("same_size", "where"), _int,
    takes_attrs=True, check=True,
    doc="a dimension two broadcast operands share; a mismatch raises naming the user's line",
    operands="ints")
row("select", 3, lambda c, a, b: a if c else b, cond("{1} if {0} else {2}", need=2),
    lambda c, a, b, **_: promote(a.type, b.type) if a.type != b.type else a.type,
    lambda b, o, c, x, y: (None, b.prim("bool_f64", c), b.prim("bool_f64", b.prim("not", c))),
    kink=Kink("jump", "the condition changes (the branch taken is differentiated)"),
    jvp=each_direction(lambda b, o, args, ts, attrs: None if ts[1] is None and ts[2] is None
                       else b.prim("select", args[0], _or_zero(b, args[1], ts[1]),
                                   _or_zero(b, args[2], ts[2]))),
    finite_partials=True, elementwise=True, bindings=(on(np.where, bind=where),),
    doc="np.where(c, a, b) elementwise; its tangent is the tangent of the branch taken, so "
        "an unselected NaN stays out")
row("gmul", 2, lambda g, d: g * d if g != 0.0 else 0.0, cond("{0} * {1} if {0} != 0.0 else 0.0"),
    _float, lambda b, o, g, d: (d, g),
    jvp=each_direction(lambda b, o, args, ts, attrs: sum_terms(b, [
        ts[0] is not None and b.prim("gmul", ts[0], args[1]),
        ts[1] is not None and b.prim("gmul", args[0], ts[1])])), finite_partials=True,
    doc="g * d, and 0 where the adjoint g is 0 (d may be inf or NaN on a path not taken)")
row("slice_start", 4, _runtime("slice_start"),
    _helper("slice_start", "has_start", "has_stop"), _int, takes_attrs=True,
    doc="start of x[a:b:c] with Python's rules", operands="ints")
row("slice_len", 4, _runtime("slice_len"), _helper("slice_len", "has_start", "has_stop"), _int,
    takes_attrs=True, doc="length of x[a:b:c] with Python's rules", operands="ints")
row("wrap_index", 2, _runtime("wrap_index"), _helper("wrap_index", "where"), _int,
    takes_attrs=True, check=True,
    doc="an index into a view: checked, negatives counted from the end", operands="ints")
row("check_range", 3, _runtime("check_range"), _helper("check_range", "where"), _int,
    takes_attrs=True, check=True, raises=("{1} > {0} and {1} > {2}", "OutOfRangeError"),
    doc="range(lo, hi) indexes an axis of length n (checked once, before the loop)")
row("check_at", 4, _runtime("check_at"), _helper("check_at", "where"), _int, takes_attrs=True,
    check=True, raises=("{3} > {2} and ({0} >= {1} or {0} < -{1})", "OutOfRangeError"),
    doc="i indexes an axis of length n, checked once before a loop range(lo, hi) that runs")
row("stop_gradient", 1, lambda x: x, template("{0}", COND, 2), _same_as_first,
    doc="x, treated as a constant by differentiation")


# ---------------------------------------------------------------------------- products
def _matmul_type(a, c, **_):
    ranks = (a.type.ndim, c.type.ndim)
    if ranks == (1, 1):
        return F64
    return Array(F64, 2 if ranks == (2, 2) else 1)


def _matmul(a, c, ta=False, tb=False, **_):
    return (a.T if ta else a) @ (c.T if tb else c)


row("matmul", 2, _matmul, Emit(_matmul_emit, (), ("checked_matmul",)), _matmul_type, cost=E,
    takes_attrs=True, jvp=_bilinear("matmul"), vjp=array_adjoint(_matmul_adjoint),
    guards=_user_product,
    needs_contents=True, bindings=(on(np.dot, bind=dot), on(np.matmul, bind=dot)),
    doc="A @ B, np.dot: BLAS; adjoints G @ B.T and A.T @ G", operands="arrays")
row("outer", 2, lambda a, c: np.outer(a, c), call("outer", helpers=("outer",)),
    lambda a, c, **_: Array(F64, 2), cost=E, needs_contents=True, jvp=_bilinear("outer"),
    vjp=array_adjoint(lambda b, G, args, attrs: [("add", b.prim("matmul", G, args[1])),
                                                 ("add", b.prim("matmul", G, args[0], ta=True))]),
    bindings=(on(np.outer, bind=outer),), operands="arrays")
row("scaled", 2, lambda a, s: a * s, infix("*", 12), _same_as_first, cost=E,
    jvp=_bilinear("scaled"), needs_contents=True,
    vjp=array_adjoint(lambda b, G, args, attrs: [
        ("add", b.prim("scaled", G, args[1])),
        ("add", b.prim("sum_all", b.prim("hadamard", G, args[0])))]),
    doc="an array times a number (adjoint of a dot product)",
    operands="arrays")

row("argsort", 1, lambda a: np.argsort(a, kind="mergesort"),
    "np.argsort({0}, kind='mergesort')", lambda a, **_: Array(I64, 1), cost=E,
    doc="the stable permutation sorting a 1-d array (np.sort, np.median read through it)",
    operands="arrays")

def _nonzero_emit(op, arg):
    m = arg(0, ATOM)
    if op.args[0].type.ndim == 1:
        return f"np.flatnonzero({m})", ATOM
    return f"np.nonzero({m})[{op.attrs.get('axis', 0)}]", ATOM


row("nonzero", 1, lambda m, axis=0, **_: np.nonzero(m)[axis], Emit(_nonzero_emit),
    lambda m, **_: Array(I64, 1), cost=E, takes_attrs=True,
    doc="np.nonzero(mask)[axis]: the indices along one axis of a mask's true elements, in "
        "C order (boolean-mask indexing and one-argument np.where read through them)",
    operands="arrays")

row("searchsorted", 2, lambda a, v, right=False, **_: int(np.searchsorted(
        a, v, side="right" if right else "left")),
    Emit(lambda op, arg: (f"np.searchsorted({arg(0, 0)}, {arg(1, 0)}, side="
                          f"{'right' if op.attrs.get('right') else 'left'!r})", ATOM)),
    _int, cost=E, takes_attrs=True,
    doc="where v goes in the sorted vector a (np.searchsorted, np.interp's segment); an int",
    operands="arrays")

row("lane", 2, lambda a, j: a[j], "{0}[{1}]",
    lambda a, j, **_: Array(a.type.dtype, a.type.ndim - 1),
    doc="a[j]: lane j of a driver's seed array (a view of one direction); not differentiated",
    operands="arrays")

__all__: list = []
