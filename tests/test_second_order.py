"""Second order, table-driven: every differentiable row of the primitive table.

A row's derivative rule is IR built from other rows, so a second derivative differentiates
the rows a rule uses: a helper without (or with a wrong) derivative makes Hessians wrong while
gradients stay right (x ** y: the exponent's partial o * logpos(x) once had no derivative).

- the table itself: for each row, the tangent (forward pass) of each of its partials against
  central differences of the partial interpreted, the partials against central differences of
  the row's implementation, and the mixed partials of two-operand rows equal; helpers without
  a derivative that the rules use are locally constant where the rows are smooth;
- from Python: for each row an expression that reaches it, at random smooth points of its
  domain: ad.hvp against finite differences of ad.grad (reverse) and of the forward-mode
  gradient, against the Hessian derived by hand, and the Hessian symmetric; compositions
  (exponents depending on the inputs), the rows inside loops (taped), Numba against plain
  Python, and an np.where arm not taken that is NaN kept out of H v;
- at kinks (relu and abs at 0, max/min ties, the zero vector of a norm) H v is finite (0).

A row added with a derivative and no entry in USER or TABLE_ONLY fails
test_every_differentiable_row_is_covered.
"""
import math
import re

import numpy as np
import pytest
import scipy.special
import scipy.special as sc

import adcompile as ad
from adcompile.builder import Builder
from adcompile.conventions import Conventions
from adcompile.interp import interpret
from adcompile.ir import Block, Function, Value
from adcompile.passes.forward import forward
from adcompile.primitives import PRIMS, jvp
from adcompile.types import BOOL, F64

# ---------------------------------------------------------------------------- the coverage
# row -> (a Python expression over x and y whose Hessian goes through the row, its domain)
USER = {
    "add": ("x + y", "any"), "sub": ("x - y", "any"), "mul": ("x * y", "any"),
    "div": ("x / y", "any"), "neg": ("-x", "any"), "mod": ("x % y", "mod"),
    "pow": ("x ** y", "pos"),
    "sin": ("math.sin(x)", "any"), "cos": ("math.cos(x)", "any"),
    "tan": ("math.tan(x)", "tan"), "asin": ("math.asin(x)", "unit"),
    "acos": ("math.acos(x)", "unit"), "atan": ("math.atan(x)", "any"),
    "sinh": ("math.sinh(x)", "any"), "cosh": ("math.cosh(x)", "any"),
    "tanh": ("math.tanh(x)", "any"), "exp": ("math.exp(x)", "any"),
    "expm1": ("math.expm1(x)", "any"), "log": ("math.log(x)", "pos"),
    "log1p": ("math.log1p(x)", "pos"), "log2": ("math.log2(x)", "pos"),
    "log10": ("math.log10(x)", "pos"), "sqrt": ("math.sqrt(x)", "pos"),
    "atan2": ("math.atan2(x, y)", "any"), "hypot": ("math.hypot(x, y)", "any"),
    "abs": ("abs(x)", "any"), "relu": ("ad.relu(x)", "any"),
    "max": ("max(x, y)", "any"), "min": ("min(x, y)", "any"),
    "npmax": ("np.maximum(x, y)", "any"), "npmin": ("np.minimum(x, y)", "any"),
    "cbrt": ("np.cbrt(x)", "any"), "asinh": ("math.asinh(x)", "any"),
    "acosh": ("math.acosh(x + 1.5)", "pos"), "atanh": ("np.arctanh(x)", "unit"),
    "deg2rad": ("math.radians(x)", "any"), "rad2deg": ("np.degrees(x)", "any"),
    # helper rows, reached through the derivative rules of user-level rows
    "logpos": ("x ** y", "pos"),                   # pow's partial in the exponent
    "recippos": ("x ** y", "pos"),                 # logpos's partial
    "divnz": ("math.hypot(x, y)", "any"),          # hypot's and norm_sqrt's partials
    "norm_sqrt": ("np.linalg.norm(np.array([x, y, x * y]))", "any"),
    "select": ("np.where(x > y, math.sin(x) * y, x * x - y)", "any"),
    # a select's arm whose row can be singular: its adjoint products are guarded
    "gmul": ("np.where(x > y, np.sqrt(x) * y, x * x - y)", "pos"),
    # prims/special_rows.py
    "exp2": ("np.exp2(x)", "any"), "exp10": ("scipy.special.exp10(x)", "any"),
    "logaddexp": ("np.logaddexp(x, y)", "any"), "logaddexp2": ("np.logaddexp2(x, y)", "any"),
    "sinc": ("np.sinc(x)", "any"), "fmod": ("np.fmod(x, y)", "mod"),
    "copysign": ("np.copysign(x, y)", "any"), "heaviside": ("np.heaviside(x, y)", "any"),
    "fmax": ("np.fmax(x, y)", "any"), "fmin": ("np.fmin(x, y)", "any"),
    "erf": ("math.erf(x)", "any"), "erfc": ("scipy.special.erfc(x)", "any"),
    "erfinv": ("scipy.special.erfinv(x)", "unit"), "lgamma": ("math.lgamma(x)", "pos"),
    "gamma": ("scipy.special.gamma(x)", "pos"), "digamma": ("scipy.special.psi(x)", "pos"),
    "polygamma": ("scipy.special.polygamma(2, x)", "pos"),
    "expit": ("scipy.special.expit(x)", "any"), "log_expit": ("scipy.special.log_expit(x)", "any"),
    "softplus": ("scipy.special.softplus(x)", "any"), "logit": ("scipy.special.logit(x)", "prob"),
    "xlogy": ("scipy.special.xlogy(x, y)", "pos2"),
    "xlog1py": ("scipy.special.xlog1py(x, y)", "pos2"),
    "ndtr": ("scipy.special.ndtr(x)", "any"), "log_ndtr": ("scipy.special.log_ndtr(x)", "any"),
    "entr": ("scipy.special.entr(x)", "pos"), "rel_entr": ("scipy.special.rel_entr(x, y)", "pos2"),
    "kl_div": ("scipy.special.kl_div(x, y)", "pos2"),
}
# rows whose first operand is an int (polygamma's order n): not differentiated in it, so
# the table-only checks (which move every operand) skip them; USER reaches them from Python
INT_FIRST = {"polygamma"}
# rows no Python expression differentiates twice: checked from the table only
TABLE_ONLY = {
    "to_f64": "any",   # float(x) of a float is x itself; of an int, nothing to differentiate
}
# rows with piecewise-constant partials, second derivative 0 by design: the directional
# variants of relu/abs/max/min, built only by grad(nonsmooth="directional"), a first-order
# gradient (hvp never builds them); their partials dstep/dsign/dtie have no derivative, and
# tests/test_diagnose.py checks them against the ordinary gradient and at kinks
EXCLUDED = {"relu_dir", "abs_dir", "max_dir", "min_dir", "npmax_dir", "npmin_dir"}

