"""Whole-array expressions, lowered to fused loops over elements.

`np.maximum(X @ W1 + b1, 0.0)` is not evaluated one NumPy call at a time: the frontend keeps
elementwise expressions lazy (an ArrayExpr tree) and writes the whole tree as one loop nest
when the value is needed (assigned, returned, passed on), or folds it straight into a
reduction (`np.sum(expr)` allocates nothing). Broadcasting follows NumPy by number of
dimensions (shapes aligned on the right; a missing leading axis repeats); dimensions that
line up must be equal at run time, which the generated code checks. Because the result is
ordinary loops over scalars, the reverse pass differentiates it like any user loop, and the
adjoint of broadcasting comes out as scatter-adds (`b_bar[j] += ...`) with no temporaries.
Matrix products stay BLAS calls (`@`) with array-level adjoint rules.
"""
from __future__ import annotations

import ast
from dataclasses import dataclass, field

from .builder import const_value
from .ir import Block, ForOp, Value
from .primitives import PRIMS
from .types import BOOL, F64, I64, Array, is_scalar


class ArrayExpr:
    """A lazy array: its shape and how to compute the element at a loop index."""
    ndim: int
    dtype: object

    def dims(self, low) -> list:
        raise NotImplementedError

    def unit(self, k: int) -> bool:
        """Is dimension k known to have length 1 (so it broadcasts)?"""
        return False

    def gen(self, low, idx: list) -> Value:
        raise NotImplementedError

    @property
    def type(self):
        return Array(self.dtype, self.ndim)


@dataclass(eq=False)
class Leaf(ArrayExpr):
    arr: Value

    @property
    def ndim(self):
        return self.arr.type.ndim

    @property
    def dtype(self):
        return self.arr.type.dtype

    def dims(self, low):
        return [low.b.prim("dim", self.arr, low.b.const(k)) for k in range(self.ndim)]

    def unit(self, k):
        return self.arr.type.unit(k)

    def gen(self, low, idx):
        idx = [low.b.const(0) if self.unit(k) else i for k, i in enumerate(idx)]
        return low.b.prim("index", self.arr, *idx)


@dataclass(eq=False)
class View(ArrayExpr):
    """A basic-slicing view of an array (x[a:b:c], A[i, :], A.T): an index map."""
    base: Value                  # the array (its object's version when the view was made)
    parts: list                  # per base dim: ("at", i) | ("slice", start, step, length)
    perm: list | None = None     # view dim order (transpose)
    text: str = ""

    @property
    def ndim(self):
        return sum(1 for p in self.parts if p[0] == "slice")

    @property
    def dtype(self):
        return self.base.type.dtype

    def dims(self, low):
        d = [p[3] for p in self.parts if p[0] == "slice"]
        return [d[k] for k in self.perm] if self.perm else d

    def base_index(self, low, idx):
        if self.perm:
            inv = [0] * len(idx)
            for pos, k in enumerate(self.perm):
                inv[k] = idx[pos]
            idx = inv
        it = iter(idx)
        out = []
        for p in self.parts:
            if p[0] == "at":
                out.append(p[1])
            else:
                _, start, step, _ = p
                out.append(low.b.prim("add", start, low.b.prim("mul", step, next(it))))
        return out

    def gen(self, low, idx):
        arr = low.current(self.base)
        return low.b.prim("index", arr, *self.base_index(low, idx))


@dataclass(eq=False)
class Map(ArrayExpr):
    """An elementwise primitive over arrays and scalars, broadcast by dimensions."""
    prim: str
    operands: list               # ArrayExpr or scalar Values
    where: str = ""
    attrs: dict = field(default_factory=dict)
    ndim: int = 0
    dtype: object = F64

    def dims(self, low):
        arrays = [o for o in self.operands if isinstance(o, ArrayExpr)]
        per_op = [(o, o.dims(low)) for o in arrays]
        out = []
        for d in range(self.ndim):
            present = [(o, ds[d - (self.ndim - len(ds))], d - (self.ndim - len(ds)))
                       for o, ds in per_op if d >= self.ndim - len(ds)]
            stretch = [s for o, s, k in present if not o.unit(k)]   # length-1 axes broadcast
            sizes = stretch or [present[0][1]]
            size = sizes[0]
            for other in sizes[1:]:
                if other is not size:
                    size = low.b.prim("same_size", size, other, where=self.where)
            out.append(size)
        return out

    def unit(self, k):
        offset = [(o, k - (self.ndim - o.ndim)) for o in self.operands
                  if isinstance(o, ArrayExpr) and k >= self.ndim - o.ndim]
        return all(o.unit(j) for o, j in offset)

    def gen(self, low, idx):
        vals = []
        for o in self.operands:
            if isinstance(o, ArrayExpr):
                vals.append(o.gen(low, idx[self.ndim - o.ndim:]))
            else:
                vals.append(o)
        return low.b.prim(self.prim, *vals, **self.attrs)


