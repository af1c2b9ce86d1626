"""log, log1p, pow: branch-free, vectorisable implementations.

Method (all three share one reduction):

  x = 2**k * m with m in [sqrt(1/2), sqrt(2)) taken from the bits of x (subnormals are first
  scaled by 2**54, chosen by a select), f = m - 1 (exact), and

      log(x) = k*ln2 + log(1 + f),   log(1 + f) = 2*atanh(s) = 2s + s**3 * V(s**2),
      s = f / (2 + f),  |s| <= 3 - 2*sqrt(2) = 0.1716,  s**2 <= 0.0295,

  where V(z) = 2/3 + 2/5 z + 2/7 z**2 + ... is replaced by a degree-6 polynomial fitted
  (Remez, in 200-bit arithmetic) on [0, 0.02945] to what matters, its share z |dV| / 2 of
  log's relative error (below 2**-58.8: a relative fit needed a degree more). The quotient
  s is carried as s_hi + s_lo: the remainder r = f - s_hi*(2 + f) is one fma (f - 2 s_hi is
  exact by Sterbenz) and s_lo = r/(2 + f) = r (1 - s_hi)/2; the divisor is written m + 1
  (the same double as 2 + f), so the division need not wait for f. ln2 is split so that
  k*ln2_hi is exact, and k*ln2_hi + 2*s_hi is summed without error (Fast2Sum), so the only
  sizeable error of log is its last rounding (0.55 ulp measured).

  log1p(x): u = 1 + x rounded, with its rounding error c = (1 + x) - u (exact two-sum).
  When u is in [sqrt(1/2), sqrt(2)) (k = 0), f = x exactly; otherwise f = m - 1 and
  c' = c 2**-k enters the remainder: s = (f + c')/(2 + f + c') = s_hi + (r + c'(1 - s_hi))/(2 + f)
  to 2**-106. |x| < 2**-54 returns x (keeps -0.0, no underflow). u >= 2**-53 is never
  subnormal, so its reduction skips the subnormal select (which costs log ~15% of its time).

  pow(x, y) = exp(y * log|x|) with log|x| as a double-double good to 2**-67 relatively
  (s**2, s**3 and the first two coefficients of V in double-double as well), its product
  with y (clamped to +-2**64) formed exactly by fma, and exp of the double-double by
  expfun._exp_dd_split. Special cases (zeros, infinities, nan, negative bases with integer or
  non-integer exponents, 1**y and x**0) follow C99 / np.power, chosen by selects after the
  general computation.

Division is bits.fdiv (a bare division: Numba's default error model would put a
ZeroDivisionError branch in the loop); the public names are inlined into their callers as
bind.vectorised describes.
"""
import math

import numpy as np

from .bind import vectorised
from .bits import f2i, fdiv, fma, horner, i2f, inlined
from .expfun import _exp_dd_split


_LN2_HI = 0.6931471805598903        # 42 significant bits: k * _LN2_HI is exact for |k| < 2**11
_LN2_LO = 5.497923018708371e-14
_SQRT_HALF_BITS = 0x3FE6A09E667F3BCD  # bits of sqrt(1/2)
_TWO54 = 18014398509481984.0
_TINY = 2.2250738585072014e-308      # smallest normal double
_INF = float("inf")
_NAN = float("nan")

# V(z) ~ (2 atanh(s) - 2 s) / s**3, z = s**2 in [0, 0.02945]: fitted (Remez, in 200-bit
# arithmetic) to minimise its share of log's relative error, z |V - P(z)| / 2 (the error of
# s**3 P relative to 2 s): below 2**-58.8 with the coefficients rounded to doubles
_V = (0.6666666666666734,
      0.3999999999941432,
      0.2857142874247499,
      0.22222198563476092,
      0.1818356486706799,
      0.15314035826947248,
      0.14796105510224017)

