"""Frontend: Python AST -> typed SSA IR, through an allow-list visitor.

Every syntax node has an explicit handler; anything else raises UnsupportedSyntaxError at the
user's file:line:col. Control flow becomes structured regions: `break`, `continue` and early
`return` become boolean flags that guard the rest of a block and leave loops through the loop's
exit yield. Calls to other user functions are inlined (differentiated through), so the IR of one
signature is one function. Tuples are flattened into their elements.
"""
from __future__ import annotations

import ast
import math
import types

import numpy as np

from . import resolve
from .arrays import OBJ, ArrayLowering
from .passes.buffers import written_array_objects
from .builder import Builder, const_value
from .lazy import ArrayExpr, LazyArrays, Leaf, View
from .views import ViewBinding
from .errors import AdTypeError, Loc, UnknownFunctionError, UnsupportedSyntaxError
from .ir import Block, ForOp, Function, IfOp, Value, WhileOp
from .prims.bind import Binding, Call
from .types import BOOL, F64, I64, Array, is_scalar, promote
from .valuetree import Slot, flatten, map_tree, shape_of, unflatten

RET, RETVAL, BRK, CONT = "__ret", "__retval", "__brk", "__cont"
_HINTS = {RET: "returned", RETVAL: "ret", BRK: "broke", CONT: "skip", "$value": "v"}
_GENERIC = ("", "truth", "v")


def _hint(name: str) -> str:
    if name.startswith("$obj"):
        return "arr"
    return _HINTS.get(name, name)
_MAX_CALL_DEPTH = 32

_BUILTIN_HINTS = {
    "print": "remove print() from the compiled function; print the returned values instead",
    "sum": "accumulate in an explicit for loop: s = 0.0; for i in range(n): s += ...",
    "isinstance": "compiled functions are specialised per argument type; branch outside",
    "list": "use a tuple for a fixed group of numbers",
}

_BINOPS = {ast.Add: "add", ast.Sub: "sub", ast.Mult: "mul", ast.Div: "div",
           ast.FloorDiv: "floordiv", ast.Mod: "mod", ast.Pow: "pow"}
_CMPOPS = {ast.Lt: "lt", ast.LtE: "le", ast.Gt: "gt", ast.GtE: "ge", ast.Eq: "eq", ast.NotEq: "ne"}

_UNSUPPORTED_HINTS = {
    ast.Lambda: "define a named helper function with def and call it",
    ast.ClassDef: "keep classes outside the compiled function; pass numbers in as arguments",
    ast.Try: "remove try/except: compiled code cannot catch exceptions",
    ast.With: "move the with-block outside the compiled function",
    ast.Global: "pass the value in as an argument instead of using global",
    ast.Nonlocal: "pass the value in as an argument instead of using nonlocal",
    ast.Yield: "generators are not supported; return the values instead",
    ast.YieldFrom: "generators are not supported; return the values instead",
    ast.ListComp: "write an explicit for loop",
    ast.GeneratorExp: "write an explicit for loop",
    ast.DictComp: "write an explicit for loop",
    ast.SetComp: "write an explicit for loop",
    ast.List: "use a tuple (a, b) for a fixed group of numbers",
    ast.Dict: "pass the values as separate arguments",
    ast.Set: "pass the values as separate arguments",
    ast.FunctionDef: "define helper functions at module level, not inside the compiled function",
    ast.AsyncFunctionDef: "async code is not supported",
    ast.Await: "async code is not supported",
    ast.Raise: "raise is not supported inside compiled code; check inputs before calling",
    ast.Assert: "assert is not supported inside compiled code; check inputs before calling",
    ast.Delete: "del is not supported; just stop using the variable",
    ast.Starred: "unpack into a fixed number of names instead",
    ast.JoinedStr: "strings are not supported inside compiled code",
    ast.NamedExpr: "assign with = on its own line",
    ast.Import: "import modules at the top of the file, not inside the function",
    ast.ImportFrom: "import modules at the top of the file, not inside the function",
}


def _node_label(node) -> str:
    name = type(node).__name__
    return {"ListComp": "list comprehension", "GeneratorExp": "generator expression",
            "DictComp": "dict comprehension", "SetComp": "set comprehension",
            "ClassDef": "class definition", "Try": "try statement", "With": "with statement",
            "FunctionDef": "nested function definition", "Lambda": "lambda",
            "JoinedStr": "f-string"}.get(name, name.lower())


