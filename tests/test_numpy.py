"""Whole-array NumPy code: elementwise math with broadcasting, reductions (with and without
axis), matrix products, slices and views, slice assignment, iteration over arrays. Gradients
against central differences in both jit modes, the IR interpreter agreeing, and the
conventions at ties (a full max reduction splits the adjoint evenly)."""
import numpy as np
import pytest

import adcompile as ad
import programs as P
from adcompile.api import arg_type
from adcompile.frontend import build_function
from adcompile.interp import interpret
from adcompile.passes.reverse import reverse
from test_arrays import _fd

RNG = np.random.default_rng(3)
M = RNG.normal


def _cases():
    return [
        (P.mlp_loss, (M(size=(5, 4)), M(size=4), M(size=4), M(size=(6, 5)), M(size=6)),
         (0, 1, 2)),
        (P.logistic_loss, (M(size=5), M(size=(6, 5)), np.sign(M(size=6))), (0,)),
        (P.rosen_vec, (M(size=7),), (0,)),
        (P.all_reductions, (M(size=(3, 4)), M(size=4)), (0, 1)),
        (P.views_and_slices, (M(size=(3, 4)), M(size=5)), (0, 1)),
        (P.products, (M(size=(3, 4)), M(size=(4, 2)), M(size=5)), (0, 1, 2)),
        (P.elementwise_math, (M(size=(2, 3)), M(size=3)), (0, 1)),
        (P.rnn, (M(size=(4, 3)) * 0.5, M(size=(4, 4)) * 0.5, M(size=(5, 3)), M(size=4)),
         (0, 1, 2, 3)),
        (P.softmax_xent, (M(size=(4, 3)), M(size=(5, 4)), np.array([0, 2, 1, 1, 0])), (0,)),
        (P.heat_equation, (M(size=8), 0.2, 5), (0, 1)),
        (P.pendulum_energy, (0.5, 0.1, 9.81, 50), (0, 1, 2)),
        (P.kmeans_cost, (M(size=(3, 2)), M(size=(6, 2))), (0,)),
        (P.attention, (M(size=(3, 4)), M(size=(5, 4)), M(size=(5, 2))), (0, 1, 2)),
        (P.layer_norm_loss, (M(size=6), 1.3, 0.2), (0, 1, 2)),
        (P.polynomial_fit, (M(size=3), M(size=10), M(size=10)), (0,)),
        (P.huber, (M(size=7) * 2, 1.0), (0, 1)),
        (P.cumsum_loss, (M(size=6),), (0,)),
        (P.matrix_power_trace, (M(size=(3, 3)) * 0.5, 4), (0,)),
        (P.conv1d, (M(size=10), M(size=3)), (0, 1)),
        (P.views_to_helpers, (M(size=(3, 4)), M(size=4)), (0, 1)),
        (P.inplace_aug, (M(size=5), M(size=5)), (0, 1)),
        (P.nested_writes, (M(size=(3, 4)),), (0,)),
        (P.axis_broadcast, (M(size=(3, 4)), M(size=4)), (0, 1)),
        (P.labels_gather, (M(size=(4, 3)), M(size=(5, 4)), np.array([0, 2, 1, 1, 0])), (0,)),
        (P.branch_arrays, (M(size=4), 0.7), (0, 1)),
        (P.branch_arrays, (M(size=4), -0.7), (0, 1)),
        (P.while_array, (M(size=4),), (0,)),
        (P.early_return_array, (M(size=6), 1.5), (0,)),
        (P.tuple_of_arrays, (M(size=5),), (0,)),
        (P.matrix_stats, (M(size=(5, 3)),), (0,)),
        (P.gram_schmidt_norm, (M(size=(4, 3)),), (0,)),
    ]


@pytest.mark.parametrize("func,args,wrt", _cases(), ids=lambda v: getattr(v, "__name__", ""))
def test_numpy_gradients(func, args, wrt):
    copies = [a.copy() if isinstance(a, np.ndarray) else a for a in args]
    for jit in (True, False):
        value, grads = ad.value_and_grad(func, wrt=wrt, jit=jit)(*args)
        assert value == pytest.approx(func(*args), rel=1e-12)
        for i, g in zip(wrt, grads):
            assert np.shape(g) == np.shape(args[i])
            np.testing.assert_allclose(g, _fd(func, args, i), rtol=1e-5, atol=1e-7)
    for a, c in zip(args, copies):
        assert np.array_equal(a, c)


@pytest.mark.parametrize("func,args,wrt", _cases()[:5] + _cases()[8:], ids=lambda v: getattr(v, "__name__", ""))
def test_interpreter_agrees(func, args, wrt):
    types = [arg_type(str(i), a) for i, a in enumerate(args)]
    assert interpret(build_function(func, types), args)[0] == pytest.approx(func(*args))
    value, *grads = interpret(reverse(build_function(func, types), list(wrt)), args)
    _, expect = ad.value_and_grad(func, wrt=wrt, jit=False)(*args)
    for a, b in zip(grads, expect):
        np.testing.assert_allclose(a, b, rtol=1e-12, atol=1e-14)


