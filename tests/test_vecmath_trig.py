"""vecmath.sin and vecmath.cos against the long-double reference (C sinl/cosl through NumPy),
in ulps: the whole double range, densely where they are used ([-10, 10], [-1000, 1000]),
next to multiples of pi/2 (where the reduction cancels), at the doubles closest to a multiple
of pi/2 in every binade (continued fractions of 2**e * 2/pi), and the special values."""
from __future__ import annotations

import math
import re
from fractions import Fraction

import numba
import numpy as np
import pytest

from adcompile import vecmath as vm
from ulp import (LD, elementwise, max_ulp, skip_without_packed_fma, ulp_errors, uniform,
                 whole_range)

BOUND = 2.0          # the contract
AIM = 0.75           # what the tests hold it to: measured < 0.65 everywhere


LOOPS = {"sin": (elementwise(vm.sin), np.sin), "cos": (elementwise(vm.cos), np.cos)}


def run(name, x):
    return LOOPS[name][0](x)


def reference(name, x):
    with np.errstate(all="ignore"):
        return LOOPS[name][1](np.asarray(x, np.float64).astype(LD))


def check(name, x, bound=AIM):
    got = run(name, x)
    err, at = max_ulp(got, reference(name, x), x)
    assert err <= bound, f"{name}: {err:.3f} ulp at x = {at!r}"
    return err


# ---- the arguments -----------------------------------------------------------------------

def near_half_pi_multiples(kmax=1_000_000):
    """The doubles at and next to k * pi/2 (k * pi/2 rounded), k = 1 .. kmax, both signs."""
    k = np.arange(1, kmax + 1, dtype=np.float64)
    x = k * (np.pi / 2)
    return np.concatenate([x, np.nextafter(x, 0), np.nextafter(x, np.inf), -x])


