"""Reductions: np.sum/mean/prod/max/min over any axes (an int or a tuple, `keepdims=True`),
np.var/np.std (`ddof=`), np.any/np.all, np.argmax/np.argmin, np.cumsum/np.cumprod, np.sort
and np.median.

Each is lowered to loops over elements (lazy.py's `_reduce` for the plain reductions), so the
derivative passes need no rules of their own: a cumulative product's adjoint reads the
running products from a tape and never divides, so zeros are handled exactly. np.sort and
np.median read the elements through a stable permutation (the `argsort` row, mergesort: tied
elements keep their order), so the adjoint of sorted position k goes to the element that
lands there (docs/conventions.md). argmax/argmin give ints (the first extreme, as NumPy).
"""
from __future__ import annotations

import ast
from dataclasses import dataclass

from ..builder import const_value
from ..ir import Value
from ..types import BOOL, F64, I64
from ..valuetree import Record
from .lazy import ArrayExpr, Leaf
from .state import convert
from .syntax import tname

BASIC = ("sum", "mean", "prod", "max", "min")
NUMBER_ITSELF = ("sum", "mean", "prod", "max", "min")   # np.sum(2.0) is 2.0 (axis=None)
NAMES = BASIC + ("var", "std", "any", "all", "argmax", "argmin", "cumsum", "cumprod", "sort",
                 "median")
KEYWORDS = {"var": ("axis", "keepdims", "ddof"), "std": ("axis", "keepdims", "ddof"),
            "any": ("axis", "keepdims"), "all": ("axis", "keepdims"), "argmax": ("axis",), "argmin": ("axis",),
            "cumsum": ("axis",), "cumprod": ("axis",), "sort": ("axis",), "median": ("axis",)}


@dataclass(eq=False)
class Fill(ArrayExpr):
    """A number as an array of length-1 axes (a full reduction with keepdims=True)."""
    value: Value
    ndim: int

    @property
    def dtype(self):
        return self.value.type

    def dims(self, cx):
        return [cx.b.const(1)] * self.ndim

    def unit(self, k):
        return True

    def gen(self, cx, idx):
        return self.value


