"""exp, expm1, tanh, sigmoid: branch-free, so LLVM vectorises the loops calling them.

One core, `_exp_core(hi, lo)`, reduces an argument hi + lo (|lo| a tail of hi) by Cody-Waite:
hi + lo = k ln2 + r + rl, with k = round(hi / ln2) (the 1.5 * 2**52 shifter trick: k also
read off the shifted double's bits), r = hi - k L1 exact (one fma, L1 = ln2 rounded to a
double) and rl = lo - k L2 (L2 = ln2 - L1) its tail, |r| <= ln2 / 2. On that interval

    exp(r) - 1 = r + r**2 / 2 + r**3 P(r),

P a degree-9 polynomial (Chebyshev fit of (e**r - 1 - r - r**2/2) / r**3, absolute error of
r**3 P below 2**-60). exp(r + rl) comes back unevaluated as s + tail, s = 1 + r rounded and
tail small (its rounding errors are far below an ulp of the result); 2**k is two factors
2**(k//2) and 2**(k - k//2) built from their exponent bits (`i2f`), the first product exact,
the second rounding once: correct overflow to inf and gradual underflow (results below
2**-1022 are rounded twice, to 53 bits and then to their fewer bits: < 0.8 ulp there;
rounding them once costs an exact sum with 2**-1022 in every call, ~25% of exp's time).
Past the thresholds the argument is clamped (to [-746, 710]: exp(-746) rounds to 0 and
2**1024 * 0.9 to inf). NaN goes through every step (the clamps are written
`c if x > c else x`, false for NaN). pow's core (`_exp_dd_split`) evaluates P as two Horner
chains in r**2, the same polynomial with half the dependency chain.

expm1 keeps exp(r) - 1 = e as e_hi + e_tail (the r**2/2 term added error-free) and returns
2 * ((2**(k-1) - 1/2) + 2**(k-1) e), the error of the subtraction kept (it is exact for
|k| < 54); k = 0 leaves e itself, so there is no cancellation near 0. tanh(|x|) = E / (E + 2)
= (E/2) / (E/2 + 1) with E = expm1(2|x|) as a double-double and one division corrected by
its fma residual; sigmoid is 1 / (1 + t) (x >= 0) or t / (1 + t) (x < 0) with
t = exp(-|x|) as a double-double, the same corrected division (so no overflow for large
negative x: the result is exp(x), down to its subnormals, then 0).

Measured errors (tests/test_vecmath_exp.py, against x87 long double, results >= 2**-1022):
exp and _exp_dd < 0.6 ulp, expm1 < 0.6 ulp, tanh < 0.55 ulp, sigmoid < 0.6 ulp.
"""
import math

import numpy as np

from .bind import vectorised
from .bits import f2i, fdiv, fma, horner, i2f, inlined

_INVLN2 = 1.4426950408889634        # 1 / ln2
_L1 = 0.6931471805599453            # ln2 rounded to a double
_L2 = 2.3190468138462996e-17        # ln2 - _L1
_SHIFT = 6755399441055744.0         # 1.5 * 2**52: adding it rounds to an integer
_SHIFT_BITS = 0x4338000000000000    # its bits: bits(_SHIFT + k) = _SHIFT_BITS + k
_BIAS = 1023

# (e**r - 1 - r - r**2/2) / r**3 on |r| <= ln2/2, lowest degree first
_P = (0.16666666666666669,
      0.041666666666666664,
      0.008333333333330065,
      0.0013888888888886554,
      0.00019841269863040545,
      2.4801587317135164e-05,
      2.755726848030982e-06,
      2.755728298405573e-07,
      2.510037583265786e-08,
      2.0911229729827565e-09)

_P_EVEN = _P[0::2]
_P_ODD = _P[1::2]

_TWO_M60 = 2.0 ** -60


@inlined
def _poly(r):
    return horner(r, _P)


@inlined
def _poly_split(r):
    """The same polynomial as two Horner chains in r**2 (even and odd coefficients), half
    the dependency chain for one more multiplication: for pow, whose loop body is long
    enough for the chain's latency to show (4% of its time); exp keeps _poly."""
    r2 = r * r
    return fma(r, horner(r2, _P_ODD), horner(r2, _P_EVEN))


@inlined
def _reduce(x, lo):
    """k (an int64), r, rl with x + lo = k ln2 + r + rl, r exact, |r| <= ln2/2."""
    t = fma(x, _INVLN2, _SHIFT)
    kd = t - _SHIFT
    k = f2i(t) - _SHIFT_BITS
    r = fma(kd, -_L1, x)
    rl = fma(kd, -_L2, lo)
    return k, r, rl


