"""If/else regions: each arm is lowered in its own copy of the environment, and the names an
arm rebinds are merged (the if op's results), with their types joined."""
from __future__ import annotations

from ..builder import const_value
from ..errors import AdTypeError
from ..ir import Block, IfOp, Value
from ..types import Array
from ..valuetree import flatten, unflatten
from .arrays import FRESH
from .state import CONT, ArmEnv, Unset, changed_names, convert, hint_of, is_obj, \
    unset_names
from .trees import merge_tree, rename


class Branches:
    """Lowers two-armed regions and merges what the arms bind."""

    def __init__(self, cx):
        self.cx = cx

    def branch(self, cond: Value, then_fn, else_fn):
        """Lower an if/else whose arms update cx.env; merge the assigned names. A condition
        known at compile time (`if x.ndim == 1:`, `if len(x.shape) > 1:`) lowers only the
        arm it takes: the other may not even type (x[0, 0] of a vector)."""
        cx = self.cx
        known = const_value(cond)
        if isinstance(known, (bool, int)):
            (then_fn if known else else_fn)()
            return
        b, arrays, views = cx.b, cx.arrays, cx.views
        env0 = cx.env
        arms = []
        for fn in (then_fn, else_fn):
            blk = Block()
            cx.env = ArmEnv(env0)
            with b.at(blk):
                fn()
            arms.append((blk, cx.env))
        cx.env = env0
        (tb, te), (eb, ee) = arms
        settled = self.merge_flags(arms, env0)
        # a name is merged when either arm rebinds it (both arms binding the same value is
        # still a change from before the branch: `if c: a = b else: a = b`)
        candidates = changed_names(te, ee)
        names = [n for n in candidates if (n in te or n in ee) and
                 (te.get(n) is not env0.get(n) or ee.get(n) is not env0.get(n))]
        names = [n for n in names if n is not CONT or CONT in env0]
        same = {n: te[n] for n in names if n in te and n in ee and te[n] is ee[n]}
        names = [n for n in names if n not in same]      # one value made before the if
        for (blk, env) in arms:                # a merged slice is copied (and checked)
            for n in names:
                if views.has_view(env.get(n)):
                    cx.env = env
                    with b.at(blk):
                        env[n] = views.settle_views(env[n], hint_of(n))
        cx.env = env0
        merged = dict(same)
        yields_t, yields_e, trees = [], [], []
        fresh = {}                                 # arrays chosen by the branch
        for n in names:
            vt, ve = arrays.current_in(te, te.get(n)), arrays.current_in(ee, ee.get(n))
            vt, ve = unguessed(vt, ve, self.guessed, self.cx.loops.unsettle)
            if not is_obj(n) and isinstance(vt, Value) and isinstance(vt.type, Array):
                fresh[n] = arrays.merged_object(env0, te, ee, vt, ve)
            tree = rename(merge_tree(vt, ve, b.loc, n), n)
            with b.at(tb):
                yt = self.coerce_tree(vt, tree)
            with b.at(eb):
                ye = self.coerce_tree(ve, tree)
            yields_t += yt
            yields_e += ye
            trees.append((n, tree))
        with b.at(tb):
            b.emit("yield", yields_t, [])
        with b.at(eb):
            b.emit("yield", yields_e, [])
        hints = [s.hint for _, tree in trees for s in flatten(tree)]
        op = b.emit_region(IfOp, [cond], [v.type for v in yields_t], regions=[tb, eb],
                           hints=hints)
        results = list(op.results)
        for n, tree in trees:
            k = len(flatten(tree))
            merged[n] = unflatten(tree, results[:k])
            results = results[k:]
            if is_obj(n):
                cx.objects.adopt(n, merged[n])
        cx.env.update(merged)
        for key in settled:
            cx.env.pop(key, None)
        for n, key in fresh.items():
            if key is FRESH:
                arrays.new_object(merged[n])
            elif key is not None:
                cx.objects.adopt(key, merged[n])
        for n, tree in trees:                  # after the objects: a copy is not writable
            views.mark_copies([flatten(te.get(n)) if n in te else [],
                               flatten(ee.get(n)) if n in ee else []], flatten(merged[n]))

    def merge_flags(self, arms, env0) -> list:
        """Give both arms a flag for each name that may be unbound after the if (bound in
        one arm only, or flagged before it or in an arm): the arm's flag, or whether the arm
        binds the name. Returns the flags of names both arms bind (dropped after the if)."""
        b = self.cx.b
        (tb, te), (eb, ee) = arms
        settled = []
        for n in unset_names(te, ee, env0):
            key = Unset(n)
            if all(key not in env and n in env for env in (te, ee)):
                settled.append(key)
                continue
            for blk, env in arms:
                if key not in env:
                    with b.at(blk):
                        env[key] = b.const(n in env, hint=key.hint)
        return settled

    def guessed(self, v) -> bool:
        """Is v a loop's argument for a name first bound in the loop, its type still a
        guess?"""
        return isinstance(v, Value) and v.id in self.cx.loops.guesses

    def coerce_tree(self, value, tree) -> list:
        """Flatten `value` to the leaf types of `tree` (undef where missing, int -> float)."""
        b = self.cx.b
        leaves = flatten(tree)
        if value is None:
            return [b.undef(s.type, hint=s.hint) for s in leaves]
        return [convert(b, v, s.type) for v, s in zip(flatten(value), leaves)]


def unguessed(vt, ve, guessed, unsettle):
    """The arms' values of a name for the merge. Where one is a loop's guessed argument (a
    name first bound in the loop, state.Unset flags it) whose guessed type clashes with the
    other arm's, the merge takes the other's type (as if the name were unbound in that arm)
    and calls unsettle(argument): its loop lowers the body again from the types it learned,
    where a real clash is reported."""
    gt, ge = guessed(vt), guessed(ve)
    if gt == ge:
        return vt, ve
    try:
        merge_tree(vt, ve, None, "")
        return vt, ve
    except AdTypeError:
        unsettle(vt if gt else ve)
        return (None, ve) if gt else (vt, None)


__all__ = ["Branches", "unguessed"]
