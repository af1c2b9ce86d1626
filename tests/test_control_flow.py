"""Control flow: branches, loops with overwritten values, while, break/continue, early return,
calls inside loops. Each program is checked at points away from its branch boundaries."""
import pytest

import programs as P
from gradcheck import check_gradient

CASES = [
    (P.straight, (0.7, -1.3)),
    (P.straight, (2.0, 0.4)),
    (P.nested_branches, (0.5, 0.9)),       # x > 0, y > x
    (P.nested_branches, (0.5, 0.1)),       # x > 0, -x < y < x
    (P.nested_branches, (0.5, -0.9)),      # x > 0, y < -x
    (P.nested_branches, (-0.5, 0.3)),      # x < 0, y > 0
    (P.nested_branches, (-0.5, -0.3)),     # x < 0, y < 0
    (P.overwrite_in_loop, (0.8, 7)),
    (P.overwrite_in_loop, (0.8, 0)),
    (P.data_dependent_while, (0.7,)),
    (P.data_dependent_while, (-2.5,)),
    (P.break_continue, (0.3, 20)),         # breaks
    (P.break_continue, (0.05, 8)),         # runs to the end
    (P.early_return, (-1.5,)),             # returns before the loop
    (P.early_return, (1.2,)),              # returns inside the loop
    (P.early_return, (-0.9,)),             # falls through
    (P.calls_in_loop, (0.4, 6)),
    (P.nested_loops, (0.6, 5)),
    (P.while_in_for, (1.3,)),
    (P.ranges, (0.9, 9)),
    (P.many_params, (0.3, 1.1, -0.7, 12)),
    (P.aliases, (0.6,)),
    (P.loop_var_after, (1.5, 4)),
    (P.tuple_swap, (0.6, 1.2)),
    (P.ifexp_and_or, (0.5, 0.2)),
    (P.ifexp_and_or, (-3.0, 0.2)),
    (P.ifexp_and_or, (-1.0, 0.5)),
    (P.int_mixing, (0.77, 7)),
    (P.relu_net, (0.8,)),
    (P.relu_net, (-0.3,)),
    (P.while_true, (7.5,)),
    (P.compare_comparisons, (0.5, -0.3, False)),
    (P.compare_comparisons, (0.5, 0.3, False)),
    (P.compare_comparisons, (-0.5, 0.3, True)),
    (P.special_floats, (-1.3,)),
]


@pytest.mark.parametrize("func,args", CASES, ids=lambda v: getattr(v, "__name__", ""))
def test_gradient(func, args):
    check_gradient(func, args)


def test_several_parameters_by_name_and_index():
    import adcompile as ad
    g_names = ad.grad(P.many_params, wrt=("a", "c"))(0.3, 1.1, -0.7, 12)
    g_index = ad.grad(P.many_params, wrt=(0, 2))(0.3, 1.1, -0.7, 12)
    assert isinstance(g_names, tuple) and len(g_names) == 2
    assert g_names == g_index
    value, grads = ad.value_and_grad(P.many_params, wrt=(0, 1))(0.3, 1.1, -0.7, 12)
    assert value == P.many_params(0.3, 1.1, -0.7, 12)
    assert len(grads) == 2


def test_single_wrt_returns_a_float():
    import adcompile as ad
    d = ad.grad(P.straight)(0.7, -1.3)
    assert isinstance(d, float)
    d2 = ad.grad(P.straight, wrt="y")(0.7, -1.3)
    assert isinstance(d2, float) and d2 != d


def test_keyword_arguments_and_defaults():
    import adcompile as ad
    g = ad.grad(P.helper)
    assert g(0.3) == g(u=0.3) == g(0.3, 2.0)
    assert g(0.3, scale=1.0) == pytest.approx(g(0.3) / 2.0)


def test_decorator_forms(load):
    m = load("""
import math
import adcompile as ad

@ad.grad
def f(x):
    return math.sin(x)

@ad.grad(wrt="y")
def g(x, y):
    return x * y * y

@ad.value_and_grad
def h(x):
    return x ** 3
""")
    import math
    assert m.f(0.4) == pytest.approx(math.cos(0.4), rel=1e-14)
    assert m.g(3.0, 2.0) == pytest.approx(12.0)
    assert m.h(2.0) == (8.0, 12.0)


def test_integer_inputs_are_not_differentiated_but_may_vary():
    import adcompile as ad
    g = ad.grad(P.overwrite_in_loop)
    assert g(0.8, 3) != g(0.8, 4)


def test_user_arguments_unchanged_and_results_fresh():
    import adcompile as ad
    args = [0.3, 6]
    ad.grad(P.calls_in_loop)(*args)
    assert args == [0.3, 6]


def test_generated_function_keeps_the_users_parameter_names(load):
    import inspect
    import adcompile as ad
    m = load("""
def f(t, c, tmp, x0):
    x = x0
    for i in range(3):
        x = x * t + c * tmp
    return x
""")
    g = ad.value_and_grad(m.f, wrt=(0, 1, 2, 3))
    value, grads = g(0.5, 0.25, 2.0, 1.0)
    assert value == m.f(0.5, 0.25, 2.0, 1.0)
    assert list(inspect.signature(g.kernel.py_func).parameters) == ["t", "c", "tmp", "x0"]
    check_gradient(m.f, (0.5, 0.25, 2.0, 1.0))


def test_array_arguments_fast_path_checks_dtype(load):
    import numpy as np
    import adcompile as ad
    m = load("""
def f(x):
    s = 0.0
    for i in range(len(x)):
        s = s + x[i] * x[i]
    return s
""")
    g = ad.grad(m.f)
    x = np.array([1.0, 2.0, 3.0])
    grad_x = g(x)
    assert np.array_equal(grad_x, 2 * x) and grad_x is not x
    assert np.array_equal(x, [1.0, 2.0, 3.0])          # the input is not mutated
    assert np.array_equal(g(x), 2 * x)                 # second call: the fast path
    g32 = g(x.astype(np.float32))                      # another dtype: converted, not
    assert g32.dtype == np.float32                     # the float64 code run on it
    assert np.array_equal(g32, 2 * x)
    with pytest.raises(TypeError, match="complex"):
        g(x.astype(np.complex128))
    assert np.array_equal(g(x[::2]), 2 * x[::2])       # a strided view: another layout
