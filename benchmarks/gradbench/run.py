"""Run GradBench's own eval drivers against the adcompile tool (or GradBench's Python tools).

GradBench's drivers (python/gradbench/gradbench/evals/*/run.py) validate each answer against
its C++ "manual" tool (tools/manual/bin/<eval>), so a source tree of GradBench with those
built is needed:

    python benchmarks/gradbench/run.py --src /tmp/gradbench-src --build lse llsq ode det kmeans gmm

--src: a GradBench source tree (its cpp/, tools/manual/ and python/ folders);
--build: build tools/manual/bin/<eval> first (needs g++, make and `pip install nlohmann-json`);
the drivers need `pip install pydantic dataclasses-json` (and scipy, numpy);
--tool: adcompile (default); jax / pytorch: GradBench's tools with a synchronising timer and
one warm-up call (python_tool.py; need jax / torch installed); jax-raw / pytorch-raw: their
run.py exactly as their images start it; manual: GradBench's C++ tool, built -march=native
into tools/manual-native (manual_tool.py);
--full: the drivers' default sizes (long); by default small sizes (SMALL below).
This script sits between driver and tool like GradBench's CLI, forwarding JSON lines both ways,
and prints for each evaluation: the function, the size, the tool's median and minimum
evaluate times,
and the driver's validation. Everything runs single-threaded.
"""
import argparse
import json
import os
import statistics
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))

SMALL = {
    "lse": ["-n", "2500", "40000", "1280000"],
    "llsq": ["-n", "16", "1024", "16392", "-m", "128"],
    "ode": ["-n", "1000", "10000", "-s", "1", "10"],
    "det": ["-l", "5", "7", "9"],
    "kmeans": ["-k", "10", "100", "-n", "1000", "-d", "8"],
    "gmm": ["-d", "2", "10", "-k", "5", "10", "-n", "1000"],
    "lstm": ["-l", "2", "4", "-c", "1024"],
    "ba": ["--min", "1", "--max", "3"],
    "saddle": [],
    "particle": [],
}
MANUAL = {"lse", "llsq", "ode", "det", "kmeans", "gmm", "lstm", "ba", "ht"}  # golden = C++

SINGLE_THREAD = {"OMP_NUM_THREADS": "1", "NUMBA_NUM_THREADS": "1", "MKL_NUM_THREADS": "1",
                 "OPENBLAS_NUM_THREADS": "1", "XLA_FLAGS": "--xla_cpu_multi_thread_eigen=false "
                 "intra_op_parallelism_threads=1"}


def build(src, evals, tool="manual", native=False):
    """make tools/<tool>/bin/<eval>: NATIVE=no for the drivers' golden binaries (as GradBench's
    eval images build them), native=True for the timed manual tool (as cpp.py builds tools)."""
    import nlohmann_json  # the pip package `nlohmann-json` ships json.hpp

    inc = os.path.join(os.path.dirname(nlohmann_json.__file__), "include")
    flags = (f"-std=c++17 -O3 -Wall -Wno-unknown-pragmas -I../../cpp -I{inc} "
             f"-I{os.path.join(inc, 'nlohmann')}")
    subprocess.run(["make", "-C", os.path.join(src, "tools", tool),
                    f"NATIVE={'yes' if native else 'no'}", "MULTITHREADED=no",
                    f"CXXFLAGS={flags}", *[f"bin/{e}" for e in evals]], check=True,
                   stdout=subprocess.DEVNULL)


def lstm_text(src):
    """The lstm driver reads evals/lstm/data/lstm_full.txt, which GradBench stores outside git
    (absent from a plain source snapshot): stand in any long ASCII text, made up here."""
    path = os.path.join(src, "evals", "lstm", "data", "lstm_full.txt")
    if not os.path.exists(path):
        os.makedirs(os.path.dirname(path), exist_ok=True)
        import random
        rnd = random.Random(0)
        words = ["gradient", "adjoint", "tape", "loop", "array", "sweep", "reverse", "mode"]
        with open(path, "w") as f:
            f.write(" ".join(rnd.choice(words) for _ in range(20000)))
        print(f"(lstm: {path} was missing; wrote a stand-in text)")


