"""THE primitive table: one row per primitive, and the function that defines a row.

A row owns everything about its primitive:
- the Python callables it answers to (`bindings`: math.tanh, np.tanh, ...), each with the
  label users write (for messages) and a binder that checks arity and keywords and builds the
  op (bind.py; the row's `bind` is its bindings' default);
- whether the frontend may map it over arrays (`elementwise`: frontend/lazy.py fuses the
  maps into loops; a binding from `math` or the builtins takes numbers only unless it says otherwise);
- its evaluation on Python scalars (`impl`, the interpreter's), its typing rule;
- its emission (`emit`, a callable returning text and precedence: emit.py), and the runtime
  helpers that text calls (adcompile/runtime.py, defined there once);
- its derivative: `partials` (IR of each operand's partial derivative, built from other rows:
  a Value, a Python number for a constant, None for zero) from which ONE JVP rule and ONE VJP
  rule are derived, unless the row gives its own (rules.py: the array rows, and rows whose
  tangent is not a sum of partial * tangent). JVP: `jvp(b, out, args, dirs, attrs)` -> the
  tangent of `out` per direction, `dirs[k]` holding the operands' tangents along direction k
  (None for zero). VJP: `vjp(b, adj)` adds or sets operand adjoints through `adj`, the reverse
  pass's view of the op (adj.g the incoming adjoint, adj.arg(k), adj.out(), adj.active(k),
  adj.get/set/add(k, ...), adj.zero(k), adj.guarded, adj.attrs);
- its nonsmooth metadata (`kink`), and its second-order behaviour (the partials are IR, so
  differentiating them again needs nothing more).

Adding a primitive is one call of `row(...)`; `remove(name)` takes one out (tests). Caches
built from the table (resolve.py's callee table) follow `version()`.
"""
from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Callable

from . import rules
from .bind import Binding, Deferred, standard
from .emit import Emit, template


@dataclass(frozen=True)
class Kink:
    """Where a primitive is not differentiable, and what the generated code does there."""
    kind: str                 # "kink" (continuous, two slopes) | "tie" | "jump" | "singular"
    where: str                # e.g. "x == 0"
    slopes: tuple = ()        # one-sided slopes (left, right) for a kink
    convention: object = None  # the derivative used at the point
    alternatives: tuple = ()  # other values a reasonable convention could give
    hit: str | None = None    # how the diagnostic build tests for a hit: "zero" (the argument
    #                           is 0), "tie" (the two arguments are equal); None: not recorded


@dataclass(frozen=True)
class Prim:
    name: str
    arity: int | None                 # None: variadic
    impl: Callable                    # reference implementation on Python scalars
    emit: Emit                        # (op, arg) -> (text, precedence): emit.py
    typing: Callable                  # (arg Values) -> result type
    partials: Callable | None = None  # (b, out, *args) -> tuple of partials, one per operand
    jvp: Callable | None = None       # (b, out, args, dirs, attrs) -> tangent per direction
    vjp: Callable | None = None       # (b, adj) -> None: operand adjoints through adj
    bindings: tuple = ()              # Binding: the Python callables it answers to
    elementwise: bool = False         # the frontend may map it over arrays
    cost: str = "cheap"               # cheap ops are recomputed in loop adjoints, others taped
    fold: bool = False                # constant-fold when every operand is a constant
    kink: Kink | None = None
    doc: str = ""
    inplace: bool = False             # emitted as a statement updating args[0] in place
    takes_attrs: bool = False         # impl(*args, **attrs): the interpreter passes attrs
    needs_contents: bool = False      # its adjoint reads the elements of its array operands
    directional: str | None = None    # its variant whose kink follows a tangent's sign
    finite_partials: bool = False     # partials are finite wherever the operands are (so an
    #   adjoint of 0 times them stays 0 with no guard: add, mul, sin, ...); False for rows
    #   singular or overflowing at finite operands (sqrt at 0, exp(800), 1/x)
    check: bool = False               # run for the error it raises: a statement when unused
    raises: tuple = ()                # (condition over {0}, {1}, ..., error class): the
    #   statement form of an unused check, `if condition: raise Error(where)`, which costs
    #   Numba no helper to compile (the helper call stays where the result is read)
    guards: Callable | None = None    # op -> bool: this op checks its operands at run time
    #   (the user's x[i] out of range, a product's shapes) and runs even when nothing reads it
    operands: str = "numbers"         # what it takes: "numbers" (any float operands),
    #   "ints" (sizes, counts, int positions) or "arrays"; the table-driven tests pair the
    #   "numbers" rows with each other

    def runs_for_error(self, op) -> bool:
        """Must `op` run for the error it may raise, read or not? (dce keeps it; codegen
        emits it as a statement when unused.) The hoisted checks (a statement form), and
        the user's own checks, reads, writes and products in the forward sweep: not their
        copies (a checkpointed while loop's count, the adjoint's recomputations), whose
        originals run them."""
        if self.raises:
            return True
        if op.role != "primal":
            return False
        return self.check or (self.guards is not None and self.guards(op))

    @property
    def helpers(self) -> tuple:
        """The runtime helpers (adcompile/runtime.py) its generated text calls."""
        return self.emit.helpers


