"""What users call: grad and value_and_grad, compiled and cached per argument-type signature."""
from __future__ import annotations

import functools
import inspect
import threading
import types
from dataclasses import dataclass, field

import numpy as np

from .codegen import generate_module
from .conventions import Conventions
from .errors import AdCompileError, AdTypeError, Loc
from .irprint import format_function
from .jit import compile_function, run_compiled, write_module
from . import pipeline
from .types import BOOL, F64, I64, Array, is_float


@dataclass
class Compiled:
    """One specialisation: the IRs, the generated source and the callable."""
    types: tuple
    ir: str
    adjoint_ir: str
    source: str
    path: object
    func: object
    n_out: int
    entry_types: tuple = ()     # IR types of the compiled entry's parameters
    scopes: list = field(default_factory=list)   # the module/closure names it read


def arg_type(name: str, value):
    """The IR type of a call argument, or a TypeError naming the parameter."""
    if isinstance(value, (bool, np.bool_)):
        return BOOL
    if isinstance(value, (int, np.integer)):
        if not _I64_MIN <= value <= _I64_MAX:
            raise AdTypeError(f"parameter {name!r} got {value}, outside the 64-bit integer "
                              "range compiled code uses", hint="integers in compiled code are "
                              "int64 (arithmetic wraps around at 2**63); pass a float if you "
                              "need a larger number")
        return I64
    if isinstance(value, (float, np.floating)):
        return F64
    if isinstance(value, np.ndarray):
        if type(value) is not np.ndarray and not isinstance(value, np.memmap):
            raise AdTypeError(f"parameter {name!r} got a {type(value).__name__}, an ndarray "
                              "subclass whose operators or masks compiled code would ignore",
                              hint="pass a plain array: np.asarray(x) (for a masked array, "
                                   "decide what the masked entries mean first)")
        if not value.dtype.isnative:
            raise AdTypeError(f"parameter {name!r} got an array in non-native byte order "
                              f"({value.dtype.str})", hint="convert with "
                                                         "x.astype(x.dtype.newbyteorder('='))")
        ones = tuple(n == 1 for n in value.shape)          # length-1 axes broadcast
        ones = ones if any(ones) else ()
        if value.dtype == np.float64 and 1 <= value.ndim <= 3:
            return Array(F64, value.ndim, ones)
        if value.dtype == np.int64 and 1 <= value.ndim <= 3:
            return Array(I64, value.ndim, ones)
        raise AdTypeError(f"parameter {name!r} got a {value.ndim}-d array of {value.dtype}; "
                          "adcompile compiles float64 and int64 arrays of 1 to 3 dimensions",
                          hint="convert with np.asarray(x, dtype=np.float64)")
    what = type(value).__name__
    hint = "pass a Python float, int or bool, or a float64 NumPy array"
    raise AdTypeError(f"parameter {name!r} got a value of type {what}, which adcompile "
                      "cannot compile", hint=hint)


_PY = {F64: float, I64: int, BOOL: bool}
_COMPILE_LOCK = threading.RLock()
_I64_MIN, _I64_MAX = -2 ** 63, 2 ** 63 - 1


def typed_values(names, values) -> tuple:
    """(the IR types of call arguments, the arguments with scalars as Python numbers)."""
    types = tuple(arg_type(n, v) for n, v in zip(names, values))
    return types, [v if isinstance(t, Array) else _PY[t](v) for t, v in zip(types, values)]


def _array_key(a):
    """Fast-path key of an argument: arrays by dtype, dimensions and layout."""
    if type(a) is np.ndarray:
        return (a.dtype, a.shape.count(1) and tuple(n == 1 for n in a.shape), a.ndim,
                a.flags.c_contiguous)
    return type(a)


