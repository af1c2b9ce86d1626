"""skip_zero_adjoints: an iteration of the adjoint sweep whose incoming adjoint is exactly 0
skips its loop (a zero adjoint contributes exactly zero: docs/conventions.md).

The adjoint of `d2 = np.sum((C - P[i]) ** 2, axis=1)` followed by `np.min(d2)` gets a
nonzero d2_bar in one element of k; each element's adjoint is a loop over d:

    for j in range(k):                        for j in range(k):
        g = d2_bar[j]                             g = d2_bar[j]
        for l in range(d):              ->        if g != 0.0:
            C_bar[j, l] += g * (2 * t)                for l in range(d):
                                                          C_bar[j, l] += g * (2 * t)

Conditions (each checked):
- a `for` loop of the adjoint sweep (role adjoint) without exits;
- g: an adjoint's element (`index`, f64, role adjoint) read in its body; what follows it (the guarded part)
  contains a loop (a guard around a few flops would cost a branch and the vectorisation of
  the loop it sits in, and save nothing);
- the guarded part changes the values the loop carries only by adding multiples of g:
  scalars by `add`/`sub`, arrays in place by `iadd`/`index_add`, through loops and ifs;
  it has no other effect (records, stores, calls);
- multiples of g: g, g * x, x * g, -m, m / x, m + m', m - m', gmul(m, x).

So with g == 0 the guarded part would add 0 * x to each accumulator: nothing, in the
convention that a zero adjoint contributes exactly zero (0 * inf and 0 * nan are 0 here,
as in the guarded products `g * d if g != 0.0 else 0.0`).

Only the code that runs gets the guard (the pipelines' last pass): a derivative that is
differentiated again (hvp's forward over reverse, nested derivatives) must see the
contributions, whose derivatives need not vanish where g does; `unguard` takes them out.
"""
from __future__ import annotations

from ..ir import (EFFECT_OPS, Block, ForOp, Function, IfOp, LoopOp, Op, Rewriter, Value,
                  make_op, walk)
from ..primitives import PRIMS
from ..types import BOOL, F64

_GUARD = "zero_skip"                 # the attr marking the if this pass makes


def skip_zero_adjoints(fn: Function) -> Function:
    for loop in [op for op in walk(fn.body) if isinstance(op, ForOp)]:
        if loop.role == "adjoint" and not loop.has_exit and "counter" not in loop.attrs:
            _guard(loop)
    return fn


def _guard(loop: ForOp) -> None:
    body = loop.body
    _, args, ys, _ = loop.carried
    for k, op in enumerate(body.ops[:-1]):
        if op.name != "index" or op.result.type != F64 or op.role != "adjoint":
            continue                          # an adjoint's element, not a primal value
        rest = body.ops[k + 1:-1]
        if not any(isinstance(o, LoopOp) for r in rest for o in walk_op(r)):
            continue
        changed = [j for j, (a, y) in enumerate(zip(args, ys)) if y is not a]
        steps: set = set()
        inside = {id(o) for r in rest for o in walk_op(r)}
        if changed and all(_chain(ys[j], args[j], op.result, inside, steps) for j in changed) \
                and _only_sums(rest, steps):
            _wrap(loop, k, op.result, changed)
            return


def walk_op(op: Op):
    yield op
    for blk in op.regions:
        yield from walk(blk)


def _chain(y: Value, a: Value, g: Value, inside: set, steps: set) -> bool:
    """Is y the value a plus multiples of g, by ops of the guarded part (inside)?"""
    return _back(y, g, inside, steps) is a


def _back(v: Value, g: Value, inside: set, steps: set):
    """Where the chain of additions of multiples of g that ends in v starts: the first value
    not computed by the guarded part, or None when v is computed otherwise."""
    while True:
        op = v.owner
        if not isinstance(op, Op) or id(op) not in inside:
            return v
        if op.name in ("iadd", "index_add") and _multiple(op.args[1], g):
            steps.add(id(op))
            v = op.args[0]
        elif op.name in ("add", "sub") and _multiple(op.args[1], g):
            v = op.args[0]
        elif op.name == "add" and _multiple(op.args[0], g):
            v = op.args[1]
        elif isinstance(op, ForOp) and not op.has_exit:
            inits, bargs, bys, results = op.carried
            n = results.index(v)
            if _back(bys[n], g, inside, steps) is not bargs[n]:
                return None
            v = inits[n]
        elif isinstance(op, IfOp):
            n = op.results.index(v)
            starts = [_back(blk.terminator.args[n], g, inside, steps) for blk in op.regions]
            if starts[0] is None or any(s is not starts[0] for s in starts):
                return None
            v = starts[0]
        else:
            return None


def _multiple(v: Value, g: Value, depth: int = 0) -> bool:
    """Is v g times something (so 0 where g is 0, in the strong-zero convention)?"""
    if v is g:
        return True
    op = v.owner
    if depth > 32 or not isinstance(op, Op):
        return False
    if op.name == "mul":
        return _multiple(op.args[0], g, depth + 1) or _multiple(op.args[1], g, depth + 1)
    if op.name in ("neg", "div", "gmul"):
        return _multiple(op.args[0], g, depth + 1)
    if op.name in ("add", "sub"):
        return all(_multiple(x, g, depth + 1) for x in op.args)
    return False


def _only_sums(rest: list, steps: set) -> bool:
    """Nothing in the guarded part has an effect but the accumulations of the chains."""
    for r in rest:
        for o in walk_op(r):
            if o.name in EFFECT_OPS or o.name in ("call", "return") or (
                    o.name in PRIMS and PRIMS[o.name].inplace and id(o) not in steps):
                return False
    return True


def _wrap(loop: ForOp, k: int, g: Value, changed: list) -> None:
    """Move the body's ops after op k into `if g != 0.0:`; the else arm yields the carried
    values unchanged."""
    body = loop.body
    _, args, ys, _ = loop.carried
    rest = body.ops[k + 1:-1]
    for o in rest:
        Rewriter.erase(o)
    zero = make_op("const", [], [Value(F64, "")], {"value": 0.0}, loc=loop.loc,
                   role="adjoint")
    cond = make_op("ne", [g, zero.result], [Value(BOOL, "")], loc=loop.loc, role="adjoint")
    then = Block([], rest + [make_op("yield", [ys[j] for j in changed], [], role="adjoint")])
    other = Block([], [make_op("yield", [args[j] for j in changed], [], role="adjoint")])
    results = [Value(args[j].type, args[j].hint) for j in changed]
    guard = make_op(IfOp.NAME, [cond.result], results, {_GUARD: True}, [then, other],
                    loc=loop.loc, role="adjoint")
    Rewriter.insert_before_terminator(body, [zero, cond, guard])
    term = body.terminator
    term.args = list(term.args)
    for j, r in zip(changed, results):
        term.args[j] = r


def unguard(fn: Function) -> Function:
    """The guards taken out again (their ops back in the loop body): for a derivative that
    is differentiated again."""
    for op in [o for o in walk(fn.body) if isinstance(o, IfOp) and o.attrs.get(_GUARD)]:
        blk = op.parent
        at = blk.ops.index(op)
        then = op.then_block
        moved = then.ops[:-1]
        for r, v in zip(op.results, then.terminator.args):
            Rewriter.replace_all_uses(r, v, fn.body)
        for o in moved:
            Rewriter.erase(o)
        Rewriter.erase(op)
        Rewriter.insert(blk, at, moved)
    return fn


__all__ = ["skip_zero_adjoints", "unguard"]
