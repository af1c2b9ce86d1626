"""Clean-ups of the adjoint IR that save memory traffic.

- Values a `for` loop carries unchanged (it yields its argument back) are read from outside
  instead: the reverse pass carries every outer adjoint through a loop in case the loop
  accumulates into it, and many are only read.
- An outer product read only element by element is not built: `outer(a, b)[i, j]` becomes
  `a[i] * b[j]` at each read. The adjoint of a matrix-vector product `h @ w` seeds h's adjoint
  with `outer(g, w)`; the elementwise adjoint loop that reads it then needs no n x m temporary.
  Done only when neither a's nor b's buffer is written after it is made.
"""
from __future__ import annotations

from .buffers import mutable_array_versions
from ..ir import ForOp, Function, Op, Rewriter, Value, make_op, walk
from ..types import F64


def drop_invariant_carries(fn: Function) -> Function:
    subst: dict = {}

    def resolve(v: Value) -> Value:
        while v.id in subst:
            v = subst[v.id]
        return v

    for op in reversed(list(walk(fn.body))):        # inner loops first
        if not isinstance(op, ForOp):
            continue
        inits, args, ys, results = op.carried
        for init, a, y, r in zip(inits, args, ys, results):
            if resolve(y) is a:
                subst[a.id] = subst[r.id] = init
    if subst:
        for op in walk(fn.body):
            op.args = [resolve(a) for a in op.args]
    return fn


def values_only(fn: Function) -> Function:
    """For code that computes no derivative (ad.compile): an op whose value always equals
    one of its operands, and which exists for its derivative (attrs `value_is`: np.max's
    `select(finite, m + share / count, m)`, the even split of the adjoint over ties), is
    that operand; dce then drops what only the derivative needed (the count of ties)."""
    for op in list(walk(fn.body)):
        k = op.attrs.get("value_is")
        if k is not None:
            Rewriter.replace_all_uses(op.results[0], op.args[k], fn.body)
    return fn


def fold_identities(fn: Function) -> Function:
    """x * 1.0 -> x (exact in IEEE arithmetic, -0.0 and NaN included), same_size(n, n)
    -> n (a shape checked against itself), and the shape of an array made here read from
    the numbers it was made with (np.empty(n).shape[0] -> n, np.zeros_like(np.empty(n)) ->
    np.zeros(n): the reverse pass rebuilds a recomputed array's shape that way). The builder folds both as ops are made; this
    catches the ones that appear later: a loop-invariant adjoint (the 1.0 seeding the
    output) replacing a carried value, `t_bar = 1.0 * (t + t)`; two reads of one shape
    merged by cse, `h * h`."""
    from ..builder import is_const
    subst: dict = {}

    def resolve(v: Value) -> Value:
        while v.id in subst:
            v = subst[v.id]
        return v

    for op in walk(fn.body):
        op.args = [resolve(a) for a in op.args]
        if op.name == "same_size" and _checked_equal(*op.args):
            subst[op.results[0].id] = op.args[0]
        elif op.name in ("dim", "len", "zeros_like") and _made(op.args[0]):
            _fold_made(op, subst)
        elif op.name == "mul" and len(op.args) == 2 and op.results[0].type == F64:
            x, y = op.args
            for a, b in ((x, y), (y, x)):
                if is_const(b, 1.0) and a.type == F64:
                    subst[op.results[0].id] = a
                    if not a.hint and isinstance(a.owner, Op) and a.owner.role == "adjoint":
                        a.hint = op.results[0].hint    # keep the name: t_bar
                    break
    if subst:
        for op in walk(fn.body):
            op.args = [resolve(a) for a in op.args]
    return fn


_MADE = ("empty", "zeros", "ones")


def _made(v: Value) -> bool:
    """Is v an array made from its dimensions (np.empty(n, m), np.zeros, np.ones)?"""
    return isinstance(v.owner, Op) and v.owner.name in _MADE


def _fold_made(op: Op, subst: dict) -> None:
    from ..builder import const_value
    made = op.args[0].owner
    if op.name == "zeros_like":               # a fresh float array of the same dimensions
        op.name, op.args, op.attrs = "zeros", list(made.args), {"dtype": "f64"}
        return
    k = 0 if op.name == "len" else const_value(op.args[1])
    if type(k) is int and 0 <= k < len(made.args):
        subst[op.results[0].id] = made.args[k]


def _checked_equal(a: Value, b: Value) -> bool:
    """Is a known to equal b: the same value, or a same_size check that compared them?"""
    for x, y in ((a, b), (b, a)):
        if x is y or (isinstance(x.owner, Op) and x.owner.name == "same_size"
                      and any(y is z for z in x.owner.args)):
            return True
    return False


def fold_outer_reads(fn: Function) -> Function:
    outers = [op for op in walk(fn.body) if op.name == "outer"]
    if not outers:
        return fn
    uses: dict = {}
    for op in walk(fn.body):
        for k, a in enumerate(op.args):
            uses.setdefault(a.id, []).append((op, k))
    mutable = None
    for op in outers:
        reads = uses.get(op.result.id, [])
        if not reads or not all(u.name == "index" and k == 0 and len(u.args) == 3 and
                                "where" not in u.attrs for u, k in reads):
            continue
        mutable = mutable_array_versions(fn) if mutable is None else mutable
        if any(a.id in mutable for a in op.args):
            continue
        for u, _ in reads:
            _read_product(u, *op.args)
    return fn


def _read_product(read: Op, a: Value, b: Value):
    """read = outer[i, j]  ->  a[i] * b[j], in place of the read."""
    i, j = read.args[1:]
    ai, bj = (make_op("index", [arr, k], [Value(arr.type.dtype)], loc=read.loc, role=read.role)
              for arr, k in ((a, i), (b, j)))
    Rewriter().insert_before(read, [ai, bj])
    read.name, read.args, read.attrs = "mul", [ai.result, bj.result], {}


__all__ = ["drop_invariant_carries", "fold_identities", "fold_outer_reads"]
