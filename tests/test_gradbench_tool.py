"""The GradBench tool (benchmarks/gradbench/adcompile_tool.py) speaks the protocol and answers right.

Runs the tool as a subprocess, feeds it a start/define/evaluate/analysis/end session for lse
and llsq on tiny inputs, and checks the outputs against NumPy and central differences.
No GradBench needed.
"""
import json
import os
import subprocess
import sys

import numpy as np
import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
TOOL = os.path.join(ROOT, "benchmarks", "gradbench", "adcompile_tool.py")


def session(messages):
    lines = "".join(json.dumps({"id": i} | m) + "\n" for i, m in enumerate(messages))
    proc = subprocess.run([sys.executable, TOOL], input=lines, capture_output=True, text=True,
                          timeout=120, env=os.environ | {"NUMBA_NUM_THREADS": "1"})
    assert proc.returncode == 0, proc.stderr
    return [json.loads(line) for line in proc.stdout.splitlines()]


def central(f, x, h=1e-6):
    g = np.zeros_like(x)
    for i in range(len(x)):
        e = np.zeros_like(x)
        e[i] = h
        g[i] = (f(x + e) - f(x - e)) / (2 * h)
    return g


def lse(x):
    return np.log(np.sum(np.exp(x - x.max()))) + x.max()


def llsq(x, n):
    t = -1 + 2 * np.arange(n) / (n - 1)
    r = np.sign(t) - np.vander(t, len(x), increasing=True) @ x
    return 0.5 * r @ r


RUNS = {"min_runs": 2, "min_seconds": 0}


def test_protocol_session_lse_and_llsq():
    rng = np.random.default_rng(1)
    x = rng.random(7) * 5 - 2
    y = rng.random(4)
    out = session([
        {"kind": "start", "eval": "lse"},
        {"kind": "define", "module": "lse"},
        {"kind": "evaluate", "module": "lse", "function": "primal", "input": {"x": x.tolist()} | RUNS},
        {"kind": "evaluate", "module": "lse", "function": "gradient", "input": {"x": x.tolist()} | RUNS},
        {"kind": "analysis", "of": 3, "valid": True},
        {"kind": "define", "module": "llsq"},
        {"kind": "evaluate", "module": "llsq", "function": "gradient",
         "input": {"x": y.tolist(), "n": 9} | RUNS},
        {"kind": "define", "module": "no_such_eval"},
        {"kind": "end"},
    ])
    assert [r["id"] for r in out] == list(range(9))
    assert out[4] == {"id": 4} and out[8] == {"id": 8}
    assert out[0]["tool"] == "adcompile"
    assert out[1]["success"] and out[5]["success"]
    assert out[7]["success"] is False and "no_such_eval" in out[7]["error"]
    for r in (out[2], out[3], out[6]):
        assert r["success"], r.get("error")
        names = [t["name"] for t in r["timings"]]
        assert names.count("evaluate") >= 2
        assert all(isinstance(t["nanoseconds"], int) and t["nanoseconds"] >= 0 for t in r["timings"])
    assert out[2]["output"] == pytest.approx(lse(x), rel=1e-12)
    assert np.allclose(out[3]["output"], central(lse, x), atol=1e-7)
    assert np.allclose(out[3]["output"], np.exp(x - lse(x)), rtol=1e-12)
    assert np.allclose(out[6]["output"], central(lambda v: llsq(v, 9), y), atol=1e-6)


def test_a_failing_evaluation_reports_failure():
    out = session([{"kind": "evaluate", "module": "lse", "function": "gradient",
                    "input": {"wrong_key": [1.0]} | RUNS}])
    assert out[0]["success"] is False and "wrong_key" not in out[0].get("output", "")
    assert "KeyError" in out[0]["error"]
