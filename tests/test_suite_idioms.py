"""What optimisation test suites and library code write (SciPy's go_benchmark_functions,
sigopt's evalset; docs/breadth.md): `def fun(self, x, *args)`, a call counter
`self.nfev += 1`, `x1, x2 = x`, lists of constants indexed in loops, `np.asarray` of
lists, `if len(x.shape) == 1:` branches decided at compile time, np.sum of a number.
Each against NumPy's value and central differences in both modes, and the errors."""
import numpy as np
import pytest
import scipy.optimize
from scipy.special import factorial

import adcompile as ad
from adcompile.errors import AdTypeError, UnsupportedSyntaxError
from gradcheck import check_like_numpy


class Ackley:
    """As SciPy's benchmark classes: N and a call counter on the instance."""

    def __init__(self, n):
        self.N = n
        self.nfev = 0
        self.scale = [1.0, 2.0, 0.5]

    def fun(self, x, *args):
        self.nfev += 1
        u = np.sum(x ** 2)
        v = np.sum(np.cos(2 * np.pi * x))
        return -20. * np.exp(-0.2 * np.sqrt(u / self.N)) - np.exp(v / self.N) + 20. + np.exp(1.)

    def counted_twice(self, x, *args, **kwargs):
        self.nfev += 1
        self.nfev -= 2.5
        return np.sum(x * x)

    def counts_in_a_loop(self, x):
        for i in range(2):
            self.nfev += 1
        return x[0]

    def counts_by_x(self, x):
        self.nfev += x[0]
        return x[0]


def test_call_counter_and_empty_star_args():
    a = Ackley(3)
    x = np.array([0.3, -0.2, 0.5])
    check_like_numpy(a.fun, (x,), jits=(True, False))
    before = a.nfev
    for mode in ("reverse", "forward"):
        g = ad.grad(a.fun, mode=mode, jit=False)
        g(x)
        g(x)
    assert a.nfev == before + 4                  # once per call, as the Python function
    a.nfev = 0
    ad.grad(a.counted_twice, jit=False)(x)
    assert a.nfev == -1.5


@pytest.mark.parametrize("method,words", [("counts_in_a_loop", "inside a loop or a branch"),
                                          ("counts_by_x", "known at compile time")])
def test_counters_that_cannot_be_applied_by_the_call(method, words):
    with pytest.raises(UnsupportedSyntaxError, match=words) as info:
        ad.grad(getattr(Ackley(2), method), jit=False)(np.array([0.5, 0.25]))
    assert "test_suite_idioms.py" in str(info.value)


def test_values_for_star_args_are_refused():
    a = Ackley(3)
    with pytest.raises(AdTypeError, match=r"\*args"):
        ad.grad(a.fun)(np.ones(3), 2.0)


def helper(x, *rest, **named):
    return x * 2.0 + len(rest) + len(named)


def calls_variadic_helper(x):
    return helper(x, 1.0, 2.0) * helper(x) + helper(x, k=1.0)


def test_star_args_of_helpers_are_tuples():
    check_like_numpy(calls_variadic_helper, (0.7,), wrt=(0,))


# ------------------------------------------------------------------------------ unpacking
def beale(x):
    x1, x2 = x
    return (1.5 - x1 + x1 * x2) ** 2 + (2.25 - x1 + x1 * x2 ** 2) ** 2


def unpack_rows(A):
    r0, r1 = A
    a, b = np.sin(A[0, :2])
    return np.sum(r0 * r1) + a * b


def test_unpacking_arrays():
    check_like_numpy(beale, (np.array([0.3, 0.7]),), jits=(True, False))
    check_like_numpy(unpack_rows, (np.linspace(0.1, 1, 6).reshape(2, 3),))


def test_unpacking_the_wrong_length_names_the_line():
    with pytest.raises(ad.ShapeError, match="cannot unpack") as info:
        ad.grad(beale, jit=False)(np.ones(3))
    assert "test_suite_idioms.py" in str(info.value)


