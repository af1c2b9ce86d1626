"""What a loop carries, found by abstract interpretation of its body before it is lowered.

A loop carries the names its body assigns, the array objects it writes, its exit flags. Their
types are a fixpoint: a name's type as it enters, joined (bool < int < float; arrays by
element type and dimensions) with its type at the end of the body, until nothing widens; a
name first set in the body starts from a guess. Array objects the body never writes are not
carried; a name bound to a slice at the end of the body carries a (checked) copy; an array
name the body binds to another array stops following its object. `Infer.predict` runs that
iteration (the one `Loops.loop` would run by lowering the body again and again) on abstract
values: types, constants, array objects, views (absvalues.py), through the body's statements
here and its expressions in infer_values.py, nested loops and inlined helpers included. The
loop is then lowered once, with what the interpretation found.

The interpretation gives up (and the loop falls back to lowering its body until its types
settle) on anything the lowering would report as an error, on constructs it does not follow
(a carried tuple holding a slice), and on anything unexpected; `Loops.loop` also checks that
the body, lowered, yields exactly what the interpretation predicted.
"""
from __future__ import annotations

import ast

from .. import resolve
from ..builder import const_value
from ..types import BOOL, I64, Array
from ..valuetree import flatten, like, unflatten
from . import iteration
from .absvalues import A, AExpr, AView, Converter, GiveUp, TypeBuilder, as_expr, has_view, \
    is_array
from .arrays import FRESH
from .branches import unguessed
from .infer_arrays import AbstractArrays
from .infer_values import AbstractValues
from .loops import MAX_PASSES, Hooks, initial_carry, may_write_arrays
from .state import BRK, CONT, ITER, RET, RETVAL, ArmEnv, NoResult, ObjKey, Unset, ViewCopy, \
    bind_name, changed_names, hint_of, is_obj, key_text, unset_names
from .syntax import BINOPS, definitely_returns, has_early_return, may_exit, returns_value, \
    strip_docstring
from .trees import merge_tree, rename, tree_types, widen


class _Frame:
    def __init__(self, src, stack: tuple):
        self.src, self.stack = src, stack


