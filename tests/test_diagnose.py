"""Nonsmooth diagnostics: the worked examples of the research notes, smooth points, the
diagnostic build against the ordinary one, directional subgradients in the sampled Clarke
estimate for random piecewise-linear programs, reports and the CLI's exit status."""
import json
import math

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

import adcompile as ad
from adcompile.api import arg_type
from adcompile.diagnose import _Diagnostic, _hull_distance
from conftest import examples

PROGRAMS = """
import math
import numpy as np
import adcompile as ad

def flip(t):
    return ad.relu(t) - ad.relu(-t)

def square(t):
    return ad.relu(t) ** 2

def root(t):
    return math.sqrt(t)

def stairs(t):
    return math.floor(t) + t

def two_branches(t):
    return t if t > 0.0 else -2.0 * t

def gap(t):
    return t if t > 0.0 else t + 1.0

def vector_zero(x):
    return np.sum(np.maximum(x, 0.0)) - np.sum(ad.relu(x))

def plane(x, y):
    return max(x, y) + min(x, y) - x - y
"""


@pytest.fixture(scope="module")
def m(tmp_path_factory):
    """The seed's relu, relu2, relu3 and zero (examples/artifacts.py) and the programs above."""
    import os
    import types
    from conftest import load_source
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    seed = load_source(tmp_path_factory.mktemp("seed"),
                       open(os.path.join(root, "examples", "artifacts.py")).read(), "artifacts")
    more = load_source(tmp_path_factory.mktemp("diag"), PROGRAMS, "kinks_prog")
    return types.SimpleNamespace(**{k: getattr(seed, k) for k in ("relu", "relu2", "relu3",
                                                                  "zero")}, **vars(more))


# the worked examples of ../shared/research/nonsmooth.md (relu'(0) = 0, ties split 1/2)
WORKED = [("relu", 0.0, "kink"), ("relu2", 1.0, "kink"), ("relu3", 0.5, "kink"),
          ("zero", 1.0, "artifact"), ("flip", 0.0, "artifact"), ("square", 0.0, "smooth")]


@pytest.mark.parametrize("name,ad_value,verdict", WORKED)
def test_worked_examples(m, name, ad_value, verdict):
    rep = ad.diagnose(getattr(m, name), 0.0)
    assert rep.ad == ad_value
    assert rep.verdict == verdict, str(rep)
    assert rep.ad == ad.grad(getattr(m, name))(0.0)


@pytest.mark.parametrize("name", ["relu", "relu2", "relu3", "zero", "flip", "square",
                                  "two_branches", "gap", "stairs", "root"])
@pytest.mark.parametrize("t", [0.5, -0.7])
def test_smooth_points_are_smooth(m, name, t):
    if name == "root" and t < 0:
        return
    f = getattr(m, name)
    rep = ad.diagnose(f, t)
    assert rep.verdict == "smooth", str(rep)
    assert rep.subgradient == pytest.approx(rep.ad, abs=1e-6)


def test_kink_reports_what_other_conventions_give(m):
    assert sorted(ad.diagnose(m.relu2, 0.0).alternatives) == [0.0, 1.0]
    assert sorted(ad.diagnose(m.zero, 0.0).alternatives) == [-1.0, 1.0]
    assert ad.diagnose(m.relu2, 0.5).alternatives == []
    assert "AD under the conventions' alternatives: {1, 0}" in str(ad.diagnose(m.relu2, 0.0))


def test_artifact_report_names_the_kinks_and_a_true_subgradient(m):
    rep = ad.diagnose(m.zero, 0.0)
    assert rep.subgradient == pytest.approx(0.0, abs=1e-9)
    assert [(s.primitive, s.adjoint) for s in rep.sites] == [("relu", 1.0), ("relu", -1.0)]
    assert all(s.arg == 0.0 and s.alternatives == [0, 1] for s in rep.sites)
    assert [f.code for f in rep.static] == ["ADC201"]
    assert rep.separating == pytest.approx(1.0)
    text = str(rep)
    assert "ARTIFACT" in text and "ad.relu(-t)" in text and "ADC201" in text
    data = json.loads(rep.to_json())
    assert data["verdict"] == "artifact" and len(data["sites"]) == 2