# ------------------------------------------------------------------------------ lists
def corana(x):
    d = [1., 1000., 10., 100.]
    r = 0
    for j in range(4):
        zj = np.floor(abs(x[j] / 0.2) + 0.49999) * np.sign(x[j]) * 0.2
        if abs(x[j] - zj) < 0.05:
            r += 0.15 * ((zj - 0.05 * np.sign(zj)) ** 2) * d[j]
        else:
            r += d[j] * x[j] * x[j]
    return r


def lists_as_arrays(x):
    w = [0.5, 2.0, 3.0]
    a = np.asarray(w) * x + np.array(w) + w * x
    b = np.asarray(x)
    grid = np.array([[1.0, 2.0], [3.0, 4.0]])
    return np.sum(a * b) + sum([x[0], x[1]]) + max([x[0], x[2]]) + sum(w) + \
        np.sum(np.sum(x * x)) + np.mean(2.0) + np.sum(grid @ x[:2]) + np.sum([x[0], x[2]])


def shape_branch(x):
    if len(x.shape) == 1:
        x = x[np.newaxis, :]
    return np.sum(x ** 2 * np.arange(1.0, x.shape[1] + 1))


@pytest.mark.parametrize("func,x", [
    (corana, np.array([0.33, 0.71, 1.13, 0.29])),
    (lists_as_arrays, np.array([0.33, 0.71, 1.13])),
    (shape_branch, np.array([0.3, 0.7, 0.2])),
], ids=["corana", "lists_as_arrays", "shape_branch"])
def test_lists_and_compile_time_branches(func, x):
    check_like_numpy(func, (x,), jits=(True, False))


def np_array_of_a_number(x):
    return np.sum(np.asarray(x[0]))


def test_zero_d_arrays_are_refused():
    with pytest.raises(UnsupportedSyntaxError, match="0-d") as info:
        ad.grad(np_array_of_a_number, jit=False)(np.ones(2))
    assert "test_suite_idioms.py" in str(info.value)


# ------------------------------------------------------------------------------ library
N_FACT = 3


def mishra07(x):
    from_library = factorial(N_FACT)                # a library call of constants: folded
    return (np.prod(x) - from_library) ** 2.0 + np.size(x) * x[0] + np.size(x, 0)


def langermann(x):
    a = [3, 5, 2, 1, 7]
    b = [5, 2, 1, 4, 9]
    c = [1, 2, 5, 2, 3]
    r = (x[0] - a) ** 2 + (x[1] - b) ** 2           # a float minus a list: NumPy's array
    return -sum(c * np.exp(-(1 / np.pi) * r) * np.cos(np.pi * r))


def rosenbrock(x):
    return scipy.optimize.rosen(x) * 2.0


@pytest.mark.parametrize("func", [mishra07, langermann, rosenbrock],
                         ids=lambda f: f.__name__)
def test_library_forms(func):
    check_like_numpy(func, (np.array([0.3, 0.7, 1.2]),), jits=(True, False))


def list_repeated(x):
    return np.sum(x * ([1.0] * 3))


def random_number(x):
    return x[0] * np.random.rand()


@pytest.mark.parametrize("func,words", [(list_repeated, "does not apply to a tuple"),
                                        (random_number, "np.random.rand")],
                         ids=["list_repetition", "random"])
def test_python_meanings_are_not_guessed(func, words):
    """list * int repeats the list in Python (not read as an array); random numbers are
    never folded into constants."""
    with pytest.raises(ad.AdCompileError, match=words) as info:
        ad.grad(func, jit=False)(np.ones(3))
    assert "test_suite_idioms.py" in str(info.value)


# ------------------------------------------------------------------------------ assert
# (in a module of their own: pytest rewrites the asserts of test modules)
ASSERTS = """
import numpy as np


def asserts(x):
    assert x.shape[0] == 3                          # checked in compiled code
    assert len(x.shape) == 1, "vectors only"        # known at compile time
    for i in range(2):
        assert x[i] > -10.0
    return np.sum(x ** 2)


def assert_false_for_these_types(x):
    assert x.ndim == 2
    return x[0]
"""


