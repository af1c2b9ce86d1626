"""Checkpointing: a loop's adjoint within a memory budget (grad(f, memory="64MB")).

Before the reverse pass, every loop at the top of the function (not inside another loop)
whose trip count is known when it starts is split in segments of sub-segments:

    for i in range(lo, hi, step): body                     # n = len(range(lo, hi, step))
becomes
    M = checkpoint_segment(n, snapshot, sub_snapshot, step_bytes, budget, 1)
    m = checkpoint_segment(n, snapshot, sub_snapshot, step_bytes, budget, 2)
    for s in range((n + M - 1) // M):                      # segments      (remat: none)
        for t in range((len_s + m - 1) // m):              # sub-segments  (remat: level 1)
            for i in range(...): body                      #               (remat: level 2)

A loop marked `remat` is not recorded by the forward sweep; in the adjoint of its
enclosing iteration it runs again from the values it started with (the enclosing loop
records those: one snapshot per iteration) while recording, then sweeps its adjoint
(reverse.py's reverse_remat). The sub-segment loop is itself marked, so a segment runs again
recording only its sub-segments' snapshots, and each sub-segment runs a third time
recording everything. checkpoint_segment (runtime.py) chooses at run time: two levels
(m = M: one sub-segment a segment) while they fit the budget, three below; memory
n/M snapshots + M/m sub-snapshots + m steps of records. The sizes are known once the
reverse pass and dead-code elimination have decided what is recorded: `size_segments`
(after them) writes them into the calls, and `skip_last_subsegment` empties the run of a
segment's last sub-segment in the second run (it computes nothing read: with two levels,
that run costs nothing).

A `while` loop becomes a count and a `for`: the loop runs once without recording to count
its iterations, then as a checkpointed `for` over that count (one more forward run).
Loops that leave early (break, return) are not checkpointed (their records stay whole).
"""
from __future__ import annotations

import dataclasses
import itertools

from ..builder import Builder
from ..ir import Block, ForOp, Function, IfOp, LoopOp, Op, Rewriter, Value, WhileOp, \
    clone_ops, defined_in, make_op, walk
from ..types import BOOL, I64, Array

_keys = itertools.count()


def segment_loops(fn: Function, budget: int) -> Function:
    """A copy of fn whose top-level loops are split in checkpointed segments (module
    docstring)."""
    fn = _copy(fn)
    for op in _top_loops(fn.body):
        if op.has_exit or not op.inits or not op.attrs.get("statement"):
            continue                      # loops NumPy expressions make are not recorded
        if isinstance(op, WhileOp):
            op = _counted(op)
        _schedule(op, budget)
    return fn


def _copy(fn: Function) -> Function:
    params = [Value(p.type, p.hint) for p in fn.params]
    vmap = {old.id: new for old, new in zip(fn.params, params)}
    return dataclasses.replace(fn, params=params,
                               body=Block(params, clone_ops(fn.body.ops, vmap)))


def _top_loops(block: Block):
    for op in list(block.ops):
        if isinstance(op, LoopOp):
            yield op
        elif isinstance(op, IfOp):
            for region in op.regions:
                yield from _top_loops(region)


def _counted(loop: WhileOp) -> ForOp:
    """`while c(x): x = f(x)` as a count of the iterations (the loop run once, recording
    nothing) and `for _ in range(count): x = f(x)` in its place."""
    rw = Rewriter()
    vmap = {v.id: v for v in free_values(loop)}
    counter = clone_ops([loop], vmap)[0]
    zero = make_op("const", [], [Value(I64, "n_steps")], {"value": 0}, loc=loop.loc,
                   role="checkpoint")
    arg, count = rw.add_loop_carry(counter, zero.result, "n_steps")
    tmp = Block()
    nxt = Builder(tmp, loop.loc, "checkpoint").prim("add", arg, 1, hint="n_steps")
    rw.insert_before_terminator(counter.body, tmp.ops)
    rw.yield_new_carry(counter, nxt)
    for op in walk(counter.body):
        op.role = "checkpoint" if op.role == "primal" else op.role
    counter.role = "checkpoint"
    rw.insert_before(loop, [zero, counter])
    b = Builder(Block(), loop.loc, "checkpoint")
    body = loop.body
    Rewriter.add_block_arg(body, Value(I64, "_step"), 0)
    loop.regions = [body]
    new = make_op(ForOp.NAME, [b.const(0), count, b.const(1)] + list(loop.inits),
                  list(loop.results), dict(loop.attrs), [body], loop.loc, loop.role)
    for c in b.block.ops:
        rw.insert_before(loop, [c])
    rw.insert_before(loop, [new])
    rw.erase(loop)
    return new


