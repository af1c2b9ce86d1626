"""Constructors of new arrays from a rule per element: np.eye, np.identity, np.linspace,
np.full_like, np.diag, np.tri, np.triu, np.tril.

Each is a `Gen` expression (a shape and the element at an index) written into a new array by
one loop nest (lazy.materialize), so derivatives flow through the elements that read the
operands (np.linspace's start and stop, np.diag's vector, np.tril's matrix) and nothing else.
"""
from __future__ import annotations

from dataclasses import dataclass, field

from ..builder import const_value
from ..types import F64, I64, is_scalar
from .lazy import ArrayExpr
from .state import convert
from .syntax import tname

SIGNATURES = {
    "eye": ("N", "M", "k", "dtype"), "identity": ("n", "dtype"),
    "linspace": ("start", "stop", "num", "endpoint", "dtype"), "full_like": ("a", "fill_value",
                                                                            "dtype"),
    "diag": ("v", "k"), "tri": ("N", "M", "k", "dtype"), "triu": ("m", "k"),
    "tril": ("m", "k"),
}
NAMES = tuple(SIGNATURES)


@dataclass(eq=False)
class Gen(ArrayExpr):
    """An array given by its shape and a rule for the element at an index."""
    shape: list
    fn: object                   # (idx) -> the element (a Value)
    dtype: object = field(default=F64)

    @property
    def ndim(self):
        return len(self.shape)

    def dims(self, cx):
        return list(self.shape)

    def gen(self, cx, idx):
        return self.fn(idx)