def test_other_verdicts(m):
    assert ad.diagnose(m.root, 0.0).verdict == "singular"
    assert ad.diagnose(m.stairs, 0.0).verdict == "discontinuous"
    assert ad.diagnose(m.gap, 0.0).verdict == "discontinuous"
    rep = ad.diagnose(m.two_branches, 0.0)          # pieces meet: a kink, AD = -2 in [-2, 1]
    assert rep.verdict == "kink" and rep.ad == -2.0


def test_arrays_and_several_parameters(m):
    x = np.array([0.0, 1.5, -2.0, 0.0])
    rep = ad.diagnose(m.vector_zero, x)
    np.testing.assert_allclose(rep.ad, [0.5, 0.0, 0.0, 0.5])     # tie split vs relu'(0) = 0
    assert rep.verdict == "artifact"
    np.testing.assert_allclose(rep.subgradient, 0.0, atol=1e-9)
    rep = ad.diagnose(m.plane, 0.3, 0.3)     # max + min = x + y: identically 0
    assert rep.ad == (0.0, 0.0) and rep.verdict == "smooth" or rep.verdict == "kink"
    assert isinstance(rep.ad, tuple) and len(rep.ad) == 2


def test_diagnostics_off_generated_code_is_the_ordinary_build(m):
    before = ad.grad(m.two_branches).specialise("f64").source
    ad.diagnose(m.zero, 0.0)
    ad.diagnose(m.two_branches, 0.0)
    g = ad.grad(m.zero)
    g(0.0)
    assert "kinks_bar" not in g.source and "kink hits" not in g.source
    assert ad.grad(m.two_branches).specialise("f64").source == before
    diag = _Diagnostic(m.zero, 0)
    src = diag.specialise("f64").source
    assert "kinks_bar[" in src


# ---------------------------------------------------------------------------- random programs
ATOMS = ["x", "y", "x - y", "x + 2.0 * y", "-x", "0.5 * y - x"]
OPS = ["ad.relu({})", "abs({})", "max({}, {})", "min({}, {})", "np.maximum({}, 0.0)"]


@st.composite
def pl_programs(draw):
    lines = ["import numpy as np", "import adcompile as ad", "", "def f(x, y):", "    s = 0.0"]
    for _ in range(draw(st.integers(1, 5))):
        op = draw(st.sampled_from(OPS))
        args = [draw(st.sampled_from(ATOMS)) for _ in range(op.count("{}"))]
        coef = draw(st.sampled_from(["1.0", "-1.0", "2.0", "0.5"]))
        lines.append(f"    s = s + {coef} * {op.format(*args)}")
    lines.append(f"    return s + {draw(st.sampled_from(['0.0', 'x', 'y', '0.3 * x - y']))}")
    return "\n".join(lines) + "\n"


@settings(max_examples=examples(25))
@given(src=pl_programs(), seed=st.integers(0, 1000))
def test_random_piecewise_linear_directional_subgradient_in_sampled_hull(src, seed,
                                                                         tmp_path_factory):
    from conftest import compiled, load_source
    f = load_source(tmp_path_factory.mktemp("pl"), src, "plprog").f
    rep = ad.diagnose(f, 0.0, 0.0, seed=seed,          # every kink: through 0; a compiled
                      jit=compiled(src, every=8))      # diagnosis makes up to 11 builds
    assert rep.verdict in ("smooth", "kink", "artifact"), str(rep)
    S = np.asarray(rep.clarke) if len(rep.clarke) else None
    if S is not None:
        dist, _ = _hull_distance(np.array(rep.subgradient), S)
        assert dist <= 1e-6 * (1 + np.max(np.abs(S))), (src, rep.subgradient, S)
    if rep.verdict == "artifact":                      # a separating direction is evidence
        u = np.array(rep.separating)
        assert np.dot(np.array(rep.ad), u) > np.max(S @ u) + 1e-9


@settings(max_examples=examples(20))
@given(src=pl_programs(), point=st.tuples(st.sampled_from([0.0, 1.0, -0.5]),
                                          st.sampled_from([0.0, 1.0, -0.5])))