def _schedule(loop: ForOp, budget: int) -> None:
    """loop in checkpointed segments of sub-segments (module docstring): the schedule's two
    lengths computed before it, at run time, from its trip count and the sizes
    size_segments writes in."""
    key = next(_keys)
    head = Block()
    b = Builder(head, loop.loc, "checkpoint")
    n = b.trip_count(loop.bounds)
    sizes = [b.emit("const", [], [I64], {"value": 0}).result for _ in range(3)]
    lengths = [b.emit("checkpoint_segment", [n, *sizes, b.const(budget), b.const(level)],
                      [I64], {"checkpoint": key}, hints=[hint]).result
               for level, hint in ((1, "n_segment"), (2, "n_subsegment"))]
    Rewriter().insert_before(loop, head.ops)
    _split(loop, lengths[0], key, n, "seg")
    _split(loop, lengths[1], (key, 2), None, "sub")


def _split(loop: ForOp, m: Value, key, n, hint: str) -> ForOp:
    """Replace loop by a loop over its segments of m steps, each running loop over its
    steps; loop is marked `remat` with key, the new loop `segments` (and `remat` with the
    key loop had, when it was itself a segment: then it is one of its sub-segments)."""
    rw = Rewriter()
    lo, hi, step = loop.bounds
    head = Block()
    b = Builder(head, loop.loc, "checkpoint")
    n = n if n is not None else b.trip_count(loop.bounds)
    nseg = b.prim("floordiv", b.prim("add", n, b.prim("sub", m, 1)), m, hint=f"n_{hint}s")
    bounds = [b.const(0), nseg, b.const(1)]
    # the outer loop over segments, carrying what the loop carries
    s = Value(I64, hint)
    carried = [Value(a.type, a.hint) for a in loop.carried_args]
    outer_body = Block([s] + carried)
    ob = Builder(outer_body, loop.loc, "checkpoint")
    k0 = ob.prim("mul", s, m, hint="k0")
    k1 = ob.prim("min", n, ob.prim("add", k0, m), hint="k1")
    start = ob.prim("add", lo, ob.prim("mul", k0, step))
    stop = ob.prim("add", lo, ob.prim("mul", k1, step))
    results = list(loop.results)
    attrs = {"segments": key}
    if "remat" in loop.attrs:
        attrs["remat"] = loop.attrs["remat"]
    outer = make_op(ForOp.NAME, bounds + list(loop.inits),
                    [Value(r.type, r.hint) for r in results], attrs, [outer_body], loop.loc,
                    "checkpoint")
    rw.insert_before(loop, head.ops + [outer])
    rw.erase(loop)
    # the loop itself, over one segment
    loop.args = [start, stop, step] + carried
    loop.attrs["remat"] = key
    outer_body.append(loop)
    inner_results = [Value(r.type, r.hint) for r in results]
    loop.results = []
    for v in inner_results:
        Rewriter.add_result(loop, v)
    outer_body.append(make_op("yield", inner_results, [], loc=loop.loc))
    fn_body = _root(outer)
    for old, new in zip(results, outer.results):
        Rewriter.replace_all_uses(old, new, fn_body)
    return outer


def _root(op: Op) -> Block:
    blk = op.parent
    while blk.owner is not None:
        blk = blk.owner.parent
    return blk


