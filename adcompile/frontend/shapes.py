"""Shape manipulation: reshape, ravel, new axes, squeeze, transpose, concatenation.

A reshape, a new axis (`x[:, None]`, `np.expand_dims`), `np.squeeze` and `np.atleast_2d`
are index maps over their operand, kept lazy like the elementwise expressions of lazy.py
(`Remap`): `x[:, None] - x[None, :]` is one loop nest over (n, n) reading x twice, with no
array made. A new axis is known to have length 1, so it broadcasts. `np.transpose` and
`np.swapaxes` of an array or a slice are views (a permutation of the View's axes, as `A.T`).

NumPy returns views for these, so a name bound to one (`y = x.reshape(2, 3)`) holds a
checked copy (views.py): a write through it, or a read of it after its base was written,
is a located error, never a number NumPy would not give. `flatten` is a copy in NumPy too,
and so is `np.concatenate` / `np.stack` / `np.hstack` / `np.vstack`: a new array filled by
one loop nest per operand.
"""
from __future__ import annotations

import ast
from dataclasses import dataclass, field

from ..builder import const_value
from ..types import F64, I64, MAX_NDIM, promote
from .lazy import ArrayExpr, Leaf, View
from .state import convert
from .syntax import tname

METHODS = ("reshape", "ravel", "flatten", "transpose", "swapaxes", "squeeze")
FUNCTIONS = ("reshape", "ravel", "transpose", "swapaxes", "squeeze", "expand_dims",
             "atleast_1d", "atleast_2d", "atleast_3d", "concatenate", "stack", "hstack",
             "vstack", "split", "hsplit", "vsplit")


@dataclass(eq=False)
class Remap(ArrayExpr):
    """An array whose element at idx is src's element at fn(cx, idx) (an index map)."""
    src: ArrayExpr
    shape: list                  # the dimensions (Values)
    units: list                  # per dimension: known to have length 1
    fn: object                   # (cx, idx) -> src's index
    view_base: object = None     # the array NumPy's result is a view of (or None)
    text: str = "a reshaped array"
    dtype: object = field(default=F64)

    @property
    def ndim(self):
        return len(self.shape)

    def dims(self, cx):
        return list(self.shape)

    def unit(self, k):
        return self.units[k]

    def gen(self, cx, idx):
        # a length-1 axis broadcasts: whatever index the consumer runs, read index 0
        idx = [cx.b.const(0) if u else i for u, i in zip(self.units, idx)]
        return self.src.gen(cx, self.fn(cx, idx))


def view_base(x):
    """The array an index map of x reads in place (NumPy would give a view of it)."""
    if isinstance(x, Leaf):
        return x.arr
    if isinstance(x, View):
        return x.base
    if isinstance(x, Remap):
        return x.view_base
    return None