UNARY = {n for n, (e, _) in USER.items() if not re.search(r"\by\b", e)}   # f(x) only: wrt=0


def _differentiable():
    return {n for n, p in PRIMS.items() if p.partials is not None}


def test_every_differentiable_row_is_covered():
    assert not set(USER) & set(TABLE_ONLY), "a row is either reached from Python or not"
    assert EXCLUDED <= _differentiable(), "an excluded row lost its partials: drop it"
    missing = _differentiable() - EXCLUDED - set(USER) - set(TABLE_ONLY)
    assert not missing, f"new differentiable rows {sorted(missing)}: add them to USER " \
                        "(an expression whose Hessian goes through them) or TABLE_ONLY"
    assert set(USER) | set(TABLE_ONLY) <= _differentiable(), "a covered row has no partials"


# ---------------------------------------------------------------------------- domains
RNG_SEED = 20240607
BOXES = {"pos": (0.2, 2.5), "unit": (-0.85, 0.85), "tan": (-1.2, 1.2), "mod": (-3.0, 3.0),
         "above1": (1.1, 3.0), "prob": (0.05, 0.95), "pos2": (0.2, 2.5)}


def _ok(domain, point):
    """Points away from kinks and singularities (by more than the difference steps): the
    first coordinate inside the domain's box; for "mod" x / y away from integers; for "any"
    every coordinate away from 0 and from the others (abs, relu, max, division, hypot)."""
    x = point[0]
    if domain in BOXES:
        lo, hi = BOXES[domain]
        if not lo + 1e-9 < x < hi:
            return False
    if domain == "mod":
        y = point[1]
        q = x / y
        return abs(y) > 0.5 and abs(q - round(q)) > 0.1
    if domain == "any":
        far = 0.15
        return all(abs(a) > far for a in point) and all(
            abs(a - c) > far for i, a in enumerate(point) for c in point[i + 1:])
    return True


def _points(domain, n=3, seed=0, dim=2):
    """n random points of the domain (seeded: the same points each run)."""
    rng = np.random.default_rng(RNG_SEED + seed)
    lo, hi = BOXES.get(domain, (-2.0, 2.0))
    rest = (lo, hi) if domain == "pos2" else (-2.0, 2.0)     # pos2: every coordinate
    out = []
    while len(out) < n:
        p = tuple(float(v) for v in rng.uniform([lo] + [rest[0]] * (dim - 1),
                                                [hi] + [rest[1]] * (dim - 1)))
        if _ok(domain, p):
            out.append(p)
    return out


# ---------------------------------------------------------------------------- finite differences
def _richardson(g, point, v, h=1e-3):
    """The derivative of g (a function of a point returning a tuple) along v: central
    differences, Richardson-extrapolated (error O(h^4))."""
    def central(s):
        up = g(*[p + s * d for p, d in zip(point, v)])
        down = g(*[p - s * d for p, d in zip(point, v)])
        return np.array([(a - b) / (2 * s) for a, b in zip(np.atleast_1d(up),
                                                             np.atleast_1d(down))])
    return (4 * central(h / 2) - central(h)) / 3


# ---------------------------------------------------------------------------- the table itself
TABLE_DOMAINS = {n: dom for n, (_, dom) in USER.items()} | TABLE_ONLY
TABLE_DOMAINS["norm_sqrt"] = "pos"             # its operand is a sum of squares
TABLE_DOMAINS["acosh"] = "above1"              # USER shifts its operand: acosh(x + 1.5)
CUSTOM = Conventions(relu=0.5, abs=0.25, tie=0.25)   # the rules' general-convention branches


