"""Reading a user function's source and resolving the names it uses.

Names resolve by identity, so `import numpy as anything`, `from math import sin` and
`np.sin` all reach the same primitive. User functions are returned as FunctionSource
objects (the frontend inlines them); module-level numbers become constants.
"""
from __future__ import annotations

import ast
import builtins
import importlib
import inspect
import linecache
import math
import textwrap
import types
from collections import OrderedDict
from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np

from .errors import Loc, UnsupportedSyntaxError
from .primitives import PRIMS, version as table_version
from .prims.bind import Deferred


@dataclass
class FunctionSource:
    func: object
    name: str
    filename: str
    node: ast.FunctionDef
    scope: Mapping              # closure variables over globals (a Scope)
    indent: int = 0
    loc: Loc = None

    def loc_of(self, node) -> Loc:
        return Loc(self.filename, getattr(node, "lineno", self.node.lineno),
                   getattr(node, "col_offset", 0) + self.indent)


class Scope(Mapping):
    """The names a function sees: its closure's current cell values over its module's
    globals (live: read when a transform compiles, not when the source was first parsed),
    and for a bound method its `self`. Records what it was asked for, so a compiled
    transform can tell when a value it baked in changed (`unchanged`, checked at every
    call for the data it read: numbers, strings, objects' attributes); arrays are read at
    every call (`fetch`: captured parameters), so only a change of their type matters."""

    def __init__(self, func, code, bound=None):
        # the closure's cells and the globals, not the function: a cache keyed by the
        # function that keeps Scopes keeps no reference to it (compiled.shared)
        self.code = code
        self.closure = getattr(func, "__closure__", None)
        self.globals = getattr(func, "__globals__", {})
        self.cells = _cells(self.closure, code)
        self.cell_objs = dict(zip(code.co_freevars if code else (), self.closure or ()))
        self.bound = dict(bound or {})         # a bound method's self: {name: object}
        self.reads: dict = {}
        self.paths: dict = {}                  # (name, attrs) -> value read through objects
        for recorder in _RECORDERS:
            recorder.append(self)

    def __getitem__(self, name):
        value = self.current(name)
        if value is _MISSING:
            raise KeyError(name)
        self.reads[name] = _snapshot(value)
        return value

    def current(self, name):
        """The value `name` has now (not recorded), or _MISSING."""
        if name in self.bound:
            return self.bound[name]
        cell = self.cell_objs.get(name)
        if cell is not None:
            try:
                return cell.cell_contents
            except ValueError:
                return _MISSING
        return self.globals.get(name, _MISSING)

    def attribute(self, name, attrs: tuple, value):
        """Record that name.attr1.attr2 (an object's attribute, not a module's) read value."""
        self.paths[(name, attrs)] = _snapshot(value)
        return value

    def fetch(self, name, attrs: tuple = ()):
        """The current value of name.attr1...: a captured array, read at every call."""
        value = self.current(name)
        for a in attrs:
            value = getattr(value, a, _MISSING)
        return value

    def __contains__(self, name):
        return name in self.bound or name in self.cells or name in self.globals

    def __iter__(self):
        return iter({**self.globals, **self.cells, **self.bound})

    def __len__(self):
        return len({**self.globals, **self.cells, **self.bound})

    def unchanged(self) -> bool:
        """Does every name and attribute read still hold the same value (numbers and
        strings by value; arrays, read at every call, by type; anything else by
        identity)?"""
        for name, old in self.reads.items():
            if not _same(self.current(name), old):
                return False
        for (name, attrs), old in self.paths.items():
            if not _same(self.fetch(name, attrs), old):
                return False
        return True

    def data_unchanged(self) -> bool:
        """unchanged() for the reads that are data (not modules, functions or classes):
        cheap enough for every call."""
        for name, old in self.reads.items():
            if not isinstance(old, _CODE) and not _same(self.current(name), old):
                return False
        for (name, attrs), old in self.paths.items():
            if not _same(self.fetch(name, attrs), old):
                return False
        return True

    @property
    def reads_data(self) -> bool:
        return bool(self.paths) or any(not isinstance(v, _CODE) for v in self.reads.values())


_CODE = (types.ModuleType, types.FunctionType, types.BuiltinFunctionType, type)


class _ListRead(tuple):
    """A list read from outside (its numbers compiled in), as it was when read: a list
    changed in place since is a change."""


def _snapshot(value):
    return _ListRead(_frozen(value)) if isinstance(value, list) else value


