"""Questions about the user's syntax tree, and how its nodes read in messages."""
from __future__ import annotations

import ast
import copy

from ..errors import Loc, UnsupportedSyntaxError
from ..types import BOOL, F64, I64
from ..valuetree import Record
from ..docs import doc_path

UNSUPPORTED_HINTS = {
    ast.Lambda: "define a named helper function with def and call it",
    ast.ClassDef: "keep classes outside the compiled function; pass numbers in as arguments",
    ast.Try: "remove try/except: compiled code cannot catch exceptions",
    ast.With: "move the with-block outside the compiled function",
    ast.Global: "pass the value in as an argument instead of using global",
    ast.Nonlocal: "pass the value in as an argument instead of using nonlocal",
    ast.Yield: "generators are not supported; return the values instead",
    ast.YieldFrom: "generators are not supported; return the values instead",
    ast.ListComp: "sum it (sum([...]), min, max), or build an array in a loop: "
                  "out = np.empty(n); for i in range(n): out[i] = ...",
    ast.GeneratorExp: "sum it (sum(...), min, max), or accumulate in a loop: "
                      "s = 0.0; for v in x: s += ...",
    ast.DictComp: "write an explicit for loop",
    ast.SetComp: "write an explicit for loop",
    ast.List: "use a tuple (a, b) for a fixed group of numbers",
    ast.Dict: "pass the values as separate arguments",
    ast.Set: "pass the values as separate arguments",
    ast.FunctionDef: "define helper functions at module level, not inside the compiled function",
    ast.AsyncFunctionDef: "async code is not supported",
    ast.Await: "async code is not supported",
    ast.Raise: "raise is not supported inside compiled code; check inputs before calling",
    ast.Delete: "del is not supported; just stop using the variable",
    ast.Starred: "unpack into a fixed number of names instead",
    ast.JoinedStr: "strings are not supported inside compiled code",
    ast.NamedExpr: "assign with = on its own line",
    ast.Import: "import modules at the top of the file, not inside the function",
    ast.ImportFrom: "import modules at the top of the file, not inside the function",
}

BINOPS = {ast.Add: "add", ast.Sub: "sub", ast.Mult: "mul", ast.Div: "div",
          ast.FloorDiv: "floordiv", ast.Mod: "mod", ast.Pow: "pow"}
# &, |, ^ of booleans and boolean arrays (masks); integers' bitwise operators are not supported
BITOPS = {ast.BitAnd: "and", ast.BitOr: "or", ast.BitXor: "ne"}
CMPOPS = {ast.Lt: "lt", ast.LtE: "le", ast.Gt: "gt", ast.GtE: "ge", ast.Eq: "eq", ast.NotEq: "ne"}


def bool_chain(node: ast.BoolOp, expr, lazy_bool):
    """a and b and c (or `or`): each operand after the first through lazy_bool(kind, acc,
    operand node), the lowering's or the abstract interpretation's."""
    kind = "and" if isinstance(node.op, ast.And) else "or"
    acc = expr(node.values[0])
    for rhs in node.values[1:]:
        acc = lazy_bool(kind, acc, rhs)
    return acc


def node_label(node) -> str:
    name = type(node).__name__
    return {"ListComp": "list comprehension", "GeneratorExp": "generator expression",
            "DictComp": "dict comprehension", "SetComp": "set comprehension",
            "ClassDef": "class definition", "Try": "try statement", "With": "with statement",
            "FunctionDef": "nested function definition", "Lambda": "lambda",
            "JoinedStr": "f-string", "ImportFrom": "import"}.get(name, name.lower())


UNSUPPORTED_WHAT = {
    ast.GeneratorExp: "a generator expression is only supported as the argument of sum(), "
                      "min() or max()",
    ast.ListComp: "this list comprehension is not supported",
}


def unsupported(loc: Loc, node, what=None, hint=None):
    what = what or UNSUPPORTED_WHAT.get(type(node), f"{node_label(node)} is not supported")
    hint = hint or UNSUPPORTED_HINTS.get(type(node),
                                         f"see {doc_path('supported.md')} for the subset")
    raise UnsupportedSyntaxError(what, loc, hint)


def tname(v) -> str:
    """How a value's type reads in messages: a float, an array, a tuple, ..."""
    from .lazy import ArrayExpr
    if isinstance(v, ArrayExpr):
        return "an array"
    if isinstance(v, tuple):
        return "a dict" if isinstance(v, Record) else "a tuple"
    return {F64: "a float", I64: "an int", BOOL: "a bool"}.get(v.type, str(v.type))


def expr_text(node) -> str:
    """How the user wrote an expression, for messages (astor renders any node)."""
    import astor
    text = astor.to_source(_unshared(node)).strip()
    if text.startswith("(") and text.endswith(")"):      # astor's parentheses around it all
        depth = 0
        for k, ch in enumerate(text):
            depth += {"(": 1, ")": -1}.get(ch, 0)
            if depth == 0 and k < len(text) - 1:
                return text
        return text[1:-1]
    return text


