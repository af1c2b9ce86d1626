"""Pickling transformed functions by reference (docs/distributed.md).

`pickle.dumps(ad.grad(f))` stores what makes the object, not what it compiled: f by its
module and qualified name, the Transform (specs.py: plain data and functions of adcompile's
own modules), wrt, jit and seed; a derivative of a derivative stores the inner one the same
way. Loading imports f and makes the Transformed again; its compiled specialisations are not
in the pickle: the first call in a new process finds the generated module and Numba's
machine code in the on-disk cache (jit.py) and compiles nothing.

Loading the same pickled object again in one process returns the same Transformed (a
per-process registry, the last _KEEP made), so its compiled specialisations are reused: a
Dask worker that runs a task per shard builds the gradient once, not once per task. Pickling
registers the object too, so loading in the process that pickled it returns it.
"""
from __future__ import annotations

import importlib
import os
import sys
import threading
import types
from collections import OrderedDict

from .errors import NotPicklableError

_KEEP = 128                                  # transformed objects kept for loads to reuse
_REGISTRY: OrderedDict = OrderedDict()       # key -> Transformed
_LOCK = threading.RLock()

_HINT = ("define it with def at the top level of a module the workers can import (a .py "
         "file on their path, or a script's own module: workers of a LocalCluster import "
         "it), then make the gradient of that function")


def reduce(t):
    """Transformed.__reduce__: (load, (reference to the function, transform, wrt, jit,
    seed)). Registers t, so loading in this process returns t itself."""
    ref = t.inner if t.inner is not None else reference(t.func, t)
    wrt = t.wrt[0] if t.single else tuple(t.wrt)
    args = (ref, t.transform, wrt, t.jit, getattr(t, "seed", None))
    key = _key(args)
    if key is not None:
        with _LOCK:
            _REGISTRY.setdefault(key, t)
            _REGISTRY.move_to_end(key)
            _trim()
    return load, args


def reference(func, t):
    """(module, qualname) naming func, checked to import back to func here; a bound method
    is pickled as itself (its object pickled, the method looked up by name)."""
    if isinstance(func, types.MethodType):
        return func
    module = getattr(func, "__module__", None)
    qualname = getattr(func, "__qualname__", "")
    name = f"{module}.{qualname}"
    if "<lambda>" in qualname or "<locals>" in qualname:
        what = "a lambda" if "<lambda>" in qualname.split(".")[-1] else \
            "a function defined inside another function"
        raise NotPicklableError(f"cannot pickle {t!r}: {name} is {what}, which other "
                                "processes cannot import by name", t._def_loc(), _HINT)
    main = sys.modules.get("__main__")
    if module == "__main__" and not os.path.isfile(getattr(main, "__file__", None) or ""):
        raise NotPicklableError(f"cannot pickle {t!r}: {qualname} is defined in an "
                                "interactive session (a notebook, python -c), which other "
                                "processes cannot import", t._def_loc(),
                                "move it to a .py module and import it from there")
    try:
        found = resolve((module, qualname))
    except NotPicklableError:
        found = None
    if found is not func:
        raise NotPicklableError(f"cannot pickle {t!r}: {name} does not name this function "
                                "(it was redefined, renamed or deleted)", t._def_loc(), _HINT)
    return module, qualname


def resolve(ref):
    """The function (module, qualname) names: a transformed function's (@ad.grad at module
    level) or a Numba dispatcher's Python function where the name holds one of those."""
    module, qualname = ref
    try:
        obj = importlib.import_module(module)
        for part in qualname.split("."):
            obj = getattr(obj, part)
    except Exception as exc:             # ImportError, AttributeError, the module's own
        raise NotPicklableError(f"cannot load a pickled adcompile function: {module}."
                                f"{qualname} cannot be imported here ({type(exc).__name__}: "
                                f"{exc})", hint=_HINT) from None
    from .transformed import Transformed
    while isinstance(obj, Transformed):
        obj = obj.inner if obj.inner is not None else obj.func
    py = getattr(obj, "py_func", None)
    return py if isinstance(py, types.FunctionType) else obj


def load(ref, transform, wrt, jit, seed):
    """The Transformed the pickle describes: the registered one when it is current (its
    function is what the name imports now), else a new one (registered)."""
    from .transformed import Transformed
    args = (ref, transform, wrt, jit, seed)
    func = ref if isinstance(ref, (Transformed, types.MethodType)) else resolve(ref)
    key = _key(args)
    with _LOCK:
        t = _REGISTRY.get(key) if key is not None else None
        if t is not None and (t.inner is func if t.inner is not None else t.func is func):
            _REGISTRY.move_to_end(key)
            return t
        t = Transformed(func, transform, wrt, jit, seed=seed)
        if key is not None:
            _REGISTRY[key] = t
            _trim()
        return t


def _key(args):
    """What identifies a pickled transformed function in this process (None: a method's,
    not kept)."""
    ref, transform, wrt, jit, seed = args
    if isinstance(ref, types.MethodType):
        return None
    if not isinstance(ref, tuple):           # a Transformed: a derivative of a derivative
        inner = ref.inner if ref.inner is not None else reference(ref.func, ref)
        inner_wrt = ref.wrt[0] if ref.single else tuple(ref.wrt)
        ref = ("of", _key((inner, ref.transform, inner_wrt, ref.jit,
                           getattr(ref, "seed", None))))
        if ref[1] is None:
            return None
    key = ref, transform, wrt, jit, seed
    try:
        hash(key)
    except TypeError:                        # a seed given as an array: not kept
        return None
    return key


def _trim():
    while len(_REGISTRY) > _KEEP:
        _REGISTRY.popitem(last=False)


__all__ = ["reduce", "load", "resolve", "reference"]
