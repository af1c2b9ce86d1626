"""jvp, jacobian, hvp and hessian: compositions of the forward and reverse passes.

- `jvp(f, primals, tangents)`: one forward sweep (value and directional derivative).
- `jacobian(F, mode=...)`: forward mode seeds unit input directions, a few per sweep, in one
  compiled driver; reverse mode runs the vector-Jacobian product `w -> w^T J` once per output
  (the rows of J), w being each unit output vector, in one compiled driver.
- `hvp(f)`: forward over reverse: the tangent of the gradient along v is `H v`; the
  forward pass runs over the reverse pass's IR, tapes included; one compiled function.
- `hessian(f)`: `H e_k` for each unit vector e_k, in one compiled driver (small problems).
Each is a Transformed (transformed.py) with its Transform (specs.py), compiled once per
argument-type signature like `grad`.
"""
from __future__ import annotations

from . import specs
from .arguments import _clean, typed_values
from .structured import Stored, Struct, leaf_types
from .errors import AdCompileError, AdTypeError
from .transformed import Transformed
from .types import is_float

_JVP = specs.jvp()


def jvp(f, primals, tangents, *, jit: bool = True):
    """(f(*primals), the derivative of f at primals along tangents), by one forward sweep.

    `tangents` has one entry per argument: a float (or array shaped like the argument) for
    float arguments; anything (0, None) for int and bool arguments, which have no tangent.
    Repeated calls with arguments of the same types reuse the compiled code (kept while f
    lives, and while the module constants and closure values it read keep their values).
    """
    primals, tangents = tuple(primals), tuple(tangents)
    if len(primals) != len(tangents):
        raise _clean(AdCompileError(f"jvp: {len(primals)} primals but {len(tangents)} tangents"))
    try:
        types, values = typed_values([str(i) for i in range(len(primals))], primals)
    except AdTypeError as exc:
        raise _clean(exc) from None
    wrt = tuple(i for i, t in enumerate(types)
                if is_float(t) or isinstance(t, (Struct, Stored)) and
                all(map(is_float, leaf_types(t))))
    if not wrt:
        raise _clean(AdCompileError("jvp: no float argument to differentiate"))
    try:
        t = Transformed(f, _JVP, wrt, jit, shared=True)
        return t.run(t._specialise(types), values, tangents)
    except AdCompileError as exc:
        raise _clean(exc) from None


def _transform(transform, func, wrt, jit):
    if func is None:
        return lambda f: Transformed(f, transform, wrt, jit)
    return Transformed(func, transform, wrt, jit)


def compile(func=None, *, jit: bool = True):
    """f itself through adcompile's code generation: the same fused loops, vectorised math,
    checks and errors as its derivatives, with no derivative. `@ad.compile` or
    `ad.compile(f)`; the call returns what f returns."""
    return _transform(specs.compiled(), func, None, jit)


def jacobian(func=None, *, wrt=0, mode: str = "reverse", jit: bool = True):
    """The Jacobian of a function returning a float or a float array: shape
    out.shape + x.shape per parameter in wrt (a tuple of them for a tuple wrt)."""
    return _transform(specs.jacobian(mode), func, wrt, jit)


def hvp(func=None, *, wrt=0, jit: bool = True):
    """Hessian-vector product: `hvp(f)(*args, v)` is H v, H the Hessian of float-valued f with
    respect to parameter wrt at args (a tuple wrt takes one direction per parameter and gives
    the blocks (H v) for each)."""
    return _transform(specs.hvp(), func, wrt, jit)


def hessian(func=None, *, wrt=0, jit: bool = True):
    """The Hessian of a float-valued function w.r.t. one parameter (n hvp sweeps; for small
    problems): a float for a float parameter, shape x.shape + x.shape for an array."""
    return _transform(specs.hessian(), func, wrt, jit)


__all__ = ["compile", "jvp", "jacobian", "hvp", "hessian"]