class Shapes:
    """np.reshape and friends, new axes in subscripts, concatenation."""

    def __init__(self, cx):
        self.cx = cx
        self.node = None                 # the call being lowered (for located errors)

    # ------------------------------------------------------------------ helpers
    def array_arg(self, v, node, label):
        cx = self.cx
        if isinstance(v, tuple) or not cx.lazy.is_array(v):
            cx.type_error(node, f"{label}() needs an array, got {tname(v)}")
        return cx.lazy.as_expr(v)

    def const_int(self, v, node, what):
        c = const_value(v) if not isinstance(v, tuple) else None
        if not isinstance(c, int) or isinstance(c, bool):
            self.cx.unsupported(node, f"{what} must be an integer known at compile time")
        return c

    def axis_of(self, a, ndim, node):
        if not -ndim <= a < ndim:
            self.cx.type_error(node, f"axis {a} is out of range for a {ndim}-d array")
        return a + ndim if a < 0 else a

    def remap(self, x, shape, units, fn, text):
        if not 1 <= len(shape) <= MAX_NDIM:
            self.cx.unsupported(self.node, f"arrays have 1 to {MAX_NDIM} dimensions")
        return Remap(x, shape, units, fn, view_base(x), text, x.dtype)

    # ------------------------------------------------------------------ index maps
    def reshape(self, x, sizes, node):
        """x.reshape(shape), with at most one -1; C order."""
        cx = self.cx
        b = cx.b
        src = x.dims(cx)
        total = b.const(1)
        for d in src:
            total = b.prim("mul", total, d)
        sizes = [convert(b, s, I64) if not isinstance(s, tuple) and s.type != F64 else
                 cx.type_error(node, "reshape sizes must be integers") for s in sizes]
        free = [k for k, s in enumerate(sizes) if const_value(s) == -1]
        if len(free) > 1:
            cx.type_error(node, "can only specify one unknown dimension (-1)")
        known = b.const(1)
        for k, s in enumerate(sizes):
            if k not in free:
                known = b.prim("mul", known, s)
        if free:
            sizes[free[0]] = b.prim("floordiv", total, known)
            known = b.prim("mul", known, sizes[free[0]])
        units = [const_value(s) == 1 for s in sizes]
        if len(sizes) == len(src) and all(s is d for s, d in zip(sizes, src)):
            return x
        checked = b.prim("same_size", total, known,
                         where=cx.where(node, "cannot reshape: the sizes do not match"))
        # the check's result is used (sizes[0] + 0 at run time), so it is never dropped
        sizes[0] = b.prim("add", sizes[0], b.prim("sub", checked, known))

        def fn(cx, idx):
            flat = idx[0]
            for k in range(1, len(idx)):
                flat = b.prim("add", b.prim("mul", flat, sizes[k]), idx[k])
            out = []
            for d in reversed(src[1:]):
                out.append(b.prim("mod", flat, d))
                flat = b.prim("floordiv", flat, d)
            return [flat] + list(reversed(out))
        return self.remap(x, sizes, units, fn, "a reshaped array")

    def insert_axes(self, x, positions, text="an array with a new axis"):
        """x with length-1 axes at the given output positions (sorted)."""
        b = self.cx.b
        src = x.dims(self.cx)
        n = x.ndim + len(positions)
        shape, units, it = [], [], iter(range(x.ndim))
        for k in range(n):
            if k in positions:
                shape.append(b.const(1))
                units.append(True)
            else:
                j = next(it)
                shape.append(src[j])
                units.append(x.unit(j))

        def fn(cx, idx):
            return [i for k, i in enumerate(idx) if k not in positions]
        return self.remap(x, shape, units, fn, text)

    def drop_axes(self, x, axes, node):
        """x without the given length-1 axes (checked at run time where not known)."""
        cx = self.cx
        b = cx.b
        src = x.dims(cx)
        at = {}
        for k in axes:
            at[k] = b.const(0)
            if not x.unit(k):           # index checked - 1 (0 at run time): the check stays
                at[k] = b.prim("sub", b.prim("same_size", src[k], b.const(1), where=cx.where(
                    node, "cannot select an axis to squeeze out which has size not equal to "
                          "one")), b.const(1))
        keep = [k for k in range(x.ndim) if k not in axes]
        if not keep:
            cx.unsupported(node, "squeezing every axis gives a 0-d array, which is not "
                                 "supported", "index the element: x[0, 0]")

        def fn(cx, idx):
            full = [at.get(k) for k in range(x.ndim)]
            for k, i in zip(keep, idx):
                full[k] = i
            return full
        return self.remap(x, [src[k] for k in keep], [x.unit(k) for k in keep], fn,
                          "a squeezed array")

    def transpose(self, x, axes, node):
        cx = self.cx
        if sorted(axes) != list(range(x.ndim)):
            cx.type_error(node, "axes don't match array")
        if isinstance(x, (Leaf, View)):        # a view: writes through it reach the base
            view = cx.views.view_of(x, node)
            old = view.perm or list(range(view.ndim))
            perm = [old[a] for a in axes]
            return View(view.base, view.parts, perm if perm != sorted(perm) else None)
        src = x.dims(cx)

        def fn(cx, idx):
            full = [None] * x.ndim
            for pos, a in enumerate(axes):
                full[a] = idx[pos]
            return full
        return self.remap(x, [src[a] for a in axes], [x.unit(a) for a in axes], fn,
                          "a transposed array")

    def at_least(self, x, n):
        if x.ndim >= n:
            return x
        if n == 2:
            return self.insert_axes(x, [0])
        return self.insert_axes(x, [0, 2] if x.ndim == 1 else [2])

    # ------------------------------------------------------------------ subscripts
    def newaxis_subscript(self, base, node):
        """x[:, None], x[None, :], x[np.newaxis, 1:]: the subscript without the Nones, then
        length-1 axes where they stood."""
        cx = self.cx
        parts = node.slice.elts if isinstance(node.slice, ast.Tuple) else [node.slice]
        rest = [p for p in parts if not self.is_none(p)]
        positions, out = [], 0
        for p in parts:
            if self.is_none(p):
                positions.append(out)
                out += 1
            elif isinstance(p, ast.Slice):
                out += 1
        x = cx.lazy.as_expr(base)
        if rest:
            sub = ast.Subscript(node.value, ast.Tuple(rest, ast.Load()) if len(rest) > 1
                                else rest[0], ast.Load())
            ast.copy_location(sub, node)
            ast.copy_location(sub.slice, rest[0])
            x = cx.views.array_subscript(x, sub)
            if not cx.lazy.is_array(x):
                cx.unsupported(node, "a new axis on a single element is not supported",
                               "use np.full(1, x[i]) or index a slice")
        self.node = node
        return self.insert_axes(cx.lazy.as_expr(x), positions)

    @staticmethod
    def is_none(p) -> bool:
        return is_newaxis(p)

    # ------------------------------------------------------------------ concatenation
    def concatenate(self, parts, axis, node):
        """A new array: each part stored into its range along `axis`."""
        cx = self.cx
        b = cx.b
        ndim = parts[0].ndim
        if any(p.ndim != ndim for p in parts):
            cx.type_error(node, "all the input arrays must have the same number of dimensions")
        axis = self.axis_of(axis, ndim, node)
        dims = [p.dims(cx) for p in parts]
        where = cx.where(node, "all the input array dimensions except for the concatenation "
                               "axis must match exactly")
        out_dims = []
        for k in range(ndim):
            if k == axis:
                size = dims[0][k]
                for d in dims[1:]:
                    size = b.prim("add", size, d[k])
            else:
                size = dims[0][k]
                for d in dims[1:]:
                    size = b.prim("same_size", size, d[k], where=where)
            out_dims.append(size)
        dtype = parts[0].dtype
        for p in parts[1:]:
            dtype = promote(dtype, p.dtype)
        dtype = F64 if dtype == F64 else I64
        out = b.prim("empty", *out_dims, dtype=dtype.name)
        offset = b.const(0)
        for p, d in zip(parts, dims):
            def body(idx, c, p=p, offset=offset):
                at = list(idx)
                at[axis] = b.prim("add", idx[axis], offset)
                return [b.prim("store", c[0], convert(b, p.gen(cx, idx), dtype), *at,
                               fresh=True)]
            (out,) = cx.lazy.for_nest(d, [out], body)
            offset = b.prim("add", offset, d[axis])
        return cx.arrays.new_object(out)

    def sequence(self, node, label):
        """The arrays of a list or tuple argument (its length known at compile time)."""
        cx = self.cx
        if isinstance(node, (ast.List, ast.Tuple)):
            values = [cx.exprs.expr(e) for e in node.elts]
        else:
            values = cx.exprs.expr(node)
            if not isinstance(values, tuple):
                cx.type_error(node, f"{label}() takes a list or tuple of arrays",
                              f"{label}([a, b])")
        if not values:
            cx.type_error(node, "need at least one array to concatenate")
        return [self.array_arg(v, node, label) for v in values]

    # ------------------------------------------------------------------ calls
    def keywords(self, node, allowed):
        cx = self.cx
        kw = {}
        for k in node.keywords:
            if k.arg not in allowed:
                cx.unsupported(node, f"keyword argument {k.arg}= is not supported here",
                               f"supported: {', '.join(allowed) or 'none'}")
            kw[k.arg] = k.value
        return kw

    def call(self, name, node):
        """np.<name>(...) for the FUNCTIONS."""
        cx = self.cx
        self.node = node
        label = f"np.{name}"
        if name in ("concatenate", "stack", "hstack", "vstack"):
            kw = self.keywords(node, ("axis",) if name in ("concatenate", "stack") else ())
            if len(node.args) != 1:
                cx.type_error(node, f"{label}() takes one list or tuple of arrays")
            parts = self.sequence(node.args[0], label)
            axis = self.const_int(cx.exprs.expr(kw["axis"]), kw["axis"], "axis") \
                if "axis" in kw else 0
            if name == "stack":
                n = parts[0].ndim + 1
                a = self.axis_of(axis, n, node)
                parts = [self.insert_axes(p, [a]) for p in parts]
            elif name == "vstack":
                parts = [self.at_least(p, 2) for p in parts]
            elif name == "hstack":
                axis = 0 if parts[0].ndim == 1 else 1
            return self.concatenate(parts, axis, node)
        if name in ("split", "hsplit", "vsplit"):
            return self.split(name, node, label)
        kw = self.keywords(node, {"reshape": ("newshape", "shape"), "transpose": ("axes",),
                                  "squeeze": ("axis",), "expand_dims": ("axis",)}.get(name, ()))
        args = [cx.exprs.expr(a) for a in node.args] + [cx.exprs.expr(v) for v in kw.values()]
        if not args:
            cx.type_error(node, f"{label}() needs an array")
        x = self.array_arg(args[0], node, label)
        return self.apply(name, x, args[1:], node, label)

    def split(self, name, node, label):
        """np.split(x, k) into k equal parts, or at the indices of a list (np.split(x, [2,
        5])), along axis= (hsplit: axis 1, 0 for a vector; vsplit: 0): a tuple of views."""
        cx = self.cx
        b = cx.b
        kw = self.keywords(node, ("axis",) if name == "split" else ())
        if len(node.args) != 2:
            cx.type_error(node, f"{label}() takes an array and the number of parts (or a "
                                "list of indices)")
        x = self.array_arg(cx.exprs.expr(node.args[0]), node, label)
        axis = self.const_int(cx.exprs.expr(kw["axis"]), kw["axis"], "axis") \
            if "axis" in kw else (1 if name == "hsplit" and x.ndim > 1 else 0)
        axis = self.axis_of(axis, x.ndim, node)
        view = cx.views.view_of(x, node)
        dims = view.dims(cx)
        whole = [("slice", b.const(0), b.const(1), d) for d in dims]
        how = node.args[1]
        if isinstance(how, (ast.List, ast.Tuple)):             # at the given indices
            cuts = [None] + list(how.elts) + [None]
            pieces = []
            for lo, hi in zip(cuts, cuts[1:]):
                s, st, ln = cx.views.slice_of(ast.Slice(lower=lo, upper=hi, step=None),
                                              dims[axis], node)
                pieces.append(("slice", s, st, ln))
        else:
            k = self.const_int(cx.exprs.expr(how), how, "the number of parts")
            if k < 1:
                cx.type_error(how, "the number of parts must be at least 1")
            size = b.prim("floordiv", dims[axis], b.const(k))
            checked = b.prim("same_size", dims[axis], b.prim("mul", size, b.const(k)),
                             where=cx.where(node, "array split does not result in an "
                                                  "equal division"))
            size = b.prim("floordiv", checked, b.const(k))     # the check stays used
            pieces = [("slice", b.prim("mul", size, b.const(j)), b.const(1), size)
                      for j in range(k)]
        return tuple(cx.views.compose(view, whole[:axis] + [p] + whole[axis + 1:])
                     for p in pieces)

    def method(self, name, base, node):
        """x.reshape(2, 3), x.reshape((2, 3)), x.ravel(), x.flatten(), x.T-like methods."""
        cx = self.cx
        self.node = node
        kw = self.keywords(node, {"transpose": (), "squeeze": ("axis",)}.get(name, ()))
        args = [cx.exprs.expr(a) for a in node.args] + [cx.exprs.expr(v) for v in kw.values()]
        x = cx.lazy.as_expr(base)
        if name == "reshape" and len(args) > 1:
            args = [tuple(args)]
        if name == "transpose" and len(args) > 1:
            args = [tuple(args)]
        if name == "flatten":
            if args:
                cx.unsupported(node, "flatten() takes no arguments here")
            out = self.apply("ravel", x, [], node, "flatten")
            if out is x:
                return cx.lazy.materialize(Remap(x, x.dims(cx), [x.unit(0)],
                                                 lambda cx, idx: idx, None, "", x.dtype))
            out.view_base = None           # a copy in NumPy too: no view to follow
            return cx.lazy.materialize(out)
        return self.apply(name, x, args, node, f".{name}")

    def apply(self, name, x, args, node, label):
        cx = self.cx
        if name == "reshape":
            if len(args) != 1:
                cx.type_error(node, f"{label}() takes the new shape")
            sizes = list(args[0]) if isinstance(args[0], tuple) else [args[0]]
            if not 1 <= len(sizes) <= MAX_NDIM:
                cx.unsupported(node, f"arrays have 1 to {MAX_NDIM} dimensions")
            return self.reshape(x, sizes, node)
        if name == "ravel":
            if args:
                cx.unsupported(node, f"{label}() takes no order argument here")
            return x if x.ndim == 1 else self.reshape(x, [cx.b.const(-1)], node)
        if name in ("atleast_1d", "atleast_2d", "atleast_3d"):
            if args:
                cx.unsupported(node, f"{label}() of several arrays is not supported",
                               "call it once per array")
            return self.at_least(x, int(name[-2]))
        if name == "expand_dims":
            if len(args) != 1:
                cx.type_error(node, f"{label}() takes an array and an axis")
            axes = self.axes(args[0], x.ndim + (len(args[0]) if isinstance(args[0], tuple)
                                                else 1), node)
            return self.insert_axes(x, sorted(axes))
        if name == "squeeze":
            if args:
                axes = self.axes(args[0], x.ndim, node)
            else:
                axes = [k for k in range(x.ndim) if x.unit(k)]
            return self.drop_axes(x, axes, node) if axes else x
        if name == "transpose":
            if len(args) > 1:
                cx.type_error(node, f"{label}() takes the axes as one tuple")
            axes = self.axes(args[0], x.ndim, node) if args else \
                list(reversed(range(x.ndim)))
            if len(axes) != x.ndim:
                cx.type_error(node, "axes don't match array")
            return self.transpose(x, axes, node)
        if name == "swapaxes":
            if len(args) != 2:
                cx.type_error(node, f"{label}() takes two axes")
            a, c = (self.axis_of(self.const_int(v, node, "axis"), x.ndim, node) for v in args)
            axes = list(range(x.ndim))
            axes[a], axes[c] = axes[c], axes[a]
            return self.transpose(x, axes, node)
        raise AssertionError(name)

    def axes(self, v, ndim, node) -> list:
        vs = list(v) if isinstance(v, tuple) else [v]
        out = [self.axis_of(self.const_int(a, node, "axis"), ndim, node) for a in vs]
        if len(set(out)) != len(out):
            self.cx.type_error(node, "repeated axis")
        return out


def is_newaxis(p) -> bool:
    """None or np.newaxis in a subscript."""
    return isinstance(p, ast.Constant) and p.value is None or \
        isinstance(p, ast.Attribute) and p.attr == "newaxis"


def has_newaxis(node) -> bool:
    """Does the subscript node hold None or np.newaxis?"""
    parts = node.slice.elts if isinstance(node.slice, ast.Tuple) else [node.slice]
    return any(is_newaxis(p) for p in parts)


__all__ = ["Remap", "Shapes", "METHODS", "FUNCTIONS", "view_base", "has_newaxis"]
