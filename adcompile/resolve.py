"""Reading a user function's source and resolving the names it uses.

Names resolve by identity, so `import numpy as anything`, `from math import sin` and
`np.sin` all reach the same primitive. User functions are returned as FunctionSource
objects (the frontend inlines them); module-level numbers become constants.
"""
from __future__ import annotations

import ast
import builtins
import inspect
import math
import textwrap
import types
from dataclasses import dataclass

import numpy as np

from .errors import Loc, UnsupportedSyntaxError


@dataclass
class FunctionSource:
    func: object
    name: str
    filename: str
    node: ast.FunctionDef
    scope: dict                 # globals, then closure variables on top
    indent: int = 0
    loc: Loc = None

    def loc_of(self, node) -> Loc:
        return Loc(self.filename, getattr(node, "lineno", self.node.lineno),
                   getattr(node, "col_offset", 0) + self.indent)


_SOURCES: dict = {}


def function_source(func) -> FunctionSource:
    """Parse `func`'s source once; raise a clear error when it cannot be read."""
    key = func
    if key in _SOURCES:
        return _SOURCES[key]
    code = getattr(func, "__code__", None)
    filename = code.co_filename if code else "<unknown>"
    try:
        lines, first = inspect.getsourcelines(func)
    except (OSError, TypeError) as exc:
        raise UnsupportedSyntaxError(
            f"cannot read the source of {getattr(func, '__name__', func)!r} ({exc})",
            hint="adcompile reads source code: define the function in a .py file "
                 "(not in the interactive prompt or via exec/lambda)") from None
    raw = "".join(lines)
    text = textwrap.dedent(raw)
    indent = len(lines[0]) - len(lines[0].lstrip()) if lines else 0
    tree = ast.parse(text)
    ast.increment_lineno(tree, first - 1)
    node = tree.body[0]
    if not isinstance(node, ast.FunctionDef):
        loc = Loc(filename, first, indent)
        raise UnsupportedSyntaxError("only functions defined with `def` can be compiled", loc,
                                     hint="write the computation as a named function with def")
    scope = dict(getattr(func, "__globals__", {}))
    if getattr(func, "__closure__", None):
        for name, cell in zip(code.co_freevars, func.__closure__):
            try:
                scope[name] = cell.cell_contents
            except ValueError:
                pass
    src = FunctionSource(func, func.__name__, filename, node, scope, indent)
    src.loc = src.loc_of(node)
    _SOURCES[key] = src
    return src


# ------------------------------------------------------------------------- callables
@dataclass(frozen=True)
class Callee:
    """What a called name means: a primitive family handled by the frontend."""
    kind: str           # the frontend's handler key, e.g. "unary", "minmax", "cast", "user"
    prim: str = ""
    label: str = ""     # how the user wrote it, for messages


_UNARY = ["sin", "cos", "tan", "asin", "acos", "atan", "sinh", "cosh", "tanh", "exp", "expm1",
          "log", "log1p", "log2", "log10", "sqrt"]
_NP_NAMES = {"asin": "arcsin", "acos": "arccos", "atan": "arctan"}


def _table() -> dict:
    t = {}
    for name in _UNARY:
        t[getattr(math, name)] = Callee("unary", name, f"math.{name}")
        np_name = _NP_NAMES.get(name, name)
        t[getattr(np, np_name)] = Callee("unary", name, f"np.{np_name}")
    t.update({
        math.atan2: Callee("binary", "atan2", "math.atan2"),
        np.arctan2: Callee("binary", "atan2", "np.arctan2"),
        math.hypot: Callee("binary", "hypot", "math.hypot"),
        np.hypot: Callee("binary", "hypot", "np.hypot"),
        math.pow: Callee("fpow", "pow", "math.pow"),
        np.power: Callee("fpow", "pow", "np.power"),
        builtins.pow: Callee("pow", "pow", "pow"),
        math.fabs: Callee("fabs", "abs", "math.fabs"),
        np.fabs: Callee("fabs", "abs", "np.fabs"),
        builtins.abs: Callee("abs", "abs", "abs"),
        np.abs: Callee("fabs", "abs", "np.abs"),
        math.floor: Callee("unary", "floor", "math.floor"),
        math.ceil: Callee("unary", "ceil", "math.ceil"),
        np.floor: Callee("unary", "ffloor", "np.floor"),
        np.ceil: Callee("unary", "fceil", "np.ceil"),
        np.round: Callee("unary", "fround", "np.round"),
        np.rint: Callee("unary", "fround", "np.rint"),
        builtins.round: Callee("round", "round", "round"),
        np.sign: Callee("unary", "sign", "np.sign"),
        builtins.max: Callee("minmax", "max", "max"),
        builtins.min: Callee("minmax", "min", "min"),
        np.maximum: Callee("npminmax", "max", "np.maximum"),
        np.minimum: Callee("npminmax", "min", "np.minimum"),
        builtins.float: Callee("cast", "to_f64", "float"),
        np.float64: Callee("cast", "to_f64", "np.float64"),
        builtins.int: Callee("cast", "to_i64", "int"),
        np.int64: Callee("cast", "to_i64", "np.int64"),
        builtins.bool: Callee("cast", "to_bool", "bool"),
        np.square: Callee("square", "mul", "np.square"),
        builtins.range: Callee("range", "", "range"),
        **{getattr(np, n): Callee("construct", n, f"np.{n}") for n in (
            "zeros", "ones", "empty", "full", "zeros_like", "ones_like", "empty_like",
            "arange", "array", "copy")},
        **{getattr(np, n): Callee("reduce", n, f"np.{n}") for n in (
            "sum", "mean", "prod", "max", "min")},
        np.amax: Callee("reduce", "max", "np.amax"),
        np.amin: Callee("reduce", "min", "np.amin"),
        np.where: Callee("where", "select", "np.where"),
        np.clip: Callee("clip", "", "np.clip"),
        np.dot: Callee("dot", "matmul", "np.dot"),
        np.matmul: Callee("dot", "matmul", "np.matmul"),
        np.outer: Callee("outer", "outer", "np.outer"),
        np.linalg.norm: Callee("norm", "", "np.linalg.norm"),
        builtins.len: Callee("len", "", "len"),
    })
    from .functions import relu
    t[relu] = Callee("unary", "relu", "adcompile.relu")
    return t


_CALLEES: dict | None = None


def callee_of(obj) -> Callee | None:
    global _CALLEES
    if _CALLEES is None:
        _CALLEES = _table()
    try:
        return _CALLEES.get(obj)
    except TypeError:       # unhashable
        return None


def supported_names(module) -> list[str]:
    """The supported functions of a module, for 'did you mean' lists in errors."""
    global _CALLEES
    if _CALLEES is None:
        _CALLEES = _table()
    prefix = {math: "math.", np: "np."}.get(module, "")
    return sorted(c.label for c in _CALLEES.values() if c.label.startswith(prefix) and prefix)


def is_user_function(obj) -> bool:
    if isinstance(obj, types.FunctionType):
        return True
    return hasattr(obj, "py_func") and isinstance(obj.py_func, types.FunctionType)  # numba njit


def unwrap_user_function(obj):
    return obj.py_func if hasattr(obj, "py_func") else obj


__all__ = ["FunctionSource", "function_source", "Callee", "callee_of", "supported_names",
           "is_user_function", "unwrap_user_function"]
