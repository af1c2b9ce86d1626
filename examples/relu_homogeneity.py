"""Positive homogeneity of bias-free ReLU networks (seed: the Clarke differential lecture).

For f(x) = W3 relu(W2 relu(W1 x)), scaling one layer by a >= 0 scales f by a, so by the lemma
<W_h, df/dW_h> = f for every layer h (Euler's identity for 1-homogeneous functions; it holds
for any element of the Clarke differential). Under gradient flow the differences of squared
layer norms ||W_h||^2 - ||W_h+1||^2 are conserved; small-step gradient descent keeps them
nearly constant, from a balanced and from an unbalanced initialisation, as in the lecture's
figure.

Run it:  python examples/relu_homogeneity.py
"""
import numpy as np

import adcompile as ad
from _plot import save_plot


def net(W1, W2, W3, X):
    h1 = ad.relu(X @ W1)
    h2 = ad.relu(h1 @ W2)
    return np.sum(h2 @ W3)


def loss(W1, W2, W3, X, y):
    h1 = ad.relu(X @ W1)
    h2 = ad.relu(h1 @ W2)
    return 0.5 * np.mean((h2 @ W3 - y) ** 2)


def check_homogeneity(layers, X):
    value, grads = ad.value_and_grad(net, wrt=(0, 1, 2))(*layers, X)
    print(f"f = {value:.10f}")
    worst = 0.0
    for h, (W, G) in enumerate(zip(layers, grads), start=1):
        inner = float(np.sum(W * G))
        worst = max(worst, abs(inner - value))
        print(f"  <W{h}, df/dW{h}> = {inner:.10f}")
    return worst


def train(layers, X, y, lr=1e-3, steps=2000):
    grad = ad.grad(loss, wrt=(0, 1, 2))
    diffs = []
    for _ in range(steps):
        norms = [np.sum(W * W) for W in layers]
        diffs.append((norms[0] - norms[1], norms[1] - norms[2]))
        grads = grad(*layers, X, y)
        layers = [W - lr * G for W, G in zip(layers, grads)]
    return layers, np.array(diffs)


def main():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(64, 6))
    y = np.abs(X[:, :1]) - 0.5 * X[:, 1:2]
    raw = [rng.normal(size=(6, 8)), rng.normal(size=(8, 8)), rng.normal(size=(8, 1))]
    balanced = [W * np.sqrt(2.0 / np.sum(W * W)) for W in raw]     # equal squared norms
    worst = check_homogeneity(balanced, X)
    print(f"max |<W_h, df/dW_h> - f| over the layers: {worst:.2e}")

    unbalanced = [balanced[0] * 3.0, balanced[1], balanced[2] / 3.0]
    results = {}
    for name, init in (("balanced", balanced), ("unbalanced", unbalanced)):
        _, diffs = train(init, X, y)
        drift = np.max(np.abs(diffs - diffs[0]), axis=0)
        results[name] = diffs
        print(f"{name:10s} init: ||W1||^2-||W2||^2 from {diffs[0, 0]:+.4f} (drift {drift[0]:.1e}),"
              f" ||W2||^2-||W3||^2 from {diffs[0, 1]:+.4f} (drift {drift[1]:.1e})")

    def draw(plt):
        for name, diffs in results.items():
            plt.plot(diffs[:, 0], label=f"{name}: ||W1||²-||W2||²")
            plt.plot(diffs[:, 1], "--", label=f"{name}: ||W2||²-||W3||²")
        plt.xlabel("gradient step")
        plt.ylabel("difference of squared norms")
        plt.legend(fontsize=8)
        plt.title("Balancedness is conserved by small-step gradient descent")
    save_plot("relu_homogeneity", draw)
    return worst, results


if __name__ == "__main__":
    main()
