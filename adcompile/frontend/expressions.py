"""Expressions: names, constants, operators, comparisons, and/or, conditional expressions."""
from __future__ import annotations

import ast
import builtins
import types

import numpy as np

from ..builder import const_value
from ..errors import AdCompileError, UnboundNameError, UnknownFunctionError, \
    UnsupportedSyntaxError
from ..ir import Value
from ..valuetree import Record
from ..types import BOOL, F64, I64, is_scalar
from .captured import path_of
from .state import GENERIC, VALUE, NoResult, Unset
from .syntax import BINOPS, BITOPS, CMPOPS, assigned_names, bool_chain, expr_text, is_safe, \
    is_static_path, tname, unsupported


class Text:
    """A string constant: an option a function compares (`if kind == 'inf':`), folded at
    compile time; nothing computes with it."""
    type = "a string"

    def __init__(self, text: str):
        self.text = text


class Expressions:
    """Lowers expression nodes into the builder; every node type has its handler."""

    def __init__(self, cx):
        self.cx = cx
        self._locals: dict = {}                 # id(function node) -> the names it binds

    def expr(self, node, statement: bool = False):
        """The value of an expression (a statement's may be a helper's NoResult)."""
        cx = self.cx
        with cx.b.located(cx.loc(node)):
            handler = getattr(self, "visit_" + type(node).__name__, None)
            if handler is None:
                cx.unsupported(node)
            value = handler(node)
        if isinstance(value, NoResult) and not statement:
            cx.unsupported(node, f"{value.name}() returns nothing (None): its result cannot "
                                 "be used as a value",
                           f"call {value.name}(...) on a line of its own for what it writes, "
                           f"or end {value.name}() with a return of the value you need")
        return value

    def visit_Constant(self, node):
        v = node.value
        if isinstance(v, (bool, int, float)):
            return self.cx.b.const(v)
        if isinstance(v, str):
            return Text(v)
        self.cx.unsupported(node, f"constant {v!r} is not supported",
                            "only numbers, True/False and strings (options compared with "
                            "==) can be used in compiled code")

    def visit_Name(self, node):
        return self.lookup(node.id, node)

    def visit_Tuple(self, node):
        return tuple(self.expr(e) for e in node.elts)

    def visit_ListComp(self, node):
        """[e for v in x] as a value: an array (listcomps.py)."""
        return self.cx.listcomps.build(node)

    def visit_List(self, node):
        """[a, b, c]: a fixed group of values, as a tuple (np.array(...) of it, indexing it,
        and arithmetic with arrays read it as NumPy does: an array)."""
        return tuple(self.expr(e) for e in node.elts)

    def visit_Attribute(self, node):
        cx = self.cx
        if isinstance(node.value, ast.Call):          # np.finfo(float).eps
            info = self.type_info(node.value)
            if info is not None:
                if not hasattr(info, node.attr):
                    cx.type_error(node, f"{expr_text(node.value)} has no attribute "
                                        f"{node.attr!r}")
                return self.from_python(getattr(info, node.attr), node)
        if not is_static_path(node.value, cx.env):
            base = self.expr(node.value)
            if cx.lazy.is_array(base):
                return cx.views.array_attribute(base, node)
            cx.unsupported(node, f"attribute .{node.attr} of {tname(base)} is not "
                                 "supported", "arrays support .shape, .ndim, .size and .T")
        if isinstance(node.value, (ast.Name, ast.Attribute)):
            owner = self.static_value(node.value)
            if isinstance(owner, np.ndarray):     # E_MAT.shape, self.e_mat.T: read at call
                return cx.views.array_attribute(self.from_python(owner, node.value), node)
        obj = self.static_value(node)
        return self.from_python(obj, node)

    def type_info(self, call):
        """np.finfo(T) / np.iinfo(T) of a type named statically: the object (its numbers
        are constants), or None for any other call."""
        if not isinstance(call.func, (ast.Name, ast.Attribute)) or call.keywords or \
                len(call.args) != 1 or not isinstance(call.args[0], (ast.Name, ast.Attribute)):
            return None
        try:
            func = self.static_value(call.func)
            kind = self.static_value(call.args[0])
        except AdCompileError:
            return None
        if func not in (np.finfo, np.iinfo) or not isinstance(kind, type):
            return None
        try:
            return func(kind)
        except (TypeError, ValueError):
            return None

    def visit_Subscript(self, node):
        cx = self.cx
        base = self.expr(node.value)
        if isinstance(base, Record):
            return self.record_item(base, node)
        if isinstance(base, tuple):
            idx = node.slice
            raw = None if isinstance(idx, ast.Slice) else self.expr(idx)
            k = const_value(raw) if isinstance(raw, Value) else None
            if isinstance(k, int) and not isinstance(k, bool):
                try:
                    return base[k]
                except IndexError:
                    cx.type_error(node, f"tuple index {k} out of range "
                                        f"(the tuple has {len(base)} elements)",
                                  f"index from 0 to {len(base) - 1}, or from -1 to "
                                  f"-{len(base)} counting from the end")
            if isinstance(raw, Value) and raw.type in (I64, BOOL) and base and all(
                    not isinstance(e, tuple) and is_scalar(e.type) for e in base):
                # a list of numbers indexed at run time (d[i]): read as an array
                arr = cx.arrays.from_tuple(base, None, node)
                return cx.arrays.array_read(arr, node, ([idx], [raw]))
            cx.unsupported(idx, "tuples can only be indexed with an integer known at "
                                "compile time", "use a constant such as t[0] or x.shape[-1]")
        if cx.lazy.is_array(base):
            return cx.views.array_subscript(base, node)
        cx.type_error(node, f"cannot index {tname(base)}")

    def record_item(self, rec, node):
        """params['W1'] of a dict parameter: the key a constant (or a module constant)."""
        cx = self.cx
        idx = node.slice
        try:
            key = idx.value if isinstance(idx, ast.Constant) else \
                static_value(idx, cx.env, cx.src)
        except Exception:
            key = None
        if not isinstance(key, (str, int)) or isinstance(key, bool):
            cx.unsupported(idx, "a dict parameter is read with keys known at compile time",
                           "write the key itself: params['W1']")
        if key not in rec.keys:
            cx.type_error(node, f"the dict has no key {key!r}",
                          f"its keys are {', '.join(map(repr, rec.keys))}")
        return rec[rec.keys.index(key)]

    def visit_UnaryOp(self, node):
        cx, b = self.cx, self.cx.b
        v = self.expr(node.operand)
        if isinstance(v, Text):
            if isinstance(node.op, ast.Not):
                return b.const(not v.text)
            cx.type_error(node, "unary operators do not apply to strings")
        if isinstance(v, tuple):
            cx.type_error(node, "unary operators do not apply to tuples")
        if cx.lazy.is_array(v):
            if isinstance(node.op, ast.USub):
                return cx.lazy.elementwise("neg", [v], node)
            if isinstance(node.op, ast.UAdd):
                return v
            if isinstance(node.op, ast.Invert) and cx.lazy.as_expr(v).dtype == BOOL:
                return cx.lazy.elementwise("not", [v], node)        # ~mask
            cx.type_error(node, "`not` of an array is ambiguous", "use x == 0.0, or ~mask "
                                "for a boolean array")
        if isinstance(node.op, ast.USub):
            return b.prim("neg", v)
        if isinstance(node.op, ast.UAdd):
            return b.prim("to_i64", v) if v.type == BOOL else v
        if isinstance(node.op, ast.Not):
            return b.prim("not", self.truth(v, node.operand))
        cx.unsupported(node, "bitwise ~ is not supported")

    def visit_BinOp(self, node):
        if isinstance(node.op, ast.MatMult):
            return self.cx.lazy.matmul(self.expr(node.left), self.expr(node.right), node)
        if type(node.op) in BITOPS:
            return self.bitop(node)
        op = BINOPS.get(type(node.op))
        if op is None:
            self.cx.unsupported(node, f"operator {type(node.op).__name__} is not supported",
                                "supported: + - * / // % **")
        return self.binop(op, self.expr(node.left), self.expr(node.right), node)

    def bitop(self, node):
        """mask & other, a | b, a ^ b of booleans and boolean arrays (logical, elementwise)."""
        cx = self.cx
        x, y = self.expr(node.left), self.expr(node.right)
        for v in (x, y):
            t = cx.lazy.as_expr(v).dtype if cx.lazy.is_array(v) else getattr(v, "type", None)
            if t != BOOL:
                cx.unsupported(node, f"operator {type(node.op).__name__} of {tname(v)} is not "
                                     "supported: &, | and ^ take booleans and boolean arrays",
                               "combine conditions: (x > 0) & (x < 1)")
        return self.binop(BITOPS[type(node.op)], x, y, node)

    def binop(self, op, x, y, node):
        cx = self.cx
        if isinstance(x, Text) or isinstance(y, Text):
            cx.type_error(node, f"operator {op} does not apply to a string",
                          "strings are options, compared with == and !=")
        self.check_list_arithmetic(op, x, y, node)
        if isinstance(x, tuple) != isinstance(y, tuple) and self.reads_as_array(op, x, y):
            # [1.0, 2.0] * x, x[0] - [3, 5]: NumPy makes the list an array
            x, y = (cx.arrays.from_tuple(v, None, node) if isinstance(v, tuple) else v
                    for v in (x, y))
        if isinstance(x, tuple) or isinstance(y, tuple):
            what = tname(x if isinstance(x, tuple) else y)
            cx.type_error(node, f"operator {op} does not apply to {what}",
                          "a tuple, list or dict holds separate values (as in JAX): to "
                          "compute on an array, pass np.asarray(...) of the list")
        if cx.lazy.is_array(x) or cx.lazy.is_array(y):
            return cx.lazy.elementwise(op, [x, y], node)
        return cx.b.prim(op, x, y)

    def check_list_arithmetic(self, op, x, y, node):
        """A list comprehension's result (an array here) with a number or another list:
        Python's list + list, list * n, or a TypeError; refused, not computed as NumPy."""
        cx = self.cx

        def listlike(v):
            return isinstance(v, Value) and cx.objects.key_of(v) in cx.listlike

        if (listlike(x) or listlike(y)) and not (
                cx.lazy.is_array(x) and not listlike(x) or cx.lazy.is_array(y) and
                not listlike(y)):
            cx.type_error(node, f"operator {op} of a list (a list comprehension) and "
                                f"{'a list' if listlike(x) and listlike(y) else 'a number'} "
                                "is Python's list operation or a TypeError, not arithmetic",
                          "make it an array first: np.array([... for ...])")

    def reads_as_array(self, op, x, y) -> bool:
        """Does NumPy read the list (a tuple here) in `x op y` as an array? With an array,
        or a float computed from arrays (a NumPy float); not list * int (repetition), nor
        with a literal float, a dict or a tuple of arrays."""
        cx = self.cx
        seq, other = (x, y) if isinstance(x, tuple) else (y, x)
        if isinstance(seq, Record) or not seq or any(
                isinstance(e, tuple) or cx.lazy.is_array(e) for e in seq):
            return False
        if cx.lazy.is_array(other):
            return True
        # a float computed here (x[0]: a NumPy float) converts the list; a literal (a Python
        # float: list * 2.0 is Python's TypeError) does not
        return other.type == F64 and const_value(other) is None

    def visit_Compare(self, node):
        """One comparison (desugar.py writes chains as `and`s of single ones)."""
        (op,), (right,) = node.ops, node.comparators
        return self.compare(op, self.expr(node.left), self.expr(right), node)

    def visit_Shared(self, node):
        """An operand desugaring uses twice: evaluated where it is met first."""
        shared = self.cx.shared
        if node in shared:
            return shared.pop(node)
        shared[node] = self.expr(node.value)
        return shared[node]

    def visit_Accumulate(self, node):
        """sum/min/max of a comprehension (comprehensions.py): its loop, lowered here."""
        cx = self.cx
        cx.stmts.block(node.body)
        value = cx.arrays.current(cx.env[node.acc])
        for name in node.hidden:
            cx.env.pop(name, None)
        return value

    def compare(self, op, x, y, node):
        cx = self.cx
        name = CMPOPS.get(type(op))
        if name is None:
            cx.unsupported(node, f"comparison {type(op).__name__} is not supported",
                           "supported: < <= > >= == !=")
        if isinstance(x, Text) or isinstance(y, Text):     # an option: dist_type == 'inf'
            if name not in ("eq", "ne") or cx.lazy.is_array(x) or cx.lazy.is_array(y):
                cx.type_error(node, "strings can only be compared with == and !=")
            same = isinstance(x, Text) and isinstance(y, Text) and x.text == y.text
            return cx.b.const(same if name == "eq" else not same)
        if isinstance(x, tuple) or isinstance(y, tuple):
            cx.type_error(node, "comparisons of tuples are not supported")
        if cx.lazy.is_array(x) or cx.lazy.is_array(y):
            return cx.lazy.elementwise(name, [x, y], node)
        return cx.b.prim(name, x, y)

    def visit_BoolOp(self, node):
        return bool_chain(node, self.expr, self.lazy_bool)

    def lazy_bool(self, kind, left, rhs_node):
        """Python's short-circuit and/or, with its value semantics (returns an operand)."""
        cx = self.cx
        if isinstance(left, tuple):
            cx.type_error(rhs_node, f"`{kind}` does not apply to tuples")
        if is_safe(rhs_node):
            right = self.expr(rhs_node)
            if left.type == BOOL and not isinstance(right, tuple) and right.type == BOOL:
                return cx.b.prim(kind, left, right)
        test = self.truth(left, rhs_node)

        def take_rhs():
            cx.env[VALUE] = self.expr(rhs_node)

        def keep_left():
            cx.env[VALUE] = left
        if kind == "and":
            cx.branches.branch(test, take_rhs, keep_left)
        else:
            cx.branches.branch(test, keep_left, take_rhs)
        return cx.env.pop(VALUE)

    def visit_IfExp(self, node):
        cx = self.cx
        test = self.truth(self.expr(node.test), node.test)

        def arm(e):
            def fn():
                cx.env[VALUE] = self.expr(e)
            return fn
        cx.branches.branch(test, arm(node.body), arm(node.orelse))
        return cx.env.pop(VALUE)

    def visit_Call(self, node):
        return self.cx.calls.call(node)

    def truth(self, v, node) -> Value:
        cx = self.cx
        if isinstance(v, Text):
            return cx.b.const(bool(v.text))
        if isinstance(v, tuple):
            cx.type_error(node, "a tuple cannot be used as a condition")
        if cx.lazy.is_array(v):
            cx.type_error(node, "the truth value of an array is ambiguous",
                          "compare elements, e.g. x[i] > 0.0, or use np.where")
        if v.type == BOOL:
            if v.hint in GENERIC:
                v.hint = "cond"
            return v
        return cx.b.prim("ne", v, cx.b.const(0.0 if v.type == F64 else 0), hint="truth")

    # ---------------------------------------------------------------- names
    def lookup(self, name, node):
        cx = self.cx
        if name in cx.env:
            self.check_bound(name, node)
            v = cx.arrays.current(cx.env[name])
            cx.views.check_view_read(v, node)
            return v
        if name in self.locals_of(cx.src):     # bound somewhere in the function, not on
            raise UnboundNameError(               # any path that reaches this read
                f"local variable {name!r} is read where no assignment to it has run on any "
                "path (Python raises UnboundLocalError)", cx.loc(node),
                "assign it before this read on every path")
        if name in cx.src.scope:
            return self.from_python(cx.src.scope[name], node)
        if hasattr(builtins, name):
            return self.from_python(getattr(builtins, name), node)
        raise UnsupportedSyntaxError(f"name {name!r} is not defined", cx.loc(node),
                                     "assign it before use, or pass it in as an argument")

    def locals_of(self, src) -> frozenset:
        """The names a function binds (Python's locals: a read of one never sees a global)."""
        key = id(src.node)
        if key not in self._locals:
            self._locals[key] = frozenset(assigned_names(src.node.body))
        return self._locals[key]

    def check_bound(self, name, node):
        """A read of a name some path may not have bound (state.Unset) checks its flag, as
        Python does (UnboundLocalError); past the check the name is bound on this path."""
        cx = self.cx
        flag = cx.env.pop(Unset(name), None)
        if flag is not None and const_value(flag) is not True:
            cx.b.prim("check_bound", flag, where=cx.where(
                node, f"local variable {name!r} is read where no assignment to it has run "
                      "(Python raises UnboundLocalError)"))

    def from_python(self, obj, node):
        """A module-level object used as a value: numbers become constants."""
        cx = self.cx
        if isinstance(obj, (bool, int, float, np.floating, np.integer, np.bool_)):
            return cx.b.const(obj.item() if hasattr(obj, "item") else obj)
        if isinstance(obj, (tuple, list)) and _numbers(obj):
            # numbers compiled in (a list is checked at every call, by its contents)
            return tuple(self.from_python(o, node) for o in obj)
        if isinstance(obj, np.ndarray):        # read at every call: a captured parameter
            return cx.captured.array(obj, node)
        what = type(obj).__name__
        if isinstance(obj, (types.ModuleType, types.FunctionType, types.BuiltinFunctionType)) \
                or callable(obj):
            cx.unsupported(node, f"{expr_text(node)} is a {what}, not a number",
                           "call it, or pass numbers in as arguments")
        cx.unsupported(node, f"{expr_text(node)} refers to a {what}, which compiled code "
                             "cannot read from outside the function",
                       "pass it as an argument (dicts, tuples and lists of numbers and arrays "
                       "can be parameters), or make it a NumPy array (arrays from outside are "
                       "read at every call)")

    def static_value(self, node):
        """Resolve a dotted name (np.sin, math.pi, helpers.f) to the Python object."""
        return static_value(node, self.cx.env, self.cx.src)


