"""Activity analysis: which float values depend on the parameters we differentiate."""
from __future__ import annotations

from ..ir import Function, IfOp, LoopOp, RegionOp, WhileOp, defining_block, enclosing_loop, walk
from ..primitives import PRIMS, is_differentiable
from ..types import F64, is_float


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
            elif isinstance(op, RegionOp):
                for v, source in op.flows():
                    if source.id in active:
                        mark(v)
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
            elif isinstance(op, IfOp):
                for k, r in enumerate(op.results):
                    if r.id in useful:
                        for blk in op.regions:
                            mark(blk.terminator.args[k])
            elif isinstance(op, LoopOp):
                inits, args, ys, results = op.carried
                cond_args = op.cond_block.args if isinstance(op, WhileOp) else [None] * len(args)
                for init, a, y, r, c in zip(inits, args, ys, results, cond_args):
                    if r.id in useful or a.id in useful or (c is not None and c.id in useful):
                        mark(init)
                        mark(y)
                        mark(a)
                        mark(r)
    return useful


def conditionally_read(fn: Function) -> set[int]:
    """Ids of values that a path may leave unread. A use leaves its operand possibly unread
    when it is inside a region nested below the operand's block (an if arm, a loop body that
    may run 0 times), a value operand of a select, a value written into an array (the
    element's adjoint is 0 when nothing reads it), an operation or an if arm's yield whose
    result is itself possibly unread, or a loop's initial or yielded value when the loop's
    block argument or result is possibly unread (0 iterations, the last iteration). A value
    is possibly unread when all its uses are such. On a path that does not read such a
    value its adjoint is exactly 0, and its partials (inf or NaN there: sqrt(-1), exp(800))
    must not turn 0 into NaN: their products are guarded."""
    uses: dict[int, list] = {}     # value id -> per use: None (read), ("all"|"any", values)
    values = {}
    for op in walk(fn.body):
        for v in op.results + [a for blk in op.regions for a in blk.args]:
            values[v.id] = v                      # a value nothing reads is unread
        owner = op.parent.owner if op.name == "yield" and op.parent is not None else None
        carried = _carried_slots(op)
        for k, a in enumerate(op.args):
            values[a.id] = a
            if op.name == "select" and k > 0 or op.name in _WRITES and k == 1 or \
                    op.name == "array_of":
                continue                          # read on one path, or as an element
            if op.parent is not defining_block(a):
                continue                          # in a nested region: one path only
            if isinstance(owner, IfOp):
                use = ("all", [owner.results[k]])  # read where the if's result is read
            elif owner is not None and enclosing_loop(op.parent) is owner:
                use = _next_readers(owner, k)     # the next iteration's argument, or result
            elif k in carried:
                use = _next_readers(op, carried[k], first=True)
            elif op.name in PRIMS and len(op.results) == 1:
                use = ("all", list(op.results))
            else:
                use = None                        # read for certain
            uses.setdefault(a.id, []).append(use)
    conditional = set(values) - set(uses)
    changed = True
    while changed:
        changed = False
        for vid, users in uses.items():
            if vid not in conditional and all(u is not None and (
                    all if u[0] == "all" else any)(x.id in conditional for x in u[1])
                    for u in users):
                conditional.add(vid)
                changed = True
    return conditional


_WRITES = ("store", "index_add", "iadd", "full")


def _carried_slots(op) -> dict:
    """For a loop op: operand index -> carried slot of its initial values."""
    if isinstance(op, LoopOp):
        return {op.n_bounds + k: k for k in range(len(op.inits))}
    return {}


def _next_readers(loop, k: int, first: bool = False):
    """A loop's initial (first=True) or yielded value of slot k is read where the loop's
    block argument (the next iteration) or its result (no further iteration) is read."""
    args = loop.carried_args
    if k >= len(args):                            # a loop's keep-going flag
        return None
    targets = [args[k], loop.results[k]]
    if isinstance(loop, WhileOp):
        targets.append(loop.cond_block.args[k])  # read by the condition
    return ("any", targets)


def suspect_values(fn: Function, conditional: set) -> set[int]:
    """Ids of values that may be inf or NaN although every value the path reads is finite:
    results of rows without finite partials (sqrt of a negative, exp overflowing, 1/0) that
    the path may leave unread, and whatever is computed from such values (through any op,
    a branch or a loop). An op whose result may be unread needs guarded adjoint products
    only if a partial can be non-finite: its row's, or a suspect operand's."""
    suspect: set[int] = set()
    changed = True
    while changed:
        changed = False
        for op in walk(fn.body):
            flows = []                           # (value, the values it is made from)
            if op.name in PRIMS and len(op.results) == 1:
                r = op.results[0]
                if r.id in conditional and r.type == F64 and PRIMS[op.name].partials is \
                        not None and not PRIMS[op.name].finite_partials:   # scalar math
                    flows.append((r, None))      # (reads and array ops move values only)
                flows.append((r, op.args))
            elif isinstance(op, RegionOp):
                flows += [(v, [source]) for v, source in op.flows()]
            for v, sources in flows:
                if v.id not in suspect and (sources is None or
                                            any(s.id in suspect for s in sources)):
                    suspect.add(v.id)
                    changed = True
    return suspect
