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


def useful_values(fn: Function, outputs: list) -> set[int]:
    """Ids of values the outputs depend on through differentiable primitives, branch results
    and loop-carried values (a backward fixpoint): only these need adjoints. A loop-carried
    value that never reaches the output (a tangent carried for its sign, a counter) gets
    no adjoint carried through the reverse loop."""
    useful = {v.id for v in outputs}
    changed = True

    def mark(v):
        nonlocal changed
        if v.id not in useful:
            useful.add(v.id)
            changed = True

    ops = list(walk(fn.body))
    while changed:
        changed = False
        for op in reversed(ops):
            if op.name in PRIMS:
                if is_differentiable(op.name) and op.results and op.results[0].id in useful:
                    for a in op.args:
                        mark(a)
            elif op.name == "if":
                for k, r in enumerate(op.results):
                    if r.id in useful:
                        for blk in op.regions:
                            mark(blk.terminator.args[k])
            elif op.name in ("for", "while"):
                inits, args, ys, results = loop_carried(op)
                cond_args = op.regions[0].args if op.name == "while" else [None] * len(args)
                for init, a, y, r, c in zip(inits, args, ys, results, cond_args):
                    if r.id in useful or a.id in useful or (c is not None and c.id in useful):
                        mark(init)
                        mark(y)
                        mark(a)
                        mark(r)
    return useful


def conditionally_read(fn: Function) -> set[int]:
    """Ids of values that a path may leave unread: each of their uses is inside a region
    nested below their own block (an if arm, a loop body that may run 0 times), a value
    operand of a select, or an operation (or an if arm's yield) whose result is itself
    conditionally read. On a path that does not read such a value its adjoint is exactly 0,
    and its partials (which may be inf or NaN there: sqrt(-1), exp(800)) must not turn 0
    into NaN: their products are guarded."""
    from ..ir import defining_block
    uses: dict[int, list] = {}               # value id -> results its same-block uses make
    values = {}
    for op in walk(fn.body):
        arm_of = op.parent.owner if op.name == "yield" and op.parent is not None else None
        for k, a in enumerate(op.args):
            values[a.id] = a
            if op.name == "select" and k > 0:
                continue                          # read on one path only
            if op.parent is not defining_block(a):
                continue                          # in a nested region: one path only
            if arm_of is not None and getattr(arm_of, "name", None) == "if":
                results = [arm_of.results[k]]     # read where the if's result is read
            else:
                results = list(op.results) if op.name in PRIMS and len(op.results) == 1 \
                    else None                     # None: read for certain
            uses.setdefault(a.id, []).append(results)
    conditional = set(values) - set(uses)
    changed = True
    while changed:
        changed = False
        for vid, users in uses.items():
            if vid not in conditional and all(
                    r is not None and all(x.id in conditional for x in r) for r in users):
                conditional.add(vid)
                changed = True
    return conditional
