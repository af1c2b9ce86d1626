"""Structured parameters: a dict, tuple or list (nested, of floats, ints and arrays) passed
for one parameter, as JAX takes pytrees.

The compiled code takes the leaves as parameters of their own; a call flattens the
structure (in insertion order for dicts: the gradient dict has the keys in the same order)
and the derivatives of a structured parameter come back rebuilt into its structure.

    types:   Struct("dict", ("W1", "b1"), (f64[:, :], f64[:]))   # the parameter's type
    leaves:  params_W1, params_b1                                # the compiled parameters
"""
from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np

from .arguments import leaf_converter
from .errors import AdCompileError, AdTypeError
from .types import is_float
from .valuetree import Record

KINDS = {dict: "dict", tuple: "tuple", list: "list"}


@dataclass(frozen=True)
class Struct:
    """The type of a structured argument: its kind, its keys (dict keys; 0..n-1 for tuples
    and lists) and the type of each item (an IR type or a Struct)."""
    kind: str
    keys: tuple
    items: tuple

    def __str__(self) -> str:
        if self.kind == "dict":
            return "{" + ", ".join(f"{k!r}: {t}" for k, t in zip(self.keys, self.items)) + "}"
        inner = ", ".join(str(t) for t in self.items)
        return f"({inner},)" if self.kind == "tuple" and len(self.items) == 1 else \
            (f"({inner})" if self.kind == "tuple" else f"[{inner}]")


@dataclass(frozen=True)
class Stored:
    """An argument of another dtype than the compiled code's: a float32 (or float16) array
    or NumPy scalar is computed as float64, an int32 (or other int) array as int64; the
    derivatives (and the values) come back in the argument's dtype."""
    inner: object            # the IR type the compiled code takes
    dtype: str               # the argument's NumPy dtype

    def __str__(self) -> str:
        return f"{self.inner} (from {self.dtype})"


def struct_type(name: str, value, leaf_type):
    """The type of argument `value` for parameter `name`: leaf_type(path, value) for a
    leaf, a Struct for a dict, tuple or list (a namedtuple is a tuple)."""
    kind = next((k for t, k in KINDS.items() if isinstance(value, t)), None)
    if kind is None:
        return leaf_type(name, value)
    if kind == "dict":
        keys = tuple(value)
        for k in keys:
            if not isinstance(k, (str, int)) or isinstance(k, bool):
                raise AdTypeError(
                    f"parameter {name!r} is a dict with the key {k!r}; adcompile takes dicts "
                    "keyed by strings or ints", hint="key the dict by strings, e.g. 'W1'")
        items = [value[k] for k in keys]
    else:
        keys, items = tuple(range(len(value))), list(value)
    return Struct(kind, keys, tuple(struct_type(f"{name}[{k!r}]", v, leaf_type)
                                    for k, v in zip(keys, items)))


def leaves(value, t) -> list:
    """The leaves of an argument of type t, in order."""
    if not isinstance(t, Struct):
        return [value]
    items = [value[k] for k in t.keys] if t.kind == "dict" else list(value)
    if len(items) != len(t.items):
        raise AdCompileError(f"a structured argument changed shape: {len(items)} items, "
                             f"expected {len(t.items)}")
    return [leaf for v, s in zip(items, t.items) for leaf in leaves(v, s)]


def leaf_types(t) -> list:
    """The IR types of the compiled parameters t stands for."""
    if isinstance(t, Stored):
        return [t.inner]
    if not isinstance(t, Struct):
        return [t]
    return [leaf for s in t.items for leaf in leaf_types(s)]


def leaf_paths(name: str, t) -> list:
    """(how the user writes each leaf, a Python name for it): params['W1'], params_W1."""
    if not isinstance(t, Struct):
        return [(name, name)]
    out = []
    for k, s in zip(t.keys, t.items):
        for text, hint in leaf_paths(f"{name}[{k!r}]", s):
            out.append((text, hint))
    return [(text, _identifier(text)) for text, _ in out]


def _identifier(path: str) -> str:
    """params['W1'][0] -> params_W1_0."""
    return re.sub(r"_+", "_", re.sub(r"\W", "_", path)).strip("_") or "p"


def rebuild(t, values: list):
    """The Python structure of type t holding `values` (its leaves, in order)."""
    it = iter(values)

    def build(s):
        if isinstance(s, Stored):
            return stored_as(s.dtype, next(it))
        if not isinstance(s, Struct):
            return next(it)
        items = [build(x) for x in s.items]
        if s.kind == "dict":
            return dict(zip(s.keys, items))
        return items if s.kind == "list" else tuple(items)
    return build(t)


def stored_as(dtype: str, v):
    """A value the compiled code computed in float64 as the argument's dtype."""
    if isinstance(v, np.ndarray):
        return v.astype(dtype)
    if isinstance(v, float):
        return np.dtype(dtype).type(v)
    return v


def _leaves_of_type(t) -> list:
    """The leaf types of t, keeping Stored (for the conversions on the way in and out)."""
    if not isinstance(t, Struct):
        return [t]
    return [leaf for s in t.items for leaf in _leaves_of_type(s)]


