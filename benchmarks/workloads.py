"""The four workloads of the compiler-core benchmark, written the way users write them."""
import math


def seed_graph(w1, w2):
    a = 2.0 * math.pi * w1 / w2
    b = 3.0 * w1 / w2 - math.exp(2.0 * w2)
    return (math.sin(a) + b) * b


def rosenbrock(x):
    s = 0.0
    for i in range(len(x) - 1):
        d = x[i + 1] - x[i] * x[i]
        t = 1.0 - x[i]
        s = s + 100.0 * d * d + t * t
    return s


def damped_oscillator(k, c, x0):
    n = 10000
    dt = 0.001
    x = x0
    v = 0.0
    for i in range(n):
        a = -k * x - c * v
        x = x + dt * v
        v = v + dt * a
    return x * x + v * v


def settle(a):
    while abs(a) > 1e-3:
        a = a * 0.9 + 0.01 * math.sin(a)
    return a
