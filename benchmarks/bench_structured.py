"""What a structured parameter and a closure cost per call: the same MLP loss with its four
parameter arrays passed as a dict, as a tuple, as four arguments, and with the data read
from a closure instead of passed; value_and_grad (reverse mode), compiled, timed side by
side in one run (best of rounds).

    python benchmarks/bench_structured.py [--n 64] [--repeat 2000]

Prints microseconds per call and each variant's ratio to the four-argument call.
"""
import argparse
import os
import sys
import tempfile

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.dirname(HERE))

import adcompile as ad  # noqa: E402
from adcompile.timing import side_by_side  # noqa: E402

SOURCE = '''
import numpy as np

def loss_args(W1, b1, W2, b2, X, y):
    h = np.tanh(X @ W1 + b1)
    return np.mean((h @ W2 + b2 - y) ** 2)

def loss_dict(p, X, y):
    h = np.tanh(X @ p["W1"] + p["b1"])
    return np.mean((h @ p["W2"] + p["b2"] - y) ** 2)

def loss_tuple(p, X, y):
    W1, b1, W2, b2 = p
    h = np.tanh(X @ W1 + b1)
    return np.mean((h @ W2 + b2 - y) ** 2)

def make_loss(X, y):
    def loss(p):
        h = np.tanh(X @ p["W1"] + p["b1"])
        return np.mean((h @ p["W2"] + p["b2"] - y) ** 2)
    return loss
'''


def load():
    folder = tempfile.mkdtemp(prefix="adc-structured-")
    path = os.path.join(folder, "structured_losses.py")
    with open(path, "w", encoding="utf-8") as fh:
        fh.write(SOURCE)
    sys.path.insert(0, folder)
    import structured_losses
    return structured_losses


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n", type=int, default=64, help="samples")
    ap.add_argument("--repeat", type=int, default=2000)
    args = ap.parse_args()
    os.environ.setdefault("ADCOMPILE_CACHE_DIR", tempfile.mkdtemp(prefix="adc-bench-"))
    m = load()
    r = np.random.default_rng(0)
    X, y = r.normal(size=(args.n, 8)), r.normal(size=args.n)
    p = {"W1": r.normal(size=(8, 16)), "b1": r.normal(size=16), "W2": r.normal(size=(16, 1)),
         "b2": r.normal(size=1)}
    y = y[:, None]
    four = ad.value_and_grad(m.loss_args, wrt=(0, 1, 2, 3))
    as_dict = ad.value_and_grad(m.loss_dict)
    as_tuple = ad.value_and_grad(m.loss_tuple)
    closure = ad.value_and_grad(m.make_loss(X, y))
    pt = tuple(p.values())
    calls = [("four array arguments", lambda: four(p["W1"], p["b1"], p["W2"], p["b2"], X, y)),
             ("a dict of the four", lambda: as_dict(p, X, y)),
             ("a tuple of the four", lambda: as_tuple(pt, X, y)),
             ("a dict, data in a closure", lambda: closure(p))]
    ref = calls[0][1]()
    for name, fn in calls[1:]:                    # the same numbers first
        v, g = fn()
        assert abs(v - ref[0]) <= 1e-12 * abs(ref[0])
        grads = g.values() if isinstance(g, dict) else g
        for a, b in zip(grads, ref[1]):
            np.testing.assert_allclose(a, b, rtol=1e-12)
    times = side_by_side([fn for _, fn in calls], (), args.repeat)
    print(f"value_and_grad of an MLP loss, {args.n} samples: microseconds per call "
          "(best of 7 rounds, side by side)")
    for (name, _), t in zip(calls, times):
        print(f"  {name:28s} {t * 1e6:8.2f} us   {t / times[0]:5.2f}x")
    print("\ncommand: python benchmarks/bench_structured.py " + " ".join(sys.argv[1:]))


if __name__ == "__main__":
    main()
