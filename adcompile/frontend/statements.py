"""Statements: a function body, assignments, return/break/continue, if/for/while.

`break`, `continue` and early `return` set boolean flags (the keys BRK, CONT, RET) that
guard the rest of their block and leave loops through the loop's exit yield.
"""
from __future__ import annotations

import ast

from ..builder import const_value
from ..resolve import is_prange
from ..errors import AssertionFailed, UnsupportedSyntaxError
from ..ir import Value
from ..valuetree import Record
from ..types import BOOL, I64
from . import iteration
from .lazy import ArrayExpr, View
from .state import BRK, CONT, GENERIC, ITER, RET, RETVAL, NoResult, bind_name, hint_of
from .captured import path_of
from .expressions import is_data_object
from .syntax import BINOPS, definitely_returns, expr_text, has_early_return, may_exit, \
    node_label, returns_value, strip_docstring, tname


class Statements:
    """Lowers statement nodes; every statement type has its handler."""

    def __init__(self, cx):
        self.cx = cx

    def lower_body(self) -> object:
        """The current frame's function body; its returned value (NoResult for a helper
        without a `return <value>`: it is called for what it writes into arrays)."""
        cx = self.cx
        body = strip_docstring(cx.src.node.body)
        void = self.returns_nothing()
        if has_early_return(body):
            cx.env[RET] = cx.b.const(False, hint="returned")
        if void:                    # never read; a loop that may return carries a value
            cx.env[RETVAL] = cx.b.const(False, hint="ret")
        self.block(body)
        if void:
            return NoResult(cx.src.name)
        if not definitely_returns(body):
            helper = len(cx.frame.stack) > 1
            raise UnsupportedSyntaxError(
                f"{cx.src.name}() can reach its end without returning a value",
                cx.src.loc, "end every path with a return statement" + (
                    " (a helper that returns nothing must not return a value anywhere)"
                    if helper else ""))
        return cx.env[RETVAL]

    def returns_nothing(self) -> bool:
        """Is the current frame a helper without any `return <value>`?"""
        return len(self.cx.frame.stack) > 1 and not returns_value(self.cx.src.node)

    def block(self, stmts):
        cx = self.cx
        for i, stmt in enumerate(stmts):
            with cx.b.located(cx.loc(stmt)):
                self.visit(stmt)
            if isinstance(stmt, (ast.Return, ast.Break, ast.Continue)):
                return                                  # the rest is unreachable
            rest = stmts[i + 1:]
            if rest and may_exit(stmt):
                with cx.b.located(cx.loc(stmt)):
                    live = self.live_condition()
                    if live is not None:
                        cx.branches.branch(live, lambda: self.block(rest), lambda: None)
                return

    def visit(self, stmt):
        handler = getattr(self, "visit_" + type(stmt).__name__, None)
        if handler is None:
            self.cx.unsupported(stmt)
        handler(stmt)

    def live_condition(self) -> Value | None:
        """True while no break/continue/return has fired in the enclosing block."""
        cx = self.cx
        flags = [cx.env[f] for f in (RET, BRK, CONT) if f in cx.env]
        if not flags:
            return None
        stop = flags[0]
        for f in flags[1:]:
            stop = cx.b.prim("or", stop, f)
        return cx.b.prim("not", stop, hint="live")

    # ---------------------------------------------------------------- simple statements
    def visit_Expr(self, node):
        if isinstance(node.value, ast.Constant) and isinstance(node.value.value, str):
            return                                      # a stray string: a comment
        self.cx.exprs.expr(node.value, statement=True)

    def visit_Pass(self, node):
        pass

    def visit_Forget(self, node):
        for name in node.names:
            self.cx.env.pop(name, None)

    def visit_Assert(self, node):
        """assert c (, message): checked where it stands, in compiled code; a condition
        known at compile time is checked when the function compiles."""
        cx = self.cx
        cond = cx.exprs.truth(cx.exprs.expr(node.test), node.test)
        known = const_value(cond)
        if known is None:
            cx.b.prim("assert_true", cond, where=cx.where(node, "assertion failed"))
        elif not known:
            raise AssertionFailed(f"the assertion {expr_text(node.test)} is false for these "
                                  "argument types", cx.loc(node),
                                  "the function would raise AssertionError at every call")

    def visit_Assign(self, node):
        value = self.cx.exprs.expr(node.value)
        for target in node.targets:
            self.assign(target, value)

    def visit_AnnAssign(self, node):
        if node.value is None:
            return
        self.assign(node.target, self.cx.exprs.expr(node.value))

    def visit_AugAssign(self, node):
        """x op= e: in place for arrays (every alias sees it, as in NumPy) and array
        elements; x = x op e otherwise."""
        cx = self.cx
        op = BINOPS.get(type(node.op))
        if op is None:
            cx.unsupported(node, f"operator {type(node.op).__name__} is not supported")
        if isinstance(node.target, ast.Subscript):
            cx.arrays.array_store(node.target, cx.exprs.expr(node.value), op)
            return
        if isinstance(node.target, ast.Name) and node.target.id in cx.env and \
                cx.lazy.is_array(cx.exprs.lookup(node.target.id, node.target)):
            arr = cx.exprs.lookup(node.target.id, node.target)
            view = cx.views.view_of(cx.lazy.as_expr(arr), node.target)
            cx.arrays.view_store(view, cx.exprs.expr(node.value), op, node.target)
            return
        if isinstance(node.target, ast.Attribute):
            return self.host_effect(node, op)
        if not isinstance(node.target, ast.Name):
            cx.unsupported(node.target, "augmented assignment to this target is not supported")
        cur = cx.exprs.lookup(node.target.id, node.target)
        self.assign(node.target, cx.exprs.binop(op, cur, cx.exprs.expr(node.value), node))

    def unpack_array(self, target, value) -> tuple:
        """a, b = x: x's elements (rows of a matrix) along its first axis, whose length
        must be the number of names (checked at run time, as NumPy's ValueError)."""
        cx = self.cx
        b = cx.b
        if any(isinstance(t, ast.Starred) for t in target.elts):
            cx.unsupported(target, "starred unpacking of an array is not supported",
                           "slice it: first, rest = x[0], x[1:]")
        x = cx.lazy.as_expr(value)
        k = len(target.elts)
        n = b.prim("same_size", x.dims(cx)[0], b.const(k),
                   where=cx.where(target, f"cannot unpack the array into {k} names"))
        first = b.prim("sub", n, b.const(k))          # 0: the check stays used
        return tuple(cx.views.element_of(x, b.prim("add", first, b.const(j)))
                     for j in range(k))

    def host_effect(self, node, op):
        """self.nfev += 1 (a call counter on an object): not compiled; the call applies it
        to the object, in Python, each time the function runs. Only a number known at
        compile time, added on the function's straight-line path (not in a loop or a
        branch), to an attribute of an object the function reads from outside."""
        cx = self.cx
        target = node.target
        root, attrs = path_of(target)
        base = None
        if root is not None and root not in cx.env:
            base = cx.exprs.static_value(target.value)
        if base is None or not is_data_object(base) or not hasattr(base, target.attr):
            cx.unsupported(target, f"augmented assignment to {expr_text(target)} is not "
                                   "supported", "assign to a name, or to an array element")
        amount = cx.exprs.expr(node.value)
        known = None if isinstance(amount, tuple) else const_value(amount)
        if op not in ("add", "sub") or isinstance(known, bool) or \
                not isinstance(known, (int, float)):
            cx.unsupported(node, f"{expr_text(target)} can only count: `+=` or `-=` of a "
                                 "number known at compile time (compiled code does not "
                                 "write Python objects)",
                           "compute the value and return it, or update the object outside "
                           "the function")
        if cx.b.block is not cx.entry_block:
            cx.unsupported(node, f"{expr_text(target)} {'+' if op == 'add' else '-'}= ... "
                                 "inside a loop or a branch is not supported (compiled code "
                                 "does not write Python objects; the call applies a counter "
                                 "on the function's straight-line path)",
                           "move it out of the loop or branch")
        cx.effects.append((cx.src.scope, root, attrs, op, known))

    def assign(self, target, value):
        cx = self.cx
        if isinstance(value, ArrayExpr) and not isinstance(value, View) and \
                not isinstance(target, ast.Subscript):   # a name bound to a slice: a view
            name = hint_of(target.id) if isinstance(target, ast.Name) else ""
            value = cx.lazy.materialize(value, name)
        if isinstance(target, ast.Name):
            if isinstance(value, Value) and value.hint in GENERIC and \
                    getattr(value.owner, "name", "") not in ("const", "undef"):
                value.hint = hint_of(target.id)
            bind_name(cx.env, target.id, value)
        elif isinstance(target, (ast.Tuple, ast.List)):
            if not isinstance(value, tuple) and cx.lazy.is_array(value):
                value = self.unpack_array(target, value)
            if not isinstance(value, tuple):
                cx.type_error(target, "cannot unpack a number into several names",
                              "assign it to one name")
            if isinstance(value, Record):
                cx.unsupported(target, "unpacking a dict gives its keys, not its values",
                               "read the items by key: W1, b1 = params['W1'], params['b1']")
            if len(target.elts) != len(value):
                cx.type_error(target, f"cannot unpack {len(value)} values into "
                                      f"{len(target.elts)} names",
                              f"use {len(value)} names on the left")
            for t, v in zip(target.elts, value):
                self.assign(t, v)
        elif isinstance(target, ast.Subscript):
            cx.arrays.array_store(target, value)
        else:
            cx.unsupported(target, f"assignment to {node_label(target)} is not supported",
                           "assign to plain names")

    def visit_Return(self, node):
        cx = self.cx
        if node.value is None:
            if self.returns_nothing():         # a helper called for its writes
                if RET in cx.env:
                    cx.env[RET] = cx.b.const(True, hint="returned")
                return
            if len(cx.frame.stack) > 1:
                cx.unsupported(node, f"{cx.src.name}() returns a value elsewhere, but "
                                     "nothing here", "return a value on every path")
            cx.unsupported(node, "a return without a value is not supported",
                           "return the number (or tuple) the function computes")
        # a helper may return a view of its caller's array; the function's result is a copy
        cx.env[RETVAL] = cx.lazy.materialize_tree(cx.exprs.expr(node.value),
                                                  keep_views=len(cx.frame.stack) > 1)
        if RET in cx.env:
            cx.env[RET] = cx.b.const(True, hint="returned")

    def visit_Break(self, node):
        self.cx.env[BRK] = self.cx.b.const(True, hint="broke")

    def visit_Continue(self, node):
        self.cx.env[CONT] = self.cx.b.const(True, hint="skip")

    # ---------------------------------------------------------------- compound statements
    def visit_If(self, node):
        cx = self.cx
        cond = cx.exprs.truth(cx.exprs.expr(node.test), node.test)
        cx.branches.branch(cond, lambda: self.block(node.body), lambda: self.block(node.orelse))

    def visit_For(self, node):
        """for i in range(...) (the index is the loop's own); anything else over arrays,
        ranges, enumerate and zip counts k = 0, 1, ... and binds the target from k
        (iteration.py); a loop over a tuple is unrolled."""
        cx = self.cx
        b = cx.b
        if node.orelse:
            cx.unsupported(node, "for ... else is not supported", "use a flag variable")
        it = node.iter
        callee = cx.calls.callee_of_call(it) if isinstance(it, ast.Call) else None
        if getattr(callee, "kind", None) == "range" and isinstance(node.target, ast.Name):
            if is_prange(callee):            # numba.prange: a range loop, marked parallel
                cx.loops.parallel.add(node)  # (differentiated serially: docs/parallel.md)
            cx.loops.loop(node, self.range_bounds(it), node.target.id)
            return
        ops = iteration.LoweringOps(cx)
        tree, count = iteration.plan(ops, it)
        if count is None:
            iteration.unroll(iteration.LoweringHost(cx), node, tree)
            return
        each = iteration.Each(iteration.bindings(ops, node.target, tree))
        cx.loops.loop(node, [b.const(0), count, b.const(1)], ITER, element=each)

    def range_bounds(self, it) -> list:
        """[lo, hi, step] of a call of range (checked: 1 to 3 integers, a step not 0)."""
        cx, b = self.cx, self.cx.b
        if it.keywords or not 1 <= len(it.args) <= 3:
            cx.type_error(it, "range() takes 1 to 3 positional arguments")
        bounds = [cx.exprs.expr(a) for a in it.args]
        for a, v in zip(it.args, bounds):
            if isinstance(v, tuple) or v.type not in (I64, BOOL):
                cx.type_error(a, f"range() needs integers, got {tname(v)}",
                              "convert with int(...) if the value is a whole number")
        bounds = [b.prim("to_i64", v) if v.type == BOOL else v for v in bounds]
        if len(bounds) == 1:
            bounds = [b.const(0)] + bounds
        if len(bounds) == 2:
            bounds.append(b.const(1))
        if const_value(bounds[2]) == 0:
            cx.type_error(it.args[2], "range() step must not be zero")
        return bounds

    def visit_While(self, node):
        if node.orelse:
            self.cx.unsupported(node, "while ... else is not supported", "use a flag variable")
        self.cx.loops.loop(node, None, None)


__all__ = ["Statements"]
