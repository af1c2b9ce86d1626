"""Golden snapshots of the IR and the generated source of a few small programs.

These files are part of the product's contract (deterministic names, comments pointing at the
user's lines). After an intended change, regenerate them with ADCOMPILE_UPDATE_GOLDEN=1 and
read the diff before committing it.
"""
import os

import pytest

import adcompile as ad
import golden_programs as G

HERE = os.path.join(os.path.dirname(__file__), "golden")
CASES = {"seed_graph": (("w1", "w2"), {}), "loop_branch": (("x",), {"n": "i64"}),
         "settle": (("a",), {}), "euler": (("k", "c", "x0"), {})}


def _check(name, text):
    path = os.path.join(HERE, name)
    if os.environ.get("ADCOMPILE_UPDATE_GOLDEN"):
        with open(path, "w") as fh:
            fh.write(text)
    with open(path) as fh:
        expected = fh.read()
    assert text == expected, f"{name} changed; regenerate with ADCOMPILE_UPDATE_GOLDEN=1 " \
                             "and review the diff"


@pytest.mark.parametrize("name", sorted(CASES))
def test_golden(name):
    func = getattr(G, name)
    wrt, types = CASES[name]
    g = ad.value_and_grad(func, wrt=wrt, jit=False)
    compiled = g.specialise(**types)
    _check(f"{name}.ir", compiled.ir + "\n")
    _check(f"{name}.adjoint.ir", compiled.adjoint_ir + "\n")
    _check(f"{name}.py", compiled.source)


def test_generated_source_is_deterministic():
    a = ad.grad(G.loop_branch).specialise(n="i64").source
    b = ad.grad(G.loop_branch).specialise(n="i64").source
    assert a == b
