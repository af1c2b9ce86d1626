"""Forward mode against reverse mode and finite differences.

- every program of the suite: the dot-product test <J v, 1> = <v, J^T 1> (jvp with random
  tangents against the reverse gradient), and the forward-mode gradient equal to reverse's;
- Jacobians of vector functions in both modes against finite differences;
- Hessian-vector products (forward over reverse, loop tapes included) and Hessians against
  finite differences of the gradient;
- hypothesis programs in both modes.
"""
import math

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

import adcompile as ad
import programs as P
from test_arrays import CASES as ARRAY_CASES, _fd
from test_array_writes import SCALAR_CASES
from test_control_flow import CASES as FLOW_CASES
from test_numpy import _cases as numpy_cases
from conftest import compiled

RNG = np.random.default_rng(11)


def _float_params(args):
    return tuple(i for i, a in enumerate(args)
                 if isinstance(a, float) or isinstance(a, np.ndarray) and a.dtype == np.float64)


def _all_cases():
    cases = [(f, args) for f, args in FLOW_CASES] + list(SCALAR_CASES)
    cases += [(f, args) for f, args, _ in ARRAY_CASES] + [(f, args) for f, args, _ in numpy_cases()]
    return cases


def _ids(case):
    return getattr(case, "__name__", "")


@pytest.mark.parametrize("func,args", _all_cases(), ids=_ids)
def test_dot_product_forward_against_reverse(func, args):
    """In CI each program's tangent code is compiled in this test or the next (conftest)."""
    wrt = _float_params(args)
    tangents = [RNG.standard_normal(np.shape(a)) if i in wrt and isinstance(a, np.ndarray)
                else float(RNG.standard_normal()) if i in wrt else 0
                for i, a in enumerate(args)]
    copies = [a.copy() if isinstance(a, np.ndarray) else a for a in args]
    value, tangent = ad.jvp(func, args, tangents, jit=compiled(_ids(func), 2, 0))
    rv, grads = ad.value_and_grad(func, wrt=wrt, jit=False)(*args)   # the reference (the
    #                                        suite's other tests compile the reverse sweeps)
    assert value == pytest.approx(rv, rel=1e-12, abs=1e-12)
    expect = sum(float(np.sum(np.asarray(g) * tangents[i])) for i, g in zip(wrt, grads))
    scale = sum(float(np.sum(np.abs(np.asarray(g) * tangents[i]))) for i, g in zip(wrt, grads))
    assert abs(tangent - expect) <= 1e-9 * (scale + 1.0), (tangent, expect)
    for a, c in zip(args, copies):
        assert np.array_equal(a, c)


@pytest.mark.parametrize("func,args", _all_cases(), ids=_ids)
def test_forward_mode_gradient_equals_reverse(func, args):
    wrt = _float_params(args)
    forward = ad.value_and_grad(func, wrt=wrt, mode="forward", jit=compiled(_ids(func), 2, 1))
    vf, gf = forward(*args)
    vr, gr = ad.value_and_grad(func, wrt=wrt, jit=False)(*args)      # the reference
    assert vf == pytest.approx(vr, rel=1e-12, abs=1e-12)
    for a, b in zip(gf, gr):
        assert np.shape(a) == np.shape(b)
        np.testing.assert_allclose(a, b, rtol=1e-9, atol=1e-11)


@pytest.mark.parametrize("func,args", [c for c in _all_cases()
                                       if c[0] in (P.nested_branches, P.break_continue,
                                                   P.data_dependent_while, P.rosen_vec,
                                                   P.trajectory, P.heat_equation)], ids=_ids)
def test_forward_mode_plain_python_matches_compiled(func, args):
    wrt = _float_params(args)
    g1 = ad.grad(func, wrt=wrt, mode="forward")(*args)
    g0 = ad.grad(func, wrt=wrt, mode="forward", jit=False)(*args)
    for a, b in zip(g1, g0):
        np.testing.assert_allclose(a, b, rtol=1e-12, atol=1e-14)


