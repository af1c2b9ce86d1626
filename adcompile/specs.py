"""The transforms: each is a pipeline (how one specialisation is built, from pipeline.py)
plus a calling convention (calling.py). Transformed (transformed.py) is the one callable
that runs any of them.

    grad = gradient()                        # Transform("grad", _reverse_gradient, Gradient())
    Transformed(f, grad, wrt=0)(1.5)         # what ad.grad(f)(1.5) does

A build takes the Transformed (its func, params, wrt and transform) and the parameter types,
and returns a compiled.Build: the user's IR, the IR to compile (a kernel, or a driver calling
kernels), its name and what it computes.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

from . import calling, pipeline
from .compiled import Build
from .conventions import Conventions
from .docs import doc_path
from .errors import AdCompileError, AdTypeError
from .types import F64, Array, is_float


@dataclass(frozen=True)
class Transform:
    """A transform: `build(t, types) -> Build` for one specialisation, and the calling
    convention mapping a call to the compiled entry. Hashable: transforms of one function
    made alike share compiled code (compiled.shared)."""
    name: str                            # grad, value_and_grad, jvp, jacobian, hvp, ...
    build: Callable
    call: calling.Convention
    conventions: Conventions | None = None    # the derivatives used at kinks
    width: int = 1                       # directions per sweep, where the build chooses none
    mode: str = "reverse"                # how the derivative is swept (reverse, forward)
    memory: int | None = None            # bytes for loop records: checkpointing (reverse)


def _wrt_names(t) -> str:
    """The differentiated parameters as the user names them (params, not its leaves)."""
    return t.wrt_text


def _names(t, primal) -> tuple:
    """The entry's parameter names: the user's, then the arrays the function reads from
    outside (Function.captured: passed at every call)."""
    return tuple(t.params) + tuple(p.hint for p in primal.params[len(t.params):])


def _tangent_names(t, primal, width: int) -> tuple:
    from .passes.forward import tangent_params
    return _names(t, primal) + tuple(tangent_params(t.params, t.wrt, width))


def _check_conventions(conventions):
    if conventions is not None and not isinstance(conventions, Conventions):
        raise AdCompileError(f"conventions={conventions!r}: pass an adcompile.Conventions",
                             hint="e.g. ad.Conventions(relu=1.0, abs=0.0, tie=0.5)")


def _check_mode(mode: str):
    if mode not in ("reverse", "forward"):
        raise AdCompileError(f"mode={mode!r}: choose 'reverse' or 'forward'",
                             hint="reverse mode costs a few primal evaluations whatever "
                                  "the number of inputs; forward mode one per few inputs")


def _primal(t, types):
    """The IR the transform differentiates: the user's function, or for a transform of a
    derivative (t.inner) that derivative's IR (nested.py)."""
    if getattr(t, "inner", None) is None:
        return pipeline.primal(t.func, t.primal_types(types))
    from .nested import derivative_ir
    return derivative_ir(t.inner, types)


def _scalar_output(primal):
    """An error unless primal returns one float; for a derivative, JAX's advice."""
    from .passes.reverse import check_scalar_output
    if primal.derivatives and not (len(primal.results) == 1 and primal.results[0].type == F64):
        outs = primal.results
        what = f"a tuple of {len(outs)} values" if len(outs) != 1 else \
            f"an array ({outs[0].type})" if isinstance(outs[0].type, Array) else \
            f"a {outs[0].type}"
        raise AdTypeError(f"{primal.name}() returns {what}; grad needs a scalar (float) "
                          "output", primal.result_loc or primal.loc,
                          "use jacobian for a derivative of an array or tuple output, or "
                          "hessian of the function itself")
    check_scalar_output(primal, primal.results)


# ---------------------------------------------------------------------------- gradients
def _reverse_gradient(t, types) -> Build:
    primal = _primal(t, types)
    if primal.derivatives:                   # reverse mode does not run over derivative IR
        _scalar_output(primal)
        return _forward(t, types, primal, jacobian=False)
    vg = pipeline.value_and_gradient(primal, t.wrt, t.transform.conventions,
                                     memory=t.transform.memory)
    return Build(primal, vg, f"{primal.name}_vg",
                 f"value and gradient with respect to {_wrt_names(t)}", _names(t, primal))


