"""GradBench `saddle`: min over x of max over y of f(x, y) = (x1^2 + x2^2) - (y1^2 + y2^2).

(The README writes the points as (x1, y1) and (x2, y2); f is convex in the first, concave in
the second.)

Gradient descent as in GradBench's reference solver (cpp/gradbench/gd.hpp), started at
`start` for every descent. The outer objective max_y f(x, y) runs the inner descent (whose
gradient is an adcompile derivative called inside it), and its gradient w.r.t. x is taken
through that loop: nested AD. Function `ab`: a = mode of the outer derivative, b = inner.
"""
import math

import adcompile as ad


def f(x1, x2, y1, y2):
    return (x1 * x1 + x2 * x2) - (y1 * y1 + y2 * y2)


df_dy_r = ad.grad(f, wrt=(2, 3))
df_dy_f = ad.grad(f, wrt=(2, 3), mode="forward")


def descent_direction(x1, x2, y1, y2, forward):
    """-df/dy, by the inner derivative of the mode asked for."""
    if forward:
        g1, g2 = df_dy_f(x1, x2, y1, y2)
    else:
        g1, g2 = df_dy_r(x1, x2, y1, y2)
    return -g1, -g2


def max_over_y(x1, x2, s1, s2, forward):
    """max_y f(x, y) by descent on -f from y = s (the reference solver's steps)."""
    y1 = s1
    y2 = s2
    fy = -f(x1, x2, y1, y2)
    g1, g2 = descent_direction(x1, x2, y1, y2, forward)
    i = 0
    eta = 1e-5
    while True:
        if math.sqrt(g1 * g1 + g2 * g2) <= 1e-5:
            break
        elif i == 10:
            eta = eta * 2.0
            i = 0
        else:
            n1 = y1 - eta * g1
            n2 = y2 - eta * g2
            if math.sqrt((y1 - n1) ** 2 + (y2 - n2) ** 2) <= 1e-5:
                break
            fn = -f(x1, x2, n1, n2)
            if fn < fy:
                y1 = n1
                y2 = n2
                fy = fn
                g1, g2 = descent_direction(x1, x2, y1, y2, forward)
                i = i + 1
            else:
                eta = eta / 2.0
                i = 0
    return f(x1, x2, y1, y2)


def argmin(value_and_grad, x, sign=1.0):
    """The reference solver in plain Python; value_and_grad(x) -> (value, [g1, g2])."""
    x = list(x)
    fx, gx = value_and_grad(x)
    fx, gx = sign * fx, [sign * g for g in gx]
    i, eta = 0, 1e-5
    while True:
        if math.sqrt(sum(g * g for g in gx)) <= 1e-5:
            return x
        if i == 10:
            eta, i = eta * 2, 0
            continue
        xp = [a - eta * g for a, g in zip(x, gx)]
        if math.sqrt(sum((a - b) ** 2 for a, b in zip(x, xp))) <= 1e-5:
            return x
        fp, gp = value_and_grad(xp)
        fp, gp = sign * fp, [sign * g for g in gp]
        if fp < fx:
            x, fx, gx, i = xp, fp, gp, i + 1
        else:
            eta, i = eta / 2, 0


_outer = {m: ad.value_and_grad(max_over_y, wrt=(0, 1), mode=m) for m in ("forward", "reverse")}
_f_y = {m: ad.value_and_grad(f, wrt=(2, 3), mode=m) for m in ("forward", "reverse")}


def saddle(start, outer, inner):
    s1, s2 = start
    forward_inner = inner == "f"
    vg = _outer["forward" if outer == "f" else "reverse"]
    x = argmin(lambda x: vg(x[0], x[1], s1, s2, forward_inner), [s1, s2])
    fy = _f_y["forward" if outer == "f" else "reverse"]
    y = argmin(lambda y: fy(x[0], x[1], y[0], y[1]), [s1, s2], sign=-1.0)
    return [float(v) for v in x + y]


def prepare(inp):
    return (tuple(float(v) for v in inp["start"]),)


FUNCTIONS = {
    f"{a}{b}": (prepare, (lambda a, b: lambda s: saddle(s, a, b))(a, b), list)
    for a in "fr" for b in "fr"
}