class Lowerer(ArrayLowering, LazyArrays, ViewBinding, ast.NodeVisitor):
    """Lowers one user function (the entry point or an inlined callee) into the builder."""

    def __init__(self, src: resolve.FunctionSource, b: Builder, env: dict, stack: tuple,
                 shared: dict):
        self.src = src
        self.b = b
        self.env = env
        self.stack = stack
        self.shared = shared            # array objects, common to inlined callees

    def tname(self, v) -> str:
        return _tname(v)

    def materialize_tree(self, v, keep_views: bool = False):
        """v with its lazy array expressions written out (views kept with keep_views)."""
        if isinstance(v, tuple):
            return tuple(self.materialize_tree(x, keep_views) for x in v)
        return v if keep_views and isinstance(v, View) else self.materialize(v)

    def may_write_arrays(self, stmts) -> bool:
        """Could these statements write into an array: a subscript store, or a call of a
        user function (which may write into the arrays it is given)?"""
        for node in stmts:
            for sub in ast.walk(node):
                if isinstance(sub, ast.AugAssign) and isinstance(sub.target, ast.Name):
                    return True                # x += y writes into x when x is an array
                if isinstance(sub, (ast.Assign, ast.AugAssign)):
                    targets = sub.targets if isinstance(sub, ast.Assign) else [sub.target]
                    if any(isinstance(e, ast.Subscript) for t in targets
                           for e in (t.elts if isinstance(t, ast.Tuple) else [t])):
                        return True
                if isinstance(sub, ast.Call) and isinstance(sub.func, (ast.Name, ast.Attribute)):
                    try:
                        obj = self.static_value(sub.func)
                    except Exception:       # reported when the call itself is lowered
                        obj = None
                    if obj is not None and resolve.is_user_function(obj):
                        return True
        return False

    def expr_text(self, node) -> str:
        return _expr_text(node)

    # ---------------------------------------------------------------- errors and locations
    def loc(self, node) -> Loc:
        return self.src.loc_of(node)

    def unsupported(self, node, what=None, hint=None):
        what = what or f"{_node_label(node)} is not supported"
        hint = hint or _UNSUPPORTED_HINTS.get(type(node), "see docs/supported.md for the subset")
        raise UnsupportedSyntaxError(what, self.loc(node), hint)

    def generic_visit(self, node):
        self.unsupported(node)

    def type_error(self, node, msg, hint=None):
        raise AdTypeError(msg, self.loc(node), hint)

    # ---------------------------------------------------------------- function body
    def lower_body(self) -> object:
        body = _strip_docstring(self.src.node.body)
        if _has_early_return(body):
            self.env[RET] = self.b.const(False, hint="returned")
        self.block(body)
        if not _definitely_returns(body):
            raise UnsupportedSyntaxError(
                f"{self.src.name}() can reach its end without returning a value",
                self.src.loc, "end every path with a return statement")
        return self.env[RETVAL]

    def block(self, stmts):
        for i, stmt in enumerate(stmts):
            with self.b.located(self.loc(stmt)):
                self.visit(stmt)
            if isinstance(stmt, (ast.Return, ast.Break, ast.Continue)):
                return                                  # the rest is unreachable
            rest = stmts[i + 1:]
            if rest and _may_exit(stmt):
                with self.b.located(self.loc(stmt)):
                    live = self.live_condition()
                    if live is not None:
                        self.branch(live, lambda: self.block(rest), lambda: None)
                return

    def live_condition(self) -> Value | None:
        """True while no break/continue/return has fired in the enclosing block."""
        flags = [self.env[f] for f in (RET, BRK, CONT) if f in self.env]
        if not flags:
            return None
        stop = flags[0]
        for f in flags[1:]:
            stop = self.b.prim("or", stop, f)
        return self.b.prim("not", stop, hint="live")

    # ---------------------------------------------------------------- statements
    def visit_Expr(self, node):
        if isinstance(node.value, ast.Constant) and isinstance(node.value.value, str):
            return                                      # a stray string: a comment
        self.expr(node.value)

    def visit_Pass(self, node):
        pass

    def visit_Assign(self, node):
        value = self.expr(node.value)
        for target in node.targets:
            self.assign(target, value)

    def visit_AnnAssign(self, node):
        if node.value is None:
            return
        self.assign(node.target, self.expr(node.value))

    def visit_AugAssign(self, node):
        op = _BINOPS.get(type(node.op))
        if op is None:
            self.unsupported(node, f"operator {type(node.op).__name__} is not supported")
        if isinstance(node.target, ast.Subscript):
            self.array_store(node.target, self.expr(node.value), op)
            return
        if isinstance(node.target, ast.Name) and node.target.id in self.env and \
                self.is_array(self.lookup(node.target.id, node.target)):
            # x += y on an array updates x in place (every alias of x sees it), as in NumPy
            arr = self.lookup(node.target.id, node.target)
            view = self.view_of(self.as_expr(arr), node.target)
            self.view_store(view, self.expr(node.value), op, node.target)
            return
        if not isinstance(node.target, ast.Name):
            self.unsupported(node.target, "augmented assignment to this target is not supported")
        cur = self.lookup(node.target.id, node.target)
        self.assign(node.target, self.binop(op, cur, self.expr(node.value), node))

    def assign(self, target, value):
        if isinstance(value, ArrayExpr) and not isinstance(value, View) and \
                not isinstance(target, ast.Subscript):   # a name bound to a slice: a view
            name = target.id if isinstance(target, ast.Name) else ""
            value = self.materialize(value, name)
        if isinstance(target, ast.Name):
            if isinstance(value, Value) and value.hint in _GENERIC and \
                    getattr(value.owner, "name", "") not in ("const", "undef"):
                value.hint = target.id
            self.env[target.id] = value
        elif isinstance(target, (ast.Tuple, ast.List)):
            if not isinstance(value, tuple):
                self.type_error(target, "cannot unpack a number into several names")
            if len(target.elts) != len(value):
                self.type_error(target, f"cannot unpack {len(value)} values into "
                                        f"{len(target.elts)} names")
            for t, v in zip(target.elts, value):
                self.assign(t, v)
        elif isinstance(target, ast.Subscript):
            self.array_store(target, value)
        else:
            self.unsupported(target, f"assignment to {_node_label(target)} is not supported",
                             "assign to plain names")

    def visit_Return(self, node):
        if node.value is None:
            self.unsupported(node, "a return without a value is not supported",
                             "return the number (or tuple) the function computes")
        # a helper may return a view of its caller's array; the function's result is a copy
        self.env[RETVAL] = self.materialize_tree(self.expr(node.value),
                                                 keep_views=len(self.stack) > 1)
        if RET in self.env:
            self.env[RET] = self.b.const(True, hint="returned")

    def visit_Break(self, node):
        self.env[BRK] = self.b.const(True, hint="broke")

    def visit_Continue(self, node):
        self.env[CONT] = self.b.const(True, hint="skip")

    def visit_If(self, node):
        cond = self.truth(self.expr(node.test), node.test)
        self.branch(cond, lambda: self.block(node.body), lambda: self.block(node.orelse))

    def visit_For(self, node):
        if node.orelse:
            self.unsupported(node, "for ... else is not supported", "use a flag variable")
        it = node.iter
        callee = self.callee_of_call(it) if isinstance(it, ast.Call) else None
        if not isinstance(node.target, ast.Name):
            self.unsupported(node.target, "the loop variable must be a single name")
        if callee is None or callee.kind != "range":
            if isinstance(it, (ast.List, ast.Tuple, ast.Set, ast.Dict, ast.Constant)):
                self.unsupported(it, "for loops run over range(...) or over an array",
                                 "loop over indices: for i in range(n)")
            seq = self.expr(it)
            if not self.is_array(seq):
                self.unsupported(it, "for loops run over range(...) or over an array",
                                 "loop over indices: for i in range(n)")
            x = self.as_expr(seq)
            if not isinstance(x, (Leaf, View)):
                x = self.as_expr(self.materialize(x))
            n = x.dims(self)[0]
            self.loop(node, [self.b.const(0), n, self.b.const(1)], "$it",
                      element=(node.target.id, lambda i: self.element_of(x, i)))
            return
        if it.keywords or not 1 <= len(it.args) <= 3:
            self.type_error(it, "range() takes 1 to 3 positional arguments")
        bounds = [self.expr(a) for a in it.args]
        for a, v in zip(it.args, bounds):
            if isinstance(v, tuple) or v.type not in (I64, BOOL):
                self.type_error(a, f"range() needs integers, got {_tname(v)}",
                                "convert with int(...) if the value is a whole number")
        bounds = [self.b.prim("to_i64", v) if v.type == BOOL else v for v in bounds]
        if len(bounds) == 1:
            bounds = [self.b.const(0)] + bounds
        if len(bounds) == 2:
            bounds.append(self.b.const(1))
        if const_value(bounds[2]) == 0:
            self.type_error(it.args[2], "range() step must not be zero")
        self.loop(node, bounds, node.target.id)

    def visit_While(self, node):
        if node.orelse:
            self.unsupported(node, "while ... else is not supported", "use a flag variable")
        self.loop(node, None, None)

    # ---------------------------------------------------------------- structured regions
    def branch(self, cond: Value, then_fn, else_fn):
        """Lower an if/else whose arms update self.env; merge the assigned names."""
        env0 = self.env
        arms = []
        for fn in (then_fn, else_fn):
            blk = Block()
            self.env = _ArmEnv(env0)
            with self.b.at(blk):
                fn()
            arms.append((blk, self.env))
        self.env = env0
        (tb, te), (eb, ee) = arms
        # a name is merged when either arm rebinds it (both arms binding the same value is
        # still a change from before the branch: `if c: a = b else: a = b`)
        candidates = _changed_names(te, ee)
        names = [n for n in candidates if (n in te or n in ee) and
                 (te.get(n) is not env0.get(n) or ee.get(n) is not env0.get(n))]
        names = [n for n in names if n != CONT or CONT in env0]
        same = {n: te[n] for n in names if n in te and n in ee and te[n] is ee[n]}
        names = [n for n in names if n not in same]      # one value made before the if
        for (blk, env) in arms:                # a merged slice is copied (and checked)
            for n in names:
                if self.has_view(env.get(n)):
                    self.env = env
                    with self.b.at(blk):
                        env[n] = self.settle_views(env[n], _hint(n))
        self.env = env0
        merged = dict(same)
        yields_t, yields_e, trees = [], [], []
        fresh = {}                                 # arrays chosen by the branch
        for n in names:
            vt, ve = self.current_in(te, te.get(n)), self.current_in(ee, ee.get(n))
            if not n.startswith(OBJ) and isinstance(vt, Value) and isinstance(vt.type, Array):
                fresh[n] = self.merged_object(env0, te, ee, vt, ve)
            tree = _rename(_merge_tree(vt, ve, self, n), n)
            with self.b.at(tb):
                yt = self.coerce_tree(vt, tree)
            with self.b.at(eb):
                ye = self.coerce_tree(ve, tree)
            yields_t += yt
            yields_e += ye
            trees.append((n, tree))
        with self.b.at(tb):
            self.b.emit("yield", yields_t, [])
        with self.b.at(eb):
            self.b.emit("yield", yields_e, [])
        hints = [s.hint for _, tree in trees for s in flatten(tree)]
        op = self.b.emit_region(IfOp, [cond], [v.type for v in yields_t], regions=[tb, eb],
                                hints=hints)
        results = list(op.results)
        for n, tree in trees:
            k = len(flatten(tree))
            merged[n] = unflatten(tree, results[:k])
            results = results[k:]
            if n.startswith(OBJ):
                self.adopt(n, merged[n])
        self.env.update(merged)
        for n, key in fresh.items():
            if key == "new":
                self.new_object(merged[n])
            elif key is not None:
                self.adopt(key, merged[n])
        for n, tree in trees:                  # after the objects: a copy is not writable
            self.mark_copies([flatten(te.get(n)) if n in te else [],
                              flatten(ee.get(n)) if n in ee else []], flatten(merged[n]))

    def coerce_tree(self, value, tree) -> list:
        """Flatten `value` to the leaf types of `tree` (undef where missing, int -> float)."""
        leaves = flatten(tree)
        if value is None:
            return [self.b.undef(s.type, hint=s.hint) for s in leaves]
        return [self.convert(v, s.type) for v, s in zip(flatten(value), leaves)]

    def convert(self, v: Value, t) -> Value:
        if v.type == t:
            return v
        return self.b.prim({F64: "to_f64", I64: "to_i64", BOOL: "to_bool"}[t], v, hint=v.hint)

    def loop(self, node, bounds, target, element=None):
        """Lower a for/while loop: carried values are the names the body assigns."""
        env0 = self.env
        names = [n for n in _assigned_names(node.body) if n not in (BRK, CONT)]
        if target is not None and target not in names:
            names.insert(0, target)
        if self.may_write_arrays(node.body):
            names += [n for n in env0 if n.startswith(OBJ)]
        has_break, has_cont = _has_stmt(node.body, ast.Break), _has_stmt(node.body, ast.Continue)
        has_ret = _has_stmt(node.body, ast.Return, into_loops=True)
        if has_ret:
            names += [n for n in (RET, RETVAL) if n not in names]
        if has_break:
            names.append(BRK)
        # a view the body only updates in place (v -= ...) stays the view: not carried
        rebinds = set(_assigned_names(node.body, augmented=False))
        names = [n for n in names if n in rebinds or not self.has_view(env0.get(n))]
        for n in names:                        # a carried slice is copied (and checked)
            if self.has_view(env0.get(n)):
                env0[n] = self.settle_views(env0[n], _hint(n))
        carried_views: dict = {}               # names whose yield is a copy of a slice
        stale_mark = len(self.shared["stale_reads"])
        trees, guessed = {}, set()
        guesses = self.shared.setdefault("guesses", set())
        for n in names:
            if isinstance(env0.get(n), Value) and env0[n].id in guesses:
                env0.pop(n)                    # an enclosing loop's guess: learn it here
            if n == BRK:
                trees[n] = Slot(BOOL, "broke")
            elif n in env0:
                trees[n] = _rename(_tree_types(env0[n]), n)
            else:                              # first set inside the loop: learn its type
                trees[n] = Slot(I64 if n == target else F64, _hint(n))
                guessed.add(n)
        self.rebound = set()                   # array names the body binds to another array
        for _ in range(10):
            del self.shared["stale_reads"][stale_mark:]      # a discarded pass's reads
            seen_views = set(carried_views)
            body, cond_blk, yields, new_trees = self._loop_body(node, bounds, target, names,
                                                                trees, has_break or has_ret,
                                                                has_cont, guessed, element,
                                                                carried_views)
            guessed = set()
            if set(carried_views) != seen_views:    # mark the block arguments too
                trees = new_trees
                continue
            if self.new_rebound:
                self.rebound |= self.new_rebound
                trees = new_trees
                continue
            unchanged = self._untouched_objects(body, names, trees, bounds is not None)
            if unchanged:                      # arrays the body never writes: not carried
                names = [n for n in names if n not in unchanged]
                trees = {n: new_trees[n] for n in names}
                continue
            if new_trees == trees:
                break
            trees = new_trees
        else:
            self.type_error(node, "cannot settle the types of the loop's variables")
        self.env = env0
        inits = []
        for n in names:
            init = self.b.const(False, hint="broke") if n == BRK else env0.get(n)
            inits += self.coerce_tree(init, trees[n])
        exits = has_break or has_ret
        hints = [a.hint for a in (body.args[1:] if bounds else body.args)]
        types_ = [v.type for v in inits]
        if bounds is not None:
            op = self.b.emit_region(ForOp, bounds + inits, types_, {"exit": exits}, [body], hints)
        else:
            op = self.b.emit_region(WhileOp, inits, types_, {"exit": exits}, [cond_blk, body],
                                    hints)
        results = list(op.results)
        follows = self.followed_objects(env0, names, trees)
        for n in names:
            k = len(flatten(trees[n]))
            self.env[n] = unflatten(trees[n], results[:k])
            results = results[k:]
            if n.startswith(OBJ):
                self.adopt(n, self.env[n])
            elif n in follows:
                self.adopt(follows[n], self.env[n])
        self.mark_carried_copies(names, carried_views, env0)
        for flag in (BRK, CONT):
            self.env.pop(flag, None)
            if flag in env0:
                self.env[flag] = env0[flag]

    def followed_objects(self, env0, names, trees) -> dict:
        """Carried array names that keep meaning one array object through the loop (the body
        writes into it but never binds the name to another array): name -> object key."""
        out = {}
        for n in names:
            v = env0.get(n)
            if n.startswith(OBJ) or not isinstance(v, Value) or \
                    not isinstance(v.type, Array) or n in self.rebound:
                continue
            key = self.obj_key(v)
            if key is not None and key in names:
                out[n] = key
        return out

    @staticmethod
    def _untouched_objects(body, names, trees, is_for) -> set:
        """Array objects the loop body yields back unchanged (it never wrote them)."""
        args = body.args[1:] if is_for else body.args
        ys = body.terminator.args
        out, k = set(), 0
        for n in names:
            width = len(flatten(trees[n]))
            if n.startswith(OBJ) and width == 1 and ys[k] is args[k]:
                out.add(n)
            k += width
        return out

    def _loop_body(self, node, bounds, target, names, trees, exits, has_cont, guessed,
                   element=None, carried_views=None):
        env0 = self.env
        args = []
        env = dict(env0)
        for flag in (BRK, CONT):
            env.pop(flag, None)
        follows = self.followed_objects(env0, names, trees)
        for n in names:
            leaves = [Value(s.type, s.hint) for s in flatten(trees[n])]
            if n in guessed:                   # a type still to be learned
                self.shared.setdefault("guesses", set()).update(v.id for v in leaves)
            args += leaves
            env[n] = unflatten(trees[n], leaves)
            if n.startswith(OBJ):
                self.adopt(n, leaves[0])
            elif n in follows:                 # the name keeps meaning the same array
                self.adopt(follows[n], leaves[0])
        cond_blk = None
        if bounds is not None:
            index = Value(I64, "i" if target == "$it" else target)
            body = Block([index] + args)
            env[target] = index
        else:
            body = Block(list(args))
            cond_args = [Value(a.type, a.hint) for a in args]
            cond_blk = Block(cond_args)
            self.env = dict(env0)
            for n in names:
                k = len(flatten(trees[n]))
                self.env[n] = unflatten(trees[n], cond_args[:k])
                if n.startswith(OBJ):
                    self.adopt(n, cond_args[0])
                elif n in follows:
                    self.adopt(follows[n], cond_args[0])
                cond_args = cond_args[k:]
            self.mark_carried_copies(names, carried_views, env0)
            with self.b.at(cond_blk), self.b.located(self.loc(node.test)):
                c = self.truth(self.expr(node.test), node.test)
                self.b.emit("yield", [c], [])
        self.env = env
        self.mark_carried_copies(names, carried_views, env0)
        with self.b.at(body):
            if element is not None:                # for v in x: v = x[i]
                self.env[element[0]] = element[1](body.args[0])
            for flag in (RET, BRK):            # the loop only runs on while no flag is set
                if flag in names:
                    self.env[flag] = self.b.const(False, hint=_hint(flag))
            if has_cont:
                self.env[CONT] = self.b.const(False, hint="skip")
            self.block(node.body)
            self.env.pop(CONT, None)
            self.settle_carried_views(names, carried_views)
            self.new_rebound = {n for n, key in follows.items()
                                if self.obj_key(self.env[n]) != key} - self.rebound
            new_trees = {n: _rename(_tree_types(self.env[n]), n) if n in guessed else
                         _widen(trees[n], _tree_types(self.env[n]), self, node, n)
                         for n in names}
            yields = []
            for n in names:
                yields += self.coerce_tree(self.env[n], new_trees[n])
            if exits:
                stop = [self.env[f] for f in (BRK, RET) if f in names]
                flag = stop[0] if len(stop) == 1 else self.b.prim("or", *stop)
                yields.append(self.b.prim("not", flag, hint="keep_going"))
            self.b.emit("yield", yields, [])
        self.env = env0
        return body, cond_blk, yields, new_trees

    # ---------------------------------------------------------------- expressions
    def expr(self, node):
        with self.b.located(self.loc(node)):
            return self.visit(node)

    def visit_Constant(self, node):
        v = node.value
        if isinstance(v, (bool, int, float)):
            return self.b.const(v)
        self.unsupported(node, f"constant {v!r} is not supported",
                         "only numbers and True/False can be used in compiled code")

    def visit_Name(self, node):
        return self.lookup(node.id, node)

    def visit_Tuple(self, node):
        return tuple(self.expr(e) for e in node.elts)

    def visit_Attribute(self, node):
        if not _is_static_path(node.value, self.env):
            base = self.expr(node.value)
            if self.is_array(base):
                return self.array_attribute(base, node)
            self.unsupported(node, f"attribute .{node.attr} of {_tname(base)} is not "
                                   "supported", "arrays support .shape, .ndim, .size and .T")
        obj = self.static_value(node)
        return self.from_python(obj, node)

    def visit_Subscript(self, node):
        base = self.expr(node.value)
        if isinstance(base, tuple):
            idx = node.slice
            k = None if isinstance(idx, ast.Slice) else self.expr(idx)
            k = const_value(k) if isinstance(k, Value) else None
            if isinstance(k, int) and not isinstance(k, bool):
                try:
                    return base[k]
                except IndexError:
                    self.type_error(node, f"tuple index {k} out of range "
                                          f"(the tuple has {len(base)} elements)")
            self.unsupported(idx, "tuples can only be indexed with an integer known at "
                                  "compile time", "use a constant such as t[0] or x.shape[-1]")
        if self.is_array(base):
            return self.array_subscript(base, node)
        self.type_error(node, f"cannot index {_tname(base)}")

    def visit_UnaryOp(self, node):
        v = self.expr(node.operand)
        if isinstance(v, tuple):
            self.type_error(node, "unary operators do not apply to tuples")
        if self.is_array(v):
            if isinstance(node.op, ast.USub):
                return self.elementwise("neg", [v], node)
            if isinstance(node.op, ast.UAdd):
                return v
            self.type_error(node, "`not` of an array is ambiguous", "use x == 0.0")
        if isinstance(node.op, ast.USub):
            return self.b.prim("neg", v)
        if isinstance(node.op, ast.UAdd):
            return self.b.prim("to_i64", v) if v.type == BOOL else v
        if isinstance(node.op, ast.Not):
            return self.b.prim("not", self.truth(v, node.operand))
        self.unsupported(node, "bitwise ~ is not supported")

    def visit_BinOp(self, node):
        if isinstance(node.op, ast.MatMult):
            return self.matmul(self.expr(node.left), self.expr(node.right), node)
        op = _BINOPS.get(type(node.op))
        if op is None:
            self.unsupported(node, f"operator {type(node.op).__name__} is not supported",
                             "supported: + - * / // % **")
        return self.binop(op, self.expr(node.left), self.expr(node.right), node)

    def binop(self, op, x, y, node):
        if isinstance(x, tuple) or isinstance(y, tuple):
            self.type_error(node, f"operator {op} does not apply to tuples")
        if self.is_array(x) or self.is_array(y):
            return self.elementwise(op, [x, y], node)
        return self.b.prim(op, x, y)

    def visit_Compare(self, node):
        left = self.expr(node.left)
        if len(node.ops) == 1:
            return self.compare(node.ops[0], left, self.expr(node.comparators[0]), node)
        # chained: a < b < c  ->  (a < b) and (b < c), evaluating b once, lazily
        first = self.compare(node.ops[0], left, self.expr(node.comparators[0]), node)
        rest = ast.Compare(left=node.comparators[0], ops=node.ops[1:],
                           comparators=node.comparators[1:])
        ast.copy_location(rest, node.comparators[0])
        return self.lazy_bool("and", first, rest)

    def no_arrays(self, node, *vals):
        if any(self.is_array(v) for v in vals):
            self.unsupported(node, "this function does not take arrays",
                             "use the NumPy function (np.sin, np.maximum, ...) or a loop")

    def compare(self, op, x, y, node):
        name = _CMPOPS.get(type(op))
        if name is None:
            self.unsupported(node, f"comparison {type(op).__name__} is not supported",
                             "supported: < <= > >= == !=")
        if isinstance(x, tuple) or isinstance(y, tuple):
            self.type_error(node, "comparisons of tuples are not supported")
        if self.is_array(x) or self.is_array(y):
            return self.elementwise(name, [x, y], node)
        return self.b.prim(name, x, y)

    def visit_BoolOp(self, node):
        kind = "and" if isinstance(node.op, ast.And) else "or"
        acc = self.expr(node.values[0])
        for rhs in node.values[1:]:
            acc = self.lazy_bool(kind, acc, rhs)
        return acc

    def lazy_bool(self, kind, left, rhs_node):
        """Python's short-circuit and/or, with its value semantics (returns an operand)."""
        if isinstance(left, tuple):
            self.type_error(rhs_node, f"`{kind}` does not apply to tuples")
        if _is_safe(rhs_node):
            right = self.expr(rhs_node)
            if left.type == BOOL and not isinstance(right, tuple) and right.type == BOOL:
                return self.b.prim(kind, left, right)
        test = self.truth(left, rhs_node)
        key = "$value"

        def take_rhs():
            self.env[key] = self.expr(rhs_node)

        def keep_left():
            self.env[key] = left
        if kind == "and":
            self.branch(test, take_rhs, keep_left)
        else:
            self.branch(test, keep_left, take_rhs)
        return self.env.pop(key)

    def visit_IfExp(self, node):
        test = self.truth(self.expr(node.test), node.test)
        key = "$value"

        def arm(e):
            def fn():
                self.env[key] = self.expr(e)
            return fn
        self.branch(test, arm(node.body), arm(node.orelse))
        return self.env.pop(key)

    def truth(self, v, node) -> Value:
        if isinstance(v, tuple):
            self.type_error(node, "a tuple cannot be used as a condition")
        if self.is_array(v):
            self.type_error(node, "the truth value of an array is ambiguous",
                            "compare elements, e.g. x[i] > 0.0, or use np.where")
        if v.type == BOOL:
            if v.hint in _GENERIC:
                v.hint = "cond"
            return v
        return self.b.prim("ne", v, self.b.const(0.0 if v.type == F64 else 0), hint="truth")

    # ---------------------------------------------------------------- names and calls
    def lookup(self, name, node):
        if name in self.env:
            v = self.current(self.env[name])
            self.check_view_read(v, node)
            return v
        if name in self.src.scope:
            return self.from_python(self.src.scope[name], node)
        import builtins
        if hasattr(builtins, name):
            return self.from_python(getattr(builtins, name), node)
        raise UnsupportedSyntaxError(f"name {name!r} is not defined", self.loc(node),
                                     "assign it before use, or pass it in as an argument")

    def from_python(self, obj, node):
        """A module-level object used as a value: numbers become constants."""
        if isinstance(obj, (bool, int, float, np.floating, np.integer, np.bool_)):
            return self.b.const(obj.item() if hasattr(obj, "item") else obj)
        if isinstance(obj, tuple) and all(isinstance(o, (int, float)) for o in obj):
            return tuple(self.b.const(o) for o in obj)
        what = type(obj).__name__
        if isinstance(obj, (types.ModuleType, types.FunctionType, types.BuiltinFunctionType)) \
                or callable(obj):
            self.unsupported(node, f"{_expr_text(node)} is a {what}, not a number",
                             "call it, or pass numbers in as arguments")
        self.unsupported(node, f"{_expr_text(node)} refers to a {what}, which compiled code "
                               "cannot use", "pass numbers in as arguments instead of reading "
                                             "mutable module state")

    def static_value(self, node):
        """Resolve a dotted name (np.sin, math.pi, helpers.f) to the Python object."""
        if isinstance(node, ast.Name):
            if node.id in self.env:
                return None
            if node.id in self.src.scope:
                return self.src.scope[node.id]
            import builtins
            if hasattr(builtins, node.id):
                return getattr(builtins, node.id)
            raise UnsupportedSyntaxError(f"name {node.id!r} is not defined", self.loc(node),
                                         "import it at module level or pass it as an argument")
        if isinstance(node, ast.Attribute):
            base = self.static_value(node.value)
            if isinstance(base, types.ModuleType):
                if not hasattr(base, node.attr):
                    raise UnknownFunctionError(
                        f"module {base.__name__!r} has no attribute {node.attr!r}",
                        self.loc(node))
                return getattr(base, node.attr)
            self.unsupported(node, f"attribute access {_expr_text(node)} is not supported",
                             "use plain names and module functions such as math.sin")
        return None

    def callee_of_call(self, node):
        obj = self.static_value(node.func) if isinstance(node.func, (ast.Name, ast.Attribute)) \
            else None
        if obj is None:
            return None
        return resolve.callee_of(obj)

    def visit_Call(self, node):
        if not isinstance(node.func, (ast.Name, ast.Attribute)):
            self.unsupported(node.func, "only calls of named functions are supported")
        func = node.func
        if isinstance(func, ast.Attribute) and not _is_static_path(func.value, self.env):
            base = self.expr(func.value)                 # a method of a value: x.copy()
            if isinstance(base, ArrayExpr):
                base = self.materialize(base) if func.attr == "copy" else base
            if self.is_array(base) and func.attr in ("sum", "mean", "prod", "max", "min") \
                    and not node.args:
                return self.reduce_call(func.attr, node, [base], node.keywords)
            if not isinstance(base, tuple) and isinstance(base.type, Array) and \
                    func.attr == "copy" and not node.args and not node.keywords:
                return self.construct(resolve.Callee("construct", "copy", "copy"), node, [base])
            if not isinstance(base, tuple) and isinstance(base.type, Array) and \
                    func.attr in ("sum", "mean", "prod", "max", "min") and not node.args:
                return self.reduce_call(func.attr, node, [base], node.keywords)
            self.unsupported(func, f"method .{func.attr}() of {_tname(base)} is not supported",
                             "arrays support x.copy(); use functions such as np.sum(x)")
        obj = self.static_value(node.func)
        if obj is None:
            self.type_error(node.func, f"{_expr_text(node.func)} is a number, not a function")
        if any(isinstance(a, ast.Starred) for a in node.args) or \
                any(k.arg is None for k in node.keywords):
            self.unsupported(node, "*args and **kwargs in calls are not supported",
                             "pass the arguments one by one")
        callee = resolve.callee_of(obj)
        if callee is not None:
            return self.call_primitive(callee, node)
        if resolve.is_user_function(obj):
            return self.call_user(resolve.unwrap_user_function(obj), node)
        self.unknown_function(obj, node)

    def unknown_function(self, obj, node):
        label = _expr_text(node.func)
        module = getattr(obj, "__module__", None) or ""
        hint = "write it in terms of supported functions in a helper def (adcompile inlines " \
               "and differentiates helpers), or see docs/supported.md"
        if hasattr(obj, "_adcompile_wrapped"):
            hint = "call the undecorated function: apply grad to the outer function only; " \
                   "for second derivatives use ad.hvp or ad.hessian"
        elif label in _BUILTIN_HINTS:
            hint = _BUILTIN_HINTS[label]
        elif module.startswith("numpy") or label.startswith(("np.", "numpy.")):
            hint = "supported NumPy functions: " + ", ".join(resolve.supported_names(np))
        elif module == "math" or label.startswith("math."):
            hint = "supported math functions: " + ", ".join(resolve.supported_names(math))
        raise UnknownFunctionError(f"adcompile cannot differentiate calls to {label}",
                                   self.loc(node), hint)

    def call_primitive(self, callee, node):
        if isinstance(callee, Binding):       # a row of the primitive table: its binder
            return callee.bind(self, Call(self, callee, node))
        if callee.kind == "construct":
            args = [] if callee.prim == "array" else [self.expr(a) for a in node.args]
            return self.construct(callee, node, args)
        if callee.kind == "reduce":
            return self.reduce_call(callee.prim, node, [self.expr(a) for a in node.args],
                                    node.keywords)
        if callee.kind == "clip":
            if node.keywords:
                self.unsupported(node, f"{callee.label}() keyword arguments are not supported")
            return self.array_function(callee, node, [self.expr(a) for a in node.args])
        if node.keywords:
            self.unsupported(node, f"{callee.label}() does not take keyword arguments here")
        if callee.kind == "range":
            self.unsupported(node, "range() can only be used as the iterable of a for loop")
        args = [self.expr(a) for a in node.args]               # len(x)
        if len(args) != 1:
            self.type_error(node, f"{callee.label}() takes 1 argument(s), got {len(args)}")
        if isinstance(args[0], tuple):
            return self.b.const(len(args[0]))
        if self.is_array(args[0]):
            return self.as_expr(args[0]).dims(self)[0]
        self.type_error(node, "len() of a number is not defined")

    def call_user(self, func, node):
        try:
            src = resolve.function_source(func)
        except UnsupportedSyntaxError as exc:
            raise UnsupportedSyntaxError(exc.message, self.loc(node), exc.hint) from None
        if func in self.stack:
            raise UnsupportedSyntaxError(
                f"recursive call to {func.__name__}() is not supported", self.loc(node),
                "rewrite the recursion as a loop")
        if len(self.stack) > _MAX_CALL_DEPTH:
            raise UnsupportedSyntaxError("calls nest too deeply", self.loc(node))
        args = [self.materialize_tree(self.expr(a), True) for a in node.args]
        kwargs = {k.arg: self.materialize_tree(self.expr(k.value), True)
                  for k in node.keywords}
        env = bind_arguments(src, args, kwargs, self.loc(node), self.b)
        env.update({k: v for k, v in self.env.items() if k.startswith(OBJ)})
        inner = Lowerer(src, self.b, env, self.stack + (func,), self.shared)
        check_signature(src)
        result = inner.lower_body()
        self.env.update({k: v for k, v in inner.env.items() if k.startswith(OBJ)})
        return result


