"""For and while regions: a loop carries the names its body assigns (and the array objects
it writes, and the exit flags); their types are the body's fixpoint."""
from __future__ import annotations

import ast
from dataclasses import dataclass, field
from typing import Callable, NamedTuple

from .. import resolve
from ..ir import Block, ForOp, Value, WhileOp
from ..types import BOOL, F64, I64, Array
from ..valuetree import Slot, flatten, unflatten
from .expressions import static_value
from .state import BRK, CONT, ITER, RET, RETVAL, Unset, bind_name, hint_of, is_obj
from .syntax import assigned_names, has_stmt
from .trees import rename, tree_types, widen

MAX_PASSES = 10


@dataclass
class Carried:
    """What a loop carries, as settled so far."""
    names: list                        # env keys, in the order of the loop's values
    trees: dict                        # key -> type tree
    guessed: set                       # keys first set in the body: their types to learn
    exits: bool                        # the body breaks or returns (the loop has an exit)
    has_cont: bool                     # the body has a continue
    views: dict = field(default_factory=dict)   # names whose yield is a copy of a slice
    rebound: set = field(default_factory=set)   # array names the body binds to another array

    def copy(self) -> "Carried":
        return Carried(list(self.names), dict(self.trees), set(self.guessed), self.exits,
                       self.has_cont, dict(self.views), set(self.rebound))


@dataclass
class Pass:
    """One lowering of the body."""
    body: Block
    cond: Block | None
    trees: dict                        # the types the body yields
    rebound: set                       # names found rebound in this pass


@dataclass(frozen=True)
class LoopSyntax:
    """What a loop body's syntax says (read once per loop)."""
    assigned: tuple                    # the names the body binds
    rebinds: frozenset                 # the same, not counting `x op= ...`
    has_break: bool
    has_cont: bool
    has_ret: bool                      # a return, in nested loops too
    writes: bool                       # a subscript store, or `x op= ...` (arrays in place)
    calls: tuple                       # the dotted names the body calls


def loop_syntax(node) -> LoopSyntax:
    writes, calls = False, []
    for sub in (n for stmt in node.body for n in ast.walk(stmt)):
        if isinstance(sub, ast.AugAssign) and isinstance(sub.target, ast.Name):
            writes = True                  # x += y writes into x when x is an array
        if isinstance(sub, (ast.Assign, ast.AugAssign)):
            targets = sub.targets if isinstance(sub, ast.Assign) else [sub.target]
            writes = writes or any(isinstance(e, ast.Subscript) for t in targets
                                   for e in (t.elts if isinstance(t, ast.Tuple) else [t]))
        if isinstance(sub, ast.Call) and isinstance(sub.func, (ast.Name, ast.Attribute)):
            calls.append(sub.func)
    return LoopSyntax(tuple(assigned_names(node.body)),
                      frozenset(assigned_names(node.body, augmented=False)),
                      has_stmt(node.body, ast.Break), has_stmt(node.body, ast.Continue),
                      has_stmt(node.body, ast.Return, into_loops=True), writes, tuple(calls))


def may_write_arrays(syntax: LoopSyntax, env, src) -> bool:
    """Could the loop body write into an array: a subscript store, `x op= ...`, or a call of
    a user function (which may write into the arrays it is given)?"""
    if syntax.writes:
        return True
    for func in syntax.calls:
        try:
            obj = static_value(func, env, src)
        except Exception:               # reported when the call itself is lowered
            obj = None
        if obj is not None and resolve.is_user_function(obj):
            return True
    return False


class Hooks(NamedTuple):
    """How initial_carry sees values: the lowering's, or the abstract interpretation's."""
    may_write: Callable                # LoopSyntax -> could the body write into an array?
    has_view: Callable                 # value -> does it hold a view?
    settle: Callable                   # (value, hint) -> the value with views copied
    is_guess: Callable                 # value -> is it an enclosing loop's guessed argument?
    false: Callable                    # Unset key -> the flag of a name not yet bound


