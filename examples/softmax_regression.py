"""Softmax regression with integer labels, written as NumPy users write it.

The loss picks each sample's log-probability with an index array
(`logp[np.arange(n), y]`), the class weights come from a mask, and `scipy.special` does the
log-sum-exp along the rows. adcompile differentiates it as written: the gather's adjoint is a
scatter-add into the rows it read. The gradient is checked against central differences, then
used for a few steps of gradient descent.

Run: python examples/softmax_regression.py
"""
import numpy as np
from scipy.special import log_softmax

import adcompile as ad


def loss(W, X, y, class_weight):
    logp = log_softmax(X @ W, axis=1)
    picked = logp[np.arange(X.shape[0]), y]            # each sample's own class
    w = class_weight[y]                                  # an index array reads the weights
    rare = y == 2
    penalty = np.sum(W[:, 2] ** 2) if np.any(rare) else 0.0
    return -np.sum(w * picked) / np.sum(w) + 0.01 * np.sum(W * W) + 0.001 * penalty


def data(n=200, d=4, k=3, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, d))
    true_W = rng.normal(size=(d, k))
    y = np.argmax(X @ true_W + 0.3 * rng.normal(size=(n, k)), axis=1)
    return X, y


def finite_differences(f, W, h=1e-6):
    g = np.zeros_like(W)
    for idx in np.ndindex(W.shape):
        e = np.zeros_like(W)
        e[idx] = h
        g[idx] = (f(W + e) - f(W - e)) / (2 * h)
    return g


def main():
    X, y = data()
    class_weight = np.array([1.0, 1.0, 2.0])
    W = np.zeros((X.shape[1], 3))
    value_and_grad = ad.value_and_grad(loss)
    _, g = value_and_grad(W + 0.1, X, y, class_weight)
    fd = finite_differences(lambda V: loss(V, X, y, class_weight), W + 0.1)
    error = float(np.max(np.abs(g - fd)))
    print(f"softmax regression: max |gradient - finite differences| = {error:.2e}")
    history = []
    for step in range(50):
        value, g = value_and_grad(W, X, y, class_weight)
        history.append(value)
        W = W - 0.5 * g
    accuracy = np.mean(np.argmax(X @ W, axis=1) == y)
    print(f"loss {history[0]:.4f} -> {history[-1]:.4f} in 50 steps; accuracy {accuracy:.2f}")
    return history, error


if __name__ == "__main__":
    main()
