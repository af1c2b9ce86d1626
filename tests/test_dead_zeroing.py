"""The adjoint of an element write zeroes the adjoint element; drop_dead_zeroing drops that
store where nothing can read the zero (passes/stores.py), and only there. Each case checks
the gradient against finite differences and forward mode, and the source's shape."""
import numpy as np
import pytest

import adcompile as ad
from gradcheck import check_modes


def _check(func, args, wrt, **types):
    return check_modes(func, args, wrt, **types)


X = np.linspace(0.2, 1.1, 5)


def test_each_element_written_once_needs_no_zeroing(load):
    m = load("""
import numpy as np
def f(x):
    out = np.zeros(x.shape[0])
    for i in range(x.shape[0]):
        out[i] = x[i] * x[i]
    r = out.copy()
    return np.sum(r * r)
""")
    src = _check(m.f, (X,), (0,), x="f64[:]")
    assert "= 0.0\n" not in src.split("def f_vg")[-1].split("value = ")[-1]


WRITES = {
    "one element, many times": """
def f(x):
    y = np.zeros(2)
    for i in range(x.shape[0]):
        y[0] = y[0] * 0.5 + x[i]
    return y[0] * y[0]
""",
    "a recurrence reading the element before": """
def f(x):
    y = np.ones(x.shape[0])
    for i in range(1, x.shape[0]):
        y[i] = y[i - 1] * x[i]
    return np.sum(y)
""",
    "written twice in one iteration": """
def f(x):
    y = np.zeros(x.shape[0])
    for i in range(x.shape[0]):
        y[i] = x[i]
        y[i] = y[i] * x[i] + 1.0
    return np.sum(y * y)
""",
    "read again after the loop": """
def f(x):
    y = np.zeros(x.shape[0])
    for t in range(3):
        for i in range(x.shape[0]):
            y[i] = y[i] * 0.5 + x[i] * t
    return np.sum(y * y)
""",
    "two-dimensional, in nested loops": """
def f(x):
    A = np.zeros((x.shape[0], 2))
    for i in range(x.shape[0]):
        for j in range(2):
            A[i, j] = x[i] * (j + 1.0)
    return np.sum(A * A)
""",
    "in a branch": """
def f(x):
    y = np.zeros(x.shape[0])
    for i in range(x.shape[0]):
        if x[i] > 0.5:
            y[i] = x[i] * x[i]
        else:
            y[i] = -x[i]
    return np.sum(y * x)
""",
}


@pytest.mark.parametrize("name", sorted(WRITES))
def test_zeroing_stays_where_a_zero_may_be_read(load, name):
    m = load("import numpy as np\n" + WRITES[name])
    _check(m.f, (X,), (0,), x="f64[:]")