def _frozen(value):
    return tuple(_frozen(v) for v in value) if isinstance(value, (list, tuple)) else value


def _same(new, old) -> bool:
    if isinstance(old, _ListRead):
        return isinstance(new, list) and _frozen(new) == tuple(old)
    if new is old:
        return True
    if isinstance(old, np.ndarray):            # read at every call: its type must hold
        return type(new) is np.ndarray and new.dtype == old.dtype and \
            new.ndim == old.ndim and [n == 1 for n in new.shape] == [n == 1 for n in old.shape]
    return type(new) is type(old) and isinstance(new, (int, float, bool, str)) and new == old


def _cells(closure, code) -> dict:
    out = {}
    for name, cell in zip(code.co_freevars if code else (), closure or ()):
        try:
            out[name] = cell.cell_contents
        except ValueError:                     # a free variable not bound yet
            pass
    return out


_MISSING = object()
_RECORDERS: list = []                          # lists collecting the Scopes being made


class recording:
    """`with recording() as scopes:` collects every Scope made inside (one build)."""

    def __enter__(self) -> list:
        self.scopes: list = []
        _RECORDERS.append(self.scopes)
        return self.scopes

    def __exit__(self, *exc):
        _RECORDERS.remove(self.scopes)


_PARSED: OrderedDict = OrderedDict()          # code object -> (node, filename, indent)
_PARSED_MAX = 512


def function_source(func) -> FunctionSource:
    """The parsed source of `func` with its current scope; a clear error when the source
    cannot be read, or when the file no longer holds the function that is running (edited
    after import)."""
    bound = None
    if isinstance(func, types.MethodType):     # model.energy: self's attributes are read
        bound, func = func.__self__, func.__func__   # like module values (Scope.bound)
    code = getattr(func, "__code__", None)
    filename = code.co_filename if code else "<unknown>"
    parsed = _PARSED.get(code) if code is not None else None
    if parsed is None:
        parsed = _parse(func, code, filename)
        if code is not None:
            _PARSED[code] = parsed
            while len(_PARSED) > _PARSED_MAX:
                _PARSED.popitem(last=False)
    else:
        _PARSED.move_to_end(code)
    node, indent = parsed
    first = (node.args.posonlyargs + node.args.args)[:1]
    if bound is not None and not first:
        raise UnsupportedSyntaxError(f"{func.__qualname__}() is a method without a self "
                                     "parameter", hint="differentiate a plain function")
    scope = Scope(func, code, {first[0].arg: bound} if bound is not None else None)
    src = FunctionSource(func, func.__name__, filename, node, scope, indent)
    src.loc = src.loc_of(node)
    return src


def _parse(func, code, filename):
    for attempt in range(2):
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
        try:
            tree = ast.parse(text)
        except SyntaxError:
            tree = None
        node = tree.body[0] if tree is not None and tree.body else None
        if isinstance(node, ast.FunctionDef):
            ast.increment_lineno(tree, first - 1)
            if code is None or _compiles_to(code, filename):
                return node, indent
        elif attempt == 0 and isinstance(node, (ast.Lambda, ast.Expr, ast.Assign)) or \
                getattr(func, "__name__", "") == "<lambda>":
            loc = Loc(filename, first, indent)
            raise UnsupportedSyntaxError("only functions defined with `def` can be compiled",
                                         loc, hint="write the computation as a named function "
                                                   "with def")
        linecache.checkcache(filename)       # a stale copy of the file: read it again
    raise UnsupportedSyntaxError(
        f"the source of {func.__name__}() in {filename} no longer matches the function that "
        "is running: the file was changed after it was imported", Loc(
            filename, code.co_firstlineno if code else 1, 0),
        hint="reload the module (importlib.reload) or restart Python, so the code that runs "
             "is the code in the file")


def _compiles_to(code, filename) -> bool:
    """Does the file, as it reads now, define the code object `code` (the running function)?
    The whole module is compiled, so the comparison sees what the interpreter saw (imports,
    closures, class bodies)."""
    text = "".join(linecache.getlines(filename))
    try:
        top = compile(text, filename, "exec", dont_inherit=True)
    except (SyntaxError, ValueError, TypeError):
        return False
    found = _find_code(top, code.co_name, code.co_firstlineno)
    return found is not None and _same_code(found, code)


