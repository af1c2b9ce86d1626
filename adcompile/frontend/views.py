"""Slices and names bound to them: NumPy's view semantics in the frontend.

`v = x[1:]` binds v to a View of x's array object, not to a copy: a read of v reads x's
current version (so it sees later writes to x), and a write through v (`v[0] = 1.0`,
`v += 1.0`) is a write into x, as in NumPy. Views stay lazy while they are bound to names,
passed to helpers or returned from them.

Where one array value is needed for a name whose paths disagree (a branch that binds it to
different arrays, a loop that carries it), the view is copied. Such a copy is checked so it
can never give a number NumPy would not: a read of it after its base array was written (on
the path that reads it) is refused with a located error, and so is a write through it.
The check compares versions: the base object's version when the copy was made against its
version where the copy is read (every write makes a new version).
"""
from __future__ import annotations

import ast

from ..builder import const_value
from ..errors import UnsupportedSyntaxError
from ..ir import Value
from ..types import BOOL, F64, I64, is_scalar
from ..valuetree import flatten, like
from .fancy import is_index_array
from .lazy import Leaf, View
from .shapes import has_newaxis
from .state import ViewCopy, convert, key_text
from .syntax import expr_text, index_parts, tname


class Views:
    """Slices, array attributes, and the checked copies that stand in for views."""

    def __init__(self, cx):
        self.cx = cx

    # ------------------------------------------------------------------ attributes, slices
    def array_attribute(self, base, node):
        cx = self.cx
        x = cx.lazy.as_expr(base)
        if node.attr == "shape":
            return tuple(x.dims(cx))
        if node.attr == "ndim":
            return cx.b.const(x.ndim)
        if node.attr == "size":
            size = cx.b.const(1)
            for d in x.dims(cx):
                size = cx.b.prim("mul", size, d)
            return size
        if node.attr == "T":                  # the same elements, axes in reverse order
            view = self.view_of(x, node)
            return View(view.base, view.parts, list(reversed(view.perm or range(view.ndim))))
        cx.unsupported(node, f"attribute .{node.attr} of an array is not supported",
                       "arrays support .shape, .ndim, .size and .T")

    def subscript_parts(self, x, node):
        """The part nodes of x[...] (an Ellipsis written out as whole slices) and their
        values (None for slices), each evaluated once."""
        cx = self.cx
        nodes = index_parts(node.slice)
        dots = [k for k, p in enumerate(nodes) if isinstance(p, ast.Constant)
                and p.value is Ellipsis]
        if len(dots) > 1:
            cx.type_error(node.slice, "an index can only have a single ellipsis ('...')")
        if dots:
            k = dots[0]
            fill = max(x.ndim - (len(nodes) - 1), 0)
            nodes = nodes[:k] + [ast.Slice(lower=None, upper=None, step=None)] * fill + \
                nodes[k + 1:]
        return nodes, [None if isinstance(p, ast.Slice) else
                       cx.arrays.list_literal(p) if isinstance(p, ast.List) else
                       cx.exprs.expr(p) for p in nodes]

    def array_subscript(self, base, node, parts=None):
        """x[i, j] (an element), or x[a:b], A[i, :], A[:, j] (a view); with index arrays or
        masks, an indexed copy (fancy.py). `parts`: the (nodes, values) of the subscript,
        when the caller has evaluated them."""
        cx = self.cx
        if has_newaxis(node):
            return cx.shapes.newaxis_subscript(base, node)
        x = cx.lazy.as_expr(base)
        parts_nodes, vals = parts or self.subscript_parts(x, node)
        if any(is_index_array(v) for v in vals):
            return cx.fancy.read(x, parts_nodes, vals, node)
        has_slice = any(isinstance(p, ast.Slice) for p in parts_nodes)
        if not has_slice and len(parts_nodes) == x.ndim:
            if isinstance(x, Leaf):
                return cx.arrays.array_read(x.arr, node, (parts_nodes, vals))
            if isinstance(x, View):
                idx = [self.view_index(p, n, node, v)
                       for p, n, v in zip(parts_nodes, x.dims(cx), vals)]
                arr = cx.arrays.current(x.base)
                return cx.b.prim("index", arr, *x.base_index(cx, idx))
            return cx.arrays.array_read(cx.lazy.materialize(x), node, (parts_nodes, vals))
        if len(parts_nodes) > x.ndim:
            cx.unsupported(node.slice, f"too many indices for a {x.ndim}-d array")
        view = self.view_of(x, node)
        dims = view.dims(cx)
        new_parts = []
        pad = len(dims) - len(parts_nodes)
        for p, n, v in zip(parts_nodes + [None] * pad, dims, vals + [None] * pad):
            if p is None or isinstance(p, ast.Slice):
                s, st, ln = self.slice_of(p, n, node)
                new_parts.append(("slice", s, st, ln))
            else:
                new_parts.append(("at", self.view_index(p, n, node, v)))
        # compose: the new parts index the old view's dims
        return self.compose(view, new_parts)

    def view_of(self, x, node) -> View:
        if isinstance(x, View):
            return x
        b = self.cx.b
        arr = self.cx.lazy.materialize(x)
        dims = [b.const(1) if arr.type.unit(k) else b.prim("dim", arr, b.const(k))
                for k in range(arr.type.ndim)]
        return View(arr, [("slice", b.const(0), b.const(1), d) for d in dims])

    def compose(self, view: View, new_parts) -> View:
        """A view of a view: map each new part through the old view's slices."""
        b = self.cx.b
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

    def view_index(self, p, n, node, v=None) -> Value:
        cx = self.cx
        v = cx.exprs.expr(p) if v is None else v
        if isinstance(v, tuple) or not is_scalar(v.type) or v.type == F64:
            cx.type_error(p, f"array indices must be integers, got {tname(v)}")
        return cx.b.prim("wrap_index", convert(cx.b, v, I64), n, where=cx.where(node))

    def slice_of(self, p, n, node):
        cx = self.cx
        b = cx.b
        if p is None:
            return b.const(0), b.const(1), n
        vals = []
        for part in (p.lower, p.upper, p.step):
            if part is None:
                vals.append(None)
                continue
            v = cx.exprs.expr(part)
            if isinstance(v, tuple) or v.type not in (I64, BOOL):
                cx.type_error(part, f"slice bounds must be integers, got {tname(v)}")
            vals.append(convert(b, v, I64))
        lo, hi, st = vals
        st = st if st is not None else b.const(1)
        if const_value(st) == 0:
            cx.type_error(p, "slice step cannot be zero")
        if lo is None and hi is None and const_value(st) == 1:
            return b.const(0), st, n                   # x[:] keeps the axis as it is
        unit = self.unit_slice(lo, hi, st, n, node)
        if unit is not None:
            return unit
        attrs = {"has_start": lo is not None, "has_stop": hi is not None}
        args = [lo or b.const(0), hi or b.const(0), st, n]
        known = [const_value(a) for a in args]
        if all(isinstance(k, int) and not isinstance(k, bool) for k in known):
            from ..runtime import slice_len, slice_start      # every bound known: folded
            flags = (attrs["has_start"], attrs["has_stop"])
            return (b.const(slice_start(*known, *flags)), st,
                    b.const(slice_len(*known, *flags)))
        start = b.prim("slice_start", *args, **attrs)
        length = b.prim("slice_len", *args, **attrs)
        return start, st, length

    def unit_slice(self, lo, hi, st, n, node):
        """x[c:c+1], x[:1], x[-1:] with constant bounds: (start, step, length 1), the
        length known to be 1 so the axis broadcasts as in NumPy. The start is checked
        (an axis too short for it raises naming the line, where NumPy would give an
        empty slice)."""
        b = self.cx.b
        c = 0 if lo is None else const_value(lo)
        stop = None if hi is None else const_value(hi)
        if const_value(st) != 1 or not isinstance(c, int) or isinstance(c, bool):
            return None
        if not (isinstance(stop, int) and stop == c + 1 and (c >= 0 or stop < 0)
                or hi is None and c == -1):
            return None
        start = b.prim("wrap_index", b.const(c), n, where=self.cx.where(node))
        return start, st, b.const(1)

    def element_of(self, x, i):
        """x[i] for `for v in x`: a number for 1-d x, a view of a row otherwise."""
        cx = self.cx
        if x.ndim == 1:               # as NumPy: the element as it is now (the body may write x)
            if isinstance(x, Leaf):
                x = Leaf(cx.arrays.current(x.arr))
            return x.gen(cx, [i])
        return self.compose(self.view_of(x, None), [("at", i)] + [
            ("slice", cx.b.const(0), cx.b.const(1), d) for d in x.dims(cx)[1:]])

    # ------------------------------------------------------------------ copies for views
    def view_copy(self, view, hint: str = "") -> Value:
        """Copy `view` into a new array (in the builder's block, with cx.env the path's
        environment) and remember which base version it stands for."""
        cx = self.cx
        value = cx.lazy.materialize(view, hint)
        self.record_copy(value, view.base, "a slice", hint)
        return value

    def record_copy(self, value, base, what, hint=""):
        """value (a new array) stands for NumPy's view `what` of base: writes through it
        are refused, and so are reads of it after base is written."""
        cx = self.cx
        cx.copies.protected.add(cx.objects.obj_of[value.id])    # no writes
        key = cx.objects.key_of(base)
        if key is not None and key in cx.env:
            text = f"{what} (bound to {hint!r})" if hint else what
            cx.copies.copies[value.id] = ViewCopy(key, cx.env[key], text)

    def settle_views(self, v, hint: str = ""):
        """v with every View in it replaced by a checked copy (for merges and loops)."""
        if isinstance(v, tuple):
            return like(v, [self.settle_views(x, hint) for x in v])
        return self.view_copy(v, hint) if isinstance(v, View) else v

    def has_view(self, v) -> bool:
        if isinstance(v, tuple):
            return any(self.has_view(x) for x in v)
        return isinstance(v, View)

    def copy_of(self, v) -> ViewCopy | None:
        if isinstance(v, ViewCopy):
            return v
        return self.cx.copies.copies.get(v.id) if isinstance(v, Value) else None

    def mark_copy(self, target, info: ViewCopy | None):
        """target (a merge or loop value) holds the copy described by info: check it
        against the base's version in the current environment."""
        cx = self.cx
        if info is not None and isinstance(target, Value):
            cx.copies.copies[target.id] = ViewCopy(info.base, cx.env.get(info.base), info.text)
            obj = cx.objects.obj_of.get(target.id)
            if obj is not None:                  # writes through it would be lost: refused
                cx.copies.protected.add(obj)

    def mark_copies(self, sources, targets):
        """targets hold copies where any of the parallel `sources` lists do."""
        for k, t in enumerate(targets):
            infos = [self.copy_of(src[k]) for src in sources if k < len(src)]
            self.mark_copy(t, next((i for i in infos if i is not None), None))

    def mark_carried_copies(self, names, carried_views: dict, env0: dict):
        """Carried names that hold copies of slices (on entry, or yielded by the body, as
        recorded in carried_views) hold them in cx.env too (block arguments, results)."""
        env = self.cx.env
        for n in names:
            if n not in env:
                continue
            init = flatten(env0[n]) if n in env0 else []
            self.mark_copies([init, carried_views.get(n, [])], flatten(env[n]))

    def settle_carried_views(self, names, carried_views: dict):
        """At the end of a loop body: carried names bound to slices yield checked copies."""
        env = self.cx.env
        for n in names:
            if self.has_view(env.get(n)):
                env[n] = self.settle_views(env[n], key_text(n).lstrip("$"))
                carried_views[n] = [self.copy_of(x) for x in flatten(env[n])]

    def check_view_read(self, v, node):
        """Record a read of a copy made for a view after its base was written (the loop
        lowering drops records of passes it discards; the rest are errors)."""
        cx = self.cx
        for leaf in (v if isinstance(v, tuple) else (v,)):
            info = self.copy_of(leaf)
            if info is not None and cx.env.get(info.base) is not info.version:
                cx.copies.stale_reads.append((info, cx.loc(node), node))

    def raise_stale_reads(self):
        stale = self.cx.copies.stale_reads
        if stale:
            info, loc, node = stale[0]
            raise UnsupportedSyntaxError(
                f"{expr_text(node)} holds a copy of {info.text}: the view had to be "
                "copied (a slice chosen by a branch or carried by a loop, or a reshape or a "
                "new axis bound to a name), and its base array has been written since, so "
                "NumPy's view would see the write and the copy would not", loc,
                "take the slice (or reshape) again after the write, or copy it explicitly "
                "with .copy() where you mean a copy")


__all__ = ["Views"]