def _type_of_annotation(p: inspect.Parameter):
    ann = p.annotation
    table = {float: F64, int: I64, bool: BOOL, "float": F64, "int": I64, "bool": BOOL}
    if ann in table:
        return table[ann]
    if p.default is not inspect.Parameter.empty:
        try:
            return arg_type(p.name, p.default)
        except AdTypeError:
            pass
    return F64


class GradFunction:
    """A compiled gradient (or value-and-gradient) of a user function."""

    def __init__(self, func, wrt=0, jit: bool = True, with_value: bool = False,
                 mode: str = "reverse", conventions=None):
        if mode not in ("reverse", "forward"):
            raise AdCompileError(f"mode={mode!r}: choose 'reverse' or 'forward'",
                                 hint="reverse mode costs a few primal evaluations whatever "
                                      "the number of inputs; forward mode one per few inputs")
        self.mode = mode
        if conventions is not None and not isinstance(conventions, Conventions):
            raise AdCompileError(f"conventions={conventions!r}: pass an adcompile.Conventions",
                                 hint="e.g. ad.Conventions(relu=1.0, abs=0.0, tie=0.5)")
        self.conventions = conventions
        func = user_function(func)
        self.func = func
        self.jit = jit
        self.with_value = with_value
        self.signature = inspect.signature(func)
        self.params = list(self.signature.parameters)
        if any(p.kind in (p.VAR_POSITIONAL, p.VAR_KEYWORD)
               for p in self.signature.parameters.values()):
            from .frontend import check_signature
            from .resolve import function_source
            try:
                check_signature(function_source(func))
            except AdCompileError as exc:
                raise _clean(exc) from None
        self.wrt, self.single = _normalise_wrt(wrt, self.params, func)
        self._cache: dict[tuple, Compiled] = {}
        self._fast: dict[tuple, object] = {}   # exact Python argument types -> compiled
        self._last: Compiled | None = None
        self._adcompile_wrapped = func
        functools.update_wrapper(self, func)

    # -- calling -------------------------------------------------------------------------
    def __call__(self, *args, **kwargs):
        if not kwargs:                       # the fast path: no binding, no conversions
            key = tuple(map(type, args))
            compiled = self._fast.get(key)
            if compiled is None and np.ndarray in key:
                compiled = self._fast.get(tuple(map(_array_key, args)))
            if compiled is not None and int in key and not all(
                    _I64_MIN <= a <= _I64_MAX for a in args if type(a) is int):
                compiled = None                  # the full check names the parameter
            if compiled is not None:
                self._last = compiled
                return self._package(compiled.func(*args), compiled)
        try:
            return self._call(args, kwargs)
        except AdCompileError as exc:        # the user's call is where the error belongs
            raise _clean(exc) from None

    def _call(self, args, kwargs):
        types, values = self._typed(self._bind(args, kwargs))
        compiled = self._specialise(types)
        out = run_compiled(compiled.func, values, compiled.path)
        if not kwargs and len(args) == len(self.params):
            if all(type(a) in (float, int, bool) for a in args):
                self._fast[tuple(map(type, args))] = compiled
            elif all(type(a) in (float, int, bool, np.ndarray) for a in args):
                self._fast[tuple(map(_array_key, args))] = compiled
        return self._package(out, compiled)

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
        return [bound.arguments[n] for n in self.params]

    def _package(self, out, compiled: Compiled):
        grads = out[1] if self.single else out[1:]
        return (out[0], grads) if self.with_value else grads

    # -- compiling -----------------------------------------------------------------------
    def _specialise(self, types: tuple) -> Compiled:
        compiled = self._cache.get(types)
        if compiled is None:
            with _COMPILE_LOCK:                  # first calls from several threads: one
                compiled = self._cache.get(types)    # compiles, the others wait for it
                if compiled is None:
                    compiled = self._compile_checked(types)
        self._last = compiled
        return compiled

    def _compile_checked(self, types: tuple) -> Compiled:
        """Check the differentiated parameters are floats, compile, remember."""
        for i in self.wrt:
            if not is_float(types[i]):
                what = {I64: "an int", BOOL: "a bool"}.get(types[i], f"an {types[i]} array")
                raise AdTypeError(
                    f"cannot differentiate {self.func.__name__}() with respect to "
                    f"parameter {self.params[i]!r}: it was given {what}", self._def_loc(),
                    hint=f"pass a float for {self.params[i]!r} (e.g. 3.0 rather than 3), "
                         "or leave it out of wrt")
        from .resolve import recording
        with recording() as scopes:
            compiled = self._compile(types)
        compiled.scopes = scopes
        self._cache[types] = compiled
        return compiled

    def is_current(self) -> bool:
        """Do the module constants and closure values its compiled code read still hold
        the values they had? (A cached transform is rebuilt when they do not.)"""
        return all(s.unchanged() for c in self._cache.values() for s in c.scopes)

    def _compile(self, types: tuple) -> Compiled:
        primal = pipeline.primal(self.func, types)
        if self.mode == "forward":
            return self._compile_forward(primal, types)
        vg = pipeline.value_and_gradient(primal, self.wrt, self.conventions)
        return self._emit(primal, vg, f"{primal.name}_vg", types,
                          f"value and gradient with respect to {self._wrt_names()}",
                          self.params)

    def _compile_forward(self, primal, types: tuple, out_ndim: int | None = None) -> Compiled:
        """The forward-mode gradient (out_ndim None) or Jacobian of an output of out_ndim
        dimensions: the tangent kernel and the generated driver seeding its directions."""
        from .drivers import forward_driver
        from .passes.forward import tangent_params
        from .passes.reverse import check_scalar_output
        if out_ndim is None:
            check_scalar_output(primal, primal.results)
        scalars = all(not isinstance(types[i], Array) for i in self.wrt)
        width = min(len(self.wrt), 8) if scalars else 4
        tangent = pipeline.tangent(primal, self.wrt, width, self.conventions)
        what = "gradient" if out_ndim is None else "Jacobian"
        kernel = f"{primal.name}_jvp"
        name = f"{primal.name}_fwd" if out_ndim is None else f"{primal.name}_jacfwd"
        driver = forward_driver(name, kernel, self.params, list(self.wrt), list(types), width,
                                out_ndim=out_ndim or 0)
        return self._emit(primal, tangent, kernel, types,
                          f"tangents along {width} directions per sweep; {name} below is the "
                          f"{what} with respect to {self._wrt_names()} by forward mode",
                          self.params + tangent_params(self.params, self.wrt, width),
                          driver=driver, entry=name)

    def _wrt_names(self) -> str:
        return ", ".join(self.params[i] for i in self.wrt)

    def _emit(self, primal, fn, name: str, types: tuple, what: str, params: list,
              n_out: int = 1, driver: str = "", entry: str | None = None) -> Compiled:
        """Generate the module of IR `fn` as function `name` (callable from njit code, with
        the generated `driver` after it, when there is one), write it to the cache and
        compile its function `entry` (default: name)."""
        from .drivers import kernel_module
        where = primal.loc.short() if primal.loc else primal.name
        origin = f"{where} ({primal.name})"
        source = kernel_module(fn, name, origin, what, params, driver) if driver else \
            generate_module(fn, name, origin, what, params=params)
        entry = entry or name
        path = write_module(source, entry)
        func = compile_function(path, entry, self.jit, source)
        entry_types = tuple(types) if driver else tuple(p.type for p in fn.params)
        return Compiled(types, format_function(primal), format_function(fn), source, path,
                        func, n_out, entry_types)

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
        """The generated forward-plus-adjoint Python source (last signature called)."""
        return self._current().source

    @property
    def ir(self) -> str:
        """The typed SSA IR of the user's function (last signature called)."""
        return self._current().ir

    @property
    def adjoint_ir(self) -> str:
        """The IR of the fused value-and-gradient function."""
        return self._current().adjoint_ir

    @property
    def source_path(self):
        """The generated file (content-hashed, in the cache directory)."""
        return self._current().path

    @property
    def kernel(self):
        """The compiled function itself (last signature called): positional arguments in,
        (value, *gradients) out. Callable from Python and from other numba.njit code."""
        return self._current().func

    def __repr__(self) -> str:
        kind = "value_and_grad" if self.with_value else "grad"
        wrt = ", ".join(self.params[i] for i in self.wrt)
        return f"<adcompile {kind} of {self.func.__name__} wrt ({wrt})>"


