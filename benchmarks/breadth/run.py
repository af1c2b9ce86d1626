"""How much of other projects' NumPy test code does adcompile differentiate correctly?

    python benchmarks/breadth/run.py --scipy PATH [--evalset PATH] [--out results.json]

PATH is a git directory (as the `fetch` tool gives: /work/.mirror/scipy+scipy/repo), a
checkout, or the folder itself; the sources are read from there at run time, as written.
See docs/breadth.md.
"""
from __future__ import annotations

import argparse
import json
import os
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

import harness  # noqa: E402
import loaders  # noqa: E402


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--scipy", default=None, help="SciPy git dir/checkout (go_benchmark_functions); "
                   f"default {loaders.DEFAULT_SCIPY} when it exists")
    p.add_argument("--evalset", default=None, help="sigopt/evalset git dir/checkout; "
                   f"default {loaders.DEFAULT_EVALSET} when it exists")
    p.add_argument("--suites", default="scipy,evalset",
                   help="comma-separated: scipy, scipy-unblocked (a probe: SciPy's functions with "
                        "`*args` and `self.nfev += 1` taken out), evalset, evalset-unblocked (a probe: "
                        "`x1, x2 = x` read as `x1, x2 = x[0], x[1]`)")
    p.add_argument("--only", default="", help="comma-separated function names")
    p.add_argument("--rerun", default=None, help="a previous --out file: run only its non-correct functions")
    p.add_argument("--points", type=int, default=3)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--rtol", type=float, default=1e-6)
    p.add_argument("--timeout", type=float, default=120.0, help="seconds per gradient call")
    p.add_argument("--modes", default="reverse,forward")
    p.add_argument("--perturb", type=float, default=0.0,
                   help="self-check of the harness: add REL x the gradient's size to the last "
                        "component of every AD gradient; every compared function should then be wrong")
    p.add_argument("--out", default="breadth_results.json")
    p.add_argument("-q", "--quiet", action="store_true")
    a = p.parse_args(argv)

    os.environ.setdefault("ADCOMPILE_CACHE_DIR", "/tmp/adcache_breadth")
    import adcompile as ad
    if a.perturb:
        ad = harness.Perturbed(ad, a.perturb)

    suites = [s.strip() for s in a.suites.split(",") if s.strip()]
    cases = []
    scipy_path = a.scipy or loaders.DEFAULT_SCIPY
    evalset_path = a.evalset or loaders.DEFAULT_EVALSET
    for s in suites:
        if s in ("scipy", "scipy-unblocked"):
            if not os.path.exists(scipy_path):
                p.error(f"--scipy {scipy_path}: not found")
            cases += loaders.load_scipy_go(scipy_path, unblock=(s == "scipy-unblocked"))
        elif s in ("evalset", "evalset-unblocked"):
            if not os.path.exists(evalset_path):
                p.error(f"--evalset {evalset_path}: not found")
            cases += loaders.load_evalset(evalset_path, unblock=(s == "evalset-unblocked"))
        else:
            p.error(f"unknown suite {s!r}")
    only = {n for n in a.only.split(",") if n}
    if a.rerun:
        prev = json.load(open(a.rerun))
        only |= {(r["suite"], r["name"]) for r in prev["results"] if r["status"] != harness.CORRECT}
        cases = [c for c in cases if (c.suite, c.name) in only or c.name in only]
    elif only:
        cases = [c for c in cases if c.name in only]

    modes = tuple(m for m in a.modes.split(",") if m)
    results = []
    t0 = time.time()
    for c in cases:
        try:
            f, lo, hi = c.make()
        except loaders.SkipCase as e:
            r = harness.Result(c.suite, c.name, harness.SKIPPED, reason=str(e), source=c.source)
        except Exception as e:
            r = harness.Result(c.suite, c.name, harness.SKIPPED, source=c.source,
                               reason=f"cannot construct it: {type(e).__name__}: {e}")
        else:
            r = harness.check_function(c.suite, c.name, f, lo, hi, ad, n_points=a.points,
                                       seed=a.seed, rtol=a.rtol, timeout=a.timeout, modes=modes,
                                       source=c.source)
        results.append(r)
        if not a.quiet:
            why = r.reason if r.status != harness.CORRECT else ""
            print(f"{r.suite:<18} {r.name:<28} {r.status:<8} {r.seconds:6.2f}s  {why[:110]}", flush=True)
        with open(a.out, "w") as fh:  # written as it goes: an interrupted run keeps its results
            json.dump(report(results, a, time.time() - t0), fh, indent=1)
    print_summary(results)
    print(f"\nresults: {a.out}  ({time.time() - t0:.0f} s)")


def report(results, a, seconds):
    by_suite = {}
    for r in results:
        by_suite.setdefault(r.suite, []).append(r)
    summary = {}
    for s, rs in by_suite.items():
        counts, diff, pct, groups = harness.summarise(rs)
        summary[s] = {"counts": counts, "differentiable": diff, "percent_correct": round(pct, 1),
                      "refusals": [{"cause": g, "count": len(n), "functions": n} for g, n in groups]}
    return {"meta": {"argv": sys.argv, "points": a.points, "seed": a.seed, "rtol": a.rtol,
                     "seconds": round(seconds, 1)},
            "summary": summary, "results": [r.to_json() for r in results]}


def print_summary(results):
    by_suite = {}
    for r in results:
        by_suite.setdefault(r.suite, []).append(r)
    for s, rs in by_suite.items():
        counts, diff, pct, groups = harness.summarise(rs)
        print(f"\n== {s}: {len(rs)} functions ==")
        print("  " + "  ".join(f"{k} {v}" for k, v in counts.items()))
        print(f"  correct among differentiable (correct+wrong+refused+crashed = {diff}): {pct:.1f}%")
        if groups:
            print("  refusals by cause:")
            for g, names in groups:
                ex = ", ".join(names[:3]) + (", ..." if len(names) > 3 else "")
                print(f"    {len(names):4d}  {g[:100]}   [{ex}]")
        for status in (harness.WRONG, harness.CRASHED, harness.SKIPPED):
            sel = [r for r in rs if r.status == status]
            if sel:
                print(f"  {status}:")
                for r in sel:
                    print(f"    {r.name:<26} {r.reason[:120]}")


if __name__ == "__main__":
    main()