def _table_cases():
    """(row, number of operands): variadic rows (max, min) with 2 and 3 (another rule)."""
    return [(n, k) for n in sorted(set(TABLE_DOMAINS) - INT_FIRST)
            for k in ((2, 3) if PRIMS[n].arity is None else (PRIMS[n].arity,))]


def _operands(name, n):
    """The operand kinds of a row: "f" a float to differentiate, "b" a bool."""
    return ["b", "f", "f"] if name == "select" else ["f"] * n


def _build(name, n, conventions=None):
    """Functions of the row's operands returning, per float operand k, the partial d_k from
    the row's rule, each also with its tangents appended (the forward pass over it)."""
    kinds = _operands(name, n)
    wrt = [i for i, c in enumerate(kinds) if c == "f"]
    fns = []
    for k in wrt:
        params = [Value(BOOL if c == "b" else F64, f"a{i}") for i, c in enumerate(kinds)]
        body = Block(list(params))
        b = Builder(body, role="adjoint")
        b.conventions = conventions
        out = b.prim(name, *params)
        d = PRIMS[name].partials(b, out, *params)[k]
        d = b.const(0.0 if d is None else float(d)) if not isinstance(d, Value) else d
        partial_ops = list(body.ops)
        b.emit("return", [d], [])
        fn = Function(f"d{k}_{name}", params, body)
        fns.append((k, fn, forward(fn, wrt, 1), partial_ops))
    return kinds, wrt, fns


def _tangent_fn(name, n):
    """The row's tangent (its own rule where it has one: select, gmul) as a function of the
    operands and their tangents."""
    kinds = _operands(name, n)
    params = [Value(BOOL if c == "b" else F64, f"a{i}") for i, c in enumerate(kinds)]
    dots = [Value(F64, f"a{i}_dot") for i, c in enumerate(kinds) if c == "f"]
    body = Block(params + dots)
    b = Builder(body, role="tangent")
    out = b.prim(name, *params)
    it = iter(dots)
    b.emit("return", [jvp(b, name, out, params, [next(it) if c == "f" else None
                                                   for c in kinds])], [])
    return Function(f"{name}_jvp", params + dots, body)


def _table_points(name, kinds):
    pts = _points(TABLE_DOMAINS[name], 3, seed=1, dim=kinds.count("f"))
    if kinds[0] == "b":                        # select: both branches
        return [(c, *p) for c, p in zip((True, False, True), pts)]
    return pts


@pytest.mark.parametrize("conventions", [None, CUSTOM], ids=["default", "custom"])
@pytest.mark.parametrize("name,n", _table_cases())
def test_table_partials_and_their_tangents(name, n, conventions):
    """From the table alone: the row's partials and its tangent against central differences
    of its impl, the tangent of each partial (the forward pass over the rule's IR: what
    forward over reverse computes) against central differences of the partial, and the mixed
    partials equal."""
    kinds, wrt, fns = _build(name, n, conventions)
    impl = PRIMS[name].impl
    tangent = _tangent_fn(name, n)
    rng = np.random.default_rng(3)
    for point in _table_points(name, kinds):
        mixed = {}
        units = [[1.0 if i == j else 0.0 for i in range(len(kinds))] for j in wrt]
        other = [0.0] * len(kinds)
        for i in wrt:
            other[i] = float(rng.standard_normal())
        (t,) = interpret(tangent, (*point, *[other[i] for i in wrt]))
        fd = _richardson(lambda *p: (impl(*p),), point, other)[0]
        assert t == pytest.approx(fd, rel=1e-7, abs=1e-9), (name, point, "the row's tangent")
        for k, fn, fwd, _ in fns:
            (d,) = interpret(fn, point)
            fd = _richardson(lambda *p: (impl(*p),), point, units[wrt.index(k)])[0]
            assert d == pytest.approx(fd, rel=1e-7, abs=1e-9), (name, k, point, "partial")
            for j, direction in zip(wrt + [None], units + [other]):
                d2, t = interpret(fwd, (*point, *[direction[i] for i in wrt]))
                assert d2 == pytest.approx(d, rel=1e-15, abs=0.0)
                fd2 = _richardson(lambda *p: interpret(fn, p), point, direction)[0]
                assert t == pytest.approx(fd2, rel=1e-6, abs=1e-8), \
                    (name, k, point, direction, "the tangent of the partial")
                mixed[(k, j)] = t
        for k in wrt:                  # d/dj of d_k equals d/dk of d_j
            for j in wrt:
                assert mixed[(k, j)] == pytest.approx(mixed[(j, k)], rel=1e-12, abs=1e-14), \
                    (name, point, k, j, "mixed partials")


def _straight_line(ops, point, params):
    """Run straight-line ops: the value of each op's result, by position."""
    env = {p.id: v for p, v in zip(params, point)}
    values = []
    for op in ops:
        if op.name == "const":
            out = op.attrs["value"]
        else:
            out = PRIMS[op.name].impl(*[env[a.id] for a in op.args])
        env[op.results[0].id] = out
        values.append(out)
    return values


