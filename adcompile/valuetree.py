"""Trees of values: the frontend flattens tuples into their elements, and rebuilds them here."""
from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Slot:
    """A leaf of a type tree: the type and name hint of one flattened value."""
    type: object
    hint: str


class Record(tuple):
    """A dict parameter's values in the order of its keys: a tuple that knows its keys
    (`params["W1"]` reads the item of key "W1"; it is not indexed by position)."""

    def __new__(cls, items, keys):
        rec = super().__new__(cls, items)
        rec.keys = tuple(keys)
        return rec


def like(tree, items):
    """A tuple of items shaped like `tree` (a Record stays a Record)."""
    return Record(items, tree.keys) if isinstance(tree, Record) else tuple(items)


def flatten(tree) -> list:
    if isinstance(tree, tuple):
        return [leaf for sub in tree for leaf in flatten(sub)]
    return [tree]


def shape_of(tree):
    """The nesting of a tree with None at the leaves (None alone: a single value)."""
    if isinstance(tree, tuple):
        return like(tree, [shape_of(t) for t in tree])
    return None


def unflatten(shape, leaves):
    """Rebuild a tree of `shape` (any tree) from its flattened leaves."""
    it = iter(leaves)

    def build(s):
        if isinstance(s, tuple):
            return like(s, [build(x) for x in s])
        return next(it)
    return build(shape)


def map_tree(fn, tree):
    if isinstance(tree, tuple):
        return like(tree, [map_tree(fn, t) for t in tree])
    return fn(tree)
