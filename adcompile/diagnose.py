"""ad.diagnose: is AD's derivative at this point an artifact of how the program is written?

1. The diagnostic build (reverse mode with a table of kink hits, passes/kinks.py) gives AD's
   output and, per nonsmooth site, the hits with their incoming adjoints.
2. Static findings: kink sites on the same switching set (aligned kinks, ADC201).
3. The point check, when a kink is hit with a nonzero adjoint: gradients sampled at random
   points of balls of two radii around the point (where the function is differentiable with
   probability 1) estimate the Clarke subdifferential (Burke, Lewis, Overton); AD's output is
   tested for membership in their convex hull (nonnegative least squares). Directional
   subgradients (grad(f, nonsmooth="directional"): kinks resolved by the sign of a random
   direction's tangent) join the samples; the first is reported as a true subgradient.
Verdicts: smooth, kink, artifact, singular, discontinuous, inconclusive (docs/nonsmooth.md).
"""
from __future__ import annotations

import json
import math
from dataclasses import dataclass, field

import numpy as np

from .arguments import _clean
from .calling import KinkTable
from .compiled import Build
from .docs import doc_path
from .errors import AdCompileError
from .specs import Transform, gradient
from .specs import directional as _directional
from .transformed import Transformed
from .types import is_float

VERDICTS = ("smooth", "kink", "artifact", "singular", "discontinuous", "inconclusive")


@dataclass
class KinkHit:
    file: str
    line: int
    col: int
    primitive: str
    text: str
    hits: int
    arg: float
    adjoint: float
    used: str
    alternatives: list

    def where(self) -> str:
        return f"{self.file}:{self.line}:{self.col}"


@dataclass
class Finding:
    code: str
    severity: str
    message: str
    location: str


@dataclass
class Report:
    name: str
    point: dict
    verdict: str
    ad: object
    subgradient: object
    sites: list = field(default_factory=list)
    static: list = field(default_factory=list)
    clarke: list = field(default_factory=list)      # sampled gradients (estimate of the set)
    distance: float = 0.0
    separating: object = None
    summary: str = ""
    alternatives: list = field(default_factory=list)  # AD under other conventions at kinks

    def to_json(self) -> str:
        def plain(x):
            if isinstance(x, np.ndarray):
                return x.tolist()
            if isinstance(x, tuple):
                return [plain(v) for v in x]
            return x
        return json.dumps({
            "function": self.name, "point": {k: plain(v) for k, v in self.point.items()},
            "verdict": self.verdict, "ad": plain(self.ad), "subgradient": plain(self.subgradient),
            "distance": self.distance, "separating_direction": plain(self.separating),
            "summary": self.summary, "alternatives": [plain(a) for a in self.alternatives],
            "sites": [vars(s) for s in self.sites], "static": [vars(f) for f in self.static]})

    def __str__(self) -> str:
        at = ", ".join(f"{k}={v!r}" if isinstance(v, (float, int)) else f"{k}={_fmt(v)}"
                       for k, v in self.point.items())
        lines = [f"{self.name}({at}): {self.verdict.upper()} — {self.summary}",
                 f"  AD:                     {_fmt(self.ad)}",
                 f"  directional subgradient: {_fmt(self.subgradient)}"]
        if self.alternatives:
            lines.append(f"  AD under the conventions' alternatives: "
                         f"{{{', '.join(_fmt(a) for a in self.alternatives)}}}")
        if self.separating is not None:
            lines.append(f"  separating direction:   {_fmt(self.separating)} (AD is "
                         f"{self.distance:.3g} away from every nearby gradient's hull)")
        if self.sites:
            for k, s in enumerate(self.sites):
                head = "  kinks hit:  " if k == 0 else " " * 14
                lines.append(f"{head}{s.where()}  {s.text}  hits={s.hits}  arg={s.arg:+g}  "
                             f"adjoint={s.adjoint:+g}  used {s.used}  alternatives "
                             f"{s.alternatives}")
        else:
            lines.append("  kinks hit:  none with a nonzero adjoint")
        for k, f in enumerate(self.static):
            head = "  static:     " if k == 0 else " " * 14
            lines.append(f"{head}{f.code} {f.location}: {f.message}")
        return "\n".join(lines)


