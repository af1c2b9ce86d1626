"""Linear algebra rows: np.linalg's factorisations and solves, and the small matrix rows
their derivative rules are written in.

Each rule is the standard matrix identity, built from other rows (so second derivatives come
from differentiating the rules again): det's adjoint is g * cofactor(A); inv's is
-X.T @ G @ X.T; solve's b_bar = solve(A.T, G), A_bar = -b_bar x.T; cholesky, eigh and qr
follow Murray (2016), Giles (2008) and Liao et al. (2019). Functions NumPy computes from
one triangle of a symmetric matrix (cholesky, eigh) are differentiated as functions of a
symmetric matrix: tangents are symmetrised, adjoints are symmetric (docs/conventions.md).
The LAPACK calls go through adcompile/runtime.py helpers that return C-ordered arrays.
"""
from __future__ import annotations

import numpy as np

from ..errors import UnsupportedSyntaxError
from ..types import F64, I64, Array
from . import linalg_bind as lb
from .bind import on
from .emit import ATOM, Emit, call, infix
from .rules import each_direction
from .scalar_rows import E
from .table import Kink, row

M2 = Array(F64, 2)
V1 = Array(F64, 1)


def _m(*_, **__):
    return M2


def _v(*_, **__):
    return V1


def _f(*_, **__):
    return F64


def _like_rhs(a, c, **_):
    return Array(F64, c.type.ndim)


def _h(name):
    """A call of the runtime helper `name` (adcompile/runtime.py)."""
    return call(name, helpers=(name,))


# ---------------------------------------------------------------------------- building blocks
def _p(b, name, *args, **attrs):
    return b.prim(name, *args, **attrs)


def _T(b, x):
    return b.prim("transpose", x)


def _mm(b, x, y, **attrs):
    return b.prim("matmul", x, y, **attrs)


def _sc(b, x, s):
    return b.prim("scaled", x, s)


def _add(b, *terms):
    terms = [t for t in terms if t is not None]
    if not terms:
        return None
    total = terms[0]
    for t in terms[1:]:
        total = b.prim("madd", total, t)
    return total


def _sub(b, x, y):
    return b.prim("madd", x, _sc(b, y, -1.0))


def _sym(b, x):
    """(X + X.T) / 2"""
    return _sc(b, b.prim("madd", x, _T(b, x)), 0.5)


def _tangent(rule):
    """A tangent rule per direction, asked only when some operand's tangent is not zero."""
    return each_direction(rule)


def _adjoint(rule):
    """A VJP from rule(b, g, args, out, attrs) -> per operand None or a fresh contribution."""
    def vjp(b, adj):
        args = [adj.arg(k) for k in range(adj.n)]
        if not any(adj.active(k) for k in range(adj.n)):
            return
        for k, contrib in enumerate(rule(b, adj.g, args, adj.out(), adj.attrs)):
            if contrib is not None and adj.active(k):
                adj.add(k, contrib)
    return vjp


def _not_differentiable(what, hint):
    def rule(b, *rest):
        raise UnsupportedSyntaxError(f"{what} not differentiable", b.loc, hint)
    return rule


# ---------------------------------------------------------------------------- small matrix rows
row("transpose", 1, lambda a: np.ascontiguousarray(a.T), _h("la_transpose"), _m, cost=E,
    jvp=_tangent(lambda b, o, args, d, at: d[0] and _T(b, d[0])),
    vjp=_adjoint(lambda b, g, args, out, at: [_T(b, g)]), operands="arrays",
    doc="A.T as a new C-ordered matrix")
row("madd", 2, lambda a, c: a + c, infix("+", 11), lambda a, c, **_: a.type, cost=E,
    jvp=_tangent(lambda b, o, args, d, at: _add(b, *d)),
    vjp=_adjoint(lambda b, g, args, out, at: [b.prim("copy", g), b.prim("copy", g)]),
    operands="arrays", doc="the sum of two arrays of one shape, a new array")
