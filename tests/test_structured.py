"""Structured parameters (dicts, tuples, lists, nested, of floats and arrays), as JAX takes
pytrees: gradients come back in the parameter's structure, leaf by leaf checked against
central differences and against the other mode; jvp, hvp and jacobian take them too; what is
not supported is a located error."""
import copy

import numpy as np
import pytest

import adcompile as ad

SOURCE = """
import math
import numpy as np

def mlp(params, X, y):
    h = np.tanh(X @ params["W1"] + params["b1"])
    return np.mean((h @ params["w2"] - y) ** 2) + params["scale"] * params["scale"]

def nested(p, x):
    a, (b, c) = p["layer"]["a"], p["pair"]
    s = 0.0
    for i in range(x.shape[0]):
        s += a[i] * x[i] + b * c * x[i] ** 2
    return s + p["layer"]["k"] * math.sin(b)

def tupled(wb, data):
    w, b = wb
    X, y = data
    r = X @ w + b - y
    return np.sum(r * r)

def in_loop(p, x):
    s = 0.0
    for t in range(3):
        if p[1] > 0.0:
            s = s + np.sum(p[0] * x) * p[1] + t
        else:
            s = s - p[1]
    return s

KEY = "w"

def module_key(p, x):
    return np.sum(p[KEY] * x)

def with_int(cfg, w):
    s = 0.0
    for i in range(cfg["n"]):
        s += w[i] * cfg["scale"]
    return s

def unpack(params):
    a, b = params
    return a * b

def dynamic_key(params, k):
    return params[k]

def missing(params):
    return params["nope"]
"""


@pytest.fixture
def m(load):
    return load(SOURCE)


def _paths(tree, prefix=()):
    if isinstance(tree, dict):
        return [p for k, v in tree.items() for p in _paths(v, prefix + (k,))]
    if isinstance(tree, (tuple, list)):
        return [p for k, v in enumerate(tree) for p in _paths(v, prefix + (k,))]
    return [prefix]


def _get(tree, path):
    for k in path:
        tree = tree[k]
    return tree


def _with(tree, path, value):
    """A copy of tree with the leaf at path replaced (tuples rebuilt)."""
    if not path:
        return value
    k, rest = path[0], path[1:]
    if isinstance(tree, dict):
        out = dict(tree)
        out[k] = _with(tree[k], rest, value)
        return out
    items = list(tree)
    items[k] = _with(tree[k], rest, value)
    return tuple(items) if isinstance(tree, tuple) else items


def _fd(f, args, i, path, h=1e-6):
    """Central differences of f with respect to the leaf at `path` of argument i."""
    leaf = _get(args[i], path)
    grad = np.zeros(np.shape(leaf))
    for idx in np.ndindex(np.shape(leaf)):
        vals = []
        for s in (1.0, -1.0):
            if np.ndim(leaf):
                moved = np.array(leaf, dtype=float)
                moved[idx] += s * h
            else:
                moved = leaf + s * h
            a = list(args)
            a[i] = _with(args[i], path, moved)
            vals.append(f(*a))
        grad[idx] = (vals[0] - vals[1]) / (2 * h)
    return grad if np.ndim(leaf) else float(grad)


def _check_tree(f, args, i, g, rtol=1e-5, atol=1e-8):
    assert type(g) is type(args[i])
    for path in _paths(args[i]):
        np.testing.assert_allclose(_get(g, path), _fd(f, args, i, path), rtol=rtol, atol=atol,
                                   err_msg=str(path))


def _data():
    r = np.random.default_rng(4)
    params = {"W1": r.normal(size=(3, 4)), "b1": r.normal(size=4), "w2": r.normal(size=4),
              "scale": 0.3}
    return params, r.normal(size=(5, 3)), r.normal(size=5)


@pytest.mark.parametrize("mode", ["reverse", "forward"])
@pytest.mark.parametrize("jit", [True, False])
def test_dict_of_arrays_and_floats(m, mode, jit):
    params, X, y = _data()
    before = copy.deepcopy(params)
    v, g = ad.value_and_grad(m.mlp, mode=mode, jit=jit)(params, X, y)
    assert v == pytest.approx(m.mlp(params, X, y), rel=1e-12)
    assert list(g) == list(params)                 # the keys in the parameter's order
    _check_tree(m.mlp, (params, X, y), 0, g)
    for k in params:                               # the caller's arrays are untouched
        np.testing.assert_array_equal(params[k], before[k])


def test_wrt_names_a_structured_parameter(m):
    params, X, y = _data()
    v, g = ad.value_and_grad(m.mlp, wrt="params")(params, X, y)
    g2 = ad.grad(m.mlp, wrt=(0, 2))(params, X, y)
    for k in params:
        np.testing.assert_allclose(g[k], g2[0][k], rtol=1e-12)
    np.testing.assert_allclose(g2[1], _fd(m.mlp, (params, X, y), 2, ()), rtol=1e-5)


@pytest.mark.parametrize("mode", ["reverse", "forward"])
def test_nested_dicts_tuples_and_lists(m, mode):
    r = np.random.default_rng(5)
    p = {"layer": {"a": r.normal(size=4), "k": 1.5}, "pair": [0.4, -0.7]}
    x = r.normal(size=4)
    g = ad.grad(m.nested, mode=mode)(p, x)
    assert isinstance(g["pair"], list) and isinstance(g["layer"], dict)
    _check_tree(m.nested, (p, x), 0, g)