class Constructors:
    """Lowers the calls of NAMES."""

    def __init__(self, cx):
        self.cx = cx
        self.node = None                 # the call being lowered

    def arguments(self, name, node, signatures=None) -> dict:
        """The call's arguments by parameter name (AST nodes), by `signatures` (this
        module's SIGNATURES when not given)."""
        cx = self.cx
        params = (signatures or SIGNATURES)[name]
        if len(node.args) > len(params):
            cx.type_error(node, f"np.{name}() takes at most {len(params)} arguments")
        out = dict(zip(params, node.args))
        for kw in node.keywords:
            if kw.arg not in params:
                cx.unsupported(node, f"np.{name}() keyword argument {kw.arg}= is not supported",
                               "supported: " + ", ".join(params))
            if kw.arg in out:
                cx.type_error(node, f"np.{name}() got multiple values for {kw.arg!r}")
            out[kw.arg] = kw.value
        return out

    def integer(self, node, default=None, const=False, what="size"):
        cx = self.cx
        if node is None:
            if default is None:
                cx.type_error(node, f"missing {what}")
            return cx.b.const(default)
        v = cx.exprs.expr(node)
        if isinstance(v, tuple) or not is_scalar(v.type) or v.type == F64:
            cx.type_error(node, f"{what} must be an integer, got {tname(v)}")
        if const and not isinstance(const_value(v), int):
            cx.unsupported(node, f"{what} must be an integer known at compile time")
        return convert(cx.b, v, I64)

    def number(self, node):
        cx = self.cx
        v = cx.exprs.expr(node)
        if isinstance(v, tuple) or not is_scalar(v.type):
            cx.type_error(node, f"expected a number, got {tname(v)}")
        return v

    def array(self, node, name, ndims):
        cx = self.cx
        v = cx.exprs.expr(node) if node is not None else None
        if v is None or isinstance(v, tuple) or not cx.lazy.is_array(v):
            cx.type_error(node or self.node, f"np.{name}() needs an array, got {tname(v)}")
        x = cx.lazy.as_expr(v)
        if x.ndim not in ndims:
            cx.unsupported(node, f"np.{name}() of a {x.ndim}-d array is not supported")
        return x

    def make(self, shape, fn, dtype, node):
        gen = Gen(shape, fn, dtype)
        return self.cx.lazy.materialize(gen)

    def call(self, name, node):
        cx = self.cx
        b = cx.b
        self.node = node
        a = self.arguments(name, node)
        dtype = cx.arrays.dtype_of(a.get("dtype"), node)
        if name in ("eye", "identity", "tri"):
            n = self.integer(a.get("N", a.get("n")), what="N")
            m = self.integer(a["M"], what="M") if a.get("M") is not None else n
            k = self.integer(a.get("k"), 0, what="k")
            t = dtype or F64
            test = "le" if name == "tri" else "eq"
            return self.make([n, m], lambda idx: convert(b, b.prim(
                "bool_f64", b.prim(test, idx[1], b.prim("add", idx[0], k))), t), t, node)
        if name == "full_like":
            x = self.array(a.get("a"), name, (1, 2, 3))
            fill = self.number(a.get("fill_value"))
            t = dtype or x.dtype
            fill = convert(b, fill, t)
            return self.make(x.dims(cx), lambda idx: fill, t, node)
        if name == "linspace":
            return self.linspace(a, dtype, node)
        if name in ("triu", "tril"):
            x = self.array(a.get("m"), name, (2,))
            k = self.integer(a.get("k"), 0, what="k")
            test = "ge" if name == "triu" else "le"
            zero = b.const(0.0 if x.dtype == F64 else 0)
            return self.make(x.dims(cx), lambda idx: b.prim(
                "select", b.prim(test, idx[1], b.prim("add", idx[0], k)), x.gen(cx, idx), zero),
                x.dtype, node)
        if name == "diag":
            return self.diag(a, node)
        raise AssertionError(name)

    def linspace(self, a, dtype, node):
        """NumPy's rule: start + i * step, step = (stop - start) / (num - 1), the last
        element stop itself (endpoint=True)."""
        cx = self.cx
        b = cx.b
        if dtype is not None and dtype != F64:
            cx.unsupported(node, "np.linspace() makes float arrays here")
        start = convert(b, self.number(a.get("start")), F64)
        stop = convert(b, self.number(a.get("stop")), F64)
        num = self.integer(a.get("num"), 50, what="num")
        endpoint = True
        if a.get("endpoint") is not None:
            endpoint = const_value(cx.exprs.expr(a["endpoint"]))
            if not isinstance(endpoint, bool):
                cx.unsupported(a["endpoint"], "endpoint= must be True or False")
        num = b.prim("add", num, b.prim("same_size", b.prim(                # num + 0
            "select", b.prim("lt", num, b.const(0)), b.const(-1), b.const(0)), b.const(0),
            where=cx.where(node, "Number of samples must be non-negative")))
        div = b.prim("sub", num, b.const(1)) if endpoint else num
        div = b.prim("select", b.prim("gt", div, b.const(0)), div, b.const(1))
        step = b.prim("div", b.prim("sub", stop, start), convert(b, div, F64))

        def fn(idx):
            v = b.prim("add", b.prim("mul", convert(b, idx[0], F64), step), start)
            if not endpoint:
                return v
            last = b.prim("and", b.prim("eq", idx[0], b.prim("sub", num, b.const(1))),
                          b.prim("gt", num, b.const(1)))
            return b.prim("select", last, stop, v)
        return self.make([num], fn, F64, node)

    def diag(self, a, node):
        """np.diag(v, k): a matrix with v on diagonal k; np.diag(A, k): diagonal k of A."""
        cx = self.cx
        b = cx.b
        x = self.array(a.get("v"), "diag", (1, 2))
        k = self.integer(a.get("k"), 0, const=True, what="k")
        kc = const_value(k)
        dims = x.dims(cx)
        if x.ndim == 1:
            n = dims[0]
            size = b.prim("add", n, b.const(abs(kc)))
            zero = b.const(0.0 if x.dtype == F64 else 0)

            def fn(idx):
                i, j = idx
                on = b.prim("eq", b.prim("sub", j, i), k)
                at = b.prim("mod", i if kc >= 0 else j, n)     # in range off the diagonal too
                return b.prim("select", on, x.gen(cx, [at]), zero)
            return self.make([size, size], fn, x.dtype, node)
        m, n = dims
        rows = m if kc >= 0 else b.prim("add", m, k)
        cols = b.prim("sub", n, k) if kc >= 0 else n
        size = b.prim("select", b.prim("lt", rows, cols), rows, cols)
        size = b.prim("select", b.prim("lt", size, b.const(0)), b.const(0), size)

        def fn2(idx):
            i = idx[0]
            at = [i, b.prim("add", i, k)] if kc >= 0 else [b.prim("sub", i, k), i]
            return x.gen(cx, at)
        return self.make([size], fn2, x.dtype, node)


__all__ = ["Constructors", "Gen", "NAMES"]
