"""Type trees of environment entries: what a branch merges and a loop carries.

A name's value is a Value, or a tuple of them (nested); its type tree has a `Slot` (type and
IR name) at each leaf. Branches join the trees of their arms, loops widen the tree of a
carried name until the body yields what it receives.
"""
from __future__ import annotations

from ..errors import AdTypeError
from ..types import Array, is_scalar, promote
from ..valuetree import Slot, flatten, map_tree, unflatten
from .state import BRK, hint_of, is_obj, key_text


def tree_types(value):
    """The type tree of an env value: Slot leaves inside tuples."""
    return map_tree(lambda v: Slot(v.type, v.hint), value)


def rename(tree, name):
    """Name the leaves of a variable's type tree after the variable (x, or x_0, x_1 in tuples);
    an array object keeps the name of the variable it was created under."""
    if is_obj(name) and isinstance(tree, Slot):
        return tree
    base = hint_of(name)
    if isinstance(tree, Slot):
        return Slot(tree.type, base)
    leaves = flatten(tree)
    return unflatten(tree, [Slot(s.type, f"{base}_{k}") for k, s in enumerate(leaves)])


def merge_tree(a, b, loc, name):
    """The tree a branch merges for `name` from its arms' values (None: unbound there)."""
    if a is None:
        return tree_types(b)
    if b is None:
        return tree_types(a)
    return join(tree_types(a), tree_types(b), loc, name)


def same_but_ones(a, b) -> bool:
    """Array types that differ only in which axes are known to have length 1."""
    return isinstance(a, Array) and isinstance(b, Array) and a.dtype == b.dtype and \
        a.ndim == b.ndim


def join(ta, tb, loc, name):
    a_leaf, b_leaf = isinstance(ta, Slot), isinstance(tb, Slot)
    if a_leaf and b_leaf:
        if ta.type == tb.type:
            return ta
        if is_scalar(ta.type) and is_scalar(tb.type):
            return Slot(promote(ta.type, tb.type), ta.hint)
        if same_but_ones(ta.type, tb.type):    # length 1 known on one path only: not known
            ones = tuple(ta.type.unit(k) and tb.type.unit(k) for k in range(ta.type.ndim))
            return Slot(Array(ta.type.dtype, ta.type.ndim, ones if any(ones) else ()), ta.hint)
        if getattr(name, "clash", None):         # a hidden name says what went wrong
            raise AdTypeError(name.clash[0], loc, name.clash[1])
        raise AdTypeError(f"variable {key_text(name)!r} holds a {ta.type} on one path and a "
                          f"{tb.type} on another", loc, "give the variable one type on every path")
    if a_leaf or b_leaf or len(ta) != len(tb):
        raise AdTypeError(f"variable {key_text(name)!r} holds values of different shapes on "
                          "different paths (a number on one, a tuple on another)",
                          loc, "give the variable one shape on every path")
    return tuple(join(x, y, loc, name) for x, y in zip(ta, tb))


def widen(old, new, loc, name):
    """A carried name's tree after a pass over the loop body that yields `new`."""
    if name is BRK:
        return old
    return join(old, new, loc, name) if old != new else old


__all__ = ["tree_types", "rename", "merge_tree", "join", "widen"]
