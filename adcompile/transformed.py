"""Transformed: a user function under a transform (specs.py), compiled once per
argument-type signature. grad, value_and_grad, jvp, jacobian, hvp, hessian and diagnose's
builds are all Transformed objects; what differs is their Transform."""
from __future__ import annotations

import dataclasses
import functools
import inspect
import threading

import numpy as np

from .arguments import (_I64_MAX, _I64_MIN, _array_key, _clean, _loc_of, _normalise_wrt,
                        _struct_key, _type_of_annotation, typed_values, user_function)
from .compiled import Compiled, Specialisations, compile_build, gc_paused
from .compiled import shared as shared_specialisations
from .compiled import shared_signature
from . import nested
from .errors import AdCompileError, AdTypeError, Loc
from .errors import LengthOneAxis
from .jit import run_compiled
from .native import adoptable, fast_call, native_entry
from .structured import FlatView, Layout, Stored, Struct, is_structured
from .types import BOOL, I64, is_float

_COMPILE_LOCK = threading.RLock()
_NDARRAY = np.ndarray


def _fast_class(base, native, nparams: int, array_at: tuple):
    """A subclass of base whose __call__ (native.fast_call) goes straight to the native
    entry for the calls it can take: the user's call then costs about a fifth of a
    microsecond over the compiled kernel (docs/benchmarks.md, "The call")."""
    call = fast_call(native, nparams, array_at, _clean)
    return type(base.__name__, (base,), {"__call__": call, "__slots__": (),
                                         "__module__": base.__module__,
                                         "__qualname__": base.__qualname__})


