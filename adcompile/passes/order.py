"""Adjoint loops whose iterations commute run forwards.

The reverse sweep runs a loop's adjoint from the last iteration to the first, which a
recurrence needs. Many adjoint loops do not: the adjoint of an elementwise map or of a sum
only accumulates into adjoints (`x_bar[i] += ...`, `w_bar += ...`) and reads values no
iteration changes. Run forwards, such a loop walks memory in the order the hardware
prefetches and the compiler vectorises (on the MLP's 256x256 ReLU adjoint: 1.5-2x faster).

A reversed loop (marked `reversed` by the reverse pass) commutes when every value it carries
is either passed through unchanged (and may then be read) or only accumulated into by
`index_add` / `add` (and never read), nested loops and branches included, and its body has no
other effect (no tape operation, no write to an array it does not accumulate into). Floating
point sums then differ from the reversed order by rounding only.
"""
from __future__ import annotations

from ..builder import const_value
from ..ir import EFFECT_OPS, Block, ForOp, Function, IfOp, Op, Rewriter, Value, WhileOp, walk
from ..primitives import PRIMS
from ..types import I64


def forward_commuting_loops(fn: Function) -> Function:
    for op in list(walk(fn.body)):
        if isinstance(op, ForOp) and op.attrs.get("reversed") and _commutes(op):
            _run_forwards(op)
    return fn


def _commutes(loop: ForOp) -> bool:
    _, args, ys, _ = loop.carried
    origin = {a.id: k for k, a in enumerate(args)}
    seen = _Accumulation(origin)
    if not seen.block(loop.body):
        return False
    for k, y in enumerate(ys):
        if y is not args[k] and seen.origin.get(y.id) != k:
            return False
    return not (seen.read & seen.changed)


class _Accumulation:
    """Which carried slots a loop body reads and which it only accumulates into."""

    def __init__(self, origin: dict):
        self.origin = origin      # value id -> the carried slot it is a version of
        self.read: set = set()
        self.changed: set = set()

    def block(self, blk: Block) -> bool:
        for op in blk.ops:
            if op.name == "yield":
                continue
            if op.name in EFFECT_OPS or isinstance(op, WhileOp):
                return False
            if isinstance(op, ForOp) and not self.nested_loop(op):
                return False
            if isinstance(op, IfOp) and not self.branch(op):
                return False
            if not isinstance(op, (ForOp, IfOp)) and not self.prim(op):
                return False
        return True

    def prim(self, op: Op) -> bool:
        slots = [self.origin.get(a.id) for a in op.args]
        acc = op.name == "index_add" or (op.name == "add" and op.result.type != I64)
        if acc and slots[0] is not None and all(s is None for s in slots[1:]):
            return self.version(op.result, slots[0])
        if op.name == "add" and acc and slots[1] is not None and slots[0] is None:
            return self.version(op.result, slots[1])
        if op.name in PRIMS and PRIMS[op.name].inplace:
            return False          # a write into something it does not accumulate into
        self.read.update(s for s in slots if s is not None)
        return True

    def version(self, v: Value, slot: int) -> bool:
        self.origin[v.id] = slot
        self.changed.add(slot)
        return True

    def nested_loop(self, op: ForOp) -> bool:
        inits, args, ys, results = op.carried
        self.read.update(self.origin[a.id] for a in op.bounds if a.id in self.origin)
        for a, init in zip(args, inits):
            if init.id in self.origin:
                self.origin[a.id] = self.origin[init.id]
        if not self.block(op.body):
            return False
        for init, y, r in zip(inits, ys, results):
            s = self.origin.get(init.id)
            if self.origin.get(y.id) != s:
                return False
            if s is not None:
                self.origin[r.id] = s
        return True

    def branch(self, op: IfOp) -> bool:
        self.read.update(self.origin[a.id] for a in op.args if a.id in self.origin)
        if not all(self.block(arm) for arm in op.regions):
            return False
        for k, r in enumerate(op.results):
            slots = {self.origin.get(arm.terminator.args[k].id) for arm in op.regions}
            if len(slots) != 1:
                return False
            s = slots.pop()
            if s is not None:
                self.origin[r.id] = s
        return True


def _run_forwards(loop: ForOp):
    """for j in range(n - 1, -1, -1) -> for j in range(0, n, 1)."""
    last = loop.bounds[0]
    first = last.owner
    new = [_const(loop, 0), _const(loop, 1)]
    if isinstance(first, Op) and first.name == "sub" and const_value(first.args[1]) == 1:
        n = first.args[0]
    elif isinstance(const_value(last), int):
        new.append(_const(loop, const_value(last) + 1))
        n = new[-1].result
    else:
        new.append(Op("add", [last, new[1].result], [Value(I64)], loc=loop.loc, role=loop.role))
        n = new[-1].result
    Rewriter().insert_before(loop, new)
    loop.bounds = [new[0].result, n, new[1].result]
    del loop.attrs["reversed"]


def _const(loop: Op, c: int) -> Op:
    return Op("const", [], [Value(I64)], {"value": c}, loc=loop.loc, role=loop.role)


__all__ = ["forward_commuting_loops"]