@pytest.mark.parametrize("mode", ["reverse", "forward"])
def test_tuples_in_and_tuples_of_data(m, mode):
    r = np.random.default_rng(6)
    wb = (r.normal(size=3), 0.25)
    data = (r.normal(size=(6, 3)), r.normal(size=6))
    g = ad.grad(m.tupled, wrt=(0, 1), mode=mode)(wb, data)
    _check_tree(m.tupled, (wb, data), 0, g[0])
    _check_tree(m.tupled, (wb, data), 1, g[1])


@pytest.mark.parametrize("p1", [0.5, -0.5])
def test_structured_values_through_loops_and_branches(m, p1):
    x = np.linspace(-1.0, 1.0, 4)
    p = (np.cos(x), p1)
    for mode in ("reverse", "forward"):
        g = ad.grad(m.in_loop, mode=mode)(p, x)
        _check_tree(m.in_loop, (p, x), 0, g)


def test_module_constant_key(m):
    x = np.arange(3.0)
    g = ad.grad(m.module_key)({"w": np.ones(3)}, x)
    np.testing.assert_allclose(g["w"], x)


def test_int_leaves_are_not_differentiated_but_may_be_read(m):
    x = np.linspace(0.5, 1.5, 4)
    np.testing.assert_allclose(ad.grad(m.with_int, wrt=1)({"n": 3, "scale": 2.0}, x),
                               [2.0, 2.0, 2.0, 0.0])
    with pytest.raises(ad.AdTypeError, match=r"cfg\['n'\] is an int") as err:
        ad.grad(m.with_int, wrt=0)({"n": 3, "scale": 2.0}, x)
    assert "with_int" in str(err.value) and err.value.hint


def test_jvp_hvp_and_jacobian_take_structures(m):
    params, X, y = _data()
    t = {k: np.ones_like(v) * 0.5 if isinstance(v, np.ndarray) else 0.5
         for k, v in params.items()}
    g = ad.grad(m.mlp)(params, X, y)
    value, tangent = ad.jvp(m.mlp, (params, X, y), (t, 0 * X, 0 * y))
    assert value == pytest.approx(m.mlp(params, X, y))
    assert tangent == pytest.approx(sum(np.sum(g[k] * t[k]) for k in params), rel=1e-10)
    hv = ad.hvp(m.mlp)(params, X, y, t)              # H t, leaf by leaf, against the gradient
    h = 1e-5
    up = {k: params[k] + h * t[k] for k in params}
    down = {k: params[k] - h * t[k] for k in params}
    gu, gd = ad.grad(m.mlp)(up, X, y), ad.grad(m.mlp)(down, X, y)
    for k in params:
        np.testing.assert_allclose(hv[k], (gu[k] - gd[k]) / (2 * h), rtol=1e-5, atol=1e-7)
    jac = ad.jacobian(m.mlp)(params, X, y)
    for k in params:
        np.testing.assert_allclose(jac[k], g[k], rtol=1e-12)


@pytest.mark.parametrize("name,args,words", [
    ("unpack", ({"a": 1.0, "b": 2.0},), "unpacking a dict gives its keys"),
    ("dynamic_key", ({"a": 1.0}, 0), "keys known at compile time"),
    ("missing", ({"a": 1.0},), "no key 'nope'"),
])
def test_structured_mistakes_are_located_errors(m, name, args, words):
    with pytest.raises(ad.AdCompileError, match=words) as err:
        ad.grad(getattr(m, name))(*args)
    assert ".py:" in str(err.value) and err.value.hint


def test_hessian_of_a_structure_says_to_use_hvp(m):
    params, X, y = _data()
    with pytest.raises(ad.AdCompileError, match="hvp"):
        ad.hessian(m.mlp)(params, X, y)


def test_dict_keys_must_be_strings_or_ints(m):
    with pytest.raises(ad.AdTypeError, match="keyed by strings"):
        ad.grad(m.missing)({(1, 2): 1.0})


@pytest.mark.parametrize("seed", range(6))
def test_random_programs_with_their_parameters_in_a_dict(load, seed):
    """Random programs of the `writes` family (test_random_families.py), called through a
    function taking their parameters as a dict and a tuple: the structured gradients equal
    the plain ones leaf by leaf, in both modes."""
    import random

    from test_random_families import Choices, gen_writes
    case = gen_writes(Choices(rng=random.Random(1000 + seed)))
    m = load(case.src + "\n\ndef g(p, rest):\n    c, = rest\n"
                        "    return f(p['x'], p['A'], c)\n")
    x, A, c = case.args
    from conftest import compiled
    jit = seed == 0 or compiled(case.src)               # Numba's compile: the time
    for mode in ("reverse", "forward"):
        gx, gA, gc = ad.grad(m.f, wrt=(0, 1, 2), mode=mode, jit=jit)(x, A, c)
        gp, grest = ad.grad(m.g, wrt=(0, 1), mode=mode, jit=jit)({"x": x, "A": A}, (c,))
        np.testing.assert_allclose(gp["x"], gx, rtol=1e-12, atol=1e-14)
        np.testing.assert_allclose(gp["A"], gA, rtol=1e-12, atol=1e-14)
        assert isinstance(grest, tuple) and grest[0] == pytest.approx(gc, rel=1e-12)
