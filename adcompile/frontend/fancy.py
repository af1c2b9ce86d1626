"""Advanced indexing: integer arrays and boolean masks in subscripts, with NumPy's rules.

`x[idx]`, `A[rows, cols]`, `A[:, idx]`, `x[mask]`, `X[X > 0]`, `x[np.where(c)]`: a read is
an index map (shapes.Remap) whose element reads the index arrays, so it fuses into what
consumes it and its adjoint is the scatter `x_bar[idx[k]] += g[k]` the loops already write
(repeated indices accumulate). A mask becomes the index arrays of its true elements
(`nonzero` row), in C order, as in NumPy.

Writes follow NumPy: `x[idx] = v` stores element by element (a repeated index keeps the
last value); `x[idx] += v` reads every selected element before it writes any (a repeated
index is incremented once, as NumPy's buffered `x[idx] = x[idx] + v`); `np.add.at(x, idx,
v)` accumulates every occurrence. Mask writes (`x[mask] = 0.0`, `x[x < 0] *= 2`) select
each element at most once.

The shape of the result is NumPy's: the index arrays (and integers among them) broadcast
together; their shape takes the place of the indexed axes when those axes are adjacent, and
comes first otherwise.
"""
from __future__ import annotations

import ast
from dataclasses import dataclass

from ..builder import const_value
from ..ir import Value
from ..types import BOOL, F64, I64, MAX_NDIM, Array, is_scalar
from .lazy import ArrayExpr, Leaf, Map, View
from .shapes import Remap
from .state import convert
from .syntax import tname


@dataclass
class Selection:
    """The elements a subscript with index arrays selects: `src` (the indexed array) read
    through `fn` over an array of shape `dims`."""
    src: ArrayExpr
    dims: list
    units: list
    fn: object                   # (cx, idx) -> src's index
    repeats: bool                # may select an element twice (user's index arrays)

    def expr(self, dtype) -> Remap:
        return Remap(self.src, self.dims, self.units, self.fn, None, "an indexed array", dtype)


class Target:
    """The elements `x[idx] = ...` writes, in the shape Arrays.view_store expects of a view:
    the base array, the dimensions, and each element's index in the base."""

    def __init__(self, sel: Selection, base: Value, through: View | None):
        self.sel, self.base, self.through = sel, base, through
        self.dtype = base.type.dtype

    def dims(self, cx):
        return list(self.sel.dims)

    def base_index(self, cx, idx):
        idx = [cx.b.const(0) if u else i for u, i in zip(self.sel.units, idx)]
        at = self.sel.fn(cx, idx)
        return self.through.base_index(cx, at) if self.through is not None else at


def is_index_array(v) -> bool:
    """Is v (a subscript part's value) an index array, a mask, or a tuple of them?"""
    if isinstance(v, tuple):
        return any(is_index_array(e) for e in v)
    return isinstance(v, ArrayExpr) or isinstance(v, Value) and isinstance(v.type, Array)