class Layout:
    """How the user's parameters map to the compiled parameters (their leaves), and the
    conversions of arguments of other dtypes (Stored) on the way in and out."""

    def __init__(self, params: list, types: tuple, wrt: tuple):
        self.types = types
        self.stored = [lt for t in types for lt in _leaves_of_type(t)]
        self.leaf_types = [lt for t in types for lt in leaf_types(t)]
        self.result_dtype = _result_dtype(self.stored)
        self.plan = [(i, path, leaf_converter(st)) for i, t in enumerate(types)
                     for path, st in zip(_paths(t), _leaves_of_type(t))]
        self.names, self.paths, self.ranges = [], [], []
        for name, t in zip(params, types):
            start = len(self.names)
            for text, hint in leaf_paths(name, t):
                self.paths.append(text)
                self.names.append(hint)
            self.ranges.append(range(start, len(self.names)))
        for i in wrt:                       # JAX: every leaf of a differentiated one a float
            for k in self.ranges[i] if isinstance(types[i], Struct) else ():
                if not is_float(self.leaf_types[k]):
                    raise AdTypeError(
                        f"cannot differentiate with respect to parameter {params[i]!r}: "
                        f"{self.paths[k]} is {_what(self.leaf_types[k])}",
                        hint="pass ints and flags in a parameter of their own, left out of "
                             "wrt, or make them floats (3.0 rather than 3)")
        self.wrt = tuple(k for i in wrt for k in self.ranges[i])
        self.wrt_of = [(i, self.ranges[i]) for i in wrt]

    def flatten(self, values: list) -> list:
        """The call's arguments as the compiled code takes them: the leaves, numbers as
        Python numbers (by a plan made once: where each leaf is, how it is converted)."""
        out = []
        for i, path, convert in self.plan:
            v = values[i]
            for k in path:
                v = v[k]
            out.append(v if convert is None else convert(v))
        return out

    def results(self, out: list, values: slice) -> list:
        """The function's values among the entry's results in the arguments' dtype (NumPy's
        promotion: float32 arrays and Python floats give float32)."""
        if self.result_dtype is None or values is None:
            return out
        out = list(out)
        out[values] = [stored_as(self.result_dtype, v) for v in out[values]]
        return out

    def flatten_wrt(self, per_wrt: list) -> list:
        """Directions or tangents given per differentiated parameter -> per leaf."""
        return [leaf for (i, _), v in zip(self.wrt_of, per_wrt)
                for leaf in leaves(v, self.types[i])]

    def regroup(self, per_leaf: list) -> list:
        """Outputs per differentiated leaf -> per differentiated parameter, rebuilt."""
        out, k = [], 0
        for i, rng in self.wrt_of:
            n = len(rng)
            out.append(rebuild(self.types[i], per_leaf[k:k + n]))
            k += n
        return out


def _paths(t, prefix=()) -> list:
    """The keys leading to each leaf of a value of type t."""
    if not isinstance(t, Struct):
        return [prefix]
    return [p for k, s in zip(t.keys, t.items) for p in _paths(s, prefix + (k,))]


def _result_dtype(stored: list):
    """The dtype NumPy's promotion gives the function's value when some float argument is
    of another dtype than float64: float32 arrays with Python floats (weak) stay float32, a
    float64 array makes it float64 (None: float64, nothing to convert)."""
    from .types import Array
    floats = {t.dtype for t in stored if isinstance(t, Stored) and is_float(t.inner)}
    if not floats or any(isinstance(t, Array) and is_float(t) for t in stored):
        return None
    dtype = str(np.result_type(*floats))
    return None if dtype == "float64" else dtype


def _what(t) -> str:
    from .types import BOOL, I64
    return {I64: "an int", BOOL: "a bool"}.get(t, f"a {t}")


def frontend_tree(t, leaves: list):
    """A structured parameter of type t (structured.Struct) as the frontend holds it: tuples
    (Records for dicts) of its leaves' values."""
    it = iter(leaves)

    def build(s):
        if not isinstance(s, Struct):
            return next(it)
        items = [build(x) for x in s.items]
        return Record(items, s.keys) if s.kind == "dict" else tuple(items)
    return build(t)


def is_structured(types) -> bool:
    """Does a call with these types need a Layout (a structure, or another dtype)?"""
    return any(isinstance(t, (Struct, Stored)) for t in types)


@dataclass
class FlatView:
    """A Transformed as its builds and calling conventions see it when a parameter is
    structured: the leaves are the parameters (names, types, wrt)."""
    func: object
    transform: object
    params: list
    wrt: tuple
    single: bool
    rng: object
    struct_types: tuple
    wrt_text: str = ""                   # the differentiated parameters, as the user names them

    def primal_types(self, types):
        return self.struct_types


__all__ = ["Stored", "stored_as", "Struct", "struct_type", "leaves", "leaf_types", "leaf_paths", "rebuild", "Layout",
           "is_structured", "FlatView", "frontend_tree"]