def test_forward_gradient_against_finite_differences():
    x = np.linspace(-1.2, 1.3, 13)        # more coordinates than lanes per sweep
    g = ad.grad(P.rosen_vec, mode="forward")(x)
    np.testing.assert_allclose(g, _fd(P.rosen_vec, (x,), 0), rtol=1e-6, atol=1e-6)


def test_forward_source_is_tangent_code(load):
    m = load("""
import math
def f(x, y):
    return math.sin(x) * y
""")
    g = ad.grad(m.f, wrt=("x", "y"), mode="forward")
    assert g(0.5, 2.0) == pytest.approx((2.0 * math.cos(0.5), math.sin(0.5)))
    src = g.source
    assert "def f_jvp(x, y, x_dot, x_dot_1, y_dot, y_dot_1):" in src
    kernel = src[src.index("def f_jvp"):src.index("def f_fwd(x, y):")]
    assert "_bar" not in kernel and "math.cos(x)" in kernel


def test_jvp_contract_and_multiple_outputs(load):
    m = load("""
import numpy as np
def f(x, s, n):
    y = np.zeros(len(x))
    for i in range(n):
        y[i] = s * x[i] ** 2
    return np.sum(y), y
""")
    x, v = np.array([1.0, 2.0, 3.0]), np.array([0.5, -1.0, 2.0])
    (total, y), (dtotal, dy) = ad.jvp(m.f, (x, 1.5, 3), (v, 0.25, None))
    np.testing.assert_allclose(dy, 1.5 * 2 * x * v + 0.25 * x ** 2)
    assert dtotal == pytest.approx(float(np.sum(dy)))
    np.testing.assert_allclose(y, 1.5 * x ** 2)


def _vector_function(load):
    return load("""
import numpy as np
def F(x, c):
    y = np.zeros(3)
    for i in range(len(x)):
        if x[i] > 0.0:
            y[i % 3] += np.sin(x[i]) * c
        else:
            y[i % 3] -= x[i] * x[i]
    y[2] = y[2] + np.sum(x) * y[0]
    return y
""").F


@pytest.mark.parametrize("mode", ["forward", "reverse"])
def test_jacobian_against_finite_differences(load, mode):
    F = _vector_function(load)
    x, c = np.array([0.3, -0.7, 1.1, 0.4, -0.2]), 1.7
    Jx, Jc = ad.jacobian(F, wrt=(0, 1), mode=mode)(x, c)
    assert Jx.shape == (3, 5) and Jc.shape == (3,)
    h = 1e-6
    for k in range(5):
        e = np.zeros(5)
        e[k] = h
        np.testing.assert_allclose(Jx[:, k], (F(x + e, c) - F(x - e, c)) / (2 * h),
                                   rtol=1e-6, atol=1e-8)
    np.testing.assert_allclose(Jc, (F(x, c + h) - F(x, c - h)) / (2 * h), rtol=1e-6, atol=1e-8)


def test_jacobian_of_a_matrix_valued_function_forward(load):
    m = load("""
import numpy as np
def G(A, x):
    return np.tanh(A * x) @ A.T
""")
    A, x = RNG.standard_normal((2, 3)), RNG.standard_normal(3)
    J = ad.jacobian(m.G, mode="forward")(A, x)
    assert J.shape == (2, 2, 2, 3)
    h = 1e-6
    for idx in np.ndindex(A.shape):
        E = np.zeros(A.shape)
        E[idx] = h
        np.testing.assert_allclose(J[(...,) + idx], (m.G(A + E, x) - m.G(A - E, x)) / (2 * h),
                                   rtol=1e-6, atol=1e-8)


def test_jacobian_modes_agree_on_a_scalar_function():
    x = np.linspace(-1.0, 1.0, 6)
    jf = ad.jacobian(P.rosen_vec, mode="forward")(x)
    jr = ad.jacobian(P.rosen_vec, mode="reverse")(x)
    np.testing.assert_allclose(jf, jr, rtol=1e-12)
    np.testing.assert_allclose(jr, ad.grad(P.rosen_vec)(x))


