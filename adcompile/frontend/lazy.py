"""Whole-array expressions, lowered to fused loops over elements.

`np.maximum(X @ W1 + b1, 0.0)` is not evaluated one NumPy call at a time: the frontend keeps
elementwise expressions lazy (an ArrayExpr tree) and writes the whole tree as one loop nest
when the value is needed (assigned, returned, passed on), or folds it straight into a
reduction (`np.sum(expr)` allocates nothing). Broadcasting follows NumPy by number of
dimensions (shapes aligned on the right; a missing leading axis repeats); dimensions that
line up must be equal at run time, which the generated code checks. Because the result is
ordinary loops over scalars, the reverse pass differentiates it like any user loop, and the
adjoint of broadcasting comes out as scatter-adds (`b_bar[j] += ...`) with no temporaries.
Matrix products stay BLAS calls (`@`) with array-level adjoint rules. The expression classes'
`dims(cx)` and `gen(cx, idx)` build into the lowering context's builder.
"""
from __future__ import annotations

from dataclasses import dataclass, field

from ..builder import const_value
from ..ir import Block, ForOp, Value
from ..primitives import PRIMS
from ..types import F64, I64, Array
from ..valuetree import like
from .state import convert


class ArrayExpr:
    """A lazy array: its shape and how to compute the element at a loop index."""
    ndim: int
    dtype: object

    def dims(self, cx) -> list:
        raise NotImplementedError

    def unit(self, k: int) -> bool:
        """Is dimension k known to have length 1 (so it broadcasts)?"""
        return False

    def gen(self, cx, idx: list) -> Value:
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

    def dims(self, cx):
        return [cx.b.prim("dim", self.arr, cx.b.const(k)) for k in range(self.ndim)]

    def unit(self, k):
        return self.arr.type.unit(k)

    def gen(self, cx, idx):
        idx = [cx.b.const(0) if self.unit(k) else i for k, i in enumerate(idx)]
        return cx.b.prim("index", self.arr, *idx)


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

    def dims(self, cx):
        d = [p[3] for p in self.parts if p[0] == "slice"]
        return [d[k] for k in self.perm] if self.perm else d

    def unit(self, k):
        """A slice whose length is the constant 1 (a whole length-1 axis: view_of)."""
        d = [p[3] for p in self.parts if p[0] == "slice"]
        return const_value(d[self.perm[k]] if self.perm else d[k]) == 1

    def base_index(self, cx, idx):
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
                out.append(cx.b.prim("add", start, cx.b.prim("mul", step, next(it))))
        return out

    def gen(self, cx, idx):
        # a length-1 axis broadcasts: whatever index the consumer runs, read index 0
        idx = [cx.b.const(0) if self.unit(k) else i for k, i in enumerate(idx)]
        arr = cx.arrays.current(self.base)
        return cx.b.prim("index", arr, *self.base_index(cx, idx))


@dataclass(eq=False)
class Map(ArrayExpr):
    """An elementwise primitive over arrays and scalars, broadcast by dimensions."""
    prim: str
    operands: list               # ArrayExpr or scalar Values
    where: str = ""
    attrs: dict = field(default_factory=dict)
    ndim: int = 0
    dtype: object = F64

    def dims(self, cx):
        arrays = [o for o in self.operands if isinstance(o, ArrayExpr)]
        per_op = [(o, o.dims(cx)) for o in arrays]
        out = []
        for d in range(self.ndim):
            present = [(o, ds[d - (self.ndim - len(ds))], d - (self.ndim - len(ds)))
                       for o, ds in per_op if d >= self.ndim - len(ds)]
            stretch = [s for o, s, k in present if not o.unit(k)]   # length-1 axes broadcast
            sizes = stretch or [present[0][1]]
            size = sizes[0]
            for other in sizes[1:]:
                if other is not size:
                    size = cx.b.prim("same_size", size, other, where=self.where)
            out.append(size)
        return out

    def unit(self, k):
        offset = [(o, k - (self.ndim - o.ndim)) for o in self.operands
                  if isinstance(o, ArrayExpr) and k >= self.ndim - o.ndim]
        return all(o.unit(j) for o, j in offset)

    def gen(self, cx, idx):
        vals = []
        for o in self.operands:
            if isinstance(o, ArrayExpr):
                vals.append(o.gen(cx, idx[self.ndim - o.ndim:]))
            else:
                vals.append(o)
        return cx.b.prim(self.prim, *vals, **self.attrs)


def _elem_type(prim: str, operands) -> object:
    """The element type of prim applied to the operands' element types."""
    dummies = []
    for o in operands:
        t = o.dtype if isinstance(o, ArrayExpr) else o.type
        dummies.append(Value(t))
    return PRIMS[prim].typing(*dummies)


