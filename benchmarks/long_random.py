"""Long random-program run: many programs from the generators of tests/test_random_families.py
(merge, intidx, views, unread, nan), each checked at several points in both modes (reverse,
forward), with and without Numba, against the Python/NumPy value and central differences.

    python benchmarks/long_random.py --programs 100 --points 3 --seed 0 --jit

--programs N: programs per family (each one is checked in both modes: N per family per mode).
--jit checks every program compiled by Numba and as plain Python (jit=True against
jit=False); --no-jit only as plain Python (fast); --jit-every K compiles only every K-th
program with Numba (the others are still checked without it).

Failures (a wrong number, a disagreement between modes or jit, a NaN where a number is
expected or the reverse, an exception that is not an adcompile.AdCompileError, or an
adcompile error on a program of the subset) are written to --out, one directory per program:
prog.py (the program), args.txt (the point), error.txt, and repro.py, which regenerates the
program from its seed and checks it again; the exit status is 1 when any program failed.
"""
from __future__ import annotations

import argparse
import collections
import os
import random
import sys
import tempfile
import time
import traceback
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent / "tests"))
os.environ.setdefault("ADCOMPILE_CACHE_DIR", tempfile.mkdtemp(prefix="adcompile-long-"))

import numpy as np  # noqa: E402

import adcompile as ad  # noqa: E402
from conftest import load_source  # noqa: E402
from test_random_families import GENERATORS, Choices, Refused, Skip, check_case, \
    generate  # noqa: E402


REPRO = '''"""Regenerate {family} program {seed} (the generators of this checkout) and check it
at the saved point, with and without Numba: python repro.py"""
import random
import sys
from pathlib import Path

sys.path.insert(0, "{tests}")
import numpy as np  # noqa: E402
import test_random_families as T  # noqa: E402
from conftest import load_source  # noqa: E402

here = Path(__file__).parent
case = T.generate("{family}", T.Choices(rng=random.Random("{family}-{seed}")))
assert case.src == (here / "prog.py").read_text(), "the generators changed since the run"
args = eval((here / "args.txt").read_text(), {{"np": np, "nan": np.nan, "inf": np.inf}})
module = load_source(here, case.src, "prog_check")
print(T.check_case(case, module, jits=(True, False), args=args, edge={edge}))
'''


def exact_repr(point) -> str:
    """The point as Python source that rebuilds it exactly: (np.array([...]), 0.5, ...)."""
    items = [f"np.array({a.tolist()!r})" if isinstance(a, np.ndarray) else repr(float(a))
             for a in point]
    return "(" + ", ".join(items) + ("," if len(items) == 1 else "") + ")"


def classify(exc) -> str:
    if isinstance(exc, AssertionError):
        return "wrong"
    if isinstance(exc, ad.AdCompileError):
        return type(exc).__name__
    return "exception:" + type(exc).__name__


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--programs", type=int, default=50, help="programs per family (each "
                    "checked in both modes)")
    ap.add_argument("--points", type=int, default=3, help="points per program")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--jit", action=argparse.BooleanOptionalAction, default=True,
                    help="also compile with Numba (jit=True against jit=False)")
    ap.add_argument("--jit-every", type=int, default=1, metavar="K",
                    help="with --jit, compile every K-th program with Numba")
    ap.add_argument("--families", default=",".join(GENERATORS),
                    help="comma-separated, from " + ", ".join(GENERATORS))
    ap.add_argument("--out", default="random-failures", help="directory for failing programs")
    ap.add_argument("--quiet", action="store_true")
    args = ap.parse_args(argv)

    out = Path(args.out)
    work = Path(tempfile.mkdtemp(prefix="long-random-"))
    modes = ("reverse", "forward")
    stats = collections.defaultdict(collections.Counter)
    failures = []
    start = time.perf_counter()
    for family in args.families.split(","):
        for k in range(args.programs):
            seed = args.seed * 1_000_003 + k
            ch = Choices(rng=random.Random(f"{family}-{seed}"))
            case = generate(family, ch)
            jits = (True, False) if args.jit and k % args.jit_every == 0 else (False,)
            st = stats[family]
            st["programs"] += 1
            st["jit programs"] += jits[0] is True
            module = load_source(work, case.src, f"{family}_{seed}")
            fns = {}
            points = [(case.args, case.edge)] + [case.another_point(ch)
                                                 for _ in range(args.points - 1)]
            failed = False
            for point, edge in points:
                st["points"] += 1
                try:
                    counts = check_case(case, module, modes, jits, args=point, fns=fns,
                                        edge=edge)
                    st["checked"] += 1
                    st["fd elements"] += counts["fd"]
                    st["fd unreliable"] += counts["fd unreliable"]
                    st["edge points"] += counts["edge points"]
                    st["checks"] += len(modes) * len(jits)
                except Skip:
                    st["skipped"] += 1
                except Refused:
                    st["refused (located copy of a slice)"] += 1
                    break
                except Exception as exc:  # noqa: BLE001 - everything else is reported
                    kind = classify(exc)
                    st["failed points"] += 1
                    if not failed:
                        failed = True
                        st["failed programs"] += 1
                        where = out / f"{family}-{seed}"
                        where.mkdir(parents=True, exist_ok=True)
                        (where / "prog.py").write_text(case.src)
                        (where / "args.txt").write_text(exact_repr(point) + "\n")
                        (where / "repro.py").write_text(REPRO.format(
                            tests=HERE.parent / "tests", family=family, seed=seed,
                            edge=edge))
                        (where / "error.txt").write_text(
                            f"{kind}\n{''.join(traceback.format_exception(exc))}")
                        failures.append((family, seed, kind, str(exc).splitlines()[0][:160]))
                        if not args.quiet:
                            print(f"FAIL {family} seed {seed}: {kind}: "
                                  f"{str(exc).splitlines()[0][:160]}", flush=True)
            if not args.quiet and (k + 1) % 25 == 0:
                print(f"  {family}: {k + 1} programs, {time.perf_counter() - start:.0f} s",
                      flush=True)
    elapsed = time.perf_counter() - start

    total = collections.Counter()
    print("\ncommand: python benchmarks/long_random.py " + " ".join(argv or sys.argv[1:]))
    print(f"random programs: seed {args.seed}, modes {', '.join(modes)}, "
          f"jit {'True and False' if args.jit else 'False'}"
          + (f" (Numba every {args.jit_every} programs)" if args.jit and args.jit_every > 1
             else "") + f", {elapsed:.0f} s")
    cols = ["programs", "jit programs", "points", "checked", "checks", "edge points",
            "fd elements", "fd unreliable", "skipped", "refused (located copy of a slice)",
            "failed programs", "failed points"]
    heads = [c.split(" (")[0] for c in cols]
    widths = [max(len(h), 7) for h in heads]
    print(f"{'family':8} " + " ".join(f"{h:>{w}}" for h, w in zip(heads, widths)))
    for family, st in stats.items():
        total.update(st)
        print(f"{family:8} " + " ".join(f"{st[c]:>{w}}" for c, w in zip(cols, widths)))
    print(f"{'total':8} " + " ".join(f"{total[c]:>{w}}" for c, w in zip(cols, widths)))
    kinds = collections.Counter((f, k) for f, _, k, _ in failures)
    if failures:
        print(f"\nfailures ({len(failures)} programs, saved under {out}/):")
        for (family, kind), n in sorted(kinds.items()):
            print(f"  {family:8} {kind:30} {n}")
    else:
        print("\nno failures")
    return 1 if failures else 0


if __name__ == "__main__":
    np.seterr(all="ignore")
    sys.exit(main())
