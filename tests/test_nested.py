"""Nested derivatives (docs/nested.md): transforms of derivatives (grad of grad, jvp,
jacobian and hessian of a gradient, mixed partials, third derivatives) and derivatives
called inside differentiated functions, against closed forms and central differences of
the inner derivative, compiled and not, with the inner and outer transforms in either mode;
kinks by the documented conventions; the caches follow the user's module values."""
import itertools
import math

import numpy as np
import pytest
from hypothesis import given, strategies as st

import adcompile as ad
from adcompile.timing import richardson

SRC = '''
import math
import numpy as np
import adcompile as ad

K = 2.0

def f(x):
    return math.sin(x) * x ** 3

def power(x, y):
    return x ** y

def mixed(x, y):
    return x ** y + math.sin(x * y)

def energy(x, w, n):
    s = 0.0
    for i in range(n):
        s = s + math.sin(w * x * (i + 1)) * math.exp(-0.1 * s)
    k = 0
    while k < 3 and s < 10.0:
        s = s + 0.1 * x * s
        k += 1
    return s * x

def rosen(x):
    s = 0.0
    for i in range(x.shape[0] - 1):
        s = s + 100.0 * (x[i + 1] - x[i] ** 2) ** 2 + (1.0 - x[i]) ** 2
    return s + np.sum(np.sin(x) * x)

def g(x, y):
    return np.sum(np.exp(x * y)) * y + y ** 3 * np.sum(x ** 2)

def sin_x2(x):
    return np.sum(np.sin(x) * x ** 2)

def scaled(x):
    return K * x ** 4

def relu_sq(x):
    return x * ad.relu(x)

def abs_x(x):
    return x * abs(x)

def tie(x, y):
    return max(x, y) * x

def potential(x, y, w):
    return w * x * x * y + math.sin(w * y) * x + 0.5 * w * w * y ** 3

dV = ad.grad(potential, wrt=(0, 1))
x0, y0 = 0.3, -0.8

def path_loss(w):
    gx, gy = dV(x0, y0, w)
    return gx * gx + gy

dE = ad.grad(energy)

def loss_in_a_loop(w, n):
    t = 0.0
    for k in range(3):
        t = t + dE(0.2 + 0.3 * k, w, n) ** 2
    return t

grad_scaled = ad.grad(scaled)

def calls_scaled(x):
    return grad_scaled(x) * x

hessian_rosen = ad.hessian(rosen)

def potential_w(x, y, w=1.0):
    return w * x * x * y + math.sin(w * y) * x

dVw = ad.grad(potential_w, wrt=(0, 1))

def through_a_helper(w, s):
    gx, gy = dVw(0.3, y=s, w=w)             # keywords, a default
    return gx

def branches(w):
    if w > 0.0:
        t = through_a_helper(w, -0.8)
    else:
        t = dVw(0.3, -0.8, w)[1] + dVw(0.3, -0.8)[0]
    return t * w

def trace_of_hessian(x):
    H = hessian_rosen(x)
    s = 0.0
    for i in range(x.shape[0]):
        s = s + H[i, i]
    return s
'''

POINTS = (-1.3, 0.2, 0.7, 2.1)
MODES = ("reverse", "forward")


@pytest.fixture(scope="module")
def m(tmp_path_factory):
    from conftest import load_source
    return load_source(tmp_path_factory.mktemp("nested"), SRC, "nested_programs")


# ---------------------------------------------------------------------------- closed forms
def d1(x):
    return math.cos(x) * x ** 3 + 3 * x ** 2 * math.sin(x)


def d2(x):
    return -math.sin(x) * x ** 3 + 6 * x ** 2 * math.cos(x) + 6 * x * math.sin(x)


def d3(x):
    return (-math.cos(x) * x ** 3 - 9 * x ** 2 * math.sin(x) + 18 * x * math.cos(x)
            + 6 * math.sin(x))


@pytest.mark.parametrize("jit", [False, True])
@pytest.mark.parametrize("inner,outer", list(itertools.product(MODES, MODES)))
def test_grad_of_grad_closed_form(m, inner, outer, jit):
    gg = ad.grad(ad.grad(m.f, mode=inner, jit=jit), mode=outer, jit=jit)
    for x in POINTS:
        assert gg(x) == pytest.approx(d2(x), rel=1e-13, abs=1e-13), x


