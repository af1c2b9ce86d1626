"""Calls: a row of the primitive table (through its binder), a callee the frontend lowers
itself (range, len, array construction, reductions, shapes, np.clip), or a user's helper function,
which is inlined: its body is lowered in a frame of its own, into the caller's IR."""
from __future__ import annotations

import ast
import builtins
import math

import numpy as np

from .. import resolve
from ..builder import const_value
from ..errors import AdCompileError, AdTypeError, UnknownFunctionError, UnsupportedSyntaxError
from ..prims.bind import Binding, Call
from ..types import BOOL, F64, I64, Array
from . import iteration
from .lazy import ArrayExpr
from .reductions import NAMES as REDUCTION_NAMES
from .shapes import METHODS as SHAPE_METHODS
from ..valuetree import Record
from .state import convert, is_obj
from .syntax import expr_text, is_static_path, tname
from ..docs import doc_path

MAX_CALL_DEPTH = 32

BUILTIN_HINTS = {
    "print": "remove print() from the compiled function; print the returned values instead",
    "sum": "np.sum(x) sums an array; sum(... for v in x) sums a generator expression; or "
           "accumulate in a loop: s = 0.0; for v in x: s += ...",
    "isinstance": "compiled functions are specialised per argument type; branch outside",
    "list": "use a tuple for a fixed group of numbers",
}
AS_FUNCTIONS = {"dot": np.dot, "clip": np.clip, "round": np.round, "take": np.take,
                "nonzero": np.nonzero, "trace": np.trace, "repeat": np.repeat,
                "searchsorted": np.searchsorted}    # x.dot(y) is np.dot(x, y)
LIST_METHODS = ("append", "extend", "insert", "pop", "remove", "clear", "reverse", "sort")
REDUCTIONS = tuple(n for n in REDUCTION_NAMES if n not in ("sort", "median"))   # x.sort() sorts in place


