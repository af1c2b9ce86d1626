"""GradBench `lse`: log-sum-exp of a vector and its gradient, written from max and sum."""
import numpy as np

import adcompile as ad


def lse(x):
    a = np.max(x)
    return a + np.log(np.sum(np.exp(x - a)))


_grad = ad.grad(lse)
_primal = ad.compile(lse)   # the same source through adcompile's code generation


def prepare(inp):
    return (np.asarray(inp["x"], dtype=np.float64),)


FUNCTIONS = {
    "primal": (prepare, _primal, float),
    "gradient": (prepare, _grad, lambda g: g.tolist()),
}