def _exp_core_with(poly):
    @inlined
    def _exp_core(hi, lo):
        """exp(hi + lo) = (s + tail) * sc1 * sc, the first product exact."""
        x = 710.0 if hi > 710.0 else hi
        x = -746.0 if x < -746.0 else x
        lo = lo if x == hi else 0.0
        k, r, rl = _reduce(x, lo)
        r2 = r * r
        w = fma(r, poly(r), 0.5)               # exp(r) = 1 + r + r2 w
        s = 1.0 + r
        err = (1.0 - s) + r                     # s + err = 1 + r exactly
        e = fma(r2, w, s)                       # exp(r), for the tail's rl exp(r)
        tail = fma(r2, w, fma(rl, e, err))      # exp(r + rl) = s + tail
        k1 = k >> 1
        sc1 = i2f((k1 + _BIAS) << 52)
        sc = i2f((k - k1 + _BIAS) << 52)        # 2**k = sc1 * sc
        return s, tail, sc1, sc
    return _exp_core


_exp_core = _exp_core_with(_poly)


@inlined
def _exp_dd(hi, lo):
    """exp(hi + lo) for |lo| <= ulp(hi)."""
    s, tail, sc1, sc = _exp_core(hi, lo)
    return ((s + tail) * sc1) * sc


_exp_core_split = _exp_core_with(_poly_split)


@inlined
def _exp_dd_split(hi, lo):
    """_exp_dd with _poly_split (pow's)."""
    s, tail, sc1, sc = _exp_core_split(hi, lo)
    return ((s + tail) * sc1) * sc


def _exp(x):
    x = x * 1.0                             # ints and bools too; -0.0 kept
    return _exp_dd(x, 0.0)


@inlined
def _expm1_dd(x, nonneg):
    """expm1(x) / 2 = hi + lo (|lo| <= ulp(hi) / 2), for x not tiny; `nonneg` (a constant)
    when x >= 0 is known, which spares a select."""
    x = 710.0 if x > 710.0 else x
    x = -60.0 if x < -60.0 else x
    k, r, rl = _reduce(x, 0.0)
    r2 = r * r
    r2e = fma(r, r, -r2)                    # r2 + r2e = r**2 exactly
    hr2 = 0.5 * r2
    eh = r + hr2
    el = (r - eh) + hr2                     # eh + el = r + r2/2 exactly (|r| >= r2/2)
    t0 = el + fma(r2 * r, _poly(r), 0.5 * r2e)
    tail = fma(rl, 1.0 + (eh + t0), t0)     # e = exp(r + rl) - 1 = eh + tail
    h = i2f((k - 1 + _BIAS) << 52)          # 2**(k-1): k <= 1024
    a = h - 0.5                             # rounded when |k| >= 54: its error is aerr
    b = h * eh
    # a + aerr = h - 1/2 exactly (Fast2Sum, the larger of h and 1/2 first)
    aerr = ((h - a) - 0.5) if nonneg or k > 0 else ((-0.5 - a) + h)
    s = a + b
    t = (a - s) + b                         # |a| >= |b| or a = 0
    lo = fma(h, tail, t + aerr)
    y = s + lo
    return y, (s - y) + lo


def _expm1(x):
    x = x * 1.0                             # ints and bools too; -0.0 kept
    y, _ = _expm1_dd(x, False)
    return x if abs(x) < _TWO_M60 else 2.0 * y


@inlined
def _div_dd(nh, nl, dh, dl):
    """(nh + nl) / (dh + dl), one division and its fma residual."""
    rcp = fdiv(1.0, dh)
    q = nh * rcp
    res = fma(-q, dh, nh) + fma(-q, dl, nl)
    return fma(res, rcp, q)


def _tanh(x):
    x = x * 1.0                             # ints and bools too; -0.0 kept
    ax = abs(x)
    ax = 20.0 if ax > 20.0 else ax          # tanh(20) rounds to 1
    eh, el = _expm1_dd(2.0 * ax, True)      # E / 2
    big = max(eh, 1.0)
    small = min(eh, 1.0)
    dh = big + small
    dl = ((big - dh) + small) + el          # dh + dl = E / 2 + 1
    y = _div_dd(eh, el, dh, dl)
    return math.copysign(y, x)             # tiny x: E = 2x exactly, y = x; -0.0 kept


def _sigmoid(x):
    x = x * 1.0                             # ints and bools too; -0.0 kept
    s, tail, sc1, sc = _exp_core(-abs(x), 0.0)
    m = s + tail
    th = (m * sc1) * sc                     # t = exp(-|x|) = th + tl
    tl = (((s - m) + tail) * sc1) * sc
    tl = tl if th > 1e-290 else 0.0         # else tl would be rounded to the subnormal grid
    dh = 1.0 + th
    dl = ((1.0 - dh) + th) + tl             # dh + dl = 1 + t, t <= 1
    neg = x < 0.0
    return _div_dd(th if neg else 1.0, tl if neg else 0.0, dh, dl)


def _sigmoid_numpy(x):
    """1 / (1 + exp(-x)) without overflow: exp(x) / (1 + exp(x)) for x < 0."""
    t = np.exp(-np.abs(x))
    return np.where(x < 0, t, 1.0) / (1.0 + t)


exp = vectorised(math.exp, np.exp, _exp)
expm1 = vectorised(math.expm1, np.expm1, _expm1)
tanh = vectorised(math.tanh, np.tanh, _tanh)
sigmoid = vectorised(_sigmoid_numpy, _sigmoid_numpy, _sigmoid)