PRIMS: dict[str, Prim] = {}
_version = 0


def row(name, arity, impl, emit, typing, partials=None, *, bindings=(), bind=None,
        jvp=None, vjp=None, **kw) -> Prim:
    """Define the row `name` (see the module docstring); returns it.

    `emit` is an emitter (emit.py) or a format string over {0}, {1}, ... (a call or a
    subscript: its operands need no parentheses). `bindings`: callables, or `on(callable,
    label=..., bind=..., arrays=...)` for a label, binder or array behaviour of its own; `bind`
    is the default binder of the row's bindings (bind.standard: the row's arity). Without
    `jvp` / `vjp`, the rules are derived from `partials`."""
    global _version
    if name in PRIMS:
        raise ValueError(f"the primitive table already has a row {name!r}")
    if isinstance(emit, str):
        emit = template(emit)
    if partials is not None:
        jvp = jvp or rules.jvp_from_partials(partials)
        vjp = vjp or rules.vjp_from_partials(partials)
    elementwise = kw.get("elementwise", False)
    taken = {b.obj: p.name for p in PRIMS.values() for b in p.bindings}
    made = []
    for spec in bindings:
        spec = spec if isinstance(spec, Binding) else Binding(spec)
        if spec.obj in taken:
            raise ValueError(f"{spec.label or _label(spec.obj)} already answers to the row "
                             f"{taken[spec.obj]!r}")
        made.append(replace(
            spec, row=name, label=spec.label or _label(spec.obj),
            bind=spec.bind or bind or standard(arity),
            arrays=elementwise and _maps(spec.obj) if spec.arrays is None else spec.arrays))
    PRIMS[name] = prim = Prim(name, arity, impl, emit, typing, partials, jvp, vjp,
                              tuple(made), **kw)
    _version += 1
    return prim


def remove(name: str) -> None:
    """Take the row `name` out of the table (and its bindings with it)."""
    global _version
    del PRIMS[name]
    _version += 1


def version() -> int:
    """Changes whenever a row is added or removed: caches built from the table compare it."""
    return _version


def _label(obj) -> str:
    """How users write a callable: math.sin, np.sin, abs."""
    if isinstance(obj, Deferred):
        return f"{obj.module}.{obj.name}"
    module = getattr(obj, "__module__", None) or ""
    name = obj.__name__
    if module == "math":
        return f"math.{name}"
    if module == "builtins":
        return name
    if module.split(".")[0] == "numpy":
        return f"np.{name}"
    return f"{module}.{name}" if module else name


def _maps(obj) -> bool:
    """Does a binding map over arrays by default? NumPy's functions do; math's and the
    builtins' take numbers (math.sin(x) of an array is an error in Python too)."""
    if isinstance(obj, Deferred):
        return True
    return obj.__module__ not in ("math", "builtins") if hasattr(obj, "__module__") else True


def is_differentiable(name: str) -> bool:
    prim = PRIMS.get(name)
    return prim is not None and prim.vjp is not None


def runtime_helpers() -> set:
    """The runtime helpers the rows' generated text may call."""
    return {h for p in PRIMS.values() for h in p.helpers}


def jvp(b, name: str, out, args, tangents):
    """The tangent of `out = name(*args)` given operand tangents (None for zero): the row's
    JVP rule along one direction."""
    return PRIMS[name].jvp(b, out, args, [list(tangents)], {})[0]


def vjp(b, name: str, g, out, args, wanted, guarded: bool = False) -> list:
    """Adjoint contributions [(operand index, value)] of `out = name(*args)` for incoming
    adjoint g, by the row's partials (see rules.partial_vjp)."""
    return rules.partial_vjp(b, PRIMS[name].partials, g, out, args, wanted, guarded)


__all__ = ["PRIMS", "Prim", "Kink", "row", "remove", "version", "is_differentiable",
           "runtime_helpers", "jvp", "vjp"]
