"""Pickled gradients (by reference, loaded from the on-disk cache) and the Dask helper that
sums a gradient over shards held by the workers of a LocalCluster (docs/distributed.md)."""
import json
import os
import pickle
import subprocess
import sys
import textwrap

import numpy as np
import pytest

import adcompile as ad
import shard_losses as sl
from adcompile import pickling
from adcompile.errors import AdCompileError, NotPicklableError
from gradcheck import fd_gradient

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)


def _env():
    path = os.pathsep.join([HERE, ROOT, os.environ.get("PYTHONPATH", "")])
    return dict(os.environ, PYTHONPATH=path)


def _run(code: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-c", textwrap.dedent(code)], capture_output=True,
                          text=True, env=_env(), timeout=300)


# ---------------------------------------------------------------------------- pickling
SCALAR_ARGS = (0.7, 1.3)
MAKERS = {
    "grad": lambda: ad.grad(sl.smooth),
    "value_and_grad wrt both": lambda: ad.value_and_grad(sl.smooth, wrt=("x", "y")),
    "forward mode": lambda: ad.grad(sl.smooth, wrt=1, mode="forward"),
    "no jit": lambda: ad.grad(sl.smooth, wrt=(0, 1), jit=False),
    "conventions": lambda: ad.grad(sl.kinked, conventions=ad.Conventions(abs=1.0)),
    "directional": lambda: ad.value_and_grad(sl.kinked, nonsmooth="directional", seed=5),
    "hessian": lambda: ad.hessian(sl.smooth),
    "hvp": lambda: ad.hvp(sl.smooth, wrt=(0, 1)),
    "jacobian": lambda: ad.jacobian(sl.smooth, wrt=1, mode="forward"),
    "grad of grad": lambda: ad.grad(ad.grad(sl.smooth), wrt=1),
}


@pytest.mark.parametrize("name", MAKERS)
def test_a_pickled_transform_is_made_again_and_computes_the_same(name):
    t = MAKERS[name]()
    data = pickle.dumps(t)
    pickling._REGISTRY.clear()               # not the object pickled: one made from the pickle
    u = pickle.loads(data)
    assert u is not t
    assert (u.transform, u.wrt, u.single, u.jit, u.seed) == \
        (t.transform, t.wrt, t.single, t.jit, t.seed)
    assert repr(u) == repr(t)
    args = SCALAR_ARGS + (0.5, -1.0) * (name == "hvp")      # hvp: a direction per parameter
    assert u(*args) == t(*args)                   # directional: the same seeded directions


@pytest.mark.parametrize("make, wrt", [(lambda: ad.grad(sl.smooth, wrt=(0, 1)), (0, 1)),
                                       (lambda: ad.grad(sl.kinked, wrt=(0, 1)), (0, 1))])
def test_a_loaded_gradient_equals_finite_differences(make, wrt):
    data = pickle.dumps(make())
    pickling._REGISTRY.clear()
    got = pickle.loads(data)(*SCALAR_ARGS)
    for i, g in zip(wrt, got):
        assert g == pytest.approx(fd_gradient(getattr(sl, make().func.__name__),
                                              SCALAR_ARGS, i), rel=1e-7, abs=1e-9)


def test_a_loaded_gradient_of_a_gradient_equals_finite_differences():
    data = pickle.dumps(ad.grad(ad.grad(sl.smooth), wrt=1))
    pickling._REGISTRY.clear()
    d2 = pickle.loads(data)(*SCALAR_ARGS)
    assert d2 == pytest.approx(fd_gradient(ad.grad(sl.smooth), SCALAR_ARGS, 1), rel=1e-7)


def test_array_gradients_round_trip_and_arrays_are_not_written():
    X, y = sl.make_shard(0, 40, 3)
    w = np.array([0.3, -0.1, 0.2])
    before = (w.copy(), X.copy(), y.copy())
    data = pickle.dumps(ad.value_and_grad(sl.logistic_sum))
    pickling._REGISTRY.clear()
    value, dw = pickle.loads(data)(w, X, y)
    assert value == pytest.approx(sl.logistic_sum(w, X, y), rel=1e-13)
    assert np.allclose(dw, fd_gradient(sl.logistic_sum, (w, X, y), 0), rtol=1e-7, atol=1e-9)
    assert all(np.array_equal(a, b) for a, b in zip((w, X, y), before))


def test_loading_reuses_one_object_per_process():
    g = ad.grad(sl.logistic_sum)
    assert pickle.loads(pickle.dumps(g)) is g          # pickled here: that object
    data = pickle.dumps(g)
    pickling._REGISTRY.clear()
    first = pickle.loads(data)
    assert pickle.loads(data) is first is not g
    assert pickle.loads(pickle.dumps(ad.grad(sl.logistic_sum, wrt=1))) is not first