# ---------------------------------------------------------------------------- sizes
def size_segments(fn: Function) -> Function:
    """Write into each checkpoint_segment call the bytes recorded per segment (the outer
    loop's records: the snapshot), per sub-segment (the snapshot a segment run again
    records at the start of each) and per step (the records of a sub-segment run again)."""
    calls = {}
    for op in walk(fn.body):
        if op.name == "checkpoint_segment":
            calls.setdefault(op.attrs["checkpoint"], []).append(op)
    if not calls:
        return fn
    sizes = {key: ([0], [0], [0]) for key in calls}  # snapshot, sub-snapshot, step: bytes, arrays
    outers = {}
    for op in walk(fn.body):
        if isinstance(op, ForOp) and op.attrs.get("segments") in calls:
            outers[op.attrs["segments"]] = op
    for op in walk(fn.body):
        if not isinstance(op, ForOp):
            continue
        if op.attrs.get("segments") in calls:
            _count(op, True, sizes[op.attrs["segments"]][0], op)
        elif op.attrs.get("rematerialised") in outers:
            key = op.attrs["rematerialised"]
            _count(op, True, sizes[key][1], outers[key])
        elif isinstance(op.attrs.get("rematerialised"), tuple) and \
                op.attrs["rematerialised"][0] in outers:
            key = op.attrs["rematerialised"][0]
            _count(op, False, sizes[key][2], outers[key])
    rw = Rewriter()
    for key, ops in calls.items():
        for call in ops:
            tmp = Block()
            b = Builder(tmp, call.loc, "checkpoint")
            for k, (fixed, *arrays) in enumerate(sizes[key]):
                total = b.const(fixed)
                for a in arrays:                  # 8 bytes an element
                    n = b.const(8)
                    for d in range(a.type.ndim):
                        n = b.prim("mul", n, b.prim("dim", a, b.const(d)))
                    total = b.prim("add", total, n)
                call.args[1 + k] = total
            rw.insert_before(call, tmp.ops)
    return fn


def skip_last_subsegment(fn: Function) -> Function:
    """A segment run again in the adjoint sweep runs its sub-segments only to record their
    snapshots: the last one's run computes nothing the adjoint reads (the segment's results
    are not read again). Its steps are skipped (its stop moved to its start), so that a
    segment of one sub-segment (two levels fit the budget) costs no third run."""
    used = {a.id for op in walk(fn.body) for a in op.args}
    for op in list(walk(fn.body)):
        if not (isinstance(op, ForOp) and "rematerialised" in op.attrs and
                isinstance(op.attrs.get("segments"), tuple)) or \
                any(r.id in used for r in op.results):
            continue
        sub = [o for o in op.body.ops if o.attrs.get("remat") == op.attrs["segments"]]
        if len(sub) != 1 or not isinstance(sub[0], ForOp):
            continue
        loop = sub[0]
        tmp = Block()
        b = Builder(tmp, loop.loc, "checkpoint")
        last = b.prim("eq", op.index, b.prim("sub", op.bounds[1], 1))
        lo, hi, step = loop.bounds
        loop.bounds = [lo, b.prim("select", last, lo, hi, hint="k1"), step]
        Rewriter().insert_before(loop, tmp.ops)
    return fn


def _count(loop: ForOp, direct: bool, into: list, outer: ForOp) -> None:
    """Add to `into` ([bytes, arrays...]) what one iteration of loop records: scalars by
    their size; an array by the size of the loop state it records (the outer loop's initial
    value in that position) or, made in the iteration, by its pointer only. direct=True: only
    the loop's own records, else those of loops inside it too (once)."""
    own = {op.attrs["group"] for op in loop.body.ops if op.name == "tape_advance"}
    for op in walk(loop.body):
        if op.name != "tape_store" or (direct and op.attrs["group"] not in own):
            continue
        v = op.args[0]
        if v.type == BOOL:
            into[0] += 1
        elif not isinstance(v.type, Array):
            into[0] += 8
        elif v.owner is loop.body and v in loop.carried_args and \
                isinstance(_at(outer.inits, loop.carried_args.index(v)), Array):
            into.append(outer.inits[loop.carried_args.index(v)])
        else:
            into[0] += 8


def _at(values: list, k: int):
    return values[k].type if k < len(values) else None


def free_values(op: Op) -> list:
    """The values op (its operands and regions) reads from outside it, in first-use order."""
    seen: dict = {}
    for inner in [op] + list(walk_regions(op)):
        for a in inner.args:
            if a.id not in seen and (inner is op or not defined_in(a, op)):
                seen[a.id] = a
    return list(seen.values())


def walk_regions(op: Op):
    for region in op.regions:
        yield from walk(region)


__all__ = ["segment_loops", "size_segments", "skip_last_subsegment", "free_values"]
