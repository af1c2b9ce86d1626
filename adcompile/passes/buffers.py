"""Which array values share a buffer: the analyses behind in-place writes.

The generated code updates arrays in place, and a region op hands its operand's buffer on:
an `if` result is one of the arms' yields, a loop's block argument is its init or the previous
iteration's yield, its result the last yield. `sharing_edges` lists those hand-overs; the two
analyses below follow them.
"""
from __future__ import annotations

from ..ir import Function, RegionOp, walk
from ..types import Array

_WRITES = ("store", "iadd", "index_add")      # primitives updating their first operand


def sharing_edges(fn: Function):
    """(value, earlier value) pairs: `value` may be the buffer of `earlier`."""
    for op in walk(fn.body):
        if isinstance(op, RegionOp):
            yield from op.flows()


def mutable_array_versions(fn: Function) -> set:
    """Ids of array values whose buffer is written after they are made.

    A version's elements can be re-read in the adjoint sweep only if no later write reaches
    its buffer. A version is mutable when it is the array a write updates, or when it flows
    (as a loop's initial or yielded value, a branch's yielded value) into a mutable version."""
    feeds: dict = {}                      # value id -> values sharing its buffer before it
    for v, earlier in sharing_edges(fn):
        feeds.setdefault(v.id, []).append(earlier)
    work = [op.args[0] for op in walk(fn.body) if op.name in _WRITES]
    mutable: set = set()
    while work:
        v = work.pop()
        if v.id in mutable or not isinstance(v.type, Array):
            continue
        mutable.add(v.id)
        work.extend(feeds.get(v.id, []))
    return mutable


def written_array_objects(fn: Function) -> set:
    """Ids of array values belonging to an object that is written somewhere (a `store` or
    an `iadd`): the values connected to a written one by sharing edges."""
    parent: dict = {}

    def find(i):
        while parent.get(i, i) != i:
            parent[i] = parent.get(parent[i], parent[i])
            i = parent[i]
        return i

    def union(a, b):
        parent.setdefault(a.id, a.id)
        parent.setdefault(b.id, b.id)
        ra, rb = find(a.id), find(b.id)
        if ra != rb:
            parent[ra] = rb
    stores = []
    for op in walk(fn.body):
        if op.name in ("store", "iadd"):
            union(op.results[0], op.args[0])
            stores.append(op.results[0])
    for v, earlier in sharing_edges(fn):
        if isinstance(v.type, Array):
            union(v, earlier)
    written = {find(s.id) for s in stores}
    return {v for v in parent if find(v) in written}


__all__ = ["sharing_edges", "mutable_array_versions", "written_array_objects"]
