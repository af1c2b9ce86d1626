"""Calls dispatched in native code: the compiled entries of a transform, called by Numba's
C dispatcher on the arguments' Numba types, with no Python of ours in between.

A transform's call goes first to its NativeEntry (when it has one): a Numba dispatcher
(`_DispatcherBase`, exact type matches only) holding the compiled entries adopted so far,
each under the argument types it was called with. A call whose types match one runs it
directly; any other call (new types, keywords, structures, ...) misses, and the miss runs
the transform's Python path (type checks, errors, compiling), whose result the call returns.

An entry is adopted only when the call's arguments are exactly what it takes and it
returns exactly what the call returns (Convention.returns), and it reads nothing the Python
path would fetch or check per call (arrays read from outside, module constants, counters).
Numba types do not say which axes have length 1, and arrays with a length-1 axis broadcast
(their specialisations differ): only entries compiled for arrays with no length-1 axis are
adopted, and those check at entry (`no_length_one_axis`); a call with such an array raises
LengthOneAxis, which Transformed catches to take the Python path.
"""
from __future__ import annotations

import threading

from .types import Array

_LOCK = threading.Lock()
_CLASS = None


def native_entry(nparams: int, on_miss):
    """A NativeEntry (made on first use: importing adcompile does not import Numba)."""
    global _CLASS
    if _CLASS is None:
        _CLASS = _define()
    return _CLASS(nparams, on_miss)


def _stub(n: int):
    """A function of n positional parameters (the dispatcher's argument count and names)."""
    names = ", ".join(f"a{k}" for k in range(n))
    ns: dict = {}
    exec(f"def entry({names}):\n    pass\n", ns)
    return ns["entry"]


def _define():
    import inspect

    import numpy as np
    from numba.core import registry, types
    from numba.core.dispatcher import _DispatcherBase
    from numba.core.typing.typeof import Purpose, typeof

    class NativeEntry(_DispatcherBase):
        """A Numba dispatcher whose compiled versions are adopted entries, and whose
        misses run `on_miss(args)` (the transform's Python path)."""
        _fold_args = False

        def __init__(self, nparams: int, on_miss):
            stub = _stub(nparams)
            self.targetdescr = registry.cpu_target
            self.targetctx = self.targetdescr.target_context
            self.typingctx = self.targetdescr.typing_context
            super().__init__(nparams, stub, inspect.signature(stub), False, True)
            self._can_compile = True
            self._on_miss = on_miss

        def _make_finalizer(self):
            """The entries belong to their own dispatchers (kept by the specialisations)."""
            return _nothing

        def typeof_pyval(self, val):
            """Numba's type of an argument its C code did not type; arrays the Python path
            rejects or converts (subclasses, other byte orders) get none (a miss)."""
            if isinstance(val, np.ndarray) and (type(val) is not np.ndarray
                                                or not val.dtype.isnative):
                return types.pyobject
            return super().typeof_pyval(val)

        def _compile_for_args(self, *args, **kws):
            """Numba's callback for a call no adopted entry matches: the Python path's
            result (Numba calls what this returns)."""
            out = self._on_miss(args)
            return lambda *a, **k: out

        def adopt(self, func, args) -> bool:
            """Dispatch calls with the types of `args` to `func` (a numba dispatcher
            already called with them)."""
            if any(isinstance(a, np.ndarray) and (type(a) is not np.ndarray
                                                  or not a.dtype.isnative) for a in args):
                return False
            try:
                sig = tuple(typeof(a, Purpose.argument) for a in args)
            except Exception:                 # a value Numba does not type: not adopted
                return False
            cres = getattr(func, "overloads", {}).get(sig)
            if cres is None or cres.objectmode:
                return False
            with _LOCK:
                if sig not in self.overloads:
                    self.add_overload(cres)
            return True
    return NativeEntry


def _nothing():
    pass


def fast_call(native, nparams: int, array_at: tuple, clean):
    """Transformed.__call__ for an object whose calls with `nparams` positional arguments,
    plain ndarrays at `array_at`, go to `native` (written for those positions, a plain
    function costs less than the general method); other calls, and the misses the entry
    raises, take the Python path; adcompile's errors are cleaned (`clean`) as there."""
    import numpy as np

    from .errors import AdCompileError, LengthOneAxis
    checks = "".join(f" and type(args[{k}]) is ndarray" for k in array_at)
    lines = ["def __call__(self, *args, **kwargs):",
             "    try:",
             f"        if not kwargs and len(args) == {nparams}{checks}:",
             "            try:",
             "                return native(*args)",
             "            except (LengthOneAxis, OverflowError):",
             "                pass",
             "        return self._python_call(args, kwargs)",
             "    except AdCompileError as exc:",
             "        raise clean(exc) from None"]
    ns = {"native": native, "ndarray": np.ndarray, "LengthOneAxis": LengthOneAxis,
          "AdCompileError": AdCompileError, "clean": clean}
    exec(compile("\n".join(lines) + "\n", "<adcompile call>", "exec"), ns)
    return ns["__call__"]


def adoptable(t, compiled, args, kwargs) -> bool:
    """May calls of transform `t` with arguments like `args` run `compiled` natively?"""
    return (t.jit and compiled.grouped and t.transform.call.fast and not kwargs
            and len(args) == len(t.params) and compiled.layout is None
            and not compiled.captured and not compiled.watches and not compiled.effects
            and all(not (isinstance(ty, Array) and any(ty.ones)) for ty in compiled.types))


__all__ = ["native_entry", "adoptable", "fast_call"]
