"""adcompile against GradBench's JAX, PyTorch and hand-written C++ (`manual`) tools.

    python benchmarks/gradbench/compare.py --src /tmp/gradbench-src --build   # everything
    python benchmarks/gradbench/compare.py --src /tmp/gradbench-src lse gmm --tools adcompile,jax

For each eval, GradBench's own driver (python/gradbench/gradbench/evals/<eval>/run.py) runs
against each tool that implements it (run.py's run_eval: driver and tool as subprocesses, the
driver validating each answer against the C++ manual tool), all single-threaded. Printed: one
markdown table, a row per (eval, function, size), with each tool's median `evaluate` time
(ms), the ratios adcompile/JAX, adcompile/PyTorch, adcompile/manual (above 1: adcompile is
slower), and the drivers' validations.

Timing conventions (see docs/gradbench.md): GradBench's `min_runs`/`min_seconds` (each tool
runs the function at least min_runs times and for at least min_seconds, one "evaluate" timing
per run, computation only); one first call per evaluate message is not an "evaluate" timing
(adcompile: "compile", JAX and PyTorch: "warmup" through python_tool.py, which also makes the
JAX timer wait for the result); the median of the "evaluate" timings is reported.

--tools: comma-separated subset of adcompile,jax,pytorch,manual;
--full: the drivers' default sizes (hours); by default the moderate SIZES below (~10 min),
--min-runs 3 and the drivers' --min-seconds 1;
--cpu N: every tool pinned to CPU N (default 0, where GradBench's jax tool pins itself);
--stat min: each tool's fastest run instead of the median;
--json FILE: also write the measurements; --baseline FILE: take the tools not run now from an
earlier --json (e.g. rerun only adcompile: `--tools adcompile --baseline old.json`);
--show FILE: only print the table of an earlier --json (with --stat median or min);
--build: build the drivers' golden C++ binaries first (run.py --build).
"""
import argparse
import json
import os
import platform
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

import run  # noqa: E402  (benchmarks/gradbench/run.py)

TOOLS = ["adcompile", "jax", "pytorch", "manual"]
SHORT = {"adcompile": "A", "jax": "J", "pytorch": "P", "manual": "M"}

# Which evals GradBench's tools implement (their tools/<tool>/evals.txt, gradbench f26651a;
# ht is not implemented by adcompile). PyTorch's ba is left out: GradBench lists its outcome
# as "error"; here it ran ba1 (objective 19 s, jacobian 85 s per run) and was stopped on ba2
# after 7 minutes at 3.9 GB. --pytorch-ba puts it back.
IMPLEMENTS = {
    "adcompile": {"lse", "llsq", "det", "ode", "kmeans", "gmm", "lstm", "saddle", "particle", "ba"},
    "jax": {"gmm", "kmeans", "llsq", "lse", "ode"},
    "pytorch": {"gmm", "kmeans", "lse", "lstm"},
    "manual": {"ba", "det", "gmm", "kmeans", "llsq", "lse", "lstm", "ode"},
}

# Moderate sizes: each eval's driver options (a subset of the drivers' defaults).
SIZES = {
    "lse": ["-n", "40000", "640000"],
    "llsq": ["-n", "1024", "16392", "-m", "128"],
    "det": ["-l", "7", "9"],
    "ode": ["-n", "1000", "10000", "-s", "10"],
    "kmeans": ["-k", "10", "100", "-n", "1000", "10000", "-d", "8"],
    "gmm": ["-d", "10", "20", "-k", "10", "25", "-n", "1000"],
    "lstm": ["-l", "2", "4", "-c", "1024"],
    "saddle": [],
    "particle": [],
    "ba": ["--min", "1", "--max", "3"],
}


def measure(src, evals, tools, full, min_runs, min_seconds, cpu=None):
    results = []
    for name in evals:
        for tool in tools:
            if name not in IMPLEMENTS[tool]:
                continue
            extra = ([] if full else SIZES.get(name, [])) + [
                "--min-runs", str(min_runs), "--min-seconds", str(min_seconds)]
            start = time.perf_counter()
            ok, rows = run.run_eval(src, name, tool, extra, quiet=True, cpu=cpu)
            print(f"# {name:8s} {tool:9s} {'valid' if ok else 'FAILURES'} "
                  f"({time.perf_counter() - start:.0f} s)", file=sys.stderr, flush=True)
            for row in rows:
                if row["valid"] is not True and "why" in row:
                    print("#   " + row["why"].strip().splitlines()[-1][:200], file=sys.stderr)
            results += rows
    return results


def versions():
    from importlib import metadata
    import subprocess

    out = {}
    for pkg in ("numpy", "numba", "jax", "jaxlib", "torch"):
        try:
            out[pkg] = metadata.version(pkg)
        except metadata.PackageNotFoundError:
            pass
    for key, cmd in (("g++", ["g++", "--version"]),
                     ("adcompile", ["git", "-C", run.ROOT, "describe", "--always", "--dirty"])):
        try:
            out[key] = subprocess.run(cmd, capture_output=True, text=True).stdout.splitlines()[0]
        except (OSError, IndexError):
            pass
    return out


