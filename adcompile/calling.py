"""Calling conventions: how a call of a transformed function maps to its compiled entry.

A convention says which of the call's arguments are the user function's parameters (the
values the entry is specialised on), what the transform passes after them (directions,
tangents, a table), and how the entry's results are packaged for the caller. Every method
receives the Transformed being called (`t`: its func, params, wrt, single, rng).
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .errors import AdCompileError
from .structured import Struct, leaves
from .types import Array
from .valuetree import unflatten


@dataclass(frozen=True)
class Convention:
    """The call's arguments are the parameters (bound like Python binds them: keywords and
    defaults); the entry's results are returned as they are."""
    fast = True      # arguments are exactly the parameters: remember them by Python type
    per_wrt = slice(1, None)   # the entry's results that are one per differentiated leaf
    values = slice(0, 1)       # the function's values among them (kept in float32 inputs' dtype)

    def inputs(self, t, args, kwargs) -> tuple:
        """(the values of the user's parameters, the rest of the call for extra())."""
        return t._bind(args, kwargs), None

    def extra(self, t, compiled, values, rest) -> list:
        """The arguments the entry takes after the user's parameters."""
        return []

    def package(self, t, out, compiled):
        return out

    def returns(self, t):
        """How the entry groups its results to return what the call does (codegen's
        Emitter.returns), or None: package() does it."""
        return None

    def flat_rest(self, layout, rest):
        """`rest` (for extra()) when the parameters are flattened into leaves."""
        return rest

    def check_structured(self, t, types):
        """Raise if the transform cannot take a structured parameter."""


@dataclass(frozen=True)
class Gradient(Convention):
    """The entry returns (value, *gradients): gradients, or (value, gradients); one
    gradient for one parameter in wrt, else a tuple of them."""
    with_value: bool = False

    def package(self, t, out, compiled):
        if getattr(compiled, "grouped", False):
            return out
        grads = out[1] if t.single else out[1:]
        return (out[0], grads) if self.with_value else grads

    def returns(self, t):
        grads = 1 if t.single else tuple(range(1, 1 + len(t.wrt)))
        return (0, grads) if self.with_value else grads


@dataclass(frozen=True)
class Directional(Gradient):
    """A gradient whose kinks are resolved along random directions (the transform's width
    per differentiated parameter), drawn from the callable's generator at every call."""
    fast = False

    def extra(self, t, compiled, values, rest) -> list:
        return [t.rng.standard_normal(np.shape(values[i])) if isinstance(compiled.types[i], Array)
                else float(t.rng.standard_normal()) for i in t.wrt
                for _ in range(t.transform.width)]


@dataclass(frozen=True)
class Jacobian(Convention):
    """The entry returns (value, *Jacobian blocks): one block, or a tuple of them. A
    function returning a tuple: (values, *blocks output by output), packaged like JAX's: a
    tree shaped like the output, of blocks (or tuples of blocks, one per parameter)."""

    def package(self, t, out, compiled):
        tree = compiled.primal_fn.result_tree
        if tree is None:
            jac = out[1:]
            return jac[0] if t.single else tuple(jac)
        n, k = compiled.n_out, len(t.wrt)
        jac = out[n:]
        per = [jac[o * k] if t.single else tuple(jac[o * k:(o + 1) * k]) for o in range(n)]
        return unflatten(tree, per)


@dataclass(frozen=True)
class Primal(Convention):
    """ad.compile(f): the entry returns f's outputs; the call returns what f does (one
    value, or its tuple)."""
    per_wrt = None
    values = slice(None)

    def package(self, t, out, compiled):
        tree = compiled.primal_fn.result_tree
        return out if tree is None else unflatten(tree, out[:compiled.n_out])


@dataclass(frozen=True)
class Jvp(Convention):
    """jvp(f, primals, tangents): the tangents of the float arguments follow them; the
    entry returns the outputs, then their tangents."""
    fast = False

    per_wrt = None
    values = slice(None)       # the outputs and their tangents

    def extra(self, t, compiled, values, tangents) -> list:
        return [_direction(tangents[i], compiled.types[i], values[i],
                           f"jvp: the tangent of argument {i}") for i in t.wrt]

    def flat_rest(self, layout, tangents):
        """One tangent per argument -> one per leaf (None for those not differentiated)."""
        wrt = {i for i, _ in layout.wrt_of}
        return [leaf for i, (tg, ty) in enumerate(zip(tangents, layout.types))
                for leaf in (leaves(tg, ty) if i in wrt else [None] * len(layout.ranges[i]))]

    def package(self, t, out, compiled):
        n = compiled.n_out
        tree = compiled.primal_fn.result_tree
        if tree is None:
            return out[0], out[1]
        return unflatten(tree, out[:n]), unflatten(tree, out[n:])


@dataclass(frozen=True)
class Hvp(Convention):
    """hvp(f)(*args, *v): the arguments, then one direction per differentiated parameter;
    the entry returns <grad f, v>, then H v per parameter."""
    fast = False

    def inputs(self, t, args, kwargs) -> tuple:
        n = len(t.params)
        if kwargs or len(args) != n + len(t.wrt):
            raise AdCompileError(
                f"hvp of {t.func.__name__}(): pass its {n} arguments, then one direction "
                f"per differentiated parameter ({len(t.wrt)})")
        return list(args[:n]), args[n:]

    def extra(self, t, compiled, values, directions) -> list:
        return [_direction(v, compiled.types[i], values[i],
                           f"hvp: direction for {t.params[i]!r}")
                for i, v in zip(t.wrt, directions)]

    def package(self, t, out, compiled):
        return out[1] if t.single else tuple(out[1:])

    def flat_rest(self, layout, directions):
        return layout.flatten_wrt(list(directions))


def _direction(d, type_, value, what: str):
    """A direction for a parameter of IR type `type_` with argument `value`: a float, or a
    contiguous float array shaped like the argument (else an error saying `what`)."""
    if not isinstance(type_, Array):
        return float(d)
    d = np.ascontiguousarray(d, dtype=np.float64)
    if d.shape != np.shape(value):
        raise AdCompileError(f"{what} has shape {d.shape}, the argument {np.shape(value)}")
    return d


@dataclass(frozen=True)
class Hessian(Convention):
    """One differentiated parameter; the entry returns the Hessian."""
    per_wrt = None

    def inputs(self, t, args, kwargs) -> tuple:
        if not t.single:
            raise AdCompileError("hessian takes one parameter in wrt",
                                 hint="use hvp for several parameters")
        return t._bind(args, kwargs), None

    def check_structured(self, t, types):
        if isinstance(types[t.wrt[0]], Struct):
            raise AdCompileError(
                f"hessian of {t.func.__name__}() with respect to {t.params[t.wrt[0]]!r}, a "
                f"{types[t.wrt[0]].kind}: the Hessian of a structured parameter is not "
                "supported", hint="use hvp (one direction per leaf, shaped like the "
                                  "parameter), or pass the array itself as a parameter")


@dataclass(frozen=True)
class KinkTable(Convention):
    """The diagnostic build: a zero table of kink hits (one row per site) follows the
    parameters; the entry returns (value, *gradients, the table filled in)."""
    fast = False
    per_wrt = slice(1, -1)

    def extra(self, t, compiled, values, rest) -> list:
        return [np.zeros((max(len(compiled.facts["sites"]), 1), 4))]


__all__ = ["Convention", "Gradient", "Directional", "Jacobian", "Jvp", "Hvp", "Hessian",
           "KinkTable"]