def _forward(t, types, primal, jacobian: bool) -> Build:
    """The forward-mode gradient, or the Jacobian of a float or array output: the tangent
    kernel and the driver seeding its directions."""
    scalars = all(not isinstance(types[i], Array) for i in t.wrt)
    width = min(len(t.wrt), 8) if scalars else 4
    array_out = len(primal.results) > 1 or isinstance(primal.results[0].type, Array)
    driver = pipeline.forward_derivative(primal, t.wrt, width, list(_names(t, primal)),
                                         t.transform.conventions, jacobian and array_out)
    what = "Jacobian" if jacobian and array_out else "gradient"
    return Build(primal, driver, driver.name,
                 f"tangents along {width} directions per sweep; {driver.name} below is the "
                 f"{what} with respect to {_wrt_names(t)} by forward mode", _names(t, primal))


def _forward_gradient(t, types) -> Build:
    primal = _primal(t, types)
    _scalar_output(primal)
    return _forward(t, types, primal, jacobian=False)


def _directional(t, types) -> Build:
    width = t.transform.width
    primal = _primal(t, types)
    if primal.derivatives:
        raise AdCompileError(f"nonsmooth='directional' of {primal.name}(), which computes "
                             f"a derivative ({', '.join(primal.derivatives)}), is not "
                             "supported", primal.loc, "leave nonsmooth= out: nested "
                             "derivatives use the conventions of " + doc_path("conventions.md"))
    vg = pipeline.directional(primal, t.wrt, t.transform.conventions, width)
    return Build(primal, vg, f"{primal.name}_dir",
                 f"value and gradient with respect to {_wrt_names(t)}, kinks resolved along "
                 "the direction (x_dot, ...)", _tangent_names(t, primal, width))


def gradient(with_value: bool = False, mode: str = "reverse", conventions=None,
             memory=None) -> Transform:
    """grad (value_and_grad with with_value) by reverse or forward mode; memory: a budget
    for the records of the function's loops ("64MB", or bytes), which are checkpointed."""
    _check_mode(mode)
    _check_conventions(conventions)
    build = _reverse_gradient if mode == "reverse" else _forward_gradient
    return Transform("value_and_grad" if with_value else "grad", build,
                     calling.Gradient(with_value), conventions, mode=mode,
                     memory=memory_bytes(memory))


_UNITS = {"": 1, "B": 1, "KB": 10**3, "MB": 10**6, "GB": 10**9, "TB": 10**12,
          "KIB": 2**10, "MIB": 2**20, "GIB": 2**30, "TIB": 2**40}


def memory_bytes(memory) -> int | None:
    """memory= as bytes: None, a positive int (bytes) or a string such as "64MB", "1.5 GiB"."""
    if memory is None:
        return None
    if isinstance(memory, int) and not isinstance(memory, bool) and memory > 0:
        return memory
    if isinstance(memory, str):
        text = memory.strip().upper()
        number = text.rstrip("KMGTIB ")
        unit = text[len(number):].strip()
        try:
            value = float(number) * _UNITS[unit]
        except (KeyError, ValueError):
            value = 0
        if value >= 1:
            return int(value)
    raise AdCompileError(f"memory={memory!r}: give a size such as '64MB' or '1GiB', or bytes",
                         hint="the records of the function's loops are kept within it "
                              "(checkpointing: " + doc_path("checkpointing.md") + ")")


def directional(with_value: bool = False, conventions=None, width: int = 1) -> Transform:
    """grad(f, nonsmooth="directional"): kinks resolved along random directions (width 2:
    a second direction breaks the ties the first leaves)."""
    _check_conventions(conventions)
    return Transform("value_and_grad" if with_value else "grad", _directional,
                     calling.Directional(with_value), conventions, width)


# ---------------------------------------------------------------------------- the function
def _compiled(t, types) -> Build:
    primal = _primal(t, types)
    if primal.derivatives:
        raise AdCompileError("ad.compile of a derivative: call the derivative itself, which "
                             "is compiled", primal.loc)
    return Build(primal, pipeline.compiled(primal), f"{primal.name}_compiled",
                 "the function itself, compiled", _names(t, primal))


