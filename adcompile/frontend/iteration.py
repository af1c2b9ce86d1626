"""What a `for` loop runs over, other than a plain `for i in range(...)`: an array (its
elements, or the rows of a matrix), `enumerate(...)` and `zip(...)` of arrays and ranges
(nested too), and tuples, which are unrolled; and what the loop's target names are bound to
in each iteration.

A loop over arrays, ranges, enumerate and zip becomes one `for k in range(count)` whose body
starts by binding the target names from k (`Each`): `x[k]` for an array (a row view for a
matrix), `start + k` for enumerate's counter, `lo + k * step` for a range. zip stops at the
shortest of its iterables, as in Python (count = min of their lengths).

The plan is made by the lowering and by the abstract interpretation of loop bodies (infer.py)
alike, through a small `ops` object each provides (`LoweringOps` here, `AbstractOps` in
infer.py): they evaluate expressions, check ranges and report errors in their own way.
"""
from __future__ import annotations

import ast
import builtins
from dataclasses import dataclass

from .. import resolve
from ..builder import is_const
from ..types import BOOL, I64
from .state import BRK, CONT, RET, bind_name, hint_of
from .syntax import has_stmt, tname

ITERABLES_HINT = "loop over range(n), an array, enumerate(x) or zip(x, y)"


@dataclass(frozen=True)
class Item:
    """x[k]: an element of a 1-d array, or a row (a view) of a matrix."""
    x: object


@dataclass(frozen=True)
class Count:
    """start + k: enumerate's counter."""
    start: object


@dataclass(frozen=True)
class Step:
    """lo + k * step: a range inside zip or enumerate."""
    lo: object
    step: object


class IterValue:
    """zip(...) / enumerate(...) used as a value (bound to a name, returned by a helper,
    passed through list()): what a loop or a comprehension over it binds, and its count."""
    type = "a zip or enumerate object"

    def __init__(self, tree, count):
        self.tree, self.count = tree, count


def _map(tree, fn):
    if isinstance(tree, tuple):
        return tuple(_map(t, fn) for t in tree)
    if isinstance(tree, Item):
        return Item(fn(tree.x))
    if isinstance(tree, Count):
        return Count(fn(tree.start))
    return Step(fn(tree.lo), fn(tree.step))


def _is_row(tree) -> bool:
    return isinstance(tree, Item) and tree.x.ndim > 1 or \
        isinstance(tree, tuple) and any(_is_row(t) for t in tree)


class Each:
    """What the target names of a loop are bound to in iteration k: (name, tree) pairs, a
    tree being a source (Item, Count, Step) or a tuple of trees."""

    def __init__(self, bindings: list):
        self.bindings = bindings

    def carried(self) -> list:
        """(name, holds a row view?) for each target name: the loop carries a name after
        it as Python keeps it (a row only where the name was bound before the loop)."""
        return [(n, _is_row(t)) for n, t in self.bindings]

    def convert(self, fn) -> "Each":
        """The same bindings with every value passed through fn (to abstract values)."""
        return Each([(n, _map(t, fn)) for n, t in self.bindings])

    def bind(self, env, k, b, element_of):
        """Bind the names in env for iteration k; element_of(x, k) reads x[k]."""
        for name, tree in self.bindings:
            bind_name(env, name, self._value(tree, k, b, element_of, hint_of(name)))

    def _value(self, tree, k, b, element_of, hint):
        if isinstance(tree, tuple):
            return tuple(self._value(t, k, b, element_of, hint) for t in tree)
        if isinstance(tree, Item):
            return element_of(tree.x, k)
        if isinstance(tree, Count):
            return b.prim("add", k, tree.start, hint=hint)
        offset = k if is_const(tree.step, 1) else b.prim("mul", k, tree.step)
        return b.prim("add", tree.lo, offset, hint=hint)


