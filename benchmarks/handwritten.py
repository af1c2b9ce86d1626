"""Hand-written fused value-and-gradient functions (the shape TARGET-CODE.md describes), timed
beside adcompile's generated code as the reference a careful programmer would write."""
import math

import numpy as np


def seed_graph_vg(w1, w2):
    r = w1 / w2
    e = math.exp(2.0 * w2)
    a = 2.0 * math.pi * r
    b = 3.0 * r - e
    s = math.sin(a)
    f = (s + b) * b
    bb = s + 2.0 * b
    ba = b * math.cos(a)
    br = 2.0 * math.pi * ba + 3.0 * bb
    return f, br / w2, -br * r / w2 - 2.0 * e * bb


def rosenbrock_vg(x):
    n = x.shape[0]
    f = 0.0
    g = np.zeros(n)
    for i in range(n - 1):
        d = x[i + 1] - x[i] * x[i]
        t = 1.0 - x[i]
        f += 100.0 * d * d + t * t
        g[i] += -400.0 * x[i] * d - 2.0 * t
        g[i + 1] += 200.0 * d
    return f, g


def damped_oscillator_vg(k, c, x0):
    n = 10000
    dt = 0.001
    xs = np.empty(n)
    vs = np.empty(n)
    x = x0
    v = 0.0
    for i in range(n):
        xs[i] = x
        vs[i] = v
        a = -k * x - c * v
        x = x + dt * v
        v = v + dt * a
    f = x * x + v * v
    bx = 2.0 * x
    bv = 2.0 * v
    bk = 0.0
    bc = 0.0
    for i in range(n - 1, -1, -1):
        ba = dt * bv
        bk -= xs[i] * ba
        bc -= vs[i] * ba
        bx, bv = bx - k * ba, bv + dt * bx - c * ba
    return f, bk, bc, bx


def settle_vg(a):
    cap = 64
    tape = np.empty(cap)
    n = 0
    while abs(a) > 1e-3:
        if n == cap:
            new = np.empty(2 * cap)
            new[:cap] = tape
            tape = new
            cap *= 2
        tape[n] = a
        n += 1
        a = a * 0.9 + 0.01 * math.sin(a)
    ba = 1.0
    for j in range(n - 1, -1, -1):
        ba = ba * (0.9 + 0.01 * math.cos(tape[j]))
    return a, ba
