"""User-style programs for the control-flow tests (adcompile reads source, so they live here)."""
import math

import numpy as np
from math import exp as e_x

import adcompile as ad
from numpy_workloads import rnn_loop as rnn            # the benchmarks' own workloads
from workloads import rosenbrock as rosen_loop


def straight(x, y):
    a = x * y + math.sin(x) / (1.0 + y * y)
    b = math.exp(-a * a) - math.atan2(y, x)
    return a * b + math.hypot(x, y) ** 1.5


def nested_branches(x, y):
    if x > 0.0:
        if y > x:
            r = x * y
        elif y > -x:
            r = x - y * y
        else:
            r = math.cos(x * y)
    else:
        r = y * math.exp(x) if y > 0.0 else -x * y
    return r * r + x


def overwrite_in_loop(x, n):
    a = x
    b = 1.0
    for i in range(n):
        a, b = b * math.sin(a), a + 0.5 * b
        b = b * 0.9
    return a + b


def data_dependent_while(a):
    steps = 0
    while abs(a) > 1e-3 and steps < 1000:
        a = a * 0.9 + 0.01 * math.sin(a)
        steps += 1
    return a * steps


def break_continue(x, n):
    acc = 0.0
    for i in range(n):
        if i % 3 == 1:
            continue
        acc = acc + math.sin(x * i) * x
        if acc > 2.0:
            break
    return acc


def early_return(x):
    if x < -1.0:
        return x * x
    for i in range(5):
        x = x * 1.1 + 0.1
        if x > 3.0:
            return math.log(x) + i
    return x * 2.0


def helper(u, scale=2.0):
    return math.tanh(u) * scale


def calls_in_loop(x, n):
    s = 0.0
    for i in range(n):
        if i % 2 == 0:
            s = s + helper(x * i)
        else:
            s = s + helper(x, scale=0.5 * i)
    return s + helper(s)


def nested_loops(x, n):
    total = 0.0
    for i in range(n):
        inner = x
        for j in range(i):
            inner = math.sin(inner) + 0.1 * j
        total = total + inner * inner
    return total


def while_in_for(x):
    s = 0.0
    for i in range(4):
        t = x + i
        while t > 0.5:
            t = t * 0.7
            s = s + t * x
    return s


def ranges(x, n):
    s = 0.0
    for i in range(2, n, 3):
        s = s + x ** i
    for j in range(n, 0, -2):
        s = s * 0.5 + math.cos(x * j)
    return s


def many_params(a, b, c, n):
    v = 0.0
    for i in range(n):
        v = v + a * math.cos(b * i) - c * c / (1.0 + i)
    return v


def aliases(x):
    return np.sin(x) * e_x(x) + np.arctan2(x, 2.0) + np.sqrt(x * x + 1.0)


def loop_var_after(x, n):
    for i in range(n):
        x = x * 1.01
    return x * i


def tuple_swap(a, b):
    for _ in range(4):
        a, b = b, a * b + 0.1
    pair = (a, b)
    return pair[0] * pair[1]


def ifexp_and_or(x, y):
    z = x if x > y else y * 2.0
    ok = x > 0.0 and y > 0.0 or x < -2.0
    w = z * 3.0 if ok else z - 1.0
    return w * x + (1.0 if not ok else 0.0)


def int_mixing(x, n):
    k = n // 2
    m = n % 3
    f = float(k) * x + m
    return f * x ** 2 + int(x * 10) * 0.0 + abs(k - m) * x


def relu_net(x):
    h = ad.relu(2.0 * x - 1.0) + ad.relu(-x)
    return h * h + max(x, 0.5 * x) + min(x, 1.0)


def while_true(x):
    while True:
        x = x * 0.5 + 0.1
        if x < 1.0:
            return x * math.log(x + 2.0, 3.0)


def special_floats(x):
    big = float("inf")
    return min(x * x, big) + math.hypot(x)


def matrix_loop(A, v, scale):
    s = 0.0
    n, m = A.shape
    for i in range(n):
        for j in range(m):
            if A[i, j] > 0.0:
                s = s + A[i, j] * v[j] * math.sin(A[i, j] * scale)
            else:
                s = s - v[-1 - j] * A[i, j] ** 2
    return s


def cube_and_labels(T, labels, w):
    s = 0.0
    for i in range(T.shape[0]):
        k = labels[i]
        for j in range(T.shape[1]):
            for m in range(T.shape[T.ndim - 1]):
                s = s + w * T[i, j, m] * (k + 1) + math.tanh(T[i, k, m])
    return s / T.size


def compare_comparisons(x, y, flag):
    ok = (x > 0) == (y > 0)
    same = (x < y) != (y < 0.0) != flag
    if ok and not flag or x > 10 or same:
        z = x * y
    else:
        z = x - y
    return z + (x if flag else y)


