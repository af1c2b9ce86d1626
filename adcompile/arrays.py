"""Array lowering for the frontend: construction, element reads and writes, array objects.

Arrays are values in the IR: a write `y[i] = v` produces a new version of the array
(`store`), which the generated code performs in place. Python's aliasing is kept by tracking
array *objects*: every version of an array belongs to one object, the environment holds the
object's current version under the key `$obj<N>`, and reading any name bound to the object
gives its current version, so `z = y; y[0] = 1.0` is seen through `z`, and a helper function
that writes into an array it was passed is seen by its caller. Merging at branches and
carrying through loops reuse the machinery for ordinary variables.
"""
from __future__ import annotations

import ast

from .builder import const_value
from .ir import Value
from .types import BOOL, F64, I64, Array, is_scalar, promote

OBJ = "$obj"
_DTYPES = {"float": F64, "float64": F64, "int": I64, "int64": I64}


class ArrayLowering:
    """Mixin of the frontend's Lowerer: everything about arrays."""

    # ------------------------------------------------------------------ objects and versions
    def new_object(self, v: Value) -> Value:
        """Register v as the first version of a new array object."""
        obj = len(self.shared["objects"]) + 1
        self.shared["objects"][obj] = v
        self.shared["obj_of"][v.id] = obj
        self.env[f"{OBJ}{obj}"] = v
        return v

    def obj_key(self, v: Value) -> str | None:
        obj = self.shared["obj_of"].get(v.id)
        return None if obj is None else f"{OBJ}{obj}"

    def current(self, v):
        """The current version of the array object v belongs to (v itself for non-arrays)."""
        if isinstance(v, tuple):
            return tuple(self.current(x) for x in v)
        key = self.obj_key(v) if isinstance(v, Value) else None
        return self.env.get(key, v) if key else v

    def current_in(self, env: dict, v):
        """The current version of v's array object in another environment (a branch arm)."""
        key = self.obj_key(v) if isinstance(v, Value) else None
        return env.get(key, v) if key else v

    def merged_object(self, env0, te, ee, vt, ve):
        """The object a name holds after an if: the same object on both arms, a new one when
        each arm made its own array, or None (unknown: writes through it are refused)."""
        kt = self.obj_key(vt) if isinstance(vt, Value) else None
        ke = self.obj_key(ve) if isinstance(ve, Value) else None
        if kt is not None and kt == ke:
            return kt
        if (kt is None or kt not in env0) and (ke is None or ke not in env0):
            return "new"
        return None

    def adopt(self, key: str, value: Value):
        """Record that `value` (a merge or loop result) is a version of the object `key`."""
        if key.startswith(OBJ):
            self.shared["obj_of"][value.id] = int(key[len(OBJ):])

    # ------------------------------------------------------------------ reads and writes
    def index_values(self, arr: Value, node, idx_node) -> list:
        parts = idx_node.elts if isinstance(idx_node, ast.Tuple) else [idx_node]
        if any(isinstance(p, ast.Slice) for p in parts):
            self.unsupported(idx_node, "array slices are not supported yet",
                             "read and write elements with integer indices inside a loop")
        if len(parts) != arr.type.ndim:
            self.unsupported(idx_node, f"indexing a {arr.type.ndim}-d array needs "
                                       f"{arr.type.ndim} integer indices, got {len(parts)}",
                             "index single elements: x[i] or A[i, j]")
        values = []
        for p in parts:
            v = self.expr(p)
            if isinstance(v, tuple) or v.type not in (I64, BOOL):
                self.type_error(p, f"array indices must be integers, got {self.tname(v)}",
                                "convert with int(...)")
            values.append(self.convert(v, I64))
        return values

    def where(self, node) -> str:
        loc = self.loc(node)
        return f"{loc.short()}:{loc.col + 1}: {self.expr_text(node)}: index out of range"

    def array_read(self, arr: Value, node) -> Value:
        idx = self.index_values(arr, node, node.slice)
        return self.b.prim("index", arr, *idx, where=self.where(node))

    def array_store(self, target: ast.Subscript, value, op=None):
        """y[i] = value (or y[i] op= value): a new version of y's object. With slices
        (h[0, :] = x0, y[a:b] += v) the value is broadcast over the selected elements."""
        from .lazy import View
        base = self.expr(target.value)
        parts = target.slice.elts if isinstance(target.slice, ast.Tuple) else [target.slice]
        if isinstance(base, View) or self.is_array(base) and (
                any(isinstance(p, ast.Slice) for p in parts) or len(parts) < base.type.ndim):
            view = self.array_subscript(base, target)
            if not isinstance(view, View):             # every index an integer: one element
                view = self._element_view(base, target)
            return self.view_store(view, value, op, target)
        if isinstance(base, tuple) or not isinstance(base.type, Array):
            self.type_error(target, f"cannot assign into {self.tname(base)}",
                            "only array elements can be assigned: y[i] = ...")
        key = self.writable(base, target)
        idx = self.index_values(base, target, target.slice)
        where = self.where(target)
        if op is not None:
            old = self.b.prim("index", base, *idx, where=where)
            value = self.binop(op, old, value, target)
        if isinstance(value, tuple) or not is_scalar(value.type):
            self.type_error(target, "an array element can only be assigned a number",
                            "assign element by element inside a loop")
        value = self.convert(value, base.type.dtype)
        new = self.b.prim("store", base, value, *idx, where=where, hint=base.hint)
        self.env[key] = new
        self.adopt(key, new)

    def writable(self, arr, node) -> str:
        key = self.obj_key(arr)
        if key is None:
            self.unsupported(node, "writing into this array is not supported: it may be one "
                                   "of several arrays (chosen by a branch, or rebound in a loop)",
                             "write into a copy made here: y = y.copy(), then y[...] = ...")
        if int(key[len(OBJ):]) in self.shared["view_copies"]:
            self.unsupported(node, "writing through this name is not supported: it holds a "
                                   "copy of a slice (the slice is chosen by a branch or carried "
                                   "by a loop), so the write would not reach the base array "
                                   "as it does through NumPy's view",
                             "write into the original array where the slice is taken "
                             "(y[1:][0] = ..., y[i, :] = ...), or copy explicitly with .copy()")
        return key

    def _element_view(self, base, target):
        """A one-element view for y[i][j] = v, written through the view y[i]."""
        view = self.view_of(self.as_expr(base), target)
        parts = target.slice.elts if isinstance(target.slice, ast.Tuple) else [target.slice]
        return self._compose(view, [("at", self.view_index(p, n, target))
                                    for p, n in zip(parts, view.dims(self))])

    def view_store(self, view, value, op, target):
        """Write value (a number or an array broadcast to the view) into the view's elements."""
        key = self.writable(view.base, target)
        dims = view.dims(self)
        value = self.as_expr(value)
        from .lazy import ArrayExpr
        if isinstance(value, tuple):
            self.type_error(target, "cannot assign a tuple into an array")
        if isinstance(value, ArrayExpr) and key in self.objects_read(value):
            # y[1:] = y[:-1], v += v[::-1]: NumPy reads every element before writing any
            value = self.as_expr(self.materialize(value))
        if isinstance(value, ArrayExpr):
            if value.ndim > len(dims):
                self.type_error(target, "the value has more dimensions than the target")
            vdims = value.dims(self)
            where = f"{self.loc(target).short()}:{self.loc(target).col + 1}: " \
                    f"{self.expr_text(target)}: value shape does not match"
            for d, vd in zip(dims[len(dims) - len(vdims):], vdims):
                self.b.prim("same_size", d, vd, where=where)
        dtype = view.dtype

        def body(idx, carried):
            v = value.gen(self, idx[len(idx) - value.ndim:]) if isinstance(value, ArrayExpr) \
                else value
            if op is not None:
                v = self.b.prim(op, self.b.prim("index", carried[0],
                                                *view.base_index(self, idx)), v)
            v = self.convert(v, dtype)
            return [self.b.prim("store", carried[0], v, *view.base_index(self, idx))]
        (new,) = self.for_nest(dims, [self.current(view.base)], body)
        self.env[key] = new
        self.adopt(key, new)

    # ------------------------------------------------------------------ construction
    def objects_read(self, x) -> set:
        """The array objects a lazy expression reads."""
        from .lazy import Leaf, Map, View
        if isinstance(x, Leaf):
            return {self.obj_key(x.arr)}
        if isinstance(x, View):
            return {self.obj_key(x.base)}
        if isinstance(x, Map):
            return set().union(*[self.objects_read(o) for o in x.operands])
        return set()

    def reduce_call(self, kind, node, args, keywords):
        """np.sum/mean/prod/max/min(x[, axis=k]) and the same methods of arrays."""
        axis = None
        for kw in keywords:
            if kw.arg != "axis":
                self.unsupported(node, f"keyword argument {kw.arg}= is not supported",
                                 "supported: axis=<an integer constant>")
            value = self.expr(kw.value)
            axis = const_value(value) if not isinstance(value, tuple) else None
            if not isinstance(axis, int) or isinstance(axis, bool):
                self.unsupported(kw.value, "axis must be an integer known at compile time")
        if len(args) != 1:
            self.type_error(node, f"np.{kind}() takes one array")
        x = args[0]
        if isinstance(x, tuple) or not self.is_array(x):
            self.type_error(node, f"np.{kind}() of {self.tname(x)} is not supported",
                            "use max(a, b) / min(a, b) for numbers")
        return self.reduction(kind, x, axis, node)

    def array_function(self, callee, node, args):
        """np.clip(x, low, high): np.minimum(np.maximum(x, low), high), elementwise."""
        if len(args) != 3:
            self.type_error(node, "np.clip() takes 3 arguments (x, low, high)")
        if not any(self.is_array(a) for a in args):
            return self.b.prim("npmin", self.b.prim("npmax", args[0], args[1]), args[2])
        low = self.elementwise("npmax", [args[0], args[1]], node)
        return self.elementwise("npmin", [low, args[2]], node)

    def construct(self, callee, node, args):
        """np.zeros/ones/empty/full/*_like/arange/array/copy."""
        kind = callee.prim
        kw = {k.arg: k.value for k in node.keywords}
        dtype = self.dtype_of(kw.pop("dtype", None), node)
        if kw:
            self.unsupported(node, f"{callee.label}() keyword argument "
                                   f"{next(iter(kw))!r} is not supported",
                             "supported: dtype=float or dtype=int")
        if kind in ("zeros", "ones", "empty", "full"):
            want = 2 if kind == "full" else 1
            if len(args) != want:
                self.type_error(node, f"{callee.label}() takes {want} positional argument(s)")
            dims = self.shape_of(args[0], node.args[0])
            if kind == "full":
                fill = args[1]
                if isinstance(fill, tuple) or not is_scalar(fill.type):
                    self.type_error(node.args[1], "np.full() needs a number to fill with")
                dtype = dtype or (F64 if fill.type == F64 else I64)
                return self.new_object(self.b.prim("full", self.convert(fill, dtype), *dims,
                                                   dtype=dtype.name, hint=""))
            return self.new_object(self.b.prim(kind, *dims, dtype=(dtype or F64).name,
                                               hint=""))
        if kind in ("zeros_like", "ones_like", "empty_like"):
            if len(args) != 1 or isinstance(args[0], tuple) or \
                    not isinstance(args[0].type, Array):
                self.type_error(node, f"{callee.label}() takes one array")
            src = args[0]
            dims = [self.b.prim("dim", src, self.b.const(k)) for k in range(src.type.ndim)]
            base = kind[:-len("_like")]
            return self.new_object(self.b.prim(base, *dims,
                                               dtype=(dtype or src.type.dtype).name, hint=""))
        if kind == "copy":
            if len(args) != 1 or isinstance(args[0], tuple) or \
                    not isinstance(args[0].type, Array):
                self.type_error(node, f"{callee.label}() takes one array")
            return self.new_object(self.b.prim("copy", args[0], hint=args[0].hint))
        if kind == "arange":
            if not 1 <= len(args) <= 3 or any(isinstance(a, tuple) for a in args):
                self.type_error(node, "np.arange() takes 1 to 3 numbers")
            t = I64
            for a in args:
                t = promote(t, a.type)
            t = dtype or (F64 if t == F64 else I64)
            full = list(args) if len(args) > 1 else [self.b.const(0)] + list(args)
            if len(full) == 2:
                full.append(self.b.const(1))
            return self.new_object(self.b.prim("arange", *[self.convert(a, t) for a in full],
                                               hint=""))
        if kind == "array":
            elems = self.array_literal(node, args)
            t = dtype
            if t is None:
                t = F64 if any(e.type == F64 for e in elems) else I64
            return self.new_object(self.b.prim("array_of", *[self.convert(e, t) for e in elems],
                                               hint=""))
        raise AssertionError(kind)

    def array_literal(self, node, args):
        if len(node.args) != 1 or not isinstance(node.args[0], (ast.List, ast.Tuple)):
            self.unsupported(node, "np.array() needs a list of numbers, like np.array([a, b])",
                             "build larger arrays with np.zeros and a loop")
        nested = any(isinstance(e, (ast.List, ast.Tuple)) for e in node.args[0].elts)
        elems = [] if nested else [self.expr(e) for e in node.args[0].elts]
        if not elems or any(isinstance(e, tuple) or not is_scalar(e.type) for e in elems):
            self.unsupported(node, "np.array() of a nested or empty list is not supported",
                             "use np.zeros((n, m)) and fill it in a loop")
        return elems

    def shape_of(self, value, node) -> list:
        dims = value if isinstance(value, tuple) else (value,)
        if not 1 <= len(dims) <= 3:
            self.unsupported(node, "arrays have 1 to 3 dimensions")
        out = []
        for d in dims:
            if isinstance(d, tuple) or d.type not in (I64, BOOL):
                self.type_error(node, f"array shapes are integers, got {self.tname(d)}",
                                "convert with int(...)")
            out.append(self.convert(d, I64))
        return out

    def dtype_of(self, node, call):
        if node is None:
            return None
        text = self.expr_text(node)
        name = text.split(".")[-1]
        if name in _DTYPES:
            return _DTYPES[name]
        self.unsupported(node, f"dtype {text} is not supported", "use float or int")


__all__ = ["ArrayLowering", "OBJ"]