@pytest.mark.parametrize("modes", list(itertools.product(MODES, repeat=3)))
def test_third_derivative_closed_form(m, modes):
    jit = modes == ("reverse",) * 3                  # compiled once; all modes in Python
    t = m.f
    for mode in modes:
        t = ad.grad(t, mode=mode, jit=jit)
    for x in POINTS:
        assert t(x) == pytest.approx(d3(x), rel=1e-12, abs=1e-12), (modes, x)


@pytest.mark.parametrize("jit", [False, True])
def test_grad_of_grad_against_central_differences_of_the_gradient(m, jit):
    inner = ad.grad(m.energy, wrt=1, jit=jit)
    for mode in MODES:
        gg = ad.grad(ad.grad(m.energy, wrt=1, mode=mode, jit=jit), wrt=0, jit=jit)
        for x, w in ((0.4, 0.9), (-0.7, 1.3), (1.1, -0.5)):
            fd = richardson(lambda a: inner(a, w, 6), (x,), 0, 1e-3)
            assert gg(x, w, 6) == pytest.approx(fd, rel=1e-7, abs=1e-9), (mode, x, w)


def test_value_and_grad_of_grad(m):
    for jit in (False, True):
        vg = ad.value_and_grad(ad.grad(m.f, jit=jit), jit=jit)
        for x in POINTS:
            v, d = vg(x)
            assert v == pytest.approx(d1(x), rel=1e-13) and d == pytest.approx(d2(x), rel=1e-13)


# ---------------------------------------------------------------------------- x ** y
def _power_hessian(x, y):
    lx = math.log(x)
    return [[y * (y - 1) * x ** (y - 2), x ** (y - 1) * (1 + y * lx)],
            [x ** (y - 1) * (1 + y * lx), x ** y * lx * lx]]


POWER_POINTS = ((0.7, 1.3), (2.5, -0.4), (1.0, 3.0), (3.0, 0.5))


@pytest.mark.parametrize("jit", [False, True])
def test_second_derivatives_of_x_to_the_y_both_varying(m, jit):
    """Each second partial of x ** y as grad(grad(., wrt=i), wrt=j), and all four as the
    Jacobian of the gradient, against the closed forms (x ** y's Hessian was once wrong)."""
    for mode in MODES:
        partial = {(i, j): ad.grad(ad.grad(m.power, wrt=i, mode=mode, jit=jit), wrt=j,
                                   jit=jit) for i in (0, 1) for j in (0, 1)}
        J = ad.jacobian(ad.grad(m.power, wrt=(0, 1), mode=mode, jit=jit), wrt=(0, 1), jit=jit)
        for x, y in POWER_POINTS:
            H = _power_hessian(x, y)
            got = J(x, y)
            for i, j in partial:
                assert partial[i, j](x, y) == pytest.approx(H[i][j], rel=1e-13), (x, y, i, j)
                assert got[i][j] == pytest.approx(H[i][j], rel=1e-13), (x, y, i, j)


def test_third_derivative_of_x_to_the_y(m):
    """d/dy d2/dx2 x ** y = x^(y-2) ((2y - 1) + y (y - 1) log x)."""
    t = ad.grad(ad.grad(ad.grad(m.power, wrt=0), wrt=0), wrt=1)
    for x, y in POWER_POINTS:
        exact = x ** (y - 2) * ((2 * y - 1) + y * (y - 1) * math.log(x))
        assert t(x, y) == pytest.approx(exact, rel=1e-12), (x, y)


@pytest.mark.parametrize("outer", MODES)
def test_mixed_partials(m, outer):
    for jit in (False, True):
        xy = ad.grad(ad.grad(m.mixed, wrt=0, jit=jit), wrt=1, mode=outer, jit=jit)
        yx = ad.grad(ad.grad(m.mixed, wrt=1, jit=jit), wrt=0, mode=outer, jit=jit)
        for x, y in POWER_POINTS:
            exact = x ** (y - 1) * (1 + y * math.log(x)) + math.cos(x * y) \
                - x * y * math.sin(x * y)
            assert xy(x, y) == pytest.approx(exact, rel=1e-12)
            assert yx(x, y) == pytest.approx(exact, rel=1e-12)


