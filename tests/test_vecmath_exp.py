"""exp, expm1, tanh, sigmoid and _exp_dd of adcompile.vecmath against an x87 long double
reference: the ulp bounds over the whole double range and densely where the functions are
used, the special values exactly, int arguments, and the plain-Python names (NumPy's answer)."""
import math

import numpy as np
import pytest
from numba import njit

import adcompile.vecmath as vm
from adcompile.vecmath.expfun import _exp_dd

from ulp import LD, elementwise, max_ulp, ulp_errors, uniform, whole_range

N = 2_000_000


_RUN = {name: elementwise(getattr(vm, name)) for name in ("exp", "expm1", "tanh", "sigmoid")}


@njit
def _run_dd(hi, lo):
    out = np.empty_like(hi)
    for i in range(hi.shape[0]):
        out[i] = _exp_dd(hi[i], lo[i])
    return out


def _sigmoid_ref(x):
    xl = np.asarray(x).astype(LD)
    with np.errstate(over="ignore"):
        return 1 / (1 + np.exp(-xl))


def _ref(name):
    if name == "sigmoid":
        return _sigmoid_ref
    f = getattr(np, name)

    def ref(x):
        with np.errstate(over="ignore"):
            return f(np.asarray(x).astype(LD))
    return ref


# (name, bound in ulps, dense regions); results in the subnormal range are rounded twice
# (to 53 bits, then by the scaling to fewer), their bound is SUBNORMAL_BOUND
CASES = [
    ("exp", 0.6, [(-20, 20), (-1, 1), (-746, -700), (700, 710), (-1e-8, 1e-8)]),
    ("expm1", 0.6, [(-20, 20), (-1, 1), (-1e-3, 1e-3), (-40, -30), (700, 710)]),
    ("tanh", 0.6, [(-20, 20), (-1, 1), (-0.05, 0.05), (15, 20)]),
    ("sigmoid", 0.6, [(-40, 40), (-1, 1), (-746, -700), (30, 40)]),
]
SUBNORMAL_BOUND = 0.8
TINY = np.finfo(np.float64).tiny