def _derivative_free_helpers(name, n):
    """The primitives without partials the row's rules use, checked locally constant (as
    functions of the row's operands) at the row's points; returns their names."""
    seen = set()
    for conventions in (None, CUSTOM):
        kinds, wrt, fns = _build(name, n, conventions)
        for point in _table_points(name, kinds):
            for k, fn, _, ops in fns:
                here = _straight_line(ops, point, fn.params)
                for i in wrt:
                    for s in (1e-6, -1e-6):
                        moved = list(point)
                        moved[i] += s * max(1.0, abs(point[i]))
                        there = _straight_line(ops, moved, fn.params)
                        for op, a, c in zip(ops, here, there):
                            p = PRIMS.get(op.name)
                            if p is None or p.partials is not None or p.jvp is not None:
                                continue
                            seen.add(op.name)
                            assert a == c, f"{name}'s rule uses {op.name} (no derivative) " \
                                           f"where it varies: at {point}, operand {i}"
    return seen


def test_rules_use_derivative_free_helpers_only_where_they_are_constant():
    """A primitive without partials inside a derivative rule is locally constant to the next
    derivative: its value must not change when its float operands move (logpos without
    partials would fail here, as x ** y's Hessian did)."""
    seen = set()
    for name, n in _table_cases():
        seen |= _derivative_free_helpers(name, n)
    assert {"floordiv", "tie2", "tie2t", "step", "stepc", "sign", "signc", "eq",
            "bool_f64"} <= seen, seen


# ---------------------------------------------------------------------------- from Python
MODULE = """
import math
import numpy as np
import scipy.special
import adcompile as ad

def f(x, y):
    return {}
"""


class Program:
    """One expression compiled once (jit=False): hvp, reverse and forward gradients."""

    def __init__(self, module, wrt):
        self.f = module.f
        self.wrt = wrt
        self.hvp = ad.hvp(module.f, wrt=wrt, jit=False)
        self.grad = ad.grad(module.f, wrt=wrt, jit=False)
        self.fgrad = ad.grad(module.f, wrt=wrt, mode="forward", jit=False)

    def hv(self, x, y, v):
        return np.atleast_1d(self.hvp(x, y, *v))

    def hessian(self, x, y):
        n = len(np.atleast_1d(self.wrt))
        cols = [self.hv(x, y, [1.0 if i == j else 0.0 for i in range(n)]) for j in range(n)]
        return np.stack(cols, axis=1)


@pytest.fixture(scope="module")
def program(tmp_path_factory):
    from conftest import load_source
    cache = {}
    where = tmp_path_factory.mktemp("second_order")

    def get(expr, wrt=(0, 1)):
        key = (expr, wrt)
        if key not in cache:
            module = load_source(where, MODULE.format(expr), f"so{len(cache)}")
            cache[key] = Program(module, wrt)
        return cache[key]
    return get


def _ops_in(ir: str) -> set:
    return set(re.findall(r"= ([a-z_0-9]+) ", ir))


# the gradient and Hessian of each USER expression, derived by hand: (x, y) -> (g, H)
def _unary(d1, d2):
    return lambda x, y: (np.array([d1(x), 0.0]), np.array([[d2(x), 0.0], [0.0, 0.0]]))


def _pow(x, y):
    o, lx = x ** y, math.log(x)
    return (np.array([y * x ** (y - 1), o * lx]),
            np.array([[y * (y - 1) * x ** (y - 2), x ** (y - 1) * (1 + y * lx)],
                      [x ** (y - 1) * (1 + y * lx), o * lx * lx]]))


def _atan2(a, b):
    r2 = a * a + b * b
    return (np.array([b / r2, -a / r2]),
            np.array([[-2 * a * b, a * a - b * b], [a * a - b * b, 2 * a * b]]) / r2 ** 2)


def _hypot(a, b):
    r = math.hypot(a, b)
    return np.array([a / r, b / r]), np.array([[b * b, -a * b], [-a * b, a * a]]) / r ** 3


def _norm(x, y):                                # sqrt(q), q = x^2 + y^2 + x^2 y^2
    n = math.sqrt(x * x + y * y + x * x * y * y)
    gq = np.array([2 * x + 2 * x * y * y, 2 * y + 2 * x * x * y])
    hq = np.array([[2 + 2 * y * y, 4 * x * y], [4 * x * y, 2 + 2 * x * x]])
    return gq / (2 * n), hq / (2 * n) - np.outer(gq, gq) / (4 * n ** 3)


def _where(x, y):
    if x > y:
        return (np.array([math.cos(x) * y, math.sin(x)]),
                np.array([[-math.sin(x) * y, math.cos(x)], [math.cos(x), 0.0]]))
    return np.array([2 * x, -1.0]), np.array([[2.0, 0.0], [0.0, 0.0]])


def _where_sqrt(x, y):
    if x > y:
        r = math.sqrt(x)
        return (np.array([0.5 / r * y, r]),
                np.array([[-0.25 * y * x ** -1.5, 0.5 / r], [0.5 / r, 0.0]]))
    return np.array([2 * x, -1.0]), np.array([[2.0, 0.0], [0.0, 0.0]])


def _softmax2(a, b, scale):                    # logaddexp(a, b) / scale, a = x * scale
    p, q = sc.softmax([a, b])
    return np.array([p, q]), scale * p * q * np.array([[1.0, -1.0], [-1.0, 1.0]])


