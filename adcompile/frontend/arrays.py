"""Arrays: objects and versions, element reads and writes, construction, reductions.

Arrays are values in the IR: a write `y[i] = v` produces a new version of the array
(`store`), which the generated code performs in place. Python's aliasing is kept by tracking
array *objects*: every version of an array belongs to one object, the environment holds the
object's current version under its `ObjKey`, and reading any name bound to the object
gives its current version, so `z = y; y[0] = 1.0` is seen through `z`, and a helper function
that writes into an array it was passed is seen by its caller. Merging at branches and
carrying through loops reuse the machinery for ordinary variables.
"""
from __future__ import annotations

import ast


from ..builder import const_value
from ..ir import Value
from ..types import BOOL, F64, I64, MAX_NDIM, ZERO, Array, is_scalar, promote
from ..valuetree import Record, like
from .fancy import is_index_array
from .lazy import ArrayExpr, Leaf, Map, View
from .shapes import has_newaxis
from .state import convert
from .syntax import expr_text, index_parts, tname

DTYPES = {"float": F64, "float64": F64, "int": I64, "int64": I64}
FRESH = object()        # merged_object: each arm made its own array (a new object)


def index_hint(v, node) -> str:
    """The rewrite for an index that is not an int (arrays of indices and masks are
    fancy.py's)."""
    return "convert with int(...) if the value is a whole number"


# reductions of scipy.special (the others are NumPy's)
SCIPY_REDUCTIONS = ("logsumexp", "softmax", "log_softmax")

