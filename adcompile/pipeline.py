"""The passes and the pipelines built from them: the one place that chains passes.

Every entry point (grad, value_and_grad, the forward-mode gradient, jvp, jacobian, hvp, the
directional and diagnostic builds) asks this module for the IR it compiles; nothing else
runs a pass after another. The frontend hands over raw IR; the derivative passes (reverse,
forward) produce raw IR; the clean-ups below make it what codegen writes.

| pipeline | IR it gives | passes (after the frontend or derivative pass) |
|---|---|---|
| primal | the user's function | simplify |
| compiled | the user's function as ad.compile runs it | simplify, values only, dce, finish |
| value_and_gradient | value and gradient (reverse mode) | simplify, reverse, reverse clean-up, finish |
| tangent | value and tangents along `width` directions | simplify, forward, forward clean-up, finish |
| hvp | H v: forward over reverse | simplify, reverse, reverse clean-up, forward, forward clean-up, finish |
| directional | value and a directional subgradient | simplify, directional tangent, dce, reverse, plain_kinks, reverse clean-up, finish |
| diagnostic | value, gradient and the kink-hit table | simplify, reverse (diagnostics), reverse clean-up, finish |
| forward_derivative | a driver: the gradient or Jacobian by `width` seeded directions per sweep | tangent, then drivers.forward |
| reverse_jacobian | a driver: the Jacobian of a 1-d output, one vector-Jacobian product per row | value_and_gradient of <F, w>, then drivers.rows |
| hessian | a driver: H e_k for each unit vector | hvp, then drivers.hessian |

Drivers are IR functions that `call` the kernel they seed (drivers.py): codegen writes both.

Environment: ADCOMPILE_VERIFY=1 runs `verify()` after every pass (the tests set it);
ADCOMPILE_PRINT_AFTER=pass[,pass...] (or `all`) prints the IR after those passes to stderr
(`adcompile inspect --after PASS` prints it to stdout).
"""
from __future__ import annotations

import os
import sys

from .ir import Function, Rewriter, Value, make_op
from .irprint import format_function
from .passes.checks import hoist_checks
from .passes.cse import cse
from .passes.dce import dce
from .passes.fold import drop_invariant_carries, fold_identities, fold_outer_reads, values_only
from .passes.forward import plain_kinks
from .passes.inline import inline_calls
from .passes.order import forward_commuting_loops
from .passes.stores import drop_dead_zeroing
from .passes.tapes import size_tapes
from .passes.checkpoint import segment_loops, size_segments, skip_last_subsegment
from .passes.reuse import reuse_buffers
from .passes.zeroskip import skip_zero_adjoints, unguard
from .passes.fission import split_vector_math
from .types import Array

PASSES = {
    "cse": cse,                          # one value for repeated pure expressions
    "dce": dce,                          # drop what nothing reads (flags, carried names, tapes)
    "drop_dead_zeroing": drop_dead_zeroing,  # an adjoint element zeroed after its last read
    "drop_invariant_carries": drop_invariant_carries,    # read what a loop never changes
    "fold_identities": fold_identities,  # x * 1.0 -> x
    "fold_outer_reads": fold_outer_reads,  # outer(a, b)[i, j] -> a[i] * b[j]
    "forward_commuting_loops": forward_commuting_loops,  # adjoint loops that commute run forwards
    "hoist_checks": hoist_checks,        # one bounds check before a loop instead of per access
    "inline": inline_calls,              # a driver's calls written out (nested derivatives)
    "plain_kinks": plain_kinks,          # directional relu/abs/max/min back to plain ones
    "size_tapes": size_tapes,            # reserve tapes once, at their final size when known
    "size_segments": size_segments,      # checkpointed loops: the bytes a segment records
    "skip_last_subsegment": skip_last_subsegment,   # ... no run whose results nothing reads
    "skip_zero_adjoints": skip_zero_adjoints,  # an adjoint iteration whose adjoint is 0 skips
    "split_vector_math": split_vector_math,  # a summing loop's exp/log/... vectorised first
    "reuse_buffers": reuse_buffers,      # an array made in each iteration: one buffer
    "unguard": unguard,                  # ... not in a derivative differentiated again
    "values_only": values_only,          # no derivative: ops kept for one are their values
}
SIMPLIFY = ("cse", "fold_identities", "dce")
REVERSE_CLEANUP = ("cse", "drop_dead_zeroing", "drop_invariant_carries", "fold_identities", "dce",
                   "fold_outer_reads", "forward_commuting_loops", "dce", "size_tapes",
                   "size_segments", "skip_last_subsegment")