class Calls:
    """Lowers call expressions."""

    def __init__(self, cx):
        self.cx = cx

    def call(self, node):
        cx = self.cx
        if not isinstance(node.func, (ast.Name, ast.Attribute)):
            cx.unsupported(node.func, "only calls of named functions are supported")
        func = node.func
        if isinstance(func, ast.Attribute) and not is_static_path(func.value, cx.env):
            return self.method(func, node)
        obj = cx.exprs.static_value(node.func)
        if obj is None:
            cx.type_error(node.func, f"{expr_text(node.func)} is a number, not a function")
        if any(isinstance(a, ast.Starred) for a in node.args):
            node = self.spread(node)                 # f(*t): t's items, one by one
        if any(k.arg is None for k in node.keywords):
            cx.unsupported(node, "**kwargs in calls is not supported",
                           "pass the arguments one by one")
        if obj in (builtins.zip, builtins.enumerate):    # a value: for loops read it later
            return iteration.IterValue(*iteration.plan(iteration.LoweringOps(cx), node))
        if obj is builtins.list and len(node.args) == 1 and not node.keywords:
            v = cx.exprs.expr(node.args[0])
            if isinstance(v, (iteration.IterValue, tuple)) and not isinstance(v, Record):
                return v                                  # list(zip(...)), list((a, b))
            cx.unsupported(node, f"list() of {tname(v)} is not supported",
                           "use the array itself (x[1::2]), or np.array / np.concatenate")
        if obj in (builtins.sum, builtins.max, builtins.min) and len(node.args) == 1 \
                and not node.keywords:
            return self.builtin_over(obj.__name__, node)
        callee = resolve.callee_of(obj)
        if callee is not None:
            return self.call_primitive(callee, node)
        if resolve.is_user_function(obj):
            return self.call_user(resolve.unwrap_user_function(obj), node)
        if hasattr(obj, "_adcompile_wrapped"):        # grad(f), jacobian(f), ...
            return self.call_derivative(obj, node)
        folded = self.fold_constant_call(obj, node)
        if folded is not None:
            return folded
        self.unknown_function(obj, node)

    def fold_constant_call(self, obj, node):
        """A library function without a row (math, NumPy outside np.random, scipy.special)
        called on numbers known at compile time: called now, its number compiled in
        (`factorial(self.N)`, `np.math.comb(5, 2)`); None otherwise."""
        cx = self.cx
        module = getattr(obj, "__module__", None) or ""
        if not (module == "math" or isinstance(obj, np.ufunc) or resolve.is_scipy_special(obj)
                or module.startswith(("numpy", "scipy.special")) and "random" not in module):
            return None
        values = {}
        for key, a in [(k, a) for k, a in enumerate(node.args)] + \
                [(k.arg, k.value) for k in node.keywords]:
            v = cx.exprs.expr(a)
            c = None if isinstance(v, tuple) else const_value(v)
            if c is None or not isinstance(c, (bool, int, float)):
                return None
            values[key] = c
        args = [values[k] for k in range(len(node.args))]
        try:
            out = obj(*args, **{k: v for k, v in values.items() if isinstance(k, str)})
        except Exception:                            # noqa: BLE001 (its own error: refused)
            return None
        if isinstance(out, (bool, np.bool_)):
            return cx.b.const(bool(out))
        if isinstance(out, (int, np.integer)) and abs(int(out)) < 2 ** 63:
            return cx.b.const(int(out))
        if isinstance(out, (float, np.floating)) or np.ndim(out) == 0 and \
                np.isrealobj(out) and np.asarray(out).dtype.kind == "f":
            return cx.b.const(float(out))
        return None

    def method(self, func, node):
        """A method of a value: x.copy(), x.sum(axis=0), ..."""
        cx = self.cx
        base = cx.exprs.expr(func.value)
        if isinstance(base, ArrayExpr):
            base = cx.lazy.materialize(base) if func.attr == "copy" else base
        if cx.lazy.is_array(base) and func.attr in REDUCTIONS and not node.args:
            return cx.arrays.reduce_call(func.attr, node, [base], node.keywords)
        if not isinstance(base, tuple) and isinstance(base.type, Array) and \
                func.attr == "copy" and not node.args and not node.keywords:
            return cx.arrays.construct(resolve.Callee("construct", "copy", "copy"), node, [base])
        if not isinstance(base, tuple) and isinstance(base.type, Array) and \
                func.attr in REDUCTIONS and not node.args:
            return cx.arrays.reduce_call(func.attr, node, [base], node.keywords)
        if cx.lazy.is_array(base) and func.attr in SHAPE_METHODS:
            return cx.shapes.method(func.attr, base, node)
        if cx.lazy.is_array(base) and func.attr == "astype":
            return self.astype(base, node)
        if cx.lazy.is_array(base) and func.attr in AS_FUNCTIONS:
            return self.method_as_function(AS_FUNCTIONS[func.attr], base, node)
        if isinstance(base, tuple) and func.attr in LIST_METHODS:
            cx.unsupported(func, f"list method .{func.attr}() is not supported: a list is a "
                           "fixed group of values here (" + doc_path("supported.md") + ")",
                           "make the array first and write its rows, `kept = np.zeros((n, m))` "
                           "then `kept[k] = y`, or build the list with a list comprehension")
        cx.unsupported(func, f"method .{func.attr}() of {tname(base)} is not supported",
                       "arrays support x.copy(); use functions such as np.sum(x)")

    def evaluated(self, node, value):
        """An operand node standing for `value`, already evaluated (desugar.Shared: the
        call lowered from it reads the value, and nothing is evaluated twice)."""
        from ..desugar import Shared
        ref = ast.copy_location(Shared(node), node)
        self.cx.shared[ref] = value
        return ref

    def spread(self, node):
        """The call with each *t (t a tuple, or a list written in place) spread into its
        items: pre-evaluated operands, so each is evaluated once."""
        cx = self.cx
        args = []
        for a in node.args:
            if not isinstance(a, ast.Starred):
                args.append(a)
                continue
            v = cx.exprs.expr(a.value)
            if not isinstance(v, tuple) or isinstance(v, Record):
                cx.unsupported(a, f"*{expr_text(a.value)} of {tname(v)} is not supported",
                               "spread a tuple (or *args), or pass the arguments one by one")
            args += [self.evaluated(a.value, item) for item in v]
        return ast.copy_location(ast.Call(node.func, args, list(node.keywords)), node)

    def builtin_over(self, name, node):
        """sum(x), max(x), min(x) of one argument: over an array's first axis (its elements,
        or its rows added elementwise), as Python iterates it; of anything else, the row."""
        cx = self.cx
        v = cx.exprs.expr(node.args[0])
        if not isinstance(v, tuple) and cx.lazy.is_array(v):
            return cx.reductions.reduce(name, cx.lazy.as_expr(v), [0], False, node)
        if isinstance(v, tuple) and v and not isinstance(v, Record) and all(
                not isinstance(e, tuple) and not cx.lazy.is_array(e) for e in v):
            if name != "sum":                    # max([a, b, c]): the row, of the items
                return cx.b.prim(name, *v)
            total = cx.b.const(0)
            for e in v:
                total = cx.b.prim("add", total, e)
            return total
        if name == "sum":
            cx.unsupported(node, f"sum() of {tname(v)} is not supported",
                           "sum an array, a generator expression or a list comprehension")
        call = ast.copy_location(ast.Call(node.func, [self.evaluated(node.args[0], v)], []),
                                 node)
        return self.call_primitive(resolve.callee_of(getattr(builtins, name)), call)

    def method_as_function(self, fn, base, node):
        """x.dot(y), x.clip(a, b), x.take(i): the function np.dot(x, y), ... with the
        array (already evaluated) as its first argument."""
        first = self.evaluated(node.func.value, base)
        call = ast.copy_location(ast.Call(node.func, [first] + list(node.args),
                                          list(node.keywords)), node)
        return self.call_primitive(resolve.callee_of(fn), call)

    def astype(self, base, node):
        """x.astype(float) / x.astype(np.float64) / x.astype(int): a converted copy."""
        cx = self.cx
        if len(node.args) != 1 or node.keywords:
            cx.type_error(node, "x.astype() takes the dtype (float, int, bool or np.float64)")
        target = cx.exprs.static_value(node.args[0]) if isinstance(
            node.args[0], (ast.Name, ast.Attribute)) else None
        kind = {float: F64, np.float64: F64, np.float32: F64, int: I64, np.int64: I64,
                np.int32: I64, bool: BOOL, np.bool_: BOOL}.get(target)
        if kind is None:
            cx.unsupported(node.args[0], "x.astype() takes float, int, bool or a NumPy "
                                         "float/int type (float32 is computed as float64)")
        x = cx.lazy.as_expr(base)
        if kind == BOOL:
            return cx.lazy.materialize(cx.lazy.elementwise("ne", [x, cx.b.const(
                0.0 if x.dtype == F64 else 0)], node))
        zero = cx.b.const(0.0 if kind == F64 else 0)
        if kind == I64 and x.dtype == F64:
            return cx.lazy.materialize(cx.lazy.elementwise("to_i64", [x], node))
        return cx.lazy.materialize(cx.lazy.elementwise("add", [x, zero], node))

    def call_index(self, callee, node):
        """np.take, np.nonzero, np.flatnonzero, np.argwhere, np.add.at (fancy.py), and
        np.argsort of a vector (the indices they take)."""
        cx = self.cx
        args = [cx.exprs.expr(a) for a in node.args]
        kw = {k.arg: k.value for k in node.keywords}
        axis = None
        if callee.prim == "take" and "axis" in kw:
            axis = const_value(cx.exprs.expr(kw.pop("axis")))
            if axis is not None and (not isinstance(axis, int) or isinstance(axis, bool)):
                cx.unsupported(node, "np.take(axis=...) takes an integer known at compile "
                                     "time")
        if kw:
            cx.unsupported(node, f"{callee.label}() keyword argument {next(iter(kw))!r} is "
                                 "not supported")
        if callee.prim == "take":
            return cx.fancy.take(node, args, axis)
        if callee.prim == "add_at":
            return cx.fancy.add_at(node, args)
        if len(args) != 1:
            cx.type_error(node, f"{callee.label}() takes one array")
        if callee.prim == "argsort":
            x = args[0]
            if isinstance(x, tuple) or not cx.lazy.is_array(x) or cx.lazy.as_expr(x).ndim != 1:
                cx.unsupported(node, "np.argsort() of an array of more than one dimension "
                                     "is not supported yet", "sort each row in a loop")
            return cx.arrays.new_object(cx.b.prim("argsort", cx.lazy.materialize(x)))
        found = cx.fancy.nonzero(args[0], node, callee.label)
        if callee.prim == "nonzero":
            return found
        if callee.prim == "flatnonzero":
            flat = cx.lazy.as_expr(args[0])
            if flat.ndim > 1:
                cx.shapes.node = node
                return cx.fancy.nonzero(cx.shapes.reshape(flat, [cx.b.const(-1)], node),
                                        node, callee.label)[0]
            return found[0]
        cx.shapes.node = node                              # argwhere: (count, ndim)
        columns = [cx.shapes.insert_axes(cx.lazy.as_expr(c), [1]) for c in found]
        return cx.shapes.concatenate(columns, 1, node)

    def callee_of_call(self, node):
        obj = self.cx.exprs.static_value(node.func) \
            if isinstance(node.func, (ast.Name, ast.Attribute)) else None
        if obj is None:
            return None
        return resolve.callee_of(obj)

    def unknown_function(self, obj, node):
        label = expr_text(node.func)
        module = getattr(obj, "__module__", None) or ""
        hint = "write it in terms of supported functions in a helper def (adcompile inlines " \
               "and differentiates helpers), or see " + doc_path("supported.md")
        if label in BUILTIN_HINTS:
            hint = BUILTIN_HINTS[label]
        elif module.startswith("numpy") or label.startswith(("np.", "numpy.")):
            hint = "supported NumPy functions: " + ", ".join(resolve.supported_names(np))
        elif module == "math" or label.startswith("math."):
            hint = "supported math functions: " + ", ".join(resolve.supported_names(math))
        elif module.startswith("scipy") or "special." in label or \
                resolve.is_scipy_special(obj):
            hint = "supported scipy.special functions: " + ", ".join(
                resolve.supported_names("scipy.special"))
        near = resolve.nearest_names(label, getattr(obj, "__name__", ""))
        if near and not hasattr(obj, "_adcompile_wrapped"):
            hint = f"did you mean {' or '.join(near)}? " + hint
        raise UnknownFunctionError(f"adcompile cannot differentiate calls to {label}",
                                   self.cx.loc(node), hint)

    def call_primitive(self, callee, node):
        cx = self.cx
        if isinstance(callee, Binding):       # a row of the primitive table: its binder
            return callee.bind(cx.binder, Call(cx.binder, callee, node))
        if callee.kind == "construct":
            args = [] if callee.prim in ("array", "asarray") else \
                [cx.exprs.expr(a) for a in node.args]
            return cx.arrays.construct(callee, node, args)
        if callee.kind == "reduce":
            return cx.arrays.reduce_call(callee.prim, node,
                                         [cx.exprs.expr(a) for a in node.args], node.keywords)
        if callee.kind == "shape":
            return cx.shapes.call(callee.prim, node)
        if callee.kind == "make":
            return cx.constructors.call(callee.prim, node)
        if callee.kind == "compose":
            return cx.compositions.call(callee.prim, node)
        if callee.kind == "index":
            return self.call_index(callee, node)
        if callee.kind == "clip":
            if node.keywords:
                cx.unsupported(node, f"{callee.label}() keyword arguments are not supported")
            return cx.arrays.array_function(callee, node, [cx.exprs.expr(a) for a in node.args])
        if node.keywords:
            cx.unsupported(node, f"{callee.label}() does not take keyword arguments here")
        if callee.kind == "range":
            cx.unsupported(node, "range() can only be used as the iterable of a for loop")
        args = [cx.exprs.expr(a) for a in node.args]               # len(x)
        if len(args) != 1:
            cx.type_error(node, f"{callee.label}() takes 1 argument(s), got {len(args)}")
        if isinstance(args[0], tuple):
            return cx.b.const(len(args[0]))
        if cx.lazy.is_array(args[0]):
            return cx.lazy.as_expr(args[0]).dims(cx)[0]
        cx.type_error(node, "len() of a number is not defined")

    def call_user(self, func, node):
        """Inline a helper: bind its parameters, lower its body in its own frame."""
        cx = self.cx
        try:
            src = cx.helper_source(func)
        except UnsupportedSyntaxError as exc:
            raise UnsupportedSyntaxError(exc.message, cx.loc(node), exc.hint) from None
        if func in cx.frame.stack:
            raise UnsupportedSyntaxError(
                f"recursive call to {func.__name__}() is not supported", cx.loc(node),
                "rewrite the recursion as a loop")
        if len(cx.frame.stack) > MAX_CALL_DEPTH:
            raise UnsupportedSyntaxError("calls nest too deeply", cx.loc(node))
        args = [cx.lazy.materialize_tree(cx.exprs.expr(a), True) for a in node.args]
        kwargs = {k.arg: cx.lazy.materialize_tree(cx.exprs.expr(k.value), True)
                  for k in node.keywords}
        env = bind_arguments(src, args, kwargs, cx.loc(node), cx.b)
        env.update({k: v for k, v in cx.env.items() if is_obj(k)})
        outer = cx.env
        with cx.inlined(src, env, func) as frame:
            result = cx.stmts.lower_body()
        outer.update({k: v for k, v in frame.env.items() if is_obj(k)})
        return result


    def call_derivative(self, obj, node):
        """A derivative made by adcompile: its IR for the arguments' types (nested.py),
        copied in; the transform of the caller differentiates it by forward mode."""
        from ..ir import clone_ops
        from ..nested import check_nestable, derivative_ir, describe
        from ..valuetree import unflatten
        cx = self.cx
        try:
            check_nestable(obj)
        except AdCompileError as exc:            # the call is where the error belongs
            raise type(exc)(exc.message, cx.loc(node), exc.hint) from None
        src = cx.helper_source(obj.func)
        args = [cx.lazy.materialize_tree(cx.exprs.expr(a)) for a in node.args]
        kwargs = {k.arg: cx.lazy.materialize_tree(cx.exprs.expr(k.value))
                  for k in node.keywords}
        env = bind_arguments(src, args, kwargs, cx.loc(node), cx.b)
        values = [env[n] for n in param_names(src)]
        for n, v in zip(param_names(src), values):
            if isinstance(v, tuple):
                cx.type_error(node, f"{expr_text(node.func)}(): parameter {n!r} got a tuple; "
                              "a derivative takes numbers and arrays")
        fn = derivative_ir(obj, tuple(v.type for v in values))
        vmap = {p.id: v for p, v in zip(fn.params, values)}
        for p, (scope, root, attrs) in zip(fn.params[len(values):], fn.captured):
            vmap[p.id] = cx.captured.read(scope, root, attrs, p.type, cx.loc(node))
        for op in clone_ops(fn.body.ops[:-1], vmap, {}):
            cx.b.block.append(op)
        outs = []
        for r in fn.results:
            v = vmap[r.id]
            if isinstance(v.type, Array):        # a new array (a copy if it is an argument)
                v = cx.arrays.new_object(cx.b.prim("copy", v, hint=v.hint)
                                         if any(v is a for a in values) else v)
            outs.append(v)
        cx.derivatives.append(describe(obj))
        return unflatten(fn.result_tree, outs) if fn.result_tree is not None else outs[0]


