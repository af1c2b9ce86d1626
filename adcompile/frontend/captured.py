"""Arrays the function reads from outside: a closure variable, a module-level array, an
attribute of an object (a bound method's `self.W`, `config.table`).

They are not baked into the compiled code: each becomes a parameter of the IR function after
the user's own (`Function.captured` says where to read it: a resolve.Scope, the name and
the attributes), and every call reads its current value. Changing the array (even rebinding
the name to another array of the same dtype and dimensions) needs no recompilation and is
never stale. Like a parameter, it is copied on entry if the function writes into it.
"""
from __future__ import annotations

import ast

from ..arguments import arg_type
from ..errors import AdTypeError
from ..ir import Rewriter, Value, make_op
from .syntax import expr_text


def path_of(node):
    """(root name, attribute names) of a dotted name node, or (None, ())."""
    attrs = []
    while isinstance(node, ast.Attribute):
        attrs.append(node.attr)
        node = node.value
    return (node.id, tuple(reversed(attrs))) if isinstance(node, ast.Name) else (None, ())


class Captured:
    """The captured arrays of one build, in the order they were first read."""

    def __init__(self, cx, entry):
        self.cx = cx
        self.entry = entry                     # the IR function's body block
        self.values: dict = {}                 # (id(scope), name, attrs) -> the copy's value
        self.params: list = []                 # the parameters, in order
        self.recipes: list = []                # (scope, name, attrs) per parameter

    def array(self, obj, node) -> Value:
        """The value of array `obj`, read by `node` (a name or dotted name outside the
        function), as a parameter read at every call."""
        cx = self.cx
        root, attrs = path_of(node)
        if root is None:
            cx.unsupported(node, f"{expr_text(node)} is an array read from outside the "
                                 "function in a way adcompile cannot follow",
                           "pass the array as an argument")
        scope = cx.src.scope
        if (id(scope), root, attrs) in self.values:
            return self.values[id(scope), root, attrs]
        text = expr_text(node)
        try:
            t = arg_type(text, obj)
        except AdTypeError as exc:
            raise AdTypeError(f"{text}: {exc.message}", cx.loc(node), exc.hint) from None
        return self.read(scope, root, attrs, t, cx.loc(node))

    def read(self, scope, root: str, attrs: tuple, t, loc) -> Value:
        """The value of the array at (scope, root, attrs), of type t, as a parameter read
        at every call (also what a derivative called here reads: nested.py)."""
        key = (id(scope), root, attrs)
        if key in self.values:
            return self.values[key]
        cx = self.cx
        hint = "_".join((root,) + attrs)
        p = Value(t, hint)
        copy = make_op("copy", [p], [Value(t, hint)], loc=loc)
        Rewriter.insert(self.entry, 0, [copy])     # on entry, wherever it is first read
        cx.arrays.new_object(copy.result)
        self.params.append(p)
        self.recipes.append((scope, root, attrs))
        self.values[key] = copy.result
        return copy.result


__all__ = ["Captured", "path_of"]
