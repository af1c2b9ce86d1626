"""GradBench `kmeans`: cost = sum_i min_j |C_j - P_i|^2; dir = J / diag(H) w.r.t. the centroids C.

The Hessian of the cost is diagonal, so diag(H) = H @ ones: one Hessian-vector product.
"""
import numpy as np

import adcompile as ad


def cost(C, P):
    total = 0.0
    for i in range(P.shape[0]):
        d2 = np.sum((C - P[i]) ** 2, axis=1)
        total = total + np.min(d2)
    return total


_grad = ad.grad(cost)
_primal = ad.compile(cost)  # the same source through adcompile's code generation
_hvp = ad.hvp(cost)


def direction(C, P):
    J = _grad(C, P)
    H = _hvp(C, P, np.ones_like(C))
    return J / H


def prepare(inp):
    return (np.asarray(inp["centroids"], dtype=np.float64),
            np.asarray(inp["points"], dtype=np.float64))


FUNCTIONS = {
    "cost": (prepare, _primal, float),
    "dir": (prepare, direction, lambda d: d.tolist()),
}