def _fmt(v) -> str:
    if isinstance(v, tuple):
        return "(" + ", ".join(_fmt(x) for x in v) + ")"
    if isinstance(v, np.ndarray):
        return np.array2string(v, precision=6)
    if isinstance(v, float):
        return f"{v:.6g}"
    return repr(v)


# ---------------------------------------------------------------------------- compiling
def _diagnostic_build(t, types) -> Build:
    """The diagnostic build of value_and_grad: one more argument (the zero table of hits)
    and one more result (the table filled in); the analyses' findings as its facts."""
    from . import pipeline
    from .passes.activity import active_values
    from .passes.kinks import (aligned_kinks, equality_branches, jumps_and_branches, sites,
                               sqrt_of_squares)
    primal = pipeline.primal(t.func, t.primal_types(types))
    if primal.derivatives:
        raise _nested_error(f"{primal.name}() calls a derivative made by adcompile "
                            f"({', '.join(primal.derivatives)})", primal.loc)
    found = sites(primal)
    active = active_values(primal, [primal.params[i] for i in t.wrt])
    facts = {"sites": found, "switches": jumps_and_branches(primal, active),
             "equalities": equality_branches(primal, active), "roots": sqrt_of_squares(primal)}
    vg = pipeline.value_and_gradient(primal, t.wrt, t.transform.conventions, diagnostics=True)
    facts["aligned"] = aligned_kinks(primal, found)
    return Build(primal, vg, f"{primal.name}_diag",
                 "value, gradient and the table of kink hits (diagnostic build)",
                 tuple(t.params) + tuple(p.hint for p in primal.params[len(t.params):]) +
                 ("kinks",), facts)


def diagnostic(conventions=None) -> Transform:
    """The diagnostic build as a transform: called, it returns (value, *gradients, table)."""
    return Transform("diagnostic build", _diagnostic_build, KinkTable(), conventions)


def _Diagnostic(func, wrt, conventions=None, shared: bool = False, jit: bool = True) \
        -> Transformed:
    return Transformed(func, diagnostic(conventions), wrt, jit, shared=shared)


# ---------------------------------------------------------------------------- the check
def diagnose(f, *args, wrt=None, conventions=None, samples: int = 0, seed: int = 0,
             jit: bool = True, **kwargs) -> Report:
    """Diagnose AD's derivative of float-valued f at the point args (w.r.t. every float
    parameter unless wrt narrows it). Returns a Report; print it to read it. jit=False
    runs the builds it uses as plain Python (as the transforms' jit=False)."""
    try:
        return _diagnose(f, args, kwargs, wrt, conventions, samples, seed, jit)
    except AdCompileError as exc:
        raise _clean(exc) from None


def _nested_error(what: str, loc) -> AdCompileError:
    return AdCompileError(
        f"diagnose: {what}; diagnosing nested derivatives is not supported", loc,
        "diagnose the function the derivative is of (ad.diagnose(f, ...)): the kinks of a "
        "derivative are those of f, taken by the conventions of " + doc_path("conventions.md"))


