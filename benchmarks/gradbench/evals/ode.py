"""GradBench `ode`: RK4 with s steps on [0, 2] of y0' = x0, yi' = xi * y(i-1), y(0) = 0.

`primal` returns y(2); `gradient` is the gradient of its last element w.r.t. x.
"""
import numpy as np

import adcompile as ad


def rhs(x, y):
    z = np.zeros(x.shape[0])
    z[0] = x[0]
    z[1:] = x[1:] * y[:-1]
    return z


def solve(x, s):
    h = 2.0 / s
    y = np.zeros(x.shape[0])
    for _ in range(s):
        k1 = rhs(x, y)
        k2 = rhs(x, y + h * k1 / 2.0)
        k3 = rhs(x, y + h * k2 / 2.0)
        k4 = rhs(x, y + h * k3)
        y = y + h * (k1 + 2.0 * k2 + 2.0 * k3 + k4) / 6.0
    return y


def last(x, s):
    y = solve(x, s)
    return y[y.shape[0] - 1]


_grad = ad.grad(last)
_primal = ad.compile(solve)   # the same source through adcompile's code generation


def prepare(inp):
    return np.asarray(inp["x"], dtype=np.float64), int(inp["s"])


FUNCTIONS = {
    "primal": (prepare, _primal, lambda y: y.tolist()),
    "gradient": (prepare, _grad, lambda g: g.tolist()),
}
