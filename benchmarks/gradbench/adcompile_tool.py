"""adcompile as a GradBench tool: JSON lines on stdin, JSON lines on stdout.

Messages (see PROTOCOL.md): start -> {"id", "tool"}; define {module} -> {"id", "success"};
evaluate {module, function, input} -> {"id", "success", "output", "timings"}; analysis, end and any other kind -> {"id"} (after `end` the tool exits). Usage: python benchmarks/gradbench/adcompile_tool.py
"""
import importlib
import json
import os
import sys
import time
import traceback

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))))


def load(module):
    return importlib.import_module(f"benchmarks.gradbench.evals.{module}")


def evaluate(module, function, inp):
    prepare, compute, post = load(module).FUNCTIONS[function]
    args = prepare(inp)
    timings = []
    # First call compiles (adcompile + Numba, cached on disk): reported as its own timing.
    start = time.perf_counter_ns()
    out = compute(*args)
    timings.append({"name": "compile", "nanoseconds": time.perf_counter_ns() - start})
    min_runs = int(inp.get("min_runs", 1))
    min_seconds = float(inp.get("min_seconds", 0))
    runs, elapsed = 0, 0.0
    while runs < min_runs or elapsed < min_seconds:
        start = time.perf_counter_ns()
        out = compute(*args)
        ns = time.perf_counter_ns() - start
        timings.append({"name": "evaluate", "nanoseconds": ns})
        runs += 1
        elapsed += ns / 1e9
    return {"success": True, "output": post(out), "timings": timings}


def handle(message):
    """The response to one message (a dict)."""
    kind = message["kind"]
    response = {"id": message["id"]}
    if kind == "start":
        response["tool"] = "adcompile"
    elif kind == "define":
        try:
            load(message["module"])
            response["success"] = True
        except Exception as e:
            response["success"] = False
            response["error"] = "".join(traceback.format_exception(e))
    elif kind == "evaluate":
        try:
            response |= evaluate(message["module"], message["function"], message["input"])
        except Exception as e:
            response["success"] = False
            response["error"] = "".join(traceback.format_exception(e))
    return response  # any other kind (analysis, end, ...): just the id


def main():
    for line in sys.stdin:
        if not line.strip():
            continue
        message = json.loads(line)
        print(json.dumps(handle(message)), flush=True)
        if message["kind"] == "end":
            break


if __name__ == "__main__":
    main()
