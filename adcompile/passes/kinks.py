"""Nonsmooth sites of a function's IR, and the static findings about them.

A site is an op whose primitive is not differentiable somewhere (relu, abs, two-argument
max/min, sqrt/log at 0): `sites(fn)` lists them with what the diagnostic build tests for a
hit. `aligned_kinks(fn, sites)` finds sites whose switching arguments are the same affine form
of the inputs up to a nonzero factor (relu(t) and relu(-t)): their kinks lie on the same set,
and one convention for each cannot be right for every way of writing the program (ADC201).
"""
from __future__ import annotations

from dataclasses import dataclass

from ..builder import const_value
from ..ir import Function, Op, Value, walk
from ..primitives import PRIMS


def site_kind(name: str):
    """How the diagnostic build tests a primitive for a hit (its Kink's `hit` in the table):
    "zero" (its argument is 0), "tie" (its two arguments are equal), "singular" (its argument
    is 0 where the derivative is infinite); None: no site."""
    prim = PRIMS.get(name)
    kink = prim.kink if prim is not None else None
    if kink is None or kink.hit is None:
        return None
    return "singular" if kink.kind == "singular" else kink.hit


@dataclass
class Site:
    index: int
    op: Op
    kind: str

    @property
    def primitive(self) -> str:
        return self.op.name

    def switching_args(self) -> list:
        """The values whose difference (or value) is zero at the kink."""
        return list(self.op.args[:2]) if self.kind == "tie" else [self.op.args[0]]


def sites(fn: Function) -> list[Site]:
    out = []
    for op in walk(fn.body):
        kind = site_kind(op.name)
        if kind is None or (kind == "tie" and len(op.args) != 2):
            continue
        out.append(Site(len(out), op, kind))
    return out


def affine_form(v: Value, depth: int = 0):
    """v as {atom id: coefficient} plus a constant under key None, through +, -, negation
    and multiplication by constants; other values are atoms."""
    c = const_value(v)
    if isinstance(c, (int, float)) and not isinstance(c, bool):
        return {None: float(c)}
    op = v.owner
    if depth < 50 and isinstance(op, Op) and op.name in ("add", "sub", "neg", "mul", "to_f64"):
        if op.name == "neg":
            return _scale(affine_form(op.args[0], depth + 1), -1.0)
        if op.name == "to_f64":
            return affine_form(op.args[0], depth + 1)
        a, b = (affine_form(x, depth + 1) for x in op.args)
        if op.name == "add":
            return _add(a, b, 1.0)
        if op.name == "sub":
            return _add(a, b, -1.0)
        for k, other in ((a, b), (b, a)):
            if set(k) <= {None}:
                return _scale(other, k.get(None, 0.0))
    return {v.id: 1.0}


def _scale(form, s):
    return {k: s * c for k, c in form.items() if s * c != 0.0}


def _add(a, b, sign):
    out = dict(a)
    for k, c in b.items():
        out[k] = out.get(k, 0.0) + sign * c
    return {k: c for k, c in out.items() if c != 0.0}


def switching_form(site: Site):
    """The site's switching function as an affine form normalised up to scale (its first
    coefficient +1), with the factor it was divided by; None when it is not affine in
    anything (a constant)."""
    args = site.switching_args()
    form = affine_form(args[0])
    if site.kind == "tie":
        form = _add(form, affine_form(args[1]), -1.0)
    atoms = sorted((k for k in form if k is not None))
    if not atoms:
        return None, 0.0
    alpha = form[atoms[0]]
    key = tuple((k, round(form[k] / alpha, 12)) for k in sorted(form, key=lambda k: (k is None, k or 0)))
    return key, alpha


def aligned_kinks(fn: Function, found: list[Site]) -> list[list[Site]]:
    """Groups of two or more kink sites (not singular points) on the same switching set."""
    groups: dict = {}
    for s in found:
        if s.kind == "singular":
            continue
        key, _ = switching_form(s)
        if key is not None:
            groups.setdefault(key, []).append(s)
    return [g for g in groups.values() if len(g) > 1]


_COMPARISONS = ("lt", "le", "gt", "ge", "eq", "ne")


def jumps_and_branches(fn: Function, active: set) -> list[Op]:
    """Ops where the program may jump or switch branch with the differentiated inputs:
    jump primitives (floor, round, sign, //, %) and comparisons of active floats (their
    result feeds a branch, a select or a flag)."""
    out = []
    for op in walk(fn.body):
        if op.name not in PRIMS or not any(a.id in active for a in op.args):
            continue
        kink = PRIMS[op.name].kink
        if op.name in _COMPARISONS or (kink is not None and kink.kind == "jump"):
            out.append(op)
    return out


def equality_branches(fn: Function, active: set) -> list[Op]:
    """== / != between floats that depend on the inputs: true on a set of measure zero."""
    return [op for op in walk(fn.body) if op.name in ("eq", "ne")
            and any(a.id in active for a in op.args)]


def sqrt_of_squares(fn: Function) -> list[Op]:
    """sqrt(x * x), sqrt(x ** 2): |x| written with a derivative that is nan at 0."""
    out = []
    for op in walk(fn.body):
        if op.name != "sqrt":
            continue
        inner = op.args[0].owner
        if isinstance(inner, Op) and inner.name == "mul" and inner.args[0] is inner.args[1]:
            out.append(op)
    return out


__all__ = ["Site", "sites", "aligned_kinks", "switching_form", "site_kind",
           "jumps_and_branches", "equality_branches", "sqrt_of_squares"]
