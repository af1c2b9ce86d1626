"""Loops, branches and early exits, differentiated through: the README's example.

Run it:  python examples/loops.py
"""
import math

import adcompile as ad


@ad.grad                       # gradient with respect to the first parameter
def f(x, n):
    s = 0.0
    for i in range(n):
        if x > 0.0:
            s = s + math.sin(x * i)
        else:
            s = s - x * x
    return s


def damped(k, c, x0):
    """Explicit Euler on x'' = -k x - c x' for 10,000 steps; returns the final energy."""
    dt = 0.001
    x, v = x0, 0.0
    for _ in range(10_000):
        a = -k * x - c * v
        x, v = x + dt * v, v + dt * a
    return x * x + v * v


def steps_to_settle(a):
    """A while loop whose trip count depends on the data."""
    while abs(a) > 1e-3:
        a = a * 0.9 + 0.01 * math.sin(a)
    return a


def main():
    print("df/dx at x=0.3, n=10:", f(0.3, 10))
    energy = ad.value_and_grad(damped, wrt=("k", "c", "x0"))
    value, (dk, dc, dx0) = energy(2.0, 0.5, 1.0)
    print(f"damped oscillator: E = {value:.6g}, dE/dk = {dk:.6g}, dE/dc = {dc:.6g}, "
          f"dE/dx0 = {dx0:.6g}")
    settle = ad.grad(steps_to_settle)
    print("d steps_to_settle / da at a=0.7:", settle(0.7))
    print("\nthe adjoint of the while loop:\n")
    print(settle.source)


if __name__ == "__main__":
    main()
