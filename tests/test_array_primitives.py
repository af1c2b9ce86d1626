"""Every elementwise NumPy function on arrays, with broadcasting (2-d with 1-d, array with
scalar, 3-d with 2-d): gradients against central differences, jit against no-jit."""
import numpy as np
import pytest

import adcompile as ad
from test_arrays import _fd

UNARY = {  # spelling, domain
    "np.sin(x)": None, "np.cos(x)": None, "np.tan(x)": "small", "np.arcsin(x)": "unit",
    "np.arccos(x)": "unit", "np.arctan(x)": None, "np.sinh(x)": None, "np.cosh(x)": None,
    "np.tanh(x)": None, "np.exp(x)": None, "np.expm1(x)": None, "np.log(x)": "pos",
    "np.log1p(x)": "pos", "np.log2(x)": "pos", "np.log10(x)": "pos", "np.sqrt(x)": "pos",
    "np.abs(x)": None, "np.fabs(x)": None, "np.square(x)": None, "-x": None,
    "ad.relu(x)": None, "abs(x)": None, "np.sign(x) * x": None, "np.floor(x) + x": None,
    "np.cbrt(x)": None, "np.arcsinh(x)": None, "np.arccosh(x)": "above1",
    "np.arctanh(x)": "unit", "np.deg2rad(x)": None, "np.rad2deg(x)": None,
}
BINARY = ["x + y", "x - y", "x * y", "x / (1.0 + y * y)", "x ** 2 * y", "np.maximum(x, y)",
          "np.minimum(x, y)", "np.arctan2(x, y)", "np.hypot(x, y)", "np.power(np.abs(x) + 1.0, y)",
          "np.where(x > y, x * y, x - y)", "np.clip(x, -0.3, y)"]
SHAPES = [((3, 4), (4,)), ((3, 4), ()), ((), (2, 3)), ((2, 3, 2), (3, 2)), ((5,), (5,))]


def _array(shape, domain, rng):
    if shape == ():
        return float(rng.uniform(0.2, 0.9))
    a = rng.uniform(-1.5, 1.5, size=shape)
    if domain == "pos":
        a = np.abs(a) + 0.2
    elif domain == "unit":
        a = a * 0.6
    elif domain == "small":
        a = a * 0.8
    elif domain == "above1":
        a = np.abs(a) + 1.2
    a[np.abs(a - np.round(a)) < 0.05] += 0.1     # keep away from the jumps of floor/sign
    return a


def _check(m, args):
    value = m.f(*args)
    for jit in (True, False):
        v, grads = ad.value_and_grad(m.f, wrt=(0, 1), jit=jit)(*args)
        assert v == pytest.approx(value, rel=1e-12)
        for i, g in enumerate(grads):
            np.testing.assert_allclose(g, _fd(m.f, args, i), rtol=1e-5, atol=1e-7)


@pytest.mark.parametrize("expr", sorted(UNARY))
def test_unary_on_arrays(expr, load):
    m = load(f"import numpy as np\nimport adcompile as ad\n\ndef f(x, y):\n"
             f"    return np.sum(({expr}) * y)\n")
    rng = np.random.default_rng(1)
    _check(m, (_array((3, 4), UNARY[expr], rng), _array((4,), None, rng)))


@pytest.mark.parametrize("expr", BINARY)
@pytest.mark.parametrize("shapes", SHAPES, ids=str)
def test_binary_with_broadcasting(expr, shapes, load):
    m = load(f"import numpy as np\n\ndef f(x, y):\n    return np.sum(np.sin({expr}))\n")
    rng = np.random.default_rng(2)
    _check(m, tuple(_array(s, None, rng) for s in shapes))
