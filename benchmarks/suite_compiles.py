"""Where the test suite's time goes: Numba's compiles per test, summed per file.

Run (from the project root; a fresh cache, as CI has):
    ADCOMPILE_CACHE_DIR=$(mktemp -d) PYTHONPATH=benchmarks \
        python -m pytest -p suite_compiles tests          # writes /tmp/suite_compiles.<pid>
    python benchmarks/suite_compiles.py                   # the table, per file

As a pytest plugin it times the outermost calls of Numba's compiler
(numba.core.dispatcher._FunctionCompiler.compile) during each test's call phase, in every
xdist worker, and writes one line per test: node id, compiles, Numba seconds, test seconds.
Tests that compile in subprocesses (examples, the cache's, Dask's) are not counted.
"""
import functools
import glob
import os
import sys
import threading
import time

OUT = os.path.join(os.environ.get("TMPDIR", "/tmp"), "suite_compiles")
_T = {"seconds": 0.0, "compiles": 0}
_ROWS: list = []
_BUSY = threading.local()


def pytest_configure(config):
    import atexit

    from numba.core import dispatcher
    compile_ = dispatcher._FunctionCompiler.compile

    @functools.wraps(compile_)
    def timed(self, *args, **kwargs):
        if getattr(_BUSY, "on", False):            # a helper compiled inside a compile
            return compile_(self, *args, **kwargs)
        _BUSY.on = True
        t0 = time.perf_counter()
        try:
            return compile_(self, *args, **kwargs)
        finally:
            _T["seconds"] += time.perf_counter() - t0
            _T["compiles"] += 1
            _BUSY.on = False
    dispatcher._FunctionCompiler.compile = timed

    def write():
        with open(f"{OUT}.{os.getpid()}", "w") as fh:
            fh.writelines(f"{n}\t{c}\t{s:.2f}\t{t:.2f}\n" for n, c, s, t in _ROWS)
    atexit.register(write)


try:
    import pytest
except ImportError:                                 # the summary needs no pytest
    pytest = None

if pytest is not None:
    @pytest.hookimpl(hookwrapper=True)
    def pytest_runtest_call(item):
        n0, s0, t0 = _T["compiles"], _T["seconds"], time.perf_counter()
        yield
        _ROWS.append((item.nodeid, _T["compiles"] - n0, _T["seconds"] - s0,
                      time.perf_counter() - t0))


def main():
    per: dict = {}
    for path in glob.glob(OUT + ".*"):
        for line in open(path):
            node, n, s, t = line.rstrip("\n").split("\t")
            row = per.setdefault(node.split("::")[0], [0, 0.0, 0.0])
            row[0] += int(n)
            row[1] += float(s)
            row[2] += float(t)
    if not per:
        sys.exit(f"no {OUT}.* files: run pytest with -p suite_compiles first")
    print(f"{'file':<45} {'compiles':>8} {'Numba s':>8} {'test s':>8}")
    for name, (n, s, t) in sorted(per.items(), key=lambda kv: -kv[1][1]):
        print(f"{name:<45} {n:>8} {s:>8.1f} {t:>8.1f}")
    total = [sum(r[k] for r in per.values()) for k in range(3)]
    print(f"{'all':<45} {total[0]:>8} {total[1]:>8.1f} {total[2]:>8.1f}")


if __name__ == "__main__":
    main()
