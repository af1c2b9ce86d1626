"""Activity analysis: which float values depend on the parameters we differentiate."""
from __future__ import annotations

from ..ir import Function, loop_carried, walk
from ..primitives import PRIMS, is_differentiable
from ..types import is_float


def active_values(fn: Function, wrt: list, propagates=is_differentiable) -> set[int]:
    """Ids of values that carry derivatives: floats reachable from `wrt` through
    differentiable primitives, branch results and loop-carried values (a fixpoint).
    `propagates(name)` says which primitives pass derivatives on."""
    active = {p.id for p in wrt if is_float(p.type)}
    changed = True

    def mark(v):
        nonlocal changed
        if v.id not in active and is_float(v.type):
            active.add(v.id)
            changed = True

    while changed:
        changed = False
        for op in walk(fn.body):
            if op.name in PRIMS:
                if propagates(op.name) and any(a.id in active for a in op.args):
                    mark(op.result)
            elif op.name == "if":
                for k, r in enumerate(op.results):
                    if any(blk.terminator.args[k].id in active for blk in op.regions):
                        mark(r)
            elif op.name in ("for", "while"):
                inits, args, ys, results = loop_carried(op)
                cond_args = op.regions[0].args if op.name == "while" else [None] * len(args)
                for init, a, y, r, c in zip(inits, args, ys, results, cond_args):
                    if init.id in active or y.id in active:
                        mark(a)
                        mark(r)
                        if c is not None:
                            mark(c)
    return active