def _diagnose(f, args, kwargs, wrt, conventions, samples, seed, jit=True):
    if isinstance(f, Transformed):
        from .nested import describe
        raise _nested_error(f"{describe(f)} is a derivative made by adcompile", f._def_loc())
    probe = Transformed(f, gradient(True, "reverse", conventions), 0)
    types, values = probe._typed(probe._bind(args, kwargs))
    if wrt is None:
        wrt = tuple(i for i, t in enumerate(types) if is_float(t))
        if not wrt:
            raise AdCompileError(f"diagnose: {f.__name__}() has no float parameter at this point")
        wrt = wrt[0] if len(wrt) == 1 else wrt
    diag = _Diagnostic(f, wrt, conventions, shared=True, jit=jit)
    compiled = diag._specialise(types)
    out = diag.run(compiled, values)
    value, grads, table = out[0], list(out[1:-1]), out[-1]
    idx = list(diag.wrt)
    ad_out = grads[0] if diag.single else tuple(grads)
    flat_ad = _flatten(grads)
    hits = _hits(compiled, table, conventions)
    static = _static(compiled)
    plain = _build(gradient(True, "reverse", conventions), f, wrt, jit=jit)

    def grad_at(xflat):
        vals = _unflatten(values, idx, xflat)
        v, g = plain(*vals)
        return float(v), _flatten(list(g) if isinstance(g, tuple) else [g])

    x0 = _flatten([values[i] for i in idx])
    rng = np.random.default_rng(seed)
    n = x0.size
    # directional subgradients: kinks resolved by the sign of a random direction's tangent
    # inside the compiled sweep (grad(f, nonsmooth="directional")); each is a true subgradient
    # of piecewise-smooth programs. The first is reported; all join the sampled gradients.
    directional = _build(_directional(False, conventions, width=2), f, wrt, seed=seed,
                         jit=jit)
    subs = []
    for _ in range(4):
        d = directional(*values)
        subs.append(_flatten(list(d) if isinstance(d, tuple) else [d]))
    if compiled.facts["switches"]:
        # branches on differentiated floats: the compiled sweep takes the branch the point
        # takes, which at a boundary need not be a piece the direction enters; use limits
        # of gradients along random directions instead (x + h v, extrapolated from 2h)
        subs = [s for s in (_limit_along(grad_at, x0, v) for v in _ball(rng, n, 4, 1.0))
                if s is not None]
    subgradient = _shape_like(subs[0], values, idx, diag.single) if subs else None
    point = {probe.params[i]: values[i] for i in range(len(values))}
    rep = Report(f.__name__, point, "smooth", ad_out, subgradient, hits, static)
    nonzero = [h for h in hits if h.adjoint != 0.0 or _singular(h.primitive)]
    if not np.all(np.isfinite(flat_ad)) or not math.isfinite(value):
        rep.verdict = "singular"
        bad = [h for h in hits if _singular(h.primitive)]
        rep.summary = "AD gives inf/nan" + (
            f": {bad[0].text} at its singular point ({bad[0].where()})" if bad else "")
        return rep
    if not nonzero and not compiled.facts["switches"]:
        rep.summary = "no kink is hit with a nonzero adjoint: AD gives the gradient"
        return rep
    m = samples or min(n + 1, 64) + 8
    scale = max(1.0, float(np.max(np.abs(x0))))
    checks = []
    for radius in (1e-6 * scale, 1e-4 * scale):
        S, fvals = [], []
        for u in _ball(rng, n, m, radius):
            fv, gv = grad_at(x0 + u)
            if np.all(np.isfinite(gv)) and math.isfinite(fv):
                S.append(gv)
                fvals.append(fv)
        S += [d for d in subs if np.all(np.isfinite(d))]
        if len(S) < 2:
            continue
        S = np.array(S)
        lip = float(np.max(np.linalg.norm(S, axis=1))) + float(np.linalg.norm(flat_ad))
        jump = max(abs(fv - value) for fv in fvals) > 100.0 * (lip + 1.0) * radius + 1e-12
        dist, proj = _hull_distance(flat_ad, S)
        tol = 1e-6 * (1.0 + float(np.max(np.abs(S))))
        spread = float(np.max(np.ptp(S, axis=0))) > 1e-3 * (1.0 + float(np.max(np.abs(S))))
        checks.append({"jump": jump, "inside": dist <= tol, "dist": dist, "gap": flat_ad - proj,
                       "spread": spread, "S": S})
    if not checks:
        rep.verdict = "inconclusive"
        rep.summary = "no finite gradient near the point to compare with"
        return rep
    rep.clarke = checks[0]["S"]
    if any(c["jump"] for c in checks):
        rep.verdict = "discontinuous"
        rep.summary = "the function jumps at this point (a jump primitive or branches whose " \
                      "pieces do not meet): no derivative exists"
    elif all(not c["inside"] for c in checks):
        c = checks[0]
        rep.verdict = "artifact"
        rep.distance = c["dist"]
        u = c["gap"] / (np.linalg.norm(c["gap"]) or 1.0)
        rep.separating = _shape_like(u, values, idx, diag.single)
        near = _fmt(_shape_like(_hull_point(c["S"]), values, idx, diag.single))
        rep.alternatives = _alternatives(f, wrt, nonzero, values, ad_out, jit)
        rep.summary = (f"AD gives {_fmt(ad_out)}, but every nearby gradient is near {near}: "
                       "AD's value is not a slope the function has near this point (an artifact "
                       "of how the program is written)")
    elif nonzero or any(c["spread"] for c in checks):
        rep.verdict = "kink"
        rep.alternatives = _alternatives(f, wrt, nonzero, values, ad_out, jit)
        rep.summary = ("a kink or branch boundary is hit; AD's value is one of the slopes the "
                       "function has near this point (as far as sampling shows), but other "
                       "conventions or other ways of writing the program give other values "
                       "(see alternatives)")
    else:
        rep.summary = "no kink or branch boundary at this point: AD gives the gradient"
    return rep


