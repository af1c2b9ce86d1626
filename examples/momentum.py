"""Gradient descent, Polyak's heavy ball and Nesterov's acceleration on an ill-conditioned
quadratic f(x) = 1/2 x^T A x (seed: the momentum lecture).

A has eigenvalues spread from mu = 1 to L = kappa. With the classical step sizes, gradient
descent needs about kappa log(1/eps) iterations, the momentum methods about
sqrt(kappa) log(1/eps). The script counts iterations to reach f(x) <= eps f(x0) for several
condition numbers, with the gradient from adcompile.

Run it:  python examples/momentum.py
"""
import math

import numpy as np

import adcompile as ad
from _plot import save_plot


def quadratic(x, A):
    return 0.5 * x @ (A @ x)


def make_problem(kappa, n=50, seed=0):
    rng = np.random.default_rng(seed)
    Q, _ = np.linalg.qr(rng.normal(size=(n, n)))
    eigs = np.geomspace(1.0, kappa, n)
    return (Q * eigs) @ Q.T, rng.normal(size=n)


def iterations(method, A, x0, L, mu, eps=1e-8, limit=200_000):
    grad = ad.grad(quadratic)
    f0 = quadratic(x0, A)
    x, prev = x0.copy(), x0.copy()
    for k in range(limit):
        if quadratic(x, A) <= eps * f0:
            return k
        if method == "gd":
            x = x - grad(x, A) / L
        elif method == "heavy ball":
            alpha = 4.0 / (math.sqrt(L) + math.sqrt(mu)) ** 2
            beta = ((math.sqrt(L) - math.sqrt(mu)) / (math.sqrt(L) + math.sqrt(mu))) ** 2
            x, prev = x - alpha * grad(x, A) + beta * (x - prev), x
        else:                                   # Nesterov
            beta = (math.sqrt(L) - math.sqrt(mu)) / (math.sqrt(L) + math.sqrt(mu))
            y = x + beta * (x - prev)
            x, prev = y - grad(y, A) / L, x
    return limit


def main():
    kappas = [10, 100, 1000, 10000]
    table = {m: [] for m in ("gd", "heavy ball", "nesterov")}
    print(f"{'kappa':>8s} {'GD':>10s} {'heavy ball':>12s} {'Nesterov':>10s}")
    for kappa in kappas:
        A, x0 = make_problem(kappa)
        for method in table:
            table[method].append(iterations(method, A, x0, L=kappa, mu=1.0))
        print(f"{kappa:8d} {table['gd'][-1]:10d} {table['heavy ball'][-1]:12d} "
              f"{table['nesterov'][-1]:10d}")

    def draw(plt):
        for method, counts in table.items():
            plt.loglog(kappas, counts, "o-", label=method)
        plt.loglog(kappas, [10 * k for k in kappas], ":", color="gray", label="~ kappa")
        plt.loglog(kappas, [30 * math.sqrt(k) for k in kappas], "--", color="gray",
                   label="~ sqrt(kappa)")
        plt.xlabel("condition number kappa")
        plt.ylabel("iterations to f <= 1e-8 f(x0)")
        plt.legend()
        plt.title("Momentum on an ill-conditioned quadratic")
    save_plot("momentum", draw)
    return table


if __name__ == "__main__":
    main()
