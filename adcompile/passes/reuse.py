"""reuse_buffers: an array made afresh on every iteration of a loop (a work array
`d2 = np.sum((C - P[i]) ** 2, axis=1)`, the adjoint's `d2_bar = np.zeros(k)`) is made once,
before the loop, and each iteration takes that buffer (zero-filled again where it was
np.zeros): no allocation per iteration.

    for i in range(n):                          d2_buf = np.empty(k, np.float64)
        d2 = np.empty(k, np.float64)     ->     for i in range(n):
        ...                                         d2 = d2_buf
                                                    ...

Conditions (each checked):
- the allocation (np.empty, np.zeros, np.ones, np.zeros_like) stands in the body of
  a serial loop (not a prange loop: its iterations run at once);
- its shape is known before the loop: operands defined outside it (a dimension `C.shape[0]`
  read inside the loop of an array from outside is moved before the loop first);
- no reference to the array outlives the iteration: its versions (after in-place writes,
  through inner loops' carries and ifs' results) are only read element by element, measured,
  reduced, written in place, or handed to ops that make new arrays; never carried to the
  next iteration, recorded, returned, passed to a call, or aliased by a view.

It climbs out of directly nested loops while the shape stays known. The IR keeps the
allocation where it was; the function's `reuse` table (alloc op id -> how many loops out)
tells codegen.py to write the buffer before that loop. Passes that copy ops (a derivative
differentiated again, a primal shared by two builds) copy no mark: the table is the
function's, made afresh by this pass, the pipelines' last.
"""
from __future__ import annotations

from ..ir import Block, Function, LoopOp, Op, RegionOp, Rewriter, Value, walk
from ..prims import PRIMS
from ..types import Array

ALLOCS = ("empty", "zeros", "ones", "zeros_like")
_FRESH = ("zeros_like", "copy", "matmul", "outer")   # array results that are new arrays
_MOVABLE = ("const", "dim", "len")          # a constant, a pure read of an array's shape


def reuse_buffers(fn: Function) -> Function:
    """Fills fn.reuse: alloc op id -> (the op, how many loops out its buffer is made)."""
    users: dict = {}
    for op in walk(fn.body):
        for a in op.args:
            users.setdefault(a.id, []).append(op)
    fn.reuse = {}
    for op in [o for o in walk(fn.body) if o.name in ALLOCS]:
        if not _in_body(op.parent) or not _stays_inside(op.result, users):
            continue
        levels = 0
        blk = op.parent
        while _in_body(blk) and _serial(blk.owner) and _known_before(op, blk.owner):
            levels += 1
            blk = blk.owner.parent
        if levels:
            fn.reuse[id(op)] = (op, levels)   # the op held: its id names no other
    return fn


def _in_body(blk) -> bool:
    """Is blk a loop's body (not a while loop's condition, an if's arm, the function's)?"""
    return blk is not None and isinstance(blk.owner, LoopOp) and blk is blk.owner.body


def _serial(loop: LoopOp) -> bool:
    return not loop.attrs.get("parallel")


def _inside(v: Value, loop: LoopOp) -> bool:
    """Is v defined in loop (its body, a nested region, or a block argument of it)?"""
    owner = v.owner
    blk = owner if isinstance(owner, Block) else owner.parent
    while blk is not None:
        if blk.owner is loop:
            return True
        blk = blk.owner.parent if blk.owner is not None else None
    return False


def _known_before(op: Op, loop: LoopOp) -> bool:
    """Are op's operands defined outside loop? A constant or a dimension read inside it of
    an array from outside (directly in the body, before op) moves before the loop."""
    for a in op.args:
        if not _inside(a, loop):
            continue
        d = a.owner
        if not (isinstance(d, Op) and d.name in _MOVABLE and d.parent is loop.body
                and not any(_inside(b, loop) for b in d.args)):
            return False
    for a in op.args:
        d = a.owner
        if isinstance(d, Op) and _inside(a, loop):
            Rewriter.erase(d)
            Rewriter().insert_before(loop, [d])
    return True


def _stays_inside(v: Value, users: dict) -> bool:
    """Is every reference to the array v (and its later versions) gone by the end of the
    iteration that made it? (module docstring)"""
    seen, work = set(), [v]
    while work:
        s = work.pop()
        if s.id in seen:
            continue
        seen.add(s.id)
        for op in users.get(s.id, []):
            if op.name == "yield":
                region = op.parent.owner
                if isinstance(region, LoopOp) and not _within(region, v):
                    return False              # carried to the next iteration of its loop
                work += [d for d, src in region.flows() if src is s]
            elif isinstance(op, RegionOp):    # an inner loop carries it (an init)
                work += [d for d, src in op.flows() if src is s]
            elif op.name not in PRIMS:
                return False                  # return, call, records
            elif PRIMS[op.name].inplace and op.args[0] is s:
                work.append(op.result)        # written in place: a new version
            elif isinstance(op.result.type, Array) and op.name not in _FRESH:
                return False                  # may be a view of it
    return True


def _within(loop: LoopOp, v: Value) -> bool:
    """Is loop nested inside the body that defines v (an inner loop of v's iteration)?"""
    blk = loop.parent
    while blk is not None:
        if blk is v.owner.parent:
            return True
        blk = blk.owner.parent if blk.owner is not None else None
    return False


__all__ = ["ALLOCS", "reuse_buffers"]