class Infer:
    """The abstract interpretation of loop bodies (one per lowering context)."""

    def __init__(self, cx):
        self.cx = cx
        self.b = TypeBuilder()
        self.values = AbstractValues(self)
        self.arrays = AbstractArrays(self)
        self.env: dict = {}
        self.frame: _Frame | None = None
        self.copies: dict = {}             # id of a copy made for a view -> (base, text)
        self.shared: dict = {}             # desugar.Shared node -> its value, until reused
        self.objects = 0                   # abstract objects are ObjKey(-1), ObjKey(-2), ...
        self.predicted = 0                 # loops lowered once with the interpretation's types
        self.gave_up = 0                   # loops the interpretation did not follow
        self.unsettled: set = set()        # loops whose guesses a merge set aside

    def predict(self, node, target, element, start):
        """The state the loop's lowering settles on (a loops.Carried), or None."""
        cx = self.cx
        conv = Converter(cx.objects, cx.loops.guesses)
        try:
            self.env = conv.env(cx.env)
            self.frame = _Frame(cx.src, cx.frame.stack)
            self.copies, self.objects, self.shared = {}, 0, {}
            elem = element.convert(conv.value) if element is not None else None
            state, first = self.iterate(node, target, elem, start.copy(), self.env)
        except Exception:                  # GiveUp, or a program the lowering reports on
            self.gave_up += 1
            return None
        finally:
            self.env, self.frame, self.copies = {}, None, {}
        self.predicted += 1
        state.guessed = set(start.guessed) if first else set()
        state.views = {n: [None if i is None else ViewCopy(i[0], None, i[1]) for i in infos]
                       for n, infos in state.views.items()}
        return state

    # ---------------------------------------------------------------- loops
    def iterate(self, node, target, element, state, env0):
        """Loops.loop's iteration, on abstract values: (the settled state, settled at once?)."""
        for k in range(MAX_PASSES):
            seen_views = set(state.views)
            self.unsettled.discard(node)
            trees, rebound, untouched = self.body_pass(node, target, element, state, env0)
            state.guessed = set()
            if set(state.views) != seen_views or node in self.unsettled:
                state.trees = trees
            elif rebound:
                state.rebound |= rebound
                state.trees = trees
            elif untouched:
                state.names = [n for n in state.names if n not in untouched]
                state.trees = {n: trees[n] for n in state.names}
            elif trees == state.trees:
                return state, k == 0
            else:
                state.trees = trees
        raise GiveUp("the types do not settle")

    def followed(self, env0, state) -> dict:
        """Loops.followed_objects: carried array names that keep meaning one object."""
        out = {}
        for n in state.names:
            v = env0.get(n)
            if is_obj(n) or not isinstance(v, A) or not isinstance(v.type, Array) or \
                    n in state.rebound:
                continue
            if v.obj is not None and v.obj in state.names:
                out[n] = v.obj
        return out

    def bind_carried(self, env, state, follows, guessed: set, node) -> list:
        """The body's arguments for the carried names, bound in env (a guessed one's
        `guess` is its loop's node)."""
        args = []
        for n in state.names:
            leaves = [A(s.type, hint=s.hint, guess=node if n in guessed else False)
                      for s in flatten(state.trees[n])]
            env[n] = unflatten(state.trees[n], leaves)
            if is_obj(n):
                leaves[0].obj = n
            elif n in follows:
                leaves[0].obj = follows[n]
            args += leaves
        return args

    def body_pass(self, node, target, element, state, env0):
        """Loops._lower_body on abstract values: the types the body yields, the names it
        rebinds to other arrays, the array objects it yields back unchanged."""
        env = dict(env0)
        for flag in (BRK, CONT):
            env.pop(flag, None)
        follows = self.followed(env0, state)
        args = self.bind_carried(env, state, follows, state.guessed, node)
        if target is not None:
            bind_name(env, target, A(I64, hint="i" if target is ITER else hint_of(target)))
        self.env = env
        if element is not None:
            element.bind(env, env[target], self.b, lambda x, k: self.arrays.element_of(x))
        for flag in (RET, BRK):
            if flag in state.names:
                env[flag] = self.b.const(False)
        if state.has_cont:
            env[CONT] = self.b.const(False)
        self.block(node.body)
        env = self.env
        env.pop(CONT, None)
        for n in state.names:              # carried slices: checked copies
            if has_view(env.get(n)):
                if not isinstance(env[n], AView):
                    raise GiveUp("a carried tuple holding a slice")
                env[n] = self.arrays.settle_views(env[n], key_text(n).lstrip("$"))
                state.views[n] = [self.copies.get(id(env[n]))]
        for n in state.names:              # bound on every path through the body
            if isinstance(n, Unset) and n not in env:
                env[n] = self.b.const(True)
        rebound = {n for n, key in follows.items() if env[n].obj != key} - state.rebound
        trees = {n: rename(tree_types(env[n]), n) if n in state.guessed else
                 widen(state.trees[n], tree_types(env[n]), None, n) for n in state.names}
        untouched, k = set(), 0
        for n in state.names:              # args hold the trees the pass started from
            width = len(flatten(state.trees[n]))
            if is_obj(n) and width == 1 and env[n] is args[k] and \
                    env[n].type == flatten(trees[n])[0].type:
                untouched.add(n)
            k += width
        self.env = env0
        return trees, rebound, untouched

    def loop(self, node, target, element):
        """A loop nested in the body (or in a helper it calls): its results in self.env."""
        env0 = self.env
        arrays = self.arrays
        state = initial_carry(self.cx.loops.syntax_of(node), target, env0, Hooks(
            lambda syntax: may_write_arrays(syntax, env0, self.frame.src), has_view,
            arrays.settle_views, lambda v: isinstance(v, A) and v.guess,
            lambda key: self.b.const(False)),
            element.carried() if element is not None else ())
        state, _ = self.iterate(node, target, element, state, env0)
        self.env = env0
        follows = self.followed(env0, state)
        for n in state.names:
            leaves = [A(s.type, hint=s.hint) for s in flatten(state.trees[n])]
            env0[n] = unflatten(state.trees[n], leaves)
            if is_obj(n):
                leaves[0].obj = n
            elif n in follows:
                leaves[0].obj = follows[n]
        for flag in (BRK, CONT):
            value = env0.pop(flag, None)
            if value is not None:
                env0[flag] = value

    # ---------------------------------------------------------------- branches
    def branch(self, then_fn, else_fn, cond=None):
        known = const_value(cond) if cond is not None else None
        if isinstance(known, (bool, int)):          # as Branches.branch: the arm taken
            (then_fn if known else else_fn)()
            return
        env0 = self.env
        arms = []
        for fn in (then_fn, else_fn):
            self.env = ArmEnv(env0)
            fn()
            arms.append(self.env)
        self.env = env0
        te, ee = arms
        flags = unset_names(te, ee, env0)      # Branches.merge_flags
        names = [n for n in changed_names(te, ee) if (n in te or n in ee) and
                 (te.get(n) is not env0.get(n) or ee.get(n) is not env0.get(n))]
        names = [n for n in names if n is not CONT or CONT in env0]
        same = {n: te[n] for n in names if n in te and n in ee and te[n] is ee[n]}
        names = [n for n in names if n not in same]
        for env in arms:
            for n in names:
                if has_view(env.get(n)):
                    self.env = env
                    env[n] = self.arrays.settle_views(env[n], hint_of(n))
        self.env = env0
        merged, trees, fresh = dict(same), [], {}
        for n in names:
            vt, ve = self.current_in(te, te.get(n)), self.current_in(ee, ee.get(n))
            vt, ve = unguessed(vt, ve, _guess, lambda v: self.unsettled.add(v.guess))
            if not is_obj(n) and isinstance(vt, A) and isinstance(vt.type, Array):
                fresh[n] = self.merged_object(env0, vt, ve)
            trees.append((n, rename(merge_tree(vt, ve, None, n), n)))
        for n, tree in trees:
            merged[n] = unflatten(tree, [A(s.type, hint=s.hint) for s in flatten(tree)])
            if is_obj(n):
                merged[n].obj = n
        self.env.update(merged)
        for n in flags:
            key = Unset(n)
            if all(key not in env and n in env for env in arms):
                self.env.pop(key, None)
            else:
                self.env[key] = A(BOOL, hint=key.hint)
        for n, key in fresh.items():
            if key is FRESH:
                self.arrays.new_object(merged[n])
            elif key is not None:
                merged[n].obj = key

    @staticmethod
    def merged_object(env0, vt, ve):
        kt = vt.obj if isinstance(vt, A) else None
        ke = ve.obj if isinstance(ve, A) else None
        if kt is not None and kt == ke:
            return kt
        if (kt is None or kt not in env0) and (ke is None or ke not in env0):
            return FRESH
        return None

    def current(self, v):
        if isinstance(v, tuple):
            return like(v, [self.current(x) for x in v])
        return self.env.get(v.obj, v) if isinstance(v, A) and v.obj is not None else v

    @staticmethod
    def current_in(env, v):
        return env.get(v.obj, v) if isinstance(v, A) and v.obj is not None else v

    def new_key(self) -> ObjKey:
        self.objects += 1
        return ObjKey(-self.objects)

    # ---------------------------------------------------------------- helpers
    def inlined(self, src, env, func):
        outer, saved = self.env, self.frame
        self.frame, self.env = _Frame(src, saved.stack + (func,)), env
        try:
            result = self.lower_body()
            inner = self.env
        finally:
            self.frame, self.env = saved, outer
        outer.update({k: v for k, v in inner.items() if is_obj(k)})
        return result

    def lower_body(self):
        body = strip_docstring(self.frame.src.node.body)
        void = self.returns_nothing()
        if has_early_return(body):
            self.env[RET] = self.b.const(False)
        if void:
            self.env[RETVAL] = self.b.const(False)
        self.block(body)
        if void:
            return NoResult(self.frame.src.name)
        if not definitely_returns(body):
            raise GiveUp("no return")
        return self.env[RETVAL]

    def returns_nothing(self) -> bool:
        return len(self.frame.stack) > 1 and not returns_value(self.frame.src.node)

    # ---------------------------------------------------------------- statements
    def block(self, stmts):
        for i, stmt in enumerate(stmts):
            handler = getattr(self, "visit_" + type(stmt).__name__, None)
            if handler is None:
                raise GiveUp(type(stmt).__name__)
            handler(stmt)
            if isinstance(stmt, (ast.Return, ast.Break, ast.Continue)):
                return
            rest = stmts[i + 1:]
            if rest and may_exit(stmt):
                flags = [f for f in (RET, BRK, CONT) if f in self.env]
                if flags:
                    self.branch(lambda: self.block(rest), lambda: None)
                return

    def visit_Expr(self, node):
        if not (isinstance(node.value, ast.Constant) and isinstance(node.value.value, str)):
            self.values.expr(node.value, statement=True)

    def visit_Pass(self, node):
        pass

    def visit_Forget(self, node):
        for name in node.names:
            self.env.pop(name, None)

    def visit_Assert(self, node):
        self.values.truth(self.values.expr(node.test))

    def visit_Assign(self, node):
        value = self.values.expr(node.value)
        for target in node.targets:
            self.assign(target, value)

    def visit_AnnAssign(self, node):
        if node.value is not None:
            self.assign(node.target, self.values.expr(node.value))

    def visit_AugAssign(self, node):
        values, arrays = self.values, self.arrays
        op = BINOPS.get(type(node.op))
        if op is None:
            raise GiveUp("operator")
        target = node.target
        if isinstance(target, ast.Subscript):
            arrays.array_store(target, values.expr(node.value), op)
            return
        if isinstance(target, ast.Name) and target.id in self.env and \
                is_array(values.visit_Name(target)):
            view = arrays.view_of(as_expr(values.visit_Name(target)))
            arrays.view_store(view, values.expr(node.value), op)
            return
        if not isinstance(target, ast.Name):
            raise GiveUp("target")
        cur = values.visit_Name(target)
        self.assign(target, values.binop(op, cur, values.expr(node.value)))

    def assign(self, target, value):
        if isinstance(value, AExpr) and not isinstance(value, AView) and \
                not isinstance(target, ast.Subscript):
            value = self.arrays.materialize(value, hint_of(target.id)
                                            if isinstance(target, ast.Name) else "")
        if isinstance(target, ast.Name):
            bind_name(self.env, target.id, value)
        elif isinstance(target, (ast.Tuple, ast.List)):
            if not isinstance(value, tuple) or len(target.elts) != len(value):
                raise GiveUp("unpacking")
            for t, v in zip(target.elts, value):
                self.assign(t, v)
        elif isinstance(target, ast.Subscript):
            self.arrays.array_store(target, value)
        else:
            raise GiveUp("target")

    def visit_Return(self, node):
        if node.value is None:
            if not self.returns_nothing():
                raise GiveUp("return")
            if RET in self.env:
                self.env[RET] = self.b.const(True)
            return
        self.env[RETVAL] = self.arrays.materialize_tree(
            self.values.expr(node.value), keep_views=len(self.frame.stack) > 1)
        if RET in self.env:
            self.env[RET] = self.b.const(True)

    def visit_Break(self, node):
        self.env[BRK] = self.b.const(True)

    def visit_Continue(self, node):
        self.env[CONT] = self.b.const(True)

    def visit_If(self, node):
        values = self.values
        cond = values.truth(values.expr(node.test))
        self.branch(lambda: self.block(node.body), lambda: self.block(node.orelse), cond)

    def visit_For(self, node):
        values = self.values
        it = node.iter
        callee = None
        if isinstance(it, ast.Call) and isinstance(it.func, (ast.Name, ast.Attribute)):
            obj = values.static(it.func)
            callee = resolve.callee_of(obj) if obj is not None else None
        if node.orelse:
            raise GiveUp("for ... else")
        if getattr(callee, "kind", None) == "range" and isinstance(node.target, ast.Name):
            self.range_bounds(it)
            self.loop(node, node.target.id, None)
            return
        ops = iteration.AbstractOps(self)
        tree, count = iteration.plan(ops, it)
        if count is None:
            iteration.unroll(iteration.AbstractHost(self), node, tree)
            return
        self.loop(node, ITER, iteration.Each(iteration.bindings(ops, node.target, tree)))

    def range_bounds(self, it) -> list:
        """Statements.range_bounds on abstract values."""
        if it.keywords or not 1 <= len(it.args) <= 3:
            raise GiveUp("range")
        bounds = [self.values.expr(a) for a in it.args]
        for v in bounds:
            if isinstance(v, tuple) or v.type not in (I64, BOOL):
                raise GiveUp("range")
        bounds = [self.b.prim("to_i64", v) if v.type == BOOL else v for v in bounds]
        if len(bounds) == 1:
            bounds = [self.b.const(0)] + bounds
        if len(bounds) == 2:
            bounds.append(self.b.const(1))
        if const_value(bounds[2]) == 0:
            raise GiveUp("range step")
        return bounds

    def visit_While(self, node):
        if node.orelse:
            raise GiveUp("while ... else")
        self.loop(node, None, None)


def _guess(v) -> bool:
    """Branches.guessed on abstract values."""
    return isinstance(v, A) and v.guess is not False


__all__ = ["Infer"]
