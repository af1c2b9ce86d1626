"""Per-sample gradients and gradients of sums over samples, on all cores (docs/parallel.md).

    g = ad.grad(loss, wrt="w", batch=("x", "y"))              # loss(w, x, y): ONE sample
    G = g(w, X, Y)               # X: (n, d), Y: (n,)  ->  G: (n, *w.shape), row i = grad at sample i
    s = ad.grad(loss, wrt="w", batch=("x", "y"), reduce="sum")
    s(w, X, Y)                   # the gradient of sum_i loss(w, X[i], Y[i]), shaped like w

The per-sample value and gradient is compiled as any value_and_grad is (a Transformed,
specialised for one sample's types: x of shape (d,), y a float). A driver, generated as
readable source (batchsource.py) and compiled by Numba with parallel=True, calls that
compiled kernel once per sample and writes each result into its row of a preallocated
output. The samples are cut into chunks of consecutive samples (64; fewer for few samples),
which a `prange` loop shares out among the threads (Numba's static schedule: consecutive
chunks to each thread). With reduce="sum" each chunk sums
its samples in order into accumulators of its own, and the chunks' sums are added in chunk
order afterwards: the same bits at every call, whatever the number of threads. No per-sample
gradient is materialised for a sum, and no Python runs per sample.
"""
from __future__ import annotations

import functools
import math

import numpy as np

from . import batchsource, specs
from .arguments import _clean
from .docs import doc_path
from .errors import AdCompileError, AdTypeError, ShapeError
from .jit import PRANGE_ONLY, _seal_new, compile_function, run_compiled, write_module
from .transformed import Transformed

_RESERVED = {"n", "i", "c", "r", "lo", "hi", "kernel", "np", "prange", "n_chunks"}