class Lazy:
    """Builds lazy array expressions and writes them out: fused loop nests, reductions,
    matrix products."""

    def __init__(self, cx):
        self.cx = cx

    # ------------------------------------------------------------------ building expressions
    @staticmethod
    def as_expr(v):
        if isinstance(v, ArrayExpr):
            return v
        if isinstance(v, Value) and isinstance(v.type, Array):
            return Leaf(v)
        return v

    @staticmethod
    def is_array(v) -> bool:
        return isinstance(v, ArrayExpr) or isinstance(v, Value) and isinstance(v.type, Array)

    def elementwise(self, prim: str, operands: list, node, **attrs) -> ArrayExpr:
        cx = self.cx
        ops = [self.as_expr(o) for o in operands]
        for o in ops:
            if isinstance(o, tuple):
                cx.type_error(node, "tuples cannot be mixed with arrays")
        if not any(isinstance(o, ArrayExpr) for o in ops):      # numbers only: one op
            return cx.b.prim(prim, *ops, **attrs)
        ndim = max(o.ndim for o in ops if isinstance(o, ArrayExpr))
        where = cx.where(node, "operands could not be broadcast together")
        return Map(prim, ops, where, attrs, ndim, _elem_type(prim, ops))

    # ------------------------------------------------------------------ loops
    def for_nest(self, dims: list, init: list, body) -> list:
        """Emit nested `for` loops over dims carrying `init`; body(idx, carried) -> carried."""
        b = self.cx.b

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
        cx = self.cx
        b = cx.b
        dims = x.dims(cx)
        ones = tuple(x.unit(k) for k in range(x.ndim))
        extra = {"ones": ones} if any(ones) else {}
        out = b.prim("empty", *dims, dtype=x.dtype.name, hint=hint, **extra)
        (out,) = self.for_nest(dims, [out], lambda idx, c: [
            b.prim("store", c[0], convert(b, x.gen(cx, idx), x.dtype), *idx, fresh=True)])
        out.hint = hint
        out = cx.arrays.new_object(out)
        base = getattr(x, "view_base", None)
        if base is not None:           # NumPy gives a view of base: a checked copy here
            cx.views.record_copy(out, base, x.text, hint)
        return out

    def materialize_tree(self, v, keep_views: bool = False):
        """v with its lazy array expressions written out (views kept with keep_views)."""
        if isinstance(v, tuple):
            return like(v, [self.materialize_tree(x, keep_views) for x in v])
        return v if keep_views and isinstance(v, View) else self.materialize(v)

    # ------------------------------------------------------------------ reductions
    def reduction(self, kind: str, x, axis, node, weights=None):
        """sum / mean / prod / max / min / logsumexp over every element, or along one axis;
        logsumexp's `weights` (scipy's b=) broadcast with x."""
        cx = self.cx
        b = cx.b
        x = self.as_expr(x)
        if not isinstance(x, ArrayExpr):
            cx.type_error(node, f"np.{kind}() needs an array")
        if weights is not None and self.is_array(weights) and \
                self.as_expr(weights).ndim > x.ndim:
            cx.type_error(node, "logsumexp's b= has more axes than its array",
                          "broadcast the array itself: a + 0.0 * b")
        shape = x if weights is None else self.elementwise("mul", [x, weights], node)
        ndim = shape.ndim
        dims = shape.dims(cx)                  # broadcast with the weights: checked here
        if axis is None:
            return self._reduce(kind, x, dims, list(range(ndim)), [], node, weights)
        k = axis + ndim if axis < 0 else axis
        if not 0 <= k < ndim:
            cx.type_error(node, f"axis {axis} is out of range for a {ndim}-d array")
        keep = [d for d in range(ndim) if d != k]
        out_dims = [dims[d] for d in keep]
        dtype = F64 if kind in ("mean", "logsumexp") or x.dtype == F64 else I64
        out = b.prim("empty", *out_dims, dtype=dtype.name)

        def body(oidx, c):
            value = self._reduce(kind, x, dims, [k], list(zip(keep, oidx)), node, weights)
            return [b.prim("store", c[0], convert(b, value, dtype), *oidx, fresh=True)]
        (out,) = self.for_nest(out_dims, [out], body)
        return cx.arrays.new_object(out)

    def _reduce(self, kind, x, dims, over, fixed, node, weights=None):
        """Reduce x over the axes `over`, the other axes fixed at the given indices (x may
        have fewer axes than dims: its leading axes broadcast)."""
        cx = self.cx
        b = cx.b
        sizes = [dims[d] for d in over]

        def element(v, idx):
            at = dict(fixed)
            at.update(zip(over, idx))
            full_idx = [at[d] for d in range(len(dims))]
            return v.gen(cx, full_idx[len(dims) - v.ndim:]) if isinstance(v, ArrayExpr) else v

        def full(idx):
            return element(x, idx)

        if kind == "logsumexp":
            return self._logsumexp(sizes, lambda idx: convert(b, full(idx), F64),
                                   None if weights is None else lambda idx: convert(
                                       b, element(self.as_expr(weights), idx), F64))

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
        return b.prim("select", finite, spread, m, hint=kind, value_is=2)   # spread == m

    def _logsumexp(self, sizes, full, weight):
        """log(sum(w * exp(x))) as scipy.special.logsumexp computes it: m = max(x) (not
        differentiated: the result does not depend on it), then m + log(sum(w * exp(x - m)));
        an infinite m is replaced by 0 (all -inf gives -inf, a NaN gives NaN). The gradient
        is the softmax of x (times w)."""
        b = self.cx.b
        (m,) = self.for_nest(sizes, [b.const(float("-inf"))], lambda idx, c: [
            b.prim("npmax", b.prim("stop_gradient", full(idx)), c[0])])
        shift = b.prim("select", b.prim("ne", b.prim("abs", m), b.const(float("inf"))), m,
                       b.const(0.0), hint="shift")

        def term(idx):
            e = b.prim("exp", b.prim("sub", full(idx), shift))
            return e if weight is None else b.prim("mul", weight(idx), e)
        (s,) = self.for_nest(sizes, [b.const(0.0)], lambda idx, c: [b.prim("add", c[0], term(idx))])
        return b.prim("add", shift, b.prim("log", s), hint="logsumexp")

    # ------------------------------------------------------------------ products
    def matmul(self, a, c, node):
        """a @ c for 1-d and 2-d arrays: a BLAS call with array-level adjoint rules; with a
        3-d operand, a batched product (a contraction: loops over the batch)."""
        cx = self.cx
        a, c = self.materialize(a), self.materialize(c)
        for v in (a, c):
            if isinstance(v, tuple) or not isinstance(v.type, Array) or v.type.ndim > 3 \
                    or v.type.dtype != F64:
                cx.type_error(node, "matrix products take 1-d, 2-d or 3-d float arrays",
                              "use float64 arrays, or np.einsum")
        ranks = (a.type.ndim, c.type.ndim)
        if max(ranks) == 3:
            terms = {(3, 3): ("bij", "bjk", "bik"), (3, 2): ("bij", "jk", "bik"),
                     (2, 3): ("ij", "bjk", "bik"), (3, 1): ("bij", "j", "bi"),
                     (1, 3): ("j", "bjk", "bk")}[ranks]
            return self.contract([a, c], list(terms[:2]), terms[2], node,
                                 "shapes do not align")
        return cx.b.prim("matmul", a, c, where=cx.where(node, "shapes do not align"))

    def contract(self, arrays, terms, out, node, what="dimensions named by one subscript "
                                                        "differ"):
        """The sum over the letters not in `out` of the product of arrays[k] indexed by
        terms[k] (np.einsum's meaning): a loop nest over the output's letters around a loop
        nest accumulating the products, so the adjoint is scatter-adds like any loop's."""
        cx = self.cx
        b = cx.b
        where = cx.where(node, what)
        arrays = [self.materialize(a) for a in arrays]
        sizes = {}
        for a, t in zip(arrays, terms):
            for k, ch in enumerate(t):
                d = b.prim("dim", a, b.const(k))
                sizes[ch] = d if ch not in sizes else b.prim("same_size", sizes[ch], d,
                                                             where=where)
        summed = [ch for ch in dict.fromkeys("".join(terms)) if ch not in out]

        def product(at):
            prod = None
            for a, t in zip(arrays, terms):
                v = b.prim("index", a, *[at[ch] for ch in t])
                prod = v if prod is None else b.prim("mul", prod, v)
            return prod

        def value(at):
            if not summed:
                return product(at)
            (s,) = self.for_nest([sizes[ch] for ch in summed], [b.const(0.0)], lambda idx, c: [
                b.prim("add", c[0], product({**at, **dict(zip(summed, idx))}))])
            return s

        if not out:
            return value({})
        dims = [sizes[ch] for ch in out]
        res = b.prim("empty", *dims, dtype="f64")
        (res,) = self.for_nest(dims, [res], lambda idx, c: [
            b.prim("store", c[0], value(dict(zip(out, idx))), *idx, fresh=True)])
        return cx.arrays.new_object(res)

    def kron(self, a, c, node):
        """np.kron of two 1-d or two 2-d arrays: out[i*p + k, j*q + l] = a[i, j] * c[k, l]."""
        cx = self.cx
        b = cx.b
        a, c = self.materialize(a), self.materialize(c)
        nd = a.type.ndim
        da = [b.prim("dim", a, b.const(k)) for k in range(nd)]
        dc = [b.prim("dim", c, b.const(k)) for k in range(nd)]
        res = b.prim("empty", *[b.prim("mul", x, y) for x, y in zip(da, dc)], dtype="f64")

        def body(idx, carried):
            ia, ic = idx[:nd], idx[nd:]
            at = [b.prim("add", b.prim("mul", i, n), k) for i, n, k in zip(ia, dc, ic)]
            v = b.prim("mul", b.prim("index", a, *ia), b.prim("index", c, *ic))
            return [b.prim("store", carried[0], v, *at, fresh=True)]
        (res,) = self.for_nest(da + dc, [res], body)
        return cx.arrays.new_object(res)

    def outer(self, a, c, node):
        a, c = self.materialize(a), self.materialize(c)
        if any(isinstance(v, tuple) or not isinstance(v.type, Array) or v.type.ndim != 1
               for v in (a, c)):
            self.cx.type_error(node, "np.outer() takes two 1-d arrays")
        return self.cx.b.prim("outer", a, c)


__all__ = ["ArrayExpr", "Leaf", "View", "Map", "Lazy"]
