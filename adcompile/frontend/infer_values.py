"""The abstract interpretation of expressions (for infer.py): the rules of expressions.py,
calls.py, arrays.py, lazy.py and views.py on abstract values, keeping types, constants and
array objects and building nothing. Primitive rows' binders run unchanged against a stand-in
lowering whose builder only types. Anything the lowering would report as an error, and any
construct not followed here, gives up (GiveUp)."""
from __future__ import annotations

import ast

import numpy as np

from .. import resolve
from ..builder import const_value
from ..prims.bind import Binding, Call
from ..types import BOOL, F64, I64, Array
from ..valuetree import Record
from .absvalues import A, AExpr, GiveUp, is_array
from .calls import MAX_CALL_DEPTH, REDUCTIONS, bind_arguments
from .expressions import static_value
from .state import VALUE, NoResult, is_obj
from .syntax import BINOPS, BITOPS, CMPOPS, bool_chain, is_safe, is_static_path



def _fail(*_args, **_kw):
    raise GiveUp("an error the lowering reports")


class AbstractValues:
    """Abstract expressions; `it` is the interpreter (its env, frame, branches, bodies)."""

    def __init__(self, it):
        self.it = it
        self.b = it.b

    def expr(self, node, statement: bool = False):
        handler = getattr(self, "visit_" + type(node).__name__, None)
        if handler is None:
            raise GiveUp(type(node).__name__)
        value = handler(node)
        if isinstance(value, NoResult) and not statement:
            raise GiveUp("a helper's missing result used as a value")
        return value

    def visit_Constant(self, node):
        if not isinstance(node.value, (bool, int, float)):
            raise GiveUp("constant")
        return self.b.const(node.value)

    def visit_Name(self, node):
        env = self.it.env
        if node.id in env:
            return self.it.current(env[node.id])
        return self.from_python(self.static(node))

    def visit_Tuple(self, node):
        return tuple(self.expr(e) for e in node.elts)

    def visit_Attribute(self, node):
        if not is_static_path(node.value, self.it.env):
            base = self.expr(node.value)
            if not is_array(base):
                raise GiveUp("attribute")
            return self.it.arrays.array_attribute(base, node)
        return self.from_python(self.static(node))

    def visit_Subscript(self, node):
        base = self.expr(node.value)
        if isinstance(base, Record):          # params['W1']: a constant key
            key = node.slice.value if isinstance(node.slice, ast.Constant) else None
            if key not in base.keys:
                raise GiveUp("dict key")
            return base[base.keys.index(key)]
        if isinstance(base, tuple):
            if isinstance(node.slice, ast.Slice):
                raise GiveUp("tuple slice")
            k = self.expr(node.slice)
            k = const_value(k) if isinstance(k, A) else None
            if not isinstance(k, int) or isinstance(k, bool) or not -len(base) <= k < len(base):
                raise GiveUp("tuple index")
            return base[k]
        if not is_array(base):
            raise GiveUp("subscript")
        return self.it.arrays.array_subscript(base, node)

    def visit_UnaryOp(self, node):
        v = self.expr(node.operand)
        if isinstance(v, tuple):
            raise GiveUp("tuple")
        if is_array(v):
            if isinstance(node.op, ast.USub):
                return self.it.arrays.elementwise("neg", [v])
            if isinstance(node.op, ast.UAdd):
                return v
            if isinstance(node.op, ast.Invert):
                return self.it.arrays.elementwise("not", [v])
            raise GiveUp("not of an array")
        if isinstance(node.op, ast.USub):
            return self.b.prim("neg", v)
        if isinstance(node.op, ast.UAdd):
            return self.b.prim("to_i64", v) if v.type == BOOL else v
        if isinstance(node.op, ast.Not):
            return self.b.prim("not", self.truth(v))
        raise GiveUp("~")

    def visit_BinOp(self, node):
        if isinstance(node.op, ast.MatMult):
            return self.it.arrays.matmul(self.expr(node.left), self.expr(node.right))
        op = BINOPS.get(type(node.op)) or BITOPS.get(type(node.op))
        if op is None:
            raise GiveUp("operator")
        return self.binop(op, self.expr(node.left), self.expr(node.right))

    def binop(self, op, x, y):
        if isinstance(x, tuple) or isinstance(y, tuple):
            raise GiveUp("tuple")
        if is_array(x) or is_array(y):
            return self.it.arrays.elementwise(op, [x, y])
        return self.b.prim(op, x, y)

    def visit_Compare(self, node):
        (op,), (right,) = node.ops, node.comparators
        return self.compare(op, self.expr(node.left), self.expr(right))

    def visit_Shared(self, node):
        shared = self.it.shared
        if node in shared:
            return shared.pop(node)
        shared[node] = self.expr(node.value)
        return shared[node]

    def visit_Accumulate(self, node):
        it = self.it
        it.block(node.body)
        value = it.current(it.env[node.acc])
        for name in node.hidden:
            it.env.pop(name, None)
        return value

    def compare(self, op, x, y):
        name = CMPOPS.get(type(op))
        if name is None or isinstance(x, tuple) or isinstance(y, tuple):
            raise GiveUp("comparison")
        if is_array(x) or is_array(y):
            return self.it.arrays.elementwise(name, [x, y])
        return self.b.prim(name, x, y)

    def visit_BoolOp(self, node):
        return bool_chain(node, self.expr, self.lazy_bool)

    def lazy_bool(self, kind, left, rhs_node):
        it = self.it
        if isinstance(left, tuple):
            raise GiveUp("tuple")
        if is_safe(rhs_node):
            right = self.expr(rhs_node)
            if left.type == BOOL and not isinstance(right, tuple) and right.type == BOOL:
                return self.b.prim(kind, left, right)
        test = self.truth(left)

        def take_rhs():
            it.env[VALUE] = self.expr(rhs_node)

        def keep_left():
            it.env[VALUE] = left
        it.branch(take_rhs, keep_left, test) if kind == "and" else \
            it.branch(keep_left, take_rhs, test)
        return it.env.pop(VALUE)

    def visit_IfExp(self, node):
        it = self.it
        test = self.truth(self.expr(node.test))

        def arm(e):
            def fn():
                it.env[VALUE] = self.expr(e)
            return fn
        it.branch(arm(node.body), arm(node.orelse), test)
        return it.env.pop(VALUE)

    def truth(self, v):
        if isinstance(v, tuple) or is_array(v):
            raise GiveUp("condition")
        if v.type == BOOL:
            return v
        return self.b.prim("ne", v, self.b.const(0.0 if v.type == F64 else 0))

    def convert(self, v, t):
        if v.type == t:
            return v
        return self.b.prim({F64: "to_f64", I64: "to_i64", BOOL: "to_bool"}[t], v, hint=v.hint)

    def static(self, node):
        try:
            return static_value(node, self.it.env, self.it.frame.src)
        except Exception:
            raise GiveUp("name") from None

    def from_python(self, obj):
        if isinstance(obj, (bool, int, float, np.floating, np.integer, np.bool_)):
            return self.b.const(obj.item() if hasattr(obj, "item") else obj)
        if isinstance(obj, tuple) and all(isinstance(o, (int, float)) for o in obj):
            return tuple(self.b.const(o) for o in obj)
        raise GiveUp("not a number")

    # ---------------------------------------------------------------- calls
    def visit_Call(self, node):
        if not isinstance(node.func, (ast.Name, ast.Attribute)):
            raise GiveUp("call")
        func = node.func
        if isinstance(func, ast.Attribute) and not is_static_path(func.value, self.it.env):
            return self.method(func, node)
        obj = self.static(func)
        if obj is None or any(isinstance(a, ast.Starred) for a in node.args) or \
                any(k.arg is None for k in node.keywords):
            raise GiveUp("call")
        callee = resolve.callee_of(obj)
        if isinstance(callee, Binding):
            stand_in = StandIn(self)
            return callee.bind(stand_in, Call(stand_in, callee, node))
        if callee is not None:
            return self.frontend_callee(callee, node)
        if resolve.is_user_function(obj):
            return self.call_user(resolve.unwrap_user_function(obj), node)
        raise GiveUp("unknown function")

    def method(self, func, node):
        base = self.expr(func.value)
        if isinstance(base, AExpr):
            base = self.it.arrays.materialize(base) if func.attr == "copy" else base
        if is_array(base) and func.attr in REDUCTIONS and not node.args:
            return self.it.arrays.reduce_call(func.attr, node, [base])
        if isinstance(base, A) and isinstance(base.type, Array) and func.attr == "copy" \
                and not node.args and not node.keywords:
            return self.it.arrays.construct("copy", node, [base])
        raise GiveUp("method")

    def frontend_callee(self, callee, node):
        if callee.kind == "construct":
            args = [] if callee.prim == "array" else [self.expr(a) for a in node.args]
            return self.it.arrays.construct(callee.prim, node, args)
        if callee.kind == "reduce":
            return self.it.arrays.reduce_call(callee.prim, node, [self.expr(a) for a in node.args])
        if callee.kind not in ("clip", "len"):
            raise GiveUp(callee.kind)         # shapes, new reductions: lowered until settled
        if node.keywords:
            raise GiveUp(callee.kind)
        args = [self.expr(a) for a in node.args]
        if callee.kind == "clip":
            if len(args) != 3:
                raise GiveUp("clip")
            if not any(is_array(a) for a in args):
                return self.b.prim("npmin", self.b.prim("npmax", args[0], args[1]), args[2])
            return self.it.arrays.elementwise("npmin", [self.it.arrays.elementwise("npmax", args[:2]), args[2]])
        if len(args) != 1:                                          # len(x)
            raise GiveUp("len")
        if isinstance(args[0], tuple):
            return self.b.const(len(args[0]))
        if is_array(args[0]):
            return A(I64)
        raise GiveUp("len")

    def call_user(self, func, node):
        it = self.it
        try:
            src = it.cx.helper_source(func)
        except Exception:
            raise GiveUp("source") from None
        if func in it.frame.stack or len(it.frame.stack) > MAX_CALL_DEPTH:
            raise GiveUp("recursion")
        a = src.node.args
        if a.vararg or a.kwarg:
            raise GiveUp("signature")
        args = [self.it.arrays.materialize_tree(self.expr(x), True) for x in node.args]
        kwargs = {k.arg: self.it.arrays.materialize_tree(self.expr(k.value), True) for k in node.keywords}
        try:
            env = bind_arguments(src, args, kwargs, None, self.b)
        except Exception:
            raise GiveUp("arguments") from None
        env.update({k: v for k, v in it.env.items() if is_obj(k)})
        return it.inlined(src, env, func)


class StandIn:
    """The lowering a primitive row's binder sees (prims.bind.Lowering), on abstract
    values."""

    def __init__(self, values: AbstractValues):
        self.values = values
        self.b = values.b

    def expr(self, node):
        return self.values.expr(node)

    def convert(self, v, t):
        return self.values.convert(v, t)

    def truth(self, v, node):
        return self.values.truth(v)

    def is_array(self, v) -> bool:
        return is_array(v)

    def elementwise(self, prim, operands, node, **attrs):
        if attrs:
            raise GiveUp("attributes")
        return self.values.it.arrays.elementwise(prim, operands)

    def matmul(self, a, c, node):
        return self.values.it.arrays.matmul(a, c)

    def outer(self, a, c, node):
        return self.values.it.arrays.outer(a, c)

    def reduction(self, kind, x, axis, node):
        return self.values.it.arrays.reduction(kind, x, axis)

    type_error = unsupported = staticmethod(_fail)


__all__ = ["AbstractValues", "StandIn"]