# ---------------------------------------------------------------- arrays written in place
def trajectory(k, x0, n):
    xs = np.zeros(n)
    xs[0] = x0
    for t in range(n - 1):
        xs[t + 1] = xs[t] + 0.01 * (-k * xs[t] + math.sin(xs[t]))
    s = 0.0
    for t in range(n):
        s += xs[t] * xs[t]
    return s


def aliased(x):
    y = np.zeros(3)
    z = y
    y[0] = x
    z[1] = 2.0 * x
    return y[1] * z[0] + y[0]


def fill_ramp(v, a):
    for i in range(len(v)):
        v[i] = a * i
    return v


def via_helper(a):
    buf = np.empty(4)
    fill_ramp(buf, a)
    return buf[3] * buf[2]


def writes_parameter(x, c):
    x[0] = x[0] * c
    s = 0.0
    for i in range(len(x)):
        s += x[i] * c
    return s


def branchy_writes(x, n):
    w = np.zeros((n, 2))
    for i in range(n):
        if i % 2 == 0:
            w[i, 0] = x * i
        else:
            w[i, 1] += math.exp(-x * i)
    return np.sum(w) + w[n - 1, 1] * x


def constructors(x):
    a = np.array([x, 2.0 * x, x * x])
    b = np.arange(3)
    c = np.full((2, 2), x)
    d = np.ones_like(a)
    e = a.copy()
    e[0] = 5.0
    return a[0] * b[2] + c[1, 1] * d[0] + e[1] + e[0] + a.sum()


def gauss_seidel(x, sweeps):
    y = x.copy()
    for _ in range(sweeps):
        for i in range(1, len(y) - 1):
            y[i] = 0.5 * y[i] + 0.25 * (y[i - 1] + y[i + 1]) * math.cos(y[i])
    s = 0.0
    for i in range(len(y)):
        s += y[i] * y[i] * (i + 1)
    return s


def while_writes(a):
    hist = np.zeros(64)
    k = 0
    while abs(a) > 0.01 and k < 64:
        hist[k] = a
        a = a * 0.8 + 0.05 * math.sin(a)
        k += 1
    s = 0.0
    for i in range(k):
        s += hist[i] * (i + 1)
    return s + a


# ---------------------------------------------------------------- whole-array NumPy code
def mlp_loss(W1, b1, w2, X, y):
    h = np.maximum(X @ W1 + b1, 0.0)
    return np.mean((h @ w2 - y) ** 2)


def logistic_loss(w, X, y):
    z = X @ w
    return np.mean(np.log1p(np.exp(-y * z)))


def rosen_vec(x):
    return np.sum(100.0 * (x[1:] - x[:-1] ** 2) ** 2 + (1.0 - x[:-1]) ** 2)


def all_reductions(A, v):
    s = np.sum(A, axis=0)
    m = np.max(A, axis=1)
    t = np.mean(A * v) + np.min(A) + np.prod(v) + np.linalg.norm(v) + A.mean(axis=-1)[0]
    u = np.sum(np.where(A > 0.0, A, 0.1 * A)) + np.sum(np.clip(v, -0.5, 0.5))
    return np.sum(s * s) + np.sum(m) + t + A.T[1, 0] + u + A.sum() * v.max()


def views_and_slices(A, v):
    r = A[1, :]
    c = A[:, 2]
    s = 0.0
    for row in A:
        s += np.sum(row * v[:A.shape[1]])
    w = np.zeros(5)
    w[1:4] = v[::-1][:3] * 2.0
    w[0] += v[0]
    for e in v:
        s += e * e
    return s + np.sum(r) * np.sum(c) + np.sum(w * w) + np.dot(v, v) + np.sum(np.outer(v, c))


def products(A, B, x):
    C = A @ B
    y = A @ x[:A.shape[1]]
    z = x[:B.shape[0]] @ B
    return np.sum(C * C) + np.dot(y, y) + np.sum(np.sin(z)) + x @ x


def elementwise_math(x, y):
    a = np.sin(x) * np.cos(y) + np.tanh(x - y) + np.exp(-x * x) + np.sqrt(1.0 + y * y)
    b = np.abs(x) + np.arctan2(x, y) + ad.relu(x) * 2.0 + np.square(y) + np.log1p(x * x)
    c = np.maximum(x, y) - np.minimum(x, 0.5) + np.power(np.abs(y) + 1.0, 1.5)
    return np.sum(a * b + c) + np.mean(x ** 2 / (1.0 + y * y))


def softmax_xent(W, X, labels):
    z = X @ W
    total = 0.0
    for i in range(X.shape[0]):
        row = z[i]
        m = np.max(row)
        e = np.exp(row - m)
        total += math.log(np.sum(e)) + m - row[labels[i]]
    return total / X.shape[0]


def heat_equation(u0, kappa, steps):
    u = u0.copy()
    n = u.shape[0]
    for _ in range(steps):
        lap = np.zeros(n)
        lap[1:-1] = u[2:] - 2.0 * u[1:-1] + u[:-2]
        u = u + kappa * lap
    return np.sum(u * u)


