"""NumPy functions lowered as compositions (frontend/compositions.py): np.diff, flip, roll,
cross, inner, average, ptp, count_nonzero, polyval, column_stack, meshgrid, triu/tril/diag
indices, searchsorted, interp; against NumPy's value and central differences in both modes
(compiled and not), interp at its knots (the conventions), and the located errors."""
import numpy as np
import pytest

import adcompile as ad
from gradcheck import check_like_numpy

R = np.random.default_rng(9)
X = R.uniform(0.2, 1.5, 6)
A = R.uniform(0.2, 1.5, (4, 3))
U = R.normal(size=3)
V = R.normal(size=(5, 3))
KNOTS = np.array([0.0, 0.5, 1.0, 2.0])


def f_diff(x, A):
    return np.sum(np.diff(x) ** 2) + np.sum(np.diff(A, axis=0) * 2) + np.sum(np.diff(x, n=2) ** 3)


def f_flip(x, A):
    return np.sum(np.flip(x) * x) + np.sum(np.fliplr(A) * A) + np.sum(np.flipud(A)[0]) + \
        np.sum(np.flip(A, axis=0) ** 2 * A)


def f_roll(x, A):
    return np.sum(np.roll(x, 2) * x) + np.sum(np.roll(A, -1, axis=1) * A) + \
        np.sum(np.roll(A, 5) * A)


def f_cross(u, V):
    return np.sum(np.cross(u, u * 2 + 1)) + np.sum(np.cross(V, u) ** 2)


def f_inner(x, A):
    return np.inner(x, x) + np.sum(np.inner(A, A))


def f_average(x, A):
    return np.average(x) + np.average(x, weights=np.arange(6.0) + 1) + \
        np.sum(np.average(A, axis=1, weights=np.array([1.0, 2.0, 3.0])))


def f_ptp(x, A):
    return np.ptp(x) + np.sum(np.ptp(A, axis=0)) + np.count_nonzero(x > 0.5) * x[0]


def f_polyval(x, A):
    return np.polyval(x, 0.7) + np.sum(np.polyval(x[:3], A))


def f_column_stack(x, A):
    return np.sum(np.column_stack((x[:4], A)) ** 2)


def f_meshgrid(x, A):
    X, Y = np.meshgrid(x, x[:3])
    return np.sum(X * Y ** 2) + np.sum(A * Y[:, :1].T)


def f_tri_indices(x, A):
    i, j = np.triu_indices(3, 1)
    k, m = np.tril_indices(4)
    d = np.diag_indices(3)
    return np.sum(A[i, j]) + np.sum(A[:3][d] ** 2) + np.sum(np.outer(x, x)[k, m])


def f_interp(x, A):
    return np.sum(np.interp(A, KNOTS, x[:4])) + np.interp(0.7, KNOTS, x[:4] ** 2) + \
        np.sum(np.searchsorted(KNOTS, A)) * x[5] + np.sum(np.searchsorted(KNOTS, A, side="right"))


def f_methods(x, A):
    return x.dot(x) + np.sum(A.dot(x[:3])) + np.sum(A.T.dot(x[:4])) + \
        np.sum(x.clip(0.4, 1.0)) + np.sum(x.round(1) * x) + np.sum(x.take(np.array([0, 5])) ** 2) + \
        np.sum(x[(x > 0.5).nonzero()]) + np.sum(x.astype(float) * x) + \
        np.sum(x.astype(int) * x) + np.sum(x.repeat(2)[:3] ** 2)


def f_builtins(x, A):
    return sum(x) * max(x) - min(x) + np.sum(sum(A) ** 2) + max(x[0], x[1])


def f_round_tile_repeat(x, A):
    return np.sum(np.round(x, 1) * x) + np.around(x[0] * 3.14159, 2) + \
        np.sum(np.tile(A, (2, 1)) * np.tile(x[:3], (8, 1))) + \
        np.sum(np.repeat(A, 2, axis=1) ** 2) + np.sum(np.tile(x[:2], 3) * x)


def f_nan_to_num_isclose(x, A):
    r = np.nan_to_num(x / (x - x[0]))
    same = np.isclose(x, x + 1e-12)
    return np.sum(r[1:] * x[1:]) + np.sum(np.where(same, x, 0.0)) + \
        float(np.allclose(A, A)) * x[2] + float(np.isclose(x[0], x[0] + 1.0)) * x[3]


