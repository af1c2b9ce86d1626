"""passes/fission.py: the exp/log/tanh of a summing loop computed first, vectorised, in a
loop of their own; only where nothing the loop changes feeds them."""
import re

import numpy as np
import pytest

import adcompile as ad
from gradcheck import fd_gradient

SOURCE = '''
import math
import numpy as np


def lse(x):
    a = np.max(x)
    return a + np.log(np.sum(np.exp(x - a)))


def logistic(w, X, y):
    return np.sum(np.log1p(np.exp(-y * (X @ w)))) + np.sum(np.tanh(w) ** 2)


def offset(x):
    return np.sum(np.sin(x[2:]) * np.cos(x[:-2]))


def user_loop(x):                  # a loop the user wrote: left as written
    s = 0.0
    for i in range(x.shape[0]):
        s = s + math.exp(x[i])
    return s


def carried(x):                    # the exp reads the running value: not split
    s = 0.0
    for i in range(x.shape[0]):
        s = s + math.sin(s * x[i] + 0.1)
    return s
'''

SPLIT = re.compile(r"^\s*vm_buf\w*\[\w+\] = vm\.\w+\(", re.M)


@pytest.fixture(scope="module")
def progs(tmp_path_factory):
    from conftest import load_source
    return load_source(tmp_path_factory.mktemp("fission"), SOURCE, "fission_progs")


def args_of(name, n=37):
    rng = np.random.default_rng(3)
    if name == "logistic":
        return [rng.normal(size=4) * 0.5, rng.normal(size=(n, 4)), np.sign(rng.normal(size=n))]
    return [rng.normal(size=n)]


@pytest.mark.parametrize("name", ["lse", "logistic", "offset"])
def test_split_loops_give_the_gradient(progs, name):
    f = getattr(progs, name)
    args = args_of(name)
    g = ad.value_and_grad(f)
    value, grad = g(*args)
    assert SPLIT.search(g.source), g.source
    assert np.isclose(value, f(*args), rtol=1e-13)
    assert np.allclose(grad, fd_gradient(f, args, 0), rtol=1e-6, atol=1e-8)
    assert np.allclose(grad, ad.grad(f, mode="forward")(*args), rtol=1e-12, atol=1e-14)
    plain = ad.value_and_grad(f, jit=False)(*args)
    assert np.isclose(plain[0], value, rtol=1e-14) and np.allclose(plain[1], grad, rtol=1e-13)
    for n in (0, 1, 2, 3, 1000):                   # every trip count, none included
        a = args_of(name, n)
        if name == "lse" and n == 0:
            continue                                # np.max of nothing: an error
        v, gr = g(*a)
        assert np.isclose(v, f(*a), rtol=1e-12), n


def test_loops_the_user_wrote_and_carried_reads_are_not_split(progs):
    for name in ("user_loop", "carried"):
        f = getattr(progs, name)
        args = args_of(name)
        g = ad.value_and_grad(f)
        value, grad = g(*args)
        assert not SPLIT.search(g.source), g.source
        assert np.allclose(grad, fd_gradient(f, args, 0), rtol=1e-6, atol=1e-8)


def test_hvp_and_nested_derivatives_of_split_loops(progs):
    x = args_of("lse")[0]
    v = np.random.default_rng(4).normal(size=x.shape)
    grad = ad.grad(progs.lse)
    eps = 1e-6
    fd_hv = (grad(x + eps * v) - grad(x - eps * v)) / (2 * eps)
    assert np.allclose(ad.hvp(progs.lse)(x, v), fd_hv, rtol=1e-6, atol=1e-7)
    assert np.allclose(ad.jacobian(grad)(x) @ v, fd_hv, rtol=1e-6, atol=1e-7)
