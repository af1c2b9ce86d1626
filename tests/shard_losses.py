"""Loss functions for tests/test_distributed.py, in a module of their own so other processes
(Dask workers, a fresh interpreter) import them by name, as pickled gradients need."""
import numpy as np


def logistic_sum(w, X, y):
    """The logistic loss summed over the rows of one shard."""
    return np.sum(np.log1p(np.exp(-y * (X @ w))))


def logistic_mean(w, X, y):
    return np.mean(np.log1p(np.exp(-y * (X @ w))))


def two_layer(p, X, y):
    """A dict of parameters: the gradient is a dict, summed leaf by leaf."""
    h = np.tanh(X @ p["W"] + p["b"])
    r = h @ p["v"] - y
    return 0.5 * np.sum(r * r)


def smooth(x, y):
    return x * x * y + np.sin(x * y)


def kinked(x, y):
    return abs(x - y) + max(x, 2.0 * y)


def make_shard(k, rows, d):
    """Shard k of a logistic-regression data set (the same on every process)."""
    rng = np.random.default_rng([7, k])
    X = rng.normal(size=(rows, d))
    w_true = np.linspace(-1.0, 1.0, d)
    y = np.sign(X @ w_true + 0.5 * rng.normal(size=rows))
    return X, y