class Reductions:
    """Lowers the reductions of NAMES (functions and methods)."""

    def __init__(self, cx):
        self.cx = cx

    # ------------------------------------------------------------------ arguments
    def call(self, kind, node, args, keywords):
        cx = self.cx
        allowed = KEYWORDS.get(kind, ("axis", "keepdims"))
        opts = {}
        for kw in keywords:
            if kw.arg not in allowed:
                cx.unsupported(node, f"keyword argument {kw.arg}= is not supported",
                               "supported: " + (", ".join(f"{a}=" for a in allowed) or "none"))
            opts[kw.arg] = kw.value
        if len(args) != 1:
            cx.type_error(node, f"np.{kind}() takes one array")
        x = args[0]
        if isinstance(x, tuple) and not isinstance(x, Record) and x:
            x = cx.arrays.from_tuple(x, None, node)     # np.sum([a, b, c]): the list's array
        if not isinstance(x, tuple) and not cx.lazy.is_array(x) and kind in NUMBER_ITSELF:
            return convert(cx.b, x, F64) if kind == "mean" else x   # np.sum(2.0): 2.0
        if isinstance(x, tuple) or not cx.lazy.is_array(x):
            cx.type_error(node, f"np.{kind}() of {tname(x)} is not supported",
                          "pass an array" if kind not in ("max", "min") else
                          "use max(a, b) / min(a, b) for numbers")
        x = cx.lazy.as_expr(x)
        axes = self.axes(opts.get("axis"), x.ndim, node)
        keepdims = self.constant(opts.get("keepdims"), False, bool, "keepdims")
        if kind in BASIC:
            return self.reduce(kind, x, axes, keepdims, node)
        if kind in ("argmax", "argmin", "cumsum", "cumprod", "sort", "median") and \
                not is_none(opts.get("axis")) and len(axes) != 1:
            cx.type_error(node, f"np.{kind}() takes one axis (an integer)")
        if kind in ("var", "std"):
            ddof = self.constant(opts.get("ddof"), 0, (int, float), "ddof")
            v = self.var(x, axes, keepdims, ddof, node)
            return cx.lazy.elementwise("sqrt", [v], node) if kind == "std" else v
        if kind in ("any", "all"):
            if is_none(opts.get("axis")) and not keepdims:
                return self.any_all(kind, x)
            # along axes: the largest (any) or smallest (all) of the truths, as bools
            b = cx.b
            truth = cx.lazy.elementwise("to_i64", [x if x.dtype == BOOL else cx.lazy.elementwise(
                "ne", [x, b.const(0.0 if x.dtype == F64 else 0)], node)], node)
            found = self.reduce("max" if kind == "any" else "min", cx.lazy.as_expr(truth),
                                axes, keepdims, node)
            if not cx.lazy.is_array(found):
                return b.prim("ne", found, b.const(0))
            return cx.lazy.materialize(cx.lazy.elementwise("ne", [found, b.const(0)], node))
        if kind in ("argmax", "argmin"):
            return self.arg_extreme(kind, x, None if is_none(opts.get("axis")) else axes[0])
        if kind in ("cumsum", "cumprod"):
            if is_none(opts.get("axis")) and x.ndim > 1:
                x = cx.shapes.reshape(x, [cx.b.const(-1)], node)
                axes = [0]
            return self.cumulative(kind, x, axes[0])
        if kind == "sort":
            if "axis" in opts and is_none(opts["axis"]):
                x = cx.shapes.reshape(x, [cx.b.const(-1)], node)     # axis=None: flattened
                return self.sort(x, 0)
            return self.sort(x, axes[-1] if "axis" in opts else x.ndim - 1)
        if kind == "median":
            if is_none(opts.get("axis")):
                if x.ndim > 1:
                    x = cx.shapes.reshape(x, [cx.b.const(-1)], node)
                return self.median_of(x, [], 0, node)
            if len(axes) != 1:
                cx.unsupported(node, "np.median() over several axes is not supported")
            return self.median(x, axes[0], node)
        raise AssertionError(kind)

    def axes(self, node, ndim, call):
        """The axes an axis= argument names (all of them for None)."""
        cx = self.cx
        if node is None or isinstance(node, ast.Constant) and node.value is None:
            return list(range(ndim))
        v = cx.exprs.expr(node)
        vs = list(v) if isinstance(v, tuple) else [v]
        out = []
        for a in vs:
            k = const_value(a) if isinstance(a, Value) else None
            if not isinstance(k, int) or isinstance(k, bool):
                cx.unsupported(node, "axis must be an integer (or a tuple of integers) known "
                                     "at compile time")
            if not -ndim <= k < ndim:
                cx.type_error(call, f"axis {k} is out of range for a {ndim}-d array")
            out.append(k + ndim if k < 0 else k)
        if len(set(out)) != len(out):
            cx.type_error(call, "duplicate value in 'axis'")
        return sorted(out)

    def constant(self, node, default, types, what):
        if node is None:
            return default
        v = self.cx.exprs.expr(node)
        c = const_value(v) if isinstance(v, Value) else None
        if not isinstance(c, types):
            self.cx.unsupported(node, f"{what}= must be a constant")
        return c

    # ------------------------------------------------------------------ sum, mean, var, ...
    def reduce(self, kind, x, axes, keepdims, node):
        """kind over `axes` of x: a number when every axis is reduced (without keepdims),
        else a new array; with keepdims the reduced axes stay, with length 1."""
        cx = self.cx
        b = cx.b
        lazy = cx.lazy
        dims = x.dims(cx)
        keep = [d for d in range(x.ndim) if d not in axes]
        if not keep:
            value = lazy._reduce(kind, x, dims, axes, [], node)
            return Fill(value, x.ndim) if keepdims else value
        out_dims = [dims[d] for d in keep]
        dtype = F64 if kind == "mean" or x.dtype == F64 else I64
        out = b.prim("empty", *out_dims, dtype=dtype.name)

        def body(oidx, c):
            value = lazy._reduce(kind, x, dims, axes, list(zip(keep, oidx)), node)
            return [b.prim("store", c[0], convert(b, value, dtype), *oidx, fresh=True)]
        (out,) = lazy.for_nest(out_dims, [out], body)
        out = cx.arrays.new_object(out)
        if not keepdims:
            return out
        cx.shapes.node = node
        kept = cx.shapes.insert_axes(Leaf(out), axes, "a reduction")
        kept.view_base = None            # a new array: nothing to follow
        return kept

    def var(self, x, axes, keepdims, ddof, node):
        cx = self.cx
        b = cx.b
        mean = self.reduce("mean", x, axes, True, node)
        d = cx.lazy.elementwise("sub", [x, mean], node)
        s = self.reduce("sum", cx.lazy.elementwise("mul", [d, d], node), axes, keepdims, node)
        dims = x.dims(cx)
        count = b.const(1)
        for k in axes:
            count = b.prim("mul", count, dims[k])
        count = b.prim("sub", convert(b, count, F64), b.const(float(ddof)))
        return cx.lazy.elementwise("div", [s, count], node)

    def any_all(self, kind, x):
        cx = self.cx
        b = cx.b

        def truth(v):
            return v if v.type == BOOL else b.prim("ne", v, b.const(0.0 if v.type == F64 else 0))
        op = "or" if kind == "any" else "and"
        (r,) = cx.lazy.for_nest(x.dims(cx), [b.const(kind == "all")], lambda idx, c: [
            b.prim(op, c[0], truth(x.gen(cx, idx)))])
        return r

    # ------------------------------------------------------------------ argmax, argmin
    def arg_extreme(self, kind, x, axis):
        """The index of the first maximum (minimum): the flat index for axis None; the
        first NaN wins, as in NumPy. Ints, without derivatives."""
        cx = self.cx
        b = cx.b
        lazy = cx.lazy
        dims = x.dims(cx)
        flo = x.dtype == F64
        start = float("-inf") if kind == "argmax" else float("inf")
        if not flo:
            start = -2 ** 63 if kind == "argmax" else 2 ** 63 - 1
        better = "gt" if kind == "argmax" else "lt"

        def scan(over, fixed):
            def body(idx, c):
                best, at, count = c
                at_ = dict(fixed)
                at_.update(zip(over, idx))
                v = b.prim("stop_gradient", x.gen(cx, [at_[d] for d in range(x.ndim)]))
                take = b.prim(better, v, best)
                if flo:              # a NaN beats everything but an earlier NaN
                    take = b.prim("or", take, b.prim("and", b.prim("ne", v, v),
                                                     b.prim("eq", best, best)))
                return [b.prim("select", take, v, best), b.prim("select", take, count, at),
                        b.prim("add", count, b.const(1))]
            _, at, _ = lazy.for_nest([dims[d] for d in over],
                                     [b.const(start), b.const(0), b.const(0)], body)
            return at
        if axis is None:
            return scan(list(range(x.ndim)), [])
        keep = [d for d in range(x.ndim) if d != axis]
        out_dims = [dims[d] for d in keep]
        out = b.prim("empty", *out_dims, dtype="i64")
        (out,) = lazy.for_nest(out_dims, [out], lambda oidx, c: [
            b.prim("store", c[0], scan([axis], list(zip(keep, oidx))), *oidx, fresh=True)])
        return cx.arrays.new_object(out)

    # ------------------------------------------------------------------ cumsum, cumprod
    def cumulative(self, kind, x, axis):
        cx = self.cx
        b = cx.b
        lazy = cx.lazy
        dims = x.dims(cx)
        dtype = F64 if x.dtype == F64 else I64
        op = "add" if kind == "cumsum" else "mul"
        keep = [d for d in range(x.ndim) if d != axis]
        out = b.prim("empty", *dims, dtype=dtype.name)

        def outer(oidx, c):
            def inner(idx, c2):
                acc, arr = c2
                at = dict(zip(keep, oidx))
                at[axis] = idx[0]
                full = [at[d] for d in range(x.ndim)]
                acc = b.prim(op, acc, convert(b, x.gen(cx, full), dtype))
                return [acc, b.prim("store", arr, acc, *full, fresh=True)]
            init = b.const(0.0 if dtype == F64 else 0) if kind == "cumsum" else \
                b.const(1.0 if dtype == F64 else 1)
            _, arr = lazy.for_nest([dims[axis]], [init, c[0]], inner)
            return [arr]
        (out,) = lazy.for_nest([dims[d] for d in keep], [out], outer)
        return cx.arrays.new_object(out)

    # ------------------------------------------------------------------ sort, median
    def lane(self, x, axis, fixed):
        """The elements of x along `axis` (the other axes at `fixed`) as a 1-d array, and
        the stable permutation that sorts them."""
        cx = self.cx
        b = cx.b
        n = x.dims(cx)[axis]
        arr = b.prim("empty", n, dtype=(F64 if x.dtype == F64 else I64).name)

        def body(idx, c):
            at = dict(fixed)
            at[axis] = idx[0]
            v = convert(b, x.gen(cx, [at[d] for d in range(x.ndim)]), arr.type.dtype)
            return [b.prim("store", c[0], v, idx[0], fresh=True)]
        (arr,) = cx.lazy.for_nest([n], [arr], body)
        return arr, b.prim("argsort", arr), n

    def sort(self, x, axis):
        """np.sort along `axis`: each lane read through its stable permutation."""
        cx = self.cx
        b = cx.b
        dims = x.dims(cx)
        keep = [d for d in range(x.ndim) if d != axis]
        out = b.prim("empty", *dims, dtype=(F64 if x.dtype == F64 else I64).name)

        def per_lane(oidx, c):
            arr, perm, n = self.lane(x, axis, list(zip(keep, oidx)))

            def body(idx, c2):
                at = dict(zip(keep, oidx))
                at[axis] = idx[0]
                v = b.prim("index", arr, b.prim("index", perm, idx[0]))
                return [b.prim("store", c2[0], v, *[at[d] for d in range(x.ndim)],
                               fresh=True)]
            return cx.lazy.for_nest([n], [c[0]], body)
        (out,) = cx.lazy.for_nest([dims[d] for d in keep], [out], per_lane)
        return cx.arrays.new_object(out)

    def median(self, x, axis, node):
        cx = self.cx
        b = cx.b
        dims = x.dims(cx)
        keep = [d for d in range(x.ndim) if d != axis]
        if not keep:
            return self.median_of(x, [], axis, node)
        out_dims = [dims[d] for d in keep]
        out = b.prim("empty", *out_dims, dtype="f64")
        (out,) = cx.lazy.for_nest(out_dims, [out], lambda oidx, c: [b.prim(
            "store", c[0], self.median_of(x, list(zip(keep, oidx)), axis, node), *oidx,
            fresh=True)])
        return cx.arrays.new_object(out)

    def median_of(self, x, fixed, axis, node):
        """The middle element of the sorted lane; of an even count, the mean of the two
        middle ones (each gets half the derivative)."""
        cx = self.cx
        b = cx.b
        arr, perm, n = self.lane(x, axis, fixed)
        hi = b.prim("wrap_index", b.prim("floordiv", n, b.const(2)), n,
                    where=cx.where(node, "np.median() of an empty array"))
        lo = b.prim("floordiv", b.prim("sub", n, b.const(1)), b.const(2))
        a = convert(b, b.prim("index", arr, b.prim("index", perm, lo)), F64)
        c = convert(b, b.prim("index", arr, b.prim("index", perm, hi)), F64)
        return b.prim("mul", b.const(0.5), b.prim("add", a, c))


def is_none(node) -> bool:
    """No axis= given, or axis=None."""
    return node is None or isinstance(node, ast.Constant) and node.value is None


__all__ = ["Reductions", "Fill", "NAMES", "BASIC"]
