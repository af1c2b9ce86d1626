"""NumPy functions written as compositions of what the frontend already lowers: here the
index maps and views (numeric.py: the ones computing with numbers).

np.diff (views subtracted), np.flip/fliplr/flipud (reversed views), np.roll, np.repeat,
np.tile (index maps), np.cross (components of views, stacked), np.inner, np.average, np.ptp,
np.count_nonzero, np.polyval (Horner's loop), np.column_stack, np.meshgrid (index maps),
np.triu_indices/tril_indices/diag_indices (masks' nonzero), np.searchsorted and np.interp
(a binary search per element: the `searchsorted` row). Their derivatives are those of the
parts: nothing here needs a rule of its own.
"""
from __future__ import annotations

import ast

from ..types import BOOL, F64, I64, is_scalar
from .constructors import Gen
from .shapes import Remap
from .state import convert
from .syntax import tname

SIGNATURES = {
    "diff": ("a", "n", "axis"), "flip": ("m", "axis"), "fliplr": ("m",), "flipud": ("m",),
    "roll": ("a", "shift", "axis"), "cross": ("a", "b"), "inner": ("a", "b"),
    "average": ("a", "axis", "weights"), "ptp": ("a", "axis"), "count_nonzero": ("a",),
    "polyval": ("p", "x"), "column_stack": ("tup",), "meshgrid": ("x", "y"),
    "triu_indices": ("n", "k", "m"), "tril_indices": ("n", "k", "m"),
    "diag_indices": ("n",), "searchsorted": ("a", "v", "side"), "interp": ("x", "xp", "fp"),
    "repeat": ("a", "repeats", "axis"), "tile": ("A", "reps"), "nan_to_num": ("x",),
    "isclose": ("a", "b", "rtol", "atol"), "allclose": ("a", "b", "rtol", "atol"),
    "size": ("a", "axis"), "rosen": ("x",), "positive": ("x",), "conj": ("x",),
    "conjugate": ("x",), "signbit": ("x",), "ldexp": ("x1", "x2"), "modf": ("x",),
    "divmod": ("x1", "x2"),
}
NAMES = tuple(SIGNATURES)


def _whole(b, d):
    return ("slice", b.const(0), b.const(1), d)


class Composer:
    """What the compositions share: their arguments by name (SIGNATURES), and helpers."""

    def __init__(self, cx):
        self.cx = cx

    def call(self, name, node):
        cx = self.cx
        con = cx.constructors
        con.node = node
        cx.shapes.node = node
        a = con.arguments(name, node, SIGNATURES)
        owner = self if hasattr(self, name) else cx.numeric      # numeric.py's functions
        return getattr(owner, name)(a, node)

    # ------------------------------------------------------------------ helpers
    def array(self, a, key, name):
        cx = self.cx
        node = a.get(key)
        v = cx.exprs.expr(node) if node is not None else None
        if isinstance(node, ast.List):
            v = cx.arrays.list_literal(node)
        if v is None or isinstance(v, tuple) or not cx.lazy.is_array(v):
            cx.type_error(node or cx.constructors.node, f"np.{name}() needs an array, got "
                                                       f"{tname(v)}")
        return cx.lazy.as_expr(v)

    def axis(self, a, key, ndim, default):
        cx = self.cx
        node = a.get(key)
        if node is None or isinstance(node, ast.Constant) and node.value is None:
            return default
        k = cx.shapes.const_int(cx.exprs.expr(node), node, "axis")
        return cx.shapes.axis_of(k, ndim, node)

    def sliced(self, x, axis, slc, node):
        """x with the Python slice `slc` (an ast.Slice) along one axis: a view."""
        cx = self.cx
        view = cx.views.view_of(x, node)
        dims = view.dims(cx)
        parts = [_whole(cx.b, d) for d in dims]
        parts[axis] = ("slice",) + cx.views.slice_of(slc, dims[axis], node)
        return cx.views.compose(view, parts)

    def operand(self, a, key, name):
        """A number or an array argument (not a tuple)."""
        cx = self.cx
        v = cx.exprs.expr(a[key]) if key in a else None
        if v is None or isinstance(v, tuple):
            cx.type_error(cx.constructors.node, f"np.{name}() needs a number or an array for "
                                                f"{key}, got {tname(v)}")
        return v

    def each(self, v, fn, dtype=F64, write=False):
        """fn of a number, or of each element of an array (lazily; written into a new array
        with write=True, where fn builds loops of its own)."""
        cx = self.cx
        if not cx.lazy.is_array(v):
            return fn(v)
        ve = cx.lazy.as_expr(v)
        gen = Gen(ve.dims(cx), lambda idx: fn(ve.gen(cx, idx)), dtype)
        return cx.lazy.materialize(gen) if write else gen

    def flattened(self, x, axis, node):
        """(x, axis): along `axis`, or of the flattened array (axis None) along 0."""
        if axis is not None:
            return x, axis
        b = self.cx.b
        return (self.cx.shapes.reshape(x, [b.const(-1)], node) if x.ndim > 1 else x), 0

    @staticmethod
    def slc(lower=None, upper=None, step=None):
        const = (lambda v: None if v is None else ast.Constant(v))
        return ast.Slice(lower=const(lower), upper=const(upper), step=const(step))