FORWARD_CLEANUP = ("cse", "dce")
FINISH = ("hoist_checks", "dce", "skip_zero_adjoints", "split_vector_math", "reuse_buffers")

# passes that print their output when asked, besides those of PASSES
STAGES = ("frontend", "checkpoint", "reverse", "forward", "directional", "driver")

_printed: list | None = None             # inspect --after collects here instead of stderr


def _watch(stage: str, fn: Function) -> Function:
    """After a pass: verify (ADCOMPILE_VERIFY), print (ADCOMPILE_PRINT_AFTER)."""
    if os.environ.get("ADCOMPILE_VERIFY", "") not in ("", "0"):
        from .verify import verify
        verify(fn)
    wanted = os.environ.get("ADCOMPILE_PRINT_AFTER", "")
    if wanted and (wanted == "all" or stage in wanted.split(",")):
        text = f"# IR after {stage}\n{format_function(fn)}\n"
        if _printed is not None:
            _printed.append(text)
        else:
            sys.stderr.write(text)
    return fn


def run(names, fn: Function) -> Function:
    """Apply the named passes in order (verifying and printing as asked)."""
    for name in names:
        fn = _watch(name, PASSES[name](fn))
    return fn


# ---------------------------------------------------------------------------- pipelines
def primal(func, types: list) -> Function:
    """The user's function for these parameter types, simplified."""
    from .frontend import build_function
    return run(SIMPLIFY, _watch("frontend", build_function(func, list(types))))


def compiled(fn: Function) -> Function:
    """The user's function itself as adcompile writes it (checks hoisted, loops over
    transcendental functions vectorised, buffers reused): ad.compile."""
    return run(("values_only", "dce") + FINISH, fn)


def value_and_gradient(fn: Function, wrt: list, conventions=None,
                       diagnostics: bool = False, memory: int | None = None) -> Function:
    """The fused value-and-gradient function of primal IR fn (diagnostics: the kink-hit
    table as an extra parameter and result; memory: a budget in bytes for the records of
    the top-level loops, which are then checkpointed: passes/checkpoint.py)."""
    from .passes.reverse import reverse
    if memory is not None:
        fn = _watch("checkpoint", segment_loops(fn, memory))
    vg = _watch("reverse", reverse(fn, list(wrt), conventions, diagnostics))
    return run(REVERSE_CLEANUP + FINISH, vg)


def tangent(fn: Function, wrt: list, width: int = 1, conventions=None) -> Function:
    """fn and its tangents along `width` directions per differentiated parameter."""
    from .passes.forward import forward
    return run(FORWARD_CLEANUP + FINISH, _watch("forward", forward(fn, list(wrt), width,
                                                                    conventions)))


def hvp(fn: Function, wrt: list) -> Function:
    """H x_dot for float-valued fn: the tangent (forward mode) of the gradient (reverse
    mode) along x_dot; returns 0.0 where <grad f, x_dot> would be (its callers read only
    what follows: dce drops the forward sweep's tangents only it needed), then H x_dot per
    parameter."""
    from .passes.forward import forward
    from .passes.reverse import reverse
    vg = run(REVERSE_CLEANUP, _watch("reverse", reverse(fn, list(wrt))))
    hv = _watch("forward", forward(vg, list(wrt), 1))
    ret = hv.body.ops[-1]
    kept = ret.args[1 + len(wrt):]           # (value, gradient, value_dot, gradient_dot)
    unread = make_op("const", [], [Value(kept[0].type, "unread")], {"value": 0.0},
                     loc=ret.loc)
    Rewriter().insert_before(ret, [unread])
    ret.args = [unread.result] + kept[1:]
    return run(FORWARD_CLEANUP + FINISH, hv)


