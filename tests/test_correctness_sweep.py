"""The families of silent wrong results found by trying adcompile as new users would: each
program is checked against plain Python/NumPy (value), central differences (gradient), in
both modes and with and without jit."""
import math

import numpy as np
import pytest

import adcompile as ad
from gradcheck import check_like_numpy

MERGES = '''
import math
import numpy as np

def swap_both_arms(a, b, t):
    if t > 0.0:
        a, b = b, a * 2.0
    else:
        a, b = b, a * 3.0
    return a + 10.0 * b

def same_value_both_arms(x, y, c):
    if c > 0.0:
        x = y
    else:
        x = y
    return x * x + y

def same_name_conditional_expression(x, c):
    y = x
    return y if c > 0.0 else x

def defined_in_both_arms(x, c):
    if c > 0.0:
        z = x
    else:
        z = x
    return z * math.sin(z)

def elif_chain(x, y, c):
    if c > 1.0:
        x = y
    elif c > 0.0:
        x = y
    else:
        x = y
    return x * 3.0 + y

def nested_ifs(x, y, c):
    if c > 0.0:
        if c > 1.0:
            x, y = y, x
        else:
            x, y = y, x
    return x - 2.0 * y

def in_a_for_loop(x, y, n):
    for i in range(n):
        if i % 2 == 0:
            x, y = y, x * 1.5
        else:
            x, y = y, x * 1.5
    return x + 2.0 * y

def in_a_while_loop(x, y):
    k = 0
    while k < 3:
        if x > y:
            x = y
        else:
            x = y
        y = y * 1.1
        k += 1
    return x * y

def one_arm_rebinds_to_outer(x, y, c):
    z = x
    if c > 0.0:
        z = y
    return z * z

def arrays_both_arms(x, c):
    w = x * 2.0
    if c > 0.0:
        v = w
    else:
        v = w
    v[0] = 5.0 * x[1]
    return np.sum(w * x)

def int_index_written_in_branch(x):
    p = np.zeros(1, dtype=np.int64)
    total = 0.0
    for it in range(2):
        if it >= 0:
            p[0] = it
            for r in range(1):
                total += x[p[0]] * x[p[0]]
    return total

def float_work_written_in_branch(x):
    w = np.zeros(2)
    total = 0.0
    for it in range(3):
        if it != 1:
            w[0] = x[it % 2] * it
            for r in range(2):
                total += w[0] * x[r]
    return total

def index_array_rewritten_in_nested_branch(x):
    p = np.zeros(2, dtype=np.int64)
    total = 0.0
    for it in range(4):
        if it % 2 == 0:
            if it > 0:
                p[1] = it % 3
            p[0] = 2 - it % 3
        total += x[p[0]] * x[p[1]] * (it + 1)
    return total
'''


@pytest.fixture(scope="module")
def merges(tmp_path_factory):
    from conftest import load_source
    return load_source(tmp_path_factory.mktemp("merges"), MERGES, "merge_programs")


X3 = np.array([1.0, 2.0, 0.5])


@pytest.mark.parametrize("name,args,wrt", [
    ("swap_both_arms", (1.0, 5.0, 1.0), (0, 1)), ("swap_both_arms", (1.0, 5.0, -1.0), (0, 1)),
    ("same_value_both_arms", (1.0, 2.0, 1.0), (0, 1)),
    ("same_name_conditional_expression", (3.0, 1.0), (0,)),
    ("same_name_conditional_expression", (3.0, -1.0), (0,)),
    ("defined_in_both_arms", (0.3, 1.0), (0,)),
    ("elif_chain", (1.0, 2.0, 0.5), (0, 1)), ("elif_chain", (1.0, 2.0, 2.0), (0, 1)),
    ("nested_ifs", (1.0, 2.0, 0.5), (0, 1)), ("nested_ifs", (1.0, 2.0, 2.0), (0, 1)),
    ("in_a_for_loop", (1.0, 2.0, 5), (0, 1)), ("in_a_while_loop", (1.0, 2.0), (0, 1)),
    ("in_a_while_loop", (3.0, 2.0), (0, 1)),
    ("one_arm_rebinds_to_outer", (1.0, 2.0, 1.0), (0, 1)),
    ("arrays_both_arms", (X3, 1.0), (0,)),
    ("int_index_written_in_branch", (np.array([1.0, 2.0]),), (0,)),
    ("float_work_written_in_branch", (np.array([1.0, 2.0]),), (0,)),
    ("index_array_rewritten_in_nested_branch", (X3,), (0,)),
])
def test_merges_and_taped_arrays(merges, name, args, wrt):
    check_like_numpy(getattr(merges, name), args, wrt)


def test_the_reported_numbers(merges):
    """The issue's numbers, derived by hand: step(1, 5, 1) = 5 + 10 * 2 = 25, gradient
    (20, 1); the int-index program at x = [1, 2] has gradient [2, 4]."""
    v, g = ad.value_and_grad(merges.swap_both_arms, wrt=(0, 1))(1.0, 5.0, 1.0)
    assert v == 25.0 and g == (20.0, 1.0)
    assert np.array_equal(ad.grad(merges.int_index_written_in_branch)(np.array([1.0, 2.0])),
                          [2.0, 4.0])


