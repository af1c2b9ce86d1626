"""A tanh MLP's gradient (batch 256, 10 -> 64 -> 1, mean squared error), side by side in one
run: adcompile's value_and_grad, NumPy's forward pass alone, and NumPy's forward pass plus a
hand-written backpropagation (what a careful NumPy user writes). The issue's target: the
adcompile gradient faster than NumPy's forward plus hand-written backprop.

Run: python benchmarks/bench_mlp_tanh.py [--batch 256] [--hidden 64]
"""
import argparse

import numpy as np

import adcompile as ad
from adcompile.timing import side_by_side


def loss(W1, b1, w2, X, y):
    """The loss as a user writes it (adcompile differentiates this)."""
    h = np.tanh(X @ W1 + b1)
    return np.mean((h @ w2 - y) ** 2)


def numpy_forward(W1, b1, w2, X, y):
    h = np.tanh(X @ W1 + b1)
    return np.mean((h @ w2 - y) ** 2)


def numpy_backprop(W1, b1, w2, X, y):
    """Forward pass, then the adjoints by hand."""
    h = np.tanh(X @ W1 + b1)
    r = h @ w2 - y
    value = np.mean(r ** 2)
    dr = (2.0 / r.shape[0]) * r
    dw2 = h.T @ dr
    da = np.outer(dr, w2) * (1.0 - h * h)
    return value, (X.T @ da, da.sum(axis=0), dw2)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--batch", type=int, default=256)
    ap.add_argument("--inputs", type=int, default=10)
    ap.add_argument("--hidden", type=int, default=64)
    ap.add_argument("--rounds", type=int, default=20)
    a = ap.parse_args()
    rng = np.random.default_rng(0)
    args = (rng.normal(size=(a.inputs, a.hidden)) * 0.3, rng.normal(size=a.hidden) * 0.1,
            rng.normal(size=a.hidden) * 0.1, rng.normal(size=(a.batch, a.inputs)),
            rng.normal(size=a.batch))
    vg = ad.value_and_grad(loss, wrt=(0, 1, 2))
    v, grads = vg(*args)
    v_np, grads_np = numpy_backprop(*args)
    assert np.isclose(v, v_np) and all(np.allclose(g, h) for g, h in zip(grads, grads_np))
    t_ad, t_fwd, t_bp = side_by_side([vg, numpy_forward, numpy_backprop], args, 200, a.rounds)
    print(f"tanh MLP, batch {a.batch}, {a.inputs} -> {a.hidden} -> 1 (microseconds per call, "
          f"minimum over {a.rounds} interleaved rounds)")
    print(f"  adcompile value_and_grad        {t_ad * 1e6:8.1f}")
    print(f"  NumPy forward                   {t_fwd * 1e6:8.1f}")
    print(f"  NumPy forward + hand backprop   {t_bp * 1e6:8.1f}")
    print(f"  ratio adcompile / (NumPy forward + backprop): {t_ad / t_bp:.2f}  "
          f"(target < 1); adcompile / NumPy forward: {t_ad / t_fwd:.2f}")


if __name__ == "__main__":
    main()
