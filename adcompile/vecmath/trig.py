"""sin, cos: branch-free, vectorisable, over the whole double range (< 0.65 ulp measured).

One argument reduction serves both: x = q * pi/2 + r, |r| <= pi/4 (a hair more), r as a
double-double (hi, lo), q mod 4. Two reductions are computed for every lane and one is
selected, so the loop body has no branch (LLVM vectorises it):

* Cody-Waite for |x| < 2**30: k = round(x * 2/pi) (the 1.5 * 2**52 trick), pi/2 split into
  three doubles C1 + C2 + C3 (159 bits). x - k*C1 is exact in one fma (|result| < 1 lies on
  the 2**-52 grid shared by x and k*C1), k*C2 is split exactly by an fma and subtracted with
  TwoSum, k*C3 goes into the low word. The error grows like |k| * 2**-160 (k*C3's rounding,
  the unused tail of pi/2); below 2**30 it is under 2**-127 absolute, against a remainder
  never below ~2**-61 for any double (the closest a double comes to a multiple of pi/2):
  r keeps ~2**-66 relative accuracy. (The tests still pass with the switch at 2**40; past
  ~2**45 the margin is gone. Where it switches costs nothing: both reductions run on every
  lane, so 2**30 keeps a wide margin.)

* Payne-Hanek for |x| >= 2**30 (up to DBL_MAX): with x = y * 2**i0, i0 = e - 54 (e the
  exponent of x), y in [2**54, 2**55) (an exact scaling), the bits of 2/pi at positions
  <= i0 only add multiples of 4 to x * 2/pi. The next 192 bits are four 48-bit integers
  W0..W3 (as doubles) read from one table by the bit position (four gathers); y * W_k *
  2**(-48(k+1)) is split exactly into two doubles with an fma. The integer parts (quadrant
  mod 4) are taken off exactly with floor, the fractional parts above 2**-46 are summed
  exactly on that grid, the finer parts as a double-double, so the fraction of
  x * 2/pi is known to ~2**-136 absolute; times pi/2 (double-double) it is r.

Then sin(r) = r + r**3 S(r**2) + lo (1 - r**2/2) (r**3 as a double-double, its leading term
r**3 * S1 rounded once by an fma), cos(r) = 1 - r**2/2 + r**4 C(r**2) - r lo (1 - r**2/2
compensated with exact r**2 and a Fast2Sum), minimax polynomials (relative error
2**-68 and 2**-64 on |r| <= pi/4), both evaluated, then chosen and signed by q (q + 1 for cos).
sin(+-0) = +-0, sin(tiny) = tiny, cos(tiny) = 1, inf and NaN give NaN.
"""
import math
from fractions import Fraction

import numpy as np

from .bind import vectorised
from .bits import f2i, fma, horner, i2f, inlined


