"""Dead-code elimination by marking: keeps what the returned values, the user's asserts and
live tapes need.

Loop-carried values, if results and whole region ops are removed when nothing live reads
them. Tapes are live only through their loads: a tape_store survives when a live tape_load
reads the same slot, so the reverse pass may tape eagerly and let this pass drop the rest.
"""
from __future__ import annotations

from ..ir import Block, ForOp, Function, IfOp, LoopOp, Op, Rewriter, Value, WhileOp, walk
from ..prims import PRIMS


class _Marker:
    def __init__(self, fn: Function):
        self.values: set[int] = set()
        self.ops: set[int] = set()
        self.carried: set = set()              # (id(loop op), k)
        self.work: list[Value] = []
        self.stores: dict = {}                 # (group, slot) -> [tape_store ops]
        self.group_ops: dict = {}              # group -> [reserve/advance/retreat ops]
        self.live_slots: set = set()
        self.live_groups: set = set()
        for op in walk(fn.body):
            if op.name == "tape_store":
                self.stores.setdefault((op.attrs["group"], op.attrs["slot"]), []).append(op)
            elif op.name in ("tape_reserve", "tape_advance", "tape_retreat"):
                self.group_ops.setdefault(op.attrs["group"], []).append(op)

    def value(self, v: Value):
        if v.id not in self.values:
            self.values.add(v.id)
            self.work.append(v)

    def op_live(self, op: Op):
        """Mark op as executed-and-needed, with the control it depends on."""
        if id(op) in self.ops:
            return
        self.ops.add(id(op))
        if isinstance(op, IfOp):
            self.value(op.cond)
        elif isinstance(op, ForOp):
            for a in op.bounds:
                self.value(a)
        elif isinstance(op, WhileOp):
            self.value(op.cond_block.terminator.args[0])
        if isinstance(op, LoopOp) and op.has_exit:
            self.value(op.keep_going)
        if not isinstance(op, (IfOp, LoopOp)):
            for a in op.args:
                self.value(a)
        if op.name == "tape_load":
            self.slot((op.attrs["group"], op.attrs["slot"]), op.attrs["group"])
        blk = op.parent
        if blk is not None and blk.owner is not None:
            self.op_live(blk.owner)

    def slot(self, key, group):
        if key in self.live_slots:
            return
        self.live_slots.add(key)
        for st in self.stores.get(key, []):
            self.op_live(st)
        if group not in self.live_groups:
            self.live_groups.add(group)
            for g in self.group_ops.get(group, []):
                self.op_live(g)

    def carry(self, op: Op, k: int):
        if (id(op), k) in self.carried:
            return
        self.carried.add((id(op), k))
        self.op_live(op)
        self.value(op.inits[k])
        self.value(op.body.terminator.args[k])

    def run(self, roots):
        for v in roots:
            self.value(v)
        while self.work:
            v = self.work.pop()
            owner = v.owner
            if isinstance(owner, Op):
                self.op_live(owner)
                k = owner.results.index(v)
                if isinstance(owner, IfOp):
                    for blk in owner.regions:
                        self.value(blk.terminator.args[k])
                elif isinstance(owner, LoopOp):
                    self.carry(owner, k)
            elif isinstance(owner, Block) and owner.owner is not None:
                loop = owner.owner
                k = owner.args.index(v)
                if owner is loop.body and k < loop.n_index:
                    self.op_live(loop)              # the loop index
                    continue
                self.carry(loop, k - (loop.n_index if owner is loop.body else 0))


def dce(fn: Function) -> Function:
    m = _Marker(fn)
    # what runs for the error it may raise (the user's asserts, reads x[i] out of range,
    # products of shapes that do not align, hoisted bounds checks): roots, like the returned
    # values, so a program Python stops with an error stops here too, read or not
    checks = [op.results[0] for op in walk(fn.body)
              if op.name in PRIMS and PRIMS[op.name].runs_for_error(op)]
    m.run(list(fn.body.terminator.args) + checks)
    _sweep(fn.body, m)
    return fn


def _sweep(blk: Block, m: _Marker):
    kept = []
    for op in blk.ops:
        if op.name in ("yield", "return"):
            kept.append(op)
            continue
        if id(op) not in m.ops:
            continue
        if isinstance(op, IfOp):
            Rewriter.keep_results(op, [k for k, r in enumerate(op.results) if r.id in m.values])
        elif isinstance(op, LoopOp):
            Rewriter.keep_carries(op, [k for k in range(len(op.results))
                                       if (id(op), k) in m.carried])
        for region in op.regions:
            _sweep(region, m)
        kept.append(op)
    blk.ops = kept
