"""The abstract interpretation of array expressions (for infer.py): the rules of arrays.py,
lazy.py and views.py on abstract values: element types, dimensions, array objects and the
copies made for views; no loop nests, no checks."""
from __future__ import annotations

import ast

from ..builder import const_value
from ..primitives import PRIMS
from ..types import BOOL, F64, I64, MAX_NDIM, Array, is_scalar
from ..valuetree import like
from .absvalues import A, AExpr, ALeaf, AMap, AView, GiveUp, as_expr, is_array
from .arrays import DTYPES, arange_operands
from .shapes import has_newaxis
from .syntax import index_parts


class AbstractArrays:
    """Abstract array reads, writes, construction, lazy expressions and views."""

    def __init__(self, it):
        self.it = it
        self.b = it.b
        self.values = it.values

    # ---------------------------------------------------------------- arrays
    def new_object(self, v: A) -> A:
        v.obj = self.it.new_key()
        self.it.env[v.obj] = v
        return v

    def index_values(self, arr, idx_node) -> list:
        parts = index_parts(idx_node)
        if any(isinstance(p, ast.Slice) for p in parts) or len(parts) != arr.type.ndim:
            raise GiveUp("index")
        return [self.values.convert(self.integer(self.values.expr(p)), I64) for p in parts]

    @staticmethod
    def integer(v):
        if isinstance(v, tuple) or v.type not in (I64, BOOL):
            raise GiveUp("index")
        return v

    def array_read(self, arr, node):
        return self.b.prim("index", arr, *self.index_values(arr, node.slice))

    def array_store(self, target, value, op=None):
        it = self.it
        base = self.values.expr(target.value)
        parts = index_parts(target.slice)
        if isinstance(base, AView) or is_array(base) and (
                any(isinstance(p, ast.Slice) for p in parts) or len(parts) < base.type.ndim):
            view = self.array_subscript(base, target)
            if not isinstance(view, AView):
                view = self.element_view(base, target)
            return self.view_store(view, value, op)
        if isinstance(base, tuple) or not isinstance(base.type, Array) or base.obj is None:
            raise GiveUp("store")
        idx = self.index_values(base, target.slice)
        if op is not None:
            value = self.values.binop(op, self.b.prim("index", base, *idx), value)
        if isinstance(value, tuple) or not is_scalar(value.type):
            raise GiveUp("store")
        new = self.b.prim("store", base, self.values.convert(value, base.type.dtype), *idx)
        new.obj = base.obj
        it.env[base.obj] = new

    def element_view(self, base, target):
        view = self.view_of(as_expr(base))
        for p in index_parts(target.slice):
            self.view_index(p)
        return AView(view.base, 0)

    def view_store(self, view, value, op):
        key = view.base.obj
        if key is None:
            raise GiveUp("store")
        value = as_expr(value)
        if isinstance(value, tuple):
            raise GiveUp("store")
        read = self.objects_read(value) if isinstance(value, AExpr) else set()
        if isinstance(value, AExpr) and (read is None or key in read):
            value = as_expr(self.materialize(value))
        if isinstance(value, AExpr) and value.ndim > view.ndim:
            raise GiveUp("store")
        old = self.it.current(view.base)
        self.it.env[key] = A(old.type, obj=key, hint=old.hint)

    def objects_read(self, x) -> set | None:
        """As Arrays.objects_read: None when it cannot tell."""
        if isinstance(x, ALeaf):
            return {x.arr.obj}
        if isinstance(x, AView):
            return {x.base.obj}
        if isinstance(x, AMap):
            parts = [self.objects_read(o) for o in x.operands if isinstance(o, AExpr)]
            return None if any(p is None for p in parts) else set().union(*parts)
        return None

    def reduce_call(self, kind, node, args):
        if kind not in ("sum", "mean", "prod", "max", "min"):
            raise GiveUp(kind)
        axis = None
        for kw in node.keywords:
            if kind == "logsumexp" and kw.arg == "b":
                self.values.expr(kw.value)
                continue
            if kw.arg == "axis" and isinstance(kw.value, ast.Constant) and kw.value.value is None:
                axis = None
                continue
            value = self.values.expr(kw.value) if kw.arg == "axis" else None
            axis = const_value(value) if isinstance(value, A) else None
            if not isinstance(axis, int) or isinstance(axis, bool):
                raise GiveUp("axis")
        if len(args) != 1 or isinstance(args[0], tuple) or not is_array(args[0]):
            raise GiveUp("reduction")
        if kind in ("softmax", "log_softmax"):
            shifted = self.elementwise("sub", [args[0], self.reduction("logsumexp", args[0],
                                                                        None)])
            return shifted if kind == "log_softmax" else self.elementwise("exp", [shifted])
        return self.reduction(kind, args[0], axis)

    def construct(self, kind, node, args):
        b = self.b
        kw = {k.arg: k.value for k in node.keywords}
        dtype = self.dtype_of(kw.pop("dtype", None))
        if kw:
            raise GiveUp("keyword")
        if kind in ("zeros", "ones", "empty", "full"):
            if len(args) != (2 if kind == "full" else 1):
                raise GiveUp("arguments")
            dims = self.shape_of(args[0])
            if kind == "full":
                fill = args[1]
                if isinstance(fill, tuple) or not is_scalar(fill.type):
                    raise GiveUp("fill")
                dtype = dtype or (F64 if fill.type == F64 else I64)
                return self.new_object(b.prim("full", self.values.convert(fill, dtype), *dims,
                                              dtype=dtype.name))
            return self.new_object(b.prim(kind, *dims, dtype=(dtype or F64).name))
        if any(isinstance(a, tuple) for a in args):
            raise GiveUp("arguments")
        if kind in ("zeros_like", "ones_like", "empty_like", "copy"):
            if len(args) != 1 or not isinstance(args[0].type, Array):
                raise GiveUp("arguments")
            if kind == "copy":
                return self.new_object(b.prim("copy", args[0], hint=args[0].hint))
            dims = [A(I64)] * args[0].type.ndim
            return self.new_object(b.prim(kind[:-len("_like")], *dims,
                                          dtype=(dtype or args[0].type.dtype).name))
        if kind == "arange":
            if not 1 <= len(args) <= 3:
                raise GiveUp("arange")
            return self.new_object(b.prim("arange", *arange_operands(
                b, args, dtype, self.values.convert)))
        if kind == "array":
            if len(node.args) != 1 or not isinstance(node.args[0], (ast.List, ast.Tuple)) or \
                    any(isinstance(e, (ast.List, ast.Tuple)) for e in node.args[0].elts):
                raise GiveUp("array")
            elems = [self.values.expr(e) for e in node.args[0].elts]
            if not elems or any(isinstance(e, tuple) or not is_scalar(e.type) for e in elems):
                raise GiveUp("array")
            t = dtype or (F64 if any(e.type == F64 for e in elems) else I64)
            return self.new_object(b.prim("array_of", *[self.values.convert(e, t) for e in elems]))
        raise GiveUp(kind)

    def shape_of(self, value) -> list:
        dims = value if isinstance(value, tuple) else (value,)
        if not 1 <= len(dims) <= MAX_NDIM:
            raise GiveUp("shape")
        return [self.values.convert(self.integer(d), I64) for d in dims]

    def dtype_of(self, node):
        if node is None:
            return None
        from .syntax import expr_text
        name = expr_text(node).split(".")[-1]
        if name not in DTYPES:
            raise GiveUp("dtype")
        return DTYPES[name]

    # ---------------------------------------------------------------- lazy expressions
    def elementwise(self, prim, operands):
        ops = [as_expr(o) for o in operands]
        if any(isinstance(o, tuple) for o in ops):
            raise GiveUp("tuple")
        if not any(isinstance(o, AExpr) for o in ops):
            return self.b.prim(prim, *ops)
        ndim = max(o.ndim for o in ops if isinstance(o, AExpr))
        dtype = PRIMS[prim].typing(*[A(o.dtype if isinstance(o, AExpr) else o.type) for o in ops])
        return AMap(dtype, ndim, ops)

    def materialize(self, x, hint: str = ""):
        if not isinstance(x, AExpr):
            return x
        if isinstance(x, ALeaf):
            return x.arr
        out = self.b.prim("empty", *[A(I64)] * x.ndim, dtype=x.dtype.name, hint=hint)
        out = A(out.type, hint=hint)                   # the loop nest's result
        return self.new_object(out)

    def materialize_tree(self, v, keep_views: bool = False):
        if isinstance(v, tuple):
            return like(v, [self.materialize_tree(x, keep_views) for x in v])
        return v if keep_views and isinstance(v, AView) else self.materialize(v)

    def reduction(self, kind, x, axis):
        b = self.b
        x = as_expr(x)
        if not isinstance(x, AExpr):
            raise GiveUp("reduction")
        if axis is not None:
            k = axis + x.ndim if axis < 0 else axis
            if not 0 <= k < x.ndim:
                raise GiveUp("axis")
            dtype = F64 if kind in ("mean", "logsumexp") or x.dtype == F64 else I64
            out = b.prim("empty", *[A(I64)] * (x.ndim - 1), dtype=dtype.name)
            return self.new_object(A(out.type))
        if kind == "logsumexp":
            return A(F64)
        if kind in ("sum", "mean"):
            s = A(F64 if x.dtype == F64 or kind == "mean" else I64)
            return s if kind == "sum" else b.prim("div", s, A(I64))
        if kind == "prod":
            return A(F64 if x.dtype == F64 else I64)
        if x.dtype != F64:
            return A(I64)
        m = A(F64)
        return b.prim("select", A(BOOL), b.prim("add", m, b.prim("div", A(F64), A(F64))), m)

    def matmul(self, a, c):
        a, c = self.materialize(a), self.materialize(c)
        for v in (a, c):
            if isinstance(v, tuple) or not isinstance(v.type, Array) or v.type.ndim > 2 \
                    or v.type.dtype != F64:
                raise GiveUp("matmul")
        return self.b.prim("matmul", a, c)

    def outer(self, a, c):
        a, c = self.materialize(a), self.materialize(c)
        if any(isinstance(v, tuple) or not isinstance(v.type, Array) or v.type.ndim != 1
               for v in (a, c)):
            raise GiveUp("outer")
        return self.b.prim("outer", a, c)

    # ---------------------------------------------------------------- attributes, views
    def array_attribute(self, base, node):
        x = as_expr(base)
        if node.attr == "shape":
            return tuple(A(I64) for _ in range(x.ndim))
        if node.attr == "ndim":
            return self.b.const(x.ndim)
        if node.attr == "size":
            size = self.b.const(1)
            for _ in range(x.ndim):
                size = self.b.prim("mul", size, A(I64))
            return size
        if node.attr == "T":
            view = self.view_of(x)
            return AView(view.base, view.ndim)
        raise GiveUp("attribute")

    def array_subscript(self, base, node):
        if has_newaxis(node):
            raise GiveUp("new axis")
        parts = index_parts(node.slice)
        has_slice = any(isinstance(p, ast.Slice) for p in parts)
        x = as_expr(base)
        if not has_slice and len(parts) == x.ndim:
            if isinstance(x, ALeaf):
                return self.array_read(x.arr, node)
            if isinstance(x, AView):
                for p in parts:
                    self.view_index(p)
                return self.b.prim("index", self.it.current(x.base), *[A(I64)] * x.base.type.ndim)
            return self.array_read(self.materialize(x), node)
        if len(parts) > x.ndim:
            raise GiveUp("too many indices")
        view = self.view_of(x)
        ndim = 0
        for p in parts + [None] * (view.ndim - len(parts)):
            if p is None or isinstance(p, ast.Slice):
                self.slice_of(p)
                ndim += 1
            else:
                self.view_index(p)
        return AView(view.base, ndim)

    def view_of(self, x) -> AView:
        if isinstance(x, AView):
            return x
        arr = self.materialize(x)
        return AView(arr, arr.type.ndim)

    def view_index(self, p):
        v = self.values.expr(p)
        if isinstance(v, tuple) or not is_scalar(v.type) or v.type == F64:
            raise GiveUp("index")

    def slice_of(self, p):
        if p is None:
            return
        step = None
        for part in (p.lower, p.upper, p.step):
            if part is not None:
                step = self.values.convert(self.integer(self.values.expr(part)), I64)
        if p.step is not None and const_value(step) == 0:
            raise GiveUp("slice step")

    def element_of(self, x):
        if x.ndim == 1:
            base = self.it.current(x.arr if isinstance(x, ALeaf) else x.base)
            return self.b.prim("index", base, *[A(I64)] * base.type.ndim)
        return AView(self.view_of(x).base, x.ndim - 1)

    def view_copy(self, view, hint: str = "") -> A:
        value = self.materialize(view, hint)
        key = view.base.obj
        if key is not None and key in self.it.env:
            text = f"a slice (bound to {hint!r})" if hint else "a slice"
            self.it.copies[id(value)] = (key, text)
        return value

    def settle_views(self, v, hint: str = ""):
        if isinstance(v, tuple):
            return like(v, [self.settle_views(x, hint) for x in v])
        return self.view_copy(v, hint) if isinstance(v, AView) else v


__all__ = ["AbstractArrays"]