def pendulum_energy(theta0, omega0, g, steps):
    th = np.zeros(steps + 1)
    om = np.zeros(steps + 1)
    th[0] = theta0
    om[0] = omega0
    dt = 0.01
    for k in range(steps):
        om[k + 1] = om[k] - dt * g * math.sin(th[k])
        th[k + 1] = th[k] + dt * om[k + 1]
    return 0.5 * om[steps] ** 2 - g * math.cos(th[steps])


def kmeans_cost(C, X):
    cost = 0.0
    for i in range(X.shape[0]):
        best = 1e300
        for k in range(C.shape[0]):
            d = np.sum((X[i] - C[k]) ** 2)
            best = min(best, d)
        cost += best
    return cost


def attention(Q, K, V):
    s = Q @ K.T / math.sqrt(Q.shape[1])
    out = 0.0
    for i in range(s.shape[0]):
        e = np.exp(s[i] - np.max(s[i]))
        p = e / np.sum(e)
        out += np.sum((p @ V) ** 2)
    return out


def layer_norm_loss(x, gamma, beta):
    mu = np.mean(x)
    var = np.mean((x - mu) ** 2)
    y = gamma * (x - mu) / np.sqrt(var + 1e-5) + beta
    return np.sum(y ** 3)


def polynomial_fit(coef, xs, ys):
    pred = np.zeros(xs.shape[0])
    for p in range(coef.shape[0]):
        pred += coef[p] * xs ** p
    return np.mean((pred - ys) ** 2)


def huber(r, delta):
    a = np.abs(r)
    return np.sum(np.where(a < delta, 0.5 * r * r, delta * (a - 0.5 * delta)))


def cumsum_loss(x):
    c = np.zeros(x.shape[0])
    acc = 0.0
    for i in range(x.shape[0]):
        acc += x[i]
        c[i] = acc
    return np.sum(np.sin(c))


def matrix_power_trace(A, k):
    P = A.copy()
    for _ in range(k - 1):
        P = P @ A
    t = 0.0
    for i in range(A.shape[0]):
        t += P[i, i]
    return t


def conv1d(x, w):
    n = x.shape[0] - w.shape[0] + 1
    y = np.zeros(n)
    for i in range(n):
        y[i] = np.sum(x[i:i + w.shape[0]] * w)
    return np.sum(ad.relu(y) ** 2)


# ---------------------------------------------------------------- more realistic NumPy programs
def helper_row(row, w):
    return np.sum(row * w)


def views_to_helpers(A, w):
    s = 0.0
    for i in range(A.shape[0]):
        s += helper_row(A[i], w) ** 2
    return s


def inplace_aug(x, y):
    z = x.copy()
    alias = z
    z += y * 2.0
    z *= 0.5
    return np.sum(alias * alias)


def nested_writes(A):
    n, m = A.shape
    B = np.zeros((n, m))
    for i in range(n):
        for j in range(m):
            B[i, j] = A[i, j] * (i + 1) - (B[i - 1, j] if i > 0 else 0.0)
    return np.sum(B ** 2)


def axis_broadcast(A, v):
    s = np.sum((A - v) ** 2, axis=1)
    return np.max(s) + np.mean(np.min(A * v, axis=0))


def labels_gather(W, X, labels):
    z = X @ W
    total = 0.0
    for i in range(labels.shape[0]):
        total += z[i, labels[i]] - np.max(z[i])
    return total


def branch_arrays(x, flag):
    if flag > 0.0:
        y = np.sin(x)
    else:
        y = np.cos(x) * 2.0
    y[0] = flag
    return np.sum(y * x)


def while_array(x):
    v = x.copy()
    k = 0
    while np.sum(v * v) > 0.1 and k < 50:
        v = v * 0.8 + 0.01 * np.sin(v)
        k += 1
    return np.sum(v) * k


def early_return_array(x, thr):
    acc = np.zeros(x.shape[0])
    for i in range(x.shape[0]):
        acc[i] = x[i] * x[i]
        if np.sum(acc) > thr:
            return np.sum(acc) * 2.0
    return np.sum(acc)


def tuple_of_arrays(x):
    def_a, def_b = split(x)
    return np.sum(def_a * def_b)


def split(x):
    return x[:2] * 1.0, x[-2:] + 1.0


def matrix_stats(A):
    col = np.mean(A, axis=0)
    centered = A - col
    cov = centered.T @ centered / A.shape[0]
    return np.sum(cov * cov)


def gram_schmidt_norm(A):
    Q = A.copy()
    for j in range(Q.shape[1]):
        for k in range(j):
            Q[:, j] = Q[:, j] - np.dot(Q[:, k], Q[:, j]) * Q[:, k]
        Q[:, j] = Q[:, j] / np.linalg.norm(Q[:, j])
    return np.sum(Q * A)