# ------------------------------------------------------------------------- entry points
def check_signature(src: resolve.FunctionSource):
    a = src.node.args
    if a.vararg or a.kwarg:
        node = a.vararg or a.kwarg
        raise UnsupportedSyntaxError(f"*{node.arg} / **kwargs parameters are not supported",
                                     src.loc_of(node), "list the parameters one by one")


def param_names(src: resolve.FunctionSource) -> list[str]:
    a = src.node.args
    return [p.arg for p in a.posonlyargs + a.args + a.kwonlyargs]


def bind_arguments(src, args, kwargs, loc, b) -> dict:
    names = param_names(src)
    func = src.func
    defaults = {}
    pos = src.node.args.posonlyargs + src.node.args.args
    for p, d in zip(pos[len(pos) - len(func.__defaults__ or ()):], func.__defaults__ or ()):
        defaults[p.arg] = d
    defaults.update(func.__kwdefaults__ or {})
    if len(args) > len(pos):
        raise AdTypeError(f"{src.name}() takes {len(pos)} positional arguments but "
                          f"{len(args)} were given", loc)
    env = dict(zip([p.arg for p in pos], args))
    for k, v in kwargs.items():
        if k not in names:
            raise AdTypeError(f"{src.name}() got an unexpected keyword argument {k!r}", loc)
        if k in env:
            raise AdTypeError(f"{src.name}() got multiple values for argument {k!r}", loc)
        env[k] = v
    for n in names:
        if n not in env:
            if n not in defaults:
                raise AdTypeError(f"{src.name}() missing required argument {n!r}", loc)
            d = defaults[n]
            if not isinstance(d, (bool, int, float)):
                raise AdTypeError(f"default value of {n!r} must be a number", loc)
            env[n] = b.const(d)
    return env


