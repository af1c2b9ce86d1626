"""What a transform accepts: the user's function, wrt, and the call's arguments with their
IR types."""
from __future__ import annotations

import inspect
import types

import numpy as np

from .errors import AdCompileError, AdTypeError, Loc
from .types import BOOL, F64, I64, MAX_NDIM, Array
from .docs import doc_path


def arg_type(name: str, value):
    """The IR type of a call argument, or a TypeError naming the parameter."""
    if isinstance(value, (bool, np.bool_)):
        return BOOL
    if isinstance(value, (int, np.integer)):
        if not _I64_MIN <= value <= _I64_MAX:
            raise AdTypeError(f"parameter {name!r} got {value}, outside the 64-bit integer "
                              "range compiled code uses", hint="integers in compiled code are "
                              "int64 (arithmetic wraps around at 2**63); pass a float if you "
                              "need a larger number")
        return I64
    if isinstance(value, (np.float32, np.float16)):      # computed as float64
        from .structured import Stored
        return Stored(F64, value.dtype.name)
    if isinstance(value, (float, np.floating)):
        return F64
    if isinstance(value, np.ndarray):
        if type(value) is not np.ndarray and not isinstance(value, np.memmap):
            raise AdTypeError(f"parameter {name!r} got a {type(value).__name__}, an ndarray "
                              "subclass whose operators or masks compiled code would ignore",
                              hint="pass a plain array: np.asarray(x) (for a masked array, "
                                   "decide what the masked entries mean first)")
        if not value.dtype.isnative:
            raise AdTypeError(f"parameter {name!r} got an array in non-native byte order "
                              f"({value.dtype.str})", hint="convert with "
                                                         "x.astype(x.dtype.newbyteorder('='))")
        ones = tuple(n == 1 for n in value.shape)          # length-1 axes broadcast
        ones = ones if any(ones) else ()
        if value.dtype == np.float64 and 1 <= value.ndim <= MAX_NDIM:
            return Array(F64, value.ndim, ones)
        if value.dtype == np.int64 and 1 <= value.ndim <= MAX_NDIM:
            return Array(I64, value.ndim, ones)
        if value.dtype == np.bool_ and 1 <= value.ndim <= MAX_NDIM:       # a mask
            return Array(BOOL, value.ndim, ones)
        if (value.dtype.kind in "fi" or value.dtype.kind == "u" and value.dtype.itemsize < 8) \
                and 1 <= value.ndim <= MAX_NDIM:
            from .structured import Stored       # float32/16: computed as float64; ints
            inner = F64 if value.dtype.kind == "f" else I64     # as int64
            return Stored(Array(inner, value.ndim, ones), value.dtype.name)
        raise AdTypeError(f"parameter {name!r} got a {value.ndim}-d array of {value.dtype}; "
                          f"adcompile compiles float, int and bool arrays of 1 to {MAX_NDIM} dimensions",
                          hint="convert with np.asarray(x, dtype=np.float64)")
    what = type(value).__name__
    hint = ("pass a Python float, int or bool, a float64 NumPy array, or a dict, tuple or "
            "list of them")
    raise AdTypeError(f"parameter {name!r} got a value of type {what}, which adcompile "
                      "cannot compile", hint=hint)


_PY = {F64: float, I64: int, BOOL: bool}
_I64_MIN, _I64_MAX = -2 ** 63, 2 ** 63 - 1


def typed_values(names, values) -> tuple:
    """(the IR types of call arguments, the arguments with scalars as Python numbers); a
    dict, tuple or list argument has a structured.Struct type (its leaves converted when
    the call is flattened: structured.Layout)."""
    from .structured import Stored, Struct, struct_type
    types = tuple(struct_type(n, v, arg_type) for n, v in zip(names, values))
    return types, [v if isinstance(t, (Array, Struct, Stored)) else _PY[t](v)
                   for t, v in zip(types, values)]


def leaf_converter(t):
    """How a leaf of a structured argument (or one of another dtype) of type t is passed to
    the compiled code: a function of the value, or None (as it is). Decided once per
    compile, not at every call."""
    from .structured import Stored
    if isinstance(t, Stored):
        if isinstance(t.inner, Array):
            dtype = np.float64 if t.inner.dtype == F64 else np.int64
            return lambda v: np.ascontiguousarray(v, dtype=dtype)
        return _PY[t.inner]
    return None if isinstance(t, Array) else _PY[t]


