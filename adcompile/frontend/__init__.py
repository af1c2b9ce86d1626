"""Frontend: Python AST -> typed SSA IR, through an allow-list of syntax.

Every syntax node has an explicit handler; anything else raises UnsupportedSyntaxError at the
user's file:line:col. Control flow becomes structured regions: `break`, `continue` and early
`return` become boolean flags that guard the rest of a block and leave loops through the loop's
exit yield. Calls to other user functions are inlined (differentiated through), so the IR of one
signature is one function. Tuples are flattened into their elements.

`build_function` is the entry: the function's source is desugared (desugar.py: chained
comparisons, augmented assignment to numbers, sums of generator expressions as loops) and
lowered once; the lowering's state is one
`Context` (context.py), whose parts (statements, branches, loops, expressions, calls, arrays,
lazy array expressions, views, and the abstract interpretation of loop bodies that finds what
loops carry) are the modules of this package.
"""
from __future__ import annotations

import ast

from .. import resolve
from ..builder import Builder
from ..desugar import desugar
from ..errors import AdTypeError
from ..ir import Block, Function, Rewriter, Value
from ..passes.buffers import written_array_objects
from ..structured import frontend_tree, leaf_paths, leaf_types
from ..types import Array
from ..valuetree import flatten, shape_of
from .calls import param_names, variadic
from .context import Context


def build_function(func, arg_types: list) -> Function:
    """Lower `func` for the given parameter types into one IR Function (lowered once)."""
    src = resolve.function_source(func)
    names = param_names(src)
    if len(names) != len(arg_types):
        raise AdTypeError(f"{src.name}() takes {len(names)} parameters, got {len(arg_types)} types")
    src = desugar(src, list(arg_types))
    # a structured parameter (dict, tuple, list: structured.py) is its leaves, each a
    # parameter of the IR function; the name holds them as a tuple (a Record for a dict)
    params, trees = [], {}
    for n, t in zip(names, arg_types):
        leaves = [Value(lt, hint) for lt, (_, hint) in zip(leaf_types(t), leaf_paths(n, t))]
        params += leaves
        trees[n] = (t, leaves)
    body = Block(list(params))
    b = Builder(body, src.loc)
    cx = Context(src, b, {}, func)
    copies = {}
    for p in params:            # every array parameter starts as a copy: see _keep_copies
        if isinstance(p.type, Array):
            copies[p] = b.prim("copy", p, hint=p.hint)
            cx.arrays.new_object(copies[p])
    for n, (t, leaves) in trees.items():
        cx.env[n] = frontend_tree(t, [copies.get(v, v) for v in leaves])
    cx.env.update(variadic(src))            # *args: (), **kwargs: {}
    result = cx.stmts.lower_body()
    for p, (scope, root, attrs) in zip(cx.captured.params, cx.captured.recipes):
        Rewriter.add_block_arg(body, p)          # read at every call, after the user's
        params.append(p)
        copies[p] = cx.captured.values[(id(scope), root, attrs)]
    cx.views.raise_stale_reads()
    with b.located(None):
        b.loc = None
        b.emit("return", flatten(result), [])
    fn = Function(src.name, params, body, src.filename, shape_of(result), src.loc,
                  captured=tuple(cx.captured.recipes), effects=tuple(cx.effects))
    fn.derivatives = tuple(dict.fromkeys(cx.derivatives))
    _keep_copies(fn, copies)
    returns = [n for n in ast.walk(src.node) if isinstance(n, ast.Return)]
    fn.result_loc = src.loc_of(returns[0]) if returns else src.loc
    return fn


def _keep_copies(fn: Function, copies: dict):
    """Never write into the caller's arrays: an array parameter the function writes into
    (through any name or alias, or a helper it is passed to) is copied on entry. Which ones
    are written is known once the body is lowered (the writes reach the copy's array object),
    so the body is lowered with every array parameter copied, and the copies of the
    parameters nothing writes are dropped: their uses read the parameter itself."""
    written = written_array_objects(fn)
    rw = Rewriter()
    for p, c in copies.items():
        if c.id not in written:
            rw.replace_all_uses(c, p, fn.body)
            rw.erase(c.owner)
            p.hint = c.hint                # a rename of the copy (`y = v`) names the parameter


__all__ = ["build_function", "param_names", "variadic"]