def _points(regions, seed):
    n = N // (2 * len(regions))
    parts = [whole_range(N // 2, seed)]
    parts += [uniform(n, lo, hi, seed + i) for i, (lo, hi) in enumerate(regions)]
    return np.concatenate(parts)


def _check(got, ref, x, bound):
    err = ulp_errors(got, ref)
    sub = np.abs(got) < TINY
    for mask, b in ((~sub, bound), (sub, SUBNORMAL_BOUND)):
        if mask.any():
            i = int(np.argmax(np.where(mask, err, -1.0)))
            assert err[i] <= b, (float(err[i]), x[i], got[i])


@pytest.mark.parametrize("name,bound,regions", CASES, ids=[c[0] for c in CASES])
def test_ulp_bound(name, bound, regions):
    x = _points(regions, 11)
    _check(_RUN[name](x), _ref(name)(x), x, bound)


def test_ulp_bound_fails_for_a_wrong_function():
    """The measurement itself can fail: exp's result nudged by 2 ulps is out of bounds."""
    x = uniform(10_000, -20, 20, 3)
    got = np.nextafter(np.nextafter(_RUN["exp"](x), np.inf), np.inf)
    assert max_ulp(got, _ref("exp")(x))[0] > 1.0


def test_exp_dd():
    """exp(hi + lo) with lo a tail below an ulp of hi (as pow gives it)."""
    rng = np.random.default_rng(5)
    hi = np.concatenate([uniform(N // 2, -745, 709.7, 5), uniform(N // 2, -20, 20, 6)])
    # 8-bit tails, so that hi + lo is exact in the long double reference's 64 bits
    lo = np.spacing(hi) * rng.integers(-256, 257, hi.shape[0]) / 256
    ref = np.exp(hi.astype(LD) + lo.astype(LD))
    _check(_run_dd(hi, lo), ref, hi, 0.6)
    assert _RUN["exp"](hi).tolist() == _run_dd(hi, np.zeros_like(hi)).tolist()
    special = np.array([np.inf, -np.inf, np.nan, 0.0, 1000.0, -1000.0])
    got = _run_dd(special, np.array([np.nan, np.nan, 0.0, 0.0, np.inf, -np.inf]))
    assert got[0] == np.inf and got[1] == 0.0 and np.isnan(got[2]) and got[3] == 1.0
    assert got[4] == np.inf and got[5] == 0.0


def _bits(a):
    return np.asarray(a, np.float64).view(np.int64).tolist()


EXACT = {
    "exp": [(0.0, 1.0), (-0.0, 1.0), (np.inf, np.inf), (-np.inf, 0.0), (1e300, np.inf),
            (-1e300, 0.0), (709.782712893384, 1.7976931348622732e308), (709.79, np.inf),
            (-745.1332191019411, 5e-324), (-745.1332191019412, 0.0), (-746.0, 0.0),
            (-708.3964185322641, 2.2250738585072626e-308), (5e-324, 1.0), (-5e-324, 1.0)],
    "expm1": [(0.0, 0.0), (-0.0, -0.0), (np.inf, np.inf), (-np.inf, -1.0), (5e-324, 5e-324),
              (-5e-324, -5e-324), (1e-310, 1e-310), (-40.0, -1.0), (-1e300, -1.0),
              (709.782712893384, 1.7976931348622732e308), (709.79, np.inf), (1e300, np.inf)],
    "tanh": [(0.0, 0.0), (-0.0, -0.0), (np.inf, 1.0), (-np.inf, -1.0), (5e-324, 5e-324),
             (-5e-324, -5e-324), (1e-200, 1e-200), (19.1, 1.0), (-19.1, -1.0),
             (1e300, 1.0), (-1e300, -1.0)],
    "sigmoid": [(0.0, 0.5), (-0.0, 0.5), (np.inf, 1.0), (-np.inf, 0.0), (40.0, 1.0),
                (1e300, 1.0), (-1e300, 0.0), (-745.0, 5e-324), (-746.0, 0.0),
                (-740.0, math.exp(-740.0)), (-710.0, math.exp(-710.0))],
}


@pytest.mark.parametrize("name", sorted(EXACT))
def test_special_values(name):
    x, want = map(np.array, zip(*EXACT[name]))
    got = _RUN[name](x)
    assert _bits(got) == _bits(want), [(a, b, c) for a, b, c in zip(x, got, want) if b != c]
    assert np.isnan(_RUN[name](np.array([np.nan, -np.nan]))).all()


def test_exp_thresholds():
    """The last finite result, the first inf; the smallest subnormal result, then 0."""
    big = np.log(np.float64(np.finfo(np.float64).max).astype(LD))    # 709.78271289338...
    x = np.array([float(big)])
    below, above = np.nextafter(x, -np.inf), np.nextafter(x, np.inf)
    assert np.isfinite(_RUN["exp"](below)).all() and np.isinf(_RUN["exp"](above)).all()
    tiny = float(np.log(LD(2) ** -1075))                                # exp(tiny) ~ 2**-1075
    x = np.array([np.nextafter(tiny, 0), tiny, np.nextafter(tiny, -np.inf)])
    want = np.exp(x.astype(LD)).astype(np.float64)
    assert _RUN["exp"](x).tolist() == want.tolist()
    assert sorted(set(want.tolist())) == [0.0, 5e-324]


def test_odd_and_monotone_tanh():
    x = uniform(200_000, 0, 25, 8)
    assert _bits(_RUN["tanh"](-x)) == _bits(-_RUN["tanh"](x))
    xs = np.sort(x)
    assert (np.diff(_RUN["tanh"](xs)) >= 0).all()


def test_int_and_bool_arguments():
    @njit
    def ints(n):
        return vm.exp(n), vm.expm1(n), vm.tanh(n), vm.sigmoid(n)
    for n in (0, 1, -3, 700, -800, True):
        got = ints(n)
        want = (np.exp(float(n)), np.expm1(float(n)), np.tanh(float(n)),
                float(_sigmoid_ref(float(n))))
        for g, w in zip(got, want):
            assert g == pytest.approx(w, rel=3e-16, abs=0), (n, got, want)


@pytest.mark.parametrize("x", [1.5, -2.25, 0.0, -0.0, 800.0, -800.0, 1e-300, np.inf, -np.inf, 3])
def test_plain_python_is_math_then_numpy(x):
    """As plain Python (the interpreter, a module run without Numba): math's answer, and
    NumPy's where math raises (overflow: inf, not OverflowError)."""
    def plain(m, u):
        try:
            return m(x)
        except (ValueError, OverflowError):
            with np.errstate(all="ignore"):
                return float(u(np.float64(x)))
    with np.errstate(all="ignore"):
        assert vm.exp(x) == plain(math.exp, np.exp)
        assert vm.expm1(x) == plain(math.expm1, np.expm1)
        assert vm.tanh(x) == plain(math.tanh, np.tanh)
        t = np.exp(-abs(np.float64(x)))
        assert vm.sigmoid(x) == float((t if x < 0 else 1.0) / (1.0 + t))
    assert math.isnan(vm.exp(float("nan"))) and math.isnan(vm.sigmoid(float("nan")))
    assert vm.sigmoid(-740.0) > 0.0          # no overflow to 0 in exp(740)
    assert math.copysign(1.0, vm.tanh(-0.0)) == -1.0
