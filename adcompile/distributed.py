"""The gradient of a loss summed over shards of data held by Dask workers (docs/distributed.md).

    from adcompile.distributed import shard_gradient
    g = ad.value_and_grad(loss)                    # loss(w, X, y) on one shard
    value, dw = shard_gradient(g, (w,), shards)    # sum over shards of g(w, X_k, y_k)

`shards` is a list with one entry per shard: a Future (or a tuple of futures and arrays)
whose value is the tuple of arguments after `args`, e.g. (X_k, y_k); or a tuple of
dask.array.Array (X, y) chunked alike along axis 0, one shard per block of rows. Each shard's
call runs on a worker holding its data (its first array: X); the results come back to the
caller and are added in shard order, leaf by leaf for dicts, tuples and lists of arrays. The
gradient object is pickled by reference (pickling.py) and loaded once per worker process; its
compiled code comes from the shared on-disk cache (ADCOMPILE_CACHE_DIR).

reduce="sum" (the default) returns the sum over shards: the gradient of sum_k loss_k. With
reduce="mean" shard k is weighted by n_k / n (n_k its rows, n all rows): when the loss of a
shard is a mean over its rows, that is the gradient of the mean over all the data.
"""
from __future__ import annotations

import pickle

import numpy as np

from .errors import AdCompileError, MissingExtraError

try:
    import dask.array as _da
    import distributed as _distributed
    from dask import delayed as _delayed
except ImportError as _exc:                   # the base install has no Dask
    raise MissingExtraError(
        f"adcompile.distributed needs Dask ({_exc})",
        hint='pip install "adcompile[distributed]" (from a checkout: pip install ".[distributed]")'
    ) from None


def shard_gradient(g, args, shards, *, client=None, reduce: str = "sum"):
    """What g returns (a gradient, or value and gradient), summed over the shards: each
    shard's call is g(*args, *shard), run on the worker holding the shard. `args` are the
    leading arguments every call gets (a tuple; a single array is taken as (array,))."""
    _check_gradient(g)
    if reduce not in ("sum", "mean"):
        raise AdCompileError(f"reduce={reduce!r}: choose 'sum' or 'mean'",
                             hint="'mean' weights each shard by its share of the rows")
    args = args if isinstance(args, tuple) else (args,)
    # pickled here (a lambda's error is raised here) and loaded by the task: a worker that
    # cannot import the function then fails the task, which Dask reports, rather than its
    # connection (an argument that fails to load breaks the worker's message stream)
    blob = pickle.dumps(g)
    client = _client(client)
    if isinstance(shards, tuple) and shards and all(isinstance(a, _da.Array) for a in shards):
        blocks = _blocks(shards)
        where = _where(client, _block_futures(shards))
        parts = [client.compute(_delayed(_call, pure=False)(blob, args, b), **w)
                 for b, w in zip(blocks, where)]
    elif isinstance(shards, (list, tuple)) and not any(isinstance(a, _da.Array)
                                                       for a in shards):
        if not shards:
            raise AdCompileError("shard_gradient: no shards", hint="pass one entry per shard")
        where = _where(client, [_distributed.futures_of(s) for s in shards])
        parts = [client.submit(_call, blob, args, s, pure=False, **w)
                 for s, w in zip(shards, where)]
    else:
        raise AdCompileError(
            f"shard_gradient: shards must be a list (one entry per shard: a Future or a "
            f"tuple of arguments) or a tuple of dask arrays, not {type(shards).__name__}",
            hint="e.g. [client.submit(load_shard, k) for k in range(n)], or (X, y) as "
                 "dask arrays chunked alike along axis 0")
    results = client.gather(parts)
    return _combine(results, reduce)


def cache_stats(g) -> dict:
    """What this process's copy of g compiled and loaded: its specialisations, and how many
    signatures Numba loaded from the on-disk cache (hits) or compiled (misses). Run on the
    workers with client.run(cache_stats, g): g is loaded there as the tasks load it."""
    hits = misses = 0
    for compiled in list(g._specs.by_types.values()):
        stats = getattr(compiled.func, "stats", None)      # jit=False: plain Python
        if stats is not None:
            hits += sum(stats.cache_hits.values())
            misses += sum(stats.cache_misses.values())
    return {"specialisations": len(g._specs.by_types), "hits": hits, "misses": misses}


