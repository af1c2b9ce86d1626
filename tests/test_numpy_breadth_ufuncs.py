"""NumPy's float ufuncs, math's and scipy.special's functions (prims/special_rows.py, and
NumPy spellings of the arithmetic rows): each row against central differences on numbers and
elementwise over broadcast arrays (length-1 axes), in both modes, compiled and plain; second
derivatives against differences of the gradient; the kinks against docs/conventions.md; the
runtime helpers against SciPy; scipy.special.logsumexp; and realistic programs (softmax
cross-entropy, Gaussian and Student-t log-likelihoods, logistic regression, a GMM)."""
import math
import re

import numpy as np
import pytest
import scipy.special as sc

import adcompile as ad
from adcompile import runtime
from adcompile.primitives import PRIMS
from conftest import compiled
from gradcheck import check_like_numpy

# row -> (an expression of arrays or numbers x, y as users write it, the points' domain,
#         has a second derivative worth checking)
ROWS = {
    "exp2": ("np.exp2(x)", None, True),
    "exp10": ("scipy.special.exp10(x)", None, True),
    "logaddexp": ("np.logaddexp(x, y)", None, True),
    "logaddexp2": ("np.logaddexp2(x, y)", None, True),
    "sinc": ("np.sinc(x)", None, True),
    "ftrunc": ("np.trunc(x) * y", None, True),
    "fmod": ("np.fmod(x, y)", "mod", True),
    "copysign": ("np.copysign(x, y)", None, True),
    "heaviside": ("np.heaviside(x, y)", None, False),
    "fmax": ("np.fmax(x, y)", None, False),
    "fmin": ("np.fmin(x, y)", None, False),
    "erf": ("scipy.special.erf(x)", None, True),
    "erfc": ("scipy.special.erfc(x)", None, True),
    "erfinv": ("scipy.special.erfinv(x / 2.0)", None, True),
    "lgamma": ("scipy.special.gammaln(x)", "gamma", True),
    "gamma": ("scipy.special.gamma(x)", "gamma", True),
    "digamma": ("scipy.special.digamma(x)", "gamma", True),
    "polygamma": ("scipy.special.polygamma(2, x)", "gamma", True),
    "expit": ("scipy.special.expit(x)", None, True),
    "log_expit": ("scipy.special.log_expit(x)", None, True),
    "softplus": ("scipy.special.softplus(x)", None, True),
    "logit": ("scipy.special.logit(x)", "prob", True),
    "xlogy": ("scipy.special.xlogy(y, x)", "pos", True),
    "xlog1py": ("scipy.special.xlog1py(y, x)", "pos", True),
    "ndtr": ("scipy.special.ndtr(x)", None, True),
    "log_ndtr": ("scipy.special.log_ndtr(x * 8.0)", None, True),
    "entr": ("scipy.special.entr(x)", "pos", True),
    "rel_entr": ("scipy.special.rel_entr(x, y)", "pos2", True),
    "kl_div": ("scipy.special.kl_div(x, y)", "pos2", True),
}
# NumPy spellings of the arithmetic rows, and other spellings of the new rows
SPELLINGS = {
    "np.add(x, y)": None, "np.subtract(x, y)": None, "np.multiply(x, y)": None,
    "np.divide(x, y)": "pos", "np.true_divide(x, y)": "pos", "np.negative(x)": None,
    "np.reciprocal(x)": "pos", "np.float_power(x, y)": "pos", "np.mod(x, y)": "mod",
    "np.remainder(x, y)": "mod", "np.floor_divide(x, y) + x": "mod", "np.fix(x) + y": None,
    "np.logaddexp(0.0, x)": None, "scipy.special.psi(x)": "gamma",
    "scipy.special.polygamma(1, x) * y": "gamma", "scipy.special.polygamma(0, x)": "gamma",
    "scipy.special.expm1(x)": None, "scipy.special.log1p(x)": "pos",
    "scipy.special.cbrt(x)": "pos", "scipy.special.exp2(x)": None, "scipy.special.sinc(x)": None,
}


