"""Code generation writes every primitive inside every other without changing its meaning:
for each pair of primitives, `outer(inner(x, y), y)` and `outer(y, inner(x, y))` are built as
IR, emitted with temporaries folded into expressions, run as Python, and compared with the
IR interpreter. (Operator precedence and chained comparisons are the classic traps.)"""
import itertools
import math

import pytest

from adcompile.builder import Builder
from adcompile.codegen import generate_module
from adcompile.interp import interpret
from adcompile.ir import Block, Function, Value
from adcompile.primitives import PRIMS
from adcompile.types import BOOL, F64

SCALAR = sorted(n for n, p in PRIMS.items() if p.operands == "numbers")   # a row attribute


def _operands(name, a, b):
    """Operands of the right types for prim `name` built from values a, b (floats)."""
    p = PRIMS[name]
    if name in ("not", "to_bool", "bool_f64", "bool_i64"):
        return None
    if name in ("and", "or"):
        return None
    if name == "select":
        return [BOOL, a, b]
    n = p.arity or 2
    return [a, b][:n] if n <= 2 else None


def _build(outer, inner, swap):
    x, y = Value(F64, "x"), Value(F64, "y")
    body = Block([x, y])
    b = Builder(body)
    ops_in = _operands(inner, x, y)
    ops_out = _operands(outer, x, y)
    if ops_in is None or ops_out is None:
        return None
    if ops_in[0] is BOOL:
        ops_in = [b.prim("gt", x, y)] + ops_in[1:]
    t = b.prim(inner, *ops_in)
    if t.type == BOOL:
        t = b.prim("bool_f64", t)
    args = list(ops_out)
    if args[0] is BOOL:
        args = [b.prim("gt", x, y)] + args[1:]
        slot = 2 if swap else 1
    else:
        slot = len(args) - 1 if swap else 0
    args[slot] = t
    out = b.prim(outer, *args)
    if out.type == BOOL:
        out = b.prim("bool_f64", out)
    b.emit("return", [b.prim("to_f64", out) if out.type != F64 else out], [])
    return Function("f", [x, y], body)


POINTS = [(0.7, -1.3), (2.5, 0.4), (-0.6, -2.2), (1.5, 1.5)]


def _run(fn, point):
    try:
        return interpret(fn, point)[0]
    except (ArithmeticError, ValueError, OverflowError, TypeError):
        return "error"


@pytest.mark.parametrize("outer", SCALAR)
@pytest.mark.filterwarnings("ignore::RuntimeWarning")
@pytest.mark.filterwarnings("ignore::numpy.exceptions.ComplexWarning")
def test_every_pair_of_primitives(outer):
    for inner, swap in itertools.product(SCALAR, (False, True)):
        fn = _build(outer, inner, swap)
        if fn is None:
            continue
        expect = [_run(fn, p) for p in POINTS]
        src = generate_module(fn, "f", "test", "pairs")
        ns: dict = {}
        exec(compile(src, "<generated>", "exec"), ns)
        for p, e in zip(POINTS, expect):
            try:
                got = ns["f"](*p)
            except (ArithmeticError, ValueError, OverflowError, TypeError):
                got = "error"
            if e == "error" or got == "error" or isinstance(e, complex) or \
                    isinstance(got, complex):
                continue
            same = got == e or (isinstance(e, float) and math.isnan(e) and math.isnan(got))
            assert same, f"{outer}({inner}) swap={swap} at {p}: {got} != {e}\n{src}"