def compiled() -> Transform:
    """ad.compile(f): f's own values, through adcompile's code generation."""
    return Transform("compile", _compiled, calling.Primal(), mode="none")


# ---------------------------------------------------------------------------- jvp, jacobian
def _jvp(t, types) -> Build:
    primal = _primal(t, types)
    for r in primal.results:
        if not is_float(r.type):
            raise AdTypeError(f"jvp: {primal.name}() returns a {r.type}; jvp needs float "
                              "or float-array outputs", primal.result_loc or primal.loc)
    tangent = pipeline.tangent(primal, t.wrt, 1)
    return Build(primal, tangent, f"{primal.name}_jvp", "value and tangent (forward mode)",
                 _tangent_names(t, primal, 1))


def jvp() -> Transform:
    return Transform("jvp", _jvp, calling.Jvp(), mode="forward")


def _jacobian_primal(t, types):
    primal = _primal(t, types)
    outs = primal.results
    if not outs or not all(is_float(r.type) for r in outs):
        raise AdTypeError(f"jacobian: {primal.name}() must return a float, a float array "
                          "or a tuple of them", primal.result_loc or primal.loc)
    return primal


def _jacobian_forward(t, types) -> Build:
    return _forward(t, types, _jacobian_primal(t, types), jacobian=True)


def _jacobian_reverse(t, types) -> Build:
    """A vector-Jacobian product: reverse mode of <F(x), w>, w each unit output vector."""
    primal = _jacobian_primal(t, types)
    if primal.derivatives or len(primal.results) > 1:   # derivative IR, a tuple output
        return _forward(t, types, primal, jacobian=True)
    out_t = primal.results[0].type
    if not isinstance(out_t, Array):
        vg = pipeline.value_and_gradient(primal, t.wrt)
        return Build(primal, vg, f"{primal.name}_vjp",
                     "a vector-Jacobian product w^T J (reverse mode)", _names(t, primal))
    if out_t.ndim != 1:
        raise AdTypeError("jacobian(mode='reverse') takes functions returning a float "
                          "or a 1-d array; use mode='forward'", primal.result_loc or primal.loc)
    driver = pipeline.reverse_jacobian(primal, pipeline.primal(t.func, t.primal_types(types)), t.wrt,
                                       list(_names(t, primal)))
    return Build(primal, driver, driver.name,
                 f"the Jacobian with respect to {_wrt_names(t)}: a vector-Jacobian product "
                 "w^T J (reverse mode) per row", _names(t, primal))


def jacobian(mode: str = "reverse") -> Transform:
    _check_mode(mode)
    return Transform("jacobian", _jacobian_reverse if mode == "reverse" else _jacobian_forward,
                     calling.Jacobian(), mode=mode)


# ---------------------------------------------------------------------------- hvp, hessian
def _scalar_primal(t, types):
    primal = _primal(t, types)
    _scalar_output(primal)
    return primal


def _hvp(t, types) -> Build:
    primal = _scalar_primal(t, types)
    if primal.derivatives:                   # forward over forward over its own sweeps
        hv = pipeline.hvp_of_derivative(primal, t.wrt, list(_names(t, primal)))
    else:
        hv = pipeline.hvp(primal, t.wrt)       # <grad f, x_dot>, then H x_dot
    return Build(primal, hv, f"{primal.name}_hvp",
                 "Hessian-vector product H x_dot: the tangent (forward mode) of the gradient "
                 "(reverse mode) along x_dot", _tangent_names(t, primal, 1))


def _hessian(t, types) -> Build:
    primal = _scalar_primal(t, types)
    hessian = pipeline.hessian_of_derivative if primal.derivatives else pipeline.hessian
    driver = hessian(primal, t.wrt, list(_names(t, primal)))
    return Build(primal, driver, driver.name,
                 f"the Hessian with respect to {_wrt_names(t)}: Hessian-vector products "
                 "H e_k (forward over reverse mode), one per unit vector e_k", _names(t, primal))


def hvp() -> Transform:
    return Transform("hvp", _hvp, calling.Hvp(), mode="forward over reverse")


def hessian() -> Transform:
    return Transform("hessian", _hessian, calling.Hessian(), mode="forward over reverse")


__all__ = ["Transform", "compiled", "gradient", "directional", "jvp", "jacobian", "hvp", "hessian"]