def _module(load, expr):
    return load(f"import math\nimport numpy as np\nimport scipy.special\n\n"
                f"def f(x, y):\n    return {expr}\n")


def _arrays(domain, shape_x, shape_y, seed=3):
    rng = np.random.default_rng(seed)
    lo_x, hi_x, lo_y, hi_y = {None: (-1.5, 1.5, -1.5, 1.5), "pos": (0.2, 2.0, -1.5, 1.5),
                              "prob": (0.05, 0.95, -1.5, 1.5), "gamma": (0.3, 4.5, -1.5, 1.5),
                              "mod": (-3.0, 3.0, 0.7, 1.6), "pos2": (0.2, 2.0, 0.3, 1.8)}[domain]
    return rng.uniform(lo_x, hi_x, shape_x), rng.uniform(lo_y, hi_y, shape_y)


def test_every_new_row_is_here():
    new = {p.name for p in PRIMS.values()
           if p.bindings and any(b.label.startswith(("scipy.special.", "np.")) for b in
                                 p.bindings) and p.partials is not None}
    old = {"mul", "div", "add", "sub", "neg", "mod", "pow", "abs", "npmax", "npmin", "select",
           "sin", "cos", "tan", "asin", "acos", "atan", "sinh", "cosh", "tanh", "asinh",
           "acosh", "atanh", "exp", "expm1", "log", "log1p", "log2", "log10", "sqrt", "cbrt",
           "deg2rad", "rad2deg", "atan2", "hypot", "norm_sqrt", "to_f64"}
    assert new - old - set(ROWS) == set(), "add the new row to ROWS"


@pytest.mark.parametrize("name", sorted(ROWS))
def test_numbers_forward_equals_reverse(name, load):
    """On numbers, forward mode equals reverse mode, plain and compiled (reverse mode against
    central differences on numbers is tests/test_primitives.py's SPELLING)."""
    expr, domain, _ = ROWS[name]
    m = _module(load, f"({expr}) * (1.0 + y) + x")
    x, y = _arrays(domain, 3, 3, seed=11)
    for point in zip(x.tolist(), y.tolist()):
        rev = ad.grad(m.f, wrt=(0, 1), jit=False)(*point)
        fwd = ad.grad(m.f, wrt=(0, 1), jit=False, mode="forward")(*point)
        assert fwd == pytest.approx(rev, rel=1e-12, abs=1e-14), (name, point)


@pytest.mark.parametrize("expr,domain", [(e, d) for e, d, _ in ROWS.values()] +
                         list(SPELLINGS.items()), ids=list(ROWS) + list(SPELLINGS))
def test_elementwise_with_broadcasting(expr, domain, load):
    """Over a (3, 4) array and a (1, 4) one (a length-1 axis): the value NumPy/SciPy give, the
    gradient against central differences; reverse mode plain and (in CI for half of the rows,
    conftest.compiled) compiled, forward plain (both modes are compiled once for every row,
    below)."""
    m = load("import numpy as np\nimport scipy.special\n\n"
             f"def f(x, y):\n    return np.sum(np.sin({expr}) * (y + 2.0))\n")
    x, y = _arrays(domain, (3, 4), (1, 4))
    check_like_numpy(m.f, (x, y), wrt=(0, 1), jits=(True, False) if compiled(expr, 2) else
                     (False,))


@pytest.mark.parametrize("mode", ["forward", "reverse"])
def test_every_row_in_one_compiled_program(load, mode):
    """Every row in one function, compiled (one Numba compile per mode), against central
    differences; with a number broadcast against an array."""
    terms = [re.sub(r"\by\b", "yy", re.sub(r"\bx\b", "xx", e)) for e, d, _ in ROWS.values()]
    body = " + ".join(f"np.sum({t})" for t in terms)
    m = load("import numpy as np\nimport scipy.special\n\n"
             "def f(x, y):\n    xx = 0.6 + 0.4 * np.abs(x)\n    yy = 1.2 + 0.1 * y\n"
             f"    return {body}\n")
    x = np.random.default_rng(5).uniform(-1.0, 1.0, (2, 3))
    check_like_numpy(m.f, (x, 0.3), wrt=(0, 1), modes=(mode,), jits=(True,))


