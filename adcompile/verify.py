"""IR verifier: scoping (SSA dominance in structured regions), region shapes, types, arities.

Passes must leave the IR verifiable; tests call verify() after every pass.
"""
from __future__ import annotations

from .ir import Block, ForOp, Function, IfOp, LoopOp, Op, WhileOp, has_own_class
from .primitives import PRIMS
from .types import BOOL, I64, Array


class VerifyError(Exception):
    """The IR is malformed: a bug in adcompile, never a user error."""


def verify(fn: Function) -> None:
    _block(fn.body, set(), "return")
    if fn.body.args != fn.params:
        raise VerifyError("function body arguments differ from parameters")


def _fail(op: Op, msg: str):
    raise VerifyError(f"{op.name} at {op.loc}: {msg}")


def _block(blk: Block, seen: set, terminator: str) -> None:
    """Check blk with `seen` the ids visible at its start; the ids it defines are visible
    to its later ops and nested regions, and removed again when it ends (one set for the
    whole function, not a copy per block)."""
    added = []
    try:
        _block_ops(blk, seen, terminator, added)
    finally:
        seen.difference_update(added)


def _define(v, seen: set, added: list) -> None:
    if v.id not in seen:
        seen.add(v.id)
        added.append(v.id)


def _block_ops(blk: Block, seen: set, terminator: str, added: list) -> None:
    for a in blk.args:
        if a.owner is not blk:
            raise VerifyError(f"block argument {a!r} has the wrong owner")
        _define(a, seen, added)
    if not blk.ops or blk.ops[-1].name != terminator:
        raise VerifyError(f"block does not end with {terminator}")
    last = len(blk.ops) - 1
    for i, op in enumerate(blk.ops):
        if op.parent is not blk:
            _fail(op, "op has the wrong parent block")
        if i != last and op.name in ("yield", "return"):
            _fail(op, "terminator in the middle of a block")
        for a in op.args:
            if a.id not in seen:
                _fail(op, f"uses {a!r} before (or outside) its definition")
        _check_op(op, seen)
        for r in op.results:
            if r.owner is not op:
                _fail(op, f"result {r!r} has the wrong owner")
            _define(r, seen, added)


def _types(vals):
    return [v.type for v in vals]


def _kinds(vals):
    """Types up to what is known of array shapes (a call passes arrays of the parameter's
    dtype and rank; the callee may know more of their shape)."""
    return [(v.type.dtype, v.type.ndim) if isinstance(v.type, Array) else v.type for v in vals]


def _check_op(op: Op, seen: set) -> None:
    p = PRIMS.get(op.name)
    if p is not None:                       # most ops: a primitive's row types its result
        if p.arity is not None and len(op.args) != p.arity:
            _fail(op, f"takes {p.arity} arguments, has {len(op.args)}")
        if len(op.results) != 1 or op.results[0].type != p.typing(*op.args, **op.attrs):
            _fail(op, "result type disagrees with the primitive's typing rule")
        return
    if not has_own_class(op):
        _fail(op, "a region op built without ir.make_op (no IfOp/ForOp/WhileOp class)")
    if isinstance(op, IfOp):
        if len(op.regions) != 2 or op.cond.type != BOOL:
            _fail(op, "if needs a bool condition and two regions")
        for blk in op.regions:
            _block(blk, seen, "yield")
            if _types(blk.terminator.args) != _types(op.results):
                _fail(op, "branch yields do not match the if's results")
    elif isinstance(op, LoopOp):
        body, inits, carried = op.body, op.inits, op.carried_args
        if isinstance(op, ForOp) and (len(op.regions) != 1 or _types(op.bounds) != [I64] * 3
                                      or op.index.type != I64):
            _fail(op, "for needs integer bounds and an integer index")
        if _types(inits) != _types(carried) or _types(carried) != _types(op.results):
            _fail(op, "loop-carried types disagree between inits, block args and results")
        _block(body, seen, "yield")
        ys = _types(body.terminator.args)
        want = _types(op.results) + ([BOOL] if op.attrs.get("exit") else [])
        if ys != want:
            _fail(op, f"loop body yields {ys}, expected {want}")
        if isinstance(op, WhileOp):
            cond = op.cond_block
            if _types(cond.args) != _types(carried):
                _fail(op, "while condition block arguments disagree with the carried values")
            _block(cond, seen, "yield")
            if _types(cond.terminator.args) != [BOOL]:
                _fail(op, "while condition must yield one bool")
    elif op.name == "call":
        callee = op.attrs.get("callee")
        if not isinstance(callee, Function):
            _fail(op, "call needs a callee function")
        if _kinds(op.args) != _kinds(callee.params) or \
                _kinds(op.results) != _kinds(callee.results):
            _fail(op, f"arguments or results disagree with {callee.name}'s signature")
    elif op.name not in ("const", "undef", "yield", "return", "tape_reserve", "tape_store",
                         "tape_advance", "tape_retreat", "tape_load"):
        _fail(op, "unknown op")
