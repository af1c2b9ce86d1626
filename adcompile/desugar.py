"""Desugaring: a small AST-to-AST stage between parsing and lowering.

It rewrites two forms into the core the frontend lowers, keeping every node's source location
(ast.copy_location), so errors still name the user's line and column:

- chained comparisons: `a < b < c` becomes `a < b and b < c`, nested to the right
  (`a < b < c < d` is `a < b and (b < c and c < d)`). A middle operand that cannot fail or
  have effects (a name, a constant, + - * of those) is simply written twice; any other is
  wrapped in one `Shared` node used in both places, which the lowering evaluates once.
- augmented assignment to a name that can only hold a number: `x += e` becomes `x = x + e`.
  Where `x` may hold an array, `x += e` writes into the array (every alias sees it), and
  `y[i] += e` writes one element; those stay augmented assignments, lowered in place. A name
  holds only numbers when every binding of it in the function binds a number: constants,
  arithmetic and comparisons of such names, `len`, the math functions, range indices, the
  parameters given number types (a fixpoint over the function's bindings).

- `sum(...)`, `min(...)` and `max(...)` of a generator expression or a list comprehension:
  an `Accumulate` node holding the loop that computes it (comprehensions.py).

`break`, `continue` and early `return` stay in the lowering, which turns them into flags
that guard the rest of a block and leave loops through the loop's exit: written as flags in
the AST, a `for` loop that breaks would run to its end with a guarded body.
"""
from __future__ import annotations

import ast
import builtins

import numpy as np
import copy
import dataclasses

from . import resolve
from .comprehensions import ReductionError, is_comprehension, reduction
from .errors import UnsupportedSyntaxError
from .prims.bind import Binding
from .resolve import FunctionSource
from .types import is_scalar


class Shared(ast.expr):
    """An operand the desugared form uses twice (the middle of `a < f(x) < c`): the lowering
    evaluates `value` where it meets the node first and reuses that value the second time."""
    _fields = ("value",)


def desugar(src: FunctionSource, param_types: list | None = None) -> FunctionSource:
    """`src` with its function body desugared; `param_types` (the entry function's parameter
    types) lets `n += 1` on a number parameter become `n = n + 1`. The parsed tree is shared
    and never changed: rewritten nodes are new, and so are their ancestors."""
    numbers = _number_names(src.node, src.scope, param_types)
    bound = _bound_names(src.node)
    try:
        node = _Desugar(numbers, lambda f: _static(f, bound, src.scope)).rewrite(src.node)
    except ReductionError as exc:
        where, what, hint = exc.args
        raise UnsupportedSyntaxError(what, src.loc_of(where), hint) from None
    return src if node is src.node else dataclasses.replace(src, node=node)


class _Desugar:
    def __init__(self, numbers: set, static):
        self.numbers = numbers
        self.static = static           # a function's name -> the object it means (or None)

    def rewrite(self, node):
        """node, or a copy of it with its rewritten children, rewritten itself."""
        changed = {}
        for name, value in ast.iter_fields(node):
            if isinstance(value, list):
                new = [self.rewrite(v) if isinstance(v, ast.AST) else v for v in value]
                if any(a is not b for a, b in zip(new, value)):
                    changed[name] = new
            elif isinstance(value, ast.AST):
                new = self.rewrite(value)
                if new is not value:
                    changed[name] = new
        if changed:
            node = copy.copy(node)
            for name, value in changed.items():
                setattr(node, name, value)
        if isinstance(node, ast.Call) and node.args and is_comprehension(node.args[0]):
            func = self.static(node.func)
            kind = next((k for f, k in REDUCTIONS if f is func), None)
            if kind is not None:
                return reduction(node, kind)
        if isinstance(node, ast.Compare) and len(node.ops) > 1:
            return _chain(node.left, node.ops, node.comparators, node)
        if isinstance(node, ast.AugAssign) and isinstance(node.target, ast.Name) and \
                node.target.id in self.numbers:
            target = node.target
            read = ast.copy_location(ast.Name(id=target.id, ctx=ast.Load()), target)
            value = ast.copy_location(ast.BinOp(left=read, op=node.op, right=node.value), node)
            return ast.copy_location(ast.Assign(targets=[target], value=value), node)
        return node


def _chain(left, ops, comparators, where):
    """left ops[0] comparators[0] ... as `and`s of single comparisons, nested to the right;
    each part is located where the chain from it starts (as the user wrote it)."""
    middle = comparators[0]
    if len(ops) > 1 and not _is_safe(middle):
        middle = ast.copy_location(Shared(value=middle), middle)
    first = ast.copy_location(ast.Compare(left=left, ops=[ops[0]], comparators=[middle]),
                              where)
    if len(ops) == 1:
        return first
    rest = _chain(middle, ops[1:], comparators[1:], comparators[0])
    return ast.copy_location(ast.BoolOp(op=ast.And(), values=[first, rest]), where)