@pytest.mark.parametrize("name", sorted(n for n in ROWS if ROWS[n][2]))
def test_second_order(name, load):
    """hvp (forward over reverse of the partials) against central differences of the
    gradient, plain Python."""
    expr, domain, _ = ROWS[name]
    m = _module(load, f"({expr}) * (1.5 + x - 0.5 * y)")
    hvp = ad.hvp(m.f, wrt=(0, 1), jit=False)
    grad = ad.grad(m.f, wrt=(0, 1), jit=False)
    v, h = (0.6, -0.8), 1e-5
    x, y = _arrays(domain, 3, 3, seed=17)
    for point in zip(x.tolist(), y.tolist()):
        up = grad(*(p + h * d for p, d in zip(point, v)))
        down = grad(*(p - h * d for p, d in zip(point, v)))
        fd = [(a - b) / (2 * h) for a, b in zip(up, down)]
        assert list(hvp(*point, *v)) == pytest.approx(fd, rel=1e-5, abs=1e-7), (name, point)


def test_hessian_of_special_functions_on_arrays(load):
    m = load("import numpy as np\nimport scipy.special as sp\n\n"
             "def f(x):\n    return np.sum(sp.gammaln(x) + sp.expit(x) * sp.digamma(x)"
             " + sp.xlogy(x, x))\n")
    x = np.array([0.7, 1.9, 3.2])
    hess = ad.hessian(m.f, jit=False)(x)
    for mode in ("reverse", "forward"):
        g = ad.grad(m.f, jit=False, mode=mode)
        h = 1e-5
        fd = np.array([(g(x + h * e) - g(x - h * e)) / (2 * h) for e in np.eye(3)])
        np.testing.assert_allclose(hess, fd, rtol=1e-5, atol=1e-7)
    exact = sc.polygamma(1, x) + sc.expit(x) * (1 - sc.expit(x)) * (
        1 - 2 * sc.expit(x)) * sc.digamma(x) + 2 * sc.expit(x) * (1 - sc.expit(x)) * \
        sc.polygamma(1, x) + sc.expit(x) * sc.polygamma(2, x) + 1 / x
    np.testing.assert_allclose(np.diag(hess), exact, rtol=1e-10)


# ------------------------------------------------------------------------- kinks
KINKS = [  # (expression, point, gradient (d/dx, d/dy)): docs/conventions.md's table
    ("np.copysign(x, y)", (0.0, 1.0), (0.0, 0.0)),
    ("np.copysign(x, y)", (-0.0, -2.0), (0.0, 0.0)),
    ("np.copysign(x, y)", (-0.5, -2.0), (1.0, 0.0)),
    ("np.heaviside(x, y)", (0.0, 0.3), (0.0, 1.0)),
    ("np.heaviside(x, y)", (0.5, 0.3), (0.0, 0.0)),
    ("np.fmax(x, y)", (1.0, 1.0), (0.5, 0.5)),
    ("np.fmin(x, y) * 2.0", (-1.0, -1.0), (1.0, 1.0)),
    ("np.fmax(x, y)", (0.5, math.nan), (1.0, 0.0)),
    ("np.fmin(x, y)", (math.nan, 0.5), (0.0, 1.0)),
    ("np.trunc(x) + y", (2.0, 0.0), (0.0, 1.0)),
    ("math.trunc(x) + 0.0 * y", (-3.0, 0.0), (0.0, 0.0)),
    ("np.fmod(x, y)", (4.0, 2.0), (1.0, -2.0)),
    ("np.fmod(x, y)", (-3.0, 2.0), (1.0, 1.0)),
    ("np.sinc(x) + y", (0.0, 0.0), (0.0, 1.0)),
    ("scipy.special.xlogy(x, y)", (0.0, 2.0), (math.log(2.0), 0.0)),
    ("scipy.special.xlogy(x, y)", (0.0, 0.0), (-math.inf, 0.0)),
    ("scipy.special.xlog1py(x, y)", (0.0, -1.0), (-math.inf, 0.0)),
    ("scipy.special.digamma(x) + y", (0.0, 0.0), (math.inf, 1.0)),
    ("scipy.special.gammaln(x)", (-2.0, 0.0), (math.nan, 0.0)),
    ("scipy.special.logit(x)", (0.0, 0.0), (math.inf, 0.0)),
    ("scipy.special.erfinv(x)", (1.0, 0.0), (math.inf, 0.0)),
    ("scipy.special.entr(x) + y", (0.0, 0.0), (math.inf, 1.0)),
    ("scipy.special.rel_entr(x, y)", (0.0, 2.0), (-math.inf, 0.0)),
    ("scipy.special.kl_div(x, y)", (0.0, 2.0), (-math.inf, 1.0)),
]


