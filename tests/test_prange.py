"""prange loops in user code (passes/parallel.py): run in parallel where nothing can race,
serially otherwise; gradients equal to the serial ones within 1e-12, and to central
differences."""
import math
import re
import zlib

import numpy as np
import pytest
from hypothesis import given, strategies as st

import adcompile as ad
import prange_programs as progs
from conftest import in_ci
from gradcheck import fd_gradient
from test_random_programs import exprs

PARALLEL = {"logistic": 2, "two_sums": 2, "offset_start": 2, "writes": 2, "chained": 2,
            "counted": 2, "masked_rows": 2}
LOOPS = re.compile(r"^\s*for .* in prange\(", re.M)   # loops, not comments quoting one
SERIAL = ["product", "reads_total", "row_views", "inner_records"]


def data(n=300, d=3, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, d))
    y = np.sign(rng.normal(size=n))
    w = rng.normal(size=d) * 0.3
    return w, X, y


def serial_twin(tmp_path, name):
    """The same program with range for prange, from its own file."""
    import inspect
    from conftest import load_source
    src = inspect.getsource(progs).replace("numba.prange(", "range(").replace("prange(",
                                                                                "range(")
    return getattr(load_source(tmp_path, src, f"serial_{name}"), name)


@pytest.mark.parametrize("name", sorted(PARALLEL) + SERIAL)
def test_equal_to_serial_and_differences(name, tmp_path):
    f = getattr(progs, name)
    args = data()
    copies = [a.copy() for a in args]
    value, grad = ad.value_and_grad(f)(*args)
    s_value, s_grad = ad.value_and_grad(serial_twin(tmp_path, name), jit=False)(*args)
    assert np.isclose(value, s_value, rtol=1e-12, atol=1e-14)
    assert np.allclose(grad, s_grad, rtol=1e-12, atol=1e-14), (grad, s_grad)
    plain = ad.value_and_grad(f, jit=False)(*args)
    assert np.allclose(plain[1], grad, rtol=1e-12, atol=1e-14)
    assert np.allclose(grad, fd_gradient(f, list(args), 0), rtol=1e-6, atol=1e-8)
    for a, c in zip(args, copies):
        assert np.array_equal(a, c)


@pytest.mark.parametrize("name", sorted(PARALLEL))
def test_parallel_where_nothing_races(name):
    g = ad.value_and_grad(getattr(progs, name))
    g(*data())
    assert len(LOOPS.findall(g.source)) == PARALLEL[name], g.source
    if PARALLEL[name] == 2:
        assert "parallel_chunks(" in g.source


@pytest.mark.parametrize("name", SERIAL)
def test_serial_where_it_could_race(name):
    g = ad.value_and_grad(getattr(progs, name))
    g(*data())
    assert "parallel_chunks(" not in g.source
    forward = g.source.split("# adjoint of:")[0]
    if name != "row_views":
        assert not LOOPS.search(forward), g.source


@pytest.mark.parametrize("n", [0, 1, 2, 5, 63, 64, 65, 1000])
def test_every_trip_count(n, tmp_path):
    args = data(n=max(n, 1))
    args = (args[0], args[1][:n], args[2][:n])
    got = ad.value_and_grad(progs.two_sums)(*args)
    want = ad.value_and_grad(serial_twin(tmp_path, "two_sums"), jit=False)(*args)
    assert np.isclose(got[0], want[0], rtol=1e-12, atol=1e-14)
    assert np.allclose(got[1], want[1], rtol=1e-12, atol=1e-14)


def test_same_result_every_thread_count():
    """64 chunks whatever the threads: the sums are added in one order."""
    import numba
    g = ad.value_and_grad(progs.logistic)
    args = data(n=5000, d=5)
    first = g(*args)
    before = numba.get_num_threads()
    try:
        numba.set_num_threads(1)
        again = g(*args)
    finally:
        numba.set_num_threads(before)
    assert first[0] == again[0]
    assert np.array_equal(first[1], again[1])


def test_checkpointed_prange_loop(tmp_path):
    args = data(n=500)
    want = ad.value_and_grad(serial_twin(tmp_path, "logistic"), jit=False)(*args)
    got = ad.value_and_grad(progs.logistic, memory="1MB")(*args)
    assert np.isclose(got[0], want[0], rtol=1e-12)
    assert np.allclose(got[1], want[1], rtol=1e-12, atol=1e-14)


