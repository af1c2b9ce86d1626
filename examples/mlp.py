"""A multilayer perceptron, sigmoid and ReLU variants, trained by mini-batch SGD.

For the sigmoid (logistic) network the adcompile gradient is checked against the seed's
hand-derived backpropagation recursion
    delta(L)   = (a(L) - y) a(L)(1 - a(L))           (output layer, squared loss)
    delta(l)   = a(l)(1 - a(l)) * sum_k delta(l+1)_k Theta(l)_k      (hidden layers)
    dJ/dTheta(l) = a(l)^T delta(l+1)
so the compiler and the lecture's formula compute the same numbers.

Run it:  python examples/mlp.py
"""
import numpy as np

import adcompile as ad
from _plot import save_plot


def sigmoid(z):
    return 1.0 / (1.0 + np.exp(-z))


def sigmoid_net_loss(T1, T2, X, y):
    a1 = sigmoid(X @ T1)
    a2 = sigmoid(a1 @ T2)
    return 0.5 * np.sum((a2 - y) ** 2) / X.shape[0]


def relu_net_loss(W1, b1, W2, b2, X, y):
    h = ad.relu(X @ W1 + b1)
    out = h @ W2 + b2
    return np.mean((out - y) ** 2)


def backprop_sigmoid(T1, T2, X, y):
    """The lecture's recursion, written out by hand in NumPy."""
    n = X.shape[0]
    a1 = sigmoid(X @ T1)
    a2 = sigmoid(a1 @ T2)
    delta2 = (a2 - y) * a2 * (1.0 - a2) / n
    delta1 = a1 * (1.0 - a1) * (delta2 @ T2.T)
    return X.T @ delta1, a1.T @ delta2


def make_data(n=512, d=8, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, d))
    y = (np.sin(X[:, :1] * 1.5) + 0.5 * X[:, 1:2] ** 2 > 0.3).astype(float)
    return X, y


def train(loss, params, X, y, lr, epochs=30, batch=32, seed=1):
    rng = np.random.default_rng(seed)
    wrt = tuple(range(len(params)))
    grad = ad.value_and_grad(loss, wrt=wrt)
    history = []
    for _ in range(epochs):
        order = rng.permutation(X.shape[0])
        for start in range(0, X.shape[0], batch):
            idx = order[start:start + batch]
            _, grads = grad(*params, X[idx], y[idx])
            params = [p - lr * g for p, g in zip(params, grads)]
        history.append(loss(*params, X, y))
    return params, history


def main():
    X, y = make_data()
    rng = np.random.default_rng(2)
    d, hidden = X.shape[1], 16
    T1 = rng.normal(size=(d, hidden)) * 0.5
    T2 = rng.normal(size=(hidden, 1)) * 0.5

    g1, g2 = ad.grad(sigmoid_net_loss, wrt=(0, 1))(T1, T2, X, y)
    h1, h2 = backprop_sigmoid(T1, T2, X, y)
    diff = max(np.max(np.abs(g1 - h1)), np.max(np.abs(g2 - h2)))
    print(f"sigmoid network: adcompile gradient vs the backprop recursion, max |diff| = "
          f"{diff:.2e}")

    _, sig_curve = train(sigmoid_net_loss, [T1, T2], X, y, lr=2.0)
    relu_params = [rng.normal(size=(d, hidden)) * 0.3, np.zeros(hidden),
                   rng.normal(size=(hidden, 1)) * 0.3, np.zeros(1)]
    _, relu_curve = train(relu_net_loss, relu_params, X, y, lr=0.05)
    print(f"sigmoid network, mini-batch SGD: loss {sig_curve[0]:.4f} -> {sig_curve[-1]:.4f}")
    print(f"ReLU network,    mini-batch SGD: loss {relu_curve[0]:.4f} -> {relu_curve[-1]:.4f}")

    def draw(plt):
        plt.plot(sig_curve, label="sigmoid network (squared loss / 2)")
        plt.plot(relu_curve, label="ReLU network (mean squared error)")
        plt.xlabel("epoch")
        plt.ylabel("training loss")
        plt.legend()
        plt.title("Multilayer perceptrons trained by mini-batch SGD")
    save_plot("mlp", draw)
    return diff, sig_curve, relu_curve


if __name__ == "__main__":
    main()