def _numbers(obj) -> bool:
    """A (nested) tuple or list of numbers, not empty."""
    return bool(obj) and all(_numbers(o) if isinstance(o, (tuple, list)) else
                             isinstance(o, (bool, int, float, np.floating, np.integer))
                             for o in obj)


def static_value(node, env, src):
    """The Python object a dotted name outside the function means (np.sin, math.pi,
    helpers.f), or None for a name bound in `env`."""
    if isinstance(node, ast.Name):
        if node.id in env:
            return None
        if node.id in src.scope:
            return src.scope[node.id]
        if hasattr(builtins, node.id):
            return getattr(builtins, node.id)
        raise UnsupportedSyntaxError(f"name {node.id!r} is not defined", src.loc_of(node),
                                     "import it at module level or pass it as an argument")
    if isinstance(node, ast.Attribute):
        base = static_value(node.value, env, src)
        if isinstance(base, types.ModuleType):
            if not hasattr(base, node.attr):
                raise UnknownFunctionError(
                    f"module {base.__name__!r} has no attribute {node.attr!r}", src.loc_of(node))
            return getattr(base, node.attr)
        if isinstance(base, np.ufunc) and node.attr in ("at", "reduce", "accumulate", "outer"):
            return getattr(base, node.attr)   # np.add.at: resolve.callee_of says if supported
        if is_data_object(base):              # self.k, config.W: recorded for the cache
            if not hasattr(base, node.attr):
                raise UnsupportedSyntaxError(
                    f"{expr_text(node.value)} has no attribute {node.attr!r}",
                    src.loc_of(node), "check the attribute's name")
            root, attrs = path_of(node)
            return src.scope.attribute(root, attrs, getattr(base, node.attr))
        library = (getattr(type(base), "__module__", None) or "").split(".")[0]
        if library in ("numpy", "scipy"):     # scipy.stats.norm.logpdf, np.random.rand
            raise UnknownFunctionError(
                f"adcompile cannot differentiate {expr_text(node)}", src.loc_of(node),
                "write it with supported functions (docs/supported.md lists them): e.g. "
                "norm.logpdf(x) is -0.5 * x ** 2 - 0.5 * np.log(2 * np.pi)")
        unsupported(src.loc_of(node), node, f"attribute access {expr_text(node)} is not "
                                            "supported",
                    "use plain names and module functions such as math.sin")
    return None


def is_data_object(obj) -> bool:
    """An object whose attributes a function may read (a class instance, a namespace), not
    a module, class, function or a library's object."""
    if isinstance(obj, (type, types.ModuleType, types.FunctionType, types.MethodType,
                        types.BuiltinFunctionType)) or not hasattr(obj, "__dict__"):
        return False
    module = (type(obj).__module__ or "").split(".")[0]
    return module not in ("numpy", "numba", "scipy", "math", "adcompile")


__all__ = ["Expressions", "static_value", "is_data_object"]
