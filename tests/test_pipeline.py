"""The pipelines: every pass leaves verifiable IR (the tests run with ADCOMPILE_VERIFY=1, so
every compile in the suite checks it), the IR after any pass can be printed, and the
entry points compile through pipeline.py only."""
import os
import subprocess
import sys

import numpy as np
import pytest

import adcompile as ad
import programs as P
from adcompile import pipeline
from adcompile.cli import main

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def test_tests_verify_every_pass():
    assert os.environ.get("ADCOMPILE_VERIFY") == "1"


def test_a_broken_pass_is_caught_after_it_runs(monkeypatch):
    """A pass that leaves malformed IR fails at that pass, not later in codegen."""
    from adcompile.ir import Value, walk
    from adcompile.verify import VerifyError

    def breaks(fn):
        for op in walk(fn.body):
            if op.args:
                op.args[0] = Value(op.args[0].type, "ghost")     # a use of nothing
                break
        return fn
    monkeypatch.setitem(pipeline.PASSES, "fold_identities", breaks)
    with pytest.raises(VerifyError):
        ad.grad(P.straight, jit=False)(0.7, -1.3)


@pytest.mark.parametrize("mode", ["reverse", "forward"])
def test_print_after_a_pass(capsys, monkeypatch, mode):
    monkeypatch.setenv("ADCOMPILE_PRINT_AFTER", "frontend,dce")
    ad.grad(P.straight, jit=False, mode=mode).specialise(x="f64", y="f64")
    err = capsys.readouterr().err
    assert "# IR after frontend\nfunc straight(" in err
    assert err.count("# IR after dce") >= 2          # the primal's and the derivative's


def test_inspect_after(capsys, tmp_path):
    prog = tmp_path / "model.py"
    prog.write_text("import math\n\ndef f(x, y):\n    return math.sin(x) * y * 1.0\n")
    code = main(["inspect", f"{prog}:f", "--wrt", "x,y", "--after", "reverse,hoist_checks"])
    out, err = capsys.readouterr()
    assert code == 0, err
    assert out.index("# IR after reverse") < out.index("# IR after hoist_checks")
    assert "func f(" in out and "cos" in out
    code = main(["inspect", f"{prog}:f", "--after", "nosuchpass"])
    assert code == 2 and "unknown pass 'nosuchpass'" in capsys.readouterr().err


def test_only_the_pipeline_chains_passes():
    """Entry points ask pipeline.py for their IR: no module outside passes/ and pipeline.py
    imports a clean-up pass or the frontend's build_function."""
    banned = ("passes.cse", "passes.dce", "passes.fold", "passes.order", "passes.checks",
              "import build_function")
    here = os.path.join(ROOT, "adcompile")
    for name in os.listdir(here):
        if not name.endswith(".py") or name in ("pipeline.py", "frontend.py"):
            continue
        with open(os.path.join(here, name), encoding="utf-8") as fh:
            text = fh.read()
        for b in banned:
            assert b not in text, f"{name} imports {b}: go through pipeline.py"


def test_every_pipeline_runs_on_the_suite_programs():
    x = np.linspace(-1.0, 1.0, 5)
    assert ad.hvp(P.rosen_loop)(x, np.ones(5)).shape == (5,)
    assert ad.jacobian(P.straight, wrt=(0, 1), mode="forward")(0.7, -1.3) == \
        pytest.approx(ad.grad(P.straight, wrt=(0, 1))(0.7, -1.3))
    assert ad.grad(P.straight, nonsmooth="directional")(0.7, -1.3) == \
        pytest.approx(ad.grad(P.straight)(0.7, -1.3))
    assert ad.diagnose(P.straight, 0.7, -1.3).verdict == "smooth"
