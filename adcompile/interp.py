"""A reference interpreter of the IR on Python values: the test oracle for the frontend and
the passes, independent of code generation. Follows Python's semantics (as jit=False does)."""
from __future__ import annotations

import numpy as np

from .ir import Block, ForOp, Function, IfOp, WhileOp
from .primitives import PRIMS
from .types import ZERO, Array, NUMPY_DTYPE


class _Tapes:
    def __init__(self):
        self.data: dict = {}
        self.pointer: dict = {}


def interpret(fn: Function, args) -> tuple:
    """Run fn on Python values; returns the tuple of its results."""
    env = {p.id: a for p, a in zip(fn.params, args)}
    return tuple(_run(fn.body, env, _Tapes()))


def _zero(t):
    if isinstance(t, Array):
        return np.empty((0,) * t.ndim, dtype=NUMPY_DTYPE[t.dtype].replace("np.", ""))
    return ZERO[t]


def _run(blk: Block, env: dict, tapes: _Tapes) -> list:
    for op in blk.ops:
        name = op.name
        if name in ("yield", "return"):
            return [env[a.id] for a in op.args]
        args = [env[a.id] for a in op.args]
        if name == "const":
            out = [op.attrs["value"]]
        elif name == "undef":
            out = [_zero(op.results[0].type)]
        elif isinstance(op, IfOp):
            out = _run(op.then_block if args[0] else op.else_block, env, tapes)
        elif isinstance(op, ForOp):
            out = _for(op, args, env, tapes)
        elif isinstance(op, WhileOp):
            out = _while(op, args, env, tapes)
        elif name == "call":
            out = list(interpret(op.attrs["callee"], args))
        elif name.startswith("tape_"):
            out = _tape(op, args, tapes)
        elif PRIMS[name].takes_attrs:
            out = [PRIMS[name].impl(*args, **op.attrs)]
        else:
            out = [PRIMS[name].impl(*args)]
        for r, v in zip(op.results, out):
            env[r.id] = v
    raise AssertionError("block without terminator")


def _step(body, block_args, carried, env, tapes, exits):
    """Run one iteration: (new carried values, whether the loop goes on)."""
    for a, v in zip(block_args, carried):
        env[a.id] = v
    ys = _run(body, env, tapes)
    return ys[:len(carried)], not (exits and not ys[-1])


def _for(op, args, env, tapes):
    lo, hi, step, *carried = args
    for i in range(lo, hi, step):
        env[op.index.id] = i
        carried, going = _step(op.body, op.carried_args, carried, env, tapes, op.has_exit)
        if not going:
            break
    return carried


def _while(op, args, env, tapes):
    cond, body = op.cond_block, op.body
    carried = args
    while True:
        for a, v in zip(cond.args, carried):
            env[a.id] = v
        if not _run(cond, env, tapes)[0]:
            break
        carried, going = _step(body, op.carried_args, carried, env, tapes, op.has_exit)
        if not going:
            break
    return carried


def _tape(op, args, tapes: _Tapes):
    g = op.attrs["group"]
    ptr = tapes.pointer.setdefault(g, 0)
    if op.name == "tape_store":
        slot = tapes.data.setdefault((g, op.attrs["slot"]), {})
        slot[ptr] = args[0]
    elif op.name == "tape_load":
        return [tapes.data[(g, op.attrs["slot"])][ptr]]
    elif op.name == "tape_advance":
        tapes.pointer[g] = ptr + 1
    elif op.name == "tape_retreat":
        tapes.pointer[g] = ptr - 1
    return []
