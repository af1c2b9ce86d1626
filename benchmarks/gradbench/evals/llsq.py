"""GradBench `llsq`: y(x) = 1/2 sum_i (s_i - sum_j x_j t_i^j)^2, t_i = -1 + 2i/(n-1), s_i = sign(t_i)."""
import numpy as np

import adcompile as ad


def llsq(x, n):
    total = 0.0
    for i in range(n):
        t = -1.0 + i * 2.0 / (n - 1)
        r = np.sign(t)
        p = 1.0
        for j in range(x.shape[0]):
            r = r - x[j] * p
            p = p * t
        total = total + r * r
    return total / 2.0


_grad = ad.grad(llsq)
_primal = ad.compile(llsq)  # the same source through adcompile's code generation


def prepare(inp):
    return np.asarray(inp["x"], dtype=np.float64), int(inp["n"])


FUNCTIONS = {
    "primal": (prepare, _primal, float),
    "gradient": (prepare, _grad, lambda g: g.tolist()),
}