def _array_key(a):
    """Fast-path key of an argument: arrays by dtype, dimensions and layout."""
    if type(a) is np.ndarray:
        return (a.dtype, a.shape.count(1) and tuple(n == 1 for n in a.shape), a.ndim,
                a.flags.c_contiguous)
    return type(a)


def _struct_key(a):
    """Fast-path key of an argument that may be a dict, tuple or list (its keys and its
    leaves' keys: the structure the compiled code was made for)."""
    t = type(a)
    if t is np.ndarray:
        return _array_key(a)
    if t is dict:
        return (dict, tuple(a), tuple(map(_struct_key, a.values())))
    if t is tuple or t is list:
        return (t, tuple(map(_struct_key, a)))
    return t


_STRUCTS = (dict, tuple, list)


def _type_of_annotation(p: inspect.Parameter):
    ann = p.annotation
    table = {float: F64, int: I64, bool: BOOL, "float": F64, "int": I64, "bool": BOOL}
    if ann in table:
        return table[ann]
    if p.default is not inspect.Parameter.empty:
        try:
            return arg_type(p.name, p.default)
        except AdTypeError:
            pass
    return F64


def user_function(func):
    """The plain Python function a transform differentiates: a Numba dispatcher's Python
    function (a derivative made by adcompile is taken by Transformed itself: nested.py)."""
    py = getattr(func, "py_func", None)        # numba.njit / numba.jit: its Python source
    if isinstance(py, types.FunctionType):
        func = py
    from .resolve import is_user_function
    if isinstance(func, types.FunctionType) and not is_user_function(func):
        raise AdCompileError(
            f"{func.__module__}.{func.__qualname__} is a library function; adcompile "
            "differentiates your functions and the library calls of its table, not a "
            "library's own source", hint="call it from a function of yours if it is in "
            f"{doc_path('supported.md')}, or write the computation out")
    if isinstance(py, types.FunctionType):
        return py
    if not callable(func):
        raise AdCompileError(f"{func!r} is not a function", hint="pass a function defined "
                                                                 "with def")
    if isinstance(func, types.MethodType):   # self's attributes: read like module values
        if not isinstance(func.__func__, types.FunctionType) or \
                not is_user_function(func.__func__):
            raise AdCompileError(f"{func!r} is a method adcompile cannot read",
                                 hint="differentiate a function defined with def")
        return func
    if isinstance(func, types.FunctionType) and hasattr(func, "__wrapped__"):
        raise AdCompileError(
            f"{func.__qualname__}() is a wrapper made by a decorator (functools.wraps); "
            "adcompile cannot see what the wrapper does", _loc_of(func),
            hint=f"differentiate the function itself: ad.grad({func.__name__}.__wrapped__), "
                 "or apply the decorator after adcompile's transform")
    if not isinstance(func, types.FunctionType):
        raise AdCompileError(
            f"{func!r} is a {type(func).__name__}, not a Python function adcompile can read",
            hint="pass a function defined with def in a .py file")
    return func


def _loc_of(func) -> Loc | None:
    code = getattr(func, "__code__", None)
    return Loc(code.co_filename, code.co_firstlineno, 0) if code else None


def _normalise_wrt(wrt, params, func):
    single = not isinstance(wrt, (tuple, list))
    items = [wrt] if single else list(wrt)
    if not items:
        raise AdCompileError("wrt must name at least one parameter")
    out = []
    for w in items:
        if isinstance(w, str):
            if w not in params:
                raise AdCompileError(f"wrt={w!r}: {func.__name__}() has no parameter {w!r}",
                                     hint=f"its parameters are {', '.join(params)}")
            out.append(params.index(w))
        elif isinstance(w, int) and not isinstance(w, bool):
            if not -len(params) <= w < len(params):
                raise AdCompileError(f"wrt={w}: {func.__name__}() has {len(params)} parameters")
            out.append(w % len(params))
        else:
            raise AdCompileError(f"wrt entries must be parameter names or indices, got {w!r}")
    if len(set(out)) != len(out):
        raise AdCompileError("wrt names the same parameter twice")
    return tuple(out), single


def _clean(exc: AdCompileError) -> AdCompileError:
    """Drop adcompile's internal frames: the user's call is where the error belongs."""
    exc.__traceback__ = None
    exc.__context__ = None
    exc.__cause__ = None
    return exc