def _dsinc(x):
    return (math.cos(math.pi * x) - np.sinc(x)) / x


def _derf(x):
    return 2 / math.sqrt(math.pi) * math.exp(-x * x)


def _derfinv(x):
    return math.sqrt(math.pi) / 2 * math.exp(sc.erfinv(x) ** 2)


def _ds(x):
    return sc.expit(x) * (1 - sc.expit(x))


def _pdf(x):
    return math.exp(-0.5 * x * x) / math.sqrt(2 * math.pi)


def _entr_h(x, y):
    return np.array([[1 / x, -1 / y], [-1 / y, x / y ** 2]])


ZERO = np.zeros((2, 2))
EXACT = {
    "add": lambda x, y: (np.array([1.0, 1.0]), ZERO),
    "sub": lambda x, y: (np.array([1.0, -1.0]), ZERO),
    "mul": lambda x, y: (np.array([y, x]), np.array([[0.0, 1.0], [1.0, 0.0]])),
    "div": lambda x, y: (np.array([1 / y, -x / y ** 2]),
                         np.array([[0.0, -1 / y ** 2], [-1 / y ** 2, 2 * x / y ** 3]])),
    "neg": lambda x, y: (np.array([-1.0, 0.0]), ZERO),
    "mod": lambda x, y: (np.array([1.0, -math.floor(x / y)]), ZERO),
    "pow": _pow, "logpos": _pow, "recippos": _pow,
    "sin": _unary(math.cos, lambda x: -math.sin(x)),
    "cos": _unary(lambda x: -math.sin(x), lambda x: -math.cos(x)),
    "tan": _unary(lambda x: 1 + math.tan(x) ** 2,
                  lambda x: 2 * math.tan(x) * (1 + math.tan(x) ** 2)),
    "asin": _unary(lambda x: (1 - x * x) ** -0.5, lambda x: x * (1 - x * x) ** -1.5),
    "acos": _unary(lambda x: -(1 - x * x) ** -0.5, lambda x: -x * (1 - x * x) ** -1.5),
    "atan": _unary(lambda x: 1 / (1 + x * x), lambda x: -2 * x / (1 + x * x) ** 2),
    "sinh": _unary(math.cosh, math.sinh), "cosh": _unary(math.sinh, math.cosh),
    "tanh": _unary(lambda x: 1 - math.tanh(x) ** 2,
                   lambda x: -2 * math.tanh(x) * (1 - math.tanh(x) ** 2)),
    "exp": _unary(math.exp, math.exp), "expm1": _unary(math.exp, math.exp),
    "log": _unary(lambda x: 1 / x, lambda x: -1 / x ** 2),
    "log1p": _unary(lambda x: 1 / (1 + x), lambda x: -1 / (1 + x) ** 2),
    "log2": _unary(lambda x: 1 / (x * math.log(2)), lambda x: -1 / (x * x * math.log(2))),
    "log10": _unary(lambda x: 1 / (x * math.log(10)), lambda x: -1 / (x * x * math.log(10))),
    "sqrt": _unary(lambda x: 0.5 / math.sqrt(x), lambda x: -0.25 * x ** -1.5),
    "atan2": _atan2, "hypot": _hypot, "divnz": _hypot, "norm_sqrt": _norm,
    "abs": _unary(lambda x: math.copysign(1.0, x), lambda x: 0.0),
    "relu": _unary(lambda x: float(x > 0), lambda x: 0.0),
    "max": lambda x, y: (np.array([float(x > y), float(x < y)]), ZERO),
    "min": lambda x, y: (np.array([float(x < y), float(x > y)]), ZERO),
    "npmax": lambda x, y: (np.array([float(x > y), float(x < y)]), ZERO),
    "npmin": lambda x, y: (np.array([float(x < y), float(x > y)]), ZERO),
    "select": _where, "gmul": _where_sqrt,
    "cbrt": _unary(lambda x: 1 / (3 * np.cbrt(x) ** 2), lambda x: -2 / (9 * np.cbrt(x) ** 5)),
    "asinh": _unary(lambda x: (1 + x * x) ** -0.5, lambda x: -x * (1 + x * x) ** -1.5),
    "acosh": _unary(lambda x: ((x + 1.5) ** 2 - 1) ** -0.5,
                    lambda x: -(x + 1.5) * ((x + 1.5) ** 2 - 1) ** -1.5),
    "atanh": _unary(lambda x: 1 / (1 - x * x), lambda x: 2 * x / (1 - x * x) ** 2),
    "deg2rad": _unary(lambda x: math.pi / 180, lambda x: 0.0),
    "rad2deg": _unary(lambda x: 180 / math.pi, lambda x: 0.0),
    # prims/special_rows.py
    "exp2": _unary(lambda x: 2 ** x * math.log(2), lambda x: 2 ** x * math.log(2) ** 2),
    "exp10": _unary(lambda x: 10 ** x * math.log(10), lambda x: 10 ** x * math.log(10) ** 2),
    "logaddexp": lambda x, y: _softmax2(x, y, 1.0),
    "logaddexp2": lambda x, y: _softmax2(x * math.log(2), y * math.log(2), math.log(2)),
    "sinc": _unary(_dsinc, lambda x: -math.pi ** 2 * np.sinc(x) - 2 * _dsinc(x) / x),
    "fmod": lambda x, y: (np.array([1.0, -math.trunc(x / y)]), ZERO),
    "copysign": lambda x, y: (np.array([math.copysign(1.0, x) * math.copysign(1.0, y), 0.0]),
                              ZERO),
    "heaviside": lambda x, y: (np.array([0.0, 0.0]), ZERO),
    "fmax": lambda x, y: (np.array([float(x > y), float(x < y)]), ZERO),
    "fmin": lambda x, y: (np.array([float(x < y), float(x > y)]), ZERO),
    "erf": _unary(lambda x: _derf(x), lambda x: -2 * x * _derf(x)),
    "erfc": _unary(lambda x: -_derf(x), lambda x: 2 * x * _derf(x)),
    "erfinv": _unary(lambda x: _derfinv(x), lambda x: 2 * sc.erfinv(x) * _derfinv(x) ** 2),
    "lgamma": _unary(sc.digamma, lambda x: sc.polygamma(1, x)),
    "gamma": _unary(lambda x: sc.gamma(x) * sc.digamma(x),
                    lambda x: sc.gamma(x) * (sc.digamma(x) ** 2 + sc.polygamma(1, x))),
    "digamma": _unary(lambda x: sc.polygamma(1, x), lambda x: sc.polygamma(2, x)),
    "polygamma": _unary(lambda x: sc.polygamma(3, x), lambda x: sc.polygamma(4, x)),
    "expit": _unary(lambda x: _ds(x), lambda x: _ds(x) * (1 - 2 * sc.expit(x))),
    "log_expit": _unary(lambda x: sc.expit(-x), lambda x: -_ds(x)),
    "softplus": _unary(sc.expit, _ds),
    "logit": _unary(lambda x: 1 / (x * (1 - x)), lambda x: -(1 - 2 * x) / (x * (1 - x)) ** 2),
    "xlogy": lambda x, y: (np.array([math.log(y), x / y]),
                           np.array([[0.0, 1 / y], [1 / y, -x / y ** 2]])),
    "xlog1py": lambda x, y: (np.array([math.log1p(y), x / (1 + y)]),
                             np.array([[0.0, 1 / (1 + y)], [1 / (1 + y), -x / (1 + y) ** 2]])),
    "ndtr": _unary(_pdf, lambda x: -x * _pdf(x)),
    "log_ndtr": _unary(lambda x: _pdf(x) / sc.ndtr(x),
                       lambda x: -x * _pdf(x) / sc.ndtr(x) - (_pdf(x) / sc.ndtr(x)) ** 2),
    "entr": _unary(lambda x: -(math.log(x) + 1), lambda x: -1 / x),
    "rel_entr": lambda x, y: (np.array([math.log(x / y) + 1, -x / y]), _entr_h(x, y)),
    "kl_div": lambda x, y: (np.array([math.log(x / y), 1 - x / y]), _entr_h(x, y)),
}

