"""How a call in the user's code reaches a row: bindings and binders.

A binding is one Python callable a row answers to (math.tanh, np.tanh), the label users write
it with (for messages), whether it maps over arrays, and its binder: `bind(low, call)` checks
the call's arguments and keywords and builds the row's op. `low` is what the frontend lets a
binder use, the small `Lowering` protocol below (low.b builds IR; low.expr, low.convert,
low.truth, low.is_array, low.elementwise, low.matmul, low.outer, low.reduction,
low.type_error, low.unsupported); `call` is a Call. `standard(arity)` is the default: no
keywords, the row's arity, the row mapped over arrays (fused into loops by the frontend's
lazy.py) when the binding maps; the others below are the spellings that need more
(math.log(x, base), round(x, n), math.hypot(x), casts, ...).
"""
from __future__ import annotations

import ast
from dataclasses import dataclass
from typing import Callable, Protocol

from ..types import BOOL, F64, I64


class Lowering(Protocol):
    """What a binder may ask of the frontend (frontend.calls.BinderLowering implements it)."""
    b: object                                          # the IR builder: b.prim, b.const

    def expr(self, node): ...                          # the value of an argument's AST node
    def convert(self, v, t): ...                       # a scalar value as type t
    def truth(self, v, node): ...                      # a condition's bool
    def is_array(self, v) -> bool: ...
    def elementwise(self, prim, operands, node, **attrs): ...   # prim mapped over arrays
    def matmul(self, a, c, node): ...
    def outer(self, a, c, node): ...
    def nonzero(self, v, node, label): ...             # np.nonzero(v): index arrays
    def reduction(self, kind, x, axis, node): ...      # sum / mean / prod / max / min
    def type_error(self, node, msg, hint=None): ...    # raise, located at node
    def unsupported(self, node, what=None, hint=None): ...


@dataclass(frozen=True)
class Binding:
    """A Python callable a row answers to (filled in by table.row)."""
    obj: object
    label: str = ""                  # how users write it, for messages: "np.arcsin"
    bind: Callable | None = None     # (low: Lowering, call: Call) -> the value of the call
    arrays: bool | None = None       # maps over arrays (None: the row's elementwise, for
    #                                  callables outside math and the builtins)
    row: str = ""                    # the row's name

    kind = "row"                     # the frontend's callee kinds: a row of the table

    @property
    def prim(self) -> str:
        return self.row


@dataclass(frozen=True)
class Deferred:
    """A library callable named, not imported, when the table is built (scipy.special's:
    importing SciPy costs a third of a second): resolve.py looks it up when it builds its
    callee table, at the first compile."""
    module: str
    name: str

    def resolve(self):
        import importlib
        return getattr(importlib.import_module(self.module), self.name, None)


def on(obj, label: str = "", bind: Callable | None = None, arrays: bool | None = None):
    """A binding with its own label, binder or array behaviour, for a row's `bindings`."""
    return Binding(obj, label, bind, arrays)


class Call:
    """One call of a binding in the user's code, as its binder sees it."""

    def __init__(self, low: Lowering, binding: Binding, node: ast.Call):
        self.low, self.binding, self.node = low, binding, node
        self.label, self.row = binding.label, binding.row
        self._args = None

    def no_keywords(self, what: str = "does not take keyword arguments here"):
        if self.node.keywords:
            self.low.unsupported(self.node, f"{self.label}() {what}")

    @property
    def args(self) -> list:
        """The arguments' values (a tuple argument is an error)."""
        if self._args is None:
            self._args = [self.low.expr(a) for a in self.node.args]
            for a, v in zip(self.node.args, self._args):
                if isinstance(v, tuple):
                    self.low.type_error(a, f"{self.label}() does not take a tuple argument")
        return self._args

    def values(self) -> list:
        """The arguments' values, tuples left to the binder."""
        return [self.low.expr(a) for a in self.node.args]

    def takes(self, want, args):
        """Check the number of arguments: an int, or a tuple of the numbers allowed."""
        if len(args) not in (want if isinstance(want, tuple) else (want,)):
            self.low.type_error(self.node, f"{self.label}() takes {want} argument(s), "
                                           f"got {len(args)}")

    def over_arrays(self, args, prim: str | None = None, operands=None):
        """The row (or `prim`) mapped over the arrays among args, or None for numbers only;
        an error when this binding takes numbers only."""
        if not any(self.low.is_array(a) for a in args):
            return None
        if not self.binding.arrays:
            self.low.unsupported(self.node, f"{self.label}() does not take arrays",
                                 "use the NumPy function (np.sin, np.maximum, ...) or a loop")
        return self.low.elementwise(prim or self.row, operands or args, self.node)

    def prim(self, *args, prim: str | None = None):
        return self.low.b.prim(prim or self.row, *args)

    def numbers(self, want) -> list:
        """The arguments of a call that takes numbers only: no keywords, no arrays (an error
        naming the call), `want` of them (an int, or a tuple of the numbers allowed)."""
        self.no_keywords()
        args = self.args
        if self.over_arrays(args) is not None:
            raise AssertionError(f"{self.label}: a numbers-only binder on a row bound for arrays")
        self.takes(want, args)
        return args


