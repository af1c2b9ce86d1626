"""Data-parallel logistic regression on a Dask LocalCluster (docs/distributed.md).

The data set (n rows of d features) is made on the workers, shard by shard, alternately on
each: no process of the cluster holds all of it, and each worker's memory limit is below
the size of the whole. Every step of gradient descent sends the weights to the shards, runs
the compiled gradient of the loss of each shard where the shard is, and adds the results:

    vg = ad.value_and_grad(loss)                   # loss(w, X, y): summed over one shard
    value, grad = shard_gradient(vg, (w,), shards) # the sum over the shards

The gradient object travels to the workers pickled by reference (this module's `loss` by
name; workers of a LocalCluster import the script) and its machine code comes from the
on-disk cache: the workers compile nothing. The script checks the distributed gradient
against the single-process one (this process makes the same data and computes it in one
call) and prints the time of each.

Run it:  python examples/distributed_sgd.py               (1,500,000 x 100: 1.2 GB of data)
         python examples/distributed_sgd.py --rows 20000  (small: what the tests run)
"""
import argparse
import time

import numpy as np

import adcompile as ad


def loss(w, X, y):
    """The logistic loss summed over the rows of one shard."""
    return np.sum(np.log1p(np.exp(-y * (X @ w))))


def make_shard(k, rows, d, seed=0):
    """Shard k: the same rows on every process that makes it."""
    rng = np.random.default_rng([seed, k])
    X = rng.normal(size=(rows, d))
    w_true = np.random.default_rng(seed).normal(size=d) / np.sqrt(d) * 3.0
    y = np.sign(X @ w_true + 0.5 * rng.normal(size=rows))
    return X, y


def _median_time(f, repeat):
    times = []
    for _ in range(repeat):
        t = time.perf_counter()
        f()
        times.append(time.perf_counter() - t)
    return float(np.median(times))


def _nothing(shard) -> int:
    """A task that does nothing with its shard: what a step costs Dask alone."""
    return 0


def _process_memory() -> int:
    """This process's resident memory (run on each worker)."""
    import psutil
    return psutil.Process().memory_info().rss


def _held_by_worker(client) -> dict:
    """Bytes of the data each worker holds."""
    nbytes = client.nbytes(summary=False)
    return {w: sum(nbytes.get(k, 0) for k in keys) for w, keys in client.has_what().items()}


def main(rows=1_500_000, d=100, shards=4, workers=2, steps=15, lr=4.0):
    import dask
    from dask.distributed import Client, LocalCluster, wait
    from adcompile.distributed import cache_stats, shard_gradient

    vg = ad.value_and_grad(loss)
    per_shard = rows // shards
    n = per_shard * shards
    data_bytes = n * (d + 1) * 8
    # a worker holds its shards, the interpreter, NumPy, Numba and Dask (~250 MB): at 3/4 of
    # its limit it is well below where Dask pauses it (4/5); the limit is below the size of
    # the whole data set when that is large enough (the default size)
    limit = max(int(0.9 * data_bytes), int((250e6 + data_bytes / workers) / 0.75))
    w = np.zeros(d)

    # the single-process reference: all the data in this process, one call (which compiles
    # the gradient and writes it to the cache the workers read)
    X, y = np.empty((n, d)), np.empty(n)
    for k in range(shards):
        X[k * per_shard:(k + 1) * per_shard], y[k * per_shard:(k + 1) * per_shard] = \
            make_shard(k, per_shard, d)
    ref_value, ref_grad = vg(w, X, y)
    single = _median_time(lambda: vg(w, X, y), 5)

    # the training data stays in memory: never spilled to disk (it is read at every step)
    with dask.config.set({"distributed.worker.memory.target": False,
                          "distributed.worker.memory.spill": False}), \
            LocalCluster(n_workers=workers, threads_per_worker=1, processes=True,
                         memory_limit=limit, dashboard_address=":0") as cluster, \
            Client(cluster) as client:
        names = sorted(client.scheduler_info()["workers"])
        futures = [client.submit(make_shard, k, per_shard, d, workers=[names[k % workers]],
                                 allow_other_workers=True)   # remade elsewhere if one is lost
                   for k in range(shards)]
        wait(futures)
        held = _held_by_worker(client)
        print(f"data: {n:,} rows x {d} features = {data_bytes / 1e6:.0f} MB in {shards} shards "
              f"made on {workers} worker processes, memory limit {limit / 1e6:.0f} MB each "
              f"({'below' if limit < data_bytes else 'above'} the data set's size); "
              f"held per worker: " + ", ".join(f"{b / 1e6:.0f} MB" for b in held.values()))

        t = time.perf_counter()
        value, grad = shard_gradient(vg, (w,), futures, client=client)
        first = time.perf_counter() - t
        diff = np.linalg.norm(grad - ref_grad) / np.linalg.norm(ref_grad)
        print(f"the distributed gradient equals the single-process one: relative difference "
              f"{diff:.1e} (value {abs(value - ref_value) / abs(ref_value):.1e})")
        assert diff <= 1e-12, diff
        stats = client.run(cache_stats, vg)
        rss = client.run(_process_memory)
        print("worker processes use " + ", ".join(f"{b / 1e6:.0f} MB" for b in rss.values()) +
              f" (the limit: {limit / 1e6:.0f} MB)")
        print("compiled code on the workers: " + ", ".join(
            f"{s['hits']} loaded from the cache, {s['misses']} compiled" for s in stats.values())
            + f"; the first distributed gradient (the workers load it) took {first:.2f} s")

        history, step_times = [], []
        for step in range(steps):
            t = time.perf_counter()
            value, grad = shard_gradient(vg, (w,), futures, client=client)
            step_times.append(time.perf_counter() - t)
            history.append(value / n)
            w = w - lr * grad / n              # the mean loss's gradient
            if step % 5 == 0 or step == steps - 1:
                print(f"step {step:3d}  mean loss {value / n:.5f}")
        assert history[-1] < history[0]
        distributed = float(np.median(step_times))
        overhead = _median_time(lambda: client.gather(
            [client.submit(_nothing, f, pure=False, workers=[names[k % workers]],
                           allow_other_workers=True) for k, f in enumerate(futures)]), 10)
    accuracy = np.mean(np.sign(X @ w) == y)
    print(f"loss went down from {history[0]:.4f} to {history[-1]:.4f}; training accuracy "
          f"{accuracy:.3f}")
    print(f"one gradient of the whole data: single process {single * 1e3:.1f} ms, "
          f"distributed over {workers} workers {distributed * 1e3:.1f} ms (median; of which "
          f"Dask's round trip of a task per shard doing nothing: {overhead * 1e3:.1f} ms)")
    return {"history": history, "diff": diff, "single": single, "distributed": distributed,
            "first": first, "overhead": overhead, "stats": stats}


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_500_000)
    parser.add_argument("--features", type=int, default=100)
    parser.add_argument("--steps", type=int, default=15)
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args()
    main(rows=args.rows, d=args.features, steps=args.steps, workers=args.workers)
