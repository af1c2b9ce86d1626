"""The IR: built programs and their reverse-mode versions verify; the verifier catches faults."""
import inspect

import pytest

import programs as P
from adcompile.frontend import build_function
from adcompile.ir import Op, Value
from adcompile.irprint import format_function
from adcompile.passes.dce import dce
from adcompile.passes.reverse import reverse
from adcompile.types import F64, I64, Array
from adcompile.verify import VerifyError, verify

FUNCS = [f for _, f in inspect.getmembers(P, inspect.isfunction) if f.__module__ == "programs"]


ARRAY_TYPES = {"rosen_loop": [Array(F64, 1)],
               "matrix_loop": [Array(F64, 2), Array(F64, 1), F64],
               "cube_and_labels": [Array(F64, 3), Array(I64, 1), F64],
               "fill_ramp": [Array(F64, 1), F64], "writes_parameter": [Array(F64, 1), F64],
               "gauss_seidel": [Array(F64, 1), I64], "split": [Array(F64, 1)],
               "helper_row": [Array(F64, 1), Array(F64, 1)]}


def _samples():
    import test_arrays
    import test_numpy
    from adcompile.api import arg_type
    cases = [(f, a) for f, a, _ in test_numpy._cases() + test_arrays.CASES]
    return {f.__name__: [arg_type(str(i), x) for i, x in enumerate(a)] for f, a in cases}


SAMPLES = _samples()


def _types(func):
    if func.__name__ in ARRAY_TYPES:
        return ARRAY_TYPES[func.__name__]
    if func.__name__ in SAMPLES:
        return SAMPLES[func.__name__]
    return [I64 if p in ("n", "sweeps") else F64 for p in inspect.signature(func).parameters]


@pytest.mark.parametrize("func", FUNCS, ids=lambda f: f.__name__)
def test_every_pass_leaves_verifiable_ir(func):
    fn = build_function(func, _types(func))
    verify(fn)
    verify(dce(fn))
    text = format_function(fn)
    assert text.startswith(f"func {func.__name__}(")
    floats = [i for i, t in enumerate(_types(func)) if t in (F64, Array(F64, 1),
                                                             Array(F64, 2), Array(F64, 3))]
    if fn.results[0].type == F64 and len(fn.results) == 1:
        vg = reverse(build_function(func, _types(func)), floats)
        verify(vg)
        assert len(vg.results) == 1 + len(floats)


def test_verifier_rejects_use_before_definition():
    fn = build_function(P.straight, [F64, F64])
    body = fn.body
    ghost = Value(F64, "ghost")
    body.ops.insert(0, Op("neg", [ghost], [Value(F64, "y")]))
    body.ops[0].parent = body
    with pytest.raises(VerifyError, match="before"):
        verify(fn)


def test_verifier_rejects_a_value_used_outside_its_region():
    """A value defined in a loop body is not visible after the loop, nor in the body
    before its definition (a checked region's names leave scope when it ends)."""
    for where in ("after the loop", "before its definition"):
        fn = build_function(P.overwrite_in_loop, [F64, I64])
        k = next(k for k, op in enumerate(fn.body.ops) if op.name == "for")
        body = fn.body.ops[k].regions[0]
        inner = next(op for op in body.ops if op.results and op.results[0].type == F64)
        use = Op("neg", [inner.results[0]], [Value(F64, "y")])
        block, at = (fn.body, k + 1) if where == "after the loop" else (body, 0)
        block.ops.insert(at, use)
        use.parent = block
        with pytest.raises(VerifyError, match="before"):
            verify(fn)


def test_verifier_rejects_mistyped_yield():
    fn = build_function(P.overwrite_in_loop, [F64, I64])
    loop = next(op for op in fn.body.ops if op.name == "for")
    body = loop.regions[0]
    k = next(k for k, a in enumerate(body.args[1:]) if a.type == F64)
    body.terminator.args[k] = body.args[0]              # yield the int index for a float
    with pytest.raises(VerifyError):
        verify(fn)


def test_ops_carry_user_locations():
    fn = build_function(P.nested_branches, [F64, F64])
    from adcompile.ir import walk
    lines = {op.loc.line for op in walk(fn.body) if op.loc is not None}
    first = P.nested_branches.__code__.co_firstlineno
    assert lines and min(lines) >= first and max(lines) <= first + 12
