"""Pickled gradients (docs/distributed.md): the pickle's size, loading it, and the first call
in a fresh process that loads it, with an empty adcompile cache (it compiles) and with the
cache the pickling process filled (Numba loads the machine code); later loads in a process
return the object already loaded (no work).

Run: python benchmarks/bench_pickling.py [--repeats 3]
"""
import argparse
import json
import os
import pickle
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
EXAMPLES = os.path.join(os.path.dirname(HERE), "examples")

CHILD = r"""
import json, pickle, sys, time
t0 = time.perf_counter()
import numpy as np
import distributed_sgd as ds
imported = time.perf_counter() - t0
X, y = ds.make_shard(0, 2000, 50)
data = open(sys.argv[1], "rb").read()
t = time.perf_counter(); g = pickle.loads(data); load = time.perf_counter() - t
t = time.perf_counter(); g(np.zeros(50), X, y); first = time.perf_counter() - t
t = time.perf_counter(); again = pickle.loads(data); reload = time.perf_counter() - t
t = time.perf_counter(); g(np.zeros(50), X, y); later = time.perf_counter() - t
stats = g.kernel.stats
print(json.dumps(dict(imports=imported, load=load, first=first, reload=reload, later=later,
                      same=again is g, hits=sum(stats.cache_hits.values()),
                      misses=sum(stats.cache_misses.values()))))
"""


def child(pickled: str, cache: str) -> dict:
    env = dict(os.environ, ADCOMPILE_CACHE_DIR=cache,
               PYTHONPATH=os.pathsep.join([EXAMPLES, os.environ.get("PYTHONPATH", "")]))
    out = subprocess.run([sys.executable, "-c", CHILD, pickled], capture_output=True,
                         text=True, env=env, check=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def main(repeats: int = 3):
    sys.path.insert(0, EXAMPLES)
    import adcompile as ad
    import distributed_sgd as ds
    data = pickle.dumps(ad.value_and_grad(ds.loss))
    print(f"pickle of value_and_grad(loss): {len(data)} bytes")
    with tempfile.TemporaryDirectory() as tmp:
        path = os.path.join(tmp, "g.pkl")
        with open(path, "wb") as fh:
            fh.write(data)
        rows = {}
        for r in range(repeats):
            for name in ("empty cache", "filled cache"):
                cache = os.path.join(tmp, f"cache{r}")       # the first run fills it
                rows.setdefault(name, []).append(child(path, cache))
        print(f"{'fresh process':14s} {'imports':>8s} {'loads':>8s} {'1st call':>9s} "
              f"{'loads again':>12s} {'2nd call':>9s}  Numba")
        for name, runs in rows.items():
            best = {k: min(r[k] for r in runs) for k in ("imports", "load", "first",
                                                          "reload", "later")}
            last = runs[-1]
            print(f"{name:14s} {best['imports'] * 1e3:7.0f}ms {best['load'] * 1e6:7.0f}us "
                  f"{best['first']:8.2f}s {best['reload'] * 1e6:11.0f}us "
                  f"{best['later'] * 1e6:8.0f}us  {last['hits']} loaded, {last['misses']} "
                  f"compiled; loaded again: {'the same object' if last['same'] else 'new'}")


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeats", type=int, default=3)
    main(parser.parse_args().repeats)