def _pi_scaled(bits):
    """floor(pi * 2**bits), from Machin's formula in integers (exact to the last bit for
    the sizes used here: 40 guard bits)."""
    guard = 40
    one = 1 << (bits + guard)

    def arctan_inv(m):
        total, term, n, sign = 0, one // m, 1, 1
        m2 = m * m
        while term:
            total += sign * (term // n)
            term //= m2
            n += 2
            sign = -sign
        return total
    pi = 4 * (4 * arctan_inv(5) - arctan_inv(239))
    return pi >> guard


_PREC = 1400
_PI = Fraction(_pi_scaled(_PREC), 1 << _PREC)   # pi to 2**-1400 (less a few ulps)
_PIO2 = _PI / 2

# pi/2 = C1 + C2 + C3 (+ ~2**-161), each the nearest double to what is left
_C1 = float(_PIO2)
_C2 = float(_PIO2 - Fraction(_C1))
_C3 = float(_PIO2 - Fraction(_C1) - Fraction(_C2))
_PIO2_HI, _PIO2_LO = _C1, _C2
_INV_PIO2 = float(1 / _PIO2)

# Bits of 2/pi after the binary point, b_1 b_2 ...: _TWO_OVER_PI_INT = floor(2/pi * 2**_NB)
_NB = 1300
_TWO_OVER_PI_INT = (2 << (_PREC + _NB)) // _pi_scaled(_PREC)
_PAD = 24               # positions i0 go down to 30 - 54 = -24 (bits there are 0: 2/pi < 1)
_W = 48                 # bits per table entry


def _window(j):
    """The 48-bit integer b_{j+1} .. b_{j+48} (bits at positions <= 0 are zero)."""
    lo = j + 1
    hi = j + _W
    if hi <= 0:
        return 0
    shift = _NB - hi
    return (_TWO_OVER_PI_INT >> shift) & ((1 << _W) - 1) if lo > 0 else \
        (_TWO_OVER_PI_INT >> shift) & ((1 << hi) - 1)


# entry idx = i0 + _PAD holds the window starting after bit i0; i0 <= 1023 - 54
_TABLE = np.array([float(_window(j - _PAD)) for j in range(1023 - 54 + _PAD + 3 * _W + 1)],
                  dtype=np.float64)
assert _NB > 1023 - 54 + 4 * _W + 8

_SHIFT = 6755399441055744.0      # 1.5 * 2**52: t + _SHIFT - _SHIFT rounds t to an integer
_GRID46 = 96.0                   # 1.5 * 2**6: (f + _GRID46) - _GRID46 rounds f to 2**-46
_P48, _P96, _P144, _P192 = 2.0**-48, 2.0**-96, 2.0**-144, 2.0**-192
_BIG = 1073741824.0              # 2**30: Payne-Hanek from here
_DBL_MAX = 1.7976931348623157e308
_TINY = 3.725290298461914e-09    # 2**-28: sin(x) = x, cos(x) = 1 below it (x**2/6 < 2**-57)

# sin(r) = r + r**3 * S(r**2), |r| <= pi/4: relative error 2**-68.8 (minimax fit, mpmath)
_S1 = -0.16666666666666666
_S2 = 0.008333333333333323
_S3 = -0.0001984126984125512
_S4 = 2.7557319214218997e-06
_S5 = -2.5052104919195564e-08
_S6 = 1.6058367616678725e-10
_S7 = -7.578747844857619e-13
# cos(r) = 1 - r**2/2 + r**4 * C(r**2): error 2**-64.2 (absolute, cos >= 0.7)
_K1 = 0.0416666666666666
_K2 = -0.0013888888888874123
_K3 = 2.4801587289481347e-05
_K4 = -2.755731435211274e-07
_K5 = 2.0875723245687444e-09
_K6 = -1.1359646476953995e-11
_S_HIGH = (_S2, _S3, _S4, _S5, _S6, _S7)   # S's terms after the first
_K = (_K1, _K2, _K3, _K4, _K5, _K6)


@inlined
def _reduce(x):
    """(q, hi, lo): x = q * pi/2 + hi + lo (mod 2 pi), q an int64 of which only q mod 4
    counts, |hi + lo| <= pi/4 (a hair more), hi + lo a normalised double-double."""
    ax = abs(x)
    # Cody-Waite (|x| < 2**30)
    t = x * _INV_PIO2 + _SHIFT
    k = t - _SHIFT
    qc = f2i(t)
    r1 = fma(-k, _C1, x)
    p2 = k * _C2
    e2 = fma(k, _C2, -p2)
    h = r1 - p2
    bb = h - r1
    err = (r1 - (h - bb)) - (p2 + bb)
    lo = err - e2 - k * _C3
    hc = h + lo
    lc = lo - (hc - h)

    # Payne-Hanek (|x| >= 2**30), on a finite stand-in for the other lanes
    big = ax >= _BIG
    xs = ax if (big & (ax <= _DBL_MAX)) else _BIG
    i0 = (f2i(xs) >> 52) - 1023 - 54
    y = xs * i2f((1023 - i0) << 52)                  # [2**54, 2**55), exact
    idx = i0 + _PAD
    c0 = _TABLE[idx] * _P48
    c1 = _TABLE[idx + 48] * _P96
    c2 = _TABLE[idx + 96] * _P144
    c3 = _TABLE[idx + 144] * _P192
    h0 = y * c0
    l0 = fma(y, c0, -h0)          # h0 + l0 = y * c0 exactly; multiples of 2**-46
    h1 = y * c1
    l1 = fma(y, c1, -h1)          # multiples of 2**-94, |h1| < 2**7
    h2 = y * c2                   # < 2**-41
    l2 = fma(y, c2, -h2)
    h3 = y * c3                   # < 2**-89
    n0 = np.floor(h0)
    f0 = h0 - n0
    n0 = n0 - 4.0 * np.floor(n0 * 0.25)  # mod 4, exact
    nl = np.floor(l0)
    fl = l0 - nl
    n1 = np.floor(h1)
    f1 = h1 - n1
    g1 = (f1 + _GRID46) - _GRID46         # f1's part on the 2**-46 grid
    d1 = f1 - g1                          # |d1| <= 2**-47, on the 2**-94 grid
    a = (f0 + fl) + g1                    # exact: 2**-46 grid, [0, 3)
    n2 = np.floor(a + 0.5)
    a = a - n2                            # [-0.5, 0.5)
    s0 = d1 + l1                          # exact (2**-94 grid, < 2**-45)
    s = s0 + h2
    bb = s - s0
    es = (s0 - (s - bb)) + (h2 - bb)
    es = es + (l2 + h3)
    fh = a + s
    bb = fh - a
    ef = (a - (fh - bb)) + (s - bb)
    fl2 = ef + es
    fh2 = fh + fl2
    fl2 = fl2 - (fh2 - fh)
    rh = fh2 * _PIO2_HI
    rl = fma(fh2, _PIO2_HI, -rh) + (fh2 * _PIO2_LO + fl2 * _PIO2_HI)
    qp = int(n0 + nl + n1 + n2)
    neg = x < 0.0
    qp = -qp if neg else qp
    rh = -rh if neg else rh
    rl = -rl if neg else rl

    q = qp if big else qc
    hi = rh if big else hc
    lo = rl if big else lc
    return q, hi, lo


@inlined
def _sincos_poly(q, hi, lo):
    """sin(q * pi/2 + hi + lo) for |hi + lo| <= ~pi/4."""
    z = hi * hi
    ze = fma(hi, hi, -z)
    # sin
    p2 = z * horner(z, _S_HIGH)
    t = hi * z                                  # hi**3 = t + te (to 2**-104)
    te = fma(hi, z, -t) + hi * ze
    s = hi + fma(t, _S1, fma(t, p2, fma(te, _S1 + p2, lo * (1.0 - 0.5 * z))))
    # cos
    pc = horner(z, _K)
    hz = 0.5 * z
    w = 1.0 - hz
    c = w + ((((1.0 - w) - hz) - 0.5 * ze) + (z * z * pc - hi * lo))
    r = c if (q & 1) != 0 else s
    return -r if (q & 2) != 0 else r


def _sin(x):
    """sin(x), within 0.65 ulp (measured) over the whole double range."""
    q, hi, lo = _reduce(x)
    r = _sincos_poly(q, hi, lo) + (x - x)       # inf, nan -> nan
    return x if abs(x) < _TINY else r


def _cos(x):
    """cos(x), within 0.65 ulp (measured) over the whole double range."""
    q, hi, lo = _reduce(x)
    r = _sincos_poly(q + 1, hi, lo) + (x - x)
    return 1.0 if abs(x) < _TINY else r


sin = vectorised(math.sin, np.sin, _sin)
cos = vectorised(math.cos, np.cos, _cos)
