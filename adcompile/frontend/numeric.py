"""NumPy functions written as compositions that compute with numbers (compositions.py has
the index maps and views): np.average, np.ptp, np.count_nonzero, np.polyval (Horner's
loop), np.searchsorted and np.interp (a binary search per element: the `searchsorted`
row), scipy.optimize.rosen, np.positive/conj/conjugate/signbit/ldexp/modf/divmod of real
numbers, np.nan_to_num, np.isclose/np.allclose. Their derivatives are those of the parts.
"""
from __future__ import annotations

import ast

from ..types import BOOL, F64, I64
from .compositions import Composer
from .state import convert


class Numeric(Composer):
    """np.<name> for the compositions that compute with numbers."""

    def average(self, a, node):
        cx = self.cx
        x = self.array(a, "a", "average")
        axis = self.axis(a, "axis", x.ndim, None)
        red = cx.reductions
        axes = list(range(x.ndim)) if axis is None else [axis]
        if a.get("weights") is None or isinstance(a["weights"], ast.Constant) and \
                a["weights"].value is None:
            return red.reduce("mean", x, axes, False, node)
        w = self.array(a, "weights", "average")
        if w.ndim == 1 and x.ndim > 1 and axis is not None:     # weights along the axis
            w = cx.shapes.insert_axes(w, [k for k in range(x.ndim) if k != axis])
        top = red.reduce("sum", cx.lazy.elementwise("mul", [x, w], node), axes, False, node)
        full = cx.lazy.elementwise("add", [w, cx.lazy.elementwise(
            "mul", [x, cx.b.const(0.0)], node)], node)
        bottom = red.reduce("sum", full, axes, False, node)
        return cx.lazy.elementwise("div", [top, bottom], node) if cx.lazy.is_array(top) \
            else cx.b.prim("div", top, bottom)

    def ptp(self, a, node):
        cx = self.cx
        x = self.array(a, "a", "ptp")
        axis = self.axis(a, "axis", x.ndim, None)
        axes = list(range(x.ndim)) if axis is None else [axis]
        hi = cx.reductions.reduce("max", x, axes, False, node)
        lo = cx.reductions.reduce("min", x, axes, False, node)
        return cx.lazy.elementwise("sub", [hi, lo], node) if cx.lazy.is_array(hi) \
            else cx.b.prim("sub", hi, lo)

    def count_nonzero(self, a, node):
        cx = self.cx
        x = self.array(a, "a", "count_nonzero")
        truth = x if x.dtype == BOOL else cx.lazy.elementwise(
            "ne", [x, cx.b.const(0.0 if x.dtype == F64 else 0)], node)
        return cx.lazy.reduction("sum", cx.lazy.elementwise(
            "add", [truth, cx.b.const(0)], node), None, node)

    def polyval(self, a, node):
        """Horner's rule over the coefficients (highest power first), for a number or
        elementwise over an array."""
        cx = self.cx
        b = cx.b
        p = cx.lazy.materialize(self.array(a, "p", "polyval"))
        x = self.operand(a, "x", "polyval")
        n = b.prim("dim", p, b.const(0))

        def horner(xv):
            xv = convert(b, xv, F64)
            (y,) = cx.lazy.for_nest([n], [b.const(0.0)], lambda idx, c: [
                b.prim("add", b.prim("mul", c[0], xv), convert(b, b.prim("index", p, *idx),
                                                              F64))])
            return y
        return self.each(x, horner, write=True)

    def searchsorted(self, a, node):
        cx = self.cx
        b = cx.b
        sorted_ = cx.lazy.materialize(self.array(a, "a", "searchsorted"))
        side = "left"
        if "side" in a:
            side = a["side"].value if isinstance(a["side"], ast.Constant) else None
            if side not in ("left", "right"):
                cx.type_error(a["side"], "side must be 'left' or 'right'")
        return self.each(self.operand(a, "v", "searchsorted"), lambda v: b.prim(
            "searchsorted", sorted_, convert(b, v, F64), right=side == "right"), I64)

    def interp(self, a, node):
        """np.interp(x, xp, fp): linear between the points, fp[0] / fp[-1] beyond them."""
        cx = self.cx
        b = cx.b
        xp = cx.lazy.materialize(self.array(a, "xp", "interp"))
        fp = cx.lazy.materialize(self.array(a, "fp", "interp"))
        x = self.operand(a, "x", "interp")
        n = b.prim("same_size", b.prim("dim", xp, b.const(0)), b.prim("dim", fp, b.const(0)),
                   where=cx.where(node, "fp and xp are not of the same length"))

        def at(xv):
            xv = convert(b, xv, F64)
            j = b.prim("searchsorted", xp, xv, right=True)           # xp[j-1] <= x < xp[j]
            lo = b.prim("npmin", b.prim("npmax", b.prim("sub", j, b.const(1)), b.const(0)),
                        b.prim("sub", n, b.const(2)))
            hi = b.prim("add", lo, b.const(1))
            x0, x1 = b.prim("index", xp, lo), b.prim("index", xp, hi)
            f0, f1 = b.prim("index", fp, lo), b.prim("index", fp, hi)
            t = b.prim("div", b.prim("sub", xv, x0), b.prim("sub", x1, x0))
            inside = b.prim("add", f0, b.prim("mul", t, b.prim("sub", f1, f0)))
            first = b.prim("index", fp, b.const(0))
            last = b.prim("index", fp, b.prim("sub", n, b.const(1)))
            return b.prim("select", b.prim("lt", xv, b.prim("index", xp, b.const(0))), first,
                          b.prim("select", b.prim("ge", xv, b.prim(
                              "index", xp, b.prim("sub", n, b.const(1)))), last, inside))
        return self.each(x, at, write=True)

    def rosen(self, a, node):
        """scipy.optimize.rosen(x): sum(100 (x[1:] - x[:-1]**2)**2 + (1 - x[:-1])**2)."""
        cx = self.cx
        b = cx.b
        lz = cx.lazy
        x = self.array(a, "x", "rosen")
        hi = self.sliced(x, 0, self.slc(1), node)
        lo = self.sliced(x, 0, self.slc(None, -1), node)
        step = lz.elementwise("sub", [hi, lz.elementwise("mul", [lo, lo], node)], node)
        rest = lz.elementwise("sub", [b.const(1.0), lo], node)
        terms = lz.elementwise("add", [lz.elementwise("mul", [b.const(100.0), lz.elementwise(
            "mul", [step, step], node)], node), lz.elementwise("mul", [rest, rest], node)],
            node)
        return cx.reductions.reduce("sum", lz.as_expr(terms), [0], False, node)

    # ------------------------------------------------------------------ real-valued ufuncs
    def positive(self, a, node):
        """np.positive, np.conj, np.conjugate of real numbers: the value (a new array)."""
        cx = self.cx
        x = self.operand(a, "x", "positive")
        return cx.lazy.elementwise("mul", [x, cx.b.const(1.0)], node) if cx.lazy.is_array(x) \
            else x

    conj = conjugate = positive

    def signbit(self, a, node):
        cx = self.cx
        x = self.operand(a, "x", "signbit")
        return self.each(x, lambda v: cx.b.prim("lt", cx.b.prim(
            "copysign", cx.b.const(1.0), convert(cx.b, v, F64)), cx.b.const(0.0)), BOOL)

    def ldexp(self, a, node):
        """x1 * 2 ** x2."""
        cx = self.cx
        x, e = self.operand(a, "x1", "ldexp"), self.operand(a, "x2", "ldexp")
        two = cx.b.const(2.0)
        scale = cx.lazy.elementwise("pow", [two, e], node) if cx.lazy.is_array(e) else \
            cx.b.prim("pow", two, convert(cx.b, e, F64))
        return cx.lazy.elementwise("mul", [x, scale], node) if cx.lazy.is_array(x) or \
            cx.lazy.is_array(scale) else cx.b.prim("mul", convert(cx.b, x, F64), scale)

    def modf(self, a, node):
        """(x - trunc(x), trunc(x)): the fractional and the integral parts."""
        cx = self.cx
        x = self.operand(a, "x", "modf")
        whole = self.each(x, lambda v: cx.b.prim("ftrunc", convert(cx.b, v, F64)))
        frac = cx.lazy.elementwise("sub", [x, whole], node) if cx.lazy.is_array(x) else \
            cx.b.prim("sub", x, whole)
        return frac, whole

    def divmod(self, a, node):
        """(x1 // x2, x1 % x2)."""
        cx = self.cx
        x, y = self.operand(a, "x1", "divmod"), self.operand(a, "x2", "divmod")
        return tuple(cx.exprs.binop(op, x, y, node) for op in ("floordiv", "mod"))

    # ------------------------------------------------------------------ tests, cleanup
    def nan_to_num(self, a, node):
        """np.nan_to_num(x): NaN -> 0, inf -> the largest float, -inf -> the smallest."""
        cx = self.cx
        b = cx.b
        big = 1.7976931348623157e308
        x = self.operand(a, "x", "nan_to_num")

        def clean(v):
            v = convert(b, v, F64)
            return b.prim("select", b.prim("isnan", v), b.const(0.0), b.prim(
                "select", b.prim("isinf", v), b.prim("select", b.prim("gt", v, b.const(0.0)),
                                                     b.const(big), b.const(-big)), v))
        return self.each(x, clean)

    def isclose(self, a, node, label="isclose"):
        """|a - b| <= atol + rtol * |b|, elementwise (NumPy's defaults 1e-5, 1e-8)."""
        cx = self.cx
        lz = cx.lazy
        u = cx.exprs.expr(a["a"]) if "a" in a else None
        v = cx.exprs.expr(a["b"]) if "b" in a else None
        if u is None or v is None or isinstance(u, tuple) or isinstance(v, tuple):
            cx.type_error(node, f"np.{label}() compares two numbers or arrays")
        rtol = cx.constructors.number(a["rtol"]) if "rtol" in a else cx.b.const(1e-5)
        atol = cx.constructors.number(a["atol"]) if "atol" in a else cx.b.const(1e-8)

        def op(name, *xs):
            return lz.elementwise(name, list(xs), node) if any(lz.is_array(t) for t in xs) \
                else cx.b.prim(name, *xs)
        gap = op("abs", op("sub", u, v))
        return op("le", gap, op("add", atol, op("mul", rtol, op("abs", v))))

    def allclose(self, a, node):
        cx = self.cx
        close = self.isclose(a, node, "allclose")
        if not cx.lazy.is_array(close):
            return close
        return cx.reductions.any_all("all", cx.lazy.as_expr(close))


__all__ = ["Numeric"]