# ------------------------------------------------------------------ random prange sums
@st.composite
def sum_programs(draw):
    """A prange loop summing random expressions of x, y and the index into one or two
    accumulators, in branches or not: the loops that run in parallel (and in chunks)."""
    names = ["x", "y", "a", "t"]
    lines = ["import math", "from numba import prange", "", "def helper(u):",
             "    return math.sin(u) * u", "", "def f(x, y, n):", "    a = x * y",
             "    s = 0.0", "    r = 0.0",
             f"    for i in prange({draw(st.sampled_from(['n', '1, n', '2, n + 1']))}):",
             "        t = 0.1 * i"]
    for _ in range(draw(st.integers(1, 3))):
        target = draw(st.sampled_from(["s", "r"]))
        op = draw(st.sampled_from(["+=", "-="]))
        expr = draw(exprs(2, names))
        if draw(st.booleans()):
            cond = f"{draw(exprs(1, names))} > {draw(exprs(1, names))}"
            other = draw(exprs(1, names))
            lines += [f"        if {cond}:", f"            {target} {op} {expr}",
                      "        else:", f"            {target} {op} {other}"]
        else:
            lines.append(f"        {target} {op} {expr}")
    lines.append(f"    return s + {draw(st.sampled_from(['r', 'r * x', '0.5 * r * s']))}")
    return "\n".join(lines) + "\n"


@given(src=sum_programs(), point=st.tuples(st.floats(-1.5, 1.5), st.floats(-1.5, 1.5)),
       n=st.integers(0, 70))
def test_random_prange_sums(src, point, n, tmp_path_factory):
    from conftest import load_source
    where = tmp_path_factory.mktemp("prange")
    f = load_source(where, src, "psum").f
    g = load_source(where, src.replace("prange(", "range("), "rsum").f
    args = (*point, n)
    expect = g(*args)
    if not math.isfinite(expect) or abs(expect) > 1e6:
        return
    vp, gp = ad.value_and_grad(f, wrt=(0, 1), jit=False)(*args)
    vs, gs = ad.value_and_grad(g, wrt=(0, 1), jit=False)(*args)
    assert math.isclose(vp, vs, rel_tol=1e-12, abs_tol=1e-12), src
    for a, b in zip(gp, gs):
        assert math.isclose(a, b, rel_tol=1e-9, abs_tol=1e-11), (src, gp, gs)


@pytest.mark.parametrize("seed", range(3))
def test_random_prange_sums_compiled(seed, tmp_path):
    """A few of them compiled by Numba with parallel=True, against the range version."""
    from conftest import load_source
    from hypothesis import find
    from hypothesis import settings
    src = find(sum_programs(), lambda s: zlib.crc32(s.encode()) % 3 == seed and "if" in s,
               settings=settings(derandomize=True, database=None))
    f = load_source(tmp_path, src, "psum").f
    g = load_source(tmp_path, src.replace("prange(", "range("), "rsum").f
    for n in (0, 3, 200):
        args = (0.3, -0.7, n)
        vp, gp = ad.value_and_grad(f, wrt=(0, 1))(*args)
        vs, gs = ad.value_and_grad(g, wrt=(0, 1), jit=False)(*args)     # the reference
        assert math.isclose(vp, vs, rel_tol=1e-12, abs_tol=1e-12), src
        assert np.allclose(gp, gs, rtol=1e-9, atol=1e-11), (src, gp, gs)


@pytest.mark.parametrize("name", ["logistic", "two_sums", "offset_start"])
def test_other_transforms_of_prange_loops(name, tmp_path):
    """Forward mode, Hessian-vector products and nested gradients of a prange loop: as of
    its range twin (run as plain Python: the reference)."""
    f, g = getattr(progs, name), serial_twin(tmp_path, name)
    w, X, y = data(n=120)
    v = np.linspace(-1.0, 1.0, w.shape[0])
    # in CI each program compiles one transform in parallel (a different one per program;
    # test_batch.py compiles all three of another loop), the others run as plain Python
    jit = [not in_ci() or k == ["logistic", "two_sums", "offset_start"].index(name)
           for k in range(3)]
    for t, j in zip((lambda h, **k: ad.grad(h, mode="forward", **k),
                     lambda h, **k: ad.hvp(h, **k)), jit):
        args = (w, X, y, v) if t(f).transform.name == "hvp" else (w, X, y)
        assert np.allclose(t(f, jit=j)(*args), t(g, jit=False)(*args), rtol=1e-10, atol=1e-12)
    got = ad.jvp(f, (w, X, y), (v, np.zeros_like(X), np.zeros_like(y)), jit=jit[2])
    want = ad.jvp(g, (w, X, y), (v, np.zeros_like(X), np.zeros_like(y)), jit=False)
    assert np.allclose(got, want, rtol=1e-10, atol=1e-12)