# ---------------------------------------------------------------------------- NaN rule
NANS = '''
import math
import numpy as np
from adcompile import relu

def sqrt_unused(x):
    r = np.sqrt(x)
    if x > 0:
        return r
    return 2 * x

def chain_unused(x, y):
    r = np.sqrt(x)
    s = r * y
    if x > 0:
        return s
    return 2 * x + y

def exp_overflow_unused(x):
    e = np.exp(x)
    if x < 700.0:
        return e
    return x

def log_unused_in_loop(x, n):
    s = 0.0
    for i in range(n):
        l = np.log(x - i)
        if x - i > 0.0:
            s += l
        else:
            s += x * i
    return s

def where_sqrt(x):
    return np.sum(np.where(x > 0, np.sqrt(x), 2 * x))

def where_log(x):
    return np.sum(np.where(x > 0.5, np.log(x - 0.5), x * x))

def conditional_expression(x):
    r = np.sqrt(x)
    return r if x > 0 else -x

def builtin_max(x):
    return max(x, 0.0) * 2.0

def np_maximum(x):
    return np.sum(np.maximum(x, 0.0) * 3.0)

def relu_of(x):
    return relu(x) * 2.0

def hypot2(x, y):
    return math.hypot(x, y)

def norm_of(x):
    return np.linalg.norm(x)

def abs_of(x):
    return abs(x) * 2.0

def sin_of(x):
    return np.sin(x) * x
'''


@pytest.fixture(scope="module")
def nans(tmp_path_factory):
    from conftest import load_source
    return load_source(tmp_path_factory.mktemp("nans"), NANS, "nan_programs")


@pytest.mark.parametrize("name,args,wrt", [
    ("sqrt_unused", (-1.0,), (0,)), ("sqrt_unused", (4.0,), (0,)),
    ("chain_unused", (-1.0, 2.0), (0, 1)), ("exp_overflow_unused", (800.0,), (0,)),
    ("log_unused_in_loop", (1.5, 4), (0,)),
    ("where_sqrt", (np.array([-1.0, 4.0, -0.25]),), (0,)),
    ("where_log", (np.array([0.2, 2.0, -3.0]),), (0,)),
    ("conditional_expression", (-4.0,), (0,)),
])
def test_unused_values_do_not_leak_nan(nans, name, args, wrt):
    """The gradient is finite wherever every value the executed path reads is finite. (The
    programs use np.sqrt/np.log/np.exp so that plain Python computes the reference value:
    math.sqrt(-1) raises in Python, where compiled code, like NumPy, gives nan.)"""
    with np.errstate(invalid="ignore", over="ignore", divide="ignore"):
        check_like_numpy(getattr(nans, name), args, wrt)


@pytest.mark.parametrize("name", ["builtin_max", "relu_of", "abs_of", "sin_of"])
@pytest.mark.parametrize("mode", ["reverse", "forward"])
def test_nan_inputs_give_nan_derivatives(nans, name, mode):
    """A nonlinear primitive reading a NaN gives a NaN derivative (a branch that compares a
    NaN takes its else path like Python does and differentiates that path; 2 * x has
    derivative 2 even at NaN, as in JAX)."""
    g = ad.grad(getattr(nans, name), mode=mode)(math.nan)
    assert math.isnan(g)


def test_nan_inputs_give_nan_derivatives_in_arrays(nans):
    """Reverse mode confines a NaN input to the derivatives that read it; forward mode
    multiplies the partials by every direction's tangent (0 * NaN is NaN), so a NaN on the
    path makes every derivative NaN there (docs/conventions.md) - never a number."""
    out = ad.grad(nans.np_maximum)(np.array([math.nan, 2.0]))
    assert math.isnan(out[0]) and out[1] == 3.0
    out = ad.grad(nans.np_maximum, mode="forward")(np.array([math.nan, 2.0]))
    assert math.isnan(out[0]) and (math.isnan(out[1]) or out[1] == 3.0)


@pytest.mark.parametrize("mode", ["reverse", "forward"])
def test_norms_at_zero_have_derivative_zero(nans, mode):
    """hypot and norms are 1-Lipschitz; 0 is in their Clarke set (the unit disk) at 0."""
    assert ad.grad(nans.hypot2, wrt=(0, 1), mode=mode)(0.0, 0.0) == (0.0, 0.0)
    assert np.array_equal(ad.grad(nans.norm_of, mode=mode)(np.zeros(3)), np.zeros(3))
    gx, gy = ad.grad(nans.hypot2, wrt=(0, 1), mode=mode)(3.0, -4.0)
    assert gx == pytest.approx(0.6) and gy == pytest.approx(-0.8)
    assert np.allclose(ad.grad(nans.norm_of, mode=mode)(np.array([3.0, 0.0, 4.0])),
                       [0.6, 0.0, 0.8])


def test_second_order_through_an_unused_path(nans):
    assert ad.hvp(nans.chain_unused, wrt=(0, 1))(-1.0, 2.0, 1.0, 1.0) == (0.0, 0.0)


# ---------------------------------------------------------------------------- x ** y
def power(a, b):
    return a ** b


def test_hvp_of_a_power_with_an_input_exponent():
    """H of a**b at (0.7, 1.3): d2/da2 = b(b-1)a^(b-2), d2/dadb = a^(b-1)(1 + b ln a);
    the exact values, not adcompile's."""
    a, b = 0.7, 1.3
    haa = b * (b - 1) * a ** (b - 2)
    hab = a ** (b - 1) * (1 + b * math.log(a))
    hbb = a ** b * math.log(a) ** 2
    h1 = ad.hvp(power, wrt=(0, 1))(a, b, 1.0, 0.0)
    h2 = ad.hvp(power, wrt=(0, 1))(a, b, 0.0, 1.0)
    assert h1 == pytest.approx((haa, hab), rel=1e-12)
    assert h2 == pytest.approx((hab, hbb), rel=1e-12)
    assert (haa, hab) == pytest.approx((0.50061, 0.48190), abs=1e-5)