# for the double-double log: V(z) = C0 + C1 z + z**2 Q(z), C0 = 2/3 and C1 = 2/5 as
# double-doubles, Q fitted with relative error 2**-50 (its share of log is below 2**-68)
_C0_HI = 0.6666666666666666
_C0_LO = 3.700743415417188e-17
_C1_HI = 0.4
_C1_LO = -2.2204460492503132e-17
_Q = (0.285714285714286,
      0.22222222222140497,
      0.18181818226155727,
      0.15384606376796967,
      0.13334202942488832,
      0.11721782303387397,
      0.11566727271995748)


@inlined
def _reduce_normal(x):
    """(k, m) with x = 2**k * m, m in [sqrt(1/2), sqrt(2)), for x >= 2**-1022 finite: integer
    operations on the bits of x (other x give garbage the callers replace)."""
    ix = f2i(x)
    k = (ix - _SQRT_HALF_BITS) >> 52
    return k, i2f(ix - (k << 52))


@inlined
def _reduce(x):
    """_reduce_normal for x > 0 finite, subnormals included: those are first scaled by
    2**54 (a select and a multiplication: about 15% of log's time, which log1p, whose
    1 + x is never subnormal, spares)."""
    sub = x < _TINY
    k, m = _reduce_normal(x * (_TWO54 if sub else 1.0))
    return (k - 54 if sub else k), m


@inlined
def _quotient(f, d):
    """s_hi = f / (2 + f) rounded (d is 2 + f, rounded or not: log passes m + 1, which does
    not wait for f) and the remainder r = f - s_hi (2 + f), to 2**-53 of itself: f - 2 s_hi
    is exact (2 s_hi / f = 2 / (2 + f) is in [1/2, 2], Sterbenz), so one fma gives r;
    s = s_hi + s_lo with 2 s_lo = r (1 - s_hi), since 1/(2 + f) = (1 - s)/2."""
    sh = fdiv(f, d)
    r = fma(-sh, f, f - 2.0 * sh)
    return sh, r


@inlined
def _log_sum(k, sh, r):
    """k ln2 + 2 atanh(s_hi + s_lo), 2 s_lo = r (1 - s_hi), rounded once (plus ~2**-58)."""
    z = sh * sh
    v = horner(z, _V)
    t = fma(sh * z, v, r)      # s**3 V + r
    kf = float(k)
    a = kf * _LN2_HI
    b = 2.0 * sh
    # Fast2Sum: |a| = |k| ln2 >= 0.69 > 0.35 >= |b| unless k = 0 (then exact anyway)
    hi = a + b
    e = b - (hi - a)
    lo = e + fma(kf, _LN2_LO, fma(-r, sh, t))     # 2 s_lo = r (1 - s_hi)
    return hi + lo


def _log(x):
    x = x * 1.0                 # ints and bools to float (float() refuses bool; -0.0 kept)
    k, m = _reduce(x)
    sh, r = _quotient(m - 1.0, m + 1.0)
    r = _log_sum(k, sh, r)
    pos = x > 0.0
    sv = x if pos else _NAN               # log(inf) = inf; x < 0 and nan give nan
    sv = -_INF if x == 0.0 else sv
    return r if pos & (x < _INF) else sv


def _log1p(x):
    x = x * 1.0                 # ints and bools to float (float() refuses bool; -0.0 kept)
    u = 1.0 + x
    # Fast2Sum with the larger operand first (x >= -1 where it matters): u + c = 1 + x
    big = x if x > 1.0 else 1.0
    small = 1.0 if x > 1.0 else x
    c = (big - u) + small
    k, m = _reduce_normal(u)             # u >= 2**-53 wherever the result is used
    # 1 + x = 2**k (1 + f + c'), f = x and c' = 0 when k = 0, else f = m - 1 and
    # c' = c 2**-k (c = 0 when k < 0: 1 + x is exact there);
    # s = (f + c') / (2 + f + c') = s_hi + (r + c' (1 - s_hi)) (1 - s_hi) / 2 (to 2**-106)
    k0 = k == 0
    kc = min(k, 1023)
    cs = 0.0 if k0 else c * i2f((1023 - kc) << 52)
    f = x if k0 else m - 1.0
    sh, r = _quotient(f, 2.0 + f)
    r = _log_sum(k, sh, fma(cs, 1.0 - sh, r))
    gt = x > -1.0
    sv = x if gt else _NAN                # log1p(inf) = inf, log1p(tiny) = tiny; nan
    sv = -_INF if x == -1.0 else sv
    ok = gt & (x < _INF) & (abs(x) >= 5.551115123125783e-17)     # 2**-54
    return r if ok else sv


