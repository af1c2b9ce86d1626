"""Compiled specialisations: what a transform's pipeline gives for one signature (Build),
what compiling it gives (Compiled), and where they are kept (Specialisations).

A transform object (grad(f), jacobian(f), ...) keeps its own Specialisations: from argument
types to Compiled, pinned for the object's life. Transforms made anew at every call
(jvp(f, ...), diagnose's builds) share theirs through `shared(func, key)`: a
WeakKeyDictionary on the user function, so an entry lives no longer than the function and
holds no reference to it (Compiled keeps Scopes, which keep cells and globals, not the
function). A shared entry is current while the function runs the same code and every module
constant and closure value its builds read still holds (resolve.Scope.unchanged); one that
is not is replaced by an empty one, so the next call compiles what the function means now.
"""
from __future__ import annotations

import gc
import inspect
import threading
import weakref
from contextlib import contextmanager
from dataclasses import dataclass, field
from functools import cached_property
from types import MappingProxyType

from .codegen import generate_module
from .ir import Function, walk
from .irprint import format_function
from .jit import compile_function, write_module


@dataclass(frozen=True)
class Build:
    """What a transform's pipeline gives for one specialisation."""
    primal: Function          # the user's function, typed
    entry: Function           # what is compiled: a kernel, or a driver that calls kernels
    name: str                 # the entry's Python name
    what: str                 # what it computes (for the generated module's docstring)
    params: tuple             # Python names of the entry's parameters
    facts: dict = field(default_factory=dict)   # what analyses found (diagnose: kink sites)


@dataclass(frozen=True, eq=False)
class Compiled:
    """One specialisation: the IRs, the generated source and the callable."""
    types: tuple              # IR types of the entry's user parameters (leaves)
    primal_fn: Function       # the user's function, typed SSA IR (printed on demand: .ir)
    entry_fn: Function        # the IR compiled (.adjoint_ir: with the kernels it calls)
    source: str               # the generated module
    path: object              # its file
    func: object              # its entry, compiled (numba.njit, or plain Python)
    n_out: int                # how many values the user's function returns
    entry_types: tuple        # IR types of the entry's parameters
    scopes: tuple             # the module and closure names the builds read (resolve.Scope)
    facts: MappingProxyType   # Build.facts
    layout: object = None     # structured.Layout when a parameter is a dict/tuple/list
    view: object = None       # the structured.FlatView its conventions see (then)
    captured: tuple = ()      # arrays read from outside: (Scope, name, attrs), fetched per call
    watches: tuple = ()       # the Scopes whose data reads a call checks (fresh())
    effects: tuple = ()       # counters updated on objects per call (Function.effects)
    grouped: bool = False     # the entry returns what the user's call does (Convention.returns)

    def fresh(self) -> bool:
        """Do the numbers, strings and attributes it baked in still hold (and the arrays
        it reads at every call keep their types)? Cheap: checked at every call."""
        return all(s.data_unchanged() for s in self.watches)

    def apply_effects(self):
        """What the function does to objects (self.nfev += 1), done here, in Python."""
        for scope, name, attrs, op, amount in self.effects:
            obj = scope.fetch(name, attrs[:-1])
            old = getattr(obj, attrs[-1])
            setattr(obj, attrs[-1], old + amount if op == "add" else old - amount)

    def outside(self) -> list:
        """The current values of the arrays it reads from outside (after the parameters)."""
        return [scope.fetch(name, attrs) for scope, name, attrs in self.captured]

    def __getattr__(self, name):
        """The facts read as attributes (compiled.sites); nothing is attached later."""
        facts = self.__dict__.get("facts")
        if facts is not None and name in facts:
            return facts[name]
        raise AttributeError(f"{type(self).__name__!r} object has no attribute {name!r}")

    @cached_property
    def ir(self) -> str:
        """The user's function as typed SSA IR text."""
        return format_function(self.primal_fn)

    @cached_property
    def adjoint_ir(self) -> str:
        """The IR compiled, as text: the kernels a driver calls, then the driver."""
        return _format_all(self.entry_fn)

    def current(self) -> bool:
        return all(s.unchanged() for s in self.scopes)


@contextmanager
def gc_paused():
    """The cyclic garbage collector off while the compiler builds and writes a function
    (and on again after, unless the caller had turned it off). The build makes many small
    objects that all live until it ends; each full collection would scan them all again,
    which made compile time grow faster than the function (2,000 statements: 1.7 s with
    collections, 0.9 s without)."""
    was_on = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_on:
            gc.enable()


def compile_build(build: Build, types: tuple, jit: bool, scopes, layout=None,
                  view=None, returns=None) -> Compiled:
    """Generate the module of build.entry (and the kernels it calls), write it to the cache
    and compile its entry; `returns` groups its results as the user's call returns them."""
    primal = build.primal
    where = primal.loc.short() if primal.loc else primal.name
    with gc_paused():
        source = generate_module(build.entry, build.name, f"{where} ({primal.name})",
                                 build.what, params=list(build.params), returns=returns)
    path = write_module(source, build.name)
    func = compile_function(path, build.name, jit, source)
    return Compiled(tuple(types), primal, build.entry, source,
                    path, func, len(primal.results), tuple(p.type for p in build.entry.params),
                    tuple(scopes), MappingProxyType(dict(build.facts)), layout, view,
                    tuple(primal.captured), tuple(s for s in scopes if s.reads_data),
                    tuple(primal.effects), returns is not None)


def _format_all(fn: Function) -> str:
    """The IR of fn after that of the functions it calls."""
    texts = []
    for op in walk(fn.body):
        if op.name == "call" and op.attrs["callee"] is not fn:
            text = format_function(op.attrs["callee"])
            if text not in texts:
                texts.append(text)
    return "\n\n".join(texts + [format_function(fn)])


# ---------------------------------------------------------------------------- where they live
class Specialisations:
    """Compiled specialisations of one transform of one function: by the IR types of the
    arguments, and by their Python types (the fast path of a call)."""

    def __init__(self, code=None):
        self.code = code                     # the function's code when the entry was made
        self.by_types: dict = {}
        self.fast: dict = {}

    def current(self, func) -> bool:
        return getattr(func, "__code__", None) is self.code and \
            all(c.current() for c in list(self.by_types.values()))


class _Record:
    """What transforms of one function made at every call share: its signature and the
    specialisations of each (transform, wrt, jit)."""

    def __init__(self, func):
        self.made_from = _made_from(func)
        self.signature = inspect.signature(func)
        self.entries: dict = {}


def _made_from(func) -> tuple:
    return (getattr(func, "__code__", None), getattr(func, "__defaults__", None),
            getattr(func, "__kwdefaults__", None))


_SHARED: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()   # func -> _Record
_LOCK = threading.RLock()


def shared_signature(func) -> inspect.Signature:
    """func's signature, computed once while its code and defaults stay."""
    return _record(func).signature


def shared(func, key) -> Specialisations:
    """The specialisations transforms of func with this key share (a current entry)."""
    with _LOCK:
        record = _record(func)
        entry = record.entries.get(key)
        if entry is None or not entry.current(func):
            entry = record.entries[key] = Specialisations(getattr(func, "__code__", None))
        return entry


def _record(func) -> _Record:
    with _LOCK:
        record = _SHARED.get(func)
        if record is None or any(a is not b for a, b in zip(record.made_from,
                                                             _made_from(func))):
            record = _SHARED[func] = _Record(func)
        return record


__all__ = ["Build", "Compiled", "compile_build", "Specialisations", "shared", "shared_signature"]
