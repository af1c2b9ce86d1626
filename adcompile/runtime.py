"""Helpers that generated code imports; they run both as plain Python and inside Numba."""
from __future__ import annotations

import math

import numpy as np
from numba.extending import register_jitable

from . import vecmath as vm
from .errors import AssertionFailed, CheckpointMemoryError, LengthOneAxis, OutOfRangeError, ShapeError, \
    UnboundNameError


@register_jitable
def inbounds(i, n, where):
    """i, if it indexes an axis of length n (Python's rule, negatives too); else IndexError
    naming the user's line. Generated code checks the user's reads in the forward sweep."""
    if i >= n or i < -n:
        raise OutOfRangeError(where)
    return i


@register_jitable
def assert_true(c, where):
    """The user's `assert c`: AssertionFailed naming the line when c is false."""
    if not c:
        raise AssertionFailed(where)
    return c


@register_jitable
def check_bound(c, where):
    """A read of a name that may be unbound: UnboundNameError naming the line unless c."""
    if not c:
        raise UnboundNameError(where)
    return c


@register_jitable
def same_size(a, b, where):
    """The common length of two broadcast dimensions; a mismatch raises naming the line."""
    if a != b:
        raise ShapeError(where, a, b)
    return a


@register_jitable
def checked_matmul(a, b, where):
    """a @ b of the user's code: shapes that do not align raise naming the line and both
    shapes (the adjoint's products align by construction and use @ directly)."""
    inner_a = a.shape[a.ndim - 1]
    inner_b = b.shape[0] if b.ndim == 1 else b.shape[b.ndim - 2]
    if inner_a != inner_b:
        raise ShapeError(where, a.ndim, a.shape[0], a.shape[a.ndim - 1], b.ndim, b.shape[0],
                         b.shape[b.ndim - 1])
    return a @ b


@register_jitable
def wrap_index(i, n, where):
    """An index into a view of length n: checked, a negative one counted from the end."""
    if i >= n or i < -n:
        raise OutOfRangeError(where)
    return i + n if i < 0 else i


@register_jitable
def _clamp(bound, given, missing, n, lo, hi):
    """A slice bound by Python's rules: `missing` when not given, negatives from the end."""
    if not given:
        return missing
    if bound < 0:
        return max(bound + n, lo)
    return min(bound, hi)


@register_jitable
def _bounds(start, stop, step, n, has_start, has_stop):
    if step > 0:
        lo, hi = 0, n
    else:
        lo, hi = -1, n - 1
    start = _clamp(start, has_start, hi if step < 0 else lo, n, lo, hi)
    stop = _clamp(stop, has_stop, lo if step < 0 else hi, n, lo, hi)
    if step > 0:
        length = (stop - start - 1) // step + 1 if start < stop else 0
    else:
        length = (start - stop - 1) // (-step) + 1 if stop < start else 0
    return start, length


@register_jitable
def slice_start(start, stop, step, n, has_start, has_stop):
    """Where x[start:stop:step] begins, by Python's rules (missing bounds as flagged)."""
    return _bounds(start, stop, step, n, has_start, has_stop)[0]


@register_jitable
def slice_len(start, stop, step, n, has_start, has_stop):
    """How many elements x[start:stop:step] has, by Python's rules."""
    return _bounds(start, stop, step, n, has_start, has_stop)[1]


@register_jitable
def check_range(lo, hi, n, where):
    """Every index of range(lo, hi) (lo >= 0) is inside an axis of length n, or IndexError."""
    if hi > lo and hi > n:
        raise OutOfRangeError(where)
    return hi


@register_jitable
def check_at(i, n, lo, hi, where):
    """i indexes an axis of length n (Python's rule), if the loop range(lo, hi) runs at all."""
    if hi > lo and (i >= n or i < -n):
        raise OutOfRangeError(where)
    return i


@register_jitable
def outer(a, b):
    """np.outer for 1-d float arrays (Numba's own np.outer takes seconds to compile)."""
    out = np.empty((a.shape[0], b.shape[0]))
    for i in range(a.shape[0]):
        for j in range(b.shape[0]):
            out[i, j] = a[i] * b[j]
    return out