def _elem_type(prim: str, operands) -> object:
    """The element type of prim applied to the operands' element types."""
    dummies = []
    for o in operands:
        t = o.dtype if isinstance(o, ArrayExpr) else o.type
        dummies.append(Value(t))
    return PRIMS[prim].typing(*dummies)


class LazyArrays:
    """Mixin of the frontend's Lowerer: array expressions, reductions, products, views."""

    # ------------------------------------------------------------------ building expressions
    def as_expr(self, v):
        if isinstance(v, ArrayExpr):
            return v
        if isinstance(v, Value) and isinstance(v.type, Array):
            return Leaf(v)
        return v

    def is_array(self, v) -> bool:
        return isinstance(v, ArrayExpr) or isinstance(v, Value) and isinstance(v.type, Array)

    def elementwise(self, prim: str, operands: list, node, **attrs) -> ArrayExpr:
        ops = [self.as_expr(o) for o in operands]
        for o in ops:
            if isinstance(o, tuple):
                self.type_error(node, "tuples cannot be mixed with arrays")
        if not any(isinstance(o, ArrayExpr) for o in ops):      # numbers only: one op
            return self.b.prim(prim, *ops, **attrs)
        ndim = max(o.ndim for o in ops if isinstance(o, ArrayExpr))
        where = f"{self.loc(node).short()}:{self.loc(node).col + 1}: " \
                f"{self.expr_text(node)}: operands could not be broadcast together"
        return Map(prim, ops, where, attrs, ndim, _elem_type(prim, ops))

    # ------------------------------------------------------------------ loops
    def for_nest(self, dims: list, init: list, body) -> list:
        """Emit nested `for` loops over dims carrying `init`; body(idx, carried) -> carried."""
        b = self.b

        def level(k, idx, carried):
            if k == len(dims):
                return body(idx, carried)
            blk = Block([Value(I64, "ijk"[k] if k < 3 else f"i{k}")] +
                        [Value(c.type, c.hint) for c in carried])
            with b.at(blk):
                out = level(k + 1, idx + [blk.args[0]], list(blk.args[1:]))
                b.emit("yield", out, [])
            op = b.emit_region(ForOp, [b.const(0), dims[k], b.const(1)] + list(carried),
                        [c.type for c in carried], {"exit": False}, [blk],
                        [c.hint for c in carried])
            return list(op.results)
        return level(0, [], list(init))

    def materialize(self, x, hint: str = ""):
        """The value of x: lazy array expressions are written into a new array by one loop."""
        if not isinstance(x, ArrayExpr):
            return x
        if isinstance(x, Leaf):
            return x.arr
        dims = x.dims(self)
        out = self.b.prim("empty", *dims, dtype=x.dtype.name, hint=hint)
        (out,) = self.for_nest(dims, [out], lambda idx, c: [
            self.b.prim("store", c[0], self.convert(x.gen(self, idx), x.dtype), *idx,
                        fresh=True)])
        out.hint = hint
        return self.new_object(out)

    # ------------------------------------------------------------------ reductions
    def reduction(self, kind: str, x, axis, node):
        """sum / mean / prod / max / min over every element, or along one axis."""
        x = self.as_expr(x)
        if not isinstance(x, ArrayExpr):
            self.type_error(node, f"np.{kind}() needs an array")
        dims = x.dims(self)
        if axis is None:
            return self._reduce(kind, x, dims, list(range(x.ndim)), [], node)
        k = axis + x.ndim if axis < 0 else axis
        if not 0 <= k < x.ndim:
            self.type_error(node, f"axis {axis} is out of range for a {x.ndim}-d array")
        keep = [d for d in range(x.ndim) if d != k]
        out_dims = [dims[d] for d in keep]
        dtype = F64 if kind == "mean" or x.dtype == F64 else I64
        out = self.b.prim("empty", *out_dims, dtype=dtype.name)

        def body(oidx, c):
            value = self._reduce(kind, x, dims, [k], list(zip(keep, oidx)), node)
            return [self.b.prim("store", c[0], self.convert(value, dtype), *oidx, fresh=True)]
        (out,) = self.for_nest(out_dims, [out], body)
        return self.new_object(out)

    def _reduce(self, kind, x, dims, over, fixed, node):
        """Reduce x over the axes `over`, the other axes fixed at the given indices."""
        b = self.b
        sizes = [dims[d] for d in over]

        def full(idx):
            at = dict(fixed)
            at.update(zip(over, idx))
            return x.gen(self, [at[d] for d in range(x.ndim)])

        if kind in ("sum", "mean"):
            zero = b.const(0.0 if x.dtype == F64 or kind == "mean" else 0)
            (s,) = self.for_nest(sizes, [zero], lambda idx, c: [b.prim("add", c[0], full(idx))])
            if kind == "sum":
                return s
            count = sizes[0]
            for n in sizes[1:]:
                count = b.prim("mul", count, n)
            return b.prim("div", s, count)
        if kind == "prod":
            (p,) = self.for_nest(sizes, [b.const(1.0 if x.dtype == F64 else 1)],
                                 lambda idx, c: [b.prim("mul", c[0], full(idx))])
            return p
        # max / min: find the extreme without derivatives, then give every element equal to
        # it an even share of the adjoint (ties split evenly, as in the conventions table)
        inf = float("inf") if kind == "min" else float("-inf")
        start = b.const(inf) if x.dtype == F64 else b.const(
            2 ** 63 - 1 if kind == "min" else -2 ** 63)
        # np.max / np.min propagate NaN: the first NaN met wins (x != x)
        better = "npmax" if kind == "max" else "npmin"
        (m,) = self.for_nest(sizes, [start], lambda idx, c: [
            b.prim(better, b.prim("stop_gradient", full(idx)), c[0])])
        if x.dtype != F64:
            return m
        (count, share) = self.for_nest(sizes, [b.const(0.0), b.const(0.0)], lambda idx, c: [
            b.prim("add", c[0], b.prim("bool_f64", b.prim("eq", full(idx), m))),
            b.prim("add", c[1], b.prim("mul", b.prim("sub", full(idx), m),
                                       b.prim("bool_f64", b.prim("eq", full(idx), m))))])
        finite = b.prim("ne", b.prim("abs", m), b.const(float("inf")))   # NaN: spread, so
        spread = b.prim("add", m, b.prim("div", share, count))   # its derivative is NaN too
        return b.prim("select", finite, spread, m, hint=kind)

    # ------------------------------------------------------------------ products
    def matmul(self, a, c, node):
        """a @ c for 1-d and 2-d arrays: a BLAS call with array-level adjoint rules."""
        a, c = self.materialize(a), self.materialize(c)
        for v in (a, c):
            if isinstance(v, tuple) or not isinstance(v.type, Array) or v.type.ndim > 2 \
                    or v.type.dtype != F64:
                self.type_error(node, "matrix products take 1-d or 2-d float arrays",
                                "use float64 arrays, or write the loop")
        return self.b.prim("matmul", a, c, where=self.broadcast_msg(node, "shapes do not "
                                                                            "align"))

    def outer(self, a, c, node):
        a, c = self.materialize(a), self.materialize(c)
        if any(isinstance(v, tuple) or not isinstance(v.type, Array) or v.type.ndim != 1
               for v in (a, c)):
            self.type_error(node, "np.outer() takes two 1-d arrays")
        return self.b.prim("outer", a, c)

    # ------------------------------------------------------------------ attributes, views
    def array_attribute(self, base, node):
        x = self.as_expr(base)
        if node.attr == "shape":
            return tuple(x.dims(self))
        if node.attr == "ndim":
            return self.b.const(x.ndim)
        if node.attr == "size":
            size = self.b.const(1)
            for d in x.dims(self):
                size = self.b.prim("mul", size, d)
            return size
        if node.attr == "T":                  # the same elements, axes in reverse order
            view = self.view_of(x, node)
            return View(view.base, view.parts, list(reversed(view.perm or range(view.ndim))))
        self.unsupported(node, f"attribute .{node.attr} of an array is not supported",
                         "arrays support .shape, .ndim, .size and .T")

    def array_subscript(self, base, node):
        """x[i, j] (an element), or x[a:b], A[i, :], A[:, j] (a view)."""
        parts_nodes = node.slice.elts if isinstance(node.slice, ast.Tuple) else [node.slice]
        has_slice = any(isinstance(p, ast.Slice) for p in parts_nodes)
        x = self.as_expr(base)
        if not has_slice and len(parts_nodes) == x.ndim:
            if isinstance(x, Leaf):
                return self.array_read(x.arr, node)
            if isinstance(x, View):
                idx = [self.view_index(p, n, node) for p, n in zip(parts_nodes, x.dims(self))]
                arr = self.current(x.base)
                return self.b.prim("index", arr, *x.base_index(self, idx))
            return self.array_read(self.materialize(x), node)
        if len(parts_nodes) > x.ndim:
            self.unsupported(node.slice, f"too many indices for a {x.ndim}-d array")
        view = self.view_of(x, node)
        dims = view.dims(self)
        new_parts = []
        for p, n in zip(parts_nodes + [None] * (len(dims) - len(parts_nodes)), dims):
            if p is None or isinstance(p, ast.Slice):
                s, st, ln = self.slice_of(p, n, node)
                new_parts.append(("slice", s, st, ln))
            else:
                new_parts.append(("at", self.view_index(p, n, node)))
        # compose: the new parts index the old view's dims
        return self._compose(view, new_parts)

    def view_of(self, x, node) -> View:
        if isinstance(x, View):
            return x
        arr = self.materialize(x)
        dims = [self.b.prim("dim", arr, self.b.const(k)) for k in range(arr.type.ndim)]
        return View(arr, [("slice", self.b.const(0), self.b.const(1), d) for d in dims])

    def _compose(self, view: View, new_parts) -> View:
        """A view of a view: map each new part through the old view's slices."""
        b = self.b
        old_slices = [p for p in view.parts if p[0] == "slice"]
        if view.perm:
            old_slices = [old_slices[k] for k in view.perm]
        mapped = []
        for (_, ostart, ostep, _), np_ in zip(old_slices, new_parts):
            if np_[0] == "at":
                mapped.append(("at", b.prim("add", ostart, b.prim("mul", ostep, np_[1]))))
            else:
                _, s, st, ln = np_
                mapped.append(("slice", b.prim("add", ostart, b.prim("mul", ostep, s)),
                               b.prim("mul", ostep, st), ln))
        if view.perm:                          # put the parts back in base order
            order = [0] * len(mapped)
            for pos, k in enumerate(view.perm):
                order[k] = mapped[pos]
            mapped = order
            kept = [k for k in view.perm if mapped[k][0] == "slice"]
            rank = {k: r for r, k in enumerate(sorted(kept))}
            perm = [rank[k] for k in kept]
        else:
            perm = None
        it = iter(mapped)
        parts = [p if p[0] == "at" else next(it) for p in view.parts]
        return View(view.base, parts, perm if perm and perm != sorted(perm) else None)

    def view_index(self, p, n, node) -> Value:
        v = self.expr(p)
        if isinstance(v, tuple) or not is_scalar(v.type) or v.type == F64:
            self.type_error(p, f"array indices must be integers, got {self.tname(v)}")
        return self.b.prim("wrap_index", self.convert(v, I64), n, where=self.where(node))

    def slice_of(self, p, n, node):
        b = self.b
        if p is None:
            return b.const(0), b.const(1), n
        vals = []
        for part in (p.lower, p.upper, p.step):
            if part is None:
                vals.append(None)
                continue
            v = self.expr(part)
            if isinstance(v, tuple) or v.type not in (I64, BOOL):
                self.type_error(part, f"slice bounds must be integers, got {self.tname(v)}")
            vals.append(self.convert(v, I64))
        lo, hi, st = vals
        st = st if st is not None else b.const(1)
        if const_value(st) == 0:
            self.type_error(p, "slice step cannot be zero")
        attrs = {"has_start": lo is not None, "has_stop": hi is not None}
        args = [lo or b.const(0), hi or b.const(0), st, n]
        start = b.prim("slice_start", *args, **attrs)
        length = b.prim("slice_len", *args, **attrs)
        return start, st, length

    def element_of(self, x, i):
        """x[i] for `for v in x`: a number for 1-d x, a view of a row otherwise."""
        if x.ndim == 1:
            return x.gen(self, [i])
        return self._compose(self.view_of(x, None), [("at", i)] + [
            ("slice", self.b.const(0), self.b.const(1), d) for d in x.dims(self)[1:]])

    def broadcast_msg(self, node, what):
        loc = self.loc(node)
        return f"{loc.short()}:{loc.col + 1}: {self.expr_text(node)}: {what}"


__all__ = ["ArrayExpr", "Leaf", "View", "Map", "LazyArrays"]