class Compositions(Composer):
    """np.<name> for the NAMES that are index maps, views and stacks of other arrays."""

    def diff(self, a, node):
        cx = self.cx
        x = self.array(a, "a", "diff")
        n = cx.shapes.const_int(cx.exprs.expr(a["n"]), a["n"], "n") if "n" in a else 1
        axis = self.axis(a, "axis", x.ndim, x.ndim - 1)
        for _ in range(n):
            x = cx.lazy.elementwise("sub", [self.sliced(x, axis, self.slc(1), node),
                                            self.sliced(x, axis, self.slc(None, -1), node)],
                                    node)
        return x

    def flip(self, a, node, axes=None):
        x = self.array(a, "m", "flip")
        if axes is None:
            k = self.axis(a, "axis", x.ndim, None)
            axes = range(x.ndim) if k is None else [k]
        for k in axes:
            x = self.sliced(x, k, self.slc(None, None, -1), node)
        return x

    def fliplr(self, a, node):
        return self.flip(a, node, [1])

    def flipud(self, a, node):
        return self.flip(a, node, [0])

    def roll(self, a, node):
        cx = self.cx
        x = self.array(a, "a", "roll")
        shift = cx.constructors.integer(a.get("shift"), what="shift")
        axis = self.axis(a, "axis", x.ndim, None)
        shape = x.dims(cx)
        if axis is None:                         # of the flattened array, shape kept
            flat, _ = self.flattened(x, None, node)
            rolled = cx.lazy.materialize(self._roll(flat, 0, shift))
            return cx.shapes.reshape(cx.lazy.as_expr(rolled), shape, node) \
                if x.ndim > 1 else rolled
        return self._roll(x, axis, shift)

    def _roll(self, x, axis, shift):
        cx = self.cx
        b = cx.b
        dims = x.dims(cx)
        n = dims[axis]

        def fn(cx, idx):
            out = list(idx)
            out[axis] = b.prim("mod", b.prim("sub", idx[axis], shift), n)
            return out
        return Remap(x, dims, [x.unit(k) for k in range(x.ndim)], fn, None, "a rolled array",
                     x.dtype)

    def cross(self, a, node):
        """np.cross of 3-vectors (along the last axis, broadcast)."""
        cx = self.cx
        u, v = self.array(a, "a", "cross"), self.array(a, "b", "cross")
        comp = []
        for w in (u, v):
            comp.append([self._last_at(w, j, node) for j in range(3)])
        (u0, u1, u2), (v0, v1, v2) = comp
        lz = cx.lazy

        def minus(p, q, r, s):
            return lz.elementwise("sub", [lz.elementwise("mul", [p, q], node),
                                          lz.elementwise("mul", [r, s], node)], node)
        parts = [minus(u1, v2, u2, v1), minus(u2, v0, u0, v2), minus(u0, v1, u1, v0)]
        if u.ndim == 1 and v.ndim == 1:
            return cx.b.prim("array_of", *parts) if all(
                is_scalar(getattr(p, "type", None)) for p in parts) else None
        nd = max(u.ndim, v.ndim)
        cols = [cx.shapes.insert_axes(lz.as_expr(p), [nd - 1]) for p in parts]
        return cx.shapes.concatenate(cols, nd - 1, node)

    def _last_at(self, w, j, node):
        """w[..., j]: an element of a vector, a view otherwise."""
        cx = self.cx
        nodes = [self.slc()] * (w.ndim - 1) + [ast.Constant(j)]
        sub = ast.copy_location(ast.Subscript(node, ast.Tuple(nodes, ast.Load()), ast.Load()),
                                node)
        return cx.views.array_subscript(w, sub, (nodes, [None] * (w.ndim - 1) +
                                                 [cx.b.const(j)]))

    def inner(self, a, node):
        cx = self.cx
        u, v = self.array(a, "a", "inner"), self.array(a, "b", "inner")
        if u.ndim == 1 and v.ndim == 1:
            return cx.lazy.reduction("sum", cx.lazy.elementwise("mul", [u, v], node), None,
                                     node)
        if u.ndim <= 2 and v.ndim <= 2:
            return cx.lazy.matmul(u, cx.views.array_attribute(v, ast.Attribute(
                attr="T")) if v.ndim == 2 else v, node)
        cx.unsupported(node, "np.inner() of arrays of more than 2 dimensions is not "
                             "supported", "use np.einsum or np.tensordot")

    def column_stack(self, a, node):
        cx = self.cx
        parts = cx.shapes.sequence(a["tup"], "np.column_stack")
        cols = [cx.shapes.insert_axes(p, [1]) if p.ndim == 1 else p for p in parts]
        return cx.shapes.concatenate(cols, 1, node)

    def meshgrid(self, a, node):
        """np.meshgrid(x, y) with indexing='xy': X[i, j] = x[j], Y[i, j] = y[i]."""
        cx = self.cx
        x, y = self.array(a, "x", "meshgrid"), self.array(a, "y", "meshgrid")
        if x.ndim != 1 or y.ndim != 1:
            cx.unsupported(node, "np.meshgrid() of two vectors only")
        nx, ny = x.dims(cx)[0], y.dims(cx)[0]
        X = Remap(x, [ny, nx], [False, False], lambda cx, idx: [idx[1]], None, "a grid",
                  x.dtype)
        Y = Remap(y, [ny, nx], [False, False], lambda cx, idx: [idx[0]], None, "a grid",
                  y.dtype)
        return cx.lazy.materialize(X), cx.lazy.materialize(Y)

    def _tri_indices(self, a, node, test):
        cx = self.cx
        b = cx.b
        n = cx.constructors.integer(a.get("n"), what="n")
        k = cx.constructors.integer(a.get("k"), 0, what="k")
        m = cx.constructors.integer(a.get("m"), what="m") if "m" in a else n
        mask = Gen([n, m], lambda idx: b.prim(test, idx[1], b.prim("add", idx[0], k)), BOOL)
        return cx.fancy.nonzero(mask, node, "np.triu_indices")

    def triu_indices(self, a, node):
        return self._tri_indices(a, node, "ge")

    def tril_indices(self, a, node):
        return self._tri_indices(a, node, "le")

    def diag_indices(self, a, node):
        cx = self.cx
        n = cx.constructors.integer(a.get("n"), what="n")
        ar = cx.arrays.new_object(cx.b.prim("arange", cx.b.const(0), n, cx.b.const(1)))
        return ar, ar

    # ------------------------------------------------------------------ repeat, tile
    def repeat(self, a, node):
        """np.repeat(x, k): each element k times (of the flattened array, or along axis=)."""
        cx = self.cx
        b = cx.b
        x = self.array(a, "a", "repeat")
        k = cx.constructors.integer(a.get("repeats"), what="repeats")
        x, axis = self.flattened(x, self.axis(a, "axis", x.ndim, None), node)
        dims = x.dims(cx)
        out = list(dims)
        out[axis] = b.prim("mul", dims[axis], k)

        def fn(cx, idx):
            at = list(idx)
            at[axis] = b.prim("floordiv", idx[axis], k)
            return at
        return Remap(x, out, [x.unit(j) and j != axis for j in range(x.ndim)], fn, None,
                     "a repeated array", x.dtype)

    def tile(self, a, node):
        """np.tile(x, reps): x repeated along each axis (reps an int or a tuple)."""
        cx = self.cx
        b = cx.b
        x = self.array(a, "A", "tile")
        reps = cx.exprs.expr(a["reps"]) if "reps" in a else None
        reps = list(reps) if isinstance(reps, tuple) else [reps]
        for r in reps:
            if r is None or isinstance(r, tuple) or r.type not in (I64, BOOL):
                cx.type_error(node, "np.tile() repeats by integers (an int or a tuple)")
        nd = max(len(reps), x.ndim)
        if x.ndim < nd:
            x = cx.shapes.insert_axes(x, list(range(nd - x.ndim)))
        reps = [b.const(1)] * (nd - len(reps)) + reps
        dims = x.dims(cx)
        out = [b.prim("mul", d, convert(b, r, I64)) for d, r in zip(dims, reps)]

        def fn(cx, idx):
            return [b.const(0) if x.unit(j) else b.prim("mod", i, d)
                    for j, (i, d) in enumerate(zip(idx, dims))]
        return Remap(x, out, [False] * nd, fn, None, "a tiled array", x.dtype)

    def size(self, a, node):
        cx = self.cx
        x = self.array(a, "a", "size")
        dims = x.dims(cx)
        axis = self.axis(a, "axis", x.ndim, None)
        if axis is not None:
            return dims[axis]
        total = cx.b.const(1)
        for d in dims:
            total = cx.b.prim("mul", total, d)
        return total



__all__ = ["Composer", "Compositions", "NAMES", "SIGNATURES"]
