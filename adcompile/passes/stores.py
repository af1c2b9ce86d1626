"""drop_dead_zeroing: an adjoint array's element zeroed after its last read is not written.

The adjoint of `y[i] = v` moves y_bar[i] into v's adjoint and zeroes y_bar[i] (the element
of y before the write gets no adjoint from it). In the loop that writes each element once,
the zero is never read: the loop reads y_bar[i] only at its own index i, once per index,
before zeroing it, and nothing reads y_bar after the loop. This pass drops such stores:

    for i in range(n):              for i in range(n):
        g = y_bar[i]          ->        g = y_bar[i]
        y_bar[i] = 0.0                  ...
        ...

Conditions (each checked): a `for` loop without exits; a carried array whose loop result
nothing reads; in the body, the yielded version is `store(arg, 0.0, *idx)` of the block
argument itself, `idx` contains the loop index (so no two iterations touch one element),
and every other use of the argument is an element read at exactly `idx` before the store.
"""
from __future__ import annotations

from ..builder import const_value
from ..ir import ForOp, Function, Rewriter, walk
from ..types import Array


def drop_dead_zeroing(fn: Function) -> Function:
    uses: dict = {}
    for op in walk(fn.body):
        for a in op.args:
            uses.setdefault(a.id, []).append(op)
    for loop in [op for op in walk(fn.body) if isinstance(op, ForOp) and not op.has_exit]:
        _, args, ys, results = loop.carried
        for k, (a, y, r) in enumerate(zip(args, ys, results)):
            if isinstance(a.type, Array) and not uses.get(r.id) and _dead_zero(loop, a, y, uses):
                store = y.owner
                loop.body.terminator.args[k] = a
                Rewriter.erase(store)
                uses[a.id] = [u for u in uses[a.id] if u is not store]
    return fn


def _dead_zero(loop: ForOp, a, y, uses) -> bool:
    store = y.owner
    if store is None or getattr(store, "name", None) != "store" or store.args[0] is not a \
            or store.parent is not loop.body or const_value(store.args[1]) != 0.0:
        return False
    idx = store.args[2:]
    if not any(v is loop.index for v in idx) or uses.get(y.id, []) != [loop.body.terminator]:
        return False
    at = loop.body.ops.index(store)
    for u in uses.get(a.id, []):
        if u is store:
            continue
        if u.name != "index" or u.parent is not loop.body or len(u.args) != len(idx) + 1 \
                or any(p is not q for p, q in zip(u.args[1:], idx)) \
                or loop.body.ops.index(u) > at:
            return False
    return True


__all__ = ["drop_dead_zeroing"]
