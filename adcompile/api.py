"""What users call: grad and value_and_grad, compiled and cached per argument-type signature.

Both are Transformed objects (transformed.py) whose Transform (specs.py) is a gradient.
"""
from __future__ import annotations

from . import specs
from .calling import Gradient
from .arguments import arg_type, typed_values, user_function
from .errors import AdCompileError
from .transformed import Transformed
from .docs import doc_path


class _GradFunctionType(type):
    """GradFunction(func, wrt, jit, with_value, mode, conventions) makes the Transformed
    that grad (value_and_grad) makes; isinstance(g, GradFunction) is true of those."""

    def __call__(cls, func, wrt=0, jit: bool = True, with_value: bool = False,
                 mode: str = "reverse", conventions=None):
        return Transformed(func, specs.gradient(with_value, mode, conventions), wrt, jit)

    def __instancecheck__(cls, obj) -> bool:
        return isinstance(obj, Transformed) and isinstance(obj.transform.call, Gradient)


class GradFunction(metaclass=_GradFunctionType):
    """A compiled gradient (or value-and-gradient) of a user function: a Transformed with a
    gradient transform (the name is kept for code that makes or recognises one)."""


def _make(func, wrt, jit, with_value, mode, conventions, nonsmooth, seed, memory=None):
    if nonsmooth is None:
        return Transformed(func, specs.gradient(with_value, mode, conventions, memory), wrt,
                           jit)
    if memory is not None:
        raise AdCompileError("memory= (checkpointing) with nonsmooth='directional' is not "
                             "supported", hint="leave one of them out")
    if nonsmooth != "directional":
        raise AdCompileError(f"nonsmooth={nonsmooth!r}: the one choice is 'directional'",
                             hint="leave it out for the conventions of " + doc_path("conventions.md"))
    if mode != "reverse":
        raise AdCompileError("nonsmooth='directional' is a reverse-mode gradient",
                             hint="leave mode at its default")
    return Transformed(func, specs.directional(with_value, conventions), wrt, jit, seed=seed)


def grad(func=None, *, wrt=0, jit: bool = True, mode: str = "reverse", conventions=None,
         nonsmooth=None, seed: int = 0, memory=None):
    """Gradient of a float-valued function: `@grad`, `@grad(wrt=("a", "b"))` or `grad(f, wrt=1)`.

    With one parameter in wrt (the default: the first) the call returns one float; with a tuple
    it returns a tuple of gradients in that order. `conventions` (an adcompile.Conventions)
    sets the derivatives used at kinks (relu'(0), abs'(0), the share of a max/min tie);
    nonsmooth="directional" resolves kinks along a random direction (seeded by `seed`).
    memory="64MB" keeps what the adjoint of the function's loops records within that budget
    by checkpointing (docs/checkpointing.md).
    """
    if func is None:
        return lambda f: _make(f, wrt, jit, False, mode, conventions, nonsmooth, seed, memory)
    return _make(func, wrt, jit, False, mode, conventions, nonsmooth, seed, memory)


def value_and_grad(func=None, *, wrt=0, jit: bool = True, mode: str = "reverse",
                   conventions=None, nonsmooth=None, seed: int = 0, memory=None):
    """Like grad, but the call returns (value, gradient) from the same compiled sweep."""
    if func is None:
        return lambda f: _make(f, wrt, jit, True, mode, conventions, nonsmooth, seed, memory)
    return _make(func, wrt, jit, True, mode, conventions, nonsmooth, seed, memory)


__all__ = ["grad", "value_and_grad", "GradFunction", "arg_type", "typed_values",
           "user_function"]