def _find_code(code, name, line):
    for c in code.co_consts:
        if isinstance(c, types.CodeType):
            if c.co_name == name and c.co_firstlineno == line:
                return c
            inner = _find_code(c, name, line)
            if inner is not None:
                return inner
    return None


def _same_code(a, b) -> bool:
    if (a.co_code, a.co_names, a.co_varnames, a.co_freevars, a.co_argcount,
            a.co_kwonlyargcount) != (b.co_code, b.co_names, b.co_varnames, b.co_freevars,
                                     b.co_argcount, b.co_kwonlyargcount):
        return False
    if len(a.co_consts) != len(b.co_consts):
        return False
    for x, y in zip(a.co_consts, b.co_consts):
        if isinstance(x, types.CodeType) and isinstance(y, types.CodeType):
            if not _same_code(x, y):
                return False
        elif type(x) is not type(y) or x != y and not (x != x and y != y):
            return False
    return True


# ------------------------------------------------------------------------- callables
@dataclass(frozen=True)
class Callee:
    """A called name the frontend itself lowers (range, len, array construction, reductions,
    np.clip); calls answered by a row of the primitive table are the row's Bindings."""
    kind: str           # the frontend's handler key: "range", "len", "construct", "reduce",
    #                     "shape" (shapes.py), "make" (constructors.py), "clip",
    #                     "index" (fancy.py: np.take, np.nonzero, np.add.at), "compose"
    #                     (compositions.py: np.diff, np.roll, np.interp, ...)
    prim: str = ""
    label: str = ""     # how the user wrote it, for messages


_SHAPES = ("reshape", "ravel", "transpose", "swapaxes", "squeeze", "expand_dims", "atleast_1d",
           "atleast_2d", "atleast_3d", "concatenate", "stack", "hstack", "vstack", "split",
           "hsplit", "vsplit")


_COMPOSED = ("diff", "flip", "fliplr", "flipud", "roll", "cross", "inner", "average", "ptp",
             "count_nonzero", "polyval", "column_stack", "meshgrid", "triu_indices",
             "tril_indices", "diag_indices", "searchsorted", "interp", "repeat", "tile",
             "nan_to_num", "isclose", "allclose", "size", "positive", "conj", "conjugate",
             "signbit", "ldexp", "modf", "divmod")                    # compositions.py


def _table(special) -> dict:
    """Callable -> what a call of it means: the rows' bindings, then the constructs the
    frontend lowers itself. scipy.special's only when it is given (imported): a function
    of a module the user has not imported cannot be called (importing SciPy costs a tenth
    of a second of the first compile)."""
    t = {}
    for p in PRIMS.values():
        for b in p.bindings:
            if isinstance(b.obj, Deferred):
                obj = b.obj.resolve() if special is not None else None
            else:
                obj = b.obj
            if obj is not None:                  # (a SciPy too old to have it)
                t[obj] = b
    t.update({
        builtins.range: Callee("range", "", "range"),
        builtins.len: Callee("len", "", "len"),
        **{getattr(np, n): Callee("construct", n, f"np.{n}") for n in (
            "zeros", "ones", "empty", "full", "zeros_like", "ones_like", "empty_like",
            "arange", "array", "copy")},
        **{getattr(np, n): Callee("construct", "asarray", f"np.{n}") for n in (
            "asarray", "asanyarray", "ascontiguousarray")},
        **{getattr(np, n): Callee("reduce", n, f"np.{n}") for n in (
            "sum", "mean", "prod", "max", "min")},
        **{getattr(np, n): Callee("reduce", n, f"np.{n}") for n in (
            "var", "std", "any", "all", "argmax", "argmin", "cumsum", "cumprod", "sort",
            "median")},
        np.amax: Callee("reduce", "max", "np.amax"),
        np.amin: Callee("reduce", "min", "np.amin"),
        np.clip: Callee("clip", "", "np.clip"),
        **{getattr(np, n): Callee("index", n, f"np.{n}") for n in (
            "take", "nonzero", "flatnonzero", "argwhere", "argsort")},
        **{getattr(special, n): Callee("reduce", n, f"scipy.special.{n}") for n in (
            "logsumexp", "softmax", "log_softmax") if special is not None},
        **{getattr(np, n): Callee("shape", n, f"np.{n}") for n in _SHAPES},
        **{getattr(np, n): Callee("compose", n, f"np.{n}") for n in _COMPOSED},
        **{getattr(np, n): Callee("make", n, f"np.{n}") for n in (
            "eye", "identity", "linspace", "full_like", "diag", "tri", "triu", "tril")},
    })
    return t