def test_jvp_of_a_tuple_gradient(m):
    x, y = 1.3, 0.7
    H = ad.jacobian(ad.grad(m.mixed, wrt=(0, 1)), wrt=(0, 1))(x, y)
    value, tangent = ad.jvp(ad.grad(m.mixed, wrt=(0, 1)), (x, y), (0.6, -0.8))
    assert value == pytest.approx(ad.grad(m.mixed, wrt=(0, 1))(x, y), rel=1e-14)
    assert tangent == pytest.approx(tuple(np.array(H) @ [0.6, -0.8]), rel=1e-13)


# ---------------------------------------------------------------------------- arrays
RNG = np.random.default_rng(7)
X = RNG.standard_normal(5)
V = RNG.standard_normal(5)


def _fd_jvp(func, x, v, h=1e-5):
    return (func(x + h * v) - func(x - h * v)) / (2 * h)


@pytest.mark.parametrize("jit", [False, True])
@pytest.mark.parametrize("inner", MODES)
def test_jvp_of_grad_is_the_hessian_vector_product(m, inner, jit):
    grad = ad.grad(m.rosen, mode=inner, jit=jit)
    value, hv = ad.jvp(grad, (X,), (V,), jit=jit)
    np.testing.assert_allclose(value, ad.grad(m.rosen)(X), rtol=1e-13)
    np.testing.assert_allclose(hv, ad.hvp(m.rosen)(X, V), rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(hv, _fd_jvp(grad, X, V), rtol=1e-6)


@pytest.mark.parametrize("outer", MODES)
@pytest.mark.parametrize("inner", MODES)
def test_jacobian_of_grad_is_the_hessian(m, inner, outer):
    for jit in (False, True):
        H = ad.jacobian(ad.grad(m.rosen, mode=inner, jit=jit), mode=outer, jit=jit)(X)
        np.testing.assert_allclose(H, ad.hessian(m.rosen)(X), rtol=1e-12, atol=1e-10)
        np.testing.assert_allclose(H, H.T, rtol=1e-12, atol=1e-10)


def _g_blocks(x, y):
    e = np.exp(x * y)
    return ((np.diag(y ** 3 * e + 2 * y ** 3), 2 * y * e + y * y * x * e + 6 * y * y * x),
            (2 * y * e + y * y * x * e + 6 * y * y * x,
             np.sum(x * e * (2 + x * y)) + 6 * y * np.sum(x * x)))


@pytest.mark.parametrize("jit", [False, True])
def test_jacobian_of_a_tuple_gradient_gives_the_hessian_blocks(m, jit):
    """jacobian(grad(g, wrt=(0, 1)), wrt=(0, 1)): ((H_xx, H_xy), (H_yx, H_yy)), x an array."""
    for inner in MODES:
        J = ad.jacobian(ad.grad(m.g, wrt=(0, 1), mode=inner, jit=jit), wrt=(0, 1), jit=jit)
        for y in (0.6, -1.1):
            got, exact = J(X, y), _g_blocks(X, y)
            for i in (0, 1):
                for j in (0, 1):
                    np.testing.assert_allclose(got[i][j], exact[i][j], rtol=1e-12,
                                               atol=1e-12)


@pytest.mark.parametrize("jit", [False, True])
def test_third_derivatives_hessian_and_hvp_of_a_gradient(m, jit):
    """hessian(grad(g, wrt=1), wrt=0) = d2/dx2 dg/dy = diag(y^2 e^(xy) (3 + xy) + 6 y^2)."""
    for inner in MODES:
        gy = ad.grad(m.g, wrt=1, mode=inner, jit=jit)
        T = ad.hessian(gy, wrt=0, jit=jit)
        hv = ad.hvp(gy, wrt=0, jit=jit)
        for y in (0.6, -1.1):
            exact = np.diag(y * y * np.exp(X * y) * (3 + X * y) + 6 * y * y)
            np.testing.assert_allclose(T(X, y), exact, rtol=1e-12, atol=1e-12)
            np.testing.assert_allclose(hv(X, y, V), exact @ V, rtol=1e-12, atol=1e-12)
    s = ad.hessian(ad.grad(m.f, jit=jit), jit=jit)       # a float: f'''
    assert s(0.7) == pytest.approx(d3(0.7), rel=1e-12)


def _third_of_sin_x2(x):
    """The third derivative of sum(sin(x) x^2): diagonal, -cos x x^2 - 6 x sin x + 6 cos x."""
    T = np.zeros(x.shape * 3)
    for i, d in enumerate(-np.cos(x) * x ** 2 - 6 * x * np.sin(x) + 6 * np.cos(x)):
        T[i, i, i] = d
    return T


@pytest.mark.parametrize("modes", list(itertools.product(MODES, repeat=3)))
def test_jacobian_of_jacobian_of_grad(m, modes):
    """Third derivatives of an array function: shape x.shape * 3; the outer Jacobians
    select between array accumulators (a Jacobian driver), whose tangents are arrays."""
    a, b, c = modes
    jit = a == "reverse" and b == "forward"
    T = ad.jacobian(ad.jacobian(ad.grad(m.sin_x2, mode=a, jit=jit), mode=b, jit=jit),
                    mode=c, jit=jit)
    x = X[:3]
    np.testing.assert_allclose(T(x), _third_of_sin_x2(x), rtol=1e-12, atol=1e-12)
    if modes == ("reverse",) * 3:
        np.testing.assert_allclose(ad.jacobian(ad.hessian(m.sin_x2))(x), _third_of_sin_x2(x),
                                   rtol=1e-12, atol=1e-12)


def test_grad_of_an_array_gradient_is_a_clear_error(m):
    with pytest.raises(ad.AdTypeError, match=r"nested_programs.py:\d+:\d+: rosen_grad\(\) "
                                             r"returns an array .*grad needs a scalar") as err:
        ad.grad(ad.grad(m.rosen))(X)
    assert "jacobian" in err.value.hint
    with pytest.raises(ad.AdTypeError, match="returns a tuple of 2 values; grad needs"):
        ad.grad(ad.grad(m.mixed, wrt=(0, 1)))(1.0, 2.0)
    with pytest.raises(ad.AdTypeError, match="grad needs a scalar"):
        ad.hessian(ad.value_and_grad(m.f))(1.0)


# ---------------------------------------------------------------------------- inside
def _path_loss_exact(w, x=0.3, y=-0.8):
    gx = 2 * w * x * y + math.sin(w * y)
    gy = w * x * x + math.cos(w * y) * w * x + 1.5 * w * w * y * y
    dgx = 2 * x * y + math.cos(w * y) * y
    dgy = x * x + math.cos(w * y) * x - math.sin(w * y) * w * y * x + 3 * w * y * y
    return 2 * gx * dgx + dgy


@pytest.mark.parametrize("jit", [False, True])
@pytest.mark.parametrize("mode", MODES)
def test_a_gradient_inside_a_differentiated_function(m, mode, jit):
    g = ad.grad(m.path_loss, mode=mode, jit=jit)
    for w in (0.5, -1.2, 2.0):
        assert g(w) == pytest.approx(_path_loss_exact(w), rel=1e-13), w
    assert ad.jvp(m.path_loss, (0.5,), (1.0,))[1] == pytest.approx(_path_loss_exact(0.5))
    assert m.path_loss(0.5) == pytest.approx(ad.value_and_grad(m.path_loss)(0.5)[0])


@pytest.mark.parametrize("jit", [False, True])
def test_a_gradient_with_loops_called_in_a_loop(m, jit):
    """The inner gradient records tapes; three copies inside the outer loop keep theirs
    apart; both outer modes agree with central differences of the value."""
    for mode in MODES:
        vg = ad.value_and_grad(m.loss_in_a_loop, mode=mode, jit=jit)
        for w in (0.7, -0.3):
            assert vg(w, 5)[0] == pytest.approx(m.loss_in_a_loop(w, 5), rel=1e-13)
            fd = richardson(lambda a: vg(a, 5)[0], (w,), 0, 1e-3)
            assert vg(w, 5)[1] == pytest.approx(fd, rel=1e-8), (mode, w)


def test_a_hessian_inside_a_differentiated_function(m):
    """trace(H(x)) of Rosenbrock's function: its gradient by a nested derivative (reverse,
    forward over reverse, then forward over that) against central differences."""
    for mode in MODES:
        g = ad.grad(m.trace_of_hessian, mode=mode)
        fd = [richardson(lambda *a: m.trace_of_hessian(np.array(a)), tuple(X), k, 1e-3)
              for k in range(5)]
        np.testing.assert_allclose(g(X), fd, rtol=1e-7, atol=1e-7)


def test_derivatives_called_from_helpers_and_branches_with_keywords(m):
    for mode in MODES:
        g = ad.grad(m.branches, mode=mode)
        for w in (0.5, -0.5, 1.7):
            fd = richardson(m.branches, (w,), 0, 1e-3)
            assert g(w) == pytest.approx(fd, rel=1e-8), (mode, w)


def test_the_inner_derivative_is_the_one_called(m):
    """A function calling grad(scaled) differentiates K x^4's derivative, not scaled."""
    g = ad.grad(m.calls_scaled)
    K = m.K
    for x in POINTS:       # d/dx (4 K x^3 x) = 16 K x^3
        assert g(x) == pytest.approx(16 * K * x ** 3, rel=1e-13)


# ---------------------------------------------------------------------------- caches
def test_caches_follow_the_module_values_the_inner_function_reads(m):
    gg = ad.grad(ad.grad(m.scaled))
    g_calls = ad.grad(m.calls_scaled)
    try:
        for K in (2.0, 3.0, -1.5):
            m.K = K
            assert m.grad_scaled(0.5) == pytest.approx(4 * K * 0.125)
            assert gg(0.5) == pytest.approx(12 * K * 0.25)
            assert ad.jvp(m.grad_scaled, (0.5,), (1.0,))[1] == pytest.approx(12 * K * 0.25)
            assert g_calls(0.5) == pytest.approx(16 * K * 0.125)
            assert ad.jvp(m.calls_scaled, (0.5,), (1.0,))[1] == pytest.approx(16 * K * 0.125)
    finally:
        m.K = 2.0


def test_shared_caches_tell_the_nesting_apart(m):
    """jvp(f, ...) and jvp(grad(f), ...) share nothing (they are keyed on f and on the
    transforms inside); neither order of first calls gives the other's numbers."""
    for order in (0, 1):
        calls = [lambda: ad.jvp(m.f, (0.7,), (1.0,))[1],
                 lambda: ad.jvp(ad.grad(m.f), (0.7,), (1.0,))[1],
                 lambda: ad.jvp(ad.grad(ad.grad(m.f, mode="forward")), (0.7,), (1.0,))[1]]
        expected = [d1(0.7), d2(0.7), d3(0.7)]
        for k in (range(3) if order == 0 else reversed(range(3))):
            assert calls[k]() == pytest.approx(expected[k], rel=1e-12)
        assert ad.jvp(ad.grad(m.mixed, wrt=0), (1.3, 0.7), (0.0, 1.0))[1] != \
            pytest.approx(ad.jvp(ad.grad(m.mixed, wrt=1), (1.3, 0.7), (0.0, 1.0))[1])


def test_rebinding_a_called_derivative_recompiles(m):
    saved = m.dV
    g = ad.grad(m.path_loss)
    try:
        assert g(0.5) == pytest.approx(_path_loss_exact(0.5), rel=1e-13)
        m.dV = ad.grad(m.potential, wrt=(1, 0))           # (gy, gx) now
        gx, gy = saved(0.3, -0.8, 0.5)
        assert m.path_loss(0.5) == pytest.approx(gy * gy + gx)
        fd = richardson(m.path_loss, (0.5,), 0, 1e-3)
        assert g(0.5) == pytest.approx(fd, rel=1e-8)
    finally:
        m.dV = saved


# ---------------------------------------------------------------------------- kinks
@pytest.mark.parametrize("jit", [False, True])
def test_second_derivatives_at_kinks_follow_the_conventions(m, jit):
    """x relu(x) and x |x| at 0: f' = 2 relu(x) (2 |x|), f'' = relu'(0) twice (once from the
    outer transform's kink, once from the inner's partial): 0 by default, as hessian gives;
    2 with relu'(0) = 1 in both. A tie of max splits its derivative; the tie's second
    derivative is that of the chosen pieces."""
    for name in ("relu_sq", "abs_x"):
        f = getattr(m, name)
        for inner, outer in itertools.product(MODES, MODES):
            gg = ad.grad(ad.grad(f, mode=inner, jit=jit), mode=outer, jit=jit)
            assert gg(0.0) == 0.0 and gg(-0.0) == 0.0
            assert gg(0.0) == ad.hessian(f)(0.0)
            assert gg(0.5) == pytest.approx(2.0) and gg(-0.5) == (0.0 if name == "relu_sq"
                                                                   else pytest.approx(-2.0))
    one = ad.Conventions(relu=1.0)
    gg = ad.grad(ad.grad(m.relu_sq, conventions=one, jit=jit), conventions=one, jit=jit)
    assert gg(0.0) == 2.0
    half = ad.grad(ad.grad(m.relu_sq, conventions=one, jit=jit), jit=jit)
    assert half(0.0) == 1.0                     # the outer's relu'(0) = 0, the inner's 1
    # max(x, y) x at x = y = 1: d/dx = max + x/2 (the tie split, whose own derivative is
    # 0); d/dy of that = 1/2, the tie split again (1 for x < y, 0 for x > y)
    dxy = ad.grad(ad.grad(m.tie, wrt=0, jit=jit), wrt=1, jit=jit)
    assert dxy(1.0, 1.0) == 0.5
    assert dxy(1.0, 2.0) == pytest.approx(1.0) and dxy(2.0, 1.0) == 0.0


def test_diagnose_and_directional_of_nested_derivatives_are_clear_errors(m):
    with pytest.raises(ad.AdCompileError, match=r"nested_programs.py:\d+:\d+: diagnose: "
                                                r"grad\(f, wrt=x\) is a derivative") as err:
        ad.diagnose(ad.grad(m.f), 0.5)
    assert "ad.diagnose(f" in err.value.hint
    with pytest.raises(ad.AdCompileError, match=r"path_loss\(\) calls a derivative made by "
                                                r"adcompile \(grad\(potential"):
        ad.diagnose(m.path_loss, 0.5)
    with pytest.raises(ad.AdCompileError, match="nonsmooth='directional' of f_grad"):
        ad.grad(ad.grad(m.f), nonsmooth="directional")(0.5)
    with pytest.raises(ad.AdCompileError, match="random directions"):
        ad.grad(ad.grad(m.f, nonsmooth="directional"))
    with pytest.raises(ad.AdCompileError, match="takes more than the arguments of f"):
        ad.grad(ad.hvp(m.f))


def test_a_function_calling_its_own_derivative_is_a_clear_error(load):
    mod = load("""
import adcompile as ad
def f(x):
    return x * x + g(x)
g = ad.grad(f)
""")
    with pytest.raises(ad.AdCompileError, match=r"prog0.py:3:1: grad\(f, wrt=x\) is called "
                                                r"inside f\(\) itself"):
        ad.grad(mod.f)(1.0)


def test_structured_parameters_of_nested_derivatives_are_a_clear_error(load):
    mod = load("""
def f(p):
    return p["a"] ** 2 * p["b"]
""")
    assert ad.grad(mod.f)({"a": 1.5, "b": 2.0}) == {"a": 6.0, "b": 2.25}
    with pytest.raises(ad.AdTypeError, match="dict, tuple or list are not supported"):
        ad.jvp(ad.grad(mod.f), ({"a": 1.5, "b": 2.0},), ({"a": 1.0, "b": 0.0},))


def test_float32_arguments_of_nested_derivatives_are_a_clear_error(m):
    assert ad.grad(m.f)(np.float32(0.7)) == pytest.approx(d1(0.7), rel=1e-6)
    with pytest.raises(ad.AdTypeError, match="take float64 and int64 arguments") as err:
        ad.grad(ad.grad(m.f))(np.float32(0.7))
    assert "astype(np.float64)" in err.value.hint
    assert ad.grad(ad.grad(m.f))(float(np.float32(0.7))) == \
        pytest.approx(d2(float(np.float32(0.7))), rel=1e-13)


def test_the_generated_code_of_a_nested_derivative(m):
    """grad(grad(f)): the forward-mode driver seeds the tangent of f's reverse sweep."""
    gg = ad.grad(ad.grad(m.f))
    gg(0.5)
    src = gg.source
    assert "def f_grad_fwd(x):" in src and "def f_grad_jvp(x, x_dot):" in src
    assert "x_bar_dot" in src                        # the tangent of the adjoint
    assert "forward mode" in gg.source.splitlines()[0]
    assert repr(gg) == "<adcompile grad of <adcompile grad of f wrt (x)> wrt (x)>"


# ---------------------------------------------------------------------------- random
UNARY = ["math.sin({})", "math.cos({})", "math.tanh({})", "{} / (1.0 + {} * {})",
         "math.sqrt(1.0 + {} * {})", "math.log(1.0 + {} * {})", "math.atan({})",
         "math.exp(0.5 * {})", "(1.5 + {} * {}) ** 1.3", "(2.0 + math.sin({})) ** {}"]
BINARY = ["{} + {}", "{} - {}", "{} * {}", "0.5 * {} * {}", "math.atan2({}, 1.0 + {} * {})"]


@st.composite
def smooth(draw, depth=3):
    if depth == 0 or draw(st.integers(0, 3)) == 0:
        return draw(st.sampled_from(["x", "x", "y", "0.75", "-1.25"]))
    if draw(st.booleans()):
        inner = draw(smooth(depth - 1))
        return "(" + draw(st.sampled_from(UNARY)).replace("{}", inner) + ")"
    a, b = draw(smooth(depth - 1)), draw(smooth(depth - 1))
    t = draw(st.sampled_from(BINARY))
    return "(" + t.replace("{}", a, 1).replace("{}", b, 1).replace("{}", b) + ")"


@given(expr=smooth(), loop=st.booleans(), x=st.floats(-1.5, 1.5), y=st.floats(-1.5, 1.5))
def test_random_smooth_programs(expr, loop, x, y, tmp_path_factory):
    """grad(grad(f)) against central differences of grad(f), grad(grad(grad(f))) against
    those of grad(grad(f)), and the mixed partial against the Jacobian of the gradient."""
    from conftest import load_source
    body = (f"    s = 0.0\n    for i in range(3):\n        s = s * 0.5 + {expr}\n"
            f"        x = x + 0.1 * s\n    return s\n" if loop else f"    return {expr}\n")
    src = "import math\n\ndef f(x, y):\n" + body
    f = load_source(tmp_path_factory.mktemp("smooth"), src, "smoothprog").f
    try:
        value = f(x, y)
    except (ValueError, OverflowError, ZeroDivisionError):
        return
    if not math.isfinite(value) or abs(value) > 1e6:
        return
    g1 = ad.grad(f, jit=False)
    g2 = ad.grad(g1, jit=False)
    g3 = ad.grad(g2, mode="forward", jit=False)
    for lower, higher in ((g1, g2), (g2, g3)):
        d1_, d2_ = richardson(lower, (x, y), 0, 1e-3), richardson(lower, (x, y), 0, 1e-4)
        if not math.isclose(d1_, d2_, rel_tol=1e-6, abs_tol=1e-8):
            return                                  # not smooth enough here to check
        assert higher(x, y) == pytest.approx(d1_, rel=1e-5, abs=1e-6), (src, x, y)
    H = ad.jacobian(ad.grad(f, wrt=(0, 1), jit=False), wrt=(0, 1), jit=False)(x, y)
    dxy = ad.grad(ad.grad(f, wrt=0, jit=False), wrt=1, jit=False)(x, y)
    assert H[0][1] == pytest.approx(dxy, rel=1e-10, abs=1e-12), src
    assert H[0][1] == pytest.approx(H[1][0], rel=1e-9, abs=1e-10), src