# ------------------------------------------------------------------------------ the plan
def plan(ops, it):
    """(tree, count) for the iterable expression `it`: what iteration k binds, and how many
    iterations there are. A tuple (also enumerate and zip of tuples) gives (its values,
    None): the loop is unrolled."""
    if isinstance(it, ast.Call) and isinstance(it.func, (ast.Name, ast.Attribute)):
        obj = ops.static(it.func)
        if obj is builtins.enumerate:
            return _enumerate(ops, it)
        if obj is builtins.zip:
            return _zip(ops, it)
        callee = resolve.callee_of(obj) if obj is not None else None
        if getattr(callee, "kind", None) == "range":
            lo, hi, step = ops.range_bounds(it)
            return Step(lo, step), ops.b.trip_count([lo, hi, step])
    if isinstance(it, (ast.List, ast.Tuple)):           # a list written in place: a tuple
        return tuple(ops.expr(e) for e in it.elts), None
    value = ops.expr(it)
    if isinstance(value, IterValue):
        return value.tree, value.count
    if isinstance(value, tuple):
        return value, None
    x = ops.iterable(value, it)
    return Item(x), ops.length(x)


def _enumerate(ops, node):
    keywords = {k.arg: k.value for k in node.keywords}
    if not 1 <= len(node.args) + len(keywords) <= 2 or set(keywords) - {"start"} or \
            not node.args or len(node.args) == 2 and keywords:
        ops.type_fail(node, "enumerate() takes an iterable and an optional start",
                      "write enumerate(x) or enumerate(x, 1)")
    tree, count = plan(ops, node.args[0])
    start_node = node.args[1] if len(node.args) == 2 else keywords.get("start")
    start = ops.b.const(0)
    if start_node is not None:
        start = ops.expr(start_node)
        if isinstance(start, tuple) or ops.is_array(start) or start.type not in (I64, BOOL):
            ops.type_fail(start_node, f"enumerate() needs an integer start, got {tname(start)}",
                          "count from a whole number: enumerate(x, 1)")
        if start.type == BOOL:
            start = ops.b.prim("to_i64", start)
    if count is None:                          # enumerate of a tuple: unrolled
        return tuple((ops.b.prim("add", start, ops.b.const(k)), v)
                     for k, v in enumerate(tree)), None
    return (Count(start), tree), count


def _zip(ops, node):
    if node.keywords:
        ops.fail(node, "zip() keyword arguments are not supported",
                 "zip stops at the shortest iterable; compare the lengths yourself if needed")
    if not node.args:
        ops.type_fail(node, "zip() needs at least one iterable")
    parts = [plan(ops, a) for a in node.args]
    tuples = [a for a, (_, n) in zip(node.args, parts) if n is None]
    if tuples and len(tuples) < len(parts):
        ops.fail(tuples[0], "zip() of a tuple with an array or a range is not supported",
                 "zip tuples with tuples, or arrays and ranges with arrays and ranges")
    if tuples:                                 # zip of tuples: unrolled
        return tuple(zip(*[t for t, _ in parts])), None
    count = parts[0][1]
    for _, n in parts[1:]:
        count = ops.b.prim("min", count, n, hint="n")
    return tuple(t for t, _ in parts), count


def bindings(ops, target, tree) -> list:
    """(name, tree) pairs: the loop's target (a name, or nested tuples of names) matched
    against what each iteration gives."""
    if isinstance(target, ast.Name):
        return [(target.id, tree)]
    if isinstance(target, (ast.Tuple, ast.List)):
        if not isinstance(tree, tuple):
            what = "a row of a matrix" if _is_row(tree) else "a number"
            ops.type_fail(target, f"cannot unpack {what} into {len(target.elts)} names",
                          "bind one name and index it: for row in A: a, b = row[0], row[1]"
                          if _is_row(tree) else "loop with one name")
        if len(target.elts) != len(tree):
            ops.type_fail(target, f"cannot unpack {len(tree)} values into "
                                  f"{len(target.elts)} names",
                          f"the loop gives {len(tree)} values each time: use {len(tree)} names")
        return [b for t, sub in zip(target.elts, tree) for b in bindings(ops, t, sub)]
    ops.fail(target, "the loop variable must be a name or a tuple of names",
             "write for i in ..., or for a, b in zip(x, y)")