class DirectionalGradFunction(GradFunction):
    """grad(f, nonsmooth="directional"): at each call a random direction v (seeded) is drawn;
    the compiled sweep computes the tangent along v, resolves every kink by the sign of its
    tangent (the piece of the function that v enters) and runs the reverse sweep along those
    choices. Away from kinks it is the ordinary gradient; at kinks it is a true subgradient
    (for piecewise-smooth programs) whatever way the program is written."""

    def __init__(self, func, wrt=0, jit=True, with_value=False, conventions=None, seed=0,
                 width=1):
        super().__init__(func, wrt, jit, with_value, "reverse", conventions)
        self.rng = np.random.default_rng(seed)
        self.width = width                 # 2: a second direction breaks remaining ties

    def __call__(self, *args, **kwargs):
        try:
            types, values = self._typed(self._bind(args, kwargs))
            compiled = self._specialise(types)
        except AdCompileError as exc:
            raise _clean(exc) from None
        dirs = [self.rng.standard_normal(np.shape(values[i])) if isinstance(types[i], Array)
                else float(self.rng.standard_normal()) for i in self.wrt
                for _ in range(self.width)]
        return self._package(run_compiled(compiled.func, values + dirs, compiled.path),
                             compiled)

    def _compile(self, types: tuple) -> Compiled:
        from .passes.forward import tangent_params
        primal = pipeline.primal(self.func, types)
        vg = pipeline.directional(primal, self.wrt, self.conventions, self.width)
        return self._emit(primal, vg, f"{primal.name}_dir", types,
                          f"value and gradient with respect to {self._wrt_names()}, kinks "
                          "resolved along the direction (x_dot, ...)",
                          self.params + tangent_params(self.params, self.wrt, self.width))


