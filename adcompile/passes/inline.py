"""Calls inlined: every `call` op replaced by a copy of its callee's body.

A derivative's compiled IR may be a driver calling kernels (drivers.py); another transform
differentiates one function, so the calls are written out first. Each copy gets its own
values and its own tape groups (ir.clone_ops), so a driver that calls one kernel several
times holds several independent copies.
"""
from __future__ import annotations

from ..ir import Block, Function, Rewriter, clone_ops, walk


def inline_calls(fn: Function) -> Function:
    while True:
        calls = [op for op in walk(fn.body) if op.name == "call"]
        if not calls:
            return fn
        for op in calls:
            _inline(fn.body, op)


def _inline(root: Block, op) -> None:
    callee: Function = op.attrs["callee"]
    vmap = {p.id: a for p, a in zip(callee.params, op.args)}
    body = clone_ops(callee.body.ops[:-1], vmap, {})
    rw = Rewriter()
    rw.insert_before(op, body)
    for r, v in zip(op.results, callee.results):
        rw.replace_all_uses(r, vmap[v.id], root)
    rw.erase(op)


__all__ = ["inline_calls"]
