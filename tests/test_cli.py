"""The adcompile command: inspect, grad, demo, --help, and exit codes on user errors."""
import math
import os
import subprocess
import sys

import pytest

from adcompile.cli import main

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SEED = os.path.join(ROOT, "examples", "seed_graph.py")


def run(capsys, *argv):
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_inspect_prints_ir_and_adjoint(capsys):
    code, out, err = run(capsys, "inspect", f"{SEED}:f", "--types", "w1=f64,w2=f64", "--ir",
                         "--adjoint")
    assert code == 0 and err == ""
    assert "func f(%w1: f64, %w2: f64)" in out
    assert "def f_vg(w1, w2):" in out
    assert "# adjoint of:" in out


def test_inspect_array_types(capsys, tmp_path):
    prog = tmp_path / "arr.py"
    prog.write_text("import numpy as np\n\ndef f(x, A):\n    return np.sum(np.sin(A @ x) ** 2)\n")
    code, out, err = run(capsys, "inspect", f"{prog}:f", "--types", "x=f64[:],A=f64[:,:]",
                         "--adjoint")
    assert code == 0 and err == ""
    assert "def f_vg(x, A):" in out and "A.T @" in out


def test_inspect_forward_prints_the_tangent_code(capsys):
    code, out, err = run(capsys, "inspect", f"{SEED}:f", "--wrt", "w1,w2", "--forward",
                         "--adjoint")
    assert code == 0 and err == ""
    assert "def f_jvp(w1, w2, w1_dot, w1_dot_1, w2_dot, w2_dot_1):" in out
    assert "def f_fwd(w1, w2):" in out and "_bar" not in out.split("def f_jvp")[1]


def test_grad_forward_equals_reverse(capsys):
    outs = []
    for extra in ([], ["--forward"]):
        code, out, _ = run(capsys, "grad", f"{SEED}:f", "--at", "w1=1.5,w2=0.5",
                           "--wrt", "w1,w2", *extra)
        assert code == 0
        outs.append([float(line.split("=")[1]) for line in out.splitlines()])
    assert outs[0] == pytest.approx(outs[1], rel=1e-12)


def test_diagnose_exit_status_gates_on_artifacts(capsys, tmp_path):
    prog = tmp_path / "model.py"
    prog.write_text("import adcompile as ad\n\ndef relu2(t):\n    return ad.relu(-t) + t\n\n"
                    "def zero(t):\n    return relu2(t) - ad.relu(t)\n")
    code, out, err = run(capsys, "diagnose", f"{prog}:zero", "--at", "t=0.0")
    assert code == 3 and err == ""
    assert "ARTIFACT" in out and "model.py:4:12" in out and "ADC201" in out
    code, out, _ = run(capsys, "diagnose", f"{prog}:relu2", "--at", "t=0.0", "--json")
    assert code == 0 and '"verdict": "kink"' in out
    code, out, _ = run(capsys, "diagnose", f"{prog}:zero", "--at", "t=0.5")
    assert code == 0 and "SMOOTH" in out
    code, _, err = run(capsys, "diagnose", f"{prog}:zero", "--at", "s=0.0")
    assert code == 2 and "unknown parameters: s" in err


def test_inspect_only_ir(capsys):
    code, out, _ = run(capsys, "inspect", f"{SEED}:f", "--ir")
    assert code == 0 and "func f(" in out and "def f_vg" not in out


def test_grad_at_a_point_matches_the_api(capsys):
    import importlib.util
    code, out, _ = run(capsys, "grad", f"{SEED}:f", "--at", "w1=1.5,w2=0.5", "--wrt", "w1,w2")
    assert code == 0
    spec = importlib.util.spec_from_file_location("seed_for_cli", SEED)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    import adcompile as ad
    value, (d1, d2) = ad.value_and_grad(mod.f, wrt=(0, 1))(1.5, 0.5)
    assert f"value = {value!r}" in out
    assert f"d/dw1 = {d1!r}" in out and f"d/dw2 = {d2!r}" in out


def test_grad_accepts_integer_literals_for_float_parameters(capsys):
    code, out, _ = run(capsys, "grad", f"{SEED}:f", "--at", "w1=1,w2=1", "--no-jit")
    assert code == 0 and "d/dw1" in out


@pytest.mark.parametrize("argv,words", [
    (["grad", "nofile.py:f", "--at", "x=1"], "no such file"),
    (["grad", f"{SEED}:nosuch", "--at", "x=1"], "no function 'nosuch'"),
    (["grad", f"{SEED}", "--at", "x=1"], "FILE:FUNC"),
    (["grad", f"{SEED}:f", "--at", "w1=abc"], "cannot read the value"),
    (["grad", f"{SEED}:f", "--at", "w1=1.0,q=2"], "unknown parameters: q"),
    (["inspect", f"{SEED}:f", "--types", "w1=complex"], "unknown type"),
])
def test_usage_errors_exit_2_with_a_message(capsys, argv, words):
    code, out, err = run(capsys, *argv)
    assert code == 2
    assert words in err and "Traceback" not in err