def _unshared(node):
    """node as the user wrote it: desugaring's Shared operands and Accumulate calls (which
    walks show as the call), and its hidden names (a comprehension's variables)."""
    from ..comprehensions import Accumulate, Hidden
    from ..desugar import Shared
    if not any(isinstance(n, (Shared, Accumulate)) or
               isinstance(n, ast.Name) and isinstance(n.id, Hidden) for n in ast.walk(node)):
        return node

    class Unshare(ast.NodeTransformer):
        def visit_Shared(self, n):
            return self.visit(n.value)

        def visit_Accumulate(self, n):
            return self.visit(n.value)

        def visit_Name(self, n):
            return ast.Name(id=n.id.text, ctx=n.ctx) if isinstance(n.id, Hidden) else n
    return Unshare().visit(copy.deepcopy(node))


def strip_docstring(body):
    if body and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant) \
            and isinstance(body[0].value.value, str):
        return body[1:]
    return body


def _children_stmts(stmt):
    for field_ in ("body", "orelse"):
        yield from getattr(stmt, field_, []) or []


def has_stmt(stmts, kind, into_loops=False) -> bool:
    """Does the block contain `kind` at this loop level (or anywhere, with into_loops)?"""
    for s in stmts:
        if isinstance(s, kind):
            return True
        if isinstance(s, (ast.For, ast.While)) and not into_loops:
            continue
        if isinstance(s, (ast.If, ast.For, ast.While)) and has_stmt(list(_children_stmts(s)),
                                                                     kind, into_loops):
            return True
    return False


def may_exit(stmt) -> bool:
    """Can executing stmt end the enclosing block early (return, or break/continue here)?"""
    if isinstance(stmt, ast.If):
        body = stmt.body + stmt.orelse
        return has_stmt(body, (ast.Break, ast.Continue)) or \
            has_stmt(body, ast.Return, into_loops=True)
    if isinstance(stmt, (ast.For, ast.While)):
        return has_stmt(stmt.body, ast.Return, into_loops=True)
    return False


def has_early_return(body) -> bool:
    """True unless the only return is the last top-level statement."""
    for s in body:
        if isinstance(s, ast.Return):
            return False
        if isinstance(s, (ast.If, ast.For, ast.While)) and \
                has_stmt(list(_children_stmts(s)), ast.Return, into_loops=True):
            return True
    return False


def returns_value(fn: ast.FunctionDef) -> bool:
    """Does the function have a `return <value>` (else it returns nothing: None)?"""
    return any(isinstance(n, ast.Return) and n.value is not None for n in ast.walk(fn))


def definitely_returns(stmts) -> bool:
    for s in stmts:
        if isinstance(s, ast.Return):
            return True
        if isinstance(s, ast.While) and isinstance(s.test, ast.Constant) and s.test.value \
                and not has_stmt(s.body, ast.Break):
            return True                 # `while True:` without break leaves only by return
        if isinstance(s, ast.If) and definitely_returns(s.body) and \
                definitely_returns(s.orelse):
            return True
    return False


def assigned_names(stmts, augmented: bool = True) -> list[str]:
    """Names the statements bind (with augmented=False, not counting `x op= ...`)."""
    out = {}

    def targets(t):
        if isinstance(t, ast.Name):
            out.setdefault(t.id)
        elif isinstance(t, (ast.Tuple, ast.List)):
            for e in t.elts:
                targets(e)

    forgotten = set()
    for node in stmts:
        for sub in ast.walk(node):
            if isinstance(sub, ast.Assign):
                for t in sub.targets:
                    targets(t)
            elif isinstance(sub, ast.AnnAssign) or augmented and isinstance(sub, ast.AugAssign):
                targets(sub.target)
            elif isinstance(sub, ast.For):
                targets(sub.target)
            elif type(sub).__name__ == "Forget":     # comprehensions.Forget: unbound after
                forgotten.update(sub.names)
    return [n for n in out if n not in forgotten]


def is_static_path(node, env) -> bool:
    """Is node a dotted name that starts outside the function (np, math.pi, module.f)?"""
    while isinstance(node, ast.Attribute):
        node = node.value
    return isinstance(node, ast.Name) and node.id not in env


def is_safe(node) -> bool:
    """Expressions that cannot fail or have effects, so evaluating them eagerly is harmless."""
    if isinstance(node, (ast.Name, ast.Constant)):
        return True
    if isinstance(node, ast.UnaryOp):
        return is_safe(node.operand)
    if isinstance(node, ast.BinOp) and isinstance(node.op, (ast.Add, ast.Sub, ast.Mult)):
        return is_safe(node.left) and is_safe(node.right)
    if isinstance(node, ast.Compare):
        return is_safe(node.left) and all(is_safe(c) for c in node.comparators)
    if isinstance(node, ast.BoolOp):
        return all(is_safe(v) for v in node.values)
    return False


def index_parts(node) -> list:
    """The index expressions of a subscript: x[i, j] -> [i, j], x[i] -> [i]."""
    return node.elts if isinstance(node, ast.Tuple) else [node]