def user_function(func):
    """The plain Python function a transform differentiates: a Numba dispatcher's Python
    function; an adcompile transform (grad(f), jvp's ...) is refused: nested derivatives are
    not supported yet, and differentiating f instead would be silently wrong."""
    if isinstance(func, GradFunction) or hasattr(func, "_adcompile_wrapped"):
        raise AdCompileError(
            f"{func!r} is already a derivative made by adcompile; derivatives of derivatives "
            "(grad of grad, jvp or hessian of a grad, diagnose of a grad) are not supported "
            "yet", _loc_of(getattr(func, "_adcompile_wrapped", None)),
            hint="for second derivatives of f use ad.hvp(f) or ad.hessian(f) on f itself")
    py = getattr(func, "py_func", None)        # numba.njit / numba.jit: its Python source
    if isinstance(py, types.FunctionType):
        func = py
    from .resolve import is_user_function
    if isinstance(func, types.FunctionType) and not is_user_function(func):
        raise AdCompileError(
            f"{func.__module__}.{func.__qualname__} is a library function; adcompile "
            "differentiates your functions and the library calls of its table, not a "
            "library's own source", hint="call it from a function of yours if it is in "
            "docs/supported.md, or write the computation out")
    if isinstance(py, types.FunctionType):
        return py
    if not callable(func):
        raise AdCompileError(f"{func!r} is not a function", hint="pass a function defined "
                                                                 "with def")
    if isinstance(func, types.MethodType):
        raise AdCompileError(
            f"{func!r} is a bound method; adcompile differentiates plain functions so far",
            hint="write a function taking the values it needs as parameters")
    if isinstance(func, types.FunctionType) and hasattr(func, "__wrapped__"):
        raise AdCompileError(
            f"{func.__qualname__}() is a wrapper made by a decorator (functools.wraps); "
            "adcompile cannot see what the wrapper does", _loc_of(func),
            hint=f"differentiate the function itself: ad.grad({func.__name__}.__wrapped__), "
                 "or apply the decorator after adcompile's transform")
    if not isinstance(func, types.FunctionType):
        raise AdCompileError(
            f"{func!r} is a {type(func).__name__}, not a Python function adcompile can read",
            hint="pass a function defined with def in a .py file")
    return func


