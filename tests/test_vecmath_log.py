"""vm.log, vm.log1p, vm.pow: ulp errors against the long-double reference over millions of
points (the whole double range and where the functions are used), special values exactly
(np.power's table for pow), int arguments, vectorisation of the loops, and the plain-Python
names against NumPy."""
import math
import re

import numba
import numpy as np
import pytest

import adcompile.vecmath as vm
from adcompile.vecmath.logfun import _log_dd
from ulp import LD, elementwise, max_ulp, skip_without_packed_fma, uniform, whole_range


@numba.njit
def _pow_loop(x, y, out):
    for i in range(x.size):
        out[i] = vm.pow(x[i], y[i])


@numba.njit
def _log_dd_loop(x, hi, lo):
    for i in range(x.size):
        hi[i], lo[i] = _log_dd(x[i])


@numba.njit
def _int_args(n, a, b, c):
    """log and log1p of an int, pow of two ints and of a float and an int."""
    return vm.log(n), vm.log1p(n), vm.pow(a, b), vm.pow(c, b)


log = elementwise(vm.log)
log1p = elementwise(vm.log1p)


def power(x, y):
    x, y = np.broadcast_arrays(np.asarray(x, np.float64), np.asarray(y, np.float64))
    x, y = x.ravel().copy(), y.ravel().copy()
    out = np.empty_like(x)
    _pow_loop(x, y, out)
    return out


def _ulps(got, ref, *args):
    with np.errstate(all="ignore"):
        e, i = max_ulp(got, ref, np.arange(got.size))
    return e, tuple(float(a[i]) for a in args), float(got[i]), ref[i]


def _bits_between(lo, hi, n, seed):
    """n doubles with bit patterns uniform between those of lo and hi (0 <= lo < hi)."""
    b = np.random.default_rng(seed).integers(np.float64(lo).view(np.int64),
                                             np.float64(hi).view(np.int64), n)
    return b.view(np.float64)


def same(a, b):
    """Equal as doubles, nan equal to nan, and the sign of zero counted."""
    a, b = np.asarray(a, np.float64), np.asarray(b, np.float64)
    return (np.isnan(a) & np.isnan(b)) | ((a == b) & (np.signbit(a) == np.signbit(b)))


# ---------------------------------------------------------------------- log

LOG_BOUND = 0.6         # required: 1 ulp


@pytest.mark.parametrize("name,x", [
    ("whole range", lambda: np.abs(whole_range(3_000_000, seed=1))),
    ("near 1", lambda: uniform(2_000_000, 0.5, 2.0, seed=2)),
    ("very near 1", lambda: 1.0 + uniform(1_000_000, -1e-6, 1e-6, seed=3)),
    ("(0, 100]", lambda: uniform(2_000_000, 1e-300, 100.0, seed=4)),
    ("subnormals", lambda: _bits_between(0.0, 2.2250738585072014e-308, 1_000_000, seed=5)),
    ("around sqrt(2) * 2**k", lambda: np.sqrt(2) * np.exp2(np.arange(-1074, 1024) % 200 - 100.0)
        * (1 + uniform(2098, -1e-12, 1e-12, seed=6))),
])
def test_log_ulp(name, x):
    x = x()
    with np.errstate(all="ignore"):
        ref = np.log(x.astype(LD))
    e = _ulps(log(x), ref, x)
    assert e[0] <= LOG_BOUND, e


def test_log_special_values():
    x = np.array([0.0, -0.0, -1.0, -np.inf, np.nan, -np.nan, np.inf, 1.0, 5e-324, -5e-324,
                  np.finfo(np.float64).max, 2.0, 0.5, 2.2250738585072014e-308])
    got = log(x)
    with np.errstate(all="ignore"):
        want = np.log(x)
    assert same(got, want).all(), (got, want)
    assert got[7] == 0.0 and not np.signbit(got[7])          # log(1) = +0.0
    assert got[8] == np.float64(np.log(LD(5e-324)))           # smallest subnormal, exactly


def test_log_dd_relative_error():
    """pow's double-double log: hi + lo good to 2**-65 relative (checked with mpmath)."""
    mp = pytest.importorskip("mpmath")
    mp.mp.prec = 160
    rng = np.random.default_rng(7)
    x = np.concatenate([np.exp(rng.uniform(-744, 709, 2000)), 1 + rng.uniform(-0.5, 0.5, 2000),
                        1 + rng.uniform(-1e-9, 1e-9, 500),
                        np.sqrt(2) * np.exp2(rng.integers(-8, 8, 1000).astype(float))
                        * (1 + rng.uniform(-1e-4, 1e-4, 1000)),
                        _bits_between(0.0, 2.2250738585072014e-308, 300, seed=8)])
    x = x[(x > 0) & (x != 1.0)]
    hi, lo = np.empty_like(x), np.empty_like(x)
    _log_dd_loop(x, hi, lo)
    assert (np.abs(lo) <= 2.0 ** -16 * np.abs(hi)).all()
    worst = max(abs((mp.mpf(h) + mp.mpf(l)) / mp.log(mp.mpf(v)) - 1) for v, h, l in zip(x, hi, lo))
    assert worst < mp.mpf(2) ** -65, float(mp.log(worst, 2))