# each expression as written, and multiplied by a function of both inputs (the adjoint
# reaching the row then varies: forward over reverse differentiates adjoint * partial)
SCALE = "(1.5 + x - 0.5 * y)"


def _variants():
    out = []
    for name in sorted(USER):
        out.append((name, "plain"))
        out.append((name, "scaled"))
    return out


def _exact(name, variant, x, y):
    g, H = EXACT[name](x, y)
    if variant == "scaled":                      # (E L)'' = E'' L + g_E g_L^T + g_L g_E^T
        expr = USER[name][0]
        e = eval(expr, {"math": math, "np": np, "ad": ad, "scipy": scipy, "x": x, "y": y})
        L, gl = 1.5 + x - 0.5 * y, np.array([1.0, -0.5])
        g, H = g * L + e * gl, H * L + np.outer(g, gl) + np.outer(gl, g)
    return g, H


@pytest.mark.parametrize("name,variant", _variants())
def test_hvp_of_every_row(name, variant, program):
    expr, domain = USER[name]
    unary = name in UNARY and variant == "plain"
    wrt = 0 if unary else (0, 1)
    prog = program(expr if variant == "plain" else f"({expr}) * {SCALE}", wrt)
    seed = 2 + 17 * sorted(USER).index(name) + (variant == "scaled")
    rng = np.random.default_rng(seed)
    for k, (x, y) in enumerate(_points(domain, 3, seed=seed)):
        v = rng.standard_normal(1 if unary else 2)
        hv = prog.hv(x, y, v)
        _, H = _exact(name, variant, x, y)
        H = H[:1, :1] if unary else H
        # against the Hessian derived by hand
        np.testing.assert_allclose(hv, H @ v, rtol=1e-9, atol=1e-11,
                                   err_msg=f"{expr} ({variant}) at {(x, y)} v={v}")
        # against finite differences of the reverse-mode and forward-mode gradients
        along = [v[0], 0.0] if unary else list(v)
        for grad in (prog.grad, prog.fgrad):
            fd = _richardson(lambda a, b: grad(a, b), (x, y), along)
            np.testing.assert_allclose(hv, fd, rtol=1e-6, atol=1e-8,
                                       err_msg=f"{expr} ({variant}, {grad.mode}) at {(x, y)}")
        # the assembled Hessian: symmetric, and equal to the exact one
        if not unary and k == 0:
            Hc = prog.hessian(x, y)
            np.testing.assert_allclose(Hc, Hc.T, rtol=1e-12, atol=1e-14, err_msg=expr)
            np.testing.assert_allclose(Hc, H, rtol=1e-9, atol=1e-11, err_msg=expr)
    # the expression does reach the row: in the primal or in the derivative code
    reached = _ops_in(prog.hvp.ir) | _ops_in(prog.hvp.adjoint_ir)
    assert name in reached, f"{expr} does not reach {name}"


