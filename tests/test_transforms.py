"""Transforms by composition: one callable (Transformed) runs any Transform (a pipeline plus
a calling convention); drivers are IR that codegen writes; compiled specialisations are
complete when made, and shared ones keep no user function alive."""
import dataclasses
import gc
import math
import os
import weakref

import numpy as np
import pytest

import adcompile as ad
from adcompile import pipeline, specs
from adcompile.api import arg_type
from adcompile.calling import Convention
from adcompile.interp import interpret
from adcompile.ir import walk
from adcompile.transformed import Transformed
from adcompile.verify import verify

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

SRC = '''
import math
import numpy as np

def f(x, y):
    return math.sin(x) * y

def F(x, c):
    return np.sin(x) * c

def G(A, s, x):
    return np.sin(A) * x[0] * s

def rosen(x):
    s = 0.0
    for i in range(x.shape[0] - 1):
        s += 100.0 * (x[i + 1] - x[i] ** 2) ** 2 + (1 - x[i]) ** 2
    return s

def make(c):
    def g(x):
        return c * x * x
    return g
'''


@pytest.fixture(scope="module")
def m(tmp_path_factory):
    from conftest import load_source
    return load_source(tmp_path_factory.mktemp("transforms"), SRC, "transform_programs")


def test_every_transform_is_a_transformed(m):
    made = {"grad": ad.grad(m.f), "value_and_grad": ad.value_and_grad(m.f),
            "forward": ad.grad(m.f, mode="forward"),
            "directional": ad.grad(m.f, nonsmooth="directional"),
            "jacobian": ad.jacobian(m.F), "jacfwd": ad.jacobian(m.F, mode="forward"),
            "hvp": ad.hvp(m.f), "hessian": ad.hessian(m.f)}
    assert all(type(t) is Transformed for t in made.values())
    assert isinstance(made["grad"], ad.GradFunction)
    assert isinstance(made["directional"], ad.GradFunction)
    assert not isinstance(made["hvp"], ad.GradFunction)
    assert repr(made["hvp"]) == "<adcompile hvp of f wrt (x)>"
    g = ad.GradFunction(m.f, wrt=("x", "y"), with_value=True)     # the constructor still works
    assert type(g) is Transformed
    value, grads = g(0.5, 2.0)
    assert value == pytest.approx(2 * math.sin(0.5))
    assert grads == pytest.approx((2 * math.cos(0.5), math.sin(0.5)))


def test_a_transform_is_a_pipeline_and_a_calling_convention(m):
    """A new transform needs no class: a build and a convention."""
    def value_only(t, types):
        primal = pipeline.primal(t.func, types)
        from adcompile.compiled import Build
        return Build(primal, primal, f"{primal.name}_value", "the value", tuple(t.params))
    t = Transformed(m.f, specs.Transform("value", value_only, Convention()), 0)
    assert t(0.5, 2.0) == pytest.approx(2 * math.sin(0.5))


def test_compiled_is_complete_when_made(m):
    c = ad.grad(m.f).specialise("f64", "f64")
    with pytest.raises(dataclasses.FrozenInstanceError):
        c.func = None
    with pytest.raises(dataclasses.FrozenInstanceError):
        c.sites = []
    assert c.entry_types and c.scopes is not None and c.n_out == 1


def test_jvp_compiles_once_and_keeps_no_function_alive(m, monkeypatch):
    from adcompile import transformed
    builds = []
    real = transformed.compile_build

    def counting(build, *args):
        builds.append(build.name)
        return real(build, *args)
    monkeypatch.setattr(transformed, "compile_build", counting)
    for k in range(5):
        y, t = ad.jvp(m.f, (0.5 + k, 2.0), (1.0, 0.0))
        assert t == pytest.approx(2.0 * math.cos(0.5 + k))
    assert builds == ["f_jvp"]
    g = m.make(3.0)
    ref = weakref.ref(g)
    assert ad.jvp(g, (2.0,), (1.0,)) == (12.0, 12.0)
    assert ad.jvp(g, (1.0,), (1.0,)) == (3.0, 6.0)
    assert builds == ["f_jvp", "g_jvp"]
    del g
    gc.collect()
    assert ref() is None


def _types(*named):
    return [arg_type(n, v) for n, v in named]


