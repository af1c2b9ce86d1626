"""Measuring a double-precision function against an extended-precision reference, in ulps.

The reference is NumPy's `longdouble` (x87 80-bit on x86-64: a 64-bit significand, 2**11
times finer than a double's), evaluated by the C library's long-double functions, or an
mpmath evaluation where a test asks for one. The error of y against the exact value r is
|y - r| / ulp(r), with ulp(r) the spacing of doubles in r's binade (r rounded toward zero
first, so a value just below a power of two is measured in the finer spacing).
"""
from __future__ import annotations

import numpy as np

LD = np.longdouble
assert np.finfo(LD).nmant >= 63, "an extended-precision long double is needed (x86-64)"


def ulp_errors(got, ref):
    """Per-point errors in ulps of float64 results `got` against longdouble `ref`; points
    where the reference is not a finite double count 0 when `got` is exactly the rounded
    reference (inf, -inf, nan, or a value past the double range rounding to +-inf or
    +-DBL_MAX), else inf."""
    got = np.asarray(got, np.float64)
    ref = np.asarray(ref, LD)
    with np.errstate(over="ignore"):
        ref_d = ref.astype(np.float64)
    err = np.zeros(got.shape)
    finite = np.isfinite(ref_d)
    r, g, rd = ref[finite], got[finite], ref_d[finite]
    toward_zero = np.where(np.abs(rd.astype(LD)) > np.abs(r), np.nextafter(rd, 0.0), rd)
    ulp = np.spacing(np.abs(toward_zero)).astype(LD)
    ulp = np.where(ulp > 0, ulp, LD(np.finfo(np.float64).smallest_subnormal))
    with np.errstate(invalid="ignore", over="ignore"):
        e = np.abs(g.astype(LD) - r) / ulp
    err[finite] = np.where(np.isfinite(g), e.astype(np.float64), np.inf)
    rest = ~finite
    g, rd = got[rest], ref_d[rest]
    same = (g == rd) | (np.isnan(g) & np.isnan(rd))
    big = np.finfo(np.float64).max
    near_edge = np.isinf(rd) & (np.abs(g) == big) & (np.sign(g) == np.sign(rd))
    err[rest] = np.where(same | near_edge, 0.0, np.inf)
    return err


def max_ulp(got, ref, x=None):
    """The largest error and (when x is given) the argument where it occurs."""
    e = ulp_errors(got, ref)
    i = int(np.argmax(e))
    return (float(e[i]), None if x is None else x[i])


def elementwise(f):
    """A compiled loop `out[i] = f(x[i])` (f a runtime function) over a float64 array: the
    loop LLVM should vectorise; called with an array, it returns the results."""
    import numba

    @numba.njit
    def loop(x, out):
        for i in range(x.size):
            out[i] = f(x[i])

    def apply(x):
        x = np.ascontiguousarray(x, dtype=np.float64)
        out = np.empty_like(x)
        loop(x, out)
        return out
    apply.loop = loop
    return apply


def skip_without_packed_fma():
    """The vectorisation tests look for packed fma instructions on ymm/zmm registers, which
    exist only on CPUs with AVX2 and FMA (x86-64 since 2013; this project's machines)."""
    import llvmlite.binding as ll
    import pytest
    features = ll.get_host_cpu_features()
    if not (features.get("avx2") and features.get("fma")):
        pytest.skip("no AVX2/FMA on this machine: no packed fma instructions to look for")


def whole_range(n, seed=0, lo=None, hi=None):
    """n doubles spread over the whole double range (random bit patterns: every binade
    equally likely, both signs, subnormals included), optionally kept inside [lo, hi],
    plus the special values."""
    rng = np.random.default_rng(seed)
    bits = rng.integers(0, 2**63 - 1, n, dtype=np.int64, endpoint=False)
    bits = np.where(rng.random(n) < 0.5, bits, bits | np.int64(-2**63))
    x = bits.view(np.float64)
    x = x[np.isfinite(x)]
    if lo is not None:
        x = x[(x >= lo) & (x <= hi)]
    special = np.array([0.0, -0.0, np.inf, -np.inf, np.nan, 5e-324, -5e-324,
                        2.2250738585072014e-308, np.finfo(np.float64).max,
                        -np.finfo(np.float64).max, 1.0, -1.0])
    return np.concatenate([x, special])


def uniform(n, lo, hi, seed=0):
    """n doubles uniform in [lo, hi] (where the function is most used)."""
    return np.random.default_rng(seed).uniform(lo, hi, n)