# ---------------------------------------------------------------------- log1p

@pytest.mark.parametrize("name,x", [
    ("[-1, 1]", lambda: uniform(3_000_000, -1.0, 1.0, seed=11)),
    ("whole range", lambda: whole_range(3_000_000, seed=12)),
    ("near 0", lambda: uniform(1_000_000, -1e-5, 1e-5, seed=13)),
    ("near -1", lambda: -1.0 + _bits_between(1e-300, 0.5, 1_000_000, seed=14)),
    ("[0, 1e6]", lambda: uniform(1_000_000, 0.0, 1e6, seed=15)),
])
def test_log1p_ulp(name, x):
    x = x()
    with np.errstate(all="ignore"):
        ref = np.log1p(x.astype(LD))
    e = _ulps(log1p(x), ref, x)
    assert e[0] <= LOG_BOUND, e


def test_log1p_special_values():
    tiny = np.array([5e-324, -5e-324, 1e-300, -1e-300, 1e-17, -1e-17, 2.2250738585072014e-308])
    assert same(log1p(tiny), tiny).all()                     # log1p(tiny) = tiny
    x = np.array([0.0, -0.0, -1.0, -1.5, -np.inf, np.inf, np.nan, np.finfo(np.float64).max,
                  -0.9999999999999999, 1.0, 2.0 ** 53, 2.0 ** 1023])
    got = log1p(x)
    with np.errstate(all="ignore"):
        want = np.log1p(x.astype(LD)).astype(np.float64)
    assert same(got, want).all(), (got, want)
    assert np.signbit(got[1]) and not np.signbit(got[0])


# ---------------------------------------------------------------------- pow

POW_BOUND = 2.0


def _pow_cases():
    rng = np.random.default_rng(21)
    n = 1_000_000
    x_wide = np.abs(whole_range(n, seed=22))
    x_wide = x_wide[(x_wide > 0) & np.isfinite(x_wide) & (x_wide != 1.0)]
    with np.errstate(all="ignore"):
        y_wide = rng.uniform(-1, 1, x_wide.size) * 700.0 / np.abs(np.log(x_wide))
    near = 1.0 + rng.uniform(-1e-3, 1e-3, n)
    return [
        ("x in (0, 10], y in [-50, 50]", rng.uniform(0, 10, 2 * n) + 1e-300, rng.uniform(-50, 50, 2 * n)),
        ("x near 1, huge y", near, rng.uniform(-700, 700, n) / np.abs(np.log(near))),
        ("x very near 1, y ~ 2**40", 1.0 + rng.uniform(-1e-12, 1e-12, n), rng.uniform(-2.0 ** 40, 2.0 ** 40, n)),
        ("negative x, integer y", -rng.uniform(0, 10, n), np.round(rng.uniform(-60, 60, n))),
        ("negative x, big integer y", -(1 + rng.uniform(-1e-3, 1e-3, n)), np.round(rng.uniform(-1e5, 1e5, n))),
        ("whole range x, y to the range's end", x_wide, y_wide),
        ("subnormal results", rng.uniform(0.4, 0.6, n), rng.uniform(1000, 1100, n)),
        ("near overflow", rng.uniform(1.5, 3, n), 1024 * np.log(2) / np.log(rng.uniform(1.5, 3, n))),
        ("small integer powers", rng.uniform(-20, 20, n), rng.integers(-30, 30, n).astype(float)),
    ]


@pytest.mark.parametrize("case", range(9))
def test_pow_ulp(case):
    name, x, y = _pow_cases()[case]
    with np.errstate(all="ignore"):
        ref = np.power(x.astype(LD), y.astype(LD))
    e = _ulps(power(x, y), ref, x, y)
    assert e[0] <= POW_BOUND, (name, e)


_SPECIAL = [0.0, -0.0, 1.0, -1.0, 0.5, -0.5, 2.0, -2.0, 3.0, -3.0, 2.5, -2.5, 0.25, 10.0, -10.0,
            np.inf, -np.inf, np.nan, 5e-324, -5e-324, 2.2250738585072014e-308,
            np.finfo(np.float64).max, -np.finfo(np.float64).max, 2.0 ** 52 + 1, -(2.0 ** 52 + 1),
            2.0 ** 53, -(2.0 ** 53), 2.0 ** 53 + 2, 2.0 ** 63, 1e300, -1e300, 1.0000000000000002,
            0.9999999999999999, -1.0000000000000002, 1074.0, -1074.0, 1075.0, 1023.5, -0.9999999999999999,
            7.0, -7.0, 0.1, 1e-300]