class Fancy:
    """Reads and writes through integer-array and boolean-mask subscripts."""

    def __init__(self, cx):
        self.cx = cx

    # ------------------------------------------------------------------ reading
    def read(self, x, nodes, vals, node):
        sel = self.select(x, nodes, vals, node)
        return sel.expr(self.cx.lazy.as_expr(x).dtype)

    def select(self, x, nodes, vals, node) -> Selection:
        """The Selection of x[parts]: nodes are the subscript's part nodes (ast.Slice kept
        as nodes), vals their values (None for slices)."""
        cx = self.cx
        b = cx.b
        x = cx.lazy.as_expr(x)
        xdims = x.dims(cx)
        parts, repeats = self.expand(x, xdims, nodes, vals, node)
        where = cx.where(node, "index is out of bounds")
        adv = [k for k, p in enumerate(parts) if p[0] in ("int", "arr")]
        arrays = [p[1] for p in parts if p[0] == "arr"]
        if len(arrays) == 1:
            bexpr = arrays[0]
        else:
            bexpr = Map("add", arrays, cx.where(node, "shape mismatch: indexing arrays could "
                                                      "not be broadcast together"),
                        {}, max(a.ndim for a in arrays), I64)
        bdims = bexpr.dims(cx)
        bunits = [bexpr.unit(k) for k in range(bexpr.ndim)]
        slices = {}
        for k, p in enumerate(parts):
            if p[0] == "slice":
                slices[k] = cx.views.slice_of(p[1], xdims[k], node)
        adjacent = adv == list(range(adv[0], adv[-1] + 1))
        first = adv[0] if adjacent else 0
        before = [k for k in slices if adjacent and k < first]
        after = [k for k in slices if not adjacent or k > first]
        dims = [slices[k][2] for k in before] + bdims + [slices[k][2] for k in after]
        units = [const_value(slices[k][2]) == 1 for k in before] + bunits + \
            [const_value(slices[k][2]) == 1 for k in after]
        if len(dims) > MAX_NDIM:
            cx.unsupported(node, f"arrays have 1 to {MAX_NDIM} dimensions")
        nb = len(bdims)

        def fn(cx, idx):
            at = dict(zip(before, idx[:len(before)]))
            bidx = idx[len(before):len(before) + nb]
            at.update(zip(after, idx[len(before) + nb:]))
            out = []
            for k, p in enumerate(parts):
                if p[0] == "slice":
                    start, step, _ = slices[k]
                    out.append(b.prim("add", start, b.prim("mul", step, at[k])))
                    continue
                value = p[1] if p[0] == "int" else p[1].gen(cx, bidx[nb - p[1].ndim:])
                out.append(b.prim("wrap_index", value, xdims[k], where=where))
            return out
        return Selection(x, dims, units, fn, repeats)

    def expand(self, x, xdims, nodes, vals, node):
        """Per axis of x: ("slice", node), ("int", Value) or ("arr", I64 ArrayExpr); masks
        become index arrays; missing trailing axes are whole slices. Also: may an element
        be selected twice (a user's index array)?"""
        cx = self.cx
        b = cx.b
        flat = []
        for p, v in zip(nodes, vals):
            if isinstance(v, tuple):                      # x[np.where(c)], x[(I, J)]
                flat += [(p, e) for e in v]
            else:
                flat.append((p, v))
        parts, repeats = [], False
        for p, v in flat:
            if isinstance(p, ast.Slice):
                parts.append(("slice", p))
                continue
            if is_scalar(getattr(v, "type", None)):
                if v.type != I64:
                    cx.type_error(p, f"array indices must be integers, got {tname(v)}")
                parts.append(("int", convert(b, v, I64)))
                continue
            e = cx.lazy.as_expr(v)
            if isinstance(e, tuple) or not isinstance(e, ArrayExpr):
                cx.type_error(p, f"cannot index an array with {tname(v)}")
            if e.dtype == BOOL:
                first = len(parts)
                found, checked = self.mask_parts(e, xdims[first:], p)
                xdims[first:first + len(checked)] = checked     # the checks stay used
                parts += found
            elif e.dtype == I64:
                parts.append(("arr", e))
                repeats = True
            else:
                cx.type_error(p, f"arrays used as indices must be of integer or boolean type, "
                                 f"got {tname(v)}", "convert with idx.astype(int)")
        if len(parts) > x.ndim:
            cx.type_error(node, f"too many indices for a {x.ndim}-d array: {len(parts)} "
                                "were indexed")
        parts += [("slice", None)] * (x.ndim - len(parts))
        return parts, repeats

    def mask_parts(self, mask, axes_dims, p):
        """A boolean mask over the next mask.ndim axes: one index array per axis (its true
        elements' positions), and those axes' lengths checked against the mask's."""
        cx = self.cx
        b = cx.b
        if mask.ndim > len(axes_dims):
            cx.type_error(p, f"a {mask.ndim}-d boolean index has more axes than the "
                             "array has left")
        where = cx.where(p, "boolean index did not match the indexed array")
        checked = [b.prim("same_size", d, md, where=where)
                   for d, md in zip(axes_dims, mask.dims(cx))]
        m = cx.lazy.materialize(mask)
        return [("arr", Leaf(b.prim("nonzero", m, axis=k))) for k in range(mask.ndim)], checked

    def nonzero(self, v, node, label):
        """np.nonzero(c) / np.where(c): a tuple of index arrays, one per axis of c."""
        cx = self.cx
        e = cx.lazy.as_expr(v)
        if isinstance(e, tuple) or not isinstance(e, ArrayExpr):
            cx.type_error(node, f"{label}() of one argument takes an array, got {tname(v)}")
        if e.dtype != BOOL:
            e = cx.lazy.elementwise("ne", [e, cx.b.const(0.0 if e.dtype == F64 else 0)], node)
        m = cx.lazy.materialize(e)
        return tuple(cx.arrays.new_object(cx.b.prim("nonzero", m, axis=k))
                     for k in range(e.ndim))

    # ------------------------------------------------------------------ writing
    def store(self, base, nodes, vals, value, op, target):
        """x[idx] = value, x[idx] op= value, x[mask] = value (base: x's value, a Leaf's
        array or a View)."""
        cx = self.cx
        through = base if isinstance(base, View) else None
        arr = base.base if through is not None else cx.lazy.materialize(base)
        sel = self.select(base, nodes, vals, target)
        dest = Target(sel, arr, through)
        if op is not None and sel.repeats:
            # NumPy reads every selected element before writing any: x[idx] = x[idx] + v
            value = cx.lazy.materialize(cx.lazy.elementwise(
                op, [sel.expr(dest.dtype), value], target))
            op = None
        cx.arrays.view_store(dest, value, op, target)

    def add_at(self, node, args):
        """np.add.at(x, idx, v): every occurrence of a repeated index adds."""
        cx = self.cx
        if len(args) != 3 or node.keywords:
            cx.type_error(node, "np.add.at() takes 3 arguments (array, indices, values)")
        x, idx, v = args
        if not cx.lazy.is_array(x) or isinstance(x, tuple):
            cx.type_error(node.args[0], f"np.add.at() writes into an array, got {tname(x)}")
        nodes = [node.args[1]]
        sel = self.select(x, nodes, [idx], node)
        through = x if isinstance(x, View) else None
        arr = x.base if through is not None else cx.lazy.materialize(x)
        cx.arrays.view_store(Target(sel, arr, through), v, "add", node)
        return None

    def take(self, node, args, axis):
        """np.take(x, idx, axis=None): along one axis, or of the flattened array."""
        cx = self.cx
        if len(args) != 2:
            cx.type_error(node, "np.take() takes an array and indices (axis= as a keyword)")
        x, idx = args
        if isinstance(x, tuple) or not cx.lazy.is_array(x):
            cx.type_error(node, f"np.take() needs an array, got {tname(x)}")
        x = cx.lazy.as_expr(x)
        if axis is None:
            cx.shapes.node = node
            x = cx.shapes.reshape(x, [cx.b.const(-1)], node) if x.ndim > 1 else x
            axis = 0
        axis = cx.shapes.axis_of(axis, x.ndim, node)
        nodes = [ast.Slice(lower=None, upper=None, step=None)] * axis + [node.args[1]]
        vals = [None] * axis + [idx]
        if is_scalar(getattr(idx, "type", None)):          # one index: a view, or a number
            sub = ast.copy_location(ast.Subscript(node.args[0], ast.Tuple(nodes, ast.Load()),
                                                  ast.Load()), node)
            return cx.views.array_subscript(x, sub, (nodes, vals))
        return self.read(x, nodes, vals, node)


__all__ = ["Fancy", "is_index_array"]