def f_constant_conditions(x, A):
    s = 0.0
    if x.ndim == 1:
        s = np.sum(x ** 2)
    else:
        s = np.sum(x[0, :] ** 2)
    s += A[0, 0] if A.ndim == 2 else A[0]
    for i in range(3):
        if A.ndim > 1 and i > 0:
            s += A[i, 1] * x[i]
    return s


CASES = [(f_diff, (X, A)), (f_flip, (X, A)), (f_roll, (X, A)), (f_cross, (U, V)),
         (f_inner, (X, A)), (f_average, (X, A)), (f_ptp, (X, A)), (f_polyval, (X, A)),
         (f_column_stack, (X, A)), (f_meshgrid, (X, A)), (f_tri_indices, (X, A)),
         (f_interp, (X, A)), (f_methods, (X, A)), (f_builtins, (X, A)),
         (f_round_tile_repeat, (X, A)), (f_nan_to_num_isclose, (X, A)),
         (f_constant_conditions, (X, A))]


@pytest.mark.parametrize("func,args", CASES, ids=[c[0].__name__ for c in CASES])
def test_against_numpy_and_finite_differences(func, args):
    with np.errstate(divide="ignore"):       # NumPy's own run of nan_to_num's x / 0
        check_like_numpy(func, args, wrt=(0, 1), jits=(False,))


@pytest.mark.parametrize("func,args", [CASES[2], CASES[3], CASES[7], CASES[11]],
                         ids=lambda v: getattr(v, "__name__", ""))
def test_compiled(func, args):
    check_like_numpy(func, args, wrt=(0, 1), jits=(True,))


def interp_at(t, fp):
    return np.interp(t, KNOTS, fp)


def test_interp_at_knots_and_beyond():
    """At a knot the slope of the segment to its right is used (the segment the value is
    computed on); before the first and after the last knot the value is constant."""
    fp = np.array([0.0, 1.0, 3.0, 3.5])
    slopes = {0.5: 4.0, 1.0: 0.5, -1.0: 0.0, 2.0: 0.0, 3.0: 0.0, 0.0: 2.0}
    for mode in ("reverse", "forward"):
        for t, slope in slopes.items():
            g = ad.grad(interp_at, mode=mode, jit=False)(t, fp)
            assert g == slope, (mode, t, g)
    for t in (-1.0, 0.25, 0.5, 1.5, 2.0, 3.0):
        assert ad.value_and_grad(interp_at, jit=False)(t, fp)[0] == np.interp(t, KNOTS, fp)


def unequal_interp(x):
    return np.interp(0.5, np.array([0.0, 1.0]), x)


def test_interp_lengths_must_match():
    with pytest.raises(ad.ShapeError, match="same length") as info:
        ad.grad(unequal_interp, jit=False)(np.ones(3))
    assert "test_numpy_compositions.py" in str(info.value)


def f_ufunc_spellings_and_any_all(x, A):
    m = np.greater(x, 0.4) & np.less_equal(x, 1.0) | np.equal(x, 0.5)
    y = np.positive(x) * np.conj(x) + np.ldexp(x, 2) + np.ldexp(x[0], 3)
    rows = np.any(A > 0.9, axis=1)
    cols = np.all(A > 0.3, axis=0)
    kept = np.any(A > 1.2, axis=0, keepdims=True)
    return np.sum(np.where(m, y, 0.0)) + np.sum(np.signbit(x - 0.55) * x) + \
        float(np.not_equal(x[0], 1.0)) * x[1] + np.sum(A[rows] ** 2) + np.sum(A[:, cols]) + \
        np.sum(np.where(kept, A, 2 * A))


def test_ufunc_spellings_and_any_all_along_axes():
    check_like_numpy(f_ufunc_spellings_and_any_all, (np.array([0.3, 0.7, 1.2, -0.4, 0.5, 0.9]),
                                                     A), wrt=(0, 1), jits=(True, False))


def f_modf_divmod(x, A):
    frac, whole = np.modf(x * 3.0)
    q, r = np.divmod(A, 0.7)
    f0, w0 = np.modf(x[0] * 5.0)
    return np.sum(frac * x + whole) + np.sum(q * A + r ** 2) + f0 * w0


def test_modf_and_divmod():
    check_like_numpy(f_modf_divmod, (np.array([0.3, 0.71, 1.2]), A), wrt=(0, 1),
                     jits=(True, False))
