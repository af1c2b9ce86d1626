"""The frontend's stages: desugaring (chained comparisons, augmented assignment to numbers),
loops lowered once with the types the abstract interpretation finds, functions lowered once."""
import ast

import numpy as np
import pytest

import adcompile as ad
import programs as P
from adcompile.api import arg_type
from adcompile.desugar import Shared, desugar
from adcompile.errors import AdTypeError, UnsupportedSyntaxError
from adcompile.frontend import build_function
from adcompile.frontend.infer import Infer
from adcompile.frontend.loops import Loops
from adcompile.frontend.statements import Statements
from adcompile.interp import interpret
from adcompile.resolve import function_source
from adcompile.types import F64, I64, Array

CHAINS = '''import math
import numpy as np

def bump(a):
    a[0] += 1.0
    return a[0]

def chain3(x, y):
    if 0.0 < x <= y < 2.0:
        return x * y
    return x - y

def chain_values(x, y):
    return (x < y < 2.0) + 0.5 * (x < math.sin(y) < 1.0) + (1 < 2 < 3 < 4)

def chain_effect(x, a):
    if 0.0 < bump(a) < 10.0:
        return x * a[0]
    return x

def chain_type_error(x, v):
    if 0.0 < v < 1.0:
        return x
    return x * 2.0

def counters(x, n):
    k = 0
    s = 0.0
    for i in range(n):
        k += 1
        s += x * k
    n += 1
    return s * n

def in_place(x, a):
    b = a
    a += x
    a[0] += 2.0 * x
    return np.sum(b)
'''


@pytest.fixture
def mod(load):
    return load(CHAINS)


def _desugared(func, types=None):
    return desugar(function_source(func), types).node


def test_chains_become_ands_nested_to_the_right(mod):
    node = _desugared(mod.chain3)
    test = node.body[0].test
    assert isinstance(test, ast.BoolOp) and isinstance(test.values[1], ast.BoolOp)
    parts = [test.values[0]] + test.values[1].values
    assert all(isinstance(c, ast.Compare) and len(c.ops) == 1 for c in parts)
    # each part starts where the user's chain from it starts
    assert (parts[0].lineno, parts[0].col_offset) == (test.lineno, test.col_offset)
    assert parts[1].col_offset == parts[0].comparators[0].col_offset


def test_a_middle_operand_with_effects_is_shared_and_evaluated_once(mod):
    node = _desugared(mod.chain_effect)
    shared = [n for n in ast.walk(node) if isinstance(n, Shared)]
    assert len(shared) == 2 and shared[0] is shared[1]
    a = np.zeros(2)
    value, (gx,) = ad.value_and_grad(mod.chain_effect, wrt=(0,))(3.0, a)
    assert value == pytest.approx(3.0) and gx == pytest.approx(1.0)   # a[0] == 1 once
    assert a[0] == 0.0                                   # the caller's array is untouched


@pytest.mark.parametrize("x,y", [(0.5, 1.0), (1.5, 1.0), (-0.5, 1.5), (0.5, 3.0)])
def test_chained_comparisons_compute_what_python_does(mod, x, y):
    for f in (mod.chain3, mod.chain_values):
        fn = build_function(f, [F64, F64])
        assert interpret(fn, [x, y])[0] == pytest.approx(f(x, y))


def test_a_chain_over_an_array_reports_where_the_user_wrote_it(mod):
    with pytest.raises(AdTypeError) as exc:
        build_function(mod.chain_type_error, [F64, Array(F64, 1)])
    assert "truth value of an array" in str(exc.value)
    assert exc.value.loc.line == mod.chain_type_error.__code__.co_firstlineno + 1


def test_augmented_assignment_to_numbers_becomes_assignment(mod):
    node = _desugared(mod.counters, [F64, I64])
    aug = [n for n in ast.walk(node) if isinstance(n, ast.AugAssign)]
    assert aug == []                       # k, s and the int parameter n hold numbers
    node = _desugared(mod.counters)        # parameter types unknown: x, n may be arrays
    assert {n.target.id for n in ast.walk(node) if isinstance(n, ast.AugAssign)} == {"n", "s"}
    assert interpret(build_function(mod.counters, [F64, I64]), [0.5, 3])[0] == \
        pytest.approx(mod.counters(0.5, 3))


def test_augmented_assignment_to_arrays_stays_in_place(mod):
    node = _desugared(mod.in_place, [F64, Array(F64, 1)])
    assert len([n for n in ast.walk(node) if isinstance(n, ast.AugAssign)]) == 2
    a = np.arange(3.0)
    assert ad.value_and_grad(mod.in_place, wrt=(0,))(0.5, a)[0] == \
        pytest.approx(mod.in_place(0.5, np.arange(3.0)))
    assert (a == np.arange(3.0)).all()


