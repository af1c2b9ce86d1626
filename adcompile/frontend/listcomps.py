"""A list comprehension used as a value: the array NumPy would make of it.

    np.array([[np.dot(x - c, e) for e, c in zip(E, C)] for x in X])
    z = [1 + (v - 1) / 4 for v in x]

becomes a float array filled by the loops you would write (each `for` clause an axis; the
iterables' lengths are known where the comprehension starts, so an inner clause may not
read an outer clause's names):

    out = np.empty((len(X), len(E)))
    i = 0
    for x in X:
        j = 0
        for e, c in zip(E, C):
            out[i, j] = np.dot(x - c, e)
            j = j + 1
        i = i + 1

The names it binds are hidden (they do not leak, as in Python). Its result is marked as a
list: arithmetic between it and a number or another list (Python's list operations, or a
TypeError) is refused, where NumPy would read an array; `np.array(...)` of it is an array.
`sum`/`min`/`max`/`np.sum`/`np.prod` of a comprehension are loops of their own
(comprehensions.py).
"""
from __future__ import annotations

import ast

from ..comprehensions import Forget, Hidden, _rename
from . import iteration


def _names(node) -> set:
    return {n.id for n in ast.walk(node) if isinstance(n, ast.Name)}


def _at(node, where):
    return ast.copy_location(node, where)


class ListComps:
    """Lowers list comprehensions that are values (not the argument of a reduction)."""

    def __init__(self, cx):
        self.cx = cx

    def build(self, node):
        cx = self.cx
        b = cx.b
        levels, elt = [], node
        while isinstance(elt, ast.ListComp):
            g = elt.generators[0]
            if len(elt.generators) != 1 or g.ifs or g.is_async:
                cx.unsupported(elt, "a list comprehension with `if` filters or several `for` "
                                    "clauses is supported as the argument of sum(), min(), "
                                    "max(), np.sum() and np.prod()",
                               "build the array in a loop: out = np.empty(n); for i in "
                               "range(n): out[i] = ...")
            levels.append(g)
            elt = elt.elt
        if isinstance(elt, (ast.List, ast.Tuple, ast.GeneratorExp, ast.DictComp, ast.SetComp)):
            cx.unsupported(elt, "a list comprehension of lists written in place is not "
                                "supported", "use a nested comprehension, or fill an array")
        ops = iteration.LoweringOps(cx)
        counts, bound = [], set()
        for g in levels:
            if _names(g.iter) & bound:
                cx.unsupported(g.iter, "an inner `for` clause that reads an outer one's "
                                       "names makes a ragged list, not an array",
                               "loop and fill the array yourself")
            tree, count = iteration.plan(ops, g.iter)
            counts.append(b.const(len(tree)) if count is None else count)
            bound |= _names(g.target)
        out = cx.arrays.new_object(b.prim("empty", *counts, dtype="f64", hint="comp"))
        acc = Hidden("[...]", "comp")
        ks = [Hidden(f"[...] index {d}", "k") for d in range(len(levels))]
        cx.env[acc] = out
        names: dict = {}
        clauses = []
        for g in levels:
            it = _rename(g.iter, names)
            own = []
            for n in ast.walk(g.target):
                if isinstance(n, ast.Name):
                    names[n.id] = Hidden(n.id, n.id)
                    own.append(names[n.id])
            clauses.append((_rename(g.target, names), it, own))
        index = [_at(ast.Name(id=k, ctx=ast.Load()), node) for k in ks]
        target = _at(ast.Subscript(_at(ast.Name(id=acc, ctx=ast.Load()), node),
                                   _at(ast.Tuple(index, ast.Load()), node)
                                   if len(index) > 1 else index[0], ast.Store()), node)
        body = [_at(ast.Assign([target], _rename(elt, names), lineno=elt.lineno), elt)]
        for (tgt, it, own), k in reversed(list(zip(clauses, ks))):
            step = _at(ast.Assign([_at(ast.Name(id=k, ctx=ast.Store()), node)], _at(
                ast.BinOp(_at(ast.Name(id=k, ctx=ast.Load()), node), ast.Add(),
                          _at(ast.Constant(1), node)), node), lineno=node.lineno), node)
            loop = _at(ast.For(tgt, it, body + [step], [], lineno=node.lineno), node)
            start = _at(ast.Assign([_at(ast.Name(id=k, ctx=ast.Store()), node)],
                                   _at(ast.Constant(0), node), lineno=node.lineno), node)
            # the loop's names and counter unbound after it: a loop around it does not
            # carry them
            body = [start, loop, _at(Forget(own + [k]), node)]
        for stmt in ast.walk(ast.Module(body, [])):
            if isinstance(stmt, ast.stmt):
                stmt.type_comment = None
        cx.stmts.block(body)
        value = cx.arrays.current(cx.env[acc])
        for h in [acc] + ks + list(names.values()):
            cx.env.pop(h, None)
        cx.listlike.add(cx.objects.key_of(value))
        return value


__all__ = ["ListComps"]