def tool_command(tool):
    if tool == "adcompile":
        return [sys.executable, os.path.join(HERE, "adcompile_tool.py")]
    if tool == "manual":
        return [sys.executable, os.path.join(HERE, "manual_tool.py")]
    if tool.endswith("-raw"):
        # as GradBench's images run them: the script by path, its folder first on sys.path
        return [sys.executable,
                os.path.join("python", "gradbench", "gradbench", "tools", tool[:-4], "run.py")]
    return [sys.executable, os.path.join(HERE, "python_tool.py"), tool]


def run_eval(src, name, tool, extra, quiet=False, cpu=None):
    """One driver against one tool; returns (all valid, rows), a row per evaluate message.
    cpu: pin the tool (and what it starts) to that CPU."""
    env = os.environ | SINGLE_THREAD
    env["PYTHONPATH"] = os.pathsep.join(
        [os.path.join(src, "python", "gradbench"), ROOT, env.get("PYTHONPATH", "")])
    driver = subprocess.Popen([sys.executable, "-m", f"gradbench.evals.{name}.run", *extra],
                              cwd=src, env=env, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                              text=True)
    pin = None if cpu is None else (lambda: os.sched_setaffinity(0, {cpu}))
    toolp = subprocess.Popen(tool_command(tool), cwd=src, env=env, stdin=subprocess.PIPE,
                             stdout=subprocess.PIPE, text=True, preexec_fn=pin)
    pending, rows, ok = {}, [], True
    start = time.perf_counter()
    for line in driver.stdout:
        msg = json.loads(line)
        if msg["kind"] == "analysis":
            row = pending.pop(msg["of"])
            row["valid"] = msg["valid"]
            ok &= msg["valid"]
            if not msg["valid"]:
                row["why"] = msg.get("error", "")[:400]
            response = {"id": msg["id"]}  # the CLI answers analysis itself
        else:
            toolp.stdin.write(line)
            toolp.stdin.flush()
            if msg["kind"] == "end":
                break
            answer = toolp.stdout.readline()
            if not answer:  # the tool died
                print(f"{name}: {tool} exited (status {toolp.wait()})", file=sys.stderr)
                ok = False
                break
            response = json.loads(answer)
            if msg["kind"] == "define" and not response.get("success"):
                print(f"{name}: define failed: {response.get('error')}", file=sys.stderr)
                ok = False
            if msg["kind"] == "evaluate":
                evals = [t["nanoseconds"] for t in response.get("timings") or []
                         if t["name"] == "evaluate"]
                row = {"eval": name, "tool": tool, "function": msg["function"],
                       "size": msg.get("description", ""),
                       "ms": statistics.median(evals) / 1e6 if evals else float("nan"),
                       "min_ms": min(evals) / 1e6 if evals else float("nan"),
                       "runs": len(evals), "valid": None}
                if not response.get("success"):
                    row["valid"], row["why"] = False, response.get("error", "")[-400:]
                    ok = False
                pending[msg["id"]] = row
                rows.append(row)
        driver.stdin.write(json.dumps(response) + "\n")
        driver.stdin.flush()
    for p in (driver, toolp):
        try:
            p.stdin.close()
        except BrokenPipeError:
            pass
    driver.wait()
    toolp.wait()
    if quiet:
        return ok, rows
    for row in rows:
        status = {True: "valid", False: "INVALID", None: "not validated"}[row["valid"]]
        print(f"{name:7s} {row['function']:10s} {row['size']:22s} {row['ms']:10.3f} ms median "
              f"{row['min_ms']:10.3f} min ({row['runs']} runs)  {status}")
        if "why" in row:
            print("        " + row["why"].replace("\n", "\n        "))
    print(f"{name}: {'all valid' if ok else 'FAILURES'} ({time.perf_counter() - start:.1f} s total)")
    return ok, rows


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("evals", nargs="*", default=list(SMALL))
    p.add_argument("--src", required=True, help="GradBench source tree")
    p.add_argument("--tool", default="adcompile")
    p.add_argument("--build", action="store_true")
    p.add_argument("--full", action="store_true")
    p.add_argument("--min-runs", default="1")
    p.add_argument("--min-seconds", default="0.2")
    a = p.parse_args()
    if a.build:
        build(a.src, [e for e in a.evals if e in MANUAL])
    if "lstm" in a.evals:
        lstm_text(a.src)
    ok = True
    for name in a.evals:
        extra = ([] if a.full else SMALL.get(name, [])) + [
            "--min-runs", a.min_runs, "--min-seconds", a.min_seconds]
        ok &= run_eval(a.src, name, a.tool, extra)[0]
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
