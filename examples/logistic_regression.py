"""Logistic regression trained by full gradient descent, SGD and mini-batch SGD.

The seed lecture's machine-learning problem: min_w (1/n) sum_i log(1 + exp(-y_i x_i^T w))
on generated data, with the gradient from adcompile. The three methods get the same budget of
examples touched (epochs); their loss curves are printed and plotted.

Run it:  python examples/logistic_regression.py
"""
import numpy as np

import adcompile as ad
from _plot import save_plot


def loss(w, X, y):
    z = X @ w
    return np.mean(np.log1p(np.exp(-y * z)))


def make_data(n=2000, d=10, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, d))
    w_true = rng.normal(size=d)
    y = np.sign(X @ w_true + 0.5 * rng.normal(size=n))
    return X, y


def train(X, y, method, epochs=20, lr=0.5, batch=32, seed=1):
    rng = np.random.default_rng(seed)
    n, d = X.shape
    w = np.zeros(d)
    grad = ad.grad(loss)
    history = [loss(w, X, y)]
    for _ in range(epochs):
        if method == "gd":
            w = w - lr * grad(w, X, y)
        else:
            size = 1 if method == "sgd" else batch
            step = lr * (0.2 if method == "sgd" else 1.0)
            order = rng.permutation(n)
            for start in range(0, n, size):
                idx = order[start:start + size]
                w = w - step * grad(w, X[idx], y[idx])
        history.append(loss(w, X, y))
    return w, history


def main():
    X, y = make_data()
    curves = {}
    for method, label in (("gd", "gradient descent"), ("sgd", "SGD (batch 1)"),
                          ("minibatch", "mini-batch SGD (batch 32)")):
        w, history = train(X, y, method)
        curves[label] = history
        accuracy = np.mean(np.sign(X @ w) == y)
        print(f"{label:28s} loss after 1 epoch {history[1]:.4f}, after {len(history) - 1} "
              f"epochs {history[-1]:.4f}, accuracy {accuracy:.3f}")
    g = ad.grad(loss)(np.zeros(X.shape[1]), X, y)
    fd = np.array([(loss(h, X, y) - loss(-h, X, y)) / 2e-6 for h in np.eye(X.shape[1]) * 1e-6])
    print(f"gradient check at w = 0: max |adcompile - finite differences| = "
          f"{np.max(np.abs(g - fd)):.2e}")

    def draw(plt):
        for label, history in curves.items():
            plt.plot(history, label=label)
        plt.xlabel("epoch (passes over the data)")
        plt.ylabel("logistic loss")
        plt.yscale("log")
        plt.legend()
        plt.title("Logistic regression: GD vs SGD vs mini-batch SGD")
    save_plot("logistic_regression", draw)
    return curves


if __name__ == "__main__":
    main()