row("hadamard", 2, lambda a, c: a * c, infix("*", 12), lambda a, c, **_: a.type, cost=E,
    needs_contents=True,
    jvp=_tangent(lambda b, o, args, d, at: _add(b, d[0] and b.prim("hadamard", d[0], args[1]),
                                               d[1] and b.prim("hadamard", args[0], d[1]))),
    vjp=_adjoint(lambda b, g, args, out, at: [b.prim("hadamard", g, args[1]),
                                              b.prim("hadamard", g, args[0])]),
    operands="arrays", doc="the elementwise product of two arrays of one shape; the binder "
    "of the contractions (np.einsum, np.tensordot, np.kron: loop nests of products)",
    bindings=(on(np.einsum, "np.einsum", bind=lb.einsum),
              on(np.tensordot, "np.tensordot", bind=lb.tensordot),
              on(np.kron, "np.kron", bind=lb.kron)))
for _name in ("lower", "upper"):          # masks: each its own adjoint
    row(_name, 2, (lambda a, s: np.tril(a, -1) + s * np.diag(np.diag(a))) if _name == "lower"
        else (lambda a, s: np.triu(a, 1) + s * np.diag(np.diag(a))),
        _h(f"la_{_name}"), _m, cost=E,
        jvp=_tangent(lambda b, o, args, d, at, _n=_name: d[0] and b.prim(_n, d[0], args[1])),
        vjp=_adjoint(lambda b, g, args, out, at, _n=_name: [b.prim(_n, g, args[1]), None]),
        operands="arrays", doc=f"the strictly {_name} triangle plus a number times the diagonal")
row("diag", 1, np.diag, _h("la_diag"), _m, cost=E,
    jvp=_tangent(lambda b, o, args, d, at: d[0] and b.prim("diag", d[0])),
    vjp=_adjoint(lambda b, g, args, out, at: [b.prim("diagonal", g)]), operands="arrays",
    doc="a diagonal matrix from a vector")
row("diagonal", 1, lambda a: np.diagonal(a).copy(), _h("la_diagonal"), _v, cost=E,
    jvp=_tangent(lambda b, o, args, d, at: d[0] and b.prim("diagonal", d[0])),
    vjp=_adjoint(lambda b, g, args, out, at: [b.prim("diag", g)]), operands="arrays",
    doc="the diagonal of a square matrix")
row("eye", 2, lambda n, m: np.eye(n, m), _h("la_eye"), _m, cost=E, operands="ints",
    doc="the n x m identity (the rules' own; np.eye and np.identity are frontend/"
        "constructors.py's, with k= and dtype=)")
row("trace", 1, lambda a: float(np.trace(a)), _h("la_trace"), _f, cost=E,
    jvp=_tangent(lambda b, o, args, d, at: d[0] and b.prim("trace", d[0])),
    vjp=_adjoint(lambda b, g, args, out, at: [_sc(b, b.prim(
        "eye", b.prim("dim", args[0], 0), b.prim("dim", args[0], 1)), g)]),
    operands="arrays", bindings=(on(np.trace, "np.trace", bind=lb.trace),),
    doc="np.trace(A): the sum of the diagonal")
def _gaps_tangent(b, F, args, d, at):
    """dF[i, j] = -(dw[j] - dw[i]) F[i, j]^2 (0 where F is)."""
    (dw,) = d
    one = b.prim("ones", b.prim("dim", args[0], 0))
    D = _sub(b, b.prim("outer", one, dw), b.prim("outer", dw, one))
    return _sc(b, b.prim("hadamard", D, b.prim("hadamard", F, F)), -1.0)


row("gaps", 1, lambda w: _gaps(w), _h("la_gaps"), _m, cost=E, operands="arrays",
    needs_contents=True, jvp=_tangent(_gaps_tangent),
    doc="F[i, j] = 1 / (w[j] - w[i]) off the diagonal (0 for equal eigenvalues): eigh's rules")


def _gaps(w):
    from ..runtime import la_gaps
    return la_gaps(np.asarray(w, dtype=np.float64))


def _cofactor(a):
    from ..runtime import la_cofactor
    return la_cofactor(np.ascontiguousarray(a, dtype=np.float64))


# ---------------------------------------------------------------------------- det, slogdet
def _cof_tangent(b, C, args, d, at):
    """dC = sum(C * dA) A^-T - C dA^T A^-T (C = det A * A^-T; needs A invertible)."""
    (A,), (dA,) = args, d
    if dA is None:
        return None
    XT = _T(b, b.prim("inv", A))
    return _sub(b, _sc(b, XT, b.prim("sum_all", b.prim("hadamard", C, dA))),
                _mm(b, _mm(b, C, dA, tb=True), XT))