class BinderLowering:
    """What a primitive row's binder may ask of the frontend (prims.bind.Lowering): build
    ops, lower its arguments, convert and test values, map over arrays, report errors."""

    def __init__(self, cx):
        self._cx = cx

    @property
    def b(self):
        return self._cx.b

    def expr(self, node):
        return self._cx.exprs.expr(node)

    def convert(self, v, t):
        return convert(self._cx.b, v, t)

    def truth(self, v, node):
        return self._cx.exprs.truth(v, node)

    def is_array(self, v) -> bool:
        return self._cx.lazy.is_array(v)

    def elementwise(self, prim, operands, node, **attrs):
        return self._cx.lazy.elementwise(prim, operands, node, **attrs)

    def matmul(self, a, c, node):
        return self._cx.lazy.matmul(a, c, node)

    def outer(self, a, c, node):
        return self._cx.lazy.outer(a, c, node)

    def nonzero(self, v, node, label):
        return self._cx.fancy.nonzero(v, node, label)

    def reduction(self, kind, x, axis, node):
        return self._cx.lazy.reduction(kind, x, axis, node)

    def materialize(self, v):
        return self._cx.lazy.materialize(v)

    def contract(self, arrays, terms, out, node):
        return self._cx.lazy.contract(arrays, terms, out, node)

    def kron(self, a, c, node):
        return self._cx.lazy.kron(a, c, node)

    def type_error(self, node, msg, hint=None):
        self._cx.type_error(node, msg, hint)

    def unsupported(self, node, what=None, hint=None):
        self._cx.unsupported(node, what, hint)