HVP_CASES = [
    (P.rosen_vec, (np.linspace(-1.2, 1.3, 7),)),
    (P.logistic_loss, (RNG.standard_normal(4), RNG.standard_normal((9, 4)),
                       (RNG.uniform(size=9) > 0.5).astype(np.float64))),
    (P.softmax_xent, (RNG.standard_normal((3, 4)), RNG.standard_normal((5, 3)),
                      np.array([0, 3, 1, 2, 3]))),
    (P.pendulum_energy, (0.4, 0.1, 9.8, 20)),
    (P.trajectory, (0.7, 1.2, 50)),
    (P.heat_equation, (np.sin(np.linspace(0, 3, 8)), 0.2, 5)),
    (P.data_dependent_while, (2.5,)),          # tapes grown in a while loop
    (P.nested_loops, (0.7, 4)),
    (P.break_continue, (0.6, 7)),
    (P.gauss_seidel, (np.linspace(-1.0, 1.0, 7), 3)),   # in-place sweeps, snapshots
    (P.matrix_power_trace, (np.eye(3) * 0.5 + 0.1, 3)),
]


@pytest.mark.parametrize("func,args", HVP_CASES, ids=_ids)
def test_hvp_against_finite_differences_of_the_gradient(func, args):
    x = args[0]
    v = RNG.standard_normal(np.shape(x)) if isinstance(x, np.ndarray) else 0.8
    hv = ad.hvp(func)(*args, v)
    g = ad.grad(func, jit=False)                   # differences of the plain gradient
    h = 1e-5
    up, down = list(args), list(args)
    up[0], down[0] = x + h * v, x - h * v
    fd = (np.asarray(g(*up)) - np.asarray(g(*down))) / (2 * h)
    np.testing.assert_allclose(hv, fd, rtol=1e-5, atol=1e-7)


def test_hessian_is_symmetric_and_matches_hvp():
    x = np.linspace(-1.2, 1.3, 5)
    H = ad.hessian(P.rosen_vec)(x)
    assert H.shape == (5, 5)
    np.testing.assert_allclose(H, H.T, rtol=1e-12)
    v = RNG.standard_normal(5)
    np.testing.assert_allclose(H @ v, ad.hvp(P.rosen_vec)(x, v), rtol=1e-12)
    # the exact Hessian of Rosenbrock's function at x
    exact = np.zeros((5, 5))
    for i in range(4):
        exact[i, i] += 1200 * x[i] ** 2 - 400 * x[i + 1] + 2
        exact[i, i + 1] = exact[i + 1, i] = -400 * x[i]
        exact[i + 1, i + 1] += 200
    np.testing.assert_allclose(H, exact, rtol=1e-12, atol=1e-9)


def test_hessian_of_a_scalar_with_a_loop():
    g = ad.grad(P.trajectory)
    h = 1e-5
    fd = (g(0.7 + h, 1.2, 50) - g(0.7 - h, 1.2, 50)) / (2 * h)
    assert ad.hessian(P.trajectory)(0.7, 1.2, 50) == pytest.approx(fd, rel=1e-6)


def test_gradient_of_a_function_calling_a_gradient(load):
    """A gradient called inside a differentiated function is differentiated too (it was
    an error; tests/test_nested.py has the rest)."""
    m = load("""
import math
import adcompile as ad
def f(x):
    return math.sin(x) * x
df = ad.grad(f)
def g(x):
    return df(x) * 2.0
""")
    exact = 2 * (2 * math.cos(0.5) - 0.5 * math.sin(0.5))
    assert ad.grad(m.g)(0.5) == pytest.approx(exact, rel=1e-13)
    assert ad.hessian(m.f)(0.5) == pytest.approx(exact / 2, rel=1e-13)


