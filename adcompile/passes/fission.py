"""split_vector_math: the exp, log, tanh, ... of a loop that carries a float, computed first
in a loop of their own, which LLVM vectorises.

A loop that sums is not vectorised (reassociating the sum would change it), so its
transcendental calls run one at a time (`math.exp`). Computed into a buffer by a loop that
carries no float, they run eight at a time (`vm.exp`, docs/vecmath.md); the sum then reads
the buffer, adding the same numbers in the same order:

    for i in range(n):                      buf = np.empty(max(n, 0), np.float64)
        t = math.exp(x[i] - m)      ->      for i in range(n):
        s = s + t                               buf[i] = vm.exp(x[i] - m)
                                            for i in range(n):
                                                t = buf[i]
                                                s = s + t

Conditions (each checked):
- a `for` loop of step 1 without exits, not parallel, made by the frontend from an array
  expression (not a loop the user wrote: those may be checkpointed, whose segments must
  compute as the whole loop does), inside no other loop (the buffer is made per run), and
  carrying a float (else it is vectorised as it is);
- the op: a vectorisable math row (f64) in the loop's body, whose operands the body
  computes by pure scalar rows from the loop index, values from outside the loop and
  elements of the function's parameters (which generated code never writes).
The numbers are those of `vm.*` instead of `math.*` (both within 1 ulp of the exact value).
"""
from __future__ import annotations

from ..builder import const_value
from ..ir import Block, ForOp, Function, Op, Rewriter, Value, innermost_loop, make_op, walk
from ..prims import PRIMS
from ..prims.scalar_rows import _VECMATH
from ..types import F64, I64, Array


def split_vector_math(fn: Function) -> Function:
    params = {p.id for p in fn.params}
    for loop in [op for op in walk(fn.body) if isinstance(op, ForOp)]:
        if _eligible(loop):
            found = _candidates(loop, params)
            if found:
                _split(loop, found)
    return fn


def _eligible(loop: ForOp) -> bool:
    if loop.has_exit or const_value(loop.bounds[2]) != 1 or loop.attrs.get("parallel") or \
            "statement" in loop.attrs or "twin" in loop.attrs or "counter" in loop.attrs:
        return False
    if not any(a.type == F64 for a in loop.carried_args):
        return False
    return innermost_loop(loop) is None                   # inside no other loop


def _candidates(loop: ForOp, params: set) -> list:
    """The body's vectorisable math ops computed from what does not change in the loop,
    each with the body ops its operands need (in body order)."""
    body = loop.body
    order = {id(o): k for k, o in enumerate(body.ops)}
    out = []
    for op in body.ops:
        if op.name in _VECMATH and op.result.type == F64 and len(op.results) == 1:
            need: dict = {}
            if all(_free(a, loop, params, need) for a in op.args):
                out.append((op, sorted(need.values(), key=lambda o: order[id(o)])))
    return out


def _free(v: Value, loop: ForOp, params: set, need: dict) -> bool:
    """Is v computable before the loop, per iteration, from the index alone?"""
    if v is loop.index:
        return True
    owner = v.owner
    if owner is loop.body:                     # a carried value
        return False
    if not isinstance(owner, Op) or owner.parent is not loop.body:
        return True                            # from outside the loop
    if id(owner) in need:
        return True
    row = PRIMS.get(owner.name)
    if row is None or row.inplace or row.check or owner.regions or len(owner.results) != 1 \
            or isinstance(v.type, Array) or owner.name.startswith("tape_"):
        return False
    if owner.name == "index" and owner.args[0].id not in params:
        return False                           # an array the function may write
    need[id(owner)] = owner
    return all(_free(a, loop, params, need) for a in owner.args)


def _split(loop: ForOp, found: list) -> None:
    lo, hi, step = loop.bounds
    loc, role = loop.loc, loop.role
    pre = []

    def op(name, args, type_, attrs=None, hint=""):
        o = make_op(name, args, [Value(type_, hint)], attrs, loc=loc, role=role)
        pre.append(o)
        return o.result

    if const_value(lo) == 0:                   # range(hi): max(hi, 0) iterations
        trip = op("max", [hi, op("const", [], I64, {"value": 0})], I64)
    else:
        trip = op("range_len", [lo, hi, step], I64)
    bufs = [op("empty", [trip], Array(F64, 1), {"dtype": "f64"}, hint="vm_buf")
            for _ in found]
    i1 = Value(I64, loop.index.hint)
    args = [Value(b.type, b.hint) for b in bufs]
    ops: list = []
    vmap = {loop.index.id: i1}
    at = i1
    if const_value(lo) != 0:
        at = Value(I64, "")
        ops.append(make_op("sub", [i1, lo], [at], loc=loc, role=role))
    cloned: set = set()
    yields = []
    for (target, need), arg in zip(found, args):
        for o in need + [target]:
            if id(o) in cloned:
                continue
            cloned.add(id(o))
            new = make_op(o.name, [vmap.get(a.id, a) for a in o.args],
                          [Value(r.type, r.hint) for r in o.results], dict(o.attrs),
                          loc=o.loc, role=o.role)
            vmap[o.result.id] = new.result
            ops.append(new)
        stored = Value(arg.type, arg.hint)
        ops.append(make_op("store", [arg, vmap[target.result.id], at], [stored], loc=loc,
                           role=role))
        yields.append(stored)
    ops.append(make_op("yield", yields, [], loc=loc, role=role))
    filled = [Value(b.type, b.hint) for b in bufs]
    first = make_op(ForOp.NAME, [lo, hi, step] + bufs, filled, {}, [Block([i1] + args, ops)],
                    loc=loc, role=role)
    Rewriter().insert_before(loop, pre + [first])
    body = loop.body
    pos = loop.index
    if const_value(lo) != 0:
        pos = Value(I64, "")
        Rewriter.insert_at_start(body, [make_op("sub", [loop.index, lo], [pos], loc=loc,
                                                role=role)])
    for (target, _), buf in zip(found, filled):
        read = make_op("index", [buf, pos], [Value(F64, target.result.hint)], loc=target.loc,
                       role=target.role)
        Rewriter().insert_before(target, [read])
        Rewriter.replace_all_uses(target.result, read.result, body)
        Rewriter.erase(target)
    moved = {id(o) for _, need in found for o in need}
    for o in reversed(list(body.ops)):         # what only the moved ops read (dce is not
        if id(o) in moved and not _read(o.result, body):   # run after the checks)
            Rewriter.erase(o)


def _read(v: Value, body: Block) -> bool:
    return any(a is v for o in walk(body) for a in o.args)


__all__ = ["split_vector_math"]
