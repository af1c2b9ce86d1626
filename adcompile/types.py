"""The IR's value types: f64, i64, bool scalars and float/int arrays, with promotion rules."""
from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Scalar:
    name: str

    def __str__(self) -> str:
        return self.name


MAX_NDIM = 6        # arrays have 1 to MAX_NDIM dimensions


@dataclass(frozen=True)
class Array:
    dtype: Scalar
    ndim: int
    ones: tuple = ()      # per dimension: known to have length 1 (an argument's shape)

    @property
    def name(self) -> str:
        dims = ",".join("1" if k < len(self.ones) and self.ones[k] else ":"
                        for k in range(self.ndim))
        return f"{self.dtype.name}[{dims}]"

    def unit(self, k: int) -> bool:
        """Is dimension k known to have length 1?"""
        return k < len(self.ones) and self.ones[k]

    def __str__(self) -> str:
        return self.name


BOOL = Scalar("bool")
I64 = Scalar("i64")
F64 = Scalar("f64")

_RANK = {BOOL: 0, I64: 1, F64: 2}

NUMPY_DTYPE = {F64: "np.float64", I64: "np.int64", BOOL: "np.bool_"}
ZERO = {F64: 0.0, I64: 0, BOOL: False}


def is_scalar(t) -> bool:
    return isinstance(t, Scalar)


def is_float(t) -> bool:
    """True for the types that carry derivatives."""
    return t == F64 or (isinstance(t, Array) and t.dtype == F64)


def less_known(a, b):
    """The type that holds both: for two arrays of one dtype and rank, the length-1 axes
    both know (an f64[1,1] and an f64[:,:] value can share an f64[:,:] variable)."""
    if a == b or not (isinstance(a, Array) and isinstance(b, Array)) or \
            (a.dtype, a.ndim) != (b.dtype, b.ndim):
        return a
    ones = tuple(a.unit(k) and b.unit(k) for k in range(a.ndim))
    return Array(a.dtype, a.ndim, ones if any(ones) else ())


def promote(a: Scalar, b: Scalar) -> Scalar:
    """Python's numeric tower restricted to bool < int < float."""
    return a if _RANK[a] >= _RANK[b] else b


def parse_type(text: str):
    """Parse a type name as written on the command line: f64, float, i64, int, bool, and
    arrays as f64[:], f64[:,:], i64[:]."""
    key = text.strip().lower().replace(" ", "")
    if key.endswith("]") and "[" in key:
        base, dims = key[:-1].split("[", 1)
        ndim = len(dims.split(","))
        elem = parse_type(base)
        parts = dims.split(",")
        if elem in (F64, I64) and all(p in (":", "1") for p in parts) and 1 <= ndim <= MAX_NDIM:
            ones = tuple(p == "1" for p in parts)
            return Array(elem, ndim, ones if any(ones) else ())
    table = {"f64": F64, "float": F64, "float64": F64, "i64": I64, "int": I64,
             "int64": I64, "bool": BOOL}
    if key in table:
        return table[key]
    from .errors import AdTypeError
    raise AdTypeError(f"unknown type {text!r}; use f64, i64, bool, or arrays like f64[:] "
                      "and f64[:,:]")