def build_function(func, arg_types: list) -> Function:
    """Lower `func` for the given parameter types into one IR Function."""
    src = resolve.function_source(func)
    check_signature(src)
    names = param_names(src)
    if len(names) != len(arg_types):
        raise AdTypeError(f"{src.name}() takes {len(names)} parameters, got {len(arg_types)} types")
    fn = _lower(src, func, names, arg_types, set())
    written = written_array_objects(fn)
    copied = {i for i, p in enumerate(fn.params) if p.id in written}
    if copied:                  # never write into the caller's arrays: copy them on entry
        fn = _lower(src, func, names, arg_types, copied)
    returns = [n for n in ast.walk(src.node) if isinstance(n, ast.Return)]
    fn.result_loc = src.loc_of(returns[0]) if returns else src.loc
    return fn


def _lower(src, func, names, arg_types, copied) -> Function:
    params = [Value(t, n) for n, t in zip(names, arg_types)]
    body = Block(list(params))
    b = Builder(body, src.loc)
    shared = {"objects": {}, "obj_of": {}, "view_copies": set(), "copies": {},
              "stale_reads": []}
    lowerer = Lowerer(src, b, dict(zip(names, params)), (func,), shared)
    for i, p in enumerate(params):
        if isinstance(p.type, Array):
            v = b.prim("copy", p, hint=p.hint) if i in copied else p
            lowerer.env[p.hint] = v
            lowerer.new_object(v)
    result = lowerer.lower_body()
    lowerer.raise_stale_reads()
    leaves = flatten(result)
    with b.located(None):
        b.loc = None
        b.emit("return", leaves, [])
    return Function(src.name, params, body, src.filename, shape_of(result), src.loc)