# ---------------------------------------------------------------------------- binders
def standard(arity, convert=None):
    """The row's own arity (None: two or more, as max and min); float operands first when
    `convert` (math.pow, np.abs: a float result for int arguments)."""
    def bind(low, call):
        call.no_keywords()
        args = call.args
        mapped = call.over_arrays(args)
        if mapped is not None:
            return mapped
        if arity is None:
            if len(args) < 2:
                low.type_error(call.node, f"{call.label}() of one argument (an iterable) is "
                                          "not supported", f"write {call.label}(a, b, ...)")
        else:
            call.takes(arity, args)
        if convert is not None:
            args = [low.convert(a, convert) for a in args]
        return call.prim(*args)
    return bind


def as_float(arity):
    return standard(arity, F64)


def int_result(low, call):
    """math.floor / math.ceil: an int; of an int, the int itself."""
    args = call.numbers(1)
    if args[0].type != F64:
        return low.convert(args[0], I64)
    return call.prim(args[0])


def square(low, call):
    """np.square(x): x * x."""
    call.no_keywords()
    args = call.args
    mapped = call.over_arrays(args, operands=args[:1] * 2)
    if mapped is not None:
        return mapped
    call.takes(1, args)
    return call.prim(args[0], args[0])


def reciprocal(low, call):
    """np.reciprocal(x): 1.0 / x."""
    call.no_keywords()
    args = call.args
    call.takes(1, args)
    one = low.b.const(1.0)
    mapped = call.over_arrays(args, operands=[one, args[0]])
    if mapped is not None:
        return mapped
    return call.prim(one, args[0])


def log_base(low, call):
    """math.log(x) and math.log(x, base) = log(x) / log(base)."""
    args = call.numbers((1, 2))
    if len(args) == 2:
        return low.b.prim("div", call.prim(args[0]), call.prim(args[1]))
    return call.prim(args[0])


def hypot_1_or_2(low, call):
    """math.hypot(x, y), and math.hypot(x) = |x|."""
    args = call.numbers((1, 2))
    if len(args) == 1:
        return low.b.prim("abs", low.convert(args[0], F64))
    return call.prim(*args)


def round_n(low, call):
    """round(x): an int (an int stays itself); round(x, n): a float (the roundn row)."""
    args = call.numbers((1, 2))
    if len(args) == 2:
        return low.b.prim("roundn", low.convert(args[0], F64), args[1])
    return call.prim(args[0]) if args[0].type == F64 else args[0]


def np_round(low, call):
    """np.round(x), np.round(x, decimals) (NumPy's way: x * 10**d rounded, divided back),
    elementwise over arrays."""
    node = call.node
    kw = {k.arg: k.value for k in node.keywords}
    if set(kw) - {"decimals"} or len(node.args) + len(kw) not in (1, 2):
        low.type_error(node, f"{call.label}() takes x and decimals")
    x = low.expr(node.args[0])
    d_node = node.args[1] if len(node.args) > 1 else kw.get("decimals")
    d = 0
    if d_node is not None:
        from ..builder import const_value
        d = const_value(low.expr(d_node))
        if not isinstance(d, int) or isinstance(d, bool):
            low.unsupported(d_node, "decimals must be an integer known at compile time")
    if d == 0:
        return low.elementwise(call.row, [x], node) if low.is_array(x) else \
            low.b.prim(call.row, low.convert(x, F64))
    scale = low.b.const(10.0 ** d) if d > 0 else low.b.const(10.0 ** -d)
    up, down = ("mul", "div") if d > 0 else ("div", "mul")
    if low.is_array(x):
        return low.elementwise(down, [low.elementwise(call.row, [low.elementwise(
            up, [x, scale], node)], node), scale], node)
    x = low.convert(x, F64)
    return low.b.prim(down, low.b.prim(call.row, low.b.prim(up, x, scale)), scale)


_TYPES = {"to_f64": F64, "to_i64": I64, "to_bool": BOOL}


def cast(low, call):
    """float(x), int(x), bool(x): x itself when it has the type; float("inf") a constant."""
    call.no_keywords()
    node = call.node
    if call.row == "to_f64" and len(node.args) == 1 and isinstance(node.args[0], ast.Constant) \
            and isinstance(node.args[0].value, str):
        try:
            return low.b.const(float(node.args[0].value))     # float("inf"), float("nan")
        except ValueError:
            low.type_error(node, f"float() cannot read {node.args[0].value!r}")
    args = call.numbers(1)
    if args[0].type == _TYPES[call.row]:
        return args[0]
    return call.prim(args[0])


def where(low, call):
    """np.where(c, a, b): select, elementwise over arrays; np.where(c): the indices of
    c's true elements, a tuple of arrays (as np.nonzero)."""
    call.no_keywords("keyword arguments are not supported")
    args = call.values()
    if len(args) == 1:
        return low.nonzero(args[0], call.node, call.label)
    if len(args) != 3:
        low.type_error(call.node, f"{call.label}() takes 3 arguments (condition, a, b)")
    if not any(low.is_array(a) for a in args):
        return call.prim(low.truth(args[0], call.node), args[1], args[2])
    return low.elementwise(call.row, args, call.node)