class Batched:
    """The gradient (value and gradient with with_value) of `func` for every sample of the
    batched parameters (reduce=None: stacked along a new leading axis), or of the sum over
    the samples (reduce="sum")."""

    def __init__(self, func, wrt, batch, reduce=None, jit: bool = True,
                 with_value: bool = False, mode: str = "reverse", conventions=None,
                 memory=None):
        self.per_sample = Transformed(func, specs.gradient(True, mode, conventions, memory),
                                      wrt, jit)
        self.func = self.per_sample.func
        self.params = self.per_sample.params
        self.batch = _batch_indices(batch, self.params, self.per_sample)
        if reduce not in (None, "sum"):
            raise AdCompileError(f"reduce={reduce!r}: the one reduction is 'sum'",
                                 self.per_sample._def_loc(),
                                 hint="leave it out for one gradient per sample")
        self.reduce = reduce
        self.with_value = with_value
        self.jit = jit
        self._drivers: dict = {}             # Compiled (of the kernel) -> _Driver
        self._fast: dict = {}                # _fast_key of the arguments -> (driver, compiled)
        self._last = None
        functools.update_wrapper(self, self.func)

    # -- calling -------------------------------------------------------------------------
    def __call__(self, *args, **kwargs):
        try:
            if not kwargs:                   # floats and ready arrays: no binding, no typing
                hit = self._fast.get(_fast_key(args))
                if hit is not None:
                    driver, compiled = hit
                    n = args[self.batch[0]].shape[0]
                    if n and all(args[k].shape[0] == n for k in self.batch) and \
                            (not compiled.watches or compiled.fresh()):
                        self._last = driver
                        return driver.run(self, compiled, list(args),
                                          {k: args[k] for k in self.batch}, n)
            return self._call(args, kwargs)
        except AdCompileError as exc:        # the user's call is where the error belongs
            raise _clean(exc) from None

    def _call(self, args, kwargs):
        inner = self.per_sample
        values = inner._bind(args, kwargs)
        arrays, n = self._samples(values)
        first = list(values)
        for k, a in arrays.items():          # the types of one sample specialise the kernel
            row = a[0] if n else np.zeros(a.shape[1:], a.dtype)
            first[k] = row.item() if row.ndim == 0 else row
        types, typed = inner._typed(first)
        compiled = inner._specialise(types)
        if compiled.effects:
            raise AdCompileError(
                f"{self.func.__name__}() updates attributes of objects "
                f"({', '.join('.'.join((e[1],) + tuple(e[2])) for e in compiled.effects)}); "
                "batch= runs the "
                "samples in parallel and cannot do that", inner._def_loc(),
                hint="count calls outside the function, or call it without batch=")
        driver = self._drivers.get(compiled)
        if driver is None:
            driver = self._drivers[compiled] = _Driver(self, compiled, typed)
        self._last = driver
        if not kwargs and len(args) == len(self.params) and compiled.layout is None and \
                all(arrays[k] is args[k] for k in self.batch):
            key = _fast_key(args)
            if key is not None:
                self._fast[key] = (driver, compiled)
        return driver.run(self, compiled, typed, arrays, n)

    def _samples(self, values) -> tuple:
        """The batched arguments as C-contiguous arrays of float64, int64 or bool (copies
        only where needed: the user's arrays are never written), and the number of samples
        (an error unless they agree)."""
        inner = self.per_sample
        name = self.func.__name__
        arrays = {}
        for k in self.batch:
            v = values[k]
            p = self.params[k]
            if isinstance(v, (list, tuple)) and not isinstance(v, np.ndarray):
                v = np.asarray(v)
            if not isinstance(v, np.ndarray) or v.ndim == 0:
                raise AdTypeError(
                    f"{name}(): batched parameter {p!r} got {_what(v)}; it takes one sample "
                    "per row: an array whose first axis runs over the samples", inner._def_loc(),
                    hint=f"pass an array of shape (n_samples, ...) for {p!r}, or leave {p!r} "
                         "out of batch= to pass the same value to every sample")
            if v.dtype.kind == "f":
                v = np.ascontiguousarray(v, dtype=np.float64)
            elif v.dtype.kind in "iu":
                v = np.ascontiguousarray(v, dtype=np.int64)
            elif v.dtype.kind == "b":
                v = np.ascontiguousarray(v)
            else:
                raise AdTypeError(f"{name}(): batched parameter {p!r} got an array of "
                                  f"{v.dtype}", inner._def_loc(),
                                  hint="pass float, int or bool arrays")
            arrays[k] = v
        counts = {k: a.shape[0] for k, a in arrays.items()}
        if len(set(counts.values())) > 1:
            listed = ", ".join(f"{self.params[k]!r} has {c} (shape {arrays[k].shape})"
                               for k, c in counts.items())
            raise ShapeError(
                f"{name}(): the batched parameters disagree on the number of samples: "
                f"{listed}", loc=inner._def_loc(),
                hint="batch= takes sample i from row i (axis 0) of each batched argument: "
                     "pass arrays with the same length along axis 0")
        return arrays, next(iter(counts.values()))

    # -- what was compiled ---------------------------------------------------------------
    def _current(self):
        if self._last is None:
            raise AdCompileError(f"{self!r} has not been called yet: the driver is generated "
                                 "for the argument types of the first call",
                                 hint="call it once, then read .source or .kernel")
        return self._last

    @property
    def source(self) -> str:
        """The generated driver (of the last call); .per_sample.source is the kernel's."""
        return self._current().source

    @property
    def source_path(self):
        return self._current().path

    @property
    def kernel(self):
        """The compiled driver of the last call (its arguments: see .source)."""
        return self._current().func

    def __repr__(self) -> str:
        what = "sum over samples" if self.reduce == "sum" else "per-sample"
        batch = ", ".join(self.params[k] for k in self.batch)
        kind = "value_and_grad" if self.with_value else "grad"
        return (f"<adcompile {what} {kind} of {self.func.__name__} wrt "
                f"({self.per_sample.wrt_text}) batch ({batch})>")


