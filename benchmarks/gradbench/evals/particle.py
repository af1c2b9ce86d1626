"""GradBench `particle`: choose w so a charged particle's trajectory meets the origin.

Naive Euler steps (dt = 0.1) from x = (0, 8), v = (0.75, 0); the acceleration is minus the
gradient of the potential of charges at (10, 10 - w) and (10, 0) (an adcompile derivative
called inside the loop); once the next step would cross the x axis, linear interpolation
gives x(t_f), and the objective is x0(t_f)^2. Gradient descent on w (GradBench's reference
solver, saddle.argmin) differentiates through the whole simulation: nested AD.
Function `ab`: a = mode of the outer derivative (w.r.t. w), b = of the potential's gradient.
"""
import math

import adcompile as ad

from .saddle import argmin


def potential(x1, x2, w):
    return (1.0 / math.sqrt((x1 - 10.0) ** 2 + (x2 - (10.0 - w)) ** 2)
            + 1.0 / math.sqrt((x1 - 10.0) ** 2 + x2 ** 2))


dp_r = ad.grad(potential, wrt=(0, 1))
dp_f = ad.grad(potential, wrt=(0, 1), mode="forward")


def miss(w, forward):
    x1 = 0.0
    x2 = 8.0
    v1 = 0.75
    v2 = 0.0
    dt = 0.1
    while True:
        if forward:
            g1, g2 = dp_f(x1, x2, w)
        else:
            g1, g2 = dp_r(x1, x2, w)
        n1 = x1 + dt * v1
        n2 = x2 + dt * v2
        if n2 > 0.0:
            x1 = n1
            x2 = n2
            v1 = v1 - dt * g1
            v2 = v2 - dt * g2
        else:
            break
    dt_f = -x2 / v2
    xf = x1 + dt_f * v1
    return xf * xf


_outer = {m: ad.value_and_grad(miss, wrt=0, mode=m) for m in ("forward", "reverse")}


def particle(w0, outer, inner):
    vg = _outer["forward" if outer == "f" else "reverse"]
    forward_inner = inner == "f"

    def value_and_grad(w):
        v, g = vg(w[0], forward_inner)
        return v, [g]

    return float(argmin(value_and_grad, [w0])[0])


def prepare(inp):
    return (float(inp["w"]),)


FUNCTIONS = {
    f"{a}{b}": (prepare, (lambda a, b: lambda w: particle(w, a, b))(a, b), float)
    for a in "fr" for b in "fr"
}
