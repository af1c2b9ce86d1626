"""Names bound to slices: NumPy's view semantics in the frontend.

`v = x[1:]` binds v to a View of x's array object, not to a copy: a read of v reads x's
current version (so it sees later writes to x), and a write through v (`v[0] = 1.0`,
`v += 1.0`) is a write into x, as in NumPy. Views stay lazy while they are bound to names,
passed to helpers or returned from them.

Where one array value is needed for a name whose paths disagree (a branch that binds it to
different arrays, a loop that carries it), the view is copied. Such a copy is checked so it
can never give a number NumPy would not: a read of it after its base array was written (on
the path that reads it) is refused with a located error, and so is a write through it.
The check compares versions: the base object's version when the copy was made against its
version where the copy is read (every write makes a new version).
"""
from __future__ import annotations

from dataclasses import dataclass

from .errors import UnsupportedSyntaxError
from .ir import Value
from .valuetree import flatten


@dataclass
class ViewCopy:
    base: str                # the base array's object key ($objN)
    version: Value           # the base's version when the copy stands for the view
    text: str                # how the user wrote the slice, for messages


class ViewBinding:
    """Mixin of the frontend's Lowerer: views bound to names, and the copies that stand in."""

    def view_copy(self, view, hint: str = "") -> Value:
        """Copy `view` into a new array (in the builder's block, with self.env the path's
        environment) and remember which base version it stands for."""
        value = self.materialize(view, hint)
        self.shared["view_copies"].add(self.shared["obj_of"][value.id])    # no writes
        key = self.obj_key(view.base)
        if key is not None and key in self.env:
            text = f"a slice (bound to {hint!r})" if hint else "a slice"
            self.shared["copies"][value.id] = ViewCopy(key, self.env[key], text)
        return value

    def settle_views(self, v, hint: str = ""):
        """v with every View in it replaced by a checked copy (for merges and loops)."""
        from .lazy import View
        if isinstance(v, tuple):
            return tuple(self.settle_views(x, hint) for x in v)
        return self.view_copy(v, hint) if isinstance(v, View) else v

    def has_view(self, v) -> bool:
        from .lazy import View
        if isinstance(v, tuple):
            return any(self.has_view(x) for x in v)
        return isinstance(v, View)

    def copy_of(self, v) -> ViewCopy | None:
        if isinstance(v, ViewCopy):
            return v
        return self.shared["copies"].get(v.id) if isinstance(v, Value) else None

    def mark_copy(self, target, info: ViewCopy | None):
        """target (a merge or loop value) holds the copy described by info: check it
        against the base's version in the current environment."""
        if info is not None and isinstance(target, Value):
            self.shared["copies"][target.id] = ViewCopy(info.base, self.env.get(info.base),
                                                        info.text)
            obj = self.shared["obj_of"].get(target.id)
            if obj is not None:                  # writes through it would be lost: refused
                self.shared["view_copies"].add(obj)

    def mark_copies(self, sources, targets):
        """targets hold copies where any of the parallel `sources` lists do."""
        for k, t in enumerate(targets):
            infos = [self.copy_of(src[k]) for src in sources if k < len(src)]
            self.mark_copy(t, next((i for i in infos if i is not None), None))

    def mark_carried_copies(self, names, carried_views: dict, env0: dict):
        """Carried names that hold copies of slices (on entry, or yielded by the body, as
        recorded in carried_views) hold them in self.env too (block arguments, results)."""
        for n in names:
            if n not in self.env:
                continue
            init = flatten(env0[n]) if n in env0 else []
            self.mark_copies([init, carried_views.get(n, [])], flatten(self.env[n]))

    def settle_carried_views(self, names, carried_views: dict):
        """At the end of a loop body: carried names bound to slices yield checked copies."""
        for n in names:
            if self.has_view(self.env.get(n)):
                self.env[n] = self.settle_views(self.env[n], n.lstrip("$"))
                carried_views[n] = [self.copy_of(x) for x in flatten(self.env[n])]

    def check_view_read(self, v, node):
        """Record a read of a copy made for a view after its base was written (the loop
        lowering drops records of passes it discards; the rest are errors)."""
        for leaf in (v if isinstance(v, tuple) else (v,)):
            info = self.copy_of(leaf)
            if info is not None and self.env.get(info.base) is not info.version:
                self.shared["stale_reads"].append((info, self.loc(node), node))

    def raise_stale_reads(self):
        if self.shared["stale_reads"]:
            info, loc, node = self.shared["stale_reads"][0]
            raise UnsupportedSyntaxError(
                f"{self.expr_text(node)} holds a copy of {info.text}: the slice had to be "
                "copied (it is chosen by a branch or carried by a loop), and its base array "
                "has been written since, so NumPy's view would see the write and the copy "
                "would not", loc,
                "take the slice again after the write, or copy it explicitly with .copy() "
                "where you mean a copy")


__all__ = ["ViewBinding", "ViewCopy"]