_CALLEES: dict = {}               # (table version, with scipy.special) -> callable -> callee


def _callees(full: bool = False) -> dict:
    """The callee table; with scipy.special's functions when it is imported, or when full
    (the lists of supported names in errors import it)."""
    import sys
    if full:
        importlib.import_module("scipy.special")
    special = sys.modules.get("scipy.special")
    key = (table_version(), special is not None)
    if key not in _CALLEES:
        _CALLEES[key] = _table(special)
    return _CALLEES[key]


_PRANGE = Callee("range", "prange", "numba.prange")   # prim "prange": the loop was parallel


def _is_prange(obj) -> bool:
    """Is obj numba.prange (recognised without importing Numba)?"""
    return getattr(obj, "__name__", "") == "prange" and \
        getattr(obj, "__module__", "") == "numba.misc.special"


def is_prange(callee) -> bool:
    """Does this Callee stand for numba.prange (a range loop the user wrote parallel)?"""
    return callee is _PRANGE


def callee_of(obj):
    """The Binding (a row of the primitive table) or Callee a called object means, or None."""
    if getattr(obj, "__self__", None) is np.add and getattr(obj, "__name__", "") == "at":
        return Callee("index", "add_at", "np.add.at")     # a new bound method per access
    if _is_prange(obj):                                   # numba.prange: a range loop
        return _PRANGE
    if getattr(obj, "__name__", "") == "rosen" and \
            (getattr(obj, "__module__", "") or "").startswith("scipy.optimize"):
        return Callee("compose", "rosen", "scipy.optimize.rosen")   # (not imported here)
    try:
        return _callees().get(obj)
    except TypeError:       # unhashable
        return None


def supported_names(module) -> list[str]:
    """The supported functions of a module (math, np, or a prefix such as "scipy.special"),
    for the lists in errors."""
    prefix = {math: "math.", np: "np."}.get(module, "") if not isinstance(module, str) \
        else module + "."
    return sorted(c.label for c in _callees(full=True).values()
                  if c.label.startswith(prefix) and prefix)


def is_scipy_special(obj) -> bool:
    """Is obj a function of scipy.special? (Its ufuncs have no __module__: by identity;
    not one when scipy.special is not imported.)"""
    import sys
    special = sys.modules.get("scipy.special")
    if special is None:
        return False
    name = getattr(obj, "__name__", None)
    return isinstance(name, str) and getattr(special, name, None) is obj


def nearest_names(label: str, name: str = "") -> list[str]:
    """The supported functions closest to an unsupported call (its label as written, and
    the function's own name), for "did you mean" in errors: the same module first."""
    import difflib
    labels = sorted({c.label for c in _callees(full=True).values() if c.label})
    module = label.rsplit(".", 1)[0] + "." if "." in label else ""
    same = [lab for lab in labels if module and lab.startswith(module)]
    tail = label.rsplit(".", 1)[-1]
    for pool in (same, labels):
        by_tail = {lab.rsplit(".", 1)[-1]: lab for lab in reversed(pool)}
        near = difflib.get_close_matches(tail, list(by_tail), n=3, cutoff=0.75)
        if name and name != tail:
            near += [n for n in difflib.get_close_matches(name, list(by_tail), n=2,
                                                          cutoff=0.75) if n not in near]
        if near:
            return [by_tail[n] for n in near[:3]]
    return []


# libraries whose Python functions are never compiled from their source: a call that is not
# a row of the table is an error naming it (np.tri's source is not a differentiable program)
_LIBRARIES = ("numpy", "scipy", "math", "numba")


def is_user_function(obj) -> bool:
    """A function of the user's (or a bound method of the user's class, or a Numba
    function's Python source): the frontend inlines it."""
    if isinstance(obj, types.MethodType):
        obj = obj.__func__
    func = obj if isinstance(obj, types.FunctionType) else getattr(obj, "py_func", None)
    if not isinstance(func, types.FunctionType):
        return False
    module = (getattr(func, "__module__", None) or "").split(".")[0]
    return module not in _LIBRARIES


def unwrap_user_function(obj):
    return obj.py_func if hasattr(obj, "py_func") else obj


__all__ = ["FunctionSource", "function_source", "Scope", "recording", "Callee", "callee_of",
           "is_prange",
           "supported_names", "nearest_names", "is_scipy_special", "is_user_function",
           "unwrap_user_function"]
