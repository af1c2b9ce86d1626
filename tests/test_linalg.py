"""Linear algebra and contractions: np.linalg's det, slogdet, inv, solve, cholesky, eigh,
qr, lstsq and norm, np.trace, np.kron, np.tensordot, np.einsum and batched `@`.

Every function against central differences at random well-conditioned inputs of several
sizes, in reverse and forward mode, compiled and as plain Python; second derivatives
(Hessian-vector products) against differences of the gradient; the conventions at the
kinks (docs/conventions.md); realistic programs; and the errors for what is not supported.
"""
import math

import numpy as np
import pytest
import scipy.linalg

import adcompile as ad
from adcompile.errors import AdCompileError, ShapeError, UnknownFunctionError, \
    UnsupportedSyntaxError
from gradcheck import check_like_numpy, fd_gradient

RNG = np.random.default_rng(20261202)


def general(n):
    """A well-conditioned square matrix."""
    return RNG.normal(size=(n, n)) + n * np.eye(n)


def tall(m, n):
    return RNG.normal(size=(m, n)) + np.eye(m, n) * 2.0


SIZES = (1, 3, 5)


# ---------------------------------------------------------------------------- the functions
def f_det(A):
    return np.linalg.det(A)


def f_det_nested(A):
    return np.linalg.det(A @ A + A) * 0.1


def f_slogdet(A):
    sign, logdet = np.linalg.slogdet(A)
    return sign * logdet + logdet ** 2


def f_inv(A):
    X = np.linalg.inv(A)
    return np.sum(X * X) + np.sum(np.sin(X))


def f_solve_vector(A, b):
    x = np.linalg.solve(A, b)
    return np.sum(x * x) + np.sum(np.cos(x))


def f_solve_matrix(A, B):
    X = np.linalg.solve(A, B)
    return np.sum(X ** 3)


def f_cholesky(X):
    n = X.shape[0]
    L = np.linalg.cholesky(X @ X.T + n * np.eye(n))
    return np.sum(L ** 3) + np.sum(np.sin(L))


def f_eigvals(X):
    w, V = np.linalg.eigh(X + X.T)
    return np.sum(w ** 3) + np.sum(np.sin(w))


def f_eigvecs(X):
    w, V = np.linalg.eigh(X + X.T)
    return np.sum(V ** 4 * np.cos(w))      # eigenvectors up to sign: V ** 4 does not care


def f_eigvalsh(X):
    return np.sum(np.exp(np.linalg.eigvalsh(X @ X.T)))


def f_qr(A):
    Q, R = np.linalg.qr(A)
    return np.sum(Q ** 3) + np.sum(R * R * R) + np.sum(np.sin(R))


def f_lstsq_vector(A, b):
    x = np.linalg.lstsq(A, b, rcond=None)[0]
    return np.sum(x ** 3) + np.sum(x)


def f_lstsq_matrix(A, B):
    X, res, rank, sv = np.linalg.lstsq(A, B, rcond=None)
    return np.sum(np.sin(X))


def f_trace(A):
    return np.trace(A @ A) + np.trace(np.sin(A)) ** 2


def f_norms(A):
    return np.linalg.norm(A) + np.linalg.norm(A, 'fro') ** 2 + np.linalg.norm(A, 1) \
        + np.linalg.norm(A, np.inf) + np.linalg.norm(A[0]) + np.linalg.norm(A[0], 1) \
        + np.linalg.norm(A[0], ord=np.inf) + np.sum(np.linalg.norm(A, axis=0) ** 3) \
        + np.sum(np.linalg.norm(A, 1, axis=1))


def f_kron(A, B):
    return np.sum(np.kron(A, B) ** 3) + np.sum(np.kron(A[0], B[1]) ** 2)


def f_tensordot(A, B):
    return np.sum(np.tensordot(A, B, axes=([1], [0])) ** 2) + np.tensordot(A, B.T) ** 2 \
        + np.sum(np.tensordot(A, B, 0) ** 3) + np.tensordot(A, B, axes=([0, 1], [1, 0]))


def f_batched_matmul(T, U, M, v):
    return np.sum((T @ U) ** 2) + np.sum(np.sin(T @ M)) + np.sum((M.T @ U) ** 3) \
        + np.sum(np.matmul(T, v) ** 2)


