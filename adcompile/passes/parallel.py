"""Which `prange` loops run on all cores, and how (codegen writes them; docs/parallel.md).

A user's `for i in numba.prange(n)` is a `for` loop marked parallel (attrs parallel=True);
the reverse pass marks its adjoint loop too. Each runs in parallel when nothing in it can
race; otherwise it runs serially, which is always correct:

- the loop itself ("reduce", numba.prange as written): every value it carries is a
  reduction (`total += term`: an add/sub chain from the carried value, which nothing else
  reads) or an array it writes (the user's prange promise: iterations write distinct
  elements, as Numba requires); the records the adjoint reads are scalars of the loop's
  own, stored at the iteration's index instead of a running pointer;
- its adjoint ("chunks"): every value it carries is an accumulator (an adjoint summed with
  add/sub, or an adjoint array updated by += and element +=, through nested loops and
  branches, read by nothing else); the iterations are split in chunks, one per
  prange iteration, each summing into an accumulator of its own, and the chunks' sums are
  added in chunk order afterwards (deterministic for a thread count);
- neither holds another loop's records (their running pointers would race) or array
  records.
"""
from __future__ import annotations

from collections import Counter

from ..builder import const_value
from ..ir import Block, ForOp, IfOp, LoopOp, Op, Value, walk
from ..types import Array

_SUMS = ("add", "sub")                       # scalar accumulation (sub: the first operand)
_ARRAY_SUMS = ("iadd", "index_add")          # in place, the array is the first operand
_WRITES = ("store",) + _ARRAY_SUMS           # a prange loop's own writes to its arrays


def parallel_kind(op: Op) -> str | None:
    """"reduce", "chunks" or None (serial) for a loop (module docstring)."""
    if not isinstance(op, ForOp) or not op.attrs.get("parallel") or op.has_exit \
            or "counter" in op.attrs:
        return None
    adjoint = bool(op.attrs.get("adjoint"))     # the reverse pass's (run backwards, or
    if not _records_ok(op, "tape_load" if adjoint else "tape_store", adjoint):   # forwards
        return None                              # where it commutes: passes/order.py)
    lo, hi, step = op.bounds
    backwards = const_value(hi) == -1 and const_value(step) == -1
    if adjoint and not backwards and (const_value(step) != 1 or any(
            o.name.startswith("tape_") for o in walk(op.body))):
        return None
    if not adjoint and const_value(step) != 1:
        return None
    uses = _uses(op.body)
    _, args, ys, _ = op.carried
    for a, y in zip(args, ys):
        if adjoint and unchanged(y, a) and not isinstance(a.type, Array):
            continue                          # an adjoint read and never changed
        if not _chain(y, a, uses, adjoint):
            return None
    return "chunks" if adjoint else "reduce"


def unchanged(y: Value, arg: Value) -> bool:
    """Is the yield y the carried value arg itself (through ifs whose arms all yield it)?"""
    if y is arg:
        return True
    op = y.owner
    if isinstance(op, IfOp):
        k = op.results.index(y)
        return all(unchanged(blk.terminator.args[k], arg) for blk in op.regions)
    return False


def _records_ok(loop: ForOp, kind: str, adjoint: bool) -> bool:
    """Only the loop's own scalar records: stores (forward) or loads (adjoint)."""
    step_op = "tape_retreat" if adjoint else "tape_advance"
    own = {o.attrs["group"] for o in loop.body.ops if o.name == step_op}
    for o in walk(loop.body):
        if o.name.startswith("tape_"):
            if o.attrs.get("group") not in own or o.name not in (kind, step_op):
                return False
            if o.name == step_op and o.parent is not loop.body:
                return False
            v = o.result if kind == "tape_load" and o.name == kind else \
                (o.args[0] if o.name == kind else None)
            if v is not None and isinstance(v.type, Array):
                return False
    return True


def _uses(block: Block) -> Counter:
    n: Counter = Counter()
    for o in walk(block):
        for a in o.args:
            n[a.id] += 1
    return n


def _chain(y: Value, arg: Value, uses: Counter, adjoint: bool) -> bool:
    """Is y arg plus contributions, with arg and every step between read only by the next
    step? (the adjoint's accumulations; the forward loop's reductions and its own writes)"""
    v = y
    for _ in range(100_000):
        if v is arg:
            return uses[arg.id] == 1
        op = v.owner
        if not isinstance(op, Op):
            return False
        if isinstance(op, LoopOp):
            k = op.results.index(v)
            inits, args, ys, _ = op.carried
            if k >= len(inits) or not _chain(ys[k], args[k], uses, adjoint):
                return False
            v = inits[k]
        elif isinstance(op, IfOp):
            k = op.results.index(v)
            bases = {id(_arm_base(blk.terminator.args[k], blk, uses, adjoint))
                     for blk in op.regions}
            if len(bases) != 1 or None in bases:
                return False
            base = _arm_base(op.regions[0].terminator.args[k], op.regions[0], uses, adjoint)
            if base is None or uses[base.id] != len(op.regions):
                return False
            uses = uses.copy()
            uses[base.id] = 1                 # read once per arm, one arm runs
            v = base
            continue
        else:
            v = _base(op, v, arg, adjoint)
            if v is None:
                return False
        if v is not arg and uses[v.id] != 1:
            return False
    return False


def _arm_base(y: Value, blk: Block, uses: Counter, adjoint: bool):
    """The value from outside the arm blk that its yield y accumulates on, or None."""
    v = y
    for _ in range(100_000):
        owner = v.owner
        inside = isinstance(owner, Op) and owner.parent is blk
        if not inside:
            return v
        if isinstance(owner, LoopOp):          # a loop in the arm accumulating on it
            k = owner.results.index(v)
            inits, args, ys, _ = owner.carried
            if k >= len(inits) or not _chain(ys[k], args[k], uses, adjoint):
                return None
            v = inits[k]
        else:
            v = _base(owner, v, None, adjoint)
        if v is None:
            return None
        if uses[v.id] != 1 and isinstance(v.owner, Op) and v.owner.parent is blk:
            return None
    return None


def _base(op: Op, v: Value, arg, adjoint: bool):
    """The operand op's result v adds to (an accumulation or a prange loop's own write), or
    None; for `add`, the operand that depends on arg when only the second one does."""
    if op.name in _SUMS and not isinstance(v.type, Array):
        a, b = op.args
        return b if op.name == "add" and arg is not None and _reaches(b, arg) and \
            not _reaches(a, arg) else a
    if op.name in _ARRAY_SUMS or (not adjoint and op.name in _WRITES):
        return op.args[0]
    return None


def _reaches(v: Value, target: Value, depth: int = 0) -> bool:
    """Does v depend on target (within a few steps)?"""
    if v is target:
        return True
    op = v.owner
    if depth > 6 or not isinstance(op, Op):
        return False
    return any(_reaches(a, target, depth + 1) for a in op.args)


__all__ = ["parallel_kind", "unchanged"]