# ---------------------------------------------------------------------------- helpers
def _build(transform, f, wrt, seed=None, jit: bool = True) -> Transformed:
    """A build a diagnosis uses: its compiled code is shared by every diagnosis of f
    (compiled.shared: kept while f lives and its constants and closure values hold)."""
    return Transformed(f, transform, wrt, jit, shared=True, seed=seed)


def _alternatives(f, wrt, hits, values, ad_out, jit: bool = True) -> list:
    """AD's value under the extreme conventions of the primitives hit (relu'(0) in {0, 1},
    abs'(0) in {-1, 1}, tie shares in {0, 1}), with AD's own value first."""
    import itertools
    from .conventions import Conventions
    kinds = {h.primitive for h in hits}
    choices = {"relu": (0.0, 1.0) if "relu" in kinds else (0.0,),
               "abs": (-1.0, 1.0) if "abs" in kinds else (0.0,),
               "tie": (0.0, 1.0) if kinds & _TIES else (0.5,)}
    out = [ad_out]
    for relu, ab, tie in itertools.product(*choices.values()):
        g = _build(gradient(True, "reverse", Conventions(relu=relu, abs=ab, tie=tie)), f, wrt,
                   jit=jit)
        _, val = g(*values)
        if not any(_same(val, o) for o in out):
            out.append(val)
    return out if len(out) > 1 else []


def _same(a, b) -> bool:
    return bool(np.array_equal(_flatten(a if isinstance(a, tuple) else [a]),
                               _flatten(b if isinstance(b, tuple) else [b])))


def _singular(primitive: str) -> bool:
    from .primitives import PRIMS
    kink = PRIMS[primitive].kink
    return kink is not None and kink.kind == "singular"

def _hits(compiled, table, conventions=None) -> list:
    from .conventions import DEFAULT
    out = []
    for s in compiled.facts["sites"]:
        count, adj, _mag, argsum = table[s.index]
        if count == 0:
            continue
        loc = s.op.loc
        kink = s.op.name
        text = loc.source_line().strip() if loc else kink
        text = _call_text(loc, kink) or text
        used, alts = _convention(kink, conventions or DEFAULT)
        out.append(KinkHit(loc.short().rsplit(":", 1)[0] if loc else "?", loc.line if loc else 0,
                           loc.col + 1 if loc else 0, kink, text, int(count),
                           float(argsum / count), float(adj), used, alts))
    return out


def _call_text(loc, kink):
    """The user's call at a site, e.g. 'relu(-t)', from the source line and column."""
    if loc is None:
        return None
    line = loc.source_line()
    start = loc.col
    if not line or start >= len(line):
        return None
    depth, end = 0, start
    for k in range(start, len(line)):
        ch = line[k]
        if ch == "(":
            depth += 1
        elif ch == ")":
            depth -= 1
            if depth == 0:
                end = k + 1
                break
    else:
        return None
    text = line[start:end]
    return text if depth == 0 and "(" in text else None


_TIES = {"max", "min", "npmax", "npmin", "fmax", "fmin"}   # rows following Conventions(tie=)