def initial_carry(syntax: LoopSyntax, target, env0, hooks: Hooks, elements=()) -> Carried:
    """What a loop carries before its body is looked at: the names the body assigns (and the
    index, and the names `for a, b in zip(x, y)` binds: `elements`, (name, is a row view?)
    pairs, a row only where the name is bound before the loop), the array objects when the
    body may write arrays, the exit flags; their types as they enter, or a guess for names
    first set in the body. Carried slices in env0 are replaced by copies, and an enclosing
    loop's guesses dropped (learned here)."""
    names = list(syntax.assigned)
    if target is not None and target not in names:
        names.insert(0, target)
    bound = [n for n, row in elements
             if not row or n in env0 and not hooks.is_guess(env0.get(n))]
    names += [n for n in bound if n not in names]
    if hooks.may_write(syntax):
        names += [n for n in env0 if is_obj(n)]
    if syntax.has_ret:
        names += [n for n in (RET, RETVAL) if n not in names]
    if syntax.has_break:
        names.append(BRK)
    # a view the body only updates in place (v -= ...) stays the view: not carried
    names = [n for n in names if n in syntax.rebinds or n in bound or
             not hooks.has_view(env0.get(n))]
    for n in names:                        # a carried slice is copied (and checked)
        if hooks.has_view(env0.get(n)):
            env0[n] = hooks.settle(env0[n], hint_of(n))
    for n in list(names):
        if hooks.is_guess(env0.get(n)):
            env0.pop(n)                    # an enclosing loop's guess: learn it here
        if isinstance(n, str) and (n not in env0 or Unset(n) in env0):
            names.append(Unset(n))         # unbound on entry: its flag is carried too
            if Unset(n) not in env0:
                env0[Unset(n)] = hooks.false(Unset(n))
    trees, guessed = {}, set()
    for n in names:
        if n is BRK:
            trees[n] = Slot(BOOL, "broke")
        elif n in env0:
            trees[n] = rename(tree_types(env0[n]), n)
        else:                              # first set inside the loop: learn its type
            trees[n] = Slot(I64 if n == target else F64, hint_of(n))
            guessed.add(n)
    return Carried(names, trees, guessed, syntax.has_break or syntax.has_ret, syntax.has_cont)