@register_jitable
def no_length_one_axis(shape):
    """Arrays with a length-1 axis broadcast: they are compiled separately. An entry called
    natively (by argument types, which do not see lengths) sends them back (native.py)."""
    for n in shape:
        if n == 1:
            raise LengthOneAxis()


@register_jitable
def grow_tape(tape, need):
    """Return `tape` if it holds `need` entries, else a copy with room for max(need, 2*len)."""
    n = tape.shape[0]
    if need <= n:
        return tape
    new = np.empty(max(need, 2 * n), tape.dtype)
    for k in range(n):          # an explicit loop: slice assignment costs seconds to compile
        new[k] = tape[k]
    return new


@register_jitable
def parallel_chunks(n):
    """Chunks of a prange loop's adjoint (codegen.prange_chunks): 64, whatever the number of
    threads, so the sums are added in the same order on every machine (and uneven chunks
    balance over up to 16 threads); none empty."""
    return max(0, min(n, 64))


@register_jitable
def checkpoint_segment(n, snapshot_bytes, subsnapshot_bytes, step_bytes, budget, level):
    """The schedule of a checkpointed loop of n steps (passes/checkpoint.py): steps per
    segment (level 1) or per sub-segment (level 2). Two levels when they fit the budget:
    segments of m ~ sqrt(n * snapshot / step) steps, each run again in the adjoint while
    recording; memory (n/m) snapshots + one sub-segment snapshot + m steps of records (the
    sub-segment is then the whole segment: level 2 returns m too). Otherwise three levels:
    segments of M steps, each run again in the adjoint in sub-segments of m steps (a
    snapshot at each), each of those run a third time while recording; memory (n/M)
    snapshots + (M/m) sub-segment snapshots + m steps of records, M and m chosen to make it
    smallest. A CheckpointMemoryError when even that exceeds budget bytes."""
    if n <= 1:
        return 1
    snap = max(snapshot_bytes, 1)
    sub = max(subsnapshot_bytes, 1)
    step = max(step_bytes, 1)
    m = max(1, min(n, int(math.ceil(math.sqrt(n * (snap / step))))))
    two = ((n + m - 1) // m) * snap + sub + m * step
    if two <= budget:
        return m
    best, best_outer, best_inner = two, m, m
    guess = (n * snap / math.sqrt(sub * step)) ** (2.0 / 3.0)
    for k in range(-8, 9):                  # around the continuous optimum, by 2^(1/4)
        outer = max(1, min(n, int(round(guess * 2.0 ** (k / 4.0)))))
        inner = max(1, min(outer, int(math.ceil(math.sqrt(outer * (sub / step))))))
        three = ((n + outer - 1) // outer) * snap + ((outer + inner - 1) // inner) * sub \
            + inner * step
        if three < best:
            best, best_outer, best_inner = three, outer, inner
    if best > budget:
        raise CheckpointMemoryError("a checkpointed loop does not fit the memory budget",
                                    n, snap, step, budget, best, two)
    return best_outer if level == 1 else best_inner


# ---------------------------------------------------------------------------- special functions
# The rows of prims/special_rows.py call these (scipy.special's functions do not compile in
# Numba). They use NumPy's scalar functions, so a plain-Python run (jit=False) gets inf and
# nan where the compiled one does, not a ValueError from math.

@register_jitable
def digamma(x):
    """The digamma function psi(x) = d/dx log|gamma(x)| (scipy.special.digamma): the
    reflection formula below 0, the recurrence psi(x) = psi(x + 1) - 1/x up to x >= 10, then
    the asymptotic series. -inf at 0, nan at the negative integers (as SciPy)."""
    if x != x:
        return x
    if x == 0.0:
        return -np.inf
    result = 0.0
    if x < 0.0:
        if x == np.floor(x):
            return np.nan
        result = -np.pi / np.tan(np.pi * x)          # psi(1 - x) - psi(x) = pi cot(pi x)
        x = 1.0 - x
    while x < 10.0:
        result -= 1.0 / x
        x += 1.0
    f = 1.0 / (x * x)
    series = f * (1.0 / 12 - f * (1.0 / 120 - f * (1.0 / 252 - f * (
        1.0 / 240 - f * (1.0 / 132 - f * (691.0 / 32760 - f * (1.0 / 12)))))))
    return result + np.log(x) - 0.5 / x - series


@register_jitable
def _bernoulli2(j):
    """B_2j for j = 1..8."""
    table = (1.0 / 6, -1.0 / 30, 1.0 / 42, -1.0 / 30, 5.0 / 66, -691.0 / 2730, 7.0 / 6,
             -3617.0 / 510)
    return table[j - 1]


@register_jitable
def polygamma(n, x):
    """The n-th derivative of the digamma function (scipy.special.polygamma(n, x)) for an
    integer n >= 0: (-1)**(n + 1) n! zeta(n + 1, x), the Hurwitz zeta function by recurrence
    up to x >= 20 + n and its asymptotic (Euler-Maclaurin) series. inf at the poles (x a
    non-positive integer: the sign of the limit from the right, as SciPy), nan for n < 0 or n
    not an integer."""
    if n != np.floor(n) or n < 0 or x != x:
        return np.nan
    k = int(n)
    if k == 0:
        return digamma(x)
    if x <= 0.0 and x == np.floor(x):
        return np.inf if k % 2 == 1 else -np.inf      # the limit from the right (SciPy)
    s = k + 1.0                                       # zeta(s, x) = sum 1 / (x + i)**s
    total = 0.0
    while x < 20.0 + k:
        total += 1.0 / x ** s
        x += 1.0
    tail = x ** (1.0 - s) / (s - 1.0) + 0.5 * x ** (-s)
    rising = s                                        # s (s + 1) ... (s + 2j - 2)
    fact = 2.0                                        # (2j)!
    power = x ** (-s - 1.0)                           # x**(-s - 2j + 1)
    for j in range(1, 9):
        tail += _bernoulli2(j) / fact * rising * power
        rising *= (s + 2 * j - 1) * (s + 2 * j)
        fact *= (2 * j + 1) * (2 * j + 2)
        power /= x * x
    factorial = 1.0
    for i in range(2, k + 1):
        factorial *= i
    sign = 1.0 if k % 2 == 1 else -1.0
    return sign * factorial * (total + tail)


@register_jitable
def erfinv(y):
    """The inverse error function (scipy.special.erfinv): Giles' approximation refined by
    Newton steps on erf (erfc near +-1, where 1 - |y| is exact). +-inf at +-1, nan outside."""
    if y != y or y < -1.0 or y > 1.0:
        return np.nan
    if y == 1.0:
        return np.inf
    if y == -1.0:
        return -np.inf
    w = -np.log((1.0 - y) * (1.0 + y))
    if w < 5.0:
        w -= 2.5
        p = 2.81022636e-08
        p = 3.43273939e-07 + p * w
        p = -3.5233877e-06 + p * w
        p = -4.39150654e-06 + p * w
        p = 0.00021858087 + p * w
        p = -0.00125372503 + p * w
        p = -0.00417768164 + p * w
        p = 0.246640727 + p * w
        p = 1.50140941 + p * w
    else:
        w = np.sqrt(w) - 3.0
        p = -0.000200214257
        p = 0.000100950558 + p * w
        p = 0.00134934322 + p * w
        p = -0.00367342844 + p * w
        p = 0.00573950773 + p * w
        p = -0.0076224613 + p * w
        p = 0.00943887047 + p * w
        p = 1.00167406 + p * w
        p = 2.83297682 + p * w
    x = p * y
    a = abs(y)
    sgn = 1.0 if y > 0.0 else -1.0
    t = abs(x)
    for _ in range(4):                                # Newton on |x|: erf(t) = a
        slope = 1.1283791670955126 * np.exp(-t * t)
        if a > 0.5:
            t += (math.erfc(t) - (1.0 - a)) / slope
        else:
            t -= (math.erf(t) - a) / slope
    return sgn * t


@register_jitable
def exp10(x):
    """10 ** x (scipy.special.exp10)."""
    return np.power(10.0, x)


@register_jitable
def expit(x):
    """The logistic sigmoid 1 / (1 + exp(-x)) (scipy.special.expit), without overflow."""
    return vm.sigmoid(x)


@register_jitable
def log_expit(x):
    """log(expit(x)) (scipy.special.log_expit) = -softplus(-x), without overflow."""
    return min(x, 0.0) - vm.log1p(vm.exp(-abs(x))) if x == x else x


@register_jitable
def softplus(x):
    """log(1 + exp(x)) (scipy.special.softplus, np.logaddexp(0, x)), without overflow."""
    return vm.log1p(vm.exp(-abs(x))) + max(x, 0.0) if x == x else x


@register_jitable
def logit(x):
    """log(x / (1 - x)) (scipy.special.logit): -inf at 0, inf at 1, nan outside [0, 1]."""
    return np.log(x / (1.0 - x))


@register_jitable
def xlogy(x, y):
    """x * log(y), and 0 where x == 0 (y not NaN) (scipy.special.xlogy)."""
    if x == 0.0 and y == y:
        return 0.0
    return x * np.log(y)


@register_jitable
def xlog1py(x, y):
    """x * log1p(y), and 0 where x == 0 (y not NaN) (scipy.special.xlog1py)."""
    if x == 0.0 and y == y:
        return 0.0
    return x * np.log1p(y)


@register_jitable
def ndtr(x):
    """The standard normal CDF (scipy.special.ndtr): erfc(-x / sqrt(2)) / 2, accurate in
    both tails."""
    return 0.5 * math.erfc(-x * 0.7071067811865476)


@register_jitable
def log_ndtr(x):
    """log of the standard normal CDF (scipy.special.log_ndtr), without underflow: log1p
    in the right tail, the asymptotic series of the Mills ratio below -20."""
    if x != x:
        return x
    if x > 0.0:
        return np.log1p(-0.5 * math.erfc(x * 0.7071067811865476))
    if x > -20.0:
        return np.log(0.5 * math.erfc(-x * 0.7071067811865476))
    z = 1.0 / (x * x)
    term = 1.0
    series = 1.0
    for k in range(1, 12):                     # 1 - 1/x^2 + 3/x^4 - 15/x^6 + ...
        term *= -(2 * k - 1) * z
        series += term
    return -0.5 * x * x - np.log(-x) - 0.9189385332046728 + np.log(series)


@register_jitable
def entr(x):
    """-x log(x) (scipy.special.entr): 0 at 0, -inf below."""
    if x > 0.0:
        return -x * np.log(x)
    if x == 0.0:
        return 0.0
    return -np.inf if x == x else x


@register_jitable
def rel_entr(x, y):
    """x log(x / y) (scipy.special.rel_entr): 0 where x == 0 and y >= 0, inf outside."""
    if x != x or y != y:
        return x + y
    if x > 0.0 and y > 0.0:
        return x * np.log(x / y)
    if x == 0.0 and y >= 0.0:
        return 0.0
    return np.inf


@register_jitable
def kl_div(x, y):
    """x log(x / y) - x + y (scipy.special.kl_div): y where x == 0 and y >= 0, inf outside."""
    if x != x or y != y:
        return x + y
    if x > 0.0 and y > 0.0:
        return x * np.log(x / y) - x + y
    if x == 0.0 and y >= 0.0:
        return y
    return np.inf
# ---------------------------------------------------------------------------- linear algebra
# NumPy's (and Numba's) LAPACK wrappers return Fortran-ordered arrays; generated code keeps
# every array C-ordered, so the results are copied once (small next to the factorisation).
@register_jitable
def la_inv(a):
    return np.ascontiguousarray(np.linalg.inv(a))


@register_jitable
def la_solve(a, b):
    return np.ascontiguousarray(np.linalg.solve(a, b))


@register_jitable
def la_cholesky(a):
    return np.ascontiguousarray(np.linalg.cholesky(a))


@register_jitable
def la_eigh_w(a):
    return np.ascontiguousarray(np.linalg.eigh(a)[0])


@register_jitable
def la_eigh_v(a):
    return np.ascontiguousarray(np.linalg.eigh(a)[1])


@register_jitable
def la_qr_q(a):
    return np.ascontiguousarray(np.linalg.qr(a)[0])


@register_jitable
def la_qr_r(a):
    return np.ascontiguousarray(np.linalg.qr(a)[1])


@register_jitable
def la_lstsq(a, b):
    return np.ascontiguousarray(np.linalg.lstsq(a, b, -1.0)[0])


@register_jitable
def la_logabsdet(a):
    return np.linalg.slogdet(a)[1]


@register_jitable
def la_sign(a):
    return np.linalg.slogdet(a)[0]


@register_jitable
def la_transpose(a):
    return np.ascontiguousarray(a.T)


@register_jitable
def la_lower(a, scale):
    """The strictly lower triangle of a square matrix plus `scale` times its diagonal."""
    n = a.shape[0]
    out = np.zeros((n, a.shape[1]))
    for i in range(n):
        for j in range(min(i, a.shape[1])):
            out[i, j] = a[i, j]
        if i < a.shape[1]:
            out[i, i] = scale * a[i, i]
    return out


@register_jitable
def la_upper(a, scale):
    """The strictly upper triangle plus `scale` times the diagonal."""
    out = np.zeros((a.shape[0], a.shape[1]))
    for i in range(a.shape[0]):
        for j in range(i + 1, a.shape[1]):
            out[i, j] = a[i, j]
        if i < a.shape[1]:
            out[i, i] = scale * a[i, i]
    return out


@register_jitable
def la_diag(v):
    n = v.shape[0]
    out = np.zeros((n, n))
    for i in range(n):
        out[i, i] = v[i]
    return out


@register_jitable
def la_diagonal(a):
    n = min(a.shape[0], a.shape[1])
    out = np.empty(n)
    for i in range(n):
        out[i] = a[i, i]
    return out


@register_jitable
def la_eye(n, m):
    out = np.zeros((n, m))
    for i in range(min(n, m)):
        out[i, i] = 1.0
    return out


@register_jitable
def la_trace(a):
    s = 0.0
    for i in range(min(a.shape[0], a.shape[1])):
        s += a[i, i]
    return s


@register_jitable
def la_gaps(w):
    """F[i, j] = 1 / (w[j] - w[i]) off the diagonal, 0 on it and where the two eigenvalues
    are equal to rounding (|w[j] - w[i]| <= 1e-12 * max|w|: a degenerate eigenspace, where
    eigenvectors are not differentiable; the convention drops those terms)."""
    n = w.shape[0]
    scale = 0.0
    for i in range(n):
        scale = max(scale, abs(w[i]))
    tol = 1e-12 * scale
    out = np.zeros((n, n))
    for i in range(n):
        for j in range(n):
            d = w[j] - w[i]
            if i != j and abs(d) > tol:
                out[i, j] = 1.0 / d
    return out


@register_jitable
def la_cofactor(a):
    """The cofactor matrix det(A) * inv(A).T, from the SVD A = U S V^T: it is
    det(U) det(V) U diag(prod_{j != i} s_j) V^T, finite (and right) at singular matrices."""
    n = a.shape[0]
    if n == 1:
        return np.ones((1, 1))
    u, s, vt = np.linalg.svd(a)
    sign = np.linalg.det(u) * np.linalg.det(vt)
    p = np.empty(n)
    for i in range(n):
        prod = sign
        for j in range(n):
            if j != i:
                prod *= s[j]
        p[i] = prod
    out = np.empty((n, n))
    for i in range(n):
        for j in range(n):
            acc = 0.0
            for k in range(n):
                acc += u[i, k] * p[k] * vt[k, j]
            out[i, j] = acc
    return out
