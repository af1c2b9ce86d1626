"""Programs versus functions at a kink (seed: the Clarke differential lecture).

relu, relu2 and relu3 below are the same function; zero is the constant 0. Backpropagation
differentiates the programs, with relu'(0) = 0, and gets four different answers at t = 0:
relu 0, relu2 1, relu3 1/2, zero 1. The first three lie in the Clarke subdifferential of the
function, [0, 1] (their value depends on how the program is written); zero's derivative 1 lies
outside its Clarke subdifferential {0}: an artifact. adcompile's diagnostics say which is which.

Run it:  python examples/artifacts.py
"""
import adcompile as ad


def relu(t):
    return ad.relu(t)


def relu2(t):
    return ad.relu(-t) + t


def relu3(t):
    return (relu(t) + relu2(t)) / 2.0


def zero(t):
    return relu2(t) - relu(t)


def main():
    table = {}
    print(f"{'program':8s} {'AD at 0':>8s} {'directional':>12s}  verdict")
    for f in (relu, relu2, relu3, zero):
        rep = ad.diagnose(f, 0.0)
        table[f.__name__] = rep
        print(f"{f.__name__:8s} {rep.ad:8.3g} {rep.subgradient:12.3g}  {rep.verdict}")
    print("\nAway from the kink (t = 0.5) every program is smooth:",
          ", ".join(f"{f.__name__} {ad.diagnose(f, 0.5).verdict}"
                    for f in (relu, relu2, relu3, zero)))
    print("\nThe report for zero at 0:\n")
    print(table["zero"])
    half = [ad.grad(f, conventions=ad.Conventions(relu=0.5))(0.0)
            for f in (relu, relu2, relu3, zero)]
    print("\nWith relu'(0) = 1/2 (ad.Conventions(relu=0.5)): relu, relu2, relu3, zero get",
          half, "(the symmetric convention averages the two one-sided slopes of every relu, so "
          "aligned kinks of one variable cancel correctly)")
    return table


if __name__ == "__main__":
    main()
