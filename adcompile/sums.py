"""Partial sums: a NumPy expression's loop that adds into a float runs in four lanes.

`np.sum(np.exp(x - a))` becomes a loop `s = s + e` whose additions each wait for the last
(4 cycles of latency an element, where the loads and the arithmetic take one). NumPy's own
np.sum adds in pairs over unrolled blocks; XLA reassociates. codegen writes such a loop
with the body four times per step, each adding into its own running sum (the first starts
from the loop's initial value, the others from 0), the four added pairwise after it, and
the remaining iterations after that, one at a time:

    s_1 = s_2 = s_3 = 0.0                       for i in range(n):
    for q in range(len(range(0, n)) // 4):          s = s + f(x[i])
        i = 4 * q                               ->
        s = s + f(x[i])                         (written as on the left)
        i = 4 * q + 1
        s_1 = s_1 + f(x[i])
        ...
    s = (s + s_1) + (s_2 + s_3)
    for i in range(4 * (n // 4), n):
        s = s + f(x[i])

Iterations still run in their order (a check raises at the iteration it raised at); only
the sums are reassociated, as NumPy's np.sum does (its pairwise sums). Which loops
(`accumulators`):
- loops NumPy expressions make and their adjoints, not loops the user wrote
  (`statement`) nor their adjoints (`of_statement`): a user's `s = s + ...` keeps Python's
  order (and a checkpointed loop's adjoint runs in segments: the sums must not depend on
  where a segment starts);
- `for` loops with a constant step, no early exit, not parallel, inside no other loop (a
  reduction per iteration of an outer loop is short: kmeans' 8 coordinates; there the
  copies cost compile time, +29% on kmeans' and lse's, for nothing), no loop or branch in
  the body, at most MAX_BODY operations (the body is written five times), that only compute:
  no records for the adjoint, no writes into arrays (an adjoint's loop, the forward sweep's
  recording loops: measured no faster in lanes, and five copies compile slower);
- a carried float counts when the body's last value for it is `s + v`, `v + s` or `s - v`
  with s read nowhere else and that sum read by nothing but the loop's yield.
"""
from __future__ import annotations

from .builder import const_value
from .ir import ForOp, Op, RegionOp, innermost_loop
from .prims import PRIMS
from .types import F64

LANES = 4
MAX_BODY = 24


_START = {"add": "0.0", "sub": "0.0", "npmax": "-math.inf", "npmin": "math.inf"}
_JOIN = {"add": "({0} + {1}) + ({2} + {3})", "sub": "({0} + {1}) + ({2} + {3})",
         "npmax": "np.maximum(np.maximum({0}, {1}), np.maximum({2}, {3}))",
         "npmin": "np.minimum(np.minimum({0}, {1}), np.minimum({2}, {3}))"}


def accumulators(op: ForOp) -> list[tuple[int, str]]:
    """(position, how it accumulates) of the carried values op runs in lanes (module
    docstring); [] for none."""
    if op.has_exit or op.attrs.get("parallel") or "statement" in op.attrs or \
            "of_statement" in op.attrs or const_value(op.bounds[2]) is None or \
            innermost_loop(op) is not None:
        return []
    body = op.body.ops
    if len(body) > MAX_BODY + 1 or any(
            isinstance(o, RegionOp) or o is not op.body.terminator and
            (o.name not in PRIMS or PRIMS[o.name].inplace) for o in body):
        return []                            # records, writes: measured no faster
    uses: dict = {}
    for o in body:
        for a in o.args:
            uses[a.id] = uses.get(a.id, 0) + 1
    _, args, ys, _ = op.carried
    found = []
    for k, (a, y) in enumerate(zip(args, ys)):
        add = y.owner
        if a.type != F64 or not isinstance(add, Op) or add.parent is not op.body \
                or uses.get(a.id) != 1 or uses.get(y.id) != 1:
            continue                          # y's one use: the yield
        if add.name in ("add", "npmax", "npmin") and a in add.args and \
                add.args[0] is not add.args[1] or \
                add.name == "sub" and add.args[0] is a and add.args[1] is not a:
            found.append((k, add.name))
    return found


def emit(em, op: ForOp, depth: int, lanes: list[tuple[int, str]],
         bounds: tuple[str, str, str]):
    """Write op in lanes (module docstring) with Emitter em, at depth."""
    _, args, _, _ = op.carried
    lo, hi, step = bounds
    st = const_value(op.bounds[2])
    em.emit(depth, f"# partial sums: {LANES} iterations a step, each adding into its own sum")
    carried = {em.name(a) for a in args}     # read again after the lanes: by a name the
    if not _stays(lo, carried):               # body cannot change
        lo, text = em.names.fresh("lo"), lo
        em.emit(depth, f"{lo} = {text}")
    if not _stays(hi, carried):
        hi, text = em.names.fresh("hi"), hi
        em.emit(depth, f"{hi} = {text}")
    quads = em.names.fresh("n_quads")
    em.emit(depth, f"{quads} = " + (f"{hi} // {LANES}" if lo == "0" and st == 1 else
                                     f"len(range({lo}, {hi}, {step})) // {LANES}"))
    accs = [args[k] for k, _ in lanes]
    extra = [[em.names.fresh(f"{em.name(a)}_{j}") for a in accs] for j in range(1, LANES)]
    for names in extra:
        em.emit(depth, ", ".join(names) + " = " + ", ".join(_START[how] for _, how in lanes))
    q = em.names.fresh("q")
    index = em.name(op.index)
    em.emit(depth, f"for {q} in range({quads}):")
    for j in range(LANES):
        em.emit(depth + 1, f"{index} = " + _affine(lo, LANES * st, q, j * st))
        if j == 0:
            em.loop_body(op, op.body, args, depth + 1)
            continue
        roots = [em.names.find(a) for a in accs]
        saved = [em.names.name[r.id] for r in roots]
        for r, lane in zip(roots, extra[j - 1]):
            em.names.name[r.id] = lane
        start = len(em.lines)
        em.loop_body(op, op.body, args, depth + 1)
        em.lines[start:] = [line for line in em.lines[start:]    # the first copy's
                            if not line.lstrip().startswith("#")]   # comments say it
        for r, name in zip(roots, saved):
            em.names.name[r.id] = name
    for k, (a, (_, how)) in enumerate(zip(accs, lanes)):
        s = [em.name(a)] + [names[k] for names in extra]
        em.emit(depth, f"{s[0]} = " + _JOIN[how].format(*s))
    start = _affine(lo, LANES * st, quads, 0)
    em.emit(depth, f"for {index} in range({start}, {hi}" + (")" if st == 1 else f", {step})")
            + ":")
    em.loop_body(op, op.body, args, depth + 1)


def _affine(lo: str, scale: int, q: str, offset: int) -> str:
    """The text of lo + scale * q + offset."""
    text = "" if lo == "0" else lo
    term = f"{abs(scale)} * {q}"
    text = (f"{text} - {term}" if scale < 0 else f"{text} + {term}") if text else \
        (f"-{term}" if scale < 0 else term)
    if offset:
        text += f" - {-offset}" if offset < 0 else f" + {offset}"
    return text


def _stays(text: str, carried: set) -> bool:
    """Does the bound's text read the same after the loop's body ran: a literal, or a name
    the body does not assign?"""
    return text.lstrip("-").isdigit() or text.isidentifier() and text not in carried


__all__ = ["accumulators", "emit", "LANES", "MAX_BODY"]
