"""sum(), min() and max() of a generator expression or a list comprehension, and np.sum()
and np.prod() of a list comprehension, as a loop.

desugar.py calls `reduction` for each such call (after rewriting its operands), which turns

    sum(w[i] * x[i] for i in range(n) if x[i] > 0.0)

into an `Accumulate` node whose statements are

    total = 0
    for i in range(n):
        if x[i] > 0.0:
            total = total + w[i] * x[i]

with `total` and the comprehension's own `i` replaced by `Hidden` names: no user code can
write or read them, so an `i` of the enclosing function is neither read nor changed (as in
Python, where a comprehension's variables do not leak). Several `for` clauses nest the loops,
each `if` clause nests an `if`; a start value (`sum(..., 0.0)`, `start=`) is the first value
of the accumulator. min and max start from inf and -inf and take `min(acc, e)` /
`max(acc, e)` (the builtin's row, ties as for two arguments): the result is a float, and an
empty generator gives inf or -inf where Python raises ValueError.

The lowering (frontend/expressions.py) and the interpretation of loop bodies
(frontend/infer_values.py) lower `body` where they meet the node (in an `if` arm, in a loop
body: exactly where Python would evaluate it), read the accumulator and forget the hidden
names. `value` is the call as the user wrote it: walks over the tree (which calls a loop
body makes, ...) and messages see that.
"""
from __future__ import annotations

import ast
import copy
import math

KINDS = {"sum": "total", "max": "largest", "min": "smallest", "prod": "product"}
CLASHES = {
    "sum": ("sum() of arrays needs an array to start from (the start, 0 unless given, is a "
            "number here)", "sum((... for ...), np.zeros(n)), or np.sum(A, axis=0)"),
    "max": ("max() of a generator takes numbers, not arrays",
            "take np.maximum of the arrays in a loop, or np.max(A, axis=0)"),
    "min": ("min() of a generator takes numbers, not arrays",
            "take np.minimum of the arrays in a loop, or np.min(A, axis=0)"),
    "prod": ("np.prod() of a list comprehension takes numbers, not arrays",
             "multiply the arrays in a loop"),
}


class Hidden:
    """A name the desugared code binds and no user code can see (an environment key, like
    the frontend's keys: `text` is how it reads in messages, `hint` its name in the IR;
    `clash` the message and hint when it would hold a number and an array)."""
    __slots__ = ("text", "hint", "clash")

    def __init__(self, text: str, hint: str, clash: tuple | None = None):
        self.text = text
        self.hint = hint
        self.clash = clash

    def __repr__(self) -> str:
        return self.text


class Accumulate(ast.expr):
    """sum/min/max of a comprehension: `body` (the accumulator's first value, then the loop)
    is lowered where the node is; its value is the accumulator `acc`; the names in `hidden`
    are forgotten after. Only `value` (the user's call) is a field: walks see the call."""
    _fields = ("value",)

    def __init__(self, value=None, body=(), acc=None, hidden=(), **kw):
        super().__init__(value=value, **kw)
        self.body = list(body)
        self.acc = acc
        self.hidden = list(hidden)


class Forget(ast.stmt):
    """A statement that unbinds hidden names (an inner comprehension loop's variables, so
    the loop around it does not carry them)."""
    _fields = ()

    def __init__(self, names=(), **kw):
        super().__init__(**kw)
        self.names = list(names)


class ReductionError(Exception):
    """A call of sum/min/max over a comprehension that cannot be desugared: (node, message,
    hint), reported by desugar.py at the node."""


def is_comprehension(node) -> bool:
    return isinstance(node, (ast.GeneratorExp, ast.ListComp))