def _convention(kink: str, conv):
    if kink == "relu":
        return f"relu'(0)={conv.relu:g}", [0, 1]
    if kink == "abs":
        return f"abs'(0)={conv.abs:g}", [-1, 1]
    if kink in _TIES:
        return f"tie share {conv.tie:g}", [0, 1]
    from .primitives import PRIMS
    row = PRIMS.get(kink)
    meta = row.kink if row is not None else None
    if meta is not None and meta.kind != "singular" and meta.convention is not None:
        return f"derivative {meta.convention:g} at {meta.where}" if isinstance(
            meta.convention, float) else f"{meta.convention} at {meta.where}", \
            list(meta.alternatives)
    return "derivative formula (inf at 0)", []


def _static(compiled) -> list:
    out = []
    for op in compiled.facts["equalities"]:
        out.append(Finding("ADC202", "warning", "a float equality decides the program's path: "
                           "it holds on a set of measure zero, where the derivative is that of "
                           "the branch taken", _loc(op)))
    for op in compiled.facts["roots"]:
        out.append(Finding("ADC203", "warning", "sqrt of a square is abs() with an infinite "
                           "derivative at 0 (nan through the chain rule): write abs(x)", _loc(op)))
    for group in compiled.facts["aligned"]:
        locs = ", ".join(f"{s.op.loc.short()}:{s.op.loc.col + 1}" for s in group)
        names = " and ".join(_call_text(s.op.loc, s.op.name) or s.op.name for s in group)
        first = group[0].op.loc
        out.append(Finding(
            "ADC201", "warning",
            f"{names} have aligned kinks (the same switching set, at {locs}); one convention "
            "for each cannot be right for every way of writing this program",
            f"{first.short()}:{first.col + 1}" if first else "?"))
    return out


def _loc(op) -> str:
    return f"{op.loc.short()}:{op.loc.col + 1}" if op.loc else "?"


def _flatten(parts) -> np.ndarray:
    return np.concatenate([np.ravel(np.asarray(p, dtype=np.float64)) for p in parts]) \
        if parts else np.zeros(0)


def _unflatten(values, idx, flat):
    vals = list(values)
    at = 0
    for i in idx:
        if isinstance(vals[i], np.ndarray):
            size = vals[i].size
            vals[i] = flat[at:at + size].reshape(vals[i].shape)
            at += size
        else:
            vals[i] = float(flat[at])
            at += 1
    return vals


def _shape_like(flat, values, idx, single):
    vals = _unflatten(values, idx, flat)
    parts = [vals[i] for i in idx]
    return parts[0] if single else tuple(parts)


def _limit_along(grad_at, x0, v):
    """The limit of the gradient at x0 + h v as h -> 0+ (Richardson from h and 2h), or None
    where the gradients there are not finite."""
    h = 1e-7 * max(1.0, float(np.max(np.abs(x0))))
    _, g1 = grad_at(x0 + h * v)
    _, g2 = grad_at(x0 + 2.0 * h * v)
    if not (np.all(np.isfinite(g1)) and np.all(np.isfinite(g2))):
        return None
    return 2.0 * g1 - g2


def _ball(rng, n, m, radius):
    d = rng.standard_normal((m, n))
    d /= np.linalg.norm(d, axis=1, keepdims=True)
    r = radius * rng.uniform(size=(m, 1)) ** (1.0 / max(n, 1))
    return d * r


def _hull_distance(g, S):
    """Distance from g to the convex hull of the rows of S, and the nearest point."""
    if S.shape[1] == 1:
        lo, hi = float(S.min()), float(S.max())
        p = min(max(float(g[0]), lo), hi)
        return abs(float(g[0]) - p), np.array([p])
    from scipy.optimize import nnls
    rho = 1e3 * (1.0 + float(np.max(np.abs(S))))
    A = np.vstack([S.T, rho * np.ones(S.shape[0])])
    b = np.concatenate([g, [rho]])
    lam, _ = nnls(A, b)
    lam = lam / (lam.sum() or 1.0)
    p = lam @ S
    return float(np.linalg.norm(g - p)), p


def _hull_point(S):
    return S.mean(axis=0)


__all__ = ["diagnose", "Report", "KinkHit", "Finding", "VERDICTS"]
