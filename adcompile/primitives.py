"""The primitive table under its first name: the rows live in adcompile/prims/ (table.py
says what a row holds; adding a primitive is one `row(...)` call)."""
from .prims import PRIMS, Kink, Prim, is_differentiable, jvp, remove, row, runtime_helpers, \
    version, vjp

__all__ = ["PRIMS", "Prim", "Kink", "row", "remove", "version", "is_differentiable", "jvp",
           "vjp", "runtime_helpers"]