row("cofactor", 1, _cofactor, _h("la_cofactor"), _m, cost=E, needs_contents=True,
    jvp=_tangent(_cof_tangent), operands="arrays",
    doc="det(A) * inv(A).T computed from the SVD: finite at singular matrices")
row("det", 1, lambda a: float(np.linalg.det(a)), call("np.linalg.det"), _f, cost=E,
    needs_contents=True, bindings=(on(np.linalg.det, "np.linalg.det", bind=lb.matrix),),
    jvp=_tangent(lambda b, o, args, d, at: d[0] and b.prim(
        "sum_all", b.prim("hadamard", b.prim("cofactor", args[0]), d[0]))),
    vjp=_adjoint(lambda b, g, args, out, at: [_sc(b, b.prim("cofactor", args[0]), g)]),
    operands="arrays", doc="np.linalg.det: adjoint g * cofactor(A)")
row("logabsdet", 1, lambda a: float(np.linalg.slogdet(a)[1]), _h("la_logabsdet"), _f, cost=E,
    needs_contents=True,
    jvp=_tangent(lambda b, o, args, d, at: d[0] and b.prim(
        "trace", b.prim("solve", args[0], d[0]))),
    vjp=_adjoint(lambda b, g, args, out, at: [_sc(b, _T(b, b.prim("inv", args[0])), g)]),
    kink=Kink("singular", "det(A) == 0 (log|det| is -inf there)"), operands="arrays",
    bindings=(on(np.linalg.slogdet, "np.linalg.slogdet", bind=lb.slogdet),),
    doc="np.linalg.slogdet(A)[1]: adjoint g * inv(A).T")
row("det_sign", 1, lambda a: float(np.linalg.slogdet(a)[0]), _h("la_sign"), _f, cost=E,
    jvp=_tangent(lambda b, o, args, d, at: None),
    vjp=_adjoint(lambda b, g, args, out, at: [None]), operands="arrays",
    kink=Kink("jump", "det(A) changes sign"),
    doc="np.linalg.slogdet(A)[0]: piecewise constant, derivative 0")


# ---------------------------------------------------------------------------- inv, solve
row("inv", 1, np.linalg.inv, _h("la_inv"), _m, cost=E, needs_contents=True,
    jvp=_tangent(lambda b, X, args, d, at: d[0] and _sc(b, _mm(b, _mm(b, X, d[0]), X), -1.0)),
    vjp=_adjoint(lambda b, g, args, X, at: [
        _sc(b, _mm(b, _mm(b, X, g, ta=True), X, tb=True), -1.0)]),
    kink=Kink("singular", "det(A) == 0 (LinAlgError)"), operands="arrays",
    bindings=(on(np.linalg.inv, "np.linalg.inv", bind=lb.matrix),),
    doc="np.linalg.inv: tangent -X dA X, adjoint -X.T G X.T")


def _solve_tangent(b, x, args, d, at):
    (A, _), (dA, dB) = args, d
    rhs = _add(b, dB, dA is not None and _sc(b, _mm(b, dA, x), -1.0) or None)
    return rhs and b.prim("solve", A, rhs)


def _solve_adjoint(b, g, args, x, at):
    A, B = args
    gb = b.prim("solve", _T(b, A), g)
    ga = b.prim("outer", gb, x) if x.type.ndim == 1 else _mm(b, gb, x, tb=True)
    return [_sc(b, ga, -1.0), gb]


row("solve", 2, np.linalg.solve, _h("la_solve"), _like_rhs, cost=E, needs_contents=True,
    jvp=_tangent(_solve_tangent), vjp=_adjoint(_solve_adjoint),
    kink=Kink("singular", "det(A) == 0 (LinAlgError)"), operands="arrays",
    bindings=(on(np.linalg.solve, "np.linalg.solve", bind=lb.solve),),
    doc="np.linalg.solve(A, b) for a vector or matrix b: b_bar = solve(A.T, G), "
        "A_bar = -b_bar x.T")


# ---------------------------------------------------------------------------- cholesky
def _chol_tangent(b, L, args, d, at):
    """dL = L Phi(L^-1 sym(dA) L^-T), Phi: the lower triangle with half the diagonal."""
    (dA,) = d
    if dA is None:
        return None
    Li = b.prim("inv", L)
    return _mm(b, L, b.prim("lower", _mm(b, _mm(b, Li, _sym(b, dA)), Li, tb=True), 0.5))