# ------------------------------------------------------------------------- helpers
class _ArmEnv(dict):
    """An if arm's environment: a copy of the one before the if that records the names the
    arm binds or drops, so the merge looks at those instead of every name in scope (a
    function of n statements and n branches merges in O(n), not O(n^2))."""

    def __init__(self, base):
        super().__init__(base)
        self.changed: dict = {}

    def __setitem__(self, key, value):
        self.changed[key] = None
        super().__setitem__(key, value)

    def __delitem__(self, key):
        self.changed[key] = None
        super().__delitem__(key)

    def pop(self, key, *default):
        self.changed[key] = None
        return super().pop(key, *default)

    def update(self, *args, **kw):
        for key in dict(*args, **kw):
            self.changed[key] = None
        super().update(*args, **kw)

    def setdefault(self, key, default=None):
        self.changed[key] = None
        return super().setdefault(key, default)


def _changed_names(te, ee) -> list:
    """Names either arm may have rebound (every name when an arm's env is not recorded)."""
    if isinstance(te, _ArmEnv) and isinstance(ee, _ArmEnv):
        return list(dict.fromkeys(list(te.changed) + list(ee.changed)))
    return list(dict.fromkeys(list(te) + list(ee)))


def _tname(v) -> str:
    if isinstance(v, ArrayExpr):
        return "an array"
    return "a tuple" if isinstance(v, tuple) else {F64: "a float", I64: "an int",
                                                    BOOL: "a bool"}.get(v.type, str(v.type))