class Arrays:
    """Array objects, element access and construction."""

    def __init__(self, cx):
        self.cx = cx

    # ------------------------------------------------------------------ objects and versions
    def new_object(self, v: Value) -> Value:
        """Register v as the first version of a new array object."""
        self.cx.env[self.cx.objects.register(v)] = v
        return v

    def current(self, v):
        """The current version of the array object v belongs to (v itself for non-arrays)."""
        if isinstance(v, tuple):
            return like(v, [self.current(x) for x in v])
        key = self.cx.objects.key_of(v) if isinstance(v, Value) else None
        return self.cx.env.get(key, v) if key else v

    def current_in(self, env: dict, v):
        """The current version of v's array object in another environment (a branch arm)."""
        key = self.cx.objects.key_of(v) if isinstance(v, Value) else None
        return env.get(key, v) if key else v

    def merged_object(self, env0, te, ee, vt, ve):
        """The object a name holds after an if: the same object on both arms, FRESH when
        each arm made its own array, or None (unknown: writes through it are refused)."""
        objects = self.cx.objects
        kt = objects.key_of(vt) if isinstance(vt, Value) else None
        ke = objects.key_of(ve) if isinstance(ve, Value) else None
        if kt is not None and kt == ke:
            return kt
        if (kt is None or kt not in env0) and (ke is None or ke not in env0):
            return FRESH
        return None

    # ------------------------------------------------------------------ reads and writes
    def index_values(self, arr: Value, node, idx_node, evaluated=None) -> list:
        """The integer indices of arr[i, j]; `evaluated`: the subscript's (nodes, values),
        when the caller has evaluated them."""
        cx = self.cx
        parts, values = evaluated or (index_parts(idx_node), None)
        if any(isinstance(p, ast.Slice) for p in parts):
            cx.unsupported(idx_node, "array slices are not supported yet",
                           "read and write elements with integer indices inside a loop")
        if len(parts) != arr.type.ndim:
            cx.unsupported(idx_node, f"indexing a {arr.type.ndim}-d array needs "
                                     f"{arr.type.ndim} integer indices, got {len(parts)}",
                           "index single elements: x[i] or A[i, j]")
        out = []
        for k, p in enumerate(parts):
            v = cx.exprs.expr(p) if values is None else values[k]
            if isinstance(v, tuple) or v.type not in (I64, BOOL):
                cx.type_error(p, f"array indices must be integers, got {tname(v)}",
                              index_hint(v, p))
            out.append(convert(cx.b, v, I64))
        return out

    def array_read(self, arr: Value, node, evaluated=None) -> Value:
        idx = self.index_values(arr, node, node.slice, evaluated)
        return self.cx.b.prim("index", arr, *idx, where=self.cx.where(node))

    def array_store(self, target: ast.Subscript, value, op=None):
        """y[i] = value (or y[i] op= value): a new version of y's object. With slices
        (h[0, :] = x0, y[a:b] += v) the value is broadcast over the selected elements;
        with index arrays or masks (y[idx] = v, y[y < 0] = 0.0), over those (fancy.py)."""
        cx = self.cx
        b = cx.b
        base = cx.exprs.expr(target.value)
        if isinstance(base, tuple) or not cx.lazy.is_array(base):
            cx.type_error(target, f"cannot assign into {tname(base)}",
                          "only array elements can be assigned: y[i] = ...")
        if has_newaxis(target):
            cx.unsupported(target.slice, "assigning through a new axis is not supported",
                           "assign into the array without the None")
        parts = cx.views.subscript_parts(cx.lazy.as_expr(base), target)
        nodes, vals = parts
        if any(is_index_array(v) for v in vals):
            if not isinstance(base, View):
                self.writable(base, target)
            return cx.fancy.store(base, nodes, vals, value, op, target)
        if isinstance(base, View) or cx.lazy.is_array(base) and (
                any(isinstance(p, ast.Slice) for p in nodes) or len(nodes) < base.type.ndim):
            view = cx.views.array_subscript(base, target, parts)
            if not isinstance(view, View):             # every index an integer: one element
                view = self._element_view(base, target, parts)
            return self.view_store(view, value, op, target)
        if not isinstance(base.type, Array):
            cx.type_error(target, f"cannot assign into {tname(base)}",
                          "only array elements can be assigned: y[i] = ...")
        key = self.writable(base, target)
        idx = self.index_values(base, target, target.slice, parts)
        where = cx.where(target)
        if op is not None:
            old = b.prim("index", base, *idx, where=where)
            value = cx.exprs.binop(op, old, value, target)
        if isinstance(value, tuple) or not is_scalar(value.type):
            cx.type_error(target, "an array element can only be assigned a number",
                          "assign element by element inside a loop")
        value = convert(b, value, base.type.dtype)
        new = b.prim("store", base, value, *idx, where=where, hint=base.hint)
        cx.env[key] = new
        cx.objects.adopt(key, new)

    def writable(self, arr, node):
        cx = self.cx
        key = cx.objects.key_of(arr)
        if key is None:
            cx.unsupported(node, "writing into this array is not supported: it may be one "
                                 "of several arrays (chosen by a branch, or rebound in a loop)",
                           "write into a copy made here: y = y.copy(), then y[...] = ...")
        if key.n in cx.copies.protected:
            cx.unsupported(node, "writing through this name is not supported: it holds a "
                                 "copy of a view (a slice chosen by a branch or carried by a loop, "
                                 "or a reshape, a new axis or a squeeze), so the write would "
                                 "not reach the base array as it does through NumPy's view",
                           "write into the original array where the slice is taken "
                           "(y[1:][0] = ..., y[i, :] = ...), or copy explicitly with .copy()")
        return key

    def _element_view(self, base, target, evaluated):
        """A one-element view for y[i][j] = v, written through the view y[i]."""
        cx = self.cx
        views = cx.views
        view = views.view_of(cx.lazy.as_expr(base), target)
        parts, vals = evaluated
        return views.compose(view, [("at", views.view_index(p, n, target, v))
                                    for p, n, v in zip(parts, view.dims(cx), vals)])

    def view_store(self, view, value, op, target):
        """Write value (a number or an array broadcast to the view) into the view's elements."""
        cx = self.cx
        b = cx.b
        key = self.writable(view.base, target)
        dims = view.dims(cx)
        value = cx.lazy.as_expr(value)
        if isinstance(value, tuple):
            cx.type_error(target, "cannot assign a tuple into an array")
        read = self.objects_read(value) if isinstance(value, ArrayExpr) else set()
        if isinstance(value, ArrayExpr) and (read is None or key in read):
            # y[1:] = y[:-1], v += v[::-1]: NumPy reads every element before writing any
            value = cx.lazy.as_expr(cx.lazy.materialize(value))
        if isinstance(value, ArrayExpr):
            if value.ndim > len(dims):
                cx.type_error(target, "the value has more dimensions than the target")
            vdims = value.dims(cx)
            where = cx.where(target, "value shape does not match")
            for d, vd in zip(dims[len(dims) - len(vdims):], vdims):
                b.prim("same_size", d, vd, where=where)
        dtype = view.dtype

        def body(idx, carried):
            v = value.gen(cx, idx[len(idx) - value.ndim:]) if isinstance(value, ArrayExpr) \
                else value
            if op is not None:
                v = b.prim(op, b.prim("index", carried[0], *view.base_index(cx, idx)), v)
            v = convert(b, v, dtype)
            return [b.prim("store", carried[0], v, *view.base_index(cx, idx))]
        (new,) = cx.lazy.for_nest(dims, [self.current(view.base)], body)
        cx.env[key] = new
        cx.objects.adopt(key, new)

    def objects_read(self, x) -> set | None:
        """The array objects a lazy expression reads; None when it cannot tell (an index
        map or a generated array may read any array: an index array, its source)."""
        if isinstance(x, Leaf):
            return {self.cx.objects.key_of(x.arr)}
        if isinstance(x, View):
            return {self.cx.objects.key_of(x.base)}
        if isinstance(x, Map):
            parts = [self.objects_read(o) for o in x.operands if isinstance(o, ArrayExpr)]
            return None if any(p is None for p in parts) else set().union(*parts)
        return None

    # ------------------------------------------------------------------ calls
    def reduce_call(self, kind, node, args, keywords):
        """np.sum/mean/.../median(x, axis=..., keepdims=...) and the same methods of arrays
        (reductions.py); scipy.special.logsumexp/softmax/log_softmax (axis=, b=) here."""
        if kind not in SCIPY_REDUCTIONS:
            return self.cx.reductions.call(kind, node, args, keywords)
        cx = self.cx
        axis = weights = None
        label = f"scipy.special.{kind}" if kind in SCIPY_REDUCTIONS else f"np.{kind}"
        for kw in keywords:
            if kind == "logsumexp" and kw.arg == "b":
                weights = cx.exprs.expr(kw.value)
                if isinstance(weights, tuple):
                    cx.type_error(kw.value, f"{label}(b=...) takes an array or a number")
                continue
            if kw.arg != "axis":
                cx.unsupported(node, f"keyword argument {kw.arg}= is not supported",
                               "supported: axis=<an integer constant>" + (
                                   ", b=<weights>" if kind == "logsumexp" else ""))
            if isinstance(kw.value, ast.Constant) and kw.value.value is None:
                axis = None                                  # axis=None: every element
                continue
            value = cx.exprs.expr(kw.value)
            axis = const_value(value) if not isinstance(value, tuple) else None
            if not isinstance(axis, int) or isinstance(axis, bool):
                cx.unsupported(kw.value, "axis must be an integer known at compile time")
        if len(args) != 1:
            cx.type_error(node, f"{label}() takes one array" + (
                " (axis= and b= as keywords)" if kind == "logsumexp" else ""))
        x = args[0]
        if isinstance(x, tuple) or not cx.lazy.is_array(x):
            cx.type_error(node, f"{label}() of {tname(x)} is not supported",
                          "np.logaddexp(a, b) for numbers" if kind == "logsumexp" else
                          "use max(a, b) / min(a, b) for numbers")
        if kind in ("softmax", "log_softmax"):
            return self.softmax(kind, label, x, axis, node)
        return cx.lazy.reduction(kind, x, axis, node, weights)

    def softmax(self, kind, label, x, axis, node):
        """scipy.special.log_softmax(x) = x - logsumexp(x), softmax its exp, over every
        element (axis=None) or along one axis: elementwise expressions of the logsumexp
        reduction."""
        cx = self.cx
        ndim = cx.lazy.as_expr(x).ndim
        if axis is None or ndim == 1:
            if axis is not None and axis not in (0, -1):
                cx.type_error(node, f"axis {axis} is out of range for a 1-d array")
            total = cx.lazy.reduction("logsumexp", x, None, node)
        else:                       # along one axis: logsumexp kept as a length-1 axis
            k = axis + ndim if axis < 0 else axis
            if not 0 <= k < ndim:
                cx.type_error(node, f"axis {axis} is out of range for a {ndim}-d array")
            cx.shapes.node = node
            total = cx.shapes.insert_axes(cx.lazy.as_expr(
                cx.lazy.reduction("logsumexp", x, k, node)), [k])
        shifted = cx.lazy.elementwise("sub", [x, total], node)
        return shifted if kind == "log_softmax" else cx.lazy.elementwise("exp", [shifted], node)

    def array_function(self, callee, node, args):
        """np.clip(x, low, high): np.minimum(np.maximum(x, low), high), elementwise."""
        cx = self.cx
        if len(args) != 3:
            cx.type_error(node, "np.clip() takes 3 arguments (x, low, high)")
        if not any(cx.lazy.is_array(a) for a in args):
            return cx.b.prim("npmin", cx.b.prim("npmax", args[0], args[1]), args[2])
        low = cx.lazy.elementwise("npmax", [args[0], args[1]], node)
        return cx.lazy.elementwise("npmin", [low, args[2]], node)

    def construct(self, callee, node, args):
        """np.zeros/ones/empty/full/*_like/arange/array/copy."""
        cx = self.cx
        b = cx.b
        kind = callee.prim
        kw = {k.arg: k.value for k in node.keywords}
        dtype = self.dtype_of(kw.pop("dtype", None), node)
        if kw:
            cx.unsupported(node, f"{callee.label}() keyword argument "
                                 f"{next(iter(kw))!r} is not supported",
                           "supported: dtype=float or dtype=int")
        if kind in ("zeros", "ones", "empty", "full"):
            want = 2 if kind == "full" else 1
            if len(args) != want:
                cx.type_error(node, f"{callee.label}() takes {want} positional argument(s)")
            dims = self.shape_of(args[0], node.args[0])
            if kind == "full":
                fill = args[1]
                if isinstance(fill, tuple) or not is_scalar(fill.type):
                    cx.type_error(node.args[1], "np.full() needs a number to fill with")
                dtype = dtype or (F64 if fill.type == F64 else I64)
                return self.new_object(b.prim("full", convert(b, fill, dtype), *dims,
                                              dtype=dtype.name, hint=""))
            return self.new_object(b.prim(kind, *dims, dtype=(dtype or F64).name, hint=""))
        if kind in ("zeros_like", "ones_like", "empty_like"):
            if len(args) != 1 or isinstance(args[0], tuple) or \
                    not isinstance(args[0].type, Array):
                cx.type_error(node, f"{callee.label}() takes one array")
            src = args[0]
            dims = [b.prim("dim", src, b.const(k)) for k in range(src.type.ndim)]
            base = kind[:-len("_like")]
            return self.new_object(b.prim(base, *dims, dtype=(dtype or src.type.dtype).name,
                                          hint=""))
        if kind == "copy":
            if len(args) != 1 or isinstance(args[0], tuple) or \
                    not isinstance(args[0].type, Array):
                cx.type_error(node, f"{callee.label}() takes one array")
            return self.new_object(b.prim("copy", args[0], hint=args[0].hint))
        if kind == "arange":
            if not 1 <= len(args) <= 3 or any(isinstance(a, tuple) for a in args):
                cx.type_error(node, "np.arange() takes 1 to 3 numbers")
            return self.new_object(b.prim("arange", *arange_operands(
                b, args, dtype, lambda a, t: convert(b, a, t)), hint=""))
        if kind in ("array", "asarray"):
            self.check_array_argument(node)       # a literal list is a tuple: one path
            return self.array_of_value(cx.exprs.expr(node.args[0]), kind, dtype, node)
        raise AssertionError(kind)

    def array_of_value(self, v, kind, dtype, node):
        """np.array(v) / np.asarray(v) of a name: an array (copied by np.array, itself for
        np.asarray), or a tuple (a list bound to a name) of numbers, nested or of arrays;
        a number (NumPy's 0-d array) is refused."""
        cx = self.cx
        if not isinstance(v, tuple) and cx.lazy.is_array(v):
            x = cx.lazy.as_expr(v)
            if dtype is not None and dtype != x.dtype:
                return cx.lazy.materialize(cx.lazy.elementwise("add", [x, cx.b.const(
                    ZERO[dtype])], node))
            listlike = isinstance(v, Value) and cx.objects.key_of(v) in cx.listlike
            if kind == "asarray" and not listlike:   # a list comprehension's: a new array
                return v if not isinstance(v, ArrayExpr) or isinstance(v, View) else \
                    cx.lazy.materialize(v)
            return self.new_object(cx.b.prim("copy", cx.lazy.materialize(v), hint=""))
        if not isinstance(v, tuple) or isinstance(v, Record):
            cx.unsupported(node, f"np.{kind}() of {tname(v)} is not supported" + (
                " (NumPy's 0-d array)" if not isinstance(v, tuple) else ""),
                           "use the number itself, or np.array([x]) for a vector")
        return self.from_tuple(v, dtype, node)

    def from_tuple(self, v, dtype, node):
        """The array NumPy makes of a (nested) list or tuple of numbers, or of arrays of one
        shape: rows of different lengths or numbers mixed with lists are errors."""
        cx = self.cx
        elems, shape = self.tuple_elements(v, node)
        if len(shape) > MAX_NDIM or not (
                all(is_scalar(e.type) for e in elems) or len(shape) == 1 and all(
                    cx.lazy.is_array(e) for e in elems)):
            cx.unsupported(node, "an array takes a list of numbers, a nested list of "
                                 "numbers, or a list of arrays of one shape",
                           "use np.zeros((n, m)) and fill it in a loop")
        return self.from_elements(elems, shape, dtype, node)

    def tuple_elements(self, v, node):
        """The leaves and shape of a (nested) tuple; ragged: an error."""
        cx = self.cx
        if not v:
            cx.unsupported(node, "an array of an empty list is not supported")
        if all(isinstance(e, tuple) for e in v):
            parts = [self.tuple_elements(e, node) for e in v]
            if any(p[1] != parts[0][1] for p in parts):
                cx.type_error(node, "an array of rows of different lengths",
                              "every row of a nested list needs the same length")
            return [x for p in parts for x in p[0]], [len(v)] + parts[0][1]
        if any(isinstance(e, tuple) for e in v):
            cx.type_error(node, "an array of a list mixing numbers and lists")
        return list(v), [len(v)]

    def from_elements(self, elems, shape, dtype, node):
        """The array of the leaves of a (nested) list: numbers, or arrays stacked."""
        cx = self.cx
        b = cx.b
        if elems and all(cx.lazy.is_array(e) for e in elems):     # np.array([x, y])
            cx.shapes.node = node
            rows = [cx.shapes.insert_axes(cx.lazy.as_expr(e), [0]) for e in elems]
            stacked = cx.shapes.concatenate(rows, 0, node)
            if dtype is not None and dtype != cx.lazy.as_expr(stacked).dtype:
                stacked = cx.lazy.elementwise("add", [stacked, b.const(ZERO[dtype])], node)
            return cx.lazy.materialize(stacked)
        t = dtype
        if t is None:
            t = F64 if any(e.type == F64 for e in elems) else I64
        flat = self.new_object(b.prim("array_of", *[convert(b, e, t) for e in elems],
                                      hint=""))
        if len(shape) == 1:
            return flat
        cx.shapes.node = node                 # a nested list: its rows, reshaped
        grid = cx.shapes.reshape(Leaf(flat), [b.const(n) for n in shape], node)
        grid.view_base = None                 # a new array, not a view of `flat`
        return cx.lazy.materialize(grid)

    def list_literal(self, node):
        """x[[0, 2, 2]]: a list in a subscript is an index array (or a mask), as np.array."""
        from ..resolve import Callee
        call = ast.copy_location(ast.Call(ast.Name("np", ast.Load()), [node], []), node)
        return self.construct(Callee("construct", "array", "np.array"), call, [])

    def check_array_argument(self, node):
        """np.array(...) takes one list, tuple or array (not a generator)."""
        cx = self.cx
        if len(node.args) == 1 and isinstance(node.args[0], ast.GeneratorExp):
            cx.unsupported(node.args[0], "np.array() of a generator expression is not "
                                         "supported (NumPy makes an object array of it)",
                           "fill an array in a loop: out = np.empty(len(x)); "
                           "for i, v in enumerate(x): out[i] = ...")
        if len(node.args) != 1:
            cx.unsupported(node, "np.array() needs a list of numbers, like np.array([a, b])",
                           "build larger arrays with np.zeros and a loop")

    def shape_of(self, value, node) -> list:
        cx = self.cx
        dims = value if isinstance(value, tuple) else (value,)
        if not 1 <= len(dims) <= MAX_NDIM:
            cx.unsupported(node, f"arrays have 1 to {MAX_NDIM} dimensions")
        out = []
        for d in dims:
            if isinstance(d, tuple) or d.type not in (I64, BOOL):
                cx.type_error(node, f"array shapes are integers, got {tname(d)}",
                              "convert with int(...)")
            out.append(convert(cx.b, d, I64))
        return out

    def dtype_of(self, node, call):
        if node is None:
            return None
        text = expr_text(node)
        name = text.split(".")[-1]
        if name in DTYPES:
            return DTYPES[name]
        self.cx.unsupported(node, f"dtype {text} is not supported", "use float or int")


def arange_operands(b, args, dtype, convert) -> list:
    """np.arange(stop), (start, stop), (start, stop, step): (start, stop, step) converted
    to the result's element type (dtype, else float if any operand is, else int);
    `convert(value, type)` is the lowering's (or the abstract interpretation's)."""
    t = I64
    for a in args:
        t = promote(t, a.type)
    t = dtype or (F64 if t == F64 else I64)
    full = list(args) if len(args) > 1 else [b.const(0)] + list(args)
    if len(full) == 2:
        full.append(b.const(1))
    return [convert(a, t) for a in full]


__all__ = ["Arrays", "FRESH", "DTYPES"]