def test_broadcast_mismatch_names_the_line(load):
    m = load("import numpy as np\n\ndef f(x, y):\n    return np.sum(x * y)\n")
    with pytest.raises(ValueError, match=r"prog\d*\.py:4:\d+: x \* y: operands could not be "
                                         "broadcast"):
        ad.grad(m.f)(np.ones(3), np.ones(4))


def test_full_max_reduction_splits_ties_evenly(load):
    m = load("import numpy as np\n\ndef f(x):\n    return np.max(x) + np.min(x)\n")
    g = ad.grad(m.f)(np.array([1.0, 3.0, 3.0, -2.0, 3.0]))
    np.testing.assert_allclose(g, [0.0, 1 / 3, 1 / 3, 1.0, 1 / 3])


def test_max_of_infinite_values_is_exact(load):
    m = load("import numpy as np\n\ndef f(x):\n    return np.max(x)\n")
    value, _ = ad.value_and_grad(m.f)(np.array([1.0, np.inf]))
    assert value == np.inf


def test_generated_elementwise_code_is_one_loop(load):
    m = load("import numpy as np\n\ndef f(x):\n"
             "    return np.sum(100.0 * (x[1:] - x[:-1] ** 2) ** 2 + (1.0 - x[:-1]) ** 2)\n")
    src = ad.grad(m.f).specialise(x="f64[:]").source
    forward = src.split("# adjoint of")[0]
    loops = [line for line in forward.splitlines() if line.strip().startswith("for ")]
    assert len(loops) == 2 and "* n_quads" in loops[1]   # the whole expression: one fused
    #                                      loop (summing in lanes: sums.py, and its tail)
    assert "np.empty(tmp" not in forward            # and no temporary arrays
    assert "grow_tape" not in src                   # everything recomputed, nothing taped


def test_views_and_negative_steps(load):
    m = load("import numpy as np\n\ndef f(x):\n"
             "    return np.sum(x[::-2] * x[-3:][::-1][0]) + x[-1] * x[1:-1:2].sum()\n")
    x = M(size=8)
    check = _fd(m.f, (x,), 0)
    assert m.f(x) == pytest.approx(ad.value_and_grad(m.f)(x)[0])
    np.testing.assert_allclose(ad.grad(m.f)(x), check, rtol=1e-6, atol=1e-8)


def test_slice_assignment_broadcasts(load):
    m = load("""
import numpy as np

def f(x0, v):
    h = np.zeros((3, 4))
    h[0, :] = x0
    h[1:, 1] = v[0]
    h[2] += v
    return np.sum(h * h) + h[1, 1]
""")
    args = (M(size=4), M(size=4))
    for i in (0, 1):
        np.testing.assert_allclose(ad.grad(m.f, wrt=i)(*args), _fd(m.f, args, i), rtol=1e-6)


def test_column_and_row_broadcasting(load):
    """(m, 1) against (m, n) and (1, n): length-1 axes stretch, their adjoints sum."""
    m = load("""
import numpy as np

def f(A, col, row, s):
    B = (A - col) * row + s
    return np.sum(np.sin(B)) + np.sum(col * row)
""")
    args = (M(size=(3, 4)), M(size=(3, 1)), M(size=(1, 4)), 0.3)
    for jit in (True, False):
        value, grads = ad.value_and_grad(m.f, wrt=(0, 1, 2, 3), jit=jit)(*args)
        assert value == pytest.approx(m.f(*args))
        for i, g in enumerate(grads):
            assert np.shape(g) == np.shape(args[i])
            np.testing.assert_allclose(g, _fd(m.f, args, i), rtol=1e-6, atol=1e-8)
    # a (3, 4) array where the (3, 1) one was: a new specialisation, no stretching
    wide = (args[0], M(size=(3, 4)), args[2], 0.3)
    np.testing.assert_allclose(ad.grad(m.f, wrt=1)(*wide), _fd(m.f, wide, 1), rtol=1e-6,
                               atol=1e-8)


def test_augmented_assignment_updates_the_array_in_place(load):
    m = load("import numpy as np\n\ndef f(x):\n    y = x.copy()\n    z = y\n"
             "    y += 1.0\n    y *= x\n    return np.sum(z)\n")
    x = M(size=4)
    value, g = ad.value_and_grad(m.f)(x)
    assert value == pytest.approx(np.sum((x + 1.0) * x))
    np.testing.assert_allclose(g, 2 * x + 1.0)


def test_writing_into_an_array_rebound_in_a_loop_is_explained(load):
    m = load("import numpy as np\n\ndef f(x):\n    u = x.copy()\n"
             "    for k in range(3):\n        u[0] = 1.0\n        u = u * 2.0\n"
             "    return np.sum(u)\n")
    with pytest.raises(ad.AdCompileError, match="several arrays") as info:
        ad.grad(m.f)(M(size=3))
    assert "u = u.copy()" in str(info.value) or "y.copy()" in str(info.value)