def test_asserts_are_checked_where_they_stand(load):
    m = load(ASSERTS)
    check_like_numpy(m.asserts, (np.array([0.3, 0.7, 1.2]),), jits=(True, False))
    for mode in ("reverse", "forward"):
        for jit in (True, False):
            with pytest.raises(AssertionError, match="assertion failed") as info:
                ad.grad(m.asserts, mode=mode, jit=jit)(np.ones(4))
            assert str(info.value).startswith(m.__file__.rsplit("/", 1)[-1]) or \
                m.__file__ in str(info.value)
    with pytest.raises(ad.AssertionFailed, match="x.ndim == 2") as info:
        ad.grad(m.assert_false_for_these_types, jit=False)(np.ones(3))
    assert str(info.value).startswith(m.__file__)


# ------------------------------------------------------------------------------ np.sum([...])
def box_betts(x):
    x1, x2, x3 = x
    return np.sum([(np.exp(-0.1 * i * x1) - np.exp(-0.1 * i * x2) -
                    (np.exp(-0.1 * i) - np.exp(-i)) * x3) ** 2 for i in range(2, 12)])


def shubert(x):
    return np.prod([np.sum([i * np.cos((i + 1) * xx + i) for i in range(1, 6)]) for xx in x])


@pytest.mark.parametrize("func", [box_betts, shubert], ids=lambda f: f.__name__)
def test_numpy_reductions_of_list_comprehensions(func):
    check_like_numpy(func, (np.array([0.3, 0.7, 1.2]),), jits=(True, False))


def np_sum_of_a_generator(x):
    return np.sum(v * v for v in x)


def test_np_sum_of_a_generator_is_refused_as_numpy_does():
    with pytest.raises(UnsupportedSyntaxError, match="generator") as info:
        ad.grad(np_sum_of_a_generator, jit=False)(np.ones(3))
    assert "test_suite_idioms.py" in str(info.value)


# ------------------------------------------------------------------------------ lists outside
WEIGHTS = [1.0, 2.0]


class Deceptive:
    def __init__(self):
        self.min_loc = [0.2, 0.4, 0.6]

    def f(self, x):
        alpha = np.asarray(self.min_loc)
        return np.sum((x - alpha) ** 2) + self.min_loc[1] * x[0] + \
            WEIGHTS[0] * np.sum(np.array(WEIGHTS) * x[:2])


def test_lists_read_from_outside_are_compiled_in_and_checked():
    d = Deceptive()
    x = np.array([0.3, 0.7, 1.2])
    check_like_numpy(d.f, (x,), jits=(True, False))
    g = ad.grad(d.f, jit=False)
    g(x)
    d.min_loc[0] = 5.0                               # changed in place: compiled again
    WEIGHTS[1] = 10.0
    try:
        np.testing.assert_allclose(g(x), [2 * (0.3 - 5.0) + 0.4 + 1.0, 2 * (0.7 - 0.4) + 10.0,
                                          2 * (1.2 - 0.6)], rtol=1e-12)
    finally:
        WEIGHTS[1] = 2.0


# ------------------------------------------------------------------------------ comprehensions
E_MAT = np.array([[1.0, 2.0], [3.0, 1.0], [0.5, 0.5]])
CENTERS = np.array([[0.1, 0.2], [0.3, 0.1], [0.6, 0.7]])


def lzip(*args):
    return list(zip(*args))


def dist_sq(x, centers, e_mat, dist_type=2):
    if dist_type == 1:
        ret_val = np.array([[np.sum(np.abs((xpt - center) * evec))
                             for evec, center in lzip(np.sqrt(e_mat), centers)] for xpt in x])
    else:
        ret_val = np.array([[np.dot((xpt - center) * evec, (xpt - center))
                             for evec, center in lzip(e_mat, centers)] for xpt in x])
    return ret_val