def _chol_adjoint(b, g, args, L, at):
    Li = b.prim("inv", L)
    U = b.prim("lower", _mm(b, L, g, ta=True), 0.5)
    return [_sym(b, _mm(b, _mm(b, Li, U, ta=True), Li))]


row("cholesky", 1, np.linalg.cholesky, _h("la_cholesky"), _m, cost=E, needs_contents=True,
    jvp=_tangent(_chol_tangent), vjp=_adjoint(_chol_adjoint), operands="arrays",
    kink=Kink("singular", "A is not positive definite (LinAlgError)"),
    bindings=(on(np.linalg.cholesky, "np.linalg.cholesky", bind=lb.matrix),),
    doc="np.linalg.cholesky of a symmetric positive definite matrix (lower triangle L)")


# ---------------------------------------------------------------------------- eigh
def _eigh_parts(b, A):
    V = b.prim("eigh_v", A)
    return b.prim("eigh_w", A), V


def _eigh_M(b, V, dA):
    return _mm(b, _mm(b, V, _sym(b, dA), ta=True), V)


row("eigh_w", 1, lambda a: np.linalg.eigh(a)[0], _h("la_eigh_w"), _v, cost=E,
    needs_contents=True,
    jvp=_tangent(lambda b, w, args, d, at: d[0] and b.prim(
        "diagonal", _eigh_M(b, b.prim("eigh_v", args[0]), d[0]))),
    vjp=_adjoint(lambda b, g, args, w, at: [_sym(b, _mm(b, _mm(
        b, (V := b.prim("eigh_v", args[0])), b.prim("diag", g)), V, tb=True))]),
    operands="arrays", bindings=(on(np.linalg.eigh, "np.linalg.eigh", bind=lb.eigh),
                                 on(np.linalg.eigvalsh, "np.linalg.eigvalsh", bind=lb.eigvalsh)),
    doc="np.linalg.eigh(A)[0]: tangent diag(V.T dA V)")


def _eigh_v_adjoint(b, g, args, V, at):
    F = b.prim("gaps", b.prim("eigh_w", args[0]))
    inner = b.prim("hadamard", F, _mm(b, V, g, ta=True))
    return [_sym(b, _mm(b, _mm(b, V, inner), V, tb=True))]


row("eigh_v", 1, lambda a: np.linalg.eigh(a)[1], _h("la_eigh_v"), _m, cost=E,
    needs_contents=True,
    jvp=_tangent(lambda b, V, args, d, at: d[0] and _mm(b, V, b.prim(
        "hadamard", b.prim("gaps", b.prim("eigh_w", args[0])), _eigh_M(b, V, d[0])))),
    vjp=_adjoint(_eigh_v_adjoint), operands="arrays",
    kink=Kink("singular", "two eigenvalues are equal", convention=0.0,
              alternatives=("any basis of the eigenspace",)),
    doc="np.linalg.eigh(A)[1]: tangent V (F * (V.T dA V)), F[i, j] = 1 / (w[j] - w[i])")


# ---------------------------------------------------------------------------- qr (reduced)
def _qr_tangent_parts(b, A, dA):
    Q, R = b.prim("qr_q", A), b.prim("qr_r", A)
    Ri = b.prim("inv", R)
    dARi = _mm(b, dA, Ri)
    X = _mm(b, Q, dARi, ta=True)
    low = b.prim("lower", X, 0.0)
    K = _sub(b, X, _sub(b, low, _T(b, low)))           # X - Omega: upper triangular
    return Q, R, dARi, K


def _qr_q_tangent(b, Q, args, d, at):
    if d[0] is None:
        return None
    Q, R, dARi, K = _qr_tangent_parts(b, args[0], d[0])
    return _sub(b, dARi, _mm(b, Q, K))


def _qr_r_tangent(b, R, args, d, at):
    if d[0] is None:
        return None
    Q, R, dARi, K = _qr_tangent_parts(b, args[0], d[0])
    return _mm(b, K, R)


def _copyltu(b, M):
    return b.prim("madd", b.prim("lower", M, 1.0), _T(b, b.prim("lower", M, 0.0)))


