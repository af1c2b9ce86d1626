"""Workloads of the array benchmark, written as users write NumPy code."""
import math

import numpy as np


def logistic_loss(w, X, y):
    z = X @ w
    return np.mean(np.log1p(np.exp(-y * z)))


def mlp_loss(W1, b1, w2, X, y):
    h = np.maximum(X @ W1 + b1, 0.0)
    return np.mean((h @ w2 - y) ** 2)


def rosenbrock_vec(x):
    return np.sum(100.0 * (x[1:] - x[:-1] ** 2) ** 2 + (1.0 - x[:-1]) ** 2)


def rnn_loop(Wx, Wh, xs, h0):
    n = h0.shape[0]
    h = h0.copy()
    hn = np.zeros(n)
    for t in range(xs.shape[0]):
        for i in range(n):
            a = 0.0
            for j in range(xs.shape[1]):
                a += Wx[i, j] * xs[t, j]
            for j in range(n):
                a += Wh[i, j] * h[j]
            hn[i] = math.tanh(a)
        for i in range(n):
            h[i] = hn[i]
    return np.sum(h * h)