def _expr_text(node) -> str:
    """How the user wrote an expression, for messages (astor renders any node)."""
    import astor
    text = astor.to_source(node).strip()
    if text.startswith("(") and text.endswith(")"):      # astor's parentheses around it all
        depth = 0
        for k, ch in enumerate(text):
            depth += {"(": 1, ")": -1}.get(ch, 0)
            if depth == 0 and k < len(text) - 1:
                return text
        return text[1:-1]
    return text


def _tree_types(value):
    """The type tree of an env value: Slot leaves inside tuples."""
    return map_tree(lambda v: Slot(v.type, v.hint), value)


def _rename(tree, name):
    """Name the leaves of a variable's type tree after the variable (x, or x_0, x_1 in tuples);
    an array object keeps the name of the variable it was created under."""
    if name.startswith(OBJ) and isinstance(tree, Slot):
        return tree
    base = _hint(name)
    if isinstance(tree, Slot):
        return Slot(tree.type, base)
    leaves = flatten(tree)
    return unflatten(tree, [Slot(s.type, f"{base}_{k}") for k, s in enumerate(leaves)])


def _merge_tree(a, b, low, name):
    if a is None:
        return _tree_types(b)
    if b is None:
        return _tree_types(a)
    return _join(_tree_types(a), _tree_types(b), low, name)