def _same(got, want):
    return all(g == w or (math.isnan(g) and math.isnan(w)) or
               (math.isfinite(w) and g == pytest.approx(w, abs=1e-15)) for g, w in zip(got, want))


@pytest.mark.parametrize("expr,point,expected", KINKS)
@pytest.mark.filterwarnings("ignore::RuntimeWarning")
def test_kink_conventions(expr, point, expected, load):
    """Both modes plain, reverse compiled (in CI for half of the kinks: conftest.compiled;
    the rows' compiled code is checked above). At a singular point (an infinite or NaN partial)
    forward mode's other direction reads it too (0 * inf: docs/conventions.md, "NaN, inf"):
    there its own direction is compared."""
    m = _module(load, expr)
    singular = not all(math.isfinite(e) for e in expected)
    builds = [("reverse", True)] if compiled(expr, 2) else []
    for mode, jit in builds + [("reverse", False), ("forward", False)]:
        got = ad.grad(m.f, wrt=(0, 1), jit=jit, mode=mode)(*point)
        if mode == "forward" and singular:
            k = next(i for i, e in enumerate(expected) if not math.isfinite(e))
            got, want = got[k:k + 1], expected[k:k + 1]
        else:
            want = expected
        assert _same(got, want), (expr, mode, jit, got)


def test_kink_metadata():
    kinds = {"copysign": "kink", "heaviside": "jump", "fmax": "tie", "fmin": "tie",
             "ftrunc": "jump", "fmod": "jump", "xlogy": "singular", "xlog1py": "singular",
             "lgamma": "singular", "gamma": "singular", "digamma": "singular",
             "polygamma": "singular", "logit": "singular", "erfinv": "singular",
             "entr": "singular", "rel_entr": "singular", "kl_div": "singular"}
    for name, kind in kinds.items():
        assert PRIMS[name].kink is not None and PRIMS[name].kink.kind == kind, name
    smooth = ("exp2", "exp10", "logaddexp", "logaddexp2", "sinc", "erf", "erfc", "expit", "log_expit",
              "softplus", "ndtr", "log_ndtr")
    assert all(PRIMS[n].kink is None for n in smooth)
    text = open(__file__.replace("tests/test_numpy_breadth_ufuncs.py",
                                 "docs/conventions.md")).read()
    for label in ("np.copysign", "np.heaviside", "np.fmax", "np.trunc", "np.fmod",
                  "scipy.special.xlogy", "scipy.special.gammaln", "scipy.special.digamma",
                  "scipy.special.logit", "scipy.special.erfinv", "scipy.special.logsumexp",
                  "scipy.special.entr", "scipy.special.rel_entr"):
        assert f"`{label}" in text, label


def test_diagnose_names_the_new_kinks(load):
    m = _module(load, "np.fmax(x, y) + np.copysign(x, y) * 2.0")
    report = str(ad.diagnose(m.f, 0.0, 0.0, wrt=(0, 1)))
    assert "np.fmax(x, y)" in report and "tie share 0.5" in report, report
    assert "derivative 0 at x == 0" in report, report