def test_pow_special_table():
    """Every pair of the special values exactly as np.power (C99 pow)."""
    s = np.array(_SPECIAL)
    x, y = np.meshgrid(s, s, indexing="ij")
    got = power(x, y)
    with np.errstate(all="ignore"):
        want = np.power(x.ravel(), y.ravel())
        ref = np.power(x.ravel().astype(LD), y.ravel().astype(LD))
    xr, yr = x.ravel(), y.ravel()
    # the defined cases (not near-halfway ones like 0.9999999999999999 ** -1.0000000000000002,
    # where NumPy gives 1.0 and the correctly rounded answer is 1.0000000000000002)
    exact = (~np.isfinite(want) | (want == 0) | ~np.isfinite(ref) | (np.abs(xr) == 1) | (yr == 0)
             | ~np.isfinite(xr) | ~np.isfinite(yr) | (xr == 0))
    bad = exact & ~same(got, want)
    assert not bad.any(), list(zip(x.ravel()[bad], y.ravel()[bad], got[bad], want[bad]))[:10]
    # the finite ones within the bound, and with NumPy's sign
    e = _ulps(got[~exact], ref[~exact], x.ravel()[~exact], y.ravel()[~exact])
    assert e[0] <= POW_BOUND, e
    assert (np.signbit(got) == np.signbit(want))[~np.isnan(want)].all()


def test_pow_thresholds():
    x = np.array([2.0, 2.0, 2.0, 2.0, 10.0, 10.0, -2.0, -2.0, 0.5, -0.5, 2.0, 2.0])
    y = np.array([1024.0, 1023.0, -1074.0, -1075.0, 309.0, -324.0, 1025.0, -1075.0, 1074.0, 1075.0,
                  -1022.0, -1023.0])
    got = power(x, y)
    with np.errstate(all="ignore"):
        want = np.power(x, y)
    assert same(got, want).all(), (got, want)


def test_int_arguments():
    for n in (1, 2, 7, 1000, 2 ** 40):          # an int is its float (the accuracy of the
        got = _int_args(n, 1, 1, 1.0)[:2]         # float one is tested above)
        assert got == _int_args(float(n), 1, 1, 1.0)[:2]
        import mpmath
        mpmath.mp.prec = 120
        for value, ref in zip(got, (mpmath.log(n), mpmath.log(n + 1))):
            assert abs(mpmath.mpf(value) - ref) <= np.spacing(float(ref)), (n, value)
    assert _int_args(0, 1, 1, 1.0)[0] == -np.inf
    assert _int_args(True, True, False, 2.0) == (0.0, np.log(2.0), 1.0, 1.0)     # bools too
    for a, b, c in [(3, 4, 2.5), (2, -2, 4.0), (-3, 3, -0.5), (0, -1, 0.0), (-2, 1075, 1.5)]:
        got = np.array(_int_args(1, a, b, c)[2:])
        with np.errstate(all="ignore"):
            want = np.power(np.array([a, c], LD), LD(b))
        assert _ulps(got, want, got)[0] <= POW_BOUND, (a, b, c, got, want)


def test_plain_python_names_are_math_then_numpy():
    """As plain Python: math's answer (what the interpreter computes), NumPy's where math
    raises (log(0.0): -inf, log(-2.0): nan, 0.0 ** -1.0: inf)."""
    def plain(m, u, *a):
        try:
            r = m(*a)
            if isinstance(r, float):
                return r
        except (ValueError, OverflowError, ZeroDivisionError):
            pass
        return float(u(*[np.float64(x) for x in a]))
    with np.errstate(all="ignore"):
        for v in (0.0, -0.0, 1.5, 1e-310, -2.0, np.inf, np.nan, 7):
            assert same(vm.log(v), plain(math.log, np.log, v))
            assert same(vm.log1p(v), plain(math.log1p, np.log1p, v))
        for a, b in [(2.0, 0.5), (-8.0, 3.0), (-8.0, 1 / 3), (0.0, -1.0), (-0.0, -3.0), (np.nan, 0.0),
                     (1.0, np.nan), (3, 4)]:
            assert same(vm.pow(a, b), plain(math.pow, np.power, a, b))
    assert isinstance(vm.log(2), float) and isinstance(vm.pow(2, 3), float)


@pytest.mark.parametrize("f", [log, log1p], ids=["log", "log1p"])
def test_loops_vectorise(f):
    """The loop's body is packed vector code (ymm or zmm registers), the division included."""
    skip_without_packed_fma()
    f(np.linspace(0.5, 2.0, 64))
    asm = f.loop.inspect_asm(f.loop.signatures[0])
    assert re.search(r"vdivpd\s+%[yz]mm", asm), "no packed division"
    assert re.search(r"vfn?m(add|sub)\d+pd\s+%[yz]mm", asm), "no packed fma"
    assert not re.search(r"call\w*\s+\w*log", asm)