def _qr_adjoint(which):
    """A_bar = (Q_bar + Q copyltu(M)) R^-T, M = R R_bar^T - Q_bar^T Q (one of the two
    adjoints zero: the rule is linear in them)."""
    def rule(b, g, args, out, at):
        A = args[0]
        Q, R = b.prim("qr_q", A), b.prim("qr_r", A)
        RiT = _T(b, b.prim("inv", R))
        if which == "q":
            inner = _sub(b, g, _mm(b, Q, _copyltu(b, _mm(b, g, Q, ta=True))))
        else:
            inner = _mm(b, Q, _copyltu(b, _mm(b, R, g, tb=True)))
        return [_mm(b, inner, RiT)]
    return rule


row("qr_q", 1, lambda a: np.linalg.qr(a)[0], _h("la_qr_q"), _m, cost=E, needs_contents=True,
    jvp=_tangent(_qr_q_tangent), vjp=_adjoint(_qr_adjoint("q")), operands="arrays",
    bindings=(on(np.linalg.qr, "np.linalg.qr", bind=lb.qr),),
    doc="np.linalg.qr(A)[0], reduced (A m x n, m >= n, full column rank)")
row("qr_r", 1, lambda a: np.linalg.qr(a)[1], _h("la_qr_r"), _m, cost=E, needs_contents=True,
    jvp=_tangent(_qr_r_tangent), vjp=_adjoint(_qr_adjoint("r")), operands="arrays",
    doc="np.linalg.qr(A)[1], reduced")


# ---------------------------------------------------------------------------- lstsq
def _lstsq_tangent(b, x, args, d, at):
    """x = (A^T A)^-1 A^T B: dx = (A^T A)^-1 (dA^T r + A^T (dB - dA x)), r = B - A x."""
    (A, B), (dA, dB) = args, d
    terms = []
    if dA is not None:
        r = _sub(b, B, _mm(b, A, x))
        terms += [_mm(b, dA, r, ta=True), _sc(b, _mm(b, A, _mm(b, dA, x), ta=True), -1.0)]
    if dB is not None:
        terms.append(_mm(b, A, dB, ta=True))
    return b.prim("solve", _mm(b, A, A, ta=True), _add(b, *terms))


def _lstsq_adjoint(b, g, args, x, at):
    A, B = args
    u = b.prim("solve", _mm(b, A, A, ta=True), g)
    Au = _mm(b, A, u)
    r = _sub(b, B, _mm(b, A, x))
    if x.type.ndim == 1:
        ga = _sub(b, b.prim("outer", r, u), b.prim("outer", Au, x))
    else:
        ga = _sub(b, _mm(b, r, u, tb=True), _mm(b, Au, x, tb=True))
    return [ga, _mm(b, A, u)]


row("lstsq", 2, lambda a, c: np.linalg.lstsq(a, c, rcond=None)[0], _h("la_lstsq"), _like_rhs,
    cost=E, needs_contents=True, jvp=_tangent(_lstsq_tangent), vjp=_adjoint(_lstsq_adjoint),
    operands="arrays", kink=Kink("singular", "A has dependent columns"),
    bindings=(on(np.linalg.lstsq, "np.linalg.lstsq", bind=lb.lstsq),),
    doc="np.linalg.lstsq(A, b)[0] for A of full column rank (the normal equations' solution)")
_LSTSQ_REST = "np.linalg.lstsq()'s residuals, rank and singular values are"
_LSTSQ_HINT = "differentiate the solution x = np.linalg.lstsq(A, b)[0]; write the residual " \
              "as np.sum((A @ x - b) ** 2)"
row("lstsq_rest", 2, lambda a, c, part=1: np.linalg.lstsq(a, c, rcond=None)[part],
    Emit(lambda op, arg: (f"np.linalg.lstsq({arg(0, 0)}, {arg(1, 0)}, -1.0)"
                          f"[{op.attrs.get('part', 1)}]", ATOM)), lambda a, c, part=1, **_: I64 if part == 2 else V1, cost=E,
    takes_attrs=True,
    jvp=_not_differentiable(_LSTSQ_REST, _LSTSQ_HINT),
    vjp=_not_differentiable(_LSTSQ_REST, _LSTSQ_HINT),
    operands="arrays", doc="np.linalg.lstsq(A, b)[1:]: residuals, rank, singular values")

__all__: list = []