# ------------------------------------------------------------------------- runtime helpers
@pytest.mark.filterwarnings("ignore::RuntimeWarning")
def test_runtime_helpers_against_scipy():
    rng = np.random.default_rng(0)
    xs = np.concatenate([rng.uniform(-9.5, 30.0, 300), rng.uniform(0.01, 3.0, 100),
                         [1e-8, 0.5, 1.0, 2.0, 100.0, 1e5, -0.5, -2.5]])
    np.testing.assert_allclose([runtime.digamma(v) for v in xs], sc.digamma(xs), rtol=1e-13,
                               atol=1e-14)
    for got, want in [([runtime.expit(v) for v in xs], sc.expit(xs)),
                      ([runtime.log_expit(v) for v in xs], sc.log_expit(xs)),
                      ([runtime.softplus(v) for v in xs], np.logaddexp(0.0, xs)),
                      ([runtime.xlogy(v, v + 10.0) for v in xs], sc.xlogy(xs, xs + 10.0)),
                      ([runtime.xlog1py(v, v + 10.0) for v in xs], sc.xlog1py(xs, xs + 10.0))]:
        np.testing.assert_allclose(got, want, rtol=1e-13, atol=0)
    for n in (1, 2, 3, 4):
        np.testing.assert_allclose([runtime.polygamma(n, v) for v in xs],
                                   sc.polygamma(n, xs), rtol=1e-12)
    ys = np.concatenate([rng.uniform(-1.0, 1.0, 300), [1 - 1e-12, -1 + 1e-10, 1e-300, 0.0,
                                                       0.5, 0.9999]])
    np.testing.assert_allclose([runtime.erfinv(v) for v in ys], sc.erfinv(ys), rtol=1e-13)
    zs = np.concatenate([np.linspace(-60.0, 35.0, 400), [-1e4, -20.0001, -19.999, 1e-9]])
    np.testing.assert_allclose([runtime.log_ndtr(v) for v in zs], sc.log_ndtr(zs), rtol=1e-12)
    np.testing.assert_allclose([runtime.ndtr(v) for v in zs], sc.ndtr(zs), rtol=1e-12,
                               atol=1e-300)
    us, vs = rng.uniform(-0.5, 3.0, 200), rng.uniform(-0.5, 3.0, 200)
    for name in ("rel_entr", "kl_div"):
        np.testing.assert_allclose([getattr(runtime, name)(u, v) for u, v in zip(us, vs)],
                                   getattr(sc, name)(us, vs), rtol=1e-13, atol=1e-15)
    np.testing.assert_allclose([runtime.entr(u) for u in us], sc.entr(us), rtol=1e-13)
    for u, v in ((0.0, 0.0), (0.0, 2.0), (1.0, 0.0), (-1.0, 1.0), (math.nan, 1.0)):
        for name in ("rel_entr", "kl_div"):
            got, want = getattr(runtime, name)(u, v), getattr(sc, name)(u, v)
            assert got == want or (math.isnan(got) and math.isnan(want)), (name, u, v)
    for x in (0.0, -1.0, -3.0):                      # poles and edges, as SciPy
        for f, ref in ((runtime.digamma, sc.digamma), (lambda v: runtime.polygamma(2, v),
                                                        lambda v: sc.polygamma(2, v))):
            got, want = f(x), ref(x)
            assert got == want or (math.isnan(got) and math.isnan(want)), (x, got, want)
    assert runtime.erfinv(1.0) == math.inf and math.isnan(runtime.erfinv(1.5))
    assert runtime.xlogy(0.0, 0.0) == 0.0 and math.isnan(runtime.xlogy(0.0, math.nan))
    assert runtime.expit(-800.0) == 0.0 and runtime.log_expit(-800.0) == -800.0


@pytest.mark.filterwarnings("ignore::RuntimeWarning")
def test_runtime_helpers_compiled_equal_plain():
    import numba
    xs = [0.3, 2.7, -1.4, 15.0]
    for name in ("digamma", "expit", "log_expit", "softplus", "erfinv", "logit"):
        f = getattr(runtime, name)
        g = numba.njit(f)
        for v in xs:
            v = v / 20.0 if name in ("erfinv", "logit") else v
            assert g(v) == pytest.approx(f(v), rel=1e-15, abs=1e-300) or \
                (math.isnan(g(v)) and math.isnan(f(v))), (name, v)
    g = numba.njit(runtime.polygamma)
    assert g(3, 1.7) == pytest.approx(runtime.polygamma(3, 1.7), rel=1e-15)