def fmt_ms(ms):
    if ms is None or ms != ms:
        return ""
    return f"{ms:.3g}" if ms < 1000 else f"{ms:.0f}"


def table(results, evals, stat="ms"):
    """The markdown table: a row per (eval, function, size), in the drivers' order;
    stat: "ms" (each tool's median evaluate time) or "min_ms"."""
    keys, cell = [], {}
    for r in results:
        key = (r["eval"], r["function"], r["size"])
        if key not in cell:
            keys.append(key)
            cell[key] = {}
        cell[key][r["tool"]] = r
    order = {e: i for i, e in enumerate(evals)}
    keys.sort(key=lambda k: order.get(k[0], len(order)))  # stable: drivers' order within
    lines = ["| eval | function | size | adcompile | JAX | PyTorch | manual "
             "| A/JAX | A/PyTorch | A/manual | valid |",
             "|---|---|---|---:|---:|---:|---:|---:|---:|---:|---|"]
    for key in keys:
        c = cell[key]
        times = [fmt_ms(c[t][stat]) if t in c else "" for t in TOOLS]
        ratios = []
        for t in TOOLS[1:]:
            a, b = c.get("adcompile"), c.get(t)
            ok = a and b and a[stat] == a[stat] and b[stat] == b[stat] and b[stat] > 0
            ratios.append(f"{a[stat] / b[stat]:.3g}" if ok else "")
        valid = " ".join(
            SHORT[t] + ("" if c[t]["valid"] is True else "✗" if c[t]["valid"] is False else "?")
            for t in TOOLS if t in c)
        lines.append("| " + " | ".join([*key, *times, *ratios, valid]) + " |")
    return "\n".join(lines)


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("evals", nargs="*", default=list(SIZES))
    p.add_argument("--src", help="GradBench source tree (needed unless --show)")
    p.add_argument("--show", metavar="JSON", help="only print the table of an earlier --json")
    p.add_argument("--tools", default=",".join(TOOLS))
    p.add_argument("--full", action="store_true")
    p.add_argument("--build", action="store_true")
    p.add_argument("--min-runs", type=int, default=3)
    p.add_argument("--min-seconds", type=float, default=1.0)  # the drivers' default
    p.add_argument("--stat", choices=["median", "min"], default="median",
                   help="which of each tool's evaluate times the table shows")
    p.add_argument("--cpu", type=int, default=0,
                   help="pin every tool to this CPU (GradBench's jax tool pins itself to 0); "
                   "-1: no pinning")
    p.add_argument("--pytorch-ba", action="store_true", help="also PyTorch's ba (very slow)")
    p.add_argument("--json", help="write the measurements here")
    p.add_argument("--baseline", help="an earlier --json: its rows for the tools not run now")
    a = p.parse_args()
    stat = "ms" if a.stat == "median" else "min_ms"
    if a.show:
        with open(a.show) as f:
            old = json.load(f)
        print(f"<!-- {old['meta']['date']}; {a.stat} -->")
        print(table(old["results"], list(SIZES), stat))
        return
    if not a.src:
        p.error("--src is required")
    tools = [t.strip() for t in a.tools.split(",") if t.strip()]
    for t in tools:
        if t not in TOOLS:
            p.error(f"unknown tool {t!r} (one of {', '.join(TOOLS)})")
    if a.pytorch_ba:
        IMPLEMENTS["pytorch"].add("ba")
    for k, v in run.SINGLE_THREAD.items():  # this process's children inherit them too
        os.environ[k] = v
    if a.build:
        run.build(a.src, [e for e in a.evals if e in run.MANUAL])
    if "lstm" in a.evals:
        run.lstm_text(a.src)
    start, load = time.time(), os.getloadavg()[0]
    results = measure(a.src, a.evals, tools, a.full, a.min_runs, a.min_seconds,
                      None if a.cpu < 0 else a.cpu)
    meta = {"date": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime(start)),
            "seconds": round(time.time() - start), "machine": platform.platform(),
            "cpus": os.cpu_count(),
            "loadavg_1min": [round(load, 1), round(os.getloadavg()[0], 1)],
            "python": platform.python_version(),
            "argv": sys.argv[1:], "tools": tools, "cpu": a.cpu, "versions": versions()}
    if a.baseline:
        with open(a.baseline) as f:
            old = json.load(f)
        results += [r for r in old["results"] if r["tool"] not in tools
                    and r["eval"] in a.evals]
        meta["baseline"] = old["meta"]
    if a.json:
        with open(a.json, "w") as f:
            json.dump({"meta": meta, "results": results}, f, indent=1)
    print(f"<!-- {meta['date']}, {meta['seconds']} s, {meta['machine']}, {meta['cpus']} CPUs, "
          f"load average {meta['loadavg_1min']} (start, end); "
          f"compare.py {' '.join(meta['argv'])} -->")
    print(table(results, a.evals, stat))
    bad = [r for r in results if r["valid"] is False]
    sys.exit(1 if bad else 0)


if __name__ == "__main__":
    main()
