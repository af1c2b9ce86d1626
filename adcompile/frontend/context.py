"""The one object the lowering of a function shares: created once, in `build_function`.

It holds the builder (where ops go), the frame of the function being lowered (its source,
its environment of names, the stack of inlined calls), the array objects and the records of
copies made for views, and the lowering's parts, each a small class that reaches the others
through the context:

| part | lowers |
|---|---|
| `stmts` (statements.py) | a function body, assignments, returns, break/continue, if/for/while |
| `branches` (branches.py) | if/else regions: merging the names the arms bind |
| `loops` (loops.py) | for/while regions: the names a loop carries, with their types |
| `infer` (infer.py) | the abstract interpretation of a loop body that finds those types |
| `exprs` (expressions.py) | names, constants, operators, comparisons, and/or, conditions |
| `calls` (calls.py) | calls: primitive rows' binders, the frontend's own callees, helpers |
| `arrays` (arrays.py) | array objects and versions, element reads and writes, construction |
| `lazy` (lazy.py) | whole-array expressions, fused loop nests, reductions, products |
| `views` (views.py) | slices, attributes, views bound to names and their checked copies |
| `captured` (captured.py) | arrays read from outside (closures, modules, `self.W`): parameters |
"""
from __future__ import annotations

from contextlib import contextmanager

from .. import resolve
from ..builder import Builder
from ..desugar import desugar
from ..errors import AdTypeError
from ..resolve import FunctionSource
from .arrays import Arrays
from .branches import Branches
from .captured import Captured
from .calls import BinderLowering, Calls
from .expressions import Expressions
from .infer import Infer
from .constructors import Constructors
from .lazy import Lazy
from .reductions import Reductions
from .shapes import Shapes
from .loops import Loops
from .state import ArrayObjects, CopyRecords, Frame
from .statements import Statements
from .syntax import unsupported
from .compositions import Compositions
from .fancy import Fancy
from .listcomps import ListComps
from .numeric import Numeric
from .views import Views


class Context:
    """The state of one build: builder, current frame, array objects, copies; and the parts."""

    def __init__(self, src: FunctionSource, b: Builder, env: dict, func):
        self.b = b
        self.frame = Frame(src, env, (func,))
        self.objects = ArrayObjects()
        self.copies = CopyRecords()
        self.sources: dict = {}                # helper function -> its desugared source
        self.shared: dict = {}                 # desugar.Shared node -> its value, until reused
        self.derivatives: list = []            # derivatives made by adcompile called here
        self.stmts = Statements(self)
        self.branches = Branches(self)
        self.loops = Loops(self)
        self.exprs = Expressions(self)
        self.calls = Calls(self)
        self.arrays = Arrays(self)
        self.lazy = Lazy(self)
        self.views = Views(self)
        self.fancy = Fancy(self)
        self.shapes = Shapes(self)
        self.reductions = Reductions(self)
        self.constructors = Constructors(self)
        self.listcomps = ListComps(self)
        self.listlike: set = set()             # array objects made from list comprehensions
        self.compositions = Compositions(self)
        self.numeric = Numeric(self)
        self.binder = BinderLowering(self)     # what the primitive rows' binders may use
        self.infer = Infer(self)               # what loops carry, before they are lowered
        self.captured = Captured(self, b.block)   # arrays read from outside: parameters
        self.entry_block = b.block             # the function's straight-line top level
        self.effects: list = []                # self.nfev += 1: applied by the caller

    # -- the current frame -----------------------------------------------------------------
    @property
    def env(self) -> dict:
        return self.frame.env

    @env.setter
    def env(self, env: dict):
        self.frame.env = env

    @property
    def src(self) -> FunctionSource:
        return self.frame.src

    @contextmanager
    def inlined(self, src: FunctionSource, env: dict, func):
        """Lower a helper's body in its own frame (its names, its source)."""
        saved = self.frame
        self.frame = Frame(src, env, saved.stack + (func,))
        try:
            yield self.frame
        finally:
            self.frame = saved

    def helper_source(self, func) -> FunctionSource:
        """The desugared source of a helper function (read once per build)."""
        if func not in self.sources:
            self.sources[func] = desugar(resolve.function_source(func))
        return self.sources[func]

    # -- errors ----------------------------------------------------------------------------
    def loc(self, node):
        return self.frame.src.loc_of(node)

    def unsupported(self, node, what=None, hint=None):
        unsupported(self.loc(node), node, what, hint)

    def type_error(self, node, msg, hint=None):
        raise AdTypeError(msg, self.loc(node), hint)

    def where(self, node, what: str = "index out of range") -> str:
        """The message a run-time check of `node` reports: file:line:col: the text: what."""
        from .syntax import expr_text
        loc = self.loc(node)
        return f"{loc.short()}:{loc.col + 1}: {expr_text(node)}: {what}"


__all__ = ["Context"]
