"""size_tapes: reserve a loop's tapes once, where their size is known.

The reverse pass reserves room for a `for` loop's records just before the loop (its trip
count). When that loop is nested in another `for` loop and the count does not change from
one outer iteration to the next, the reservation moves out of the outer loop, multiplied by
its trip count; repeated, a tape whose whole size is known on entry to the function is
reserved once at the top, and codegen allocates it at its final size there (np.empty(n))
instead of starting it empty and growing it. A reservation in an `if` arm moves before the
`if` unchanged (room it may not use). While loops stop the climb: their trip count is known
only when they end.
"""
from __future__ import annotations

from ..builder import Builder, const_value
from ..ir import Block, ForOp, Function, IfOp, Op, Rewriter, Value, defined_in, make_op, \
    walk
from ..types import Array


def size_tapes(fn: Function) -> Function:
    reserves: dict = {}
    for op in walk(fn.body):
        if op.name == "tape_reserve":
            reserves.setdefault(op.attrs["group"], []).append(op)
    for ops in reserves.values():
        if len(ops) == 1:
            _hoist(ops[0])
    return fn


def _hoist(reserve: Op) -> None:
    rw = Rewriter()
    while True:
        outer = reserve.parent.owner
        count = reserve.args[0]
        climbs = isinstance(outer, IfOp) or isinstance(outer, ForOp) and not outer.has_exit \
            and not outer.attrs.get("reversed")      # a checkpointed segment's records:
        #                                              room for one segment, used again
        if climbs and defined_in(count, outer):
            count = _invariant_copy(count, outer, rw)
            if count is None:
                break
            reserve.args = [count]
        if isinstance(outer, IfOp) and not defined_in(count, outer):
            rw.erase(reserve)
            rw.insert_before(outer, [reserve])
        elif isinstance(outer, ForOp) and not outer.has_exit and \
                not defined_in(count, outer) and all(not defined_in(b, outer)
                                                       for b in outer.bounds):
            tmp = Block()
            b = Builder(tmp, reserve.loc, "tape")
            total = b.prim("mul", _at_least_0(b, count), _at_least_0(b, b.trip_count(
                outer.bounds)), hint="n_tape")
            rw.erase(reserve)
            reserve.args = [total]
            rw.insert_before(outer, tmp.ops + [reserve])
        else:
            break
    if reserve.parent.owner is None:             # runs once: allocate the final size
        if not _non_negative(reserve.args[0]):
            tmp = Block()
            reserve.args = [_at_least_0(Builder(tmp, reserve.loc, "tape"), reserve.args[0])]
            rw.insert_before(reserve, tmp.ops)
        reserve.attrs["exact"] = True


_PURE_INT = ("dim", "len", "add", "sub", "mul", "neg", "max", "min")   # never raise


def _invariant_copy(v: Value, region_op: Op, rw: Rewriter, depth: int = 0):
    """v computed before region_op from values defined there (a copy of the shape arithmetic
    the loop body repeats: x.shape[0]), or None when v changes inside it."""
    if not defined_in(v, region_op):
        return v
    op = v.owner
    if depth > 8 or not isinstance(op, Op) or op.regions or not (
            op.name == "const" or op.name in _PURE_INT and not isinstance(v.type, Array)):
        return None
    args = []
    for a in op.args:
        a = _invariant_copy(a, region_op, rw, depth + 1)
        if a is None:
            return None
        args.append(a)
    new = make_op(op.name, args, [Value(v.type, v.hint)], op.attrs, loc=op.loc, role="tape")
    rw.insert_before(region_op, [new])
    return new.result


def _non_negative(v: Value) -> bool:
    c = const_value(v)
    if c is not None:
        return c >= 0
    op = v.owner
    if not isinstance(op, Op):
        return False
    if op.name in ("dim", "len", "range_len", "same_size"):
        return True
    if op.name == "max":
        return any(_non_negative(a) for a in op.args)
    return op.name in ("mul", "add") and all(_non_negative(a) for a in op.args)


def _at_least_0(b: Builder, v: Value) -> Value:
    return v if _non_negative(v) else b.prim("max", v, b.const(0))


__all__ = ["size_tapes"]