def test_mode_errors_are_clear(load):
    with pytest.raises(ad.AdCompileError, match="tangent of argument 0 has shape"):
        ad.jvp(P.rosen_vec, (np.ones(4),), (np.ones(3),))
    with pytest.raises(ad.AdCompileError, match="2 primals but 1 tangents"):
        ad.jvp(P.straight, (1.0, 2.0), (1.0,))
    m = load("""
import numpy as np
def F(x):
    return np.sin(x)
""")
    with pytest.raises(ad.AdTypeError, match=r"prog0.py:4:5: .*grad needs a float output"):
        ad.grad(m.F, mode="forward")(np.ones(3))
    np.testing.assert_allclose(ad.jacobian(m.F, mode="forward")(np.ones(3)),
                               np.diag(np.cos(np.ones(3))))
    with pytest.raises(ad.AdCompileError, match="mode='sideways'"):
        ad.grad(P.straight, mode="sideways")
    with pytest.raises(ad.AdCompileError, match="then one direction"):
        ad.hvp(P.rosen_vec)(np.ones(3))


# ---------------------------------------------------------------------------- hypothesis
from test_random_programs import POINT, programs as scalar_programs          # noqa: E402
from test_random_array_programs import programs as array_programs            # noqa: E402
from conftest import examples  # noqa: E402


@given(src=scalar_programs(), point=POINT)
def test_random_programs_both_modes(src, point, tmp_path_factory):
    from conftest import compiled, load_source
    f = load_source(tmp_path_factory.mktemp("fwd"), src, "fwdprog").f
    if not math.isfinite(f(*point)) or abs(f(*point)) > 1e6:
        return
    gr = ad.grad(f, wrt=(0, 1), jit=compiled(src))(*point)
    gf = ad.grad(f, wrt=(0, 1), mode="forward", jit=compiled(src))(*point)
    for a, b in zip(gf, gr):
        assert math.isclose(a, b, rel_tol=1e-9, abs_tol=1e-10), (src, gf, gr)


@settings(max_examples=examples(20))
@given(src=scalar_programs(), point=POINT)
def test_random_programs_hvp(src, point, tmp_path_factory):
    from conftest import compiled, load_source
    f = load_source(tmp_path_factory.mktemp("hvp"), src, "hvpprog").f
    if not math.isfinite(f(*point)) or abs(f(*point)) > 1e4:
        return
    g = ad.grad(f, wrt=(0, 1), jit=compiled(src))
    hv = ad.hvp(f, wrt=(0, 1), jit=compiled(src))(*point, 0.6, -0.8)
    h = 1e-4
    up = g(point[0] + 0.6 * h, point[1] - 0.8 * h)
    down = g(point[0] - 0.6 * h, point[1] + 0.8 * h)
    up2 = g(point[0] + 0.3 * h, point[1] - 0.4 * h)
    down2 = g(point[0] - 0.3 * h, point[1] + 0.4 * h)
    mid = g(*point)
    for k in range(2):
        fd, fd2 = (up[k] - down[k]) / (2 * h), (up2[k] - down2[k]) / h
        right, left = (up[k] - mid[k]) / h, (mid[k] - down[k]) / h    # one-sided: a kink
        if math.isclose(fd, fd2, rel_tol=1e-5, abs_tol=1e-6) and \
                math.isclose(right, left, rel_tol=1e-3, abs_tol=1e-4):  # within h: not smooth
            assert math.isclose(hv[k], fd, rel_tol=1e-4, abs_tol=1e-5), (src, hv, fd)


@settings(max_examples=examples(15))
@given(src=array_programs(), seed=st.integers(0, 2**16))
def test_random_array_programs_both_modes(src, seed, tmp_path_factory):
    from conftest import compiled, load_source
    f = load_source(tmp_path_factory.mktemp("fwdarr"), src, "fwdarr").f
    rng = np.random.default_rng(seed)
    args = (rng.uniform(-1, 1, 3), rng.uniform(-1, 1, (3, 3)), float(rng.uniform(0.2, 1)))
    v = (rng.standard_normal(3), rng.standard_normal((3, 3)), float(rng.standard_normal()))
    _, grads = ad.value_and_grad(f, wrt=(0, 1, 2), jit=compiled(src))(*args)
    _, tangent = ad.jvp(f, args, v, jit=compiled(src))
    expect = sum(float(np.sum(g * d)) for g, d in zip(grads, v))
    assert tangent == pytest.approx(expect, rel=1e-9, abs=1e-10), src