def test_polygamma_takes_an_integer_order(load):
    m = _module(load, "scipy.special.polygamma(y, x)")
    with pytest.raises(ad.AdCompileError, match="integer n"):
        ad.grad(m.f, jit=False)(1.0, 1.5)


def test_math_spellings_take_numbers_only(load):
    m = _module(load, "np.sum(math.lgamma(x))")
    with pytest.raises(ad.UnsupportedSyntaxError, match=r"math\.lgamma\(\) does not take"):
        ad.grad(m.f, jit=False)(np.ones(3), 1.0)


def test_unknown_scipy_function_names_the_nearest(load):
    m = _module(load, "scipy.special.gammainc(x, y)")
    with pytest.raises(ad.UnknownFunctionError,
                       match=r"(?s)scipy\.special\.gammainc.*did you mean scipy\.special\."
                             r"gammaln"):
        ad.grad(m.f, jit=False)(1.0, 1.5)


# ------------------------------------------------------------------------- logsumexp
LSE = """
import numpy as np
from scipy.special import logsumexp


def whole(x, w):
    return logsumexp(x) + 0.0 * np.sum(w)


def rows(x, w):
    return np.sum(logsumexp(x, axis=1) * np.arange(3.0))


def cols_weighted(x, w):
    return np.sum(logsumexp(x, axis=0, b=w))


def weighted_scaled(x, w):
    return logsumexp(2.0 * x[0], b=w[0]) + logsumexp(x, axis=-1, b=0.5)[1]
"""


@pytest.mark.parametrize("name", ["whole", "rows", "cols_weighted", "weighted_scaled"])
def test_logsumexp(name, load):
    m = load(LSE)
    rng = np.random.default_rng(2)
    x, w = 3.0 * rng.normal(size=(3, 4)), rng.uniform(0.5, 2.0, (1, 4))
    check_like_numpy(getattr(m, name), (x, w), wrt=(0, 1))


def test_logsumexp_is_stable_and_exact(load):
    m = load(LSE)
    big = np.array([[1000.0, 1000.0, -np.inf, 990.0]] * 3)
    value, (g, _) = ad.value_and_grad(m.whole, wrt=(0, 1))(big, np.ones(1))
    assert value == pytest.approx(sc.logsumexp(big), rel=1e-15)
    np.testing.assert_allclose(g, sc.softmax(big.ravel()).reshape(big.shape), rtol=1e-14)
    assert ad.value_and_grad(m.whole)(np.full((1, 2), -np.inf), np.ones(1))[0] == -np.inf
    assert math.isnan(ad.value_and_grad(m.whole)(np.array([[0.0, np.nan]]), np.ones(1))[0])
    hess = ad.hessian(m.whole, jit=False)(np.array([[0.1, 0.2], [0.3, -0.4]]), np.ones(1))
    p = sc.softmax(np.array([0.1, 0.2, 0.3, -0.4]))
    np.testing.assert_allclose(hess.reshape(4, 4), np.diag(p) - np.outer(p, p), atol=1e-14)


SOFTMAX = """
import numpy as np
from scipy.special import softmax, log_softmax, logsumexp


def cross_entropy(W, x, k):
    return -log_softmax(W @ x)[k]


def entropy(z, t):
    p = softmax(z * t)
    return -np.sum(p * np.log(p))


def all_elements(Z, t):
    return np.sum(log_softmax(Z, axis=None) * Z) + t


def rows_in_a_loop(Z, t):
    s = 0.0
    for i in range(Z.shape[0]):
        s += np.sum(softmax(Z[i], axis=0) * Z[i]) * t - logsumexp(Z[i])
    return s


def along_rows(Z):
    return np.sum(log_softmax(Z, axis=1) * Z) + np.sum(softmax(Z, axis=0)[1] ** 2)


def along_axes_3d(T):
    return np.sum(softmax(T, axis=-1) * T) - np.sum(log_softmax(T, axis=1)[:, 0] ** 2)
"""