def _loc_of(func) -> Loc | None:
    code = getattr(func, "__code__", None)
    return Loc(code.co_filename, code.co_firstlineno, 0) if code else None


def _normalise_wrt(wrt, params, func):
    single = not isinstance(wrt, (tuple, list))
    items = [wrt] if single else list(wrt)
    if not items:
        raise AdCompileError("wrt must name at least one parameter")
    out = []
    for w in items:
        if isinstance(w, str):
            if w not in params:
                raise AdCompileError(f"wrt={w!r}: {func.__name__}() has no parameter {w!r}",
                                     hint=f"its parameters are {', '.join(params)}")
            out.append(params.index(w))
        elif isinstance(w, int) and not isinstance(w, bool):
            if not -len(params) <= w < len(params):
                raise AdCompileError(f"wrt={w}: {func.__name__}() has {len(params)} parameters")
            out.append(w % len(params))
        else:
            raise AdCompileError(f"wrt entries must be parameter names or indices, got {w!r}")
    if len(set(out)) != len(out):
        raise AdCompileError("wrt names the same parameter twice")
    return tuple(out), single


def _clean(exc: AdCompileError) -> AdCompileError:
    """Drop adcompile's internal frames: the user's call is where the error belongs."""
    exc.__traceback__ = None
    exc.__context__ = None
    exc.__cause__ = None
    return exc


def _make(func, wrt, jit, with_value, mode, conventions, nonsmooth, seed):
    if nonsmooth is None:
        return GradFunction(func, wrt, jit, with_value, mode, conventions)
    if nonsmooth != "directional":
        raise AdCompileError(f"nonsmooth={nonsmooth!r}: the one choice is 'directional'",
                             hint="leave it out for the conventions of docs/conventions.md")
    if mode != "reverse":
        raise AdCompileError("nonsmooth='directional' is a reverse-mode gradient",
                             hint="leave mode at its default")
    return DirectionalGradFunction(func, wrt, jit, with_value, conventions, seed)


def grad(func=None, *, wrt=0, jit: bool = True, mode: str = "reverse", conventions=None,
         nonsmooth=None, seed: int = 0):
    """Gradient of a float-valued function: `@grad`, `@grad(wrt=("a", "b"))` or `grad(f, wrt=1)`.

    With one parameter in wrt (the default: the first) the call returns one float; with a tuple
    it returns a tuple of gradients in that order. `conventions` (an adcompile.Conventions)
    sets the derivatives used at kinks (relu'(0), abs'(0), the share of a max/min tie);
    nonsmooth="directional" resolves kinks along a random direction (seeded by `seed`).
    """
    if func is None:
        return lambda f: _make(f, wrt, jit, False, mode, conventions, nonsmooth, seed)
    return _make(func, wrt, jit, False, mode, conventions, nonsmooth, seed)


def value_and_grad(func=None, *, wrt=0, jit: bool = True, mode: str = "reverse",
                   conventions=None, nonsmooth=None, seed: int = 0):
    """Like grad, but the call returns (value, gradient) from the same compiled sweep."""
    if func is None:
        return lambda f: _make(f, wrt, jit, True, mode, conventions, nonsmooth, seed)
    return _make(func, wrt, jit, True, mode, conventions, nonsmooth, seed)