def _where(client, futures: list) -> list:
    """Per shard (the futures holding its data, X's first), where its call runs: on the
    workers holding the first (a loose restriction: elsewhere only if none does). Without
    it Dask may queue many calls in flight as root tasks on any worker, moving whole shards
    between workers."""
    first = [fs[0] for fs in futures if fs]
    if first:
        _distributed.wait(first)             # a shard still being made is held nowhere yet
    held = client.who_has(first) if first else {}
    out = []
    for fs in futures:
        workers = sorted(held.get(fs[0].key, ())) if fs else []
        out.append({"workers": workers, "allow_other_workers": True} if workers else {})
    return out


def _call(blob, args, shard):
    """On a worker: (rows of the shard, g(*args, *shard)), g pickled in blob (loaded once
    per process: pickling.py)."""
    g = pickle.loads(blob)
    parts = shard if isinstance(shard, tuple) else (shard,)
    rows = np.shape(parts[0])[0] if parts and np.ndim(parts[0]) else 1
    return rows, g(*args, *parts)


def _combine(results, reduce: str):
    """The results (rows, value) added in shard order; weighted by rows / all rows for a mean."""
    total_rows = sum(r for r, _ in results)
    out = None
    for rows, value in results:
        if reduce == "mean":
            value = _tree(lambda v, s=rows / total_rows: v * s, value)
        out = value if out is None else _tree(lambda a, b: a + b, out, value)
    return out


def _tree(op, a, *rest):
    """op applied leaf by leaf over dicts, tuples and lists (new values: none is mutated)."""
    if isinstance(a, dict):
        return {k: _tree(op, a[k], *(r[k] for r in rest)) for k in a}
    if isinstance(a, (tuple, list)):
        return type(a)(_tree(op, *leaves) for leaves in zip(a, *rest))
    return op(a, *rest)


def _blocks(arrays) -> list:
    """The shards of dask arrays: their blocks of rows, as tuples of delayed arrays."""
    first = arrays[0]
    for a in arrays:
        if a.ndim == 0:
            raise AdCompileError("shard_gradient: a 0-d dask array cannot be split into "
                                 "shards", hint="pass arrays with a leading axis of rows")
        if a.chunks[0] != first.chunks[0]:
            raise AdCompileError(
                f"shard_gradient: the dask arrays are split differently along axis 0 "
                f"({first.chunks[0]} and {a.chunks[0]}): each shard takes the same rows of "
                "every array", hint="rechunk them alike: y.rechunk({0: X.chunks[0]})")
        if any(len(c) > 1 for c in a.chunks[1:]):
            raise AdCompileError(
                f"shard_gradient: a dask array of shape {a.shape} is split along axis "
                f"{next(i for i, c in enumerate(a.chunks) if i and len(c) > 1)}; a shard "
                "holds whole rows", hint="rechunk it: X.rechunk({1: -1})")
    grids = [a.to_delayed().reshape(-1) for a in arrays]
    return [tuple(g[k] for g in grids) for k in range(len(first.chunks[0]))]


def _block_futures(arrays) -> list:
    """Per block of rows, the futures holding it (of arrays persisted on the cluster)."""
    from dask.core import flatten
    held = {f.key: f for a in arrays for f in _distributed.futures_of(a)}
    keys = [list(flatten(a.__dask_keys__())) for a in arrays]
    return [[held[k[b]] for k in keys if k[b] in held] for b in range(len(keys[0]))]


def _check_gradient(g):
    from .calling import Gradient
    from .transformed import Transformed
    if not (isinstance(g, Transformed) and isinstance(g.transform.call, Gradient)):
        raise AdCompileError(
            f"shard_gradient takes a gradient made by ad.grad or ad.value_and_grad, not "
            f"{g!r}", hint="shard_gradient(ad.value_and_grad(loss), (w,), shards)")


def _client(client):
    if client is not None:
        return client
    try:
        return _distributed.get_client()
    except ValueError:
        raise AdCompileError("shard_gradient: no Dask client is running",
                             hint="start one (client = distributed.Client(LocalCluster())) "
                                  "or pass client=") from None


__all__ = ["shard_gradient", "cache_stats"]