def f_einsum(A, B, T):
    return np.sum(np.einsum("ij,jk->ik", A, B) ** 2) + np.einsum("ii", A) ** 2 \
        + np.sum(np.einsum("bij,bjk->bik", T, T) ** 3) + np.einsum("ij,ij->", A, B) \
        + np.sum(np.einsum("ij,jk,kl->il", A, B, A)) + np.sum(np.einsum("i,j->ij", A[0], B[-1])) \
        + np.sum(np.sin(np.einsum("ij,jk", A, B))) + np.sum(np.einsum("bii->b", T) ** 2) \
        + np.sum(np.einsum("ji", A) * B) + np.einsum("ij,ji", A, B)


def _square(n):
    return (general(n),)


CASES = {
    "det": (f_det, _square, (0,)),
    "det_nested": (f_det_nested, _square, (0,)),
    "slogdet": (f_slogdet, _square, (0,)),
    "inv": (f_inv, _square, (0,)),
    "solve_vector": (f_solve_vector, lambda n: (general(n), RNG.normal(size=n)), (0, 1)),
    "solve_matrix": (f_solve_matrix, lambda n: (general(n), RNG.normal(size=(n, 2))), (0, 1)),
    "cholesky": (f_cholesky, lambda n: (RNG.normal(size=(n, n)),), (0,)),
    "eigh_values": (f_eigvals, lambda n: (RNG.normal(size=(n, n)),), (0,)),
    "eigh_vectors": (f_eigvecs, lambda n: (RNG.normal(size=(n, n)),), (0,)),
    "eigvalsh": (f_eigvalsh, lambda n: (RNG.normal(size=(n, n)) * 0.5,), (0,)),
    "qr": (f_qr, lambda n: (tall(n + n // 2, n),), (0,)),
    "lstsq_vector": (f_lstsq_vector, lambda n: (tall(n + 2, n), RNG.normal(size=n + 2)), (0, 1)),
    "lstsq_matrix": (f_lstsq_matrix, lambda n: (tall(n + 1, n), RNG.normal(size=(n + 1, 2))),
                     (0, 1)),
    "trace": (f_trace, lambda n: (RNG.normal(size=(n, n)),), (0,)),
    "norms": (f_norms, lambda n: (RNG.normal(size=(n, n + 1)),), (0,)),
    "kron": (f_kron, lambda n: (RNG.normal(size=(n, 2)), RNG.normal(size=(2, n))), (0, 1)),
    "tensordot": (f_tensordot, lambda n: (RNG.normal(size=(n, 2)), RNG.normal(size=(2, n))),
                  (0, 1)),
    "batched_matmul": (f_batched_matmul, lambda n: (
        RNG.normal(size=(2, n, 3)), RNG.normal(size=(2, 3, n)), RNG.normal(size=(3, n)),
        RNG.normal(size=3)), (0, 1, 2, 3)),
    "einsum": (f_einsum, lambda n: (RNG.normal(size=(n, n)), RNG.normal(size=(n, n)),
                                    RNG.normal(size=(2, n, n))), (0, 1, 2)),
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_against_finite_differences(name):
    """Value and gradient, reverse and forward mode, plain Python at sizes 1, 3, 5 and
    compiled at 3 and 5 (one compiled build serves both; size 1, an axis of length 1, has a
    build of its own: Numba's compile of a second build is the time, and length-1 axes are
    compiled in tests/test_shapes.py)."""
    func, make, wrt = CASES[name]
    for n in SIZES:
        args = make(n)
        scale = 1.0 + abs(func(*args))
        check_like_numpy(func, args, wrt=wrt, rtol=1e-5, atol=1e-6 * scale,
                         jits=(True, False) if n > 1 else (False,))


def test_forward_and_reverse_agree_on_tangents():
    """A Jacobian-vector product (forward mode) equals the gradient (reverse mode) dotted
    with the direction, for every case at n = 3."""
    for name, (func, make, wrt) in CASES.items():
        args = make(3)
        grads = ad.grad(func, wrt=wrt, jit=False)(*args)
        grads = grads if isinstance(grads, tuple) else (grads,)
        dirs = [RNG.normal(size=np.shape(a)) if k in wrt else np.zeros(np.shape(a))
                for k, a in enumerate(args)]
        value, tangent = ad.jvp(func, args, tuple(dirs), jit=False)
        expect = sum(np.sum(g * dirs[k]) for g, k in zip(grads, wrt))
        assert math.isclose(tangent, expect, rel_tol=1e-9, abs_tol=1e-9), name


# ---------------------------------------------------------------------------- second order
def f_solve_quadratic(A):
    x = np.linalg.solve(A, np.sin(np.arange(A.shape[0]) + 1.0))
    return np.sum(x * x)


SECOND = {
    "det": (f_det, general),
    "slogdet": (f_slogdet, general),
    "inv": (f_inv, general),
    "solve": (f_solve_quadratic, general),
    "cholesky": (f_cholesky, lambda n: RNG.normal(size=(n, n))),
    "eigh_values": (f_eigvals, lambda n: RNG.normal(size=(n, n))),
    "eigh_vectors": (f_eigvecs, lambda n: RNG.normal(size=(n, n))),
    "qr": (f_qr, lambda n: tall(n, n)),
    "trace": (f_trace, lambda n: RNG.normal(size=(n, n))),
}


@pytest.mark.parametrize("name", sorted(SECOND))
def test_hessian_vector_products(name):
    """ad.hvp (forward over reverse) against central differences of the gradient."""
    func, make = SECOND[name]
    hvp = ad.hvp(func, jit=False)
    grad = ad.grad(func, jit=False)
    for n in (1, 3):
        x = make(n)
        v = RNG.normal(size=x.shape)
        h = 1e-5
        fd = (grad(x + h * v) - grad(x - h * v)) / (2 * h)
        hv = hvp(x, v)
        assert np.allclose(hv, fd, rtol=1e-5, atol=1e-6 * (1 + np.max(np.abs(fd)))), (n, hv, fd)


def test_hvp_compiled():
    A, v = general(3), RNG.normal(size=(3, 3))
    assert np.allclose(ad.hvp(f_slogdet)(A, v), ad.hvp(f_slogdet, jit=False)(A, v), rtol=1e-10)


# ---------------------------------------------------------------------------- conventions
def norm2(x):
    return np.linalg.norm(x)


def norm1(x):
    return np.linalg.norm(x, 1)


def norm_inf(x):
    return np.linalg.norm(x, np.inf)


def norm_fro(A):
    return np.linalg.norm(A, 'fro')


def norm_rows(A):
    return np.sum(np.linalg.norm(A, axis=1))


@pytest.mark.parametrize("func,shape", [(norm2, (3,)), (norm1, (3,)), (norm_inf, (3,)),
                                        (norm_fro, (2, 3)), (norm_rows, (2, 3))])
@pytest.mark.parametrize("mode", ["reverse", "forward"])
def test_norm_at_zero_is_zero(func, shape, mode):
    """Every norm at the zero vector (matrix, row): derivative 0 (docs/conventions.md)."""
    g = ad.grad(func, mode=mode, jit=False)(np.zeros(shape))
    assert np.array_equal(g, np.zeros(shape))


def test_norm_rows_at_one_zero_row():
    A = np.array([[0.0, 0.0, 0.0], [3.0, 4.0, 0.0]])
    g = ad.grad(norm_rows, jit=False)(A)
    assert np.allclose(g, [[0, 0, 0], [0.6, 0.8, 0]])


@pytest.mark.parametrize("jit", [True, False])
def test_det_of_a_singular_matrix(jit):
    """det at a singular matrix: the gradient is the cofactor matrix (det is a polynomial:
    central differences are exact up to rounding), also in forward mode; at rank n - 2 and
    below it is 0."""
    u, v = RNG.normal(size=3), RNG.normal(size=3)
    A = np.outer(u, v) + np.outer(v, u)                   # rank 2 of 3
    g = ad.grad(f_det, jit=jit)(A)
    assert np.allclose(g, fd_gradient(f_det, (A,), 0), atol=1e-8)
    assert np.linalg.norm(g) > 1e-3
    assert np.allclose(ad.grad(f_det, mode="forward", jit=False)(A), g, atol=1e-12)
    B = np.array([[1.0, 2.0], [2.0, 4.0]])
    assert np.allclose(ad.grad(f_det, jit=jit)(B), [[4.0, -2.0], [-2.0, 1.0]])
    C = np.outer(u, v)                                      # rank 1 of 3
    assert np.allclose(ad.grad(f_det, jit=jit)(C), np.zeros((3, 3)), atol=1e-12)
    assert np.allclose(ad.grad(f_det, jit=jit)(np.zeros((1, 1))), [[1.0]])


def spectral(A):
    w, V = np.linalg.eigh(A)
    return np.sum(w ** 2) + np.sum(w)


def top_vector(A):
    w, V = np.linalg.eigh(A)
    return np.sum(V[:, 2] ** 2 * np.arange(3.0))


@pytest.mark.parametrize("mode", ["reverse", "forward"])
def test_eigh_with_repeated_eigenvalues(mode):
    """A repeated eigenvalue: the eigenvalues' gradient is still right (sum(w^2) + sum(w) =
    trace(A^2) + trace(A) has gradient 2A + I), and eigenvector gradients are finite (the
    1 / (w_j - w_i) terms of equal eigenvalues are dropped: docs/conventions.md); a vector of
    a simple eigenvalue is still differentiated exactly."""
    Q = np.linalg.qr(RNG.normal(size=(3, 3)))[0]
    A = Q @ np.diag([1.0, 1.0, 3.0]) @ Q.T
    A = (A + A.T) / 2
    g = ad.grad(spectral, mode=mode, jit=False)(A)
    assert np.allclose(g, 2 * A + np.eye(3), atol=1e-10)
    g = ad.grad(top_vector, mode=mode, jit=False)(A)
    assert np.all(np.isfinite(g))
    sym_fd = fd_gradient(top_vector, (A,), 0)
    assert np.allclose(g, (sym_fd + sym_fd.T) / 2, atol=1e-6)


def test_symmetric_functions_get_symmetric_gradients():
    """cholesky and eigh read one triangle of A; their derivative treats A as symmetric: the
    gradient is symmetric and equals the symmetrised finite differences."""
    X = RNG.normal(size=(4, 4))
    S = X @ X.T + 4 * np.eye(4)

    def chol(A):
        return np.sum(np.linalg.cholesky(A) ** 3)

    for func in (chol, spectral):
        g = ad.grad(func, jit=False)(S)
        fd = fd_gradient(func, (S,), 0)
        assert np.allclose(g, g.T)
        assert np.allclose(g, (fd + fd.T) / 2, rtol=1e-5, atol=1e-6)


# ---------------------------------------------------------------------------- programs
def gaussian_loglik(mu, W, X):
    """The log-likelihood of rows of X under N(mu, W W^T + I)."""
    m, n = X.shape[0], X.shape[1]
    S = W @ W.T + np.eye(n)
    sign, logdet = np.linalg.slogdet(S)
    total = 0.0
    for i in range(m):
        d = X[i] - mu
        total = total + d @ np.linalg.solve(S, d)
    return -0.5 * total - 0.5 * m * logdet - 0.5 * m * n * math.log(2 * math.pi)


def test_gaussian_log_likelihood():
    from scipy.stats import multivariate_normal
    n = 3
    mu, W, X = RNG.normal(size=n), RNG.normal(size=(n, 2)), RNG.normal(size=(6, n))
    expect = multivariate_normal(mu, W @ W.T + np.eye(n)).logpdf(X).sum()
    assert math.isclose(ad.value_and_grad(gaussian_loglik)(mu, W, X)[0], expect, rel_tol=1e-10)
    check_like_numpy(gaussian_loglik, (mu, W, X), wrt=(0, 1, 2), rtol=1e-5, atol=1e-7)


def gp_neg_log_marginal(log_ell, log_sf, log_sn, x, y):
    """A squared-exponential GP's negative log marginal likelihood through a Cholesky
    factor and two triangular solves."""
    n = x.shape[0]
    ell2 = math.exp(2 * log_ell)
    sf2 = math.exp(2 * log_sf)
    K = np.empty((n, n))
    for i in range(n):
        for j in range(n):
            K[i, j] = sf2 * math.exp(-0.5 * (x[i] - x[j]) ** 2 / ell2)
    K = K + math.exp(2 * log_sn) * np.eye(n)
    L = np.linalg.cholesky(K)
    z = np.linalg.solve(L, y)
    alpha = np.linalg.solve(L.T, z)
    logdet = 0.0
    for i in range(n):
        logdet += math.log(L[i, i])
    return 0.5 * (y @ alpha) + logdet + 0.5 * n * math.log(2 * math.pi)


def test_gaussian_process_marginal_likelihood():
    x = np.linspace(0.0, 3.0, 7)
    y = np.sin(x) + 0.1 * RNG.normal(size=7)
    args = (math.log(0.8), math.log(1.2), math.log(0.3), x, y)
    K = 1.44 * np.exp(-0.5 * (x[:, None] - x[None, :]) ** 2 / 0.64) + 0.09 * np.eye(7)
    expect = 0.5 * y @ np.linalg.solve(K, y) + 0.5 * np.linalg.slogdet(K)[1] + \
        3.5 * math.log(2 * math.pi)
    assert math.isclose(gp_neg_log_marginal(*args), expect, rel_tol=1e-10)
    check_like_numpy(gp_neg_log_marginal, args, wrt=(0, 1, 2, 3, 4), rtol=1e-5, atol=1e-7)


def attention(Q, K, V, W):
    """Batched scaled dot-product attention: einsum scores, a softmax per row, einsum."""
    nb, nt, d = Q.shape[0], Q.shape[1], Q.shape[2]
    S = np.einsum("bid,bjd->bij", Q, K) / math.sqrt(d)
    P = np.empty((nb, nt, nt))
    for b in range(nb):
        for i in range(nt):
            row = S[b, i]
            e = np.exp(row - np.max(row))
            P[b, i, :] = e / np.sum(e)
    out = np.einsum("bij,bjk->bik", P, V)
    return np.sum(out * W)


def test_batched_attention():
    shape = (2, 4, 3)
    Q, K, V, W = (RNG.normal(size=shape) for _ in range(4))
    S = Q @ K.transpose(0, 2, 1) / math.sqrt(3)
    P = np.exp(S - S.max(axis=2, keepdims=True))
    P /= P.sum(axis=2, keepdims=True)
    assert math.isclose(attention(Q, K, V, W), np.sum((P @ V) * W), rel_tol=1e-12)
    check_like_numpy(attention, (Q, K, V, W), wrt=(0, 1, 2), rtol=1e-5, atol=1e-7)


def polyfit_loss(x, y, lam):
    """Fit a cubic by least squares; the fitted curve's misfit plus a penalty."""
    n = x.shape[0]
    A = np.empty((n, 4))
    for i in range(n):
        for k in range(4):
            A[i, k] = x[i] ** k
    coef = np.linalg.lstsq(A, y, rcond=None)[0]
    r = A @ coef - y
    return np.sum(r * r) + lam * np.sum(coef * coef)


def test_least_squares_fit():
    x = np.linspace(-1.0, 1.0, 8)       # not 0: d/dx 0.0 ** 0 raises ZeroDivisionError
    y = np.exp(x) + 0.05 * RNG.normal(size=8)
    coef = np.polyfit(x, y, 3)[::-1]
    A = np.vander(x, 4, increasing=True)
    expect = np.sum((A @ coef - y) ** 2) + 0.5 * np.sum(coef ** 2)
    assert math.isclose(polyfit_loss(x, y, 0.5), expect, rel_tol=1e-8)
    check_like_numpy(polyfit_loss, (x, y, 0.5), wrt=(0, 1, 2), rtol=1e-5, atol=1e-7)


# ---------------------------------------------------------------------------- errors
def uses_svd(A):
    return np.sum(np.linalg.svd(A)[1])


def uses_pinv(A):
    return np.sum(np.linalg.pinv(A))


def uses_scipy_solve(A):
    return np.sum(scipy.linalg.solve(A, A))


def spectral_norm(A):
    return np.linalg.norm(A, 2)


def einsum_ellipsis(A):
    return np.sum(np.einsum("...ij->...ji", A))


def dot_3d(T):
    return np.sum(np.dot(T, T))


def lstsq_residuals(A, b):
    return np.linalg.lstsq(A, b, rcond=None)[1][0]


def qr_complete(A):
    return np.sum(np.linalg.qr(A, mode="complete")[0])


def einsum_mismatch(A, B):
    return np.sum(np.einsum("ij,jk->ik", A, B))


@pytest.mark.parametrize("func,error,text", [
    (uses_svd, UnknownFunctionError, "np.linalg.svd"),
    (uses_pinv, UnknownFunctionError, "np.linalg.pinv"),
    (uses_scipy_solve, UnknownFunctionError, "scipy.linalg.solve"),
    (spectral_norm, UnsupportedSyntaxError, "singular values"),
    (einsum_ellipsis, UnsupportedSyntaxError, "ellipsis"),
    (dot_3d, UnsupportedSyntaxError, "np.dot() of 3-d"),
    (qr_complete, UnsupportedSyntaxError, "mode='reduced'"),
])
def test_unsupported_is_a_located_error(func, error, text):
    arg = np.ones((2, 2, 2)) if func is dot_3d else np.eye(2)
    with pytest.raises(error) as info:
        ad.grad(func, jit=False)(arg)
    assert text in str(info.value)
    assert func.__name__ in str(info.value) or "test_linalg.py" in str(info.value)


def test_lstsq_residuals_are_not_differentiable():
    with pytest.raises(AdCompileError, match="not differentiable"):
        ad.grad(lstsq_residuals, jit=False)(tall(4, 2), np.ones(4))


def test_einsum_shape_mismatch_names_the_line():
    with pytest.raises(ShapeError, match="einsum"):
        ad.grad(einsum_mismatch, jit=False)(np.ones((2, 3)), np.ones((2, 2)))
