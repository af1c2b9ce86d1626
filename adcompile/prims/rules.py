"""Derivative rules of rows: the one JVP and the one VJP signature, and their constructors.

JVP: `jvp(b, out, args, dirs, attrs) -> [tangent or None per direction]`, where `dirs[k]`
holds the operands' tangents along direction k (None for zero). VJP: `vjp(b, adj)`, where
`adj` is the reverse pass's view of one op: `adj.g` (the incoming adjoint), `adj.n`,
`adj.attrs`, `adj.arg(k)` (operand k as the adjoint sweep reads it), `adj.operand(k)` (the
value itself, the key of its adjoint), `adj.out()`, `adj.active(k)`, `adj.get(k)`,
`adj.set(k, v)`, `adj.add(k, v)`, `adj.zero(k)` and `adj.guarded` (the adjoint may be exactly
0 where the partials are not finite: 0 times them must stay 0).

Scalar rows give their partials and get both rules from them (`jvp_from_partials`,
`vjp_from_partials`); array rows give theirs with `each_direction` (a tangent rule per
direction), `scatter` (an adjoint accumulated into the first operand's, x_bar[i] += g) and
`array_adjoint` (per operand: None, ("add", contribution) or ("set", adjoint)).
"""
from __future__ import annotations

from ..ir import Value


# ---------------------------------------------------------------------------- arithmetic
def _times(b, factor, d):
    """factor * d for a partial d: a Value, a Python number (1.0 and -1.0 folded) or None."""
    if d is None:
        return None
    if isinstance(d, (int, float)):
        if d == 1.0:
            return factor
        if d == -1.0:
            return b.prim("neg", factor)
        return b.prim("mul", factor, float(d))
    return b.prim("mul", factor, d)


def guarded_times(b, t, d):
    """t * d for a tangent or adjoint t and a partial d, with 0 * d = 0 even where d is inf
    or NaN (a structural zero: a lane seeded 0, a value the path does not read)."""
    if isinstance(d, Value):
        return b.prim("gmul", t, d)
    return _times(b, t, d)


def sum_terms(b, terms):
    """The sum of tangent terms (False/None for zero), or None."""
    terms = [t for t in terms if t is not None and t is not False]
    total = terms[0] if terms else None
    for t in terms[1:]:
        total = b.prim("add", total, t)
    return total


def _sum_partials(b, d1, d2):
    if isinstance(d1, (int, float)) and isinstance(d2, (int, float)):
        return float(d1 + d2)
    return b.prim("add", d1, d2)


# ---------------------------------------------------------------------------- from partials
def partial_vjp(b, partials, g, out, args, wanted, guarded: bool = False) -> list:
    """Adjoint contributions [(operand index, value)] of `out = row(*args)` for incoming
    adjoint g, for the operand positions in `wanted`. An operand that appears twice gets one
    contribution (x * x: g * (x + x)). `guarded`: g may be exactly 0 where the partials are
    not finite (a value the path did not read): 0 times anything is then 0."""
    ds = partials(b, out, *args)
    combined: dict = {}
    for k, (a, d) in enumerate(zip(args, ds)):
        if d is None or k not in wanted:
            continue
        first = next(j for j in combined if args[j] is a) if any(
            args[j] is a for j in combined) else None
        if first is None:
            combined[k] = d
        else:
            combined[first] = _sum_partials(b, combined[first], d)
    if guarded:
        return [(k, guarded_times(b, g, d)) for k, d in combined.items() if d is not None]
    return [(k, _times(b, g, d)) for k, d in combined.items()]


def jvp_from_partials(partials):
    """The tangent is the sum of partial * operand tangent; the partials are built once and
    shared by the directions."""
    def rule(b, out, args, dirs, attrs):
        if not any(t is not None for dots in dirs for t in dots):
            return [None] * len(dirs)
        ds = partials(b, out, *args)
        tangents = []
        for dots in dirs:
            total = None
            for t, d in zip(dots, ds):
                term = _times(b, t, d) if t is not None else None
                if term is not None:
                    total = term if total is None else b.prim("add", total, term)
            tangents.append(total)
        return tangents
    return rule


def vjp_from_partials(partials):
    """Each active operand's adjoint gets g * its partial."""
    def rule(b, adj):
        args = [adj.arg(k) for k in range(adj.n)]
        out = adj.out()
        wanted = {k for k in range(adj.n) if adj.active(k)}
        for k, contrib in partial_vjp(b, partials, adj.g, out, args, wanted, adj.guarded):
            adj.add(k, contrib)
    return rule


# ---------------------------------------------------------------------------- rows' own rules
def each_direction(tangent, zeros: bool = True):
    """A JVP from a tangent rule along one direction, `tangent(b, out, args, dots, attrs)`.
    With `zeros` the rule is not asked when every operand's tangent is zero (the tangent is
    then zero); array rules are asked always (they build what a zero tangent needs)."""
    def rule(b, out, args, dirs, attrs):
        if zeros and not any(t is not None for dots in dirs for t in dots):
            return [None] * len(dirs)
        return [tangent(b, out, args, dots, attrs) for dots in dirs]
    return rule


def scatter(into):
    """A VJP that accumulates into the first operand's adjoint (x[i] -> x_bar[i] += g):
    `into(b, acc, g, *args)` returns the new adjoint of args[0] from its current one."""
    def rule(b, adj):
        if not adj.active(0):
            return
        acc = adj.get(0)
        if acc is None:
            acc = adj.zero(0)
        args = [adj.operand(0)] + [adj.arg(k) for k in range(1, adj.n)]
        adj.set(0, into(b, acc, adj.g, *args))
    return rule


def array_adjoint(adjoint):
    """A VJP of an op producing an array: `adjoint(b, G, args, attrs)` returns per operand
    None, ("add", contribution) or ("set", the operand's adjoint when it has none yet)."""
    def rule(b, adj):
        args = [adj.arg(k) for k in range(adj.n)]
        for k, res in enumerate(adjoint(b, adj.g, args, adj.attrs)):
            if res is None or not adj.active(k):
                continue
            how, val = res
            if how == "set" and adj.get(k) is None:
                adj.set(k, val)
            else:
                adj.add(k, val)
    return rule


__all__ = ["partial_vjp", "jvp_from_partials", "vjp_from_partials", "each_direction",
           "scatter", "array_adjoint", "guarded_times", "sum_terms"]