def logical(low, call):
    """np.logical_and/or/xor/not: of the operands' truth (nonzero), elementwise."""
    call.no_keywords("keyword arguments are not supported")
    args = call.values()
    want = 1 if call.row == "not" else 2
    if len(args) != want:
        low.type_error(call.node, f"{call.label}() takes {want} argument(s)")
    truths = []
    for a in args:
        if not low.is_array(a):
            truths.append(low.truth(a, call.node))
            continue
        elem = a.dtype if hasattr(a, "dtype") else a.type.dtype
        truths.append(a if elem == BOOL else low.elementwise("ne", [a, low.b.const(
            0.0 if elem == F64 else 0)], call.node))
    if any(low.is_array(t) for t in truths):
        return low.elementwise(call.row, truths, call.node)
    return low.b.prim(call.row, *truths)


def dot(low, call):
    """np.dot / np.matmul: a matrix product of arrays (with a number: a product)."""
    call.no_keywords("keyword arguments are not supported")
    args = call.values()
    if len(args) != 2:
        low.type_error(call.node, f"{call.label}() takes 2 arrays")
    if not all(low.is_array(a) for a in args):
        return low.elementwise("mul", args, call.node) if any(
            low.is_array(a) for a in args) else low.b.prim("mul", *args)
    if call.label == "np.dot" and any(
            (a.type.ndim if hasattr(a, "type") else a.ndim) > 2 for a in args):
        low.unsupported(call.node, "np.dot() of 3-d arrays is not supported",
                        "np.matmul (batched) or np.einsum say which axes contract")
    return low.matmul(args[0], args[1], call.node)


def outer(low, call):
    """np.outer(a, b) of two 1-d arrays."""
    call.no_keywords("keyword arguments are not supported")
    args = call.values()
    if len(args) != 2:
        low.type_error(call.node, "np.outer() takes two 1-d arrays")
    return low.outer(args[0], args[1], call.node)


def norm(low, call):
    """np.linalg.norm(x, ord=None, axis=None). Vector norms (a 1-d x, or along axis=k):
    ord None/2 the square root of the sum of squares (norm_sqrt: derivative 0 at the zero
    vector), 1 the sum of |x|, inf / -inf the max / min of |x|. Matrix norms (a 2-d x):
    None/'fro' (Frobenius), 1 / inf (the max column / row sum of |x|), -1 / -inf (min)."""
    from .linalg_bind import constant, keyword
    node = call.node
    for k in node.keywords:
        if k.arg not in ("ord", "axis"):
            low.unsupported(node, f"np.linalg.norm() keyword argument {k.arg}= is not "
                                  "supported")
    if not 1 <= len(node.args) <= 3:
        low.type_error(node, "np.linalg.norm() takes an array, ord and axis")
    x = low.expr(node.args[0])
    if isinstance(x, tuple) or not low.is_array(x):
        low.type_error(node, "np.linalg.norm() takes an array")
    ndim = x.type.ndim if hasattr(x, "type") and not hasattr(x, "ndim") else x.ndim
    ord_node, axis_node = keyword(call, "ord", 1), keyword(call, "axis", 2)
    order = None if ord_node is None else constant(low, call, ord_node, "ord")
    axis = None if axis_node is None else constant(low, call, axis_node, "axis")
    if axis is not None and (not isinstance(axis, int) or not -ndim <= axis < ndim):
        low.unsupported(node, "np.linalg.norm(): axis must be one int axis of the array")
    inf = float("inf")

    def red(kind, v, ax):
        return low.reduction(kind, v, ax, node)

    def absx():
        return low.elementwise("abs", [x], node)
    if axis is None and ndim == 2 and order is not None:        # matrix norms
        if order == "fro":
            order = None
        elif order in (1, -1, inf, -inf):
            sums = red("sum", absx(), 0 if order in (1, -1) else 1)
            return red("max" if order > 0 else "min", sums, None)
        else:
            low.unsupported(node, f"np.linalg.norm(ord={order!r}) of a matrix is not "
                                  "supported (it needs singular values)",
                            "ord=None/'fro', 1, -1, inf, -inf are supported")
    elif axis is None and ndim != 1 and order is not None:
        low.unsupported(node, "np.linalg.norm() with ord= needs a 1-d or 2-d array or axis=")
    if order in (None, 2):
        s = red("sum", low.elementwise("mul", [x, x], node), axis)
        return low.elementwise(call.row, [s], node) if axis is not None else call.prim(s)
    if order == 1:
        return red("sum", absx(), axis)
    if order in (inf, -inf):
        return red("max" if order > 0 else "min", absx(), axis)
    low.unsupported(node, f"np.linalg.norm(ord={order!r}) is not supported",
                    "vector norms: ord=None, 1, 2, inf, -inf")


__all__ = ["Lowering", "Binding", "Deferred", "on", "Call", "standard", "as_float", "int_result", "square",
           "reciprocal", "log_base", "hypot_1_or_2", "round_n", "np_round", "cast", "where", "logical", "dot",
           "outer", "norm"]