def test_drivers_are_ir_the_interpreter_runs(m):
    """The forward-mode Jacobian, the reverse-mode Jacobian and the Hessian are IR functions
    calling their kernels: verified, interpreted, and equal to the compiled code."""
    A = np.arange(6.0).reshape(2, 3) / 7.0
    x = np.array([0.5, -1.0])
    primal = pipeline.primal(m.G, _types(("A", A), ("s", 1.5), ("x", x)))
    driver = pipeline.forward_derivative(primal, [0, 1, 2], 4, ["A", "s", "x"], jacobian=True)
    verify(driver)
    assert any(op.name == "call" for op in walk(driver.body))
    got = interpret(driver, [A, 1.5, x])
    want = ad.jacobian(m.G, wrt=(0, 1, 2), mode="forward")(A, 1.5, x)
    for g, w in zip(got[1:], want):
        np.testing.assert_allclose(g, w, rtol=1e-12)
    v = np.linspace(-1.0, 1.0, 5)
    types = _types(("x", v), ("c", 0.5))
    rows = pipeline.reverse_jacobian(pipeline.primal(m.F, types), pipeline.primal(m.F, types),
                                     [0, 1], ["x", "c"])
    verify(rows)
    got = interpret(rows, [v, 0.5])
    want = ad.jacobian(m.F, wrt=(0, 1))(v, 0.5)
    for g, w in zip(got[1:], want):
        np.testing.assert_allclose(g, w, rtol=1e-12)
    hess = pipeline.hessian(pipeline.primal(m.rosen, _types(("x", v))), [0], ["x"])
    verify(hess)
    np.testing.assert_allclose(interpret(hess, [v])[0], ad.hessian(m.rosen)(v), rtol=1e-12)


@pytest.mark.parametrize("jit", [True, False])
def test_drivers_in_both_modes(m, jit):
    A = np.arange(6.0).reshape(2, 3) / 7.0
    x = np.array([0.5, -1.0])
    Jf = ad.jacobian(m.G, wrt=(0, 1, 2), mode="forward", jit=jit)(A, 1.5, x)
    assert [j.shape for j in Jf] == [(2, 3, 2, 3), (2, 3), (2, 3, 2)]
    np.testing.assert_allclose(Jf[1], np.sin(A) * x[0])
    np.testing.assert_allclose(Jf[2][..., 0], np.sin(A) * 1.5)
    np.testing.assert_allclose(Jf[2][..., 1], 0.0)
    v = np.linspace(-1.0, 1.0, 5)
    Jr = ad.jacobian(m.F, wrt=(0, 1), jit=jit)(v, 0.5)
    np.testing.assert_allclose(Jr[0], np.diag(np.cos(v) * 0.5))
    np.testing.assert_allclose(Jr[1], np.sin(v))
    H = ad.hessian(m.rosen, jit=jit)(v)
    np.testing.assert_allclose(H, H.T)
    assert ad.hessian(m.f, jit=jit)(0.3, 2.0) == pytest.approx(-2.0 * math.sin(0.3))
    empty = np.zeros(0)
    assert ad.grad(m.rosen, mode="forward", jit=jit)(empty).shape == (0,)
    assert ad.jacobian(m.F, mode="forward", jit=jit)(empty, 0.5).shape == (0, 0)


def test_generated_drivers_read_like_code(m):
    src = ad.grad(m.f, wrt=("x", "y"), mode="forward").specialise("f64", "f64").source
    driver = src[src.index("def f_fwd(x, y):"):]
    assert "value, d_x, d_y = f_jvp(x, y, 1.0, 0.0, 0.0, 1.0)" in driver
    src = ad.hessian(m.rosen).specialise("f64[:]").source
    assert "@register_jitable\ndef rosen_hvp(x, x_dot):" in src
    assert "_, x_bar_dot = rosen_hvp(x, x_dot)" in src


def test_only_codegen_writes_python():
    """Drivers are IR: the transforms build no source text (compiled.py hands IR to
    codegen.generate_module)."""
    for name in ("drivers.py", "specs.py", "transformed.py", "calling.py", "transforms.py"):
        with open(os.path.join(ROOT, "adcompile", name), encoding="utf-8") as fh:
            text = fh.read()
        for banned in ("@register_jitable", "f\"def ", "f'def ", "generate_module"):
            assert banned not in text, f"{name} writes Python source ({banned!r})"