def reduction(call: ast.Call, kind: str) -> Accumulate | None:
    """The Accumulate for a call of the builtin sum/min/max (`kind`) whose argument is a
    generator expression or a list comprehension, or of np.sum/np.prod/np.max/np.min
    ("np.sum", ...) of a list comprehension (NumPy refuses a generator); None for any
    other call."""
    if not call.args or not is_comprehension(call.args[0]):
        return None
    comp = call.args[0]
    keywords = {k.arg: k.value for k in call.keywords}
    numpy_kind = kind.startswith("np.")
    if numpy_kind:
        kind = kind[3:]
        if not isinstance(comp, ast.ListComp):
            raise ReductionError(comp, f"np.{kind}() of a generator expression is not "
                                       "supported (NumPy 2 refuses it too)",
                                 f"use a list comprehension: np.{kind}([... for ...])")
        if len(call.args) > 1 or keywords:
            raise ReductionError(call, f"np.{kind}() of a list comprehension takes no other "
                                       "arguments", "sum the list itself")
        start = None
    elif kind == "sum":
        if len(call.args) > 2 or set(keywords) - {"start"} or \
                len(call.args) == 2 and keywords:
            raise ReductionError(call, "sum() takes a generator and an optional start",
                                 "write sum(e for v in x) or sum(e for v in x, 0.0)")
        start = call.args[1] if len(call.args) == 2 else keywords.get("start")
    else:
        if len(call.args) > 1 or keywords:
            raise ReductionError(call, f"{kind}() of a generator takes no other arguments "
                                       "(no key= or default=)",
                                 f"accumulate in a loop: m = {kind}(m, e) for each element")
        start = None
    if any(g.is_async for g in comp.generators):
        raise ReductionError(comp, "async comprehensions are not supported",
                             "write a plain for clause")
    if start is None:
        start = ast.Constant(value={"sum": 0, "max": -math.inf, "min": math.inf,
                                    "prod": 1}[kind])
        ast.copy_location(start, call)
    acc = Hidden(f"{kind}(...)", KINDS[kind], CLASHES[kind])
    names: dict = {}
    hidden = [acc]
    clauses = []
    for g in comp.generators:
        it = _rename(g.iter, names)             # sees the names of the clauses before it
        for n in ast.walk(g.target):
            if isinstance(n, ast.Name):
                names[n.id] = Hidden(n.id, n.id)
                hidden.append(names[n.id])
        clauses.append((_rename(g.target, names), it, [_rename(c, names) for c in g.ifs]))
    elt = _rename(comp.elt, names)
    read = ast.copy_location(ast.Name(id=acc, ctx=ast.Load()), comp.elt)
    if numpy_kind:                     # np.sum([arrays...]) sums every element of them
        elt = ast.copy_location(ast.Call(func=call.func, args=[elt], keywords=[]), comp.elt)
    if kind in ("sum", "prod"):
        value = ast.BinOp(left=read, op=ast.Add() if kind == "sum" else ast.Mult(), right=elt)
    else:
        value = ast.Call(func=call.func, args=[read, elt], keywords=[])
    ast.copy_location(value, comp.elt)
    body = [_located(ast.Assign(targets=[_store(acc, comp.elt)], value=value), comp.elt)]
    for target, it, ifs in reversed(clauses):
        for cond in reversed(ifs):
            body = [_located(ast.If(test=cond, body=body, orelse=[]), cond)]
        body = [_located(ast.For(target=target, iter=it, body=body, orelse=[]), call)]
    init = _located(ast.Assign(targets=[_store(acc, call)], value=start), call)
    node = Accumulate(call, [init] + body, acc, hidden)
    return ast.copy_location(node, call)


def _store(name, where):
    return ast.copy_location(ast.Name(id=name, ctx=ast.Store()), where)


def _located(stmt, where):
    stmt.type_comment = None
    return ast.copy_location(stmt, where)


def _rename(node, names: dict, memo=None):
    """A copy of node with the Names in `names` replaced by their hidden names. A node met
    twice (desugaring's Shared operands) is copied once; an Accumulate keeps its `value` as
    the user wrote it and renames its statements."""
    memo = {} if memo is None else memo
    if id(node) in memo:
        return memo[id(node)]
    if isinstance(node, ast.Name):
        new = copy.copy(node)
        if isinstance(node.id, str) and node.id in names:
            new.id = names[node.id]
    elif isinstance(node, Accumulate):
        new = copy.copy(node)
        new.body = [_rename(s, names, memo) for s in node.body]
    else:
        new = copy.copy(node)
        for field, value in ast.iter_fields(node):
            if isinstance(value, list):
                setattr(new, field, [_rename(v, names, memo) if isinstance(v, ast.AST) else v
                                     for v in value])
            elif isinstance(value, ast.AST):
                setattr(new, field, _rename(value, names, memo))
    memo[id(node)] = new
    return new


__all__ = ["Hidden", "Accumulate", "Forget", "ReductionError", "is_comprehension",
           "reduction"]