def _pi(bits):
    """floor(pi * 2**bits), from Gauss's arctan formula (the module uses Machin's)."""
    guard = 40
    one = 1 << (bits + guard)

    def arctan_inv(m):
        total, term, n, sign = 0, one // m, 1, 1
        while term:
            total += sign * (term // n)
            term //= m * m
            n += 2
            sign = -sign
        return total
    pi = 48 * arctan_inv(18) + 32 * arctan_inv(57) - 20 * arctan_inv(239)
    return pi >> guard


def hardest_reductions(emin=-2, emax=1023):
    """In each binade 2**e, the doubles x = q * 2**(e-52) (q < 2**53) whose x * 2/pi is
    closest to an integer: q runs over the continued-fraction denominators of
    frac(2**(e-52) * 2/pi). Includes the worst case of all doubles (|x - k pi/2| ~ 2**-61
    at 6381956970095103 * 2**797), where a reduction short of ~120 bits of 2/pi fails."""
    prec = 1500
    two_over_pi = Fraction((2 << (2 * prec)) // _pi(prec), 1 << prec)
    out = []
    for e in range(emin, emax + 1):
        alpha = (two_over_pi * Fraction(2) ** (e - 52)) % 1
        num, den = alpha.numerator, alpha.denominator
        k2, k1, qs = 1, 0, []               # convergent denominators
        while den:
            a = num // den
            num, den = den, num - a * den
            k2, k1 = k1, a * k1 + k2
            if k1 >= 2**53:
                break
            qs.append(k1)
        for q in qs[-3:]:
            out.append(math.ldexp(float(q), e - 52))
    x = np.array(out)
    x = x[np.isfinite(x)]
    return np.concatenate([x, -x, np.nextafter(x, 0), np.nextafter(x, np.inf)])


SPECIAL_LARGE = np.array([1e22, 1e300, 2.0**1023, np.finfo(np.float64).max, 2.0**30,
                          np.nextafter(2.0**30, 0), 2.0**52, 2.0**53, 2.0**54, 2.0**60, 1e15,
                          6381956970095103 * 2.0**797, 355.0, 103993.0, 1.0e10, 1e-300])


# ---- accuracy ----------------------------------------------------------------------------

@pytest.mark.parametrize("name", ["sin", "cos"])
def test_whole_range(name):
    check(name, whole_range(2_000_000, seed=11))


@pytest.mark.parametrize("name", ["sin", "cos"])
def test_dense_where_used(name):
    x = np.concatenate([uniform(1_000_000, -10, 10, seed=1),
                        uniform(500_000, -1000, 1000, seed=2),
                        uniform(250_000, -2.0**31, 2.0**31, seed=3),     # both reductions
                        uniform(250_000, -1e-3, 1e-3, seed=4)])
    check(name, x)


@pytest.mark.parametrize("name", ["sin", "cos"])
def test_near_multiples_of_half_pi(name):
    check(name, near_half_pi_multiples())


@pytest.mark.parametrize("name", ["sin", "cos"])
def test_hardest_reductions_every_binade(name):
    x = hardest_reductions()
    assert 6381956970095103 * 2.0**797 in x
    check(name, x)


@pytest.mark.parametrize("name", ["sin", "cos"])
def test_huge_arguments(name):
    got = run(name, SPECIAL_LARGE)
    err = ulp_errors(got, reference(name, SPECIAL_LARGE))
    assert err.max() <= AIM, dict(zip(SPECIAL_LARGE[err > AIM], err[err > AIM]))


def test_reference_is_right_for_huge_arguments():
    """The long-double reference itself, at points where a weak reduction goes wrong:
    sin(1e22) and cos(1e22) to 17 digits (well-known values)."""
    assert float(np.sin(LD(1e22))) == -0.8522008497671888
    assert float(np.cos(LD(1e22))) == 0.523214785395139
    assert run("sin", np.array([1e22]))[0] == -0.8522008497671888
    assert run("cos", np.array([1e22]))[0] == 0.523214785395139


def test_ulp_check_can_fail():
    """The same measurement rejects a result 3 ulps off, and a reduction by one double
    pi/2 next to multiples of pi/2 (what the near-multiples test guards against)."""
    x = uniform(10_000, -10, 10, seed=5)
    off = run("sin", x)
    for _ in range(3):
        off = np.nextafter(off, np.inf)
    assert max_ulp(off, reference("sin", x))[0] > BOUND
    x = near_half_pi_multiples(10_000)
    crude = np.sin(x - np.round(x * (2 / np.pi)) * (np.pi / 2))
    crude = np.where(np.round(x * (2 / np.pi)) % 2 == 0, 1, -1) * crude
    assert max_ulp(crude, reference("sin", x))[0] > 1000


# ---- special values ----------------------------------------------------------------------

def _same(a, b):
    a, b = np.asarray(a), np.asarray(b)
    return np.array_equal(np.isnan(a), np.isnan(b)) and np.array_equal(
        a[~np.isnan(a)].view(np.int64), b[~np.isnan(b)].view(np.int64))


def test_special_values_exact():
    tiny = np.array([0.0, -0.0, 5e-324, -5e-324, 2.2250738585072014e-308,
                     -2.2250738585072014e-308, 1e-300, -1e-20, 1e-10, 2.0**-28, -2.0**-27])
    assert _same(run("sin", tiny), tiny)                       # sin(x) = x, signed zeros
    assert _same(run("cos", tiny), np.ones_like(tiny))
    bad = np.array([np.inf, -np.inf, np.nan, -np.nan])
    assert np.isnan(run("sin", bad)).all() and np.isnan(run("cos", bad)).all()
    assert run("sin", np.array([-0.0]))[0] == 0.0 and math.copysign(1, run("sin", np.array([-0.0]))[0]) == -1


def test_odd_and_even():
    x = np.concatenate([whole_range(200_000, seed=7), uniform(200_000, -100, 100, seed=8)])
    x = x[np.isfinite(x)]
    assert _same(run("sin", -x), -run("sin", x))
    assert _same(run("cos", -x), run("cos", x))


def test_results_in_range():
    x = whole_range(500_000, seed=9)
    x = x[np.isfinite(x)]
    for name in ("sin", "cos"):
        y = run(name, x)
        assert np.all(np.abs(y) <= 1.0)


# ---- ints, plain Python, vectorisation ---------------------------------------------------

@numba.njit
def _int_arguments(a, b, c):
    return vm.sin(a), vm.cos(b), vm.sin(c), vm.cos(c)


def test_int_arguments():
    """int64, int32 and bool arguments (one compilation: each call inlines the body)."""
    got = np.array(_int_arguments(10**15, np.int32(-7), True))
    x = np.array([1e15, -7.0, 1.0, 1.0])
    ref = np.concatenate([np.sin(x[:1].astype(LD)), np.cos(x[1:2].astype(LD)),
                          np.sin(x[2:3].astype(LD)), np.cos(x[3:].astype(LD))])
    assert ulp_errors(got, ref).max() <= AIM
    assert _int_arguments(0, np.int32(0), False) == (0.0, 1.0, 0.0, 1.0)


@pytest.mark.parametrize("v", [1.5, -0.0, 0.0, 3, 1e22, 1e300, np.inf, np.nan, -2.5e-310])
def test_plain_python_is_math_then_numpy(v):
    """As plain Python: math's answer, NumPy's where math raises (sin(inf): nan)."""
    def plain(m, u):
        try:
            return m(v)
        except ValueError:
            with np.errstate(invalid="ignore"):
                return float(u(np.float64(v)))
    assert _same(vm.sin(v), plain(math.sin, np.sin))
    assert _same(vm.cos(v), plain(math.cos, np.cos))
    assert isinstance(vm.sin(v), float)


def test_loop_vectorises():
    skip_without_packed_fma()
    run("sin", np.ones(64))
    run("cos", np.ones(64))
    for loop in (LOOPS["sin"][0].loop, LOOPS["cos"][0].loop):
        asm = loop.inspect_asm(loop.signatures[0])
        assert re.search(r"vfn?m(add|sub)\d+pd\s+[^\n]*%[yz]mm", asm), "no packed fma"
        assert re.search(r"vmulpd\s+[^\n]*%[yz]mm", asm), "no packed multiply"


@numba.njit(fastmath=True)
def _sin_fastmath(x, out):
    for i in range(x.size):
        out[i] = vm.sin(x[i])


def test_fastmath_caller_keeps_the_body_exact():
    """A fastmath caller (finite arguments, as fastmath assumes) gets the same results:
    the body is compiled without the caller's fastmath flags (its TwoSums would fold away,
    and Numba would cache that body for the callers after it)."""
    x = np.concatenate([near_half_pi_multiples(100_000), hardest_reductions(-2, 200),
                        uniform(100_000, -10, 10, seed=6)])
    out = np.empty_like(x)
    _sin_fastmath(x, out)
    err, at = max_ulp(out, reference("sin", x), x)
    assert err <= AIM, f"{err} ulp at {at!r}"
    assert _same(out, run("sin", x))
