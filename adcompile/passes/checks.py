"""Bounds checks hoisted out of loops.

A checked read or write `x[i]` that runs on every iteration of its innermost loop
`for j in range(lo, hi)` (it sits directly in the loop body; the loop has no break or
return) needs no check per iteration when its index is
- the loop counter j, or j plus a constant c (lo + c a constant >= 0, step 1): one
  `check_range(lo + c, hi + c, len)` before the loop covers every iteration;
- a value from outside the loop (an outer counter, a parameter): one check before the loop,
  made only if the loop runs at all.
The error, when it comes, still names the user's line. Arrays keep their shape through
writes, so an array carried through the loop is checked through its value before the loop.

A view's index `wrap_index(i, n)` (the row `X[i]`) needs no check at all when i is the
counter of a loop over range(lo, n) with a constant lo >= 0, or of the adjoint sweep's
range(n - 1, -1, -1): i is then inside [0, n) whenever the loop runs. A size checked
equal to one from before the loop is read as that one (_sizes_from_outside).
"""
from __future__ import annotations

from ..builder import Builder, const_value
from ..ir import Block, ForOp, Function, LoopOp, Op, Rewriter, Value, defined_in, \
    enclosing_loop, innermost_loop, walk


def hoist_checks(fn: Function) -> Function:
    _drop_counter_wraps(fn)
    _sizes_from_outside(fn)
    done: set = set()
    for op in list(walk(fn.body)):
        if op.name not in ("index", "store") or "where" not in op.attrs or op.role != "primal":
            continue
        loop = enclosing_loop(op.parent)
        if not isinstance(loop, ForOp) or loop.has_exit or const_value(loop.bounds[2]) != 1:
            continue
        arr = _outside(op.args[0], loop)
        if arr is None:
            continue
        first = 2 if op.name == "store" else 1
        safe = set(op.attrs.get("safe", ()))
        lo = const_value(loop.bounds[0])
        for k, idx in enumerate(op.args[first:]):
            shift = _counter_shift(idx, loop)
            if shift is not None and isinstance(lo, int) and lo + shift >= 0:
                kind = ("range", shift)
            elif not defined_in(idx, loop):
                kind = ("at", 0)
            else:
                continue
            key = (id(loop), arr.id, k, idx.id)
            if key not in done:
                done.add(key)
                _insert_check(loop, arr, k, idx, kind, op.attrs["where"])
            safe.add(k)
        if safe:
            op.attrs["safe"] = tuple(sorted(safe))
    return fn


def _drop_counter_wraps(fn: Function) -> None:
    for op in list(walk(fn.body)):
        if op.name == "wrap_index" and _counts_within(op.args[0], op.args[1]):
            Rewriter.replace_all_uses(op.results[0], op.args[0], fn.body)
            Rewriter.erase(op)


def _sizes_from_outside(fn: Function) -> None:
    """same_size(a, b) inside a loop, with a from before the loop and b from inside it (a
    length read back from a record): its users read a, equal to b once the check passed
    (the check stays, for its error). Their shapes are then known before the loop, so the
    arrays made with them can take a buffer (passes/reuse.py)."""
    for op in list(walk(fn.body)):
        if op.name != "same_size":
            continue
        loop = innermost_loop(op)
        if loop is None:
            continue
        outside = [a for a in op.args[:2] if not defined_in(a, loop)]
        if len(outside) == 1 and len(set(map(id, op.args[:2]))) == 2:
            Rewriter.replace_all_uses(op.results[0], outside[0], fn.body)


def _counts_within(i: Value, n: Value) -> bool:
    """Is i a loop counter that stays inside [0, n): range(lo, n) (lo a constant >= 0, step
    1) or range(n - 1, -1, -1)?"""
    block = i.owner
    loop = block.owner if isinstance(block, Block) else None
    if not isinstance(loop, ForOp) or block is not loop.body or i is not loop.index:
        return False
    lo, hi, step = (loop.bounds[0], loop.bounds[1], const_value(loop.bounds[2]))
    start = const_value(lo)
    if step == 1 and hi is n:
        return isinstance(start, int) and not isinstance(start, bool) and start >= 0
    first = lo.owner
    return (step == -1 and const_value(hi) == -1 and isinstance(first, Op)
            and first.name == "sub" and first.args[0] is n and const_value(first.args[1]) == 1)


def _counter_shift(idx: Value, loop: ForOp):
    """c when idx is the loop counter plus a constant c (i, i + 1, i - 2), else None."""
    counter = loop.index
    if idx is counter:
        return 0
    owner = idx.owner
    if isinstance(owner, Op) and owner.name in ("add", "sub") and owner.args[0] is counter:
        c = const_value(owner.args[1])
        if isinstance(c, int) and not isinstance(c, bool):
            return c if owner.name == "add" else -c
    if isinstance(owner, Op) and owner.name == "add" and owner.args[1] is counter:
        c = const_value(owner.args[0])
        if isinstance(c, int) and not isinstance(c, bool):
            return c
    return None


def _outside(arr: Value, loop: Op):
    """A version of arr (same shape) defined before `loop`, or None."""
    for _ in range(64):
        if not defined_in(arr, loop):
            return arr
        owner = arr.owner
        if isinstance(owner, Block) and isinstance(owner.owner, LoopOp):
            carrier = owner.owner
            args = owner.args[carrier.n_index:] if owner is carrier.body else owner.args
            if arr not in args:
                return None
            arr = carrier.inits[args.index(arr)]
        elif isinstance(owner, Op) and owner.name in ("store", "iadd", "copy"):
            arr = owner.args[0]
        else:
            return None
    return None


def _insert_check(loop: ForOp, arr: Value, k: int, idx: Value, kind: str, where: str):
    tmp = Block()
    b = Builder(tmp, loop.loc)
    n = b.prim("dim", arr, b.const(k))
    how, shift = kind
    if how == "range":                        # indices lo + shift ... hi - 1 + shift
        lo, hi = loop.bounds[:2]
        if shift:
            lo, hi = b.prim("add", lo, b.const(shift)), b.prim("add", hi, b.const(shift))
        b.prim("check_range", lo, hi, n, where=where)
    else:
        b.prim("check_at", idx, n, *loop.bounds[:2], where=where)
    Rewriter().insert_before(loop, tmp.ops)