class _Driver:
    """The compiled driver of one kernel specialisation: its source, file and function, and
    where the kernel's arguments and results are."""

    def __init__(self, b: Batched, compiled, typed: list):
        inner = b.per_sample
        layout = compiled.layout
        flat = layout.flatten(typed) if layout is not None else list(typed)
        names = list(layout.names) if layout is not None else list(inner.params)
        names += [p.hint or "captured" for p in compiled.entry_fn.params[len(flat):]]
        self.args = _identifiers(names)
        self.batched = {layout.ranges[k][0] if layout is not None else k for k in b.batch}
        wrt = list(layout.wrt) if layout is not None else list(inner.wrt)
        single = inner.single and layout is None
        outputs = [batchsource.Output("value", "r[0]", False)] if b.with_value or \
            b.reduce == "sum" else []
        self.at = [None] if outputs else []   # where each output's shape comes from
        for k, p in enumerate(wrt):
            access = ("r[1]" if single else f"r[1][{k}]") if compiled.grouped else f"r[{1 + k}]"
            outputs.append(batchsource.Output(self.args[p] + "_bar", access,
                                              isinstance(flat[p], np.ndarray),
                                              p in self.batched))
            self.at.append(p)
        self.outputs = outputs
        self.value = b.with_value
        fname = inner.func.__name__
        kernel_file = getattr(compiled.path, "name", str(compiled.path))
        if b.reduce == "sum":
            name = f"{fname}_sum_over_samples"
            doc = (f"sum over the samples (axis 0 of {_listed(b)}) of the value and gradient "
                   f"of {fname} with respect to {inner.wrt_text}: each chunk of samples summed "
                   "in order into its own accumulators, then the chunks in order")
            function = batchsource.summed(name, doc, self.args, self.batched, outputs)
        else:
            name = f"{fname}_per_sample"
            doc = (f"value and gradient of {fname} with respect to {inner.wrt_text} for every "
                   f"sample (axis 0 of {_listed(b)}), chunks of samples in parallel: row i of "
                   "each output")
            function = batchsource.per_sample(name, doc, self.args, self.batched, outputs)
        header = (f"Generated by adcompile: the {doc}.\n\nThe per-sample kernel, the "
                  f"value and gradient of {fname}, is in {kernel_file}; kernel below is it, "
                  "compiled.")
        self.source = batchsource.module(header, f"set on loading: the compiled entry of "
                                         f"{kernel_file}", function)
        self.path = write_module(self.source, name)
        self.func = compile_function(self.path, name, b.jit, self.source,
                                     parallel=PRANGE_ONLY)
        py = self.func.py_func if b.jit else self.func.py_source
        py.__globals__["kernel"] = compiled.func
        self.reduce = b.reduce

    def run(self, b: Batched, compiled, typed: list, arrays: dict, n: int):
        layout = compiled.layout
        flat = layout.flatten(typed) if layout is not None else list(typed)
        for k, a in arrays.items():
            flat[layout.ranges[k][0] if layout is not None else k] = a
        flat += compiled.outside()
        shapes = [() if p is None else flat[p].shape[1:] if p in self.batched else
                  np.shape(flat[p]) for p in self.at]   # the gradients' (this call's)
        chunks = _chunks(n, sum(math.prod(s) for s in shapes))
        ok = np.ones(chunks, np.bool_)
        try:
            if self.reduce == "sum":
                accs = [np.zeros((chunks,) + (s if o.array else (1,)))
                        for o, s in zip(self.outputs, shapes) if not o.stacked]
                outs = [np.empty((n,) + s) if o.stacked else np.zeros(s if o.array else (1,))
                        for o, s in zip(self.outputs, shapes)]
                run_compiled(self.func, flat + [chunks] + accs + outs + [ok], self.path)
                results = [out if o.array or o.stacked else float(out[0])
                           for o, out in zip(self.outputs, outs)]
            else:
                results = [np.empty((n,) + s) for s in shapes]
                run_compiled(self.func, flat + [chunks] + results + [ok], self.path)
        finally:                             # the kernel compiled for the driver's call
            _seal_new(compiled.func, compiled.path)
        if not ok.all():
            _raise_for(b, arrays, typed, [i for c in np.flatnonzero(~ok)
                                          for i in range(c * n // chunks, (c + 1) * n // chunks)])
        value = results.pop(0) if self.outputs and self.outputs[0].name == "value" else None
        if layout is not None:
            results = layout.regroup(results)
        grads = results[0] if b.per_sample.single else tuple(results)
        return (value, grads) if self.value else grads


def _raise_for(b: Batched, arrays: dict, typed: list, samples: list):
    """A sample raised in the compiled driver (which cannot raise from its parallel loop):
    run those samples through the per-sample gradient in Python for the error, naming the
    sample."""
    for i in sorted(samples):
        values = list(typed)
        for k, a in arrays.items():
            values[k] = a[i].item() if a.ndim == 1 else a[i]
        try:
            b.per_sample(*values)
        except AdCompileError as exc:
            exc.message = f"sample {i} of the batch: {exc.message}"
            exc.args = (exc.render(),)
            raise
    raise AdCompileError(f"{b.func.__name__}(): the compiled code raised at sample "
                         f"{min(samples)} of the batch, and the per-sample gradient did not "
                         "when run alone", b.per_sample._def_loc(),
                         hint="this is an adcompile bug; please report it")


def _fast_key(args):
    """What the compiled code depends on of arguments that are floats and arrays (dtype,
    dimensions, length-1 axes, layout), or None for other arguments."""
    key = []
    for a in args:
        t = type(a)
        if t is float:
            key.append(t)
        elif t is np.ndarray:
            key.append((a.dtype, a.ndim, a.flags.c_contiguous,
                        a.shape.count(1) and tuple(n == 1 for n in a.shape)))
        else:
            return None
    return tuple(key)


CHUNKS = 64                  # chunks of consecutive samples (fewer for few samples)
ACCUMULATED = 1 << 22        # floats of accumulators at most (for large gradients)


def _chunks(n: int, size: int) -> int:
    """How many chunks the samples are cut into: min(64, n), fewer when 64 accumulators of
    `size` floats would pass 4M floats, but not fewer than the threads. It depends on the
    thread count only then: sums are the same bits whatever the number of threads."""
    if n == 0:
        return 1
    chunks = min(CHUNKS, n, max(1, ACCUMULATED // max(size, 1)))
    if chunks < CHUNKS and chunks < n:
        import numba
        chunks = min(n, max(chunks, numba.get_num_threads()))
    return chunks


def _batch_indices(batch, params: list, t) -> tuple:
    """The batched parameters' positions (names or indices; one or a tuple of them)."""
    name = t.func.__name__
    items = list(batch) if isinstance(batch, (tuple, list)) else [batch]
    if not items:
        raise AdCompileError("batch= must name at least one parameter", t._def_loc(),
                             hint="e.g. batch=('x', 'y'): the parameters holding one "
                                  "sample per row")
    out = []
    for w in items:
        if isinstance(w, str) and w in params:
            out.append(params.index(w))
        elif isinstance(w, int) and not isinstance(w, bool) and -len(params) <= w < len(params):
            out.append(w % len(params))
        else:
            raise AdCompileError(f"batch={batch!r}: {name}() has no parameter {w!r}",
                                 t._def_loc(), hint=f"its parameters are {', '.join(params)}")
    if len(set(out)) != len(out):
        raise AdCompileError(f"batch={batch!r} names the same parameter twice", t._def_loc())
    return tuple(out)


def _identifiers(names: list) -> list:
    """Python names for the driver's parameters: the hints, made unique and kept clear of
    the driver's own names."""
    import keyword
    out, seen = [], set(_RESERVED)
    for k, n in enumerate(names):
        n = "".join(ch if ch.isalnum() or ch == "_" else "_" for ch in str(n)) or "a"
        if n[0].isdigit():
            n = "a_" + n
        if n.startswith("value"):        # the driver's value_out, value_acc
            n = "p_" + n
        while n in seen or keyword.iskeyword(n):
            n = f"{n}_{k}"
        seen.add(n)
        out.append(n)
    return out


def _listed(b: Batched) -> str:
    return ", ".join(b.params[k] for k in b.batch)


def _what(v) -> str:
    if isinstance(v, np.ndarray):
        return "a 0-d array"
    return f"a {type(v).__name__}" if not isinstance(v, (int, float)) else f"the number {v!r}"


def batched(func, wrt, batch, reduce, jit, with_value, mode, conventions, nonsmooth,
            memory=None):
    """grad / value_and_grad with batch= (api.py)."""
    if nonsmooth is not None:
        raise AdCompileError("batch= with nonsmooth= is not supported",
                             hint="leave nonsmooth out: batched gradients use the "
                                  "conventions of " + doc_path("conventions.md"))
    if isinstance(func, Transformed):
        raise AdCompileError("batch= takes the user's function itself, not a derivative",
                             hint="batch the per-sample function: ad.grad(f, batch=...)")
    return Batched(func, wrt, batch, reduce, jit, with_value, mode, conventions, memory)


__all__ = ["Batched", "batched"]