def test_softmax_and_log_softmax(load):
    m = load(SOFTMAX)
    rng = np.random.default_rng(4)
    W, x, Z = rng.normal(size=(4, 3)), rng.normal(size=3), rng.normal(size=(3, 4))
    check_like_numpy(m.cross_entropy, (W, x, 2), wrt=(0, 1))
    check_like_numpy(m.entropy, (rng.normal(size=5), 1.5), wrt=(0, 1))
    check_like_numpy(m.all_elements, (Z, 0.5), wrt=(0, 1))
    check_like_numpy(m.rows_in_a_loop, (Z, 0.5), wrt=(0, 1))
    assert m.cross_entropy(W, x, 2) == pytest.approx(-np.log(sc.softmax(W @ x)[2]), rel=1e-14)
    check_like_numpy(m.along_rows, (Z,), wrt=(0,))
    check_like_numpy(m.along_axes_3d, (rng.normal(size=(2, 3, 4)),), wrt=(0,), jits=(False,))
    np.testing.assert_allclose(ad.value_and_grad(m.along_rows, jit=False)(Z)[0],
                               m.along_rows(Z), rtol=1e-14)


def test_logsumexp_errors(load):
    m = load("import numpy as np\nfrom scipy.special import logsumexp\n\n"
             "def f(x):\n    return logsumexp(x, keepdims=True)[0]\n\n"
             "def g(x):\n    return logsumexp(x[0], b=x)\n")
    with pytest.raises(ad.UnsupportedSyntaxError, match="keepdims"):
        ad.grad(m.f, jit=False)(np.ones(3))
    with pytest.raises(ad.AdCompileError, match="b= has more axes"):
        ad.grad(m.g, jit=False)(np.ones((2, 3)))


# ------------------------------------------------------------------------- programs
PROGRAMS = """
import math
import numpy as np
import scipy.special as sp
from scipy.special import expit, gammaln, logsumexp, xlogy


def softmax_cross_entropy(W, X, labels):
    logits = X @ W                                   # (n, k)
    picked = 0.0
    for i in range(X.shape[0]):
        picked += logits[i, labels[i]]
    return (np.sum(logsumexp(logits, axis=1)) - picked) / X.shape[0]


def gaussian_loglik(mu, log_sigma, x):
    s = np.exp(log_sigma)
    z = (x - mu) / s
    return np.sum(-0.5 * z * z - log_sigma - 0.5 * math.log(2.0 * math.pi))


def student_t_loglik(mu, log_s, log_nu, x):
    nu = math.exp(log_nu)
    s = math.exp(log_s)
    n = x.shape[0]
    z = (x - mu) / s
    norm = gammaln((nu + 1.0) / 2.0) - gammaln(nu / 2.0) - 0.5 * math.log(nu * math.pi) - log_s
    return n * norm - (nu + 1.0) / 2.0 * np.sum(np.log1p(z * z / nu))


def logistic_regression(w, b, X, t):
    p = expit(X @ w + b)
    nll = -np.sum(xlogy(t, p) + xlogy(1.0 - t, 1.0 - p))
    return nll + 0.01 * np.sum(w * w)


def logistic_regression_stable(w, b, X, t):
    z = X @ w + b
    return -np.sum(t * sp.log_expit(z) + (1.0 - t) * sp.log_expit(-z))


def gmm_loglik(means, log_sds, logits, x):
    log_w = logits - logsumexp(logits)
    sds = np.exp(log_sds)
    total = 0.0
    for i in range(x.shape[0]):
        z = (x[i] - means) / sds
        comp = log_w - 0.5 * z * z - log_sds - 0.5 * np.log(2.0 * np.pi)
        total += logsumexp(comp)
    return total


def gmm_loglik_matrix(means, log_sds, logits, x):
    sds = np.exp(log_sds)
    z = (np.outer(x, np.ones(means.shape[0])) - means) / sds      # (n, k)
    comp = (logits - logsumexp(logits)) - 0.5 * z * z - log_sds - 0.5 * math.log(2.0 * math.pi)
    return np.sum(logsumexp(comp, axis=1))
"""