# ------------------------------------------------------------------------- signatures
def variadic(src: resolve.FunctionSource, extra=(), named=None) -> dict:
    """The values of *args and **kwargs: the extra positional arguments (a tuple) and the
    extra keyword arguments (a dict: a Record); empty for the function differentiated."""
    a = src.node.args
    out = {}
    if a.vararg:
        out[a.vararg.arg] = tuple(extra)
    if a.kwarg:
        named = named or {}
        out[a.kwarg.arg] = Record(tuple(named.values()), tuple(named))
    return out


def param_names(src: resolve.FunctionSource) -> list[str]:
    """The parameters a call passes (a bound method's self is bound already: its scope)."""
    a = src.node.args
    return [p.arg for p in a.posonlyargs + a.args + a.kwonlyargs
            if p.arg not in src.scope.bound]


def bind_arguments(src, args, kwargs, loc, b) -> dict:
    names = param_names(src)
    func = src.func
    defaults = {}
    pos = [p for p in src.node.args.posonlyargs + src.node.args.args
           if p.arg not in src.scope.bound]       # a bound method's self is bound already
    for p, d in zip(pos[len(pos) - len(func.__defaults__ or ()):], func.__defaults__ or ()):
        defaults[p.arg] = d
    defaults.update(func.__kwdefaults__ or {})
    a = src.node.args
    if len(args) > len(pos) and not a.vararg:
        raise AdTypeError(f"{src.name}() takes {len(pos)} positional arguments but "
                          f"{len(args)} were given", loc)
    env = dict(zip([p.arg for p in pos], args))
    extra = {k: v for k, v in kwargs.items() if k not in names and a.kwarg}
    env.update(variadic(src, args[len(pos):], extra))
    for k, v in kwargs.items():
        if k in extra:
            continue
        if k not in names:
            raise AdTypeError(f"{src.name}() got an unexpected keyword argument {k!r}", loc)
        if k in env:
            raise AdTypeError(f"{src.name}() got multiple values for argument {k!r}", loc)
        env[k] = v
    for n in names:
        if n not in env:
            if n not in defaults:
                raise AdTypeError(f"{src.name}() missing required argument {n!r}", loc)
            d = defaults[n]
            if not isinstance(d, (bool, int, float)):
                raise AdTypeError(f"default value of {n!r} must be a number", loc)
            env[n] = b.const(d)
    return env


__all__ = ["REDUCTIONS", "Calls", "BinderLowering", "variadic", "param_names", "bind_arguments"]
