"""Abstract values: what the interpretation of a loop body (infer.py) knows of a value.

A scalar or array value is an `A`: its type, its constant (when the builder would fold it),
the array object it is a version of, and whether it is a loop's guessed argument. Lazy array
expressions are `ALeaf`, `AView`, `AMap`, with their element type and number of dimensions.
`TypeBuilder` is the IR builder's typing without the IR: the same folding and simplification
(so an abstract value is a constant exactly where the lowering's is), no ops.
"""
from __future__ import annotations

from ..builder import Builder, const_value
from ..ir import Op, Value, make_op, parent_op
from ..types import Array
from ..valuetree import like


class GiveUp(Exception):
    """The interpretation does not follow this construct (or the program is in error): the
    loop's types are found by lowering its body until they settle."""


class A:
    """An abstract scalar or array value."""
    __slots__ = ("type", "owner", "hint", "obj", "guess")

    def __init__(self, type_, owner: Op | None = None, hint: str = "", obj=None,
                 guess=False):
        self.type = type_
        self.owner = owner             # a stand-in op (no results): a constant, a `not`
        self.hint = hint
        self.obj = obj                 # the ObjKey of the array object it is a version of
        self.guess = guess             # a loop argument whose type is a guess: its loop's
        #                                node (True when converted from the lowering's)


class AExpr:
    """A lazy array expression."""
    ndim: int
    dtype: object

    @property
    def type(self):
        return Array(self.dtype, self.ndim)


class ALeaf(AExpr):
    def __init__(self, arr: A):
        self.arr = arr
        self.ndim, self.dtype = arr.type.ndim, arr.type.dtype


class AView(AExpr):
    def __init__(self, base: A, ndim: int):
        self.base = base               # the version of the array when the view was made
        self.ndim, self.dtype = ndim, base.type.dtype


class AMap(AExpr):
    def __init__(self, dtype, ndim: int, operands: list):
        self.dtype, self.ndim, self.operands = dtype, ndim, operands


class _Made:
    """What Builder.emit returns, as far as Builder.prim and Builder.const look."""
    __slots__ = ("result",)

    def __init__(self, result):
        self.result = result


class TypeBuilder(Builder):
    """Builder.prim and Builder.const on abstract values: types, constants, no ops."""

    def __init__(self):
        super().__init__(None)

    def emit(self, name, args, result_types, attrs=None, regions=None, hints=None):
        if len(result_types) != 1:
            raise GiveUp(name)
        stand_in = make_op(name, args, [], attrs) if name in ("const", "not") else None
        return _Made(A(result_types[0], stand_in, (hints or [""])[0]))

    def as_value(self, x):
        return x if isinstance(x, A) else self.const(x)


class Converter:
    """Abstract values for the lowering's values (memoised: one A per Value, so identity is
    kept), and back."""

    def __init__(self, objects, guesses: set):
        self.objects, self.guesses = objects, guesses
        self.memo: dict = {}

    def value(self, v):
        from .lazy import Leaf, View
        if v is None:
            return None
        if isinstance(v, tuple):
            return like(v, [self.value(x) for x in v])
        if isinstance(v, Leaf):
            return ALeaf(self.value(v.arr))
        if isinstance(v, View):
            return AView(self.value(v.base), v.ndim)
        if not isinstance(v, Value):
            raise GiveUp(type(v).__name__)
        out = self.memo.get(v.id)
        if out is None:
            op = parent_op(v)
            stand_in = None
            if op is not None and op.name == "const":
                stand_in = make_op("const", [], [], {"value": const_value(v)})
            elif op is not None and op.name == "not":
                stand_in = make_op("not", [self.value(op.args[0])], [], {})
            out = A(v.type, stand_in, v.hint, self.objects.key_of(v), v.id in self.guesses)
            self.memo[v.id] = out
        return out

    def env(self, env: dict) -> dict:
        return {k: self.value(v) for k, v in env.items()}


def is_array(v) -> bool:
    return isinstance(v, AExpr) or isinstance(v, A) and isinstance(v.type, Array)


def as_expr(v):
    if isinstance(v, AExpr):
        return v
    if isinstance(v, A) and isinstance(v.type, Array):
        return ALeaf(v)
    return v


def has_view(v) -> bool:
    if isinstance(v, tuple):
        return any(has_view(x) for x in v)
    return isinstance(v, AView)


__all__ = ["GiveUp", "A", "AExpr", "ALeaf", "AView", "AMap", "TypeBuilder", "Converter",
           "is_array", "as_expr", "has_view"]