def test_desugaring_keeps_errors_where_the_user_wrote_them(load):
    m = load("def f(x, n):\n    s = 0.0\n    for i in range(n):\n        s += x * nope\n"
             "    return s\n")
    with pytest.raises(UnsupportedSyntaxError) as exc:
        build_function(m.f, [F64, I64])
    assert "'nope' is not defined" in str(exc.value)
    assert (exc.value.loc.line, exc.value.loc.col) == (4, 17)


LOOPS = [(P.overwrite_in_loop, (0.3, 4)), (P.break_continue, (0.4, 7)),
         (P.nested_loops, (0.3, 4)), (P.while_in_for, (0.2,)), (P.loop_var_after, (0.3, 3)),
         (P.ranges, (0.7, 9)), (P.matrix_loop, (np.eye(3), np.ones(3), 0.5)),
         (P.trajectory, (0.4, 1.0, 5)), (P.gauss_seidel, (np.ones(4), 2)),
         (P.while_writes, (0.9,)), (P.heat_equation, (np.ones(6), 0.1, 3)),
         (P.cumsum_loss, (np.ones(4),)), (P.conv1d, (np.ones(6), np.ones(3))),
         (P.while_array, (np.ones(3),)), (P.early_return_array, (np.ones(3), 0.5)),
         (P.branchy_writes, (0.5, 3)), (P.views_and_slices, (np.ones((3, 3)),
                                                                  np.ones(3)))]


@pytest.mark.parametrize("func,args", LOOPS, ids=[f.__name__ for f, _ in LOOPS])
def test_every_loop_body_is_lowered_once(monkeypatch, func, args):
    counts = {"loops": 0, "bodies": 0, "gave_up": 0}
    loop, body, predict = Loops.loop, Loops._lower_body, Infer.predict

    def count(key, fn):
        def wrapped(*a, **k):
            counts[key] += 1
            return fn(*a, **k)
        return wrapped
    monkeypatch.setattr(Loops, "loop", count("loops", loop))
    monkeypatch.setattr(Loops, "_lower_body", count("bodies", body))

    def predicted(self, *a):
        out = predict(self, *a)
        counts["gave_up"] += out is None
        return out
    monkeypatch.setattr(Infer, "predict", predicted)
    build_function(func, [arg_type("p", a) for a in args])
    assert counts["loops"] > 0 and counts["gave_up"] == 0
    assert counts["bodies"] == counts["loops"]


@pytest.mark.parametrize("func,args", [(P.writes_parameter, (np.ones(3), 2.0)),
                                       (P.fill_ramp, (np.ones(3), 2.0))])
def test_a_function_is_lowered_once_and_its_written_arguments_copied(monkeypatch, func,
                                                                     args):
    calls = []
    body = Statements.lower_body
    monkeypatch.setattr(Statements, "lower_body",
                        lambda self: calls.append(self.cx.src.name) or body(self))
    fn = build_function(func, [arg_type("p", a) for a in args])
    assert calls.count(func.__name__) == 1
    copies = [op for op in fn.body.ops if op.name == "copy" and op.args[0] in fn.params]
    assert copies                          # the written parameter is copied on entry
    before = [a.copy() if isinstance(a, np.ndarray) else a for a in args]
    interpret(fn, list(args))
    for a, b in zip(args, before):
        assert np.all(a == b)


def test_unwritten_array_parameters_are_read_in_place():
    fn = build_function(P.rosen_vec, [Array(F64, 1)])
    assert not any(op.name == "copy" for op in fn.body.ops)


@pytest.mark.parametrize("func,args", LOOPS, ids=[f.__name__ for f, _ in LOOPS])
def test_a_wrong_prediction_falls_back_to_the_same_ir(monkeypatch, func, args):
    """Where the interpretation is wrong, the loop is lowered until its types settle, as if
    nothing had been predicted: predicting what a loop carries before its body is looked
    at (the first pass's state) gives the IR of the right prediction."""
    from adcompile.irprint import format_function
    types = [arg_type("p", a) for a in args]
    expected = format_function(build_function(func, types))
    monkeypatch.setattr(Infer, "predict", lambda self, node, target, element, start:
                        start.copy())
    assert format_function(build_function(func, types)) == expected


def test_a_prediction_the_body_fails_on_falls_back_to_the_same_ir(monkeypatch):
    from adcompile.errors import AdCompileError
    from adcompile.irprint import format_function
    func, args = P.break_continue, (0.4, 7)
    types = [arg_type("p", a) for a in args]
    expected = format_function(build_function(func, types))
    body, calls = Loops._lower_body, []

    def fails_first(self, *a):
        calls.append(1)
        if len(calls) == 1:
            self.cx.env = {}                    # left behind by a failure half-way
            raise AdCompileError("a type the prediction got wrong")
        return body(self, *a)
    monkeypatch.setattr(Loops, "_lower_body", fails_first)
    assert format_function(build_function(func, types)) == expected
    assert len(calls) >= 2