def _join(ta, tb, low, name):
    a_leaf, b_leaf = isinstance(ta, Slot), isinstance(tb, Slot)
    if a_leaf and b_leaf:
        if ta.type == tb.type:
            return ta
        if is_scalar(ta.type) and is_scalar(tb.type):
            return Slot(promote(ta.type, tb.type), ta.hint)
        raise AdTypeError(f"variable {name!r} holds a {ta.type} on one path and a {tb.type} "
                          "on another", low.b.loc, "give the variable one type on every path")
    if a_leaf or b_leaf or len(ta) != len(tb):
        raise AdTypeError(f"variable {name!r} holds values of different shapes on "
                          "different paths (a number on one, a tuple on another)",
                          low.b.loc, "give the variable one shape on every path")
    return tuple(_join(x, y, low, name) for x, y in zip(ta, tb))


def _widen(old, new, low, node, name):
    if name == BRK:
        return old
    return _join(old, new, low, name) if old != new else old


def _strip_docstring(body):
    if body and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant) \
            and isinstance(body[0].value.value, str):
        return body[1:]
    return body


def _children_stmts(stmt):
    for field_ in ("body", "orelse"):
        yield from getattr(stmt, field_, []) or []


def _has_stmt(stmts, kind, into_loops=False) -> bool:
    """Does the block contain `kind` at this loop level (or anywhere, with into_loops)?"""
    for s in stmts:
        if isinstance(s, kind):
            return True
        if isinstance(s, (ast.For, ast.While)) and not into_loops:
            continue
        if isinstance(s, (ast.If, ast.For, ast.While)) and _has_stmt(list(_children_stmts(s)),
                                                                      kind, into_loops):
            return True
    return False