def _is_safe(node) -> bool:
    from .frontend.syntax import is_safe
    return is_safe(node)


# ---------------------------------------------------------------------------- number names
def _number_names(fn: ast.FunctionDef, scope, param_types) -> set:
    """Names every binding of which binds a number (the greatest fixpoint)."""
    bindings = []                              # (name, value expr | None: not a number)
    a = fn.args
    params = a.posonlyargs + a.args + a.kwonlyargs
    for k, p in enumerate(params):
        number = param_types is not None and k < len(param_types) and \
            is_scalar(param_types[k])
        bindings.append((p.arg, ast.Constant(value=0) if number else None))
    for node in ast.walk(fn):
        if isinstance(node, ast.Assign):
            for t in node.targets:
                bindings += _bound(t, node.value)
        elif isinstance(node, ast.AnnAssign) and node.value is not None:
            bindings += _bound(node.target, node.value)
        elif isinstance(node, ast.AugAssign) and isinstance(node.target, ast.Name):
            bindings.append((node.target.id, node.value))
        elif isinstance(node, ast.For):
            index = _is_range(node.iter, scope, {n for n, _ in bindings})
            bindings += _bound(node.target, ast.Constant(value=0) if index else None)
        elif isinstance(node, (ast.FunctionDef, ast.Lambda, ast.NamedExpr)) and node is not fn:
            return set()                       # unsupported anyway: nothing to rewrite
    bound = {n for n, _ in bindings}
    numbers = set(bound)
    changed = True
    while changed:
        changed = False
        for name, value in bindings:
            if name in numbers and not _number(value, numbers, bound, scope):
                numbers.discard(name)
                changed = True
    return numbers


def _bound_names(fn: ast.FunctionDef) -> set:
    """Every name the function binds (its parameters, assignment and loop targets)."""
    a = fn.args
    params = {p.arg for p in a.posonlyargs + a.args + a.kwonlyargs}
    return params | {n.id for n in ast.walk(fn) if isinstance(n, ast.Name) and
                     isinstance(n.ctx, ast.Store)}


def _bound(target, value) -> list:
    if isinstance(target, ast.Name):
        return [(target.id, value)]
    if isinstance(target, (ast.Tuple, ast.List)):
        if isinstance(value, ast.Tuple) and len(value.elts) == len(target.elts):
            return [b for t, v in zip(target.elts, value.elts) for b in _bound(t, v)]
        return [b for t in target.elts for b in _bound(t, None)]
    return []


def _number(node, numbers, bound, scope) -> bool:
    """Is node's value a number whenever the names in `numbers` hold numbers?"""
    if node is None:
        return False
    if isinstance(node, ast.Constant):
        return isinstance(node.value, (bool, int, float))
    if isinstance(node, ast.Name):
        if node.id in bound:
            return node.id in numbers
        value = scope.get(node.id) if node.id in scope else None
        return isinstance(value, (bool, int, float))
    if isinstance(node, ast.UnaryOp):
        return _number(node.operand, numbers, bound, scope)
    if isinstance(node, ast.BinOp):
        return not isinstance(node.op, ast.MatMult) and \
            _number(node.left, numbers, bound, scope) and \
            _number(node.right, numbers, bound, scope)
    if isinstance(node, ast.Compare):
        return all(_number(x, numbers, bound, scope) for x in [node.left] + node.comparators)
    if isinstance(node, ast.BoolOp):
        return all(_number(x, numbers, bound, scope) for x in node.values)
    if isinstance(node, ast.IfExp):
        return _number(node.body, numbers, bound, scope) and \
            _number(node.orelse, numbers, bound, scope)
    if isinstance(node, ast.Call) and not node.keywords:
        obj = _static(node.func, bound, scope)
        if obj is builtins.len:
            return True
        callee = resolve.callee_of(obj) if obj is not None else None
        return isinstance(callee, Binding) and callee.arrays is False   # numbers only
    return False


def _static(node, bound, scope):
    """The module-level object a dotted name means (None when unsure)."""
    if isinstance(node, ast.Name):
        if node.id in bound:
            return None
        if node.id in scope:
            return scope[node.id]
        return getattr(builtins, node.id, None)
    if isinstance(node, ast.Attribute):
        base = _static(node.value, bound, scope)
        return getattr(base, node.attr, None) if base is not None else None
    return None


REDUCTIONS = ((builtins.sum, "sum"), (builtins.max, "max"), (builtins.min, "min"),
              (np.sum, "np.sum"), (np.prod, "np.prod"))


def _is_range(node, scope, bound) -> bool:
    return isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and \
        _static(node.func, bound, scope) is builtins.range


__all__ = ["Shared", "desugar"]
