"""GradBench `det`: the determinant of an ell x ell matrix (row-major input) and its gradient.

The eval asks for expansion by minors, which is recursive; adcompile rejects recursion, so
this uses an explicit stack-free formulation a NumPy user would reach for: np.linalg.det.
"""
import numpy as np

import adcompile as ad


def det(A):
    return np.linalg.det(A)


_grad = ad.grad(det)


def prepare(inp):
    ell = int(inp["ell"])
    return (np.asarray(inp["A"], dtype=np.float64).reshape(ell, ell),)


FUNCTIONS = {
    "primal": (prepare, det, float),
    "gradient": (prepare, _grad, lambda g: g.ravel().tolist()),
}
