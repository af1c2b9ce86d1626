"""GradBench `gmm`: log posterior of a Gaussian mixture with a Wishart prior on the precisions.

Precision factor Q_k = diag(exp(q_k)) + L_k, L_k strictly lower triangular filled column by
column from l_k. `jacobian` returns the gradient as {"alpha", "mu", "q", "l"}.
"""
import math

import numpy as np
from scipy.special import gammaln, logsumexp

import adcompile as ad


def lower(l, d):
    """Strictly lower triangular matrices from their packed column-major entries (k, d, d)."""
    K = l.shape[0]
    L = np.zeros((K, d, d))
    for k in range(K):
        idx = 0
        for j in range(d):
            for i in range(j + 1, d):
                L[k, i, j] = l[k, idx]
                idx += 1
    return L


def objective(alpha, mu, q, l, x, gamma, m):
    n = x.shape[0]
    d = x.shape[1]
    K = alpha.shape[0]
    L = lower(l, d)
    Qdiag = np.exp(q)
    sum_q = np.sum(q, axis=1)
    main = np.zeros((n, K))
    for k in range(K):
        xc = x - mu[k]
        Qx = xc * Qdiag[k] + xc @ L[k].T
        main[:, k] = alpha[k] + sum_q[k] - 0.5 * np.sum(Qx * Qx, axis=1)
    slse = np.sum(logsumexp(main, axis=1))
    const = -n * d * 0.5 * math.log(2.0 * math.pi)
    value = const + slse - n * logsumexp(alpha)
    # Wishart prior
    dof = d + m + 1
    prior = 0.0
    for k in range(K):
        frob = np.sum(Qdiag[k] * Qdiag[k]) + np.sum(l[k] * l[k])
        prior = prior + 0.5 * gamma * gamma * frob - m * sum_q[k]
    return value - prior + K * wishart_const(d, dof, gamma)


def wishart_const(d, dof, gamma):
    # log of the multivariate gamma function Gamma_d(dof / 2)
    lmg = 0.25 * d * (d - 1) * math.log(math.pi)
    for j in range(1, d + 1):
        lmg = lmg + gammaln(0.5 * dof + 0.5 * (1 - j))
    return dof * d * (math.log(gamma) - 0.5 * math.log(2.0)) - lmg


_grad = ad.grad(objective, wrt=(0, 1, 2, 3))
_primal = ad.compile(objective)   # the same source through adcompile's code generation


def prepare(inp):
    f = lambda key: np.asarray(inp[key], dtype=np.float64)
    l = f("l")
    if l.ndim == 1:  # d = 1: no off-diagonal entries
        l = l.reshape(int(inp["k"]), 0)
    return f("alpha"), f("mu"), f("q"), l, f("x"), float(inp["gamma"]), int(inp["m"])


def jacobian(*args):
    return _grad(*args)


def post_jacobian(g):
    ga, gmu, gq, gl = g
    return {"alpha": ga.tolist(), "mu": gmu.tolist(), "q": gq.tolist(), "l": gl.tolist()}


FUNCTIONS = {
    "objective": (prepare, _primal, float),
    "jacobian": (prepare, jacobian, post_jacobian),
}