def test_the_pickle_is_small_deterministic_and_names_the_function():
    g = ad.value_and_grad(sl.logistic_sum)
    data = pickle.dumps(g)
    assert len(data) < 400 and pickle.dumps(g) == data
    assert b"shard_losses" in data and b"logistic_sum" in data
    assert b"co_code" not in data and b"CodeType" not in data
    g(np.zeros(2), np.ones((3, 2)), np.ones(3))        # compiling does not change it
    assert pickle.dumps(g) == data
    proc = _run("""
        import pickle, adcompile as ad, shard_losses as sl
        print(pickle.dumps(ad.value_and_grad(sl.logistic_sum)).hex())""")
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == data.hex()         # the same bytes in another process


def test_a_fresh_process_loads_the_compiled_code_from_the_cache(tmp_path):
    g = ad.value_and_grad(sl.logistic_sum)
    X, y = sl.make_shard(1, 50, 4)
    w = np.linspace(-0.5, 0.5, 4)
    value, dw = g(w, X, y)                           # compiled here: written to the cache
    (tmp_path / "g.pkl").write_bytes(pickle.dumps(g))
    proc = _run(f"""
        import json, pickle, numpy as np, shard_losses as sl
        data = open({str(tmp_path / "g.pkl")!r}, "rb").read()
        g = pickle.loads(data)
        X, y = sl.make_shard(1, 50, 4)
        value, dw = g(np.linspace(-0.5, 0.5, 4), X, y)
        stats = g.kernel.stats
        print(json.dumps({{"value": value, "dw": dw.tolist(),
                          "hits": sum(stats.cache_hits.values()),
                          "misses": sum(stats.cache_misses.values()),
                          "same": pickle.loads(data) is g}}))""")
    assert proc.returncode == 0, proc.stderr
    out = json.loads(proc.stdout.strip().splitlines()[-1])
    assert out["value"] == value and out["dw"] == dw.tolist()
    assert (out["hits"], out["misses"]) == (1, 0)    # machine code loaded, none compiled
    assert out["same"]


# ---------------------------------------------------------------------------- errors
def test_a_lambda_is_not_picklable_and_the_error_says_why():
    with pytest.raises(NotPicklableError) as info:
        pickle.dumps(ad.grad(lambda x: x * x))
    text = str(info.value)
    assert "<lambda>" in text and "is a lambda" in text and "test_distributed.py" in text
    assert "hint: define it with def at the top level of a module" in text
    assert isinstance(info.value, pickle.PicklingError) and \
        isinstance(info.value, AdCompileError)


def test_a_nested_function_is_not_picklable_and_the_error_names_it():
    def inner_loss(x):
        return x * x
    with pytest.raises(NotPicklableError, match="inner_loss is a function defined inside "
                                                "another function"):
        pickle.dumps(ad.grad(inner_loss))
    with pytest.raises(NotPicklableError, match="inner_loss"):   # inside a nested transform
        pickle.dumps(ad.grad(ad.grad(inner_loss)))


def test_a_function_its_name_does_not_import_is_not_picklable(tmp_path):
    from conftest import load_source
    module = load_source(tmp_path, "def f(x):\n    return x * x\n", "elsewhere")
    with pytest.raises(NotPicklableError, match=r"elsewhere_\d+\.f does not name this function"):
        pickle.dumps(ad.grad(module.f))


def test_loading_where_the_module_is_missing_names_it():
    data = pickle.dumps(ad.grad(sl.smooth))
    assert data.count(b"shard_losses") == 1
    with pytest.raises(NotPicklableError, match=r"shard_lossez\.smooth cannot be imported here"):
        pickle.loads(data.replace(b"shard_losses", b"shard_lossez"))


def test_importing_the_helper_without_dask_says_how_to_install_it():
    proc = _run("""
        import sys
        sys.modules["dask"] = sys.modules["distributed"] = None     # as if not installed
        import adcompile.distributed""")
    assert proc.returncode != 0
    assert "MissingExtraError" in proc.stderr and 'pip install ".[distributed]"' in proc.stderr


# ---------------------------------------------------------------------------- Dask
@pytest.fixture(scope="module")
def client():
    distributed = pytest.importorskip("distributed")
    import dask
    # no work stealing: on a loaded machine (CI runs the tests on both cores) the scheduler
    # may move a busy worker's task, and its shard, to the other worker, which is right but
    # makes where a call ran depend on timing; without it, where the calls run is what
    # shard_gradient's restrictions decide (test_calls_run_where_their_shards_are)
    with dask.config.set({"distributed.scheduler.work-stealing": False}), \
            distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                                     memory_limit="1GiB", dashboard_address=":0") as cluster, \
            distributed.Client(cluster) as c:
        yield c


ROWS, D, SHARDS = 120, 5, 4


def _shards(client):
    """The shards made on the workers, alternately on each (none holds all the data)."""
    workers = sorted(client.scheduler_info()["workers"])
    return [client.submit(sl.make_shard, k, ROWS, D, workers=[workers[k % len(workers)]])
            for k in range(SHARDS)]


def _all_data():
    parts = [sl.make_shard(k, ROWS, D) for k in range(SHARDS)]
    return np.concatenate([p[0] for p in parts]), np.concatenate([p[1] for p in parts])


def _close(a, b):
    a, b = np.asarray(a), np.asarray(b)
    return np.linalg.norm(a - b) <= 1e-12 * np.linalg.norm(b)


