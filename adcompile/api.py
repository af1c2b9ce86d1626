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


def _batched(func, wrt, batch, reduce, jit, with_value, mode, conventions, nonsmooth,
             memory):
    """grad / value_and_grad with batch= (batching.py); as a decorator too."""
    from .batching import batched
    if batch is None:
        raise AdCompileError(f"reduce={reduce!r} needs batch=: the parameters holding one "
                             "sample per row", hint="e.g. batch=('x', 'y'), reduce='sum'")
    make = lambda f: batched(f, wrt, batch, reduce, jit, with_value, mode,  # noqa: E731
                             conventions, nonsmooth, memory)
    return make if func is None else make(func)


def grad(func=None, *, wrt=0, jit: bool = True, mode: str = "reverse", conventions=None,
         nonsmooth=None, seed: int = 0, memory=None, batch=None, reduce=None):
    """Gradient of a float-valued function: `@grad`, `@grad(wrt=("a", "b"))` or `grad(f, wrt=1)`.

    With one parameter in wrt (the default: the first) the call returns one float; with a tuple
    it returns a tuple of gradients in that order. `conventions` (an adcompile.Conventions)
    sets the derivatives used at kinks (relu'(0), abs'(0), the share of a max/min tie);
    nonsmooth="directional" resolves kinks along a random direction (seeded by `seed`).
    memory="64MB" keeps what the adjoint of the function's loops records within that budget
    by checkpointing (docs/checkpointing.md).
    batch=("x", "y"): func is written for one sample and those parameters take one sample
    per row; the call returns per-sample gradients stacked along a new leading axis, or with
    reduce="sum" the gradient of the sum over samples (in parallel: docs/parallel.md).
    """
    if batch is not None or reduce is not None:
        return _batched(func, wrt, batch, reduce, jit, False, mode, conventions, nonsmooth,
                        memory)
    if func is None:
        return lambda f: _make(f, wrt, jit, False, mode, conventions, nonsmooth, seed, memory)
    return _make(func, wrt, jit, False, mode, conventions, nonsmooth, seed, memory)


def value_and_grad(func=None, *, wrt=0, jit: bool = True, mode: str = "reverse",
                   conventions=None, nonsmooth=None, seed: int = 0, memory=None,
                   batch=None, reduce=None):
    """Like grad, but the call returns (value, gradient) from the same compiled sweep
    (with batch=: per-sample values, or their sum with reduce="sum")."""
    if batch is not None or reduce is not None:
        return _batched(func, wrt, batch, reduce, jit, True, mode, conventions, nonsmooth,
                        memory)
    if func is None:
        return lambda f: _make(f, wrt, jit, True, mode, conventions, nonsmooth, seed, memory)
    return _make(func, wrt, jit, True, mode, conventions, nonsmooth, seed, memory)


__all__ = ["grad", "value_and_grad", "GradFunction", "arg_type", "typed_values",
           "user_function"]