def _may_exit(stmt) -> bool:
    """Can executing stmt end the enclosing block early (return, or break/continue here)?"""
    if isinstance(stmt, ast.If):
        body = stmt.body + stmt.orelse
        return _has_stmt(body, (ast.Break, ast.Continue)) or \
            _has_stmt(body, ast.Return, into_loops=True)
    if isinstance(stmt, (ast.For, ast.While)):
        return _has_stmt(stmt.body, ast.Return, into_loops=True)
    return False


def _has_early_return(body) -> bool:
    """True unless the only return is the last top-level statement."""
    for i, s in enumerate(body):
        if isinstance(s, ast.Return):
            return False
        if isinstance(s, (ast.If, ast.For, ast.While)) and \
                _has_stmt(list(_children_stmts(s)), ast.Return, into_loops=True):
            return True
    return False


def _definitely_returns(stmts) -> bool:
    for s in stmts:
        if isinstance(s, ast.Return):
            return True
        if isinstance(s, ast.While) and isinstance(s.test, ast.Constant) and s.test.value \
                and not _has_stmt(s.body, ast.Break):
            return True                 # `while True:` without break leaves only by return
        if isinstance(s, ast.If) and _definitely_returns(s.body) and \
                _definitely_returns(s.orelse):
            return True
    return False


def _assigned_names(stmts, augmented: bool = True) -> list[str]:
    """Names the statements bind (with augmented=False, not counting `x op= ...`)."""
    out = {}

    def targets(t):
        if isinstance(t, ast.Name):
            out.setdefault(t.id)
        elif isinstance(t, (ast.Tuple, ast.List)):
            for e in t.elts:
                targets(e)

    for node in stmts:
        for sub in ast.walk(node):
            if isinstance(sub, ast.Assign):
                for t in sub.targets:
                    targets(t)
            elif isinstance(sub, ast.AnnAssign) or augmented and isinstance(sub, ast.AugAssign):
                targets(sub.target)
            elif isinstance(sub, ast.For):
                targets(sub.target)
    return list(out)


def _is_static_path(node, env) -> bool:
    """Is node a dotted name that starts outside the function (np, math.pi, module.f)?"""
    while isinstance(node, ast.Attribute):
        node = node.value
    return isinstance(node, ast.Name) and node.id not in env


def _is_safe(node) -> bool:
    """Expressions that cannot fail or have effects, so evaluating them eagerly is harmless."""
    if isinstance(node, (ast.Name, ast.Constant)):
        return True
    if isinstance(node, ast.UnaryOp):
        return _is_safe(node.operand)
    if isinstance(node, ast.BinOp) and isinstance(node.op, (ast.Add, ast.Sub, ast.Mult)):
        return _is_safe(node.left) and _is_safe(node.right)
    if isinstance(node, ast.Compare):
        return _is_safe(node.left) and all(_is_safe(c) for c in node.comparators)
    if isinstance(node, ast.BoolOp):
        return all(_is_safe(v) for v in node.values)
    return False