def test_the_distributed_gradient_equals_the_single_process_one(client):
    from adcompile.distributed import cache_stats, shard_gradient
    g = ad.value_and_grad(sl.logistic_sum)
    X, y = _all_data()
    w = np.linspace(-0.4, 0.6, D)
    w0 = w.copy()
    value, dw = g(w, X, y)                  # single process (and compiled into the cache)
    shards = _shards(client)
    for _ in range(2):
        v, got = shard_gradient(g, (w,), shards, client=client)
        assert _close(v, value) and _close(got, dw)
    assert np.array_equal(w, w0)
    # each worker loaded g once and its machine code from the cache: nothing compiled
    stats = client.run(cache_stats, g)
    assert list(stats.values()) == [{"specialisations": 1, "hits": 1, "misses": 0}] * 2


def test_calls_run_where_their_shards_are(client):
    """Many calls at once (Dask then queues unrestricted calls as root tasks on whichever
    worker is free, copying shards to it): each still runs where its shard is."""
    from concurrent.futures import ThreadPoolExecutor
    from adcompile.distributed import shard_gradient
    g = ad.grad(sl.logistic_sum)
    shards = _shards(client)
    w = np.linspace(-0.4, 0.6, D)
    with ThreadPoolExecutor(4) as pool:
        grads = list(pool.map(lambda _: shard_gradient(g, w, shards, client=client), range(12)))
    assert all(_close(d, g(w, *_all_data())) for d in grads)
    assert all(len(held) == 1 for held in client.who_has(shards).values())


def test_a_mean_over_dask_array_blocks_weights_shards_by_rows(client):
    import dask.array as da
    from adcompile.distributed import shard_gradient
    X, y = _all_data()
    chunks = (100, 200, 180)                        # shards of unequal sizes
    dX, dy = da.from_array(X, chunks=(chunks, D)), da.from_array(y, chunks=(chunks,))
    w = np.linspace(0.5, -0.5, D)
    g = ad.value_and_grad(sl.logistic_mean)
    v, got = shard_gradient(g, w, (dX, dy), client=client, reduce="mean")
    value, dw = g(w, X, y)
    assert _close(v, value) and _close(got, dw)
    dX, dy = client.persist([dX, dy])               # blocks kept on the workers: calls go there
    for _ in range(3):
        total = shard_gradient(ad.grad(sl.logistic_sum), w, (dX, dy), client=client)
        assert _close(total, ad.grad(sl.logistic_sum)(w, X, y))
    assert all(len(held) == 1 for held in client.who_has(dX).values())   # y's may move


def test_dict_gradients_are_summed_leaf_by_leaf(client):
    from adcompile.distributed import shard_gradient
    rng = np.random.default_rng(3)
    p = {"W": rng.normal(size=(D, 3)), "b": rng.normal(size=3), "v": rng.normal(size=3)}
    g = ad.grad(sl.two_layer)
    got = shard_gradient(g, (p,), _shards(client), client=client)
    expect = g(p, *_all_data())
    assert sorted(got) == sorted(expect)
    assert all(_close(got[k], expect[k]) for k in expect)


def test_a_worker_that_cannot_import_the_function_fails_the_call_with_its_name(
        client, tmp_path, monkeypatch):
    from adcompile.distributed import shard_gradient
    (tmp_path / "only_here.py").write_text("def sq(w, x):\n    return w * w * x\n")
    monkeypatch.syspath_prepend(str(tmp_path))        # here, not on the running workers
    import only_here
    with pytest.raises(NotPicklableError, match=r"only_here\.sq cannot be imported here"):
        shard_gradient(ad.grad(only_here.sq), 1.5, [(2.0,)], client=client)
    assert shard_gradient(ad.grad(sl.smooth), 0.7, [(1.3,)], client=client) == \
        ad.grad(sl.smooth)(0.7, 1.3)                 # the workers still work
    with pytest.raises(NotPicklableError, match="is a lambda"):     # raised here
        shard_gradient(ad.grad(lambda w, x: w * x), 1.5, [(2.0,)], client=client)


def test_the_helper_explains_mistakes(client):
    import dask.array as da
    from adcompile.distributed import shard_gradient
    X, y = _all_data()
    g = ad.grad(sl.logistic_sum)
    with pytest.raises(AdCompileError, match="takes a gradient made by ad.grad"):
        shard_gradient(ad.hessian(sl.logistic_sum), (np.zeros(D),), [(X, y)], client=client)
    with pytest.raises(AdCompileError, match="reduce='median'"):
        shard_gradient(g, (np.zeros(D),), [(X, y)], client=client, reduce="median")
    with pytest.raises(AdCompileError, match="split differently along axis 0"):
        shard_gradient(g, (np.zeros(D),), (da.from_array(X, chunks=(240, D)),
                                           da.from_array(y, chunks=120)), client=client)
    with pytest.raises(AdCompileError, match="a shard holds whole rows"):
        shard_gradient(g, (np.zeros(D),), (da.from_array(X, chunks=(240, 2)),
                                           da.from_array(y, chunks=240)), client=client)
    with pytest.raises(AdCompileError, match="shards must be a list"):
        shard_gradient(g, (np.zeros(D),), X, client=client)
