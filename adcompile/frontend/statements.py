"""Statements: a function body, assignments, return/break/continue, if/for/while.

`break`, `continue` and early `return` set boolean flags (the keys BRK, CONT, RET) that
guard the rest of their block and leave loops through the loop's exit yield.
"""
from __future__ import annotations

import ast

from ..builder import const_value
from ..errors import UnsupportedSyntaxError
from ..ir import Value
from ..valuetree import Record
from ..types import BOOL, I64
from .lazy import ArrayExpr, Leaf, View
from .state import BRK, CONT, GENERIC, ITER, RET, RETVAL
from .syntax import BINOPS, definitely_returns, has_early_return, may_exit, node_label, \
    strip_docstring, tname


class Statements:
    """Lowers statement nodes; every statement type has its handler."""

    def __init__(self, cx):
        self.cx = cx

    def lower_body(self) -> object:
        """The current frame's function body; its returned value."""
        cx = self.cx
        body = strip_docstring(cx.src.node.body)
        if has_early_return(body):
            cx.env[RET] = cx.b.const(False, hint="returned")
        self.block(body)
        if not definitely_returns(body):
            raise UnsupportedSyntaxError(
                f"{cx.src.name}() can reach its end without returning a value",
                cx.src.loc, "end every path with a return statement")
        return cx.env[RETVAL]

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
        self.cx.exprs.expr(node.value)

    def visit_Pass(self, node):
        pass

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
        if not isinstance(node.target, ast.Name):
            cx.unsupported(node.target, "augmented assignment to this target is not supported")
        cur = cx.exprs.lookup(node.target.id, node.target)
        self.assign(node.target, cx.exprs.binop(op, cur, cx.exprs.expr(node.value), node))

    def assign(self, target, value):
        cx = self.cx
        if isinstance(value, ArrayExpr) and not isinstance(value, View) and \
                not isinstance(target, ast.Subscript):   # a name bound to a slice: a view
            name = target.id if isinstance(target, ast.Name) else ""
            value = cx.lazy.materialize(value, name)
        if isinstance(target, ast.Name):
            if isinstance(value, Value) and value.hint in GENERIC and \
                    getattr(value.owner, "name", "") not in ("const", "undef"):
                value.hint = target.id
            cx.env[target.id] = value
        elif isinstance(target, (ast.Tuple, ast.List)):
            if not isinstance(value, tuple):
                cx.type_error(target, "cannot unpack a number into several names")
            if isinstance(value, Record):
                cx.unsupported(target, "unpacking a dict gives its keys, not its values",
                               "read the items by key: W1, b1 = params['W1'], params['b1']")
            if len(target.elts) != len(value):
                cx.type_error(target, f"cannot unpack {len(value)} values into "
                                      f"{len(target.elts)} names")
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
        cx = self.cx
        b = cx.b
        if node.orelse:
            cx.unsupported(node, "for ... else is not supported", "use a flag variable")
        it = node.iter
        callee = cx.calls.callee_of_call(it) if isinstance(it, ast.Call) else None
        if not isinstance(node.target, ast.Name):
            cx.unsupported(node.target, "the loop variable must be a single name")
        if callee is None or callee.kind != "range":
            if isinstance(it, (ast.List, ast.Tuple, ast.Set, ast.Dict, ast.Constant)):
                cx.unsupported(it, "for loops run over range(...) or over an array",
                               "loop over indices: for i in range(n)")
            seq = cx.exprs.expr(it)
            if not cx.lazy.is_array(seq):
                cx.unsupported(it, "for loops run over range(...) or over an array",
                               "loop over indices: for i in range(n)")
            x = cx.lazy.as_expr(seq)
            if not isinstance(x, (Leaf, View)):
                x = cx.lazy.as_expr(cx.lazy.materialize(x))
            n = x.dims(cx)[0]
            cx.loops.loop(node, [b.const(0), n, b.const(1)], ITER, element=(node.target.id, x))
            return
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
        cx.loops.loop(node, bounds, node.target.id)

    def visit_While(self, node):
        if node.orelse:
            self.cx.unsupported(node, "while ... else is not supported", "use a flag variable")
        self.cx.loops.loop(node, None, None)


__all__ = ["Statements"]