def test_diagnostic_build_gives_the_ordinary_gradient(src, point, tmp_path_factory):
    from conftest import compiled as numba_too, load_source
    f = load_source(tmp_path_factory.mktemp("pl2"), src, "plprog2").f
    jit = numba_too(src)
    diag = _Diagnostic(f, (0, 1), jit=jit)
    compiled = diag._specialise(tuple(arg_type(n, v) for n, v in zip("xy", point)))
    from adcompile.jit import run_compiled     # as calls run it: Numba's cache files sealed
    out = run_compiled(compiled.func, [*point, np.zeros((max(len(compiled.sites), 1), 4))],
                       compiled.path)
    value, grads = ad.value_and_grad(f, wrt=(0, 1), jit=jit)(*point)
    assert out[0] == value and tuple(out[1:3]) == grads
    table = out[3]
    assert np.all(table[:, 0] >= 0) and math.isfinite(float(np.sum(table)))


# ---------------------------------------------------------------------------- nonsmooth="directional"
def test_directional_gradient_at_kinks_is_a_true_subgradient(m):
    g = ad.grad(m.zero, nonsmooth="directional", seed=3)
    assert [g(0.0) for _ in range(6)] == [0.0] * 6          # ordinary AD: 1.0
    g = ad.grad(m.flip, nonsmooth="directional", seed=3)
    assert [g(0.0) for _ in range(6)] == [1.0] * 6          # ordinary AD: 0.0
    g = ad.grad(m.relu3, nonsmooth="directional", seed=3)
    assert set(g(0.0) for _ in range(20)) == {0.0, 1.0}      # the two pieces of relu
    x = np.array([0.0, 1.5, -2.0, 0.0])
    np.testing.assert_allclose(ad.grad(m.vector_zero, nonsmooth="directional")(x), 0.0)


def test_directional_gradient_is_seeded():
    import programs as P
    a = ad.grad(P.relu_net, nonsmooth="directional", seed=7)
    b = ad.grad(P.relu_net, nonsmooth="directional", seed=7)
    assert [a(0.0) for _ in range(5)] == [b(0.0) for _ in range(5)]


def test_directional_option_errors():
    import programs as P
    with pytest.raises(ad.AdCompileError, match="nonsmooth='sideways'"):
        ad.grad(P.straight, nonsmooth="sideways")
    with pytest.raises(ad.AdCompileError, match="reverse-mode"):
        ad.grad(P.straight, nonsmooth="directional", mode="forward")


@settings(max_examples=examples(20))
@given(src=pl_programs(), seed=st.integers(0, 1000),
       point=st.tuples(st.floats(-2, 2), st.floats(-2, 2)))
def test_directional_equals_ordinary_away_from_kinks_and_is_in_the_hull_at_them(
        src, seed, point, tmp_path_factory):
    from conftest import compiled, load_source
    f = load_source(tmp_path_factory.mktemp("dir"), src, "dirprog").f
    jit = compiled(src, every=4)                       # up to 11 builds per diagnosis
    g = ad.value_and_grad(f, wrt=(0, 1), nonsmooth="directional", seed=seed, jit=jit)
    v, d = g(*point)
    v0, d0 = ad.value_and_grad(f, wrt=(0, 1), jit=jit)(*point)
    assert v == v0
    if ad.diagnose(f, *point, jit=jit).verdict == "smooth":
        assert d == pytest.approx(d0, abs=1e-12)
    rep = ad.diagnose(f, 0.0, 0.0, seed=seed, jit=jit)
    _, d = g(0.0, 0.0)
    if len(rep.clarke):
        dist, _ = _hull_distance(np.array(d), np.asarray(rep.clarke))
        assert dist <= 1e-6 * (1 + np.max(np.abs(rep.clarke))), (src, d, rep.clarke)


@pytest.mark.parametrize("name", ["nested_branches", "break_continue", "rosen_vec",
                                  "relu_net", "trajectory"])
def test_directional_equals_ordinary_on_suite_programs(name):
    from test_forward import _all_cases, _float_params
    for func, args in _all_cases():
        if func.__name__ != name:
            continue
        wrt = _float_params(args)
        _, d = ad.value_and_grad(func, wrt=wrt, nonsmooth="directional")(*args)
        _, d0 = ad.value_and_grad(func, wrt=wrt)(*args)
        for a, b in zip(d, d0):
            np.testing.assert_allclose(a, b, rtol=1e-12, atol=1e-14)
