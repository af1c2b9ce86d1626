"""The derivatives used at kinks: one place, read by the primitive table's rules.

Defaults follow PyTorch and TensorFlow: relu'(0) = 0, abs'(0) = 0, a tie of two-argument
max/min (np.maximum, np.minimum, max, min) splits the adjoint evenly. Reductions over arrays
(np.max, np.min) always split evenly among the maximisers.
"""
from __future__ import annotations

from dataclasses import dataclass

from .errors import AdCompileError


@dataclass(frozen=True)
class Conventions:
    relu: float = 0.0        # relu'(0), in [0, 1]
    abs: float = 0.0         # abs'(0), in [-1, 1]
    tie: float = 0.5         # the share of max(a, b)'s (or min's) adjoint a gets when a == b

    def __post_init__(self):
        for name, lo, hi in (("relu", 0.0, 1.0), ("abs", -1.0, 1.0), ("tie", 0.0, 1.0)):
            value = getattr(self, name)
            if not isinstance(value, (int, float)) or not lo <= value <= hi:
                raise AdCompileError(
                    f"Conventions({name}={value!r}): outside [{lo:g}, {hi:g}]",
                    hint=f"a derivative at the kink between the one-sided slopes {lo:g} and "
                         f"{hi:g} keeps the result a slope the function really has there")
            object.__setattr__(self, name, float(value))


DEFAULT = Conventions()


def of(builder) -> Conventions:
    """The conventions a pass builds with (set as builder.conventions), else the defaults."""
    return getattr(builder, "conventions", None) or DEFAULT


__all__ = ["Conventions", "DEFAULT"]