def directional(fn: Function, wrt: list, conventions=None, width: int = 1) -> Function:
    """Value and gradient whose kinks are resolved along `width` directions (parameters
    x_dot, ...): see passes.forward.directional_tangent."""
    from .passes.forward import directional_tangent
    from .passes.reverse import reverse
    steered = run(("dce",), _watch("directional", directional_tangent(
        fn, list(wrt), conventions, width)))
    vg = _watch("reverse", reverse(steered, list(wrt), conventions))
    return run(("plain_kinks",) + REVERSE_CLEANUP + FINISH, vg)


def derivative_as_primal(entry: Function) -> Function:
    """A derivative's compiled IR (a kernel, or a driver calling kernels) as one function
    another transform differentiates (nested derivatives, docs/nested.md): its calls
    inlined, simplified."""
    return run(("unguard", "inline") + SIMPLIFY, entry)


# ---------------------------------------------------------------------------- drivers
def forward_derivative(fn: Function, wrt: list, width: int, names: list, conventions=None,
                       jacobian: bool = False) -> Function:
    """The forward-mode gradient (or Jacobian) of fn: a driver seeding `width` unit
    directions per sweep of the tangent kernel (parameter names: names)."""
    from . import drivers
    kernel = tangent(fn, wrt, width, conventions)
    return _watch("driver", drivers.forward(fn, kernel, list(wrt), width, names, jacobian))


def reverse_jacobian(fn: Function, again: Function, wrt: list, names: list) -> Function:
    """The Jacobian of fn (a 1-d output) by reverse mode: a driver running the
    vector-Jacobian product of <F(x), w> once per output. `again`: another build of fn,
    which becomes that product (fn itself is the driver's first call, for the value)."""
    from . import drivers
    vjp = value_and_gradient(drivers.dot_output(again), wrt)
    return _watch("driver", drivers.rows(fn, vjp, list(wrt), names))


def hessian(fn: Function, wrt: list, names: list) -> Function:
    """The Hessian of float-valued fn with respect to parameter wrt[0]: a driver running
    the Hessian-vector product once per unit vector."""
    from . import drivers
    return _watch("driver", drivers.hessian(fn, hvp(fn, wrt), list(wrt), names))


def hvp_of_derivative(fn: Function, wrt: list, names: list) -> Function:
    """hvp for fn that is itself a derivative (reverse mode does not run over one): the
    tangent along x_dot of its forward-mode gradient; returns <grad f, x_dot>, then H x_dot
    per parameter, like hvp."""
    from .passes.forward import forward
    scalars = all(not isinstance(fn.params[i].type, Array) for i in wrt)
    width = min(len(wrt), 8) if scalars else 4
    grad = derivative_as_primal(forward_derivative(fn, wrt, width, names))
    hv = _watch("forward", forward(grad, list(wrt), 1))
    ret = hv.body.ops[-1]
    ret.args = ret.args[1 + len(wrt):]
    return run(FORWARD_CLEANUP + FINISH, hv)


def hessian_of_derivative(fn: Function, wrt: list, names: list) -> Function:
    """The Hessian of float-valued fn that is itself a derivative: the driver of hessian
    over hvp_of_derivative (forward over forward over its own sweeps)."""
    from . import drivers
    return _watch("driver", drivers.hessian(fn, hvp_of_derivative(fn, wrt, names),
                                            list(wrt), names))


class collect_prints:
    """`with collect_prints() as texts:` gathers ADCOMPILE_PRINT_AFTER's output."""

    def __enter__(self) -> list:
        global _printed
        self.saved, _printed = _printed, []
        return _printed

    def __exit__(self, *exc):
        global _printed
        _printed = self.saved


__all__ = ["PASSES", "STAGES", "run", "primal", "value_and_gradient", "tangent", "hvp",
           "directional", "forward_derivative", "reverse_jacobian", "hessian", "derivative_as_primal",
           "hvp_of_derivative", "hessian_of_derivative", "collect_prints"]