def mccourt(x):
    """As evalset's McCourt functions: a kernel of a matrix built by comprehensions."""
    return_1d = False
    if len(x.shape) == 1:
        x = x[np.newaxis, :]
        return_1d = True
    assert_free = E_MAT.shape[1] == x.shape[1]
    ans = np.sum(np.array([1.0, -2.0, 1.0]) / np.sqrt(1 + dist_sq(x, CENTERS, E_MAT)),
                 axis=1) + np.sum(dist_sq(x, CENTERS, E_MAT, 1)) * assert_free
    return ans[0] if return_1d else ans


def levy03(x):
    n = 3
    z = [1 + (xx - 1) / 4 for xx in x]
    s = np.sin(np.pi * z[0]) ** 2 + sum([(z[i] - 1) ** 2 * (1 + 10 * (np.sin(np.pi * z[i] + 1))
                                                           ** 2) for i in range(n - 1)])
    return s + (z[n - 1] - 1) ** 2 * (1 + (np.sin(2 * np.pi * z[n - 1])) ** 2) + \
        np.sum(np.array([k * v for k, v in enumerate(z)]))


@pytest.mark.parametrize("func,x", [(mccourt, np.array([0.33, 0.71])),
                                    (levy03, np.array([0.3, 0.7, 0.9]))],
                         ids=["mccourt", "levy03"])
def test_comprehensions_as_arrays(func, x):
    check_like_numpy(func, (x,), jits=(True, False))


def list_arithmetic(x):
    z = [v * 2 for v in x]
    return np.sum(z * 2)


def ragged(x):
    return np.sum(np.array([[v * w for w in x[:i]] for i, v in enumerate(x)]))


@pytest.mark.parametrize("func,words", [(list_arithmetic, "list comprehension"),
                                        (ragged, "ragged")], ids=["arithmetic", "ragged"])
def test_list_meanings_are_not_guessed(func, words):
    with pytest.raises(ad.AdCompileError, match=words) as info:
        ad.grad(func, jit=False)(np.ones(3))
    assert "test_suite_idioms.py" in str(info.value)


# ------------------------------------------------------------------------------ options, finfo
def distance(x, kind=2):
    if kind == 'inf':
        return np.max(np.abs(x))
    elif kind == 2:
        return np.sum(x ** 2)
    return np.sum(np.abs(x))


def options_and_finfo(x):
    tiny = np.finfo(float).eps + np.iinfo(np.int64).max * 0.0
    return distance(x, kind='inf') + distance(x) + distance(x, 'l1') + \
        np.sum((x ** 6) * (2 + np.sin(1 / (x + tiny)))) + \
        np.sum([np.abs(x) ** (i + 1) for i in range(1, 4)])    # np.sum of a list of arrays


def string_arithmetic(x):
    return x[0] + 'a'


def test_string_options_finfo_and_sums_of_lists_of_arrays():
    check_like_numpy(options_and_finfo, (np.array([0.3, -0.7, 0.5]),), jits=(True, False))
    with pytest.raises(AdTypeError, match="string") as info:
        ad.grad(string_arithmetic, jit=False)(np.ones(2))
    assert "test_suite_idioms.py" in str(info.value)


def list_made_an_array(x):
    z = [v * 2.0 for v in x]
    a = np.asarray(z)
    return np.sum(a * 2.0) + np.sum(np.array(z) ** 2) + np.sum(np.exp(z)) + sum(z) + len(z)


def test_a_comprehension_made_an_array_computes():
    check_like_numpy(list_made_an_array, (np.array([0.3, 0.7, 1.2]),), jits=(False,))


def comprehensions_in_loops_and_branches(x):
    s = 0.0
    for t in range(3):
        z = [v * t + s for v in x]
        if t > 0:
            s = s + np.sum(np.array([[a * b for b in z] for a in x])) * 0.1
        s = s + z[t % 2] * np.sum(np.array(z))
    return s


def test_comprehensions_in_loops_and_branches():
    check_like_numpy(comprehensions_in_loops_and_branches, (np.array([0.3, 0.7, 0.2]),),
                     jits=(True, False))
