"""Small programs whose IR and generated source are kept as golden files (tests/golden/)."""
import math


def seed_graph(w1, w2):
    a = 2.0 * math.pi * w1 / w2
    b = 3.0 * w1 / w2 - math.exp(2.0 * w2)
    return (math.sin(a) + b) * b


def loop_branch(x, n):
    s = 0.0
    for i in range(n):
        if x > 0.0:
            s = s + math.sin(x * i)
        else:
            s = s - x * x
    return s


def settle(a):
    while abs(a) > 1e-3:
        a = a * 0.9 + 0.01 * math.sin(a)
    return a


def euler(k, c, x0):
    dt = 0.001
    x, v = x0, 0.0
    for _ in range(100):
        acc = -k * x - c * v
        x, v = x + dt * v, v + dt * acc
    return x * x + v * v