def test_pow_with_the_exponent_an_input_exact(program):
    """x ** y at (0.7, 1.3) along (1, 0): (y (y-1) x^(y-2), x^(y-1) (1 + y log x))."""
    hv = program("x ** y").hv(0.7, 1.3, [1.0, 0.0])
    x, y = 0.7, 1.3
    exact = (y * (y - 1) * x ** (y - 2), x ** (y - 1) * (1 + y * math.log(x)))
    assert hv == pytest.approx(exact, rel=1e-12)
    assert hv == pytest.approx((0.50061, 0.48190), abs=1e-5)


COMPOSITIONS = [  # (expression, domain): exponents that depend on the inputs, nested helpers
    ("x ** (x * y)", "pos"),
    ("(1.0 + x * x) ** math.sin(y)", "any"),
    ("2.0 ** (x * y)", "any"),
    ("x ** 3.5 * (2.5 + y) ** -2", "pos"),
    ("np.power(x, y) * math.exp(y * math.log(x))", "pos"),
    ("math.hypot(x * y, x - y + 3.0)", "any"),
    ("math.atan2(x * y, 1.0 + y * y)", "any"),
    ("math.sqrt(1.0 + x * x) * math.log1p(y * y)", "any"),
    ("max(x, y, 0.5 * x * y) * x", "any"),
    ("np.linalg.norm(np.array([x, y]) * x) ** 3", "any"),
    ("np.where(x > 0.0, math.log(1.0 + x * x), x) * np.where(y > 0.0, (1.0 + y * y) ** x, y)",
     "any"),
    ("abs(x * y) ** 1.5 + ad.relu(x - y) ** 2", "any"),
]


@pytest.mark.parametrize("expr,domain", COMPOSITIONS)
def test_hvp_of_compositions(expr, domain, program):
    prog = program(expr)
    rng = np.random.default_rng(7)
    for x, y in _points(domain, 3, seed=99):
        if expr.startswith("abs") and abs(x * y) < 0.15:       # abs(x * y)'s kink
            continue
        v = rng.standard_normal(2)
        hv = prog.hv(x, y, v)
        for grad in (prog.grad, prog.fgrad):
            fd = _richardson(lambda a, b: grad(a, b), (x, y), v)
            np.testing.assert_allclose(hv, fd, rtol=1e-6, atol=1e-8,
                                       err_msg=f"{expr} ({grad.mode}) at {(x, y)}")
        H = prog.hessian(x, y)
        np.testing.assert_allclose(H, H.T, rtol=1e-10, atol=1e-12, err_msg=expr)
        np.testing.assert_allclose(H @ v, hv, rtol=1e-10, atol=1e-12, err_msg=expr)


LOOP = """
import math
import numpy as np
import adcompile as ad

def f(x, y):
    s = 0.0
    for i in range(4):
        s = s + (x + 0.1 * i) ** (0.5 + 0.3 * math.tanh(y * s)) + math.hypot(s, y) \\
            + np.where(s > 1.0, math.sin(s) * x, s * y)
        s = s * 0.3 + 0.1 * ad.relu(s - 1.0) ** 2 + abs(x - s) * 0.1 + max(s, y) * 0.2 + s % 1.7
    a = np.zeros(3)
    for i in range(3):
        a[i] = math.atan2(s, x + i) + math.log1p(s * s) + np.linalg.norm(np.array([s, x, i * y]))
    return np.sum(a)
"""


def test_hvp_of_helper_rows_in_loops(tmp_path):
    """The rows inside loops: their values taped for the adjoint sweep, differentiated again."""
    from conftest import load_source
    f = load_source(tmp_path, LOOP, "loop").f
    hvp = ad.hvp(f, wrt=(0, 1), jit=False)
    grads = [ad.grad(f, wrt=(0, 1), jit=False, mode=mode) for mode in ("reverse", "forward")]
    rng = np.random.default_rng(5)
    for point in ((0.7, 1.3), (1.1, 0.4), (0.3, 0.9)):
        v = rng.standard_normal(2)
        hv = np.array(hvp(*point, *v))
        for grad in grads:
            fd = _richardson(lambda a, b: grad(a, b), point, v, h=1e-4)
            np.testing.assert_allclose(hv, fd, rtol=1e-6, atol=1e-8,
                                       err_msg=f"{grad.mode} at {point}")
        H = np.stack([hvp(*point, 1.0, 0.0), hvp(*point, 0.0, 1.0)], axis=1)
        np.testing.assert_allclose(H, H.T, rtol=1e-10)
        np.testing.assert_allclose(H @ v, hv, rtol=1e-10)