@pytest.fixture(scope="module")
def programs(tmp_path_factory):
    from conftest import load_source
    return load_source(tmp_path_factory.mktemp("breadth"), PROGRAMS, "breadth_programs")


def _check(func, args, wrt):
    check_like_numpy(func, args, wrt=wrt, rtol=1e-6, atol=1e-7)


def test_softmax_cross_entropy(programs):
    rng = np.random.default_rng(0)
    X, W = rng.normal(size=(6, 3)), rng.normal(size=(3, 4))
    labels = np.array([0, 3, 1, 2, 2, 0])
    _check(programs.softmax_cross_entropy, (W, X, labels), (0,))
    value = programs.softmax_cross_entropy(W, X, labels)
    logits = X @ W
    ref = np.mean(-np.log(sc.softmax(logits, axis=1)[np.arange(6), labels]))
    assert value == pytest.approx(ref, rel=1e-13)


def test_gaussian_and_student_t_loglik(programs):
    x = np.random.default_rng(1).standard_t(4.0, 20)
    _check(programs.gaussian_loglik, (0.3, -0.2, x), (0, 1))
    _check(programs.student_t_loglik, (0.1, 0.2, 1.3, x), (0, 1, 2))
    from scipy import stats
    mu, log_s, log_nu = 0.1, 0.2, 1.3
    ref = np.sum(stats.t.logpdf(x, math.exp(log_nu), loc=mu, scale=math.exp(log_s)))
    assert programs.student_t_loglik(mu, log_s, log_nu, x) == pytest.approx(ref, rel=1e-12)
    value, grads = ad.value_and_grad(programs.student_t_loglik, wrt=(0, 1, 2))(
        mu, log_s, log_nu, x)
    assert value == pytest.approx(ref, rel=1e-12)


def test_logistic_regression(programs):
    rng = np.random.default_rng(2)
    X = rng.normal(size=(15, 3))
    t = (rng.uniform(size=15) < 0.5).astype(float)
    w = rng.normal(size=3)
    _check(programs.logistic_regression, (w, 0.2, X, t), (0, 1))
    _check(programs.logistic_regression_stable, (w, 0.2, X, t), (0, 1))
    g1 = ad.grad(programs.logistic_regression, wrt=(0, 1))(w, 0.2, X, t)
    g2 = ad.grad(programs.logistic_regression_stable, wrt=(0, 1))(w, 0.2, X, t)
    np.testing.assert_allclose(g1[0] - 0.02 * w, g2[0], rtol=1e-10)
    p = sc.expit(X @ w + 0.2)
    np.testing.assert_allclose(g2[0], X.T @ (p - t), rtol=1e-12)


def test_gmm_loglik(programs):
    rng = np.random.default_rng(3)
    x = np.concatenate([rng.normal(-2.0, 0.5, 8), rng.normal(1.5, 1.0, 8)])
    means, log_sds, logits = np.array([-1.5, 0.0, 2.0]), np.array([-0.5, 0.1, 0.2]), \
        np.array([0.3, -0.2, 0.1])
    _check(programs.gmm_loglik, (means, log_sds, logits, x), (0, 1, 2))
    _check(programs.gmm_loglik_matrix, (means, log_sds, logits, x), (0, 1, 2))
    from scipy import stats
    w = sc.softmax(logits)
    ref = np.sum(np.log(np.sum(w * stats.norm.pdf(x[:, None], means, np.exp(log_sds)),
                               axis=1)))
    assert programs.gmm_loglik(means, log_sds, logits, x) == pytest.approx(ref, rel=1e-12)


def test_importing_adcompile_imports_neither_numba_nor_scipy():
    """The scipy.special bindings are named, not imported (bind.Deferred), and the runtime
    helpers are imported on first use."""
    import os
    import subprocess
    import sys
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    code = ("import sys, adcompile; assert adcompile.__file__.startswith(sys.argv[1]); "
            "print('numba' in sys.modules, 'scipy' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code, root], cwd=root, capture_output=True,
                         text=True, check=True).stdout
    assert out.split() == ["False", "False"], out
