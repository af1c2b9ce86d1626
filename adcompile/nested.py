"""Nested derivatives (docs/nested.md): a derivative made by adcompile (a Transformed: grad,
value_and_grad, jacobian, hessian, and transforms of those) as a function that another
transform differentiates, or that a differentiated function calls.

The derivative's IR for the argument types is what its own transform compiles (a kernel,
or a driver calling kernels), with the calls inlined and the results packaged as the call
packages them (grad(f, wrt=(0, 1)) returns a tuple). That IR is the primal of the outer
transform, which differentiates it by forward mode: forward over reverse for a gradient
inside, forward over forward for a forward-mode one (the reverse pass does not run over
tapes). `Function.derivatives` marks such IR, so the builds in specs.py choose forward mode.
"""
from __future__ import annotations

import threading
from dataclasses import dataclass

from . import pipeline
from .calling import Convention, Directional, Gradient, Hessian, Jacobian
from .errors import AdCompileError
from .ir import Function
from .valuetree import flatten, shape_of


_BUILDING = threading.local()             # the derivatives whose IR is being built


@dataclass(frozen=True)
class _Shape:
    """What a convention's package() reads of a compiled entry: how many values the
    function returns and its IR (their tuple tree)."""
    n_out: int
    primal_fn: Function


def check_nestable(inner) -> None:
    """A clear error for derivatives other transforms cannot take: those whose calls pass
    more than the user's arguments (hvp's directions, random directions, the kink table)."""
    call = inner.transform.call
    if isinstance(call, Directional):
        raise AdCompileError(
            f"{inner!r} resolves kinks along random directions (nonsmooth='directional'); "
            "derivatives of it are not defined", inner._def_loc(),
            hint="differentiate the plain gradient: ad.grad(f) without nonsmooth=")
    if type(call) not in (Convention, Gradient, Jacobian, Hessian):
        raise AdCompileError(
            f"{inner!r} takes more than the arguments of {inner.func.__name__}() "
            f"({inner.transform.name}); adcompile differentiates derivatives that take the "
            "function's own arguments: grad, value_and_grad, jacobian, hessian",
            inner._def_loc(),
            hint="for the derivative of a gradient along v use ad.jvp(ad.grad(f), (x,), (v,))")


def key(t) -> tuple | None:
    """What tells transforms of one function apart in shared caches: the inner transforms,
    their wrt, innermost last (None for a plain function)."""
    inner = getattr(t, "inner", None)
    if inner is None:
        return None
    return (inner.transform, inner.wrt, key(inner))


def derivative_ir(inner, types: tuple) -> Function:
    """The IR of calling `inner` (a Transformed) on arguments of these IR types: its
    parameters are the user's, its results what the call returns (a tuple tree)."""
    inner.check_types(types)
    building = _BUILDING.__dict__.setdefault("stack", [])
    if any(t is inner for t in building):
        raise AdCompileError(
            f"{describe(inner)} is called inside {inner.func.__name__}() itself (through "
            "the functions it calls): a recursive derivative is not supported",
            inner._def_loc(), hint="call the derivative from another function")
    building.append(inner)
    try:
        build = inner.transform.build(inner, types)
    finally:
        building.pop()
    entry = build.entry
    outs = list(entry.results)
    packaged = inner.transform.call.package(inner, outs[0] if len(outs) == 1 else tuple(outs),
                                            _Shape(len(build.primal.results), build.primal))
    entry.body.terminator.args = flatten(packaged)
    entry.result_tree = shape_of(packaged)
    entry.name = f"{inner.func.__name__}_{inner.transform.name}"
    for p, name in zip(entry.params, inner.params):
        p.hint = name
    entry.derivatives = (describe(inner),) + build.primal.derivatives
    entry.captured = build.primal.captured    # arrays read from outside: parameters after
    entry.result_loc = build.primal.result_loc
    return pipeline.derivative_as_primal(entry)


def describe(t) -> str:
    wrt = ", ".join(t.params[i] for i in t.wrt)
    inside = describe(t.inner) if t.inner is not None else f"{t.func.__name__}"
    return f"{t.transform.name}({inside}, wrt={wrt})"


__all__ = ["check_nestable", "key", "derivative_ir", "describe"]
