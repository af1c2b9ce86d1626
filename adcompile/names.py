"""Python variable names for IR values: coalescing loop-carried and branch values into one name.

Values that flow into each other (a loop's initial value, block argument, yielded value and
result; an if's result and the values its branches yield) share one Python name when their
live ranges do not interfere, so `s = s + x` reads like the user's code instead of a chain of
copies. Interference is the SSA test: v and w interfere when one is live at the other's
definition. Liveness follows the structured control flow: uses in the other arm of an `if` are
not reachable, and a value defined outside a loop and used inside it is live through the loop.
"""
from __future__ import annotations

import keyword

from .ir import Block, Function, IfOp, LoopOp, Op, Value, WhileOp
from .prims import runtime_helpers


TAPE_HELPERS = ("grow_tape", "no_length_one_axis", "parallel_chunks")   # runtime helpers codegen itself calls
# names generated code uses: modules, builtins, and the runtime helpers it imports (those the
# rows' emitters call, and the tapes' own)
RESERVED = {"math", "np", "vm", "numba", "prange", "float", "int", "bool", "abs", "max", "min", "round", "len",
            "range", "True", "False", "None", "print", *TAPE_HELPERS} | runtime_helpers()


class Layout:
    """Program positions of ops and the structured context of each op."""

    def __init__(self, fn: Function):
        self.start: dict[int, int] = {}
        self.end: dict[int, int] = {}
        self.ctx: dict[int, tuple] = {}        # op id -> ((region op, region index), ...)
        self.uses: dict[int, list] = {}        # value id -> [user op]
        self.def_site: dict[int, tuple] = {}   # value id -> (ctx, pos, enclosing ops set)
        self.count = 0
        for p in fn.params:
            self.def_site[p.id] = ((), -1)
        self._walk(fn.body, ())

    def _walk(self, blk: Block, ctx: tuple):
        for op in blk.ops:
            self.start[id(op)] = self.count
            self.count += 1
            self.ctx[id(op)] = ctx
            for a in op.args:
                self.uses.setdefault(a.id, []).append(op)
            for ri, region in enumerate(op.regions):
                inner = ctx + ((op, ri),)
                for a in region.args:
                    self.def_site[a.id] = (inner, self.start[id(op)])
                self._walk(region, inner)
            self.end[id(op)] = self.count
            self.count += 1
            pos = self.end[id(op)] if op.regions else self.start[id(op)]
            for r in op.results:
                self.def_site[r.id] = (ctx, pos)

    def use_sites(self, v: Value):
        for op in self.uses.get(v.id, []):
            yield self.ctx[id(op)], self.start[id(op)]

    def live_at(self, v: Value, site) -> bool:
        """Is v live just after the definition point `site` = (ctx, pos)?"""
        vctx, vpos = self.def_site[v.id]
        pctx, ppos = site
        if vpos == ppos and vctx == pctx:          # defined together: block args, loop results
            return bool(self.uses.get(v.id))
        if not _encloses(vctx, pctx) or vpos > ppos:
            return False
        for uctx, upos in self.use_sites(v):
            if self._reachable(pctx, ppos, uctx, upos, vctx):
                return True
        return False

    @staticmethod
    def _reachable(pctx, ppos, uctx, upos, vctx) -> bool:
        n = min(len(pctx), len(uctx))
        for i in range(n):
            (pop, pri), (uop, uri) = pctx[i], uctx[i]
            if pop is not uop:
                break
            if isinstance(pop, LoopOp) and not _inside(vctx, pop):
                return True                     # reached again through the loop's back edge
            if pri != uri and isinstance(pop, IfOp):
                return False                    # the other arm of the same if
        return upos > ppos

    def interfere(self, v: Value, w: Value) -> bool:
        return self.live_at(v, self.def_site[w.id]) or self.live_at(w, self.def_site[v.id])


def _encloses(outer: tuple, inner: tuple) -> bool:
    return len(outer) <= len(inner) and all(a[0] is b[0] and a[1] == b[1]
                                            for a, b in zip(outer, inner))


def _inside(vctx: tuple, loop: Op) -> bool:
    return any(op is loop for op, _ in vctx)


