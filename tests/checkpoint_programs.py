"""Loops as users write them, for the checkpointing tests (test_checkpoint.py): each
`name()` returns (function, arguments, wrt)."""
import math
import numpy as np
__all__ = ["arr_state", "nested", "ifs", "negstep", "while_", "reads", "writes", "two_loops",
           "in_if", "brk", "outer_arr_write", "tuple_state", "read_then_written",
           "inner_while", "matrix_state", "continue_loop"]

def _arr_state(a, x0, n):
    x = x0.copy()
    for i in range(n):
        x = x + 0.01 * np.sin(a * x)
    return np.sum(x * x)
def arr_state(): return _arr_state, (0.7, np.linspace(0, 1, 5), 53), ("a", "x0")

def _nested(a, x0, n):
    x = x0
    for i in range(n):
        for j in range(3):
            x = x + 0.01 * math.sin(a * x + j)
    return x
def nested(): return _nested, (0.7, 0.3, 41), ("a", "x0")

def _ifs(a, x0, n):
    x = x0
    for i in range(n):
        if x > 0.5:
            x = x - 0.1 * a * x * x
        else:
            x = x + 0.05 * math.exp(a * x)
    return x
def ifs(): return _ifs, (0.7, 0.3, 77), ("a", "x0")

def _negstep(a, x0, n):
    x = x0
    for i in range(n, 3, -2):
        x = x + 0.001 * math.cos(a * x * i)
    return x
def negstep(): return _negstep, (0.7, 0.3, 100), ("a", "x0")

def _while(a, x0):
    x = x0
    t = 0.0
    while t < 1.0:
        x = x + 0.01 * math.sin(a * x)
        t = t + 0.013
    return x
def while_(): return _while, (0.7, 0.3), ("a", "x0")

def _reads(w, X):
    s = 0.0
    for i in range(X.shape[0]):
        s = s + math.tanh(w[0] * X[i, 0] + w[1] * X[i, 1]) ** 2
    return s
def reads(): return _reads, (np.array([0.3, -0.2]), np.random.default_rng(1).normal(size=(37, 2))), ("w",)

def _writes(a, n):
    y = np.zeros(n)
    x = 0.3
    for i in range(n):
        x = x + 0.1 * math.sin(a * x)
        y[i] = x * x
    return np.sum(y * y)
def writes(): return _writes, (0.7, 29), ("a",)

def _two_loops(a, n):
    x = 0.3
    for i in range(n):
        x = x + 0.1 * math.sin(a * x)
    y = x
    for i in range(n):
        y = y * 0.99 + 0.01 * math.cos(a * y)
    return x * y
def two_loops(): return _two_loops, (0.7, 31), ("a",)

def _in_if(a, n):
    x = 0.3
    if a > 0.0:
        for i in range(n):
            x = x + 0.1 * math.sin(a * x)
    return x
def in_if(): return _in_if, (0.7, 31), ("a",)

def _brk(a, n):
    x = 0.3
    for i in range(n):
        x = x + 0.1 * math.sin(a * x)
        if x > 10.0:
            break
    return x
def brk(): return _brk, (0.7, 31), ("a",)

def _outer_arr_write(a, y0, n):
    y = y0.copy()
    for i in range(n):
        y[i % 3] = y[i % 3] * 0.9 + math.sin(a * y[(i + 1) % 3])
    return np.sum(y ** 2)
def outer_arr_write(): return _outer_arr_write, (0.7, np.array([0.1, 0.2, 0.3]), 40), ("a", "y0")

def _tuple_state(a, n):
    p, q = 0.3, 0.1
    for i in range(n):
        p, q = p + 0.1 * q, q - 0.1 * math.sin(a * p)
    return p * q
def tuple_state(): return _tuple_state, (0.7, 45), ("a",)


def _read_then_written(a, x0, n):
    y = x0.copy()
    s = 0.0
    for i in range(n):
        s = s + math.sin(a * y[i % 3] + s)
    y[0] = 5.0 * a
    return s + np.sum(y * y)
def read_then_written(): return _read_then_written, (0.7, np.array([0.1, 0.2, 0.3]), 17), ("a", "x0")


def _inner_while(a, n):
    x = 0.3
    for i in range(n):
        k = 0
        while k < i % 4:
            x = x + 0.05 * math.sin(a * x)
            k += 1
        x = x * 0.99
    return x
def inner_while(): return _inner_while, (0.7, 23), ("a",)


def _matrix_state(a, M0, n):
    M = M0.copy()
    for i in range(n):
        M = 0.9 * M + 0.1 * np.tanh(a * M @ M0)
    return np.sum(M)
def matrix_state(): return _matrix_state, (0.7, np.array([[0.1, 0.2], [0.3, -0.4]]), 19), ("a", "M0")


def _continue_loop(a, n):
    x = 0.3
    for i in range(n):
        if i % 3 == 0:
            continue
        x = x + 0.1 * math.sin(a * x)
    return x
def continue_loop(): return _continue_loop, (0.7, 31), ("a",)