@inlined
def _log_dd(x):
    """log(x) as hi + lo, relative error about 2**-67, for x > 0 finite; hi is log(x) to
    2**-18 (lo holds k ln2_lo and z**2 Q(z) s**3 as well as the rounding errors)."""
    k, m = _reduce(x)
    sh, r = _quotient(m - 1.0, m + 1.0)
    sl2 = fma(-r, sh, r)                                   # 2 s_lo = r (1 - s_hi)
    # z = s**2 and s**3 as double-doubles
    z = sh * sh
    zl = fma(sh, sl2, fma(sh, sh, -z))
    s3 = z * sh
    s3l = fma(zl, sh, fma(0.5 * z, sl2, fma(z, sh, -s3)))
    # V = C0 + C1 z + z**2 Q(z) as a double-double
    q = horner(z, _Q)
    p = _C1_HI * z
    vh = _C0_HI + p
    ve = (_C0_HI - vh) + p + fma(_C1_HI, z, -p)
    vl = fma(z * z, q, fma(_C1_HI, zl, fma(_C1_LO, z, ve + _C0_LO)))
    # t = s**3 V
    th = s3 * vh
    tl = fma(s3, vl, fma(s3l, vh, fma(s3, vh, -th)))
    # k ln2 + 2 s + t
    b = 2.0 * sh
    a2 = b + th
    ae = (b - a2) + th
    kf = float(k)
    a = kf * _LN2_HI
    hi = a + a2                 # Fast2Sum: |a| >= 0.69 > |a2| unless k = 0
    he = a2 - (hi - a)
    lo = he + (ae + fma(kf, _LN2_LO, sl2 + tl))
    return hi, lo               # |lo| < 2**-18 |hi|: not renormalised (pow does it)


def _pow(x, y):
    x = x * 1.0                 # ints and bools to float (float() refuses bool; -0.0 kept)
    y = y * 1.0
    ax = abs(x)
    ay = abs(y)
    lh, ll = _log_dd(ax)
    # |y| clamped to 2**64: y log|x| then never overflows, and |y log|x|| >= 2**64 * 2**-53
    # still overflows or underflows exp (y = +-inf included)
    yc = 1.8446744073709552e19 if y > 1.8446744073709552e19 else y
    yc = -1.8446744073709552e19 if y < -1.8446744073709552e19 else yc
    p = yc * lh
    pe = fma(yc, ll, fma(yc, lh, -p))
    ph = p + pe
    pl = (p - ph) + pe        # (|ph| > 710: exp clamps ph and drops pl, however big)
    r = _exp_dd_split(ph, pl)
    # zeros and infinities of x: 0 or inf (x = -1 with y = +-inf needs nothing: y is
    # clamped, and 2**64 * log(1) = 0)
    ext = (ax == 0.0) | (ax == _INF)
    r = (_INF if (ax > 1.0) == (y > 0.0) else 0.0) if ext else r
    # integer and odd y (all |y| >= 2**53 are even integers)
    yb = ay if ay < 9007199254740992.0 else 9007199254740992.0   # nan -> 2**53 too
    yi = int(yb)
    odd = (float(yi) == yb) & ((yi & 1) == 1)
    r = -r if (f2i(x) < 0) & odd else r
    nan = (x != x) | (y != y) | ((x < 0.0) & (x > -_INF) & (float(yi) != yb))
    r = _NAN if nan else r
    return 1.0 if (y == 0.0) | (x == 1.0) else r


log = vectorised(math.log, np.log, _log)
log1p = vectorised(math.log1p, np.log1p, _log1p)
pow = vectorised(math.pow, np.power, _pow, nargs=2)
