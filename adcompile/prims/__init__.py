"""THE primitive table, one row per primitive: table.py says what a row holds and defines
`row`; scalar_rows.py and array_rows.py are the rows; emit.py, bind.py and rules.py the
emitters, binders and derivative rules rows are built from."""
from . import array_rows, linalg_rows, scalar_rows, special_rows  # noqa: F401  (the rows)
from .bind import Binding, Call, on
from .emit import ATOM, COND, Emit, call, compare, cond, infix, prefix, template
from .rules import array_adjoint, each_direction, guarded_times, scatter
from .table import PRIMS, Kink, Prim, is_differentiable, jvp, remove, row, runtime_helpers, \
    version, vjp

__all__ = ["PRIMS", "Prim", "Kink", "row", "remove", "version", "is_differentiable", "jvp",
           "vjp", "runtime_helpers", "Binding", "Call", "on", "Emit", "template", "call",
           "infix", "compare", "prefix", "cond", "ATOM", "COND", "each_direction", "scatter",
           "array_adjoint", "guarded_times"]