class Loops:
    """Lowers loops."""

    def __init__(self, cx):
        self.cx = cx
        self.guesses: set = set()      # ids of block arguments whose types are guesses
        self.syntax: dict = {}         # loop node -> its LoopSyntax
        self.relowered = 0             # loops whose body was lowered more than once
        self.parallel: set = set()     # for nodes over numba.prange (attrs parallel=True)
        self.guess_owner: dict = {}    # guessed argument's id -> its loop's node
        self.unsettled: set = set()    # loops whose guesses a merge set aside (unguessed)

    def loop(self, node, bounds, target, element=None):
        """Lower a for/while loop: carried values are the names the body assigns, with the
        types the abstract interpretation of the body (infer.py) finds; the body is lowered
        once. Where the interpretation gives up, or the body does not yield what it was
        given, the types are found by lowering the body again until it does (at most
        MAX_PASSES times)."""
        cx = self.cx
        env0 = cx.env
        views = cx.views
        start = initial_carry(self.syntax_of(node), target, env0, Hooks(
            lambda syntax: may_write_arrays(syntax, env0, cx.src), views.has_view,
            views.settle_views, lambda v: isinstance(v, Value) and v.id in self.guesses,
            lambda key: cx.b.const(False, hint=key.hint)),
            element.carried() if element is not None else ())
        stale_mark = len(cx.copies.stale_reads)
        guess = cx.infer.predict(node, target, element, start)
        if guess is not None:
            seen_views, pending = set(guess.views), set(cx.shared)
            self.unsettled.discard(node)
            try:
                done = self._lower_body(node, bounds, target, guess, element)
            except Exception:                  # reported again below if it is the program's
                done = None
                cx.env = env0
                for k in [k for k in cx.shared if k not in pending]:
                    del cx.shared[k]
            if done is not None and set(guess.views) == seen_views and not done.rebound \
                    and not self._untouched_objects(done.body, guess, bounds is not None) \
                    and done.trees == guess.trees and node not in self.unsettled:
                self._emit(node, bounds, guess, done, env0)
                return
            self.relowered += 1                # the interpretation was wrong: iterate
        state = start
        for _ in range(MAX_PASSES):
            del cx.copies.stale_reads[stale_mark:]      # a discarded pass's reads
            seen_views = set(state.views)
            self.unsettled.discard(node)
            done = self._lower_body(node, bounds, target, state, element)
            state.guessed = set()
            if set(state.views) != seen_views or node in self.unsettled:
                # mark the block arguments too; or learn the types a merge set aside
                state.trees = done.trees
                continue
            if done.rebound:
                state.rebound |= done.rebound
                state.trees = done.trees
                continue
            unchanged = self._untouched_objects(done.body, state, bounds is not None)
            if unchanged:                      # arrays the body never writes: not carried
                state.names = [n for n in state.names if n not in unchanged]
                state.trees = {n: done.trees[n] for n in state.names}
                continue
            if done.trees == state.trees:
                break
            state.trees = done.trees
        else:
            cx.type_error(node, "cannot settle the types of the loop's variables")
        self._emit(node, bounds, state, done, env0)

    def unsettle(self, arg):
        """A merge set the guessed type of `arg` aside: its loop lowers its body again."""
        self.unsettled.add(self.guess_owner.get(arg.id))

    def syntax_of(self, node) -> LoopSyntax:
        if node not in self.syntax:
            self.syntax[node] = loop_syntax(node)
        return self.syntax[node]

    def _emit(self, node, bounds, state, done, env0):
        """The loop op, its results bound to the carried names."""
        cx = self.cx
        b = cx.b
        cx.env = env0
        names, trees = state.names, state.trees
        inits = []
        for n in names:
            init = b.const(False, hint="broke") if n is BRK else \
                env0.get(n) if is_obj(n) else cx.arrays.current(env0.get(n))   # as written
            inits += cx.branches.coerce_tree(init, trees[n])
        body = done.body
        hints = [a.hint for a in (body.args[1:] if bounds else body.args)]
        types_ = [v.type for v in inits]
        if bounds is not None:
            attrs = {"exit": state.exits, "statement": True,
                     **({"parallel": True} if node in self.parallel else {})}
            op = b.emit_region(ForOp, bounds + inits, types_, attrs, [body], hints)
        else:
            op = b.emit_region(WhileOp, inits, types_, {"exit": state.exits, "statement": True},
                               [done.cond, body], hints)
        results = list(op.results)
        follows = self.followed_objects(env0, state)
        for n in names:
            k = len(flatten(trees[n]))
            cx.env[n] = unflatten(trees[n], results[:k])
            results = results[k:]
            if is_obj(n):
                cx.objects.adopt(n, cx.env[n])
            elif n in follows:
                cx.objects.adopt(follows[n], cx.env[n])
        cx.views.mark_carried_copies(names, state.views, env0)
        for flag in (BRK, CONT):
            cx.env.pop(flag, None)
            if flag in env0:
                cx.env[flag] = env0[flag]

    def followed_objects(self, env0, state) -> dict:
        """Carried array names that keep meaning one array object through the loop (the body
        writes into it but never binds the name to another array): name -> object key."""
        out = {}
        for n in state.names:
            v = env0.get(n)
            if is_obj(n) or not isinstance(v, Value) or \
                    not isinstance(v.type, Array) or n in state.rebound:
                continue
            key = self.cx.objects.key_of(v)
            if key is not None and key in state.names:
                out[n] = key
        return out

    @staticmethod
    def _untouched_objects(body, state, is_for) -> set:
        """Array objects the loop body yields back unchanged (it never wrote them)."""
        args = body.args[1:] if is_for else body.args
        ys = body.terminator.args
        out, k = set(), 0
        for n in state.names:
            width = len(flatten(state.trees[n]))
            if is_obj(n) and width == 1 and ys[k] is args[k]:
                out.add(n)
            k += width
        return out

    def _bind_carried(self, env, args, state, follows):
        """Bind the carried names in env to the block arguments `args`."""
        for n in state.names:
            k = len(flatten(state.trees[n]))
            env[n] = unflatten(state.trees[n], args[:k])
            if is_obj(n):
                self.cx.objects.adopt(n, args[0])
            elif n in follows:                 # the name keeps meaning the same array
                self.cx.objects.adopt(follows[n], args[0])
            args = args[k:]

    def _lower_body(self, node, bounds, target, state, element) -> Pass:
        cx = self.cx
        b, views = cx.b, cx.views
        env0 = cx.env
        names, trees = state.names, state.trees
        args = []
        env = dict(env0)
        for flag in (BRK, CONT):
            env.pop(flag, None)
        follows = self.followed_objects(env0, state)
        for n in names:
            leaves = [Value(s.type, s.hint) for s in flatten(trees[n])]
            if n in state.guessed:             # a type still to be learned
                self.guesses.update(v.id for v in leaves)
                self.guess_owner.update((v.id, node) for v in leaves)
            args += leaves
        self._bind_carried(env, list(args), state, follows)
        cond_blk = None
        if bounds is not None:
            index = Value(I64, "i" if target is ITER else hint_of(target))
            body = Block([index] + args)
            bind_name(env, target, index)
        else:
            body = Block(list(args))
            cond_blk = Block([Value(a.type, a.hint) for a in args])
            cx.env = dict(env0)
            self._bind_carried(cx.env, list(cond_blk.args), state, follows)
            views.mark_carried_copies(names, state.views, env0)
            with b.at(cond_blk), b.located(cx.loc(node.test)):
                c = cx.exprs.truth(cx.exprs.expr(node.test), node.test)
                b.emit("yield", [c], [])
        cx.env = env
        views.mark_carried_copies(names, state.views, env0)
        with b.at(body):
            if element is not None:                # for v in x: v = x[i] (iteration.py)
                element.bind(cx.env, body.args[0], b, views.element_of)
            for flag in (RET, BRK):            # the loop only runs on while no flag is set
                if flag in names:
                    cx.env[flag] = b.const(False, hint=hint_of(flag))
            if state.has_cont:
                cx.env[CONT] = b.const(False, hint="skip")
            cx.stmts.block(node.body)
            cx.env.pop(CONT, None)
            views.settle_carried_views(names, state.views)
            rebound = {n for n, key in follows.items()
                       if cx.objects.key_of(cx.env[n]) != key} - state.rebound
            for n in names:                    # bound on every path through the body
                if isinstance(n, Unset) and n not in cx.env:
                    cx.env[n] = b.const(True, hint=n.hint)
            # a name yields its array's current version: `a = np.zeros(n); a[j] = v` in the
            # body makes a new object the loop does not carry, so the name's own value
            # would be the array before the write
            ends = {n: cx.env[n] if is_obj(n) else cx.arrays.current(cx.env[n])
                    for n in names}
            new_trees = {n: rename(tree_types(ends[n]), n) if n in state.guessed else
                         widen(trees[n], tree_types(ends[n]), b.loc, n)
                         for n in names}
            yields = []
            for n in names:
                yields += cx.branches.coerce_tree(ends[n], new_trees[n])
            if state.exits:
                stop = [cx.env[f] for f in (BRK, RET) if f in names]
                flag = stop[0] if len(stop) == 1 else b.prim("or", *stop)
                yields.append(b.prim("not", flag, hint="keep_going"))
            b.emit("yield", yields, [])
        cx.env = env0
        return Pass(body, cond_blk, new_trees, rebound)


__all__ = ["Loops"]