@pytest.mark.parametrize("argv", [["demo", "--repeat", "0"], ["demo", "--repeat", "-5"],
                                  ["demo", "--repeat", "x"], ["grad"], ["nosuchcommand"],
                                  ["grad", f"{SEED}:f", "--bogus"]])
def test_argparse_usage_errors_exit_2(capsys, argv):
    code, out, err = run(capsys, *argv)
    assert code == 2 and "Traceback" not in err and "usage:" in err


@pytest.mark.parametrize("text,check", [("nan", math.isnan), ("inf", math.isinf),
                                        ("-inf", math.isinf), ("1e400", math.isinf)])
def test_grad_reads_nan_and_inf_points(capsys, text, check):
    code, out, err = run(capsys, "grad", f"{SEED}:f", "--at", f"w1={text},w2=0.5")
    assert code == 0, err
    value = float(out.split("value = ")[1].split()[0])
    assert check(value) or math.isnan(value)


def test_demo_with_one_repeat(capsys):
    code, out, err = run(capsys, "demo", "--repeat", "1")
    assert code == 0 and "x the primal" in out


def test_compile_error_exit_1_names_the_file(tmp_path, capsys):
    bad = tmp_path / "model.py"
    bad.write_text("import math\n\ndef f(x):\n    return math.ldexp(x, 2)\n")
    code, _, err = run(capsys, "grad", f"{bad}:f", "--at", "x=0.5")
    assert code == 1
    assert f"{bad}:4:12" in err and "math.ldexp" in err


@pytest.mark.parametrize("sub", [[], ["inspect"], ["grad"], ["demo"], ["diagnose"]])
def test_help(sub):
    proc = subprocess.run([sys.executable, "-m", "adcompile.cli", *sub, "--help"],
                          capture_output=True, text=True)
    assert proc.returncode == 0
    assert "usage: adcompile" in proc.stdout


def test_demo_runs(capsys):
    from adcompile.demo import run_demo
    lines = []
    result = run_demo(repeat=2000, out=lines.append)
    text = "\n".join(lines)
    assert "func seed_graph" in text and "def seed_graph_vg" in text
    for g, fd in zip(result["grads"], result["fd"]):
        assert g == pytest.approx(fd, rel=1e-8)
    assert "x the primal" in text


def test_console_script_demo():
    """`adcompile demo` through the installed entry point (the README's first command;
    the README installs the package before running the tests)."""
    from importlib.metadata import entry_points
    (script,) = [e for e in entry_points(group="console_scripts") if e.name == "adcompile"]
    assert script.value == "adcompile.cli:main"
    exe = os.path.join(os.path.dirname(sys.executable), "adcompile")
    cmd = [exe] if os.path.exists(exe) else [sys.executable, "-m", "adcompile.cli"]
    proc = subprocess.run(cmd + ["demo", "--repeat", "1000"], capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr
    assert "finite differences" in proc.stdout


ARRAYS = '''
import numpy as np

def loss(params, X, y):
    return np.sum((X @ params["w"] + params["b"] - y) ** 2)

def norm2(x):
    return np.sum(x * x)
'''


def _model(tmp_path):
    path = tmp_path / "arrays_model.py"
    path.write_text(ARRAYS)
    return str(path)


def test_grad_at_arrays_files_and_dicts(capsys, tmp_path):
    import numpy as np
    model = _model(tmp_path)
    code, out, err = run(capsys, "grad", f"{model}:norm2", "--at", "x=[1, 2, 3]")
    assert code == 0, err
    assert "value = 14.0" in out and "array([2., 4., 6.])" in out
    X, y = np.arange(6.0).reshape(3, 2), np.array([1.0, 0.0, 2.0])
    np.save(tmp_path / "X.npy", X)
    np.savez(tmp_path / "data.npz", w=np.array([0.5, -1.0]))
    code, out, err = run(capsys, "grad", f"{model}:loss", "--at",
                         f'params={{"w": [0.5, -1], "b": 0.25}},X=@{tmp_path / "X.npy"},'
                         "y=[1.0, 0.0, 2.0]")
    assert code == 0, err
    r = X @ np.array([0.5, -1.0]) + 0.25 - y
    assert f"value = {float(np.sum(r * r))!r}" in out
    assert "'w': array(" in out and f"'b': {float(2 * np.sum(r))!r}" in out
    code, out, err = run(capsys, "grad", f"{model}:norm2", "--at",
                         f"x=@{tmp_path / 'data.npz'}")    # a dict where an array is wanted
    assert code == 1 and "tmp" in err and "Traceback" not in err


@pytest.mark.parametrize("at,words", [
    ("x=['a', 'b']", "list of numbers"),
    ("x=@/no/such/file.npy", "cannot read 'x'"),
    ("x={1, 2}", "must be a number"),
])
def test_bad_array_values_are_usage_errors(capsys, tmp_path, at, words):
    code, out, err = run(capsys, "grad", f"{_model(tmp_path)}:norm2", "--at", at)
    assert code == 2 and words in err and "Traceback" not in err
