"""prange loops as users write them, for tests/test_prange.py: each a loss over samples."""
import math

import numpy as np
from numba import prange
import numba


def logistic(w, X, y):
    total = 0.0
    for i in prange(X.shape[0]):
        z = 0.0
        for k in range(X.shape[1]):
            z += X[i, k] * w[k]
        total += math.log1p(math.exp(-y[i] * z))
    return total / X.shape[0]


def two_sums(w, X, y):
    a = 0.0
    b = 0.0
    for i in numba.prange(X.shape[0]):
        z = X[i, 0] * w[0] + X[i, 1] * w[1]
        a = a + math.tanh(z) * y[i]
        b = b - 0.5 * z * z
    return a * b


def offset_start(w, X, y):
    total = 0.0
    for i in prange(2, X.shape[0]):
        d = X[i, 0] * w[0] - y[i]
        if d > 0.0:
            total += d * d
        else:
            total += 0.1 * abs(d) * w[1]
    return total


def writes(w, X, y):
    out = np.zeros(X.shape[0])
    for i in prange(X.shape[0]):
        out[i] = math.sin(X[i, 0] * w[0]) * y[i]
    return np.sum(out * out) + w[1]


def product(w, X, y):                      # not a sum: runs serially
    p = 1.0
    for i in prange(X.shape[0]):
        p = p * (1.0 + 0.01 * X[i, 0] * w[0])
    return p + w[1]


def reads_total(w, X, y):                  # the running total read: runs serially
    total = 0.0
    for i in prange(X.shape[0]):
        total = total + 0.001 * math.sin(total + X[i, 0] * w[0])
    return total + w[1] * y[0]


def row_views(w, X, y):                    # arrays recorded per iteration: serially
    total = 0.0
    for i in prange(X.shape[0]):
        total += np.log1p(np.exp(-y[i] * (X[i] @ w)))
    return total


def inner_records(w, X, y):                # an inner loop with records: serially
    total = 0.0
    for i in prange(X.shape[0]):
        z = 0.0
        for k in range(X.shape[1]):
            z = math.sin(z + X[i, k] * w[k])
        total += z * y[i]
    return total


def chained(w, X, y):                      # a sum over several statements, through an if
    total = 0.0
    for i in prange(X.shape[0]):
        d = X[i, 0] * w[0] + X[i, 1] * w[1]
        if d > y[i]:
            total += d * d
        else:
            total += math.sin(d)
        total -= 0.5 * w[2] * X[i, 2]
        total = total + 0.01 * d
    return total


def counted(w, X, y):                      # an integer count summed beside the total
    total = 0.0
    k = 0
    for i in prange(X.shape[0]):
        z = X[i, 0] * w[0] - X[i, 1] * w[1]
        if z > 0.0:
            k += 1
            total += z * y[i]
    return total / max(k, 1)


def masked_rows(w, X, y):                  # its adjoint skips rows with a zero adjoint
    out = np.zeros(X.shape[0])
    for i in prange(X.shape[0]):
        z = 0.0
        for k in range(X.shape[1]):
            z += X[i, k] * w[k]
        out[i] = z - y[i]
    return np.sum(np.maximum(out, 0.0) ** 2)
