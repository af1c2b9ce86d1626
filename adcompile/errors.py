"""User-facing errors. Every error about the user's code names file:line:col and shows a caret."""
from __future__ import annotations

import linecache
import pickle
from dataclasses import dataclass


@dataclass(frozen=True)
class Loc:
    """A place in the user's source: file, 1-based line, 0-based column."""
    file: str
    line: int
    col: int = 0

    def short(self) -> str:
        import os
        return f"{os.path.basename(self.file)}:{self.line}"

    def __str__(self) -> str:
        return f"{self.file}:{self.line}:{self.col + 1}"

    def source_line(self) -> str:
        return linecache.getline(self.file, self.line).rstrip("\n")


class AdCompileError(Exception):
    """Base class of every error adcompile raises about the user's program or call."""

    def __init__(self, message: str, loc: Loc | None = None, hint: str | None = None):
        self.message = message
        self.loc = loc
        self.hint = hint
        super().__init__(self.render())

    def render(self) -> str:
        parts = []
        if self.loc is not None:
            parts.append(f"{self.loc}: {self.message}")
            text = self.loc.source_line()
            if text:
                parts.append("    " + text)
                parts.append("    " + " " * self.loc.col + "^")
        else:
            parts.append(self.message)
        if self.hint:
            parts.append(f"hint: {self.hint}")
        return "\n".join(parts)


class UnsupportedSyntaxError(AdCompileError):
    """The function uses Python syntax outside the supported subset."""


class UnknownFunctionError(AdCompileError):
    """The function calls something adcompile does not know how to differentiate."""


class AdTypeError(AdCompileError, TypeError):
    """Wrong argument or operand types (also a TypeError, as Python users expect)."""


class JitError(AdCompileError):
    """Numba failed on generated code; the message names the generated file."""


class ShapeError(AdCompileError, ValueError):
    """Raised by compiled code: array shapes that do not fit (the message names the line).
    Compiled code passes the sizes involved: two lengths (broadcasting), or two shapes as
    (ndim, n0, n1) each (matrix products)."""

    def __init__(self, message: str, *sizes, loc: Loc | None = None, hint: str | None = None):
        if len(sizes) == 2:
            message = f"{message} (lengths {sizes[0]} and {sizes[1]})"
            if 1 in sizes and hint is None:
                hint = ("an axis broadcasts where its length is known to be 1 before the "
                        "run: an argument's length-1 axis, x[:, None], x[:, :1], x[-1:], x[2:3] "
                        "(constant bounds); a slice that only happens to have length 1 (x[2:]) "
                        "does not")
        elif len(sizes) == 6:
            a, b = sizes[:3], sizes[3:]
            message = f"{message} (shapes {_shape(a)} and {_shape(b)})"
        super().__init__(message, loc, hint)


def _shape(dims) -> str:
    n = dims[0]
    return "(" + ", ".join(str(d) for d in dims[1:1 + n]) + ("," if n == 1 else "") + ")"


class CheckpointMemoryError(AdCompileError, MemoryError):
    """Raised by compiled code: a checkpointed loop (grad(f, memory=...)) cannot fit the
    budget. Compiled code passes the steps, the bytes of one snapshot, the bytes recorded
    per step, the budget, the least memory a schedule needs (`.least`, bytes) and what two
    levels need (`.two_levels`: above `.least` when three levels need less)."""

    def __init__(self, message: str, *sizes, loc: Loc | None = None, hint: str | None = None):
        self.least = self.two_levels = None
        if len(sizes) == 6:
            n, snap, step, budget, self.least, self.two_levels = sizes
            message = (f"{message}: {n} steps, {snap} bytes per snapshot, {step} bytes "
                       f"recorded per step need at least {self.least / 1e6:.3g} MB "
                       f"({'three' if self.least < self.two_levels else 'two'} levels of "
                       f"checkpoints); memory= allows {budget / 1e6:.3g} MB")
        super().__init__(message, loc, hint or "raise memory=, or leave it out to record "
                                               "the whole loop")


class OutOfRangeError(AdCompileError, IndexError):
    """Raised by compiled code: an index outside an array (the message names the line)."""


class NotPicklableError(AdCompileError, pickle.PicklingError):
    """A transformed function cannot be pickled (or loaded) by reference: its function is
    not importable by module and name (a lambda, a nested function, a notebook's)."""


class MissingExtraError(AdCompileError, ImportError):
    """An optional part of adcompile needs a package that is not installed."""


class LengthOneAxis(ValueError):
    """Raised by a compiled entry the call dispatched natively (native.py) when an array
    argument has a length-1 axis: such arrays broadcast, so they have specialisations of
    their own; the call then takes the Python path, which picks or compiles that one. Seen
    only by code calling a gradient's `.kernel` directly with such an array."""

    def __str__(self):
        return ("this compiled gradient was specialised for arrays without a length-1 axis "
                "(such axes broadcast); call the gradient itself, which compiles one for "
                "them, rather than its .kernel")


class UnboundNameError(AdCompileError, UnboundLocalError):
    """Raised by compiled code: a name read on a path that never bound it (an if arm that
    did not run, a loop that ran zero times), where Python raises UnboundLocalError; the
    message names the line."""


class AssertionFailed(AdCompileError, AssertionError):
    """The user's `assert` failed, in compiled code or at compile time (names the line)."""
