"""The computation-graph example from the seed lecture (backpropagation on a small graph).

    f(w1, w2) = (sin(2 pi w1 / w2) + 3 w1 / w2 - exp(2 w2)) * (3 w1 / w2 - exp(2 w2))

Run it:  python examples/seed_graph.py
Inspect: adcompile inspect examples/seed_graph.py:f --types "w1=f64,w2=f64" --ir --adjoint
Point:   adcompile grad examples/seed_graph.py:f --at "w1=1.5,w2=0.5" --wrt w1,w2
"""
import math

import adcompile as ad


def f(w1, w2):
    ratio = w1 / w2
    e = math.exp(2.0 * w2)
    return (math.sin(2.0 * math.pi * ratio) + 3.0 * ratio - e) * (3.0 * ratio - e)


def main():
    vg = ad.value_and_grad(f, wrt=("w1", "w2"))
    value, (dw1, dw2) = vg(1.5, 0.5)
    print(f"f(1.5, 0.5) = {value:.12g}")
    print(f"df/dw1 = {dw1:.12g}")
    print(f"df/dw2 = {dw2:.12g}")
    print("\nthe generated forward-plus-adjoint function:\n")
    print(vg.source)
    return value, dw1, dw2


if __name__ == "__main__":
    main()
