"""Common-subexpression elimination: identical pure primitive ops reuse the first result.

Scoped by structured control flow: an op in a region may reuse an equal op from an enclosing
block that comes before the region, never one from a sibling region. Constants are merged too.
"""
from __future__ import annotations

from ..ir import Block, Function
from ..primitives import PRIMS
from ..types import Array


def cse(fn: Function) -> Function:
    _block(fn.body, {}, {})
    return fn


def _key(op, subst):
    if op.name == "const":
        v = op.attrs["value"]         # 0.0 and -0.0 stay apart, and so do NaNs (by repr)
        return ("const", op.results[0].type, v if v and v == v else repr(v))
    attrs = tuple(sorted((k, repr(v)) for k, v in op.attrs.items() if k != "where")) \
        if op.attrs else ()
    return (op.name, tuple([a.id for a in op.args]), attrs, op.results[0].type)


def _block(blk: Block, table: dict, subst: dict):
    """Values of blk replaced by equal earlier ones in `table` (visible from here); the
    entries blk adds are removed when it ends (one table, not a copy per region)."""
    kept, added = [], []
    for op in blk.ops:
        op.args = [subst.get(a.id, a) for a in op.args]
        # an op making an array makes a new buffer: two equal ones are still two arrays
        pure = (op.name == "const" or op.name in PRIMS and not PRIMS[op.name].inplace) \
            and len(op.results) == 1 and not isinstance(op.results[0].type, Array)
        if pure:
            key = _key(op, subst)
            prev = table.get(key)
            if prev is not None:
                subst[op.results[0].id] = prev
                continue
            table[key] = op.results[0]
            added.append(key)
        for region in op.regions:
            _block(region, table, subst)
        kept.append(op)
    blk.ops = kept
    for key in added:
        del table[key]