def test_pow_written_two_ways_agrees(program):
    """x ** y and exp(y log x): different rows, the same Hessian."""
    a, b = program("x ** y"), program("math.exp(y * math.log(x))")
    for x, y in _points("pos", 4, seed=5):
        np.testing.assert_allclose(a.hessian(x, y), b.hessian(x, y), rtol=1e-10, atol=1e-12)


def test_compiled_hvp_matches_plain_python(tmp_path):
    """Every USER expression in one program: Numba's hvp equals jit=False's (the emitted
    templates of the helper rows), at a point inside every domain."""
    from conftest import load_source
    terms = sorted({e for e, _ in USER.values()})
    m = load_source(tmp_path, MODULE.format(" + ".join(f"({e})" for e in terms)), "allrows")
    x, y = 0.3, 0.6
    assert all(_ok(d, (x, y)) for _, d in USER.values())
    for point in ((x, y), (0.45, 0.35)):
        for v in ((0.6, -0.8), (1.0, 0.0)):
            got = ad.hvp(m.f, wrt=(0, 1))(*point, *v)
            want = ad.hvp(m.f, wrt=(0, 1), jit=False)(*point, *v)
            np.testing.assert_allclose(got, want, rtol=1e-12, atol=1e-14)


NAN_ARMS = """
import numpy as np

def f(x, y):
    return np.where(x > 0.0, np.sqrt(x) * y, x * y) + np.where(y < 2.0, y * y, np.log(y - 2.0) * x)
"""


@pytest.mark.parametrize("jit", [True, False])
def test_hvp_keeps_an_unselected_nan_arm_out(jit, tmp_path):
    """np.where's arm not taken may be NaN (sqrt(-1), log(-1)); its guarded adjoint products
    (gmul) and select's tangent keep it out of H v."""
    from conftest import load_source
    hvp = ad.hvp(load_source(tmp_path, NAN_ARMS, "nanarms").f, wrt=(0, 1), jit=jit)
    for (x, y), H in (((-1.0, 0.5), [[0.0, 1.0], [1.0, 2.0]]),       # x y + y^2
                      ((4.0, 0.5), [[-0.5 / (4 * 4.0 ** 1.5), 0.25], [0.25, 2.0]])):
        for v in ((1.0, 0.0), (0.0, 1.0), (0.6, -0.8)):         # sqrt(x) y + y^2
            np.testing.assert_allclose(hvp(x, y, *v), np.array(H) @ v, rtol=1e-14, atol=1e-15)


# ---------------------------------------------------------------------------- kinks
KINKS = [  # (expression, point): H v at a kink is finite; relu/abs/max/min's partials are
    ("ad.relu(x)", (0.0, 1.0)),       # piecewise constant, so it is 0
    ("ad.relu(x)", (-0.0, 1.0)),
    ("abs(x)", (0.0, 1.0)),
    ("abs(x)", (-0.0, 1.0)),
    ("abs(x - y)", (0.5, 0.5)),
    ("max(x, y)", (1.5, 1.5)),
    ("min(x, y)", (-2.0, -2.0)),
    ("np.maximum(x, y)", (0.0, 0.0)),
    ("max(x, y, 1.0)", (1.0, 1.0)),
    ("math.hypot(x, y)", (0.0, 0.0)),                     # derivative 0 at the zero vector
    ("np.linalg.norm(np.array([x, y]))", (0.0, 0.0)),
]


@pytest.mark.parametrize("expr,point", KINKS)
def test_hvp_at_kinks_is_finite_and_zero(expr, point, program):
    prog = program(expr)
    for v in ((1.0, 0.0), (0.0, 1.0), (0.6, -0.8)):
        hv = prog.hv(*point, v)
        assert np.all(np.isfinite(hv)), (expr, point, v, hv)
        assert hv == pytest.approx((0.0, 0.0), abs=0.0), (expr, point, v, hv)


POWERS = """
def pk(x, k):
    return x ** k

def p0(x):
    return x ** 0

def p0f(x):
    return x ** 0.0
"""


@pytest.mark.parametrize("k,first,second", [(0, 0.0, 0.0), (1, 1.0, 0.0), (2, 0.0, 2.0),
                                            (3, 0.0, 0.0)])
def test_integer_powers_at_zero(load, k, first, second):
    """d/dx x**k at x = 0 for small int k (the exponent 0 used to give nan, or a
    ZeroDivisionError in compiled code), first and second derivatives, both modes, compiled
    and not."""
    m = load(POWERS)
    for jit in (True, False):
        for mode in ("reverse", "forward"):
            assert ad.grad(m.pk, mode=mode, jit=jit)(0.0, k) == first
        assert ad.hessian(m.pk, jit=jit)(0.0, k) == second
        assert ad.grad(ad.grad(m.pk), jit=jit)(0.0, k) == second
    for f in (m.p0, m.p0f):
        for x in (0.0, 2.5, -1.5):
            assert ad.grad(f)(x) == 0.0 and ad.grad(f, mode="forward")(x) == 0.0
            assert ad.hessian(f)(x) == 0.0
    assert ad.grad(m.pk)(2.0, 3) == pytest.approx(12.0)
    assert ad.hessian(m.pk)(2.0, 3) == pytest.approx(12.0)