# ------------------------------------------------------------------------------ unrolling
def unroll(host, node, values):
    """`for target in <a tuple>`: the body once per element, in order. `break`, `continue`
    and `return` set their flags as in a loop: the rest of the body, and the iterations after,
    run only while none is set. `host` is the lowering or the interpretation: its `env`,
    `const`, `assign`, `block` and `guard` (run a function only where no flag is set)."""
    body = node.body
    exits = has_stmt(body, (ast.Break, ast.Return)) or has_stmt(body, ast.Return, True)
    has_cont = has_stmt(body, ast.Continue)
    saved = {f: host.env.pop(f) for f in (BRK, CONT) if f in host.env}
    if has_stmt(body, ast.Break):
        host.env[BRK] = host.const(False, "broke")

    def run(k):
        if has_cont:
            host.env[CONT] = host.const(False, "skip")
        host.assign(node.target, values[k])
        host.block(body)
        host.env.pop(CONT, None)
        if k + 1 < len(values):
            if exits:
                host.guard(lambda: run(k + 1))
            else:
                run(k + 1)
    if values:
        run(0)
    host.env.pop(BRK, None)
    host.env.pop(CONT, None)
    host.env.update(saved)


# ------------------------------------------------------------------------------ the lowering's ops
class LoweringOps:
    """plan's questions, answered by the lowering (errors name the user's line)."""

    def __init__(self, cx):
        self.cx = cx
        self.b = cx.b

    def static(self, func):
        return self.cx.exprs.static_value(func)

    def expr(self, node):
        return self.cx.exprs.expr(node)

    def is_array(self, v) -> bool:
        return self.cx.lazy.is_array(v)

    def range_bounds(self, node):
        return self.cx.stmts.range_bounds(node)

    def iterable(self, value, node):
        from .lazy import Leaf, View
        cx = self.cx
        if not cx.lazy.is_array(value):
            cx.unsupported(node, f"for loops cannot run over {tname(value)}", ITERABLES_HINT)
        x = cx.lazy.as_expr(value)
        if not isinstance(x, (Leaf, View)):
            x = cx.lazy.as_expr(cx.lazy.materialize(x))
        return x

    def length(self, x):
        return x.dims(self.cx)[0]

    def fail(self, node, what, hint=None):
        self.cx.unsupported(node, what, hint)

    def type_fail(self, node, what, hint=None):
        self.cx.type_error(node, what, hint)


class LoweringHost:
    """unroll's host: the lowering."""

    def __init__(self, cx):
        self.cx = cx

    @property
    def env(self):
        return self.cx.env

    def const(self, value, hint):
        return self.cx.b.const(value, hint=hint)

    def assign(self, target, value):
        self.cx.stmts.assign(target, value)

    def block(self, stmts):
        self.cx.stmts.block(stmts)

    def guard(self, fn):
        live = self.cx.stmts.live_condition()
        if live is None:
            fn()
        else:
            self.cx.branches.branch(live, fn, lambda: None)


# ------------------------------------------------------------------------------ the interpretation's ops
class AbstractOps:
    """plan's questions, answered on abstract values (infer.py); errors give up."""

    def __init__(self, it):
        self.it = it
        self.b = it.b

    def static(self, func):
        return self.it.values.static(func)

    def expr(self, node):
        return self.it.values.expr(node)

    def is_array(self, v) -> bool:
        from .absvalues import is_array
        return is_array(v)

    def range_bounds(self, node):
        return self.it.range_bounds(node)

    def iterable(self, value, node):
        from .absvalues import ALeaf, AView, as_expr, is_array
        if not is_array(value):
            self.fail(node, "not an array")
        x = as_expr(value)
        if not isinstance(x, (ALeaf, AView)):
            x = as_expr(self.it.arrays.materialize(x))
        return x

    def length(self, x):
        from .absvalues import A
        return A(I64)

    def fail(self, node, what, hint=None):
        from .absvalues import GiveUp
        raise GiveUp(what)

    type_fail = fail


class AbstractHost:
    """unroll's host: the interpretation."""

    def __init__(self, it):
        self.it = it

    @property
    def env(self):
        return self.it.env

    def const(self, value, hint):
        return self.it.b.const(value)

    def assign(self, target, value):
        self.it.assign(target, value)

    def block(self, stmts):
        self.it.block(stmts)

    def guard(self, fn):
        if any(f in self.it.env for f in (RET, BRK, CONT)):
            self.it.branch(fn, lambda: None)
        else:
            fn()


__all__ = ["Item", "Count", "Step", "Each", "plan", "bindings", "unroll", "LoweringOps",
           "LoweringHost", "AbstractOps", "AbstractHost", "ITERABLES_HINT"]