class Names:
    """Union-find over values, then one Python identifier per group."""

    def __init__(self, fn: Function):
        self.layout = Layout(fn)
        self.parent: dict[int, Value] = {}
        self.members: dict[int, list] = {}
        self.name: dict[int, str] = {}
        self.taken: set[str] = set(RESERVED)
        self.suffix: dict[str, int] = {}        # base -> the last suffix tried
        self.fn = fn

    def find(self, v: Value) -> Value:
        root = v
        while root.id in self.parent:
            root = self.parent[root.id]
        return root

    def group(self, v: Value) -> list:
        return self.members.get(self.find(v).id, [self.find(v)])

    def union(self, a: Value, b: Value, force=False) -> bool:
        ra, rb = self.find(a), self.find(b)
        if ra is rb:
            return True
        ga, gb = self.group(ra), self.group(rb)
        if not force and any(self.layout.interfere(x, y) for x in ga for y in gb):
            return False
        self.parent[rb.id] = ra
        self.members[ra.id] = ga + gb
        self.members.pop(rb.id, None)
        return True

    def coalesce(self, is_named, apart=frozenset()) -> None:
        """Merge carried and branch values into shared names; `is_named(v)` excludes literals;
        loops in `apart` (ids: adjoint loops run in chunks, passes/parallel.py) keep their
        carried values' names apart from their initial values and results."""
        self.apart = apart
        self._coalesce_block(self.fn.body, is_named)

    def _coalesce_block(self, blk: Block, is_named):
        uses = self.layout.uses
        for op in blk.ops:
            if isinstance(op, LoopOp) and id(op) not in self.apart:
                inits, args, _, results = op.carried
                cond_args = op.cond_block.args if isinstance(op, WhileOp) else []
                for k, (a, r) in enumerate(zip(args, results)):
                    self.union(a, r, force=True)
                    if cond_args:
                        self.union(a, cond_args[k], force=True)
                for a, init in zip(args, inits):
                    if is_named(init) and len(uses.get(init.id, [])) == 1 and (
                            isinstance(init.owner, Op) or init.hint == a.hint):
                        self.union(a, init)         # parameters keep their own names
            for region in op.regions:
                self._coalesce_block(region, is_named)
            if isinstance(op, LoopOp):
                _, args, ys, _ = op.carried
                for a, y in zip(args, ys):
                    if self._mergeable_yield(y, op):
                        self.union(a, y)
            elif isinstance(op, IfOp):
                for blk_ in op.regions:
                    for r, y in zip(op.results, blk_.terminator.args):
                        if self._mergeable_yield(y, op) and y.owner is not None \
                                and getattr(y.owner, "parent", None) is blk_:
                            self.union(r, y)

    def _mergeable_yield(self, y: Value, op: Op) -> bool:
        owner = y.owner
        if not isinstance(owner, Op) or owner.name in ("const", "undef"):
            return False
        return len(self.layout.uses.get(y.id, [])) == 1 and _inside(
            self.layout.ctx[id(owner)], op)

    def assign(self, v: Value) -> str:
        """The Python name of v's group, allocated from its hint on first request."""
        root = self.find(v)
        if root.id in self.name:
            return self.name[root.id]
        name = self._unused(_identifier(_best_hint(self.group(root)) or "tmp"))
        self.name[root.id] = name
        return name

    def fresh(self, base: str) -> str:
        return self._unused(_identifier(base))

    def _unused(self, base: str) -> str:
        """base, or base_1, base_2, ...: the first not taken. The probing resumes where the
        last one for this base stopped, so naming n values is linear, not quadratic."""
        name, n = base, self.suffix.get(base, 0)
        if n:
            name = f"{base}_{n}"
        while name in self.taken:
            n += 1
            name = f"{base}_{n}"
        self.suffix[base] = n
        self.taken.add(name)
        return name


def _best_hint(group: list) -> str:
    for v in group:
        if v.hint and v.hint != "undef":
            return v.hint
    return group[0].hint


def _identifier(hint: str) -> str:
    out = "".join(ch if ch.isalnum() or ch == "_" else "_" for ch in hint) or "tmp"
    if out[0].isdigit():
        out = "v" + out
    if keyword.iskeyword(out):
        out += "_"
    return out