class Transformed:
    """`transform` of `func` with respect to the parameters wrt (names or indices; a tuple
    gives a tuple of derivatives). With shared=True the compiled specialisations are those
    of every transform of func made alike (compiled.shared), else this object's own; seed:
    the random generator of a convention that draws directions."""

    def __init__(self, func, transform, wrt=0, jit: bool = True, *, shared: bool = False,
                 seed=None):
        self.inner = func if isinstance(func, Transformed) else None  # docs/nested.md
        if self.inner is not None:
            nested.check_nestable(self.inner)
            func = self.inner.func
        else:
            func = user_function(func)
        self.func = func
        self.transform = transform
        self.jit = jit
        self.signature = shared_signature(func) if shared else inspect.signature(func)
        variadic = (inspect.Parameter.VAR_POSITIONAL, inspect.Parameter.VAR_KEYWORD)
        self.params = [n for n, p in self.signature.parameters.items() if p.kind not in variadic]
        self._nparams = len(self.params)
        # `def fun(self, x, *args)`: compiled for calls that pass nothing to *args (an
        # empty tuple in the function; **kwargs an empty dict)
        self.variadic = [n for n, p in self.signature.parameters.items() if p.kind in variadic]
        self.wrt, self.single = ((), False) if wrt is None else \
            _normalise_wrt(wrt, self.params, func)     # None: no derivative (ad.compile)
        self.seed = seed
        self.rng = None if seed is None else np.random.default_rng(seed)
        self._specs = shared_specialisations(func, (transform, self.wrt, jit,
                                                    nested.key(self))) if shared else \
            Specialisations(getattr(func, "__code__", None))
        self._last: Compiled | None = None
        self._native = None                  # compiled entries called natively (native.py)
        self._array_at: tuple = ()           # where their array arguments are
        self._adcompile_wrapped = func
        if not shared:                       # made for the caller: looks like func
            functools.update_wrapper(self, func)

    # -- calling -------------------------------------------------------------------------
    def __call__(self, *args, **kwargs):
        try:
            native = self._native
            if native is not None and not kwargs and len(args) == self._nparams:
                for k in self._array_at:     # Numba types array subclasses (masked
                    if type(args[k]) is not _NDARRAY:   # arrays, matrices) as arrays
                        break
                else:
                    try:                     # Numba's dispatcher; a miss: _python_call
                        return native(*args)
                    except (LengthOneAxis, OverflowError):   # a length-1 axis has its
                        pass                 # own entry; an int past int64 its error
            return self._python_call(args, kwargs)
        except AdCompileError as exc:        # the user's call is where the error belongs
            raise _clean(exc) from None

    def _python_call(self, args, kwargs):
        if not kwargs:                       # the fast path: no binding, no conversions
            key = tuple(map(type, args))
            fast = self._specs.fast
            compiled = fast.get(key)
            if compiled is None and np.ndarray in key:
                compiled = fast.get(tuple(map(_array_key, args)))
            if compiled is None and (dict in key or tuple in key or list in key):
                compiled = fast.get(tuple(map(_struct_key, args)))
            if compiled is not None and int in key and not all(
                    _I64_MIN <= a <= _I64_MAX for a in args if type(a) is int):
                compiled = None                  # the full check names the parameter
            if compiled is not None and (not compiled.watches or compiled.fresh()):
                self._last = compiled
                if compiled.layout is not None:  # structures, float32: converted
                    return self.run(compiled, list(args))
                out = compiled.func(*args, *compiled.outside()) if compiled.captured else \
                    compiled.func(*args)
                return self.transform.call.package(self, out, compiled)
        return self._call(args, kwargs)

    def _call(self, args, kwargs):
        call = self.transform.call
        values, rest = call.inputs(self, args, kwargs)
        types, values = self._typed(values)
        compiled = self._specialise(types)
        out = self.run(compiled, values, rest)
        if adoptable(self, compiled, args, kwargs):
            self._adopt(compiled, args)
        if call.fast and not kwargs and len(args) == len(self.params) and \
                not compiled.effects:            # counters (self.nfev += 1): run() applies
            if compiled.layout is not None:      # keyed by structure and dtypes
                self._specs.fast[tuple(map(_struct_key, args))] = compiled
            elif all(type(a) in (float, int, bool) for a in args):
                self._specs.fast[tuple(map(type, args))] = compiled
            elif all(type(a) in (float, int, bool, np.ndarray) for a in args):
                self._specs.fast[tuple(map(_array_key, args))] = compiled
        return out

    def _adopt(self, compiled: Compiled, args) -> None:
        """Let Numba's dispatcher call compiled.func for arguments of these types."""
        native = self._native
        if native is None:
            native = native_entry(len(self.params), lambda a: self._python_call(a, {}))
        if native.adopt(compiled.func, args):
            self._array_at = tuple(sorted(set(self._array_at) | {
                k for k, a in enumerate(args) if isinstance(a, np.ndarray)}))
            self._native = native
            self.__class__ = _fast_class(type(self) if type(self) is Transformed else
                                         type(self).__base__, native, self._nparams,
                                         self._array_at)

    def run(self, compiled: Compiled, values: list, rest=None):
        """Call the compiled entry on the parameters' values (and what the calling
        convention adds from `rest`); the result packaged by the convention. Structured
        parameters are flattened into their leaves, and the derivatives of their leaves
        rebuilt into their structure."""
        call = self.transform.call
        layout = compiled.layout
        if compiled.effects:
            compiled.apply_effects()
        if layout is None:
            extra = call.extra(self, compiled, values, rest)
            return call.package(self, run_compiled(
                compiled.func, values + compiled.outside() + extra, compiled.path), compiled)
        flat = layout.flatten(values) + compiled.outside()
        extra = call.extra(compiled.view, compiled, flat, call.flat_rest(layout, rest))
        raw = run_compiled(compiled.func, flat + extra, compiled.path)
        out = list(raw) if isinstance(raw, tuple) else [raw]
        if call.per_wrt is not None:
            out[call.per_wrt] = layout.regroup(out[call.per_wrt])
        out = layout.results(out, call.values)
        return call.package(self, tuple(out) if isinstance(raw, tuple) else out[0], compiled)

    @property
    def wrt_text(self) -> str:
        """The differentiated parameters' names, for messages and docstrings."""
        return ", ".join(self.params[i] for i in self.wrt)

    def primal_types(self, types):
        """The parameter types the user's function is lowered for (a FlatView's are the
        structured ones, its builds' the leaves)."""
        return types

    def _typed(self, values) -> tuple:
        """typed_values for this function's parameters; a bad argument names the function."""
        try:
            return typed_values(self.params, values)
        except AdTypeError as exc:           # point at the function the argument was for
            raise AdTypeError(f"{self.func.__name__}(): {exc.message}", self._def_loc(),
                              exc.hint) from None

    def _def_loc(self) -> Loc | None:
        return _loc_of(self.func)

    def _bind(self, args, kwargs) -> list:
        try:
            bound = self.signature.bind(*args, **kwargs)
        except TypeError as exc:
            raise AdTypeError(f"{self.func.__name__}(): {exc}", self._def_loc()) from None
        bound.apply_defaults()
        for n in self.variadic:
            if bound.arguments.get(n):
                stars = "*" if self.signature.parameters[n].kind == \
                    inspect.Parameter.VAR_POSITIONAL else "**"
                raise AdTypeError(f"{self.func.__name__}(): values passed to {stars}{n} are "
                                  "not supported: the compiled function takes its named "
                                  "parameters", self._def_loc(),
                                  hint="give the values parameters of their own")
        return [bound.arguments[n] for n in self.params]

    # -- compiling -----------------------------------------------------------------------
    @property
    def _cache(self) -> dict:
        """The compiled specialisations, by the IR types of the parameters."""
        return self._specs.by_types

    def _specialise(self, types: tuple) -> Compiled:
        by_types = self._specs.by_types
        compiled = by_types.get(types)
        if compiled is None or compiled.watches and not compiled.fresh():
            with _COMPILE_LOCK:                  # first calls from several threads: one
                compiled = by_types.get(types)   # compiles, the others wait for it
                if compiled is None or compiled.watches and not compiled.fresh():
                    self._specs.fast.clear()     # a module value it baked in changed
                    compiled = by_types[types] = self._compile(types)
        self._last = compiled
        return compiled

    def _compile(self, types: tuple) -> Compiled:
        """Check the differentiated parameters are floats; build (recording the module and
        closure names read) and compile."""
        self.check_types(types)
        from .resolve import recording
        view, layout, leaf_types = self, None, types
        if is_structured(types):
            try:
                layout = Layout(self.params, types, self.wrt)
            except AdTypeError as exc:       # point at the function the argument was for
                raise AdTypeError(f"{self.func.__name__}(): {exc.message}", self._def_loc(),
                                  exc.hint) from None
            leaf_types = tuple(layout.leaf_types)
            view = FlatView(self.func, self.transform, layout.names, layout.wrt, self.single,
                            self.rng, types, self.wrt_text)
            self.transform.call.check_structured(self, types)
        with recording() as scopes, gc_paused():
            build = self.transform.build(view, leaf_types)
        if layout is not None:               # kept by the cache: no reference to func
            view = dataclasses.replace(view, func=None)
        return compile_build(build, leaf_types, self.jit, scopes, layout,
                             view if layout is not None else None,
                             self.transform.call.returns(self) if layout is None else None)

    def check_types(self, types: tuple) -> None:
        """An error unless every differentiated parameter has a float type (a structured
        one: float leaves); nested derivatives take no structured parameter."""
        if self.inner is not None and any(isinstance(t, Struct) for t in types):
            raise AdTypeError(
                f"{self!r}: derivatives of derivatives of functions taking a dict, tuple or "
                "list are not supported", self._def_loc(),
                hint="pass the arrays and numbers as parameters of their own")
        if self.inner is not None and is_structured(types):
            raise AdTypeError(
                f"{self!r}: derivatives of derivatives take float64 and int64 arguments; "
                f"this call passes {', '.join(str(t) for t in types if isinstance(t, Stored))}",
                self._def_loc(), hint="convert with x.astype(np.float64)")
        for i in self.wrt:
            if not is_float(types[i]) and not isinstance(types[i], Struct) and \
                    not (isinstance(types[i], Stored) and is_float(types[i].inner)):
                what = {I64: "an int", BOOL: "a bool"}.get(types[i], f"an {types[i]} array")
                raise AdTypeError(
                    f"cannot differentiate {self.func.__name__}() with respect to "
                    f"parameter {self.params[i]!r}: it was given {what}", self._def_loc(),
                    hint=f"pass a float for {self.params[i]!r} (e.g. 3.0 rather than 3), "
                         "or leave it out of wrt")

    def is_current(self) -> bool:
        """Do the module constants and closure values its compiled code read still hold
        the values they had (and does the function run the same code)?"""
        return self._specs.current(self.func)

    def specialise(self, *types, **named) -> Compiled:
        """Compile for explicit parameter types (F64/I64/BOOL or 'f64'/'int'...) without calling."""
        from .types import parse_type
        chosen = {}
        for name, p in self.signature.parameters.items():
            chosen[name] = _type_of_annotation(p)
        for name, t in zip(self.params, types):
            chosen[name] = t
        chosen.update(named)
        ts = tuple(parse_type(t) if isinstance(t, str) else t for t in
                   (chosen[n] for n in self.params))
        try:
            compiled = self._specialise(ts)
        except AdCompileError as exc:
            raise _clean(exc) from None
        if self.jit:                          # native code now, not at the first call
            from .jit import compile_signature
            compile_signature(compiled.func, compiled.entry_types, compiled.path)
        return compiled

    def _current(self) -> Compiled:
        return self._last if self._last is not None else self.specialise()

    @property
    def source(self) -> str:
        """The generated Python source (of the last signature compiled or called through
        Python; see kernel)."""
        return self._current().source

    @property
    def ir(self) -> str:
        """The typed SSA IR of the user's function (last signature called)."""
        return self._current().ir

    @property
    def adjoint_ir(self) -> str:
        """The IR compiled: the derivative (and the driver calling it, where there is one)."""
        return self._current().adjoint_ir

    @property
    def source_path(self):
        """The generated file (content-hashed, in the cache directory)."""
        return self._current().path

    @property
    def kernel(self):
        """The compiled function itself (of the last signature compiled or called through
        Python: calls dispatched natively do not record theirs): positional arguments in,
        what the call returns out (grad, value_and_grad; other transforms: the value and
        the derivatives flat). Callable from Python and from other numba.njit code."""
        return self._current().func

    @property
    def mode(self) -> str:
        return self.transform.mode

    @property
    def conventions(self):
        """The derivatives used at kinks (None: the defaults)."""
        return self.transform.conventions

    def __reduce__(self):
        """Pickled by reference: the function by module and name, the transform, wrt, jit
        and seed; compiled code is found again in the on-disk cache (pickling.py)."""
        from .pickling import reduce
        return reduce(self)

    def __deepcopy__(self, memo):
        return self                          # like a function: compiled code is not copied

    def __repr__(self) -> str:
        wrt = ", ".join(self.params[i] for i in self.wrt)
        of = repr(self.inner) if self.inner is not None else self.func.__name__
        return f"<adcompile {self.transform.name} of {of} wrt ({wrt})>"


__all__ = ["Transformed"]
