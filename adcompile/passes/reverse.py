"""Reverse mode, IR -> IR: one fused function returning the values and the gradient.

The forward sweep is a clone of the function. The adjoint sweep walks it backwards:
- straight-line ops: adjoint += incoming adjoint * partial derivative (from the primitive table);
- `if`: an `if` on the same condition whose arms hold the adjoints of the arms; values an arm's
  adjoint reads are exported as extra results of the forward `if`;
- loops: a reverse loop over the recorded iterations. Values the adjoint reads are recomputed
  from cheap ops where possible and recorded on a tape otherwise (loop-carried values, results
  of expensive primitives, branch decisions, results of nested regions). Tapes of a `for` loop
  are reserved once at loop entry (the trip count is known); `while` loops and loops nested in
  loops grow them geometrically. Adjoints of values read from outside the loop are carried
  through the reverse loop as accumulators.
The pass taps eagerly what an adjoint rule might read; dead-code elimination then drops every
tape and recomputation nobody reads.
"""
from __future__ import annotations

import itertools

from ..builder import Builder
from ..errors import AdTypeError
from ..ir import Block, ForOp, Function, IfOp, LoopOp, Op, Rewriter, Value, WhileOp, \
    clone_ops, defining_block, is_ancestor, is_region, make_op
from ..primitives import PRIMS
from ..types import BOOL, F64, I64, Array, less_known
from .buffers import mutable_array_versions
from .checkpoint import free_values, walk_regions
from .activity import active_values, conditionally_read, suspect_values, useful_values
from .kinks import sites as kink_sites


# ---------------------------------------------------------------------------- cloning
def clone_function(fn: Function) -> tuple[Function, dict]:
    """A deep copy of fn; every while loop and exiting for loop also counts its iterations."""
    vmap: dict[int, Value] = {}
    params = [Value(p.type, p.hint) for p in fn.params]
    for old, new in zip(fn.params, params):
        vmap[old.id] = new
    body = Block(list(params))
    _clone_ops(fn.body, body, vmap)
    new = Function(fn.name, params, body, fn.filename, fn.result_tree, fn.loc, fn.result_loc)
    return new, vmap


def _clone_ops(src: Block, dst: Block, vmap: dict):
    for op in src.ops:
        args = [vmap[a.id] for a in op.args]
        regions = []
        for blk in op.regions:
            nargs = [Value(a.type, a.hint) for a in blk.args]
            for a, n in zip(blk.args, nargs):
                vmap[a.id] = n
            nblk = Block(nargs)
            _clone_ops(blk, nblk, vmap)
            regions.append(nblk)
        results = [Value(r.type, r.hint) for r in op.results]
        for r, n in zip(op.results, results):
            vmap[r.id] = n
        new = make_op(op.name, args, results, op.attrs, regions, op.loc, op.role)
        dst.append(new)
        if isinstance(new, WhileOp) or (isinstance(new, ForOp) and new.has_exit):
            _add_counter(new)


def _add_counter(op: LoopOp):
    """Carry an iteration count through the loop (the reverse sweep runs that many times)."""
    rw = Rewriter()
    zero = make_op("const", [], [Value(I64, "n_iter")], {"value": 0}, loc=op.loc)
    rw.insert_before(op, [zero])
    n = len(op.results)
    arg, _ = rw.add_loop_carry(op, zero.result, "n_iter")
    tmp = Block()
    nxt = Builder(tmp, op.loc, "tape").prim("add", arg, 1, hint="n_iter")
    rw.insert_before_terminator(op.body, tmp.ops)
    rw.yield_new_carry(op, nxt)
    op.attrs["counter"] = n


# ---------------------------------------------------------------------------- contexts
class _Ctx:
    """How the adjoint sweep of one block sees primal values and accumulates adjoints."""

    def __init__(self, rev, fblock: Block, rblock: Block, parent):
        self.rev, self.fblock, self.rblock, self.parent = rev, fblock, rblock, parent
        self.adj: dict[int, Value] = {}
        self.touched: dict[int, Value] = {}   # outer values whose adjoint changed here

    def owns(self, v: Value) -> bool:
        """Is v defined in this block (or in ifs nested in it)?"""
        blk = defining_block(v)
        while blk is not None:
            if blk is self.fblock:
                return True
            op = blk.owner
            if not isinstance(op, IfOp):
                return False
            blk = op.parent
        return False

    def add_adj(self, v: Value, contrib: Value):
        cur = self.get_adj(v)
        b = self.rev.b
        op = "iadd" if isinstance(v.type, Array) else "add"    # arrays accumulate in place
        with b.at(self.rblock):
            new = contrib if cur is None else b.prim(op, cur, contrib, hint=_bar(v))
        self.set_adj(v, new)

    def set_adj(self, v: Value, val: Value):
        if val.hint == "" and isinstance(val.owner, Op) and val.owner.role == "adjoint":
            val.hint = _bar(v)
        self.adj[v.id] = val
        if not self.owns(v):
            self.touched[v.id] = v


class _TopCtx(_Ctx):
    def get_adj(self, v):
        return self.adj.get(v.id)

    def materialize(self, v: Value) -> Value:
        return self.rev.lift(v, self.fblock)

    def materialize_contents(self, v: Value) -> Value:
        """An array with v's elements as they were when v was made: v itself, or a snapshot
        taken right after v was made when a later write changes its buffer."""
        v = self.rev.lift(v, self.fblock)
        if v.id not in self.rev.written:
            return v
        key = ("snapshot", v.id)
        if key not in self.rev.exports:
            snap = make_op("copy", [v], [Value(v.type, v.hint)], role="tape")
            self.rev.exports[key] = snap.result
            owner = v.owner
            if isinstance(owner, Op):
                Rewriter().insert_after(owner, [snap])
            else:
                Rewriter.insert_at_start(self.fblock, [snap])
        return self.rev.exports[key]


class _IfCtx(_Ctx):
    def __init__(self, rev, fblock, rblock, parent):
        super().__init__(rev, fblock, rblock, parent)
        self.memo: dict[int, Value] = {}
        self.loop_ctx = parent if isinstance(parent, _LoopCtx) else getattr(parent, "loop_ctx",
                                                                              None)

    def get_adj(self, v):
        if v.id in self.adj:
            return self.adj[v.id]
        if self.owns(v):
            return None
        return self.parent.get_adj(v)

    def materialize(self, v: Value) -> Value:
        if not self.owns(v):
            return self.parent.materialize(v)
        if v.id in self.memo:
            return self.memo[v.id]
        owner = v.owner
        loop = self.loop_ctx
        if loop is not None and defining_block(v) is self.fblock and \
                _recomputable(owner, v, self.rev.written) \
                and (v.type != BOOL or not any(loop.varies(a) for a in owner.args)):
            # inside a loop, recomputing a cheap value in the reverse arm beats taping it
            args = _operands(self, owner)
            b = self.rev.b
            with b.at(self.rblock), b.located(owner.loc, "recompute"):
                out = b.emit(owner.name, args, [v.type], dict(owner.attrs), hints=[v.hint]).result
        else:
            out = self.parent.materialize(self.rev.lift(v, self.fblock.owner.parent))
        self.memo[v.id] = out
        return out

    def materialize_contents(self, v: Value) -> Value:
        if self.owns(v):
            v = self.rev.lift(v, self.fblock.owner.parent)
        return self.parent.materialize_contents(v)


class _LoopCtx(_Ctx):
    def __init__(self, rev, loop: LoopOp, rblock: Block, prologue: Block, parent):
        super().__init__(rev, loop.body, rblock, parent)
        self.loop = loop
        self.prologue = prologue
        self.memo: dict[int, Value] = {}
        self.free: list = []                  # (outer value, block arg, init)
        self.group = next(rev.groups)
        self.slots = 0
        self.reserved = False
        self.index = None                     # the reverse loop's counter j

    def get_adj(self, v):
        if v.id in self.adj:
            return self.adj[v.id]
        if self.owns(v):
            return None
        # an outer value: accumulate through the reverse loop as a carried value
        init = self.parent.get_adj(v)
        b = self.rev.b
        if init is None:
            with b.at(self.parent.rblock):
                init = self.rev.zero(v, self.parent)
        arg = Value(init.type, _bar(v))     # the init's type: an adjoint may know less of its
        #                                     shape than v (f64[:,:] for an f64[1,1] v)
        self.free.append((v, arg, init))
        self.adj[v.id] = arg
        self.touched[v.id] = v
        return arg

    def materialize(self, v: Value) -> Value:
        if not self.owns(v):
            return self.parent.materialize(v)
        if isinstance(v.type, Array):
            return self.array_shape_source(v)
        v = self.rev.lift(v, self.fblock)
        if v.id in self.memo:
            return self.memo[v.id]
        b = self.rev.b
        owner = v.owner
        if isinstance(self.loop, ForOp) and v is self.loop.index:
            lo, step = (self.parent.materialize(a) for a in self.loop.bounds[0:3:2])
            with b.at(self.prologue), b.located(self.loop.loc, "restore"):
                out = b.prim("add", lo, b.prim("mul", self.index, step), hint=v.hint)
        elif _recomputable(owner, v, self.written_here()) and \
                (v.type != BOOL or not any(self.varies(a) for a in owner.args)):
            # cheap values are recomputed; branch decisions are recorded unless loop-invariant
            args = _operands(self, owner)
            with b.at(self.prologue), b.located(owner.loc, "recompute"):
                out = b.emit(owner.name, args, [v.type], dict(owner.attrs), hints=[v.hint]).result
        else:
            out = self.tape(v)
        self.memo[v.id] = out
        return out

    def array_shape_source(self, v: Value) -> Value:
        """An array of the same shape as v that the reverse loop can see. Adjoint rules use
        arrays only for their shapes (element values come from recorded scalars), and writes
        never change a shape, so an earlier version outside the loop stands in for v when
        one provably has its shape; otherwise (a name rebound to a new array each iteration,
        `v = v[1:]`, a branch choosing between arrays) v itself is recorded."""
        seen = v
        while self.owns(v):
            owner = v.owner
            if isinstance(owner, Op) and owner.name in ("empty", "zeros", "ones", "full"):
                # made in this iteration: allocate one of the same shape again
                args = [self.materialize(a) for a in owner.args]
                b = self.rev.b
                with b.at(self.prologue), b.located(owner.loc, "recompute"):
                    return b.emit("empty", args[1:] if owner.name == "full" else args,
                                  [v.type], {"dtype": owner.attrs.get("dtype", "f64")},
                                  hints=[v.hint]).result
            earlier = _same_shape_origin(v)
            if earlier is None:
                return self.materialize_contents(v)
            v = earlier
        if seen is not v:
            return self.parent.materialize(v)
        return v

    def materialize_contents(self, v: Value) -> Value:
        """v's elements as they were in this iteration: recorded on an array tape (a copy
        when a later write in the iteration changes v's buffer)."""
        if not self.owns(v):
            return self.parent.materialize_contents(v)
        v = self.rev.lift(v, self.fblock)
        key = ("contents", v.id)
        if key not in self.memo:
            self.memo[key] = self.tape(v, snapshot=v.id in self.rev.written)
        return self.memo[key]

    def written_here(self) -> set:
        """Arrays whose element reads must be recorded in this loop: those written later and
        made in this loop. A read of an array made outside this loop is recomputed from
        its contents, which the enclosing loop records once per iteration (or which, at the
        top, are snapshotted) instead of once per read."""
        return {vid for vid in self.rev.written if vid in self.owned_ids()}

    def owned_ids(self) -> set:
        if not hasattr(self, "_owned"):
            from ..ir import walk
            ids = {a.id for a in self.fblock.args}
            for op in walk(self.fblock):
                ids.update(r.id for r in op.results)
                for blk in op.regions:
                    ids.update(a.id for a in blk.args)
            self._owned = ids
        return self._owned

    def varies(self, v: Value) -> bool:
        """Can v change from one iteration to the next?"""
        return self.owns(v) and not (isinstance(v.owner, Op) and
                                     v.owner.name in ("const", "undef"))

    def tape(self, v: Value, snapshot: bool = False) -> Value:
        """Record v in the forward loop; read it back in the reverse loop. Arrays are
        recorded by reference (a copy first with snapshot=True)."""
        b = self.rev.b
        slot = self.slots
        self.slots += 1
        label = self.loop.index.hint if isinstance(self.loop, ForOp) else type(self.loop).NAME
        label = "loop" if label.startswith("_") else label
        attrs = {"group": self.group, "slot": slot, "name": v.hint, "label": label}
        body = self.fblock
        if not self.reserved:
            self.reserve(attrs)
        new_ops = []
        stored = v
        if snapshot:
            copy = make_op("copy", [v], [Value(v.type, v.hint)], loc=self.loop.loc, role="tape")
            new_ops.append(copy)
            stored = copy.result
        new_ops.append(make_op("tape_store", [stored], [], attrs, loc=self.loop.loc,
                               role="tape"))
        owner = v.owner
        rw = Rewriter()
        if isinstance(owner, Block):           # a carried value: record it on entry, after
            # only this loop's own reservation (a while loop's): an inner loop's reservation
            # may stand after writes that change the value's buffer in place
            at = max((i for i, o in enumerate(body.ops) if o.name == "tape_reserve"
                      and o.attrs.get("group") == self.group), default=-1)
            rw.insert(body, at + 1, new_ops)
        else:
            rw.insert_after(owner, new_ops)
        with b.at(self.prologue), b.located(self.loop.loc, "restore"):
            return b.emit("tape_load", [], [v.type], dict(attrs), hints=[v.hint]).result

    def reserve(self, attrs):
        self.reserved = True
        g = {"group": self.group, "label": attrs["label"]}
        body, loop = self.fblock, self.loop
        b = self.rev.b
        tmp = Block()
        rw = Rewriter()
        if isinstance(loop, ForOp):            # trip count known at entry: reserve it once
            with b.at(tmp), b.located(loop.loc, "tape"):
                b.emit("tape_reserve", [b.trip_count(loop.bounds)], [], g)
            rw.insert_before(loop, tmp.ops)
        else:                                  # while: grow as the iterations come
            with b.at(tmp), b.located(loop.loc, "tape"):
                b.emit("tape_reserve", [b.const(1)], [], g)
            rw.insert_at_start(body, tmp.ops)
        adv = make_op("tape_advance", [], [], g, loc=loop.loc, role="tape")
        rw.insert_before_terminator(body, [adv])


# ---------------------------------------------------------------------------- the pass
class Reverse:
    def __init__(self, fn: Function, wrt: list[int], conventions=None, diagnostics=False):
        self.fwd, self.vmap = clone_function(fn)
        self.wrt = [self.fwd.params[i] for i in wrt]
        self.sites = self.kinks = None
        if diagnostics:                        # the diagnostic build: a table of kink hits
            self.sites = {id(s.op): s for s in kink_sites(self.fwd)}
            self.kinks = Value(Array(F64, 2), "kinks")
            self.fwd.params.append(self.kinks)
            Rewriter.add_block_arg(self.fwd.body, self.kinks)
            self.wrt.append(self.kinks)
        # values needing adjoints: varied by the parameters and useful to the output
        varied = active_values(self.fwd, self.wrt)
        useful = useful_values(self.fwd, self.fwd.body.terminator.args)
        self.active = {i for i in varied if i in useful} | {p.id for p in self.wrt
                                                              if p.id in varied}
        self.written = mutable_array_versions(self.fwd)
        self.conditional = conditionally_read(self.fwd)
        self.suspect = suspect_values(self.fwd, self.conditional)
        self.b = Builder(self.fwd.body, role="adjoint")
        self.b.conventions = conventions
        self.groups = itertools.count()
        self.twins = itertools.count()
        self.exports: dict = {}

    def zero(self, v: Value, ctx) -> Value:
        """A zero adjoint for v, built at the builder's position (arrays: zeros_like)."""
        if isinstance(v.type, Array):
            return self.b.prim("zeros_like", ctx.materialize(v), hint=_bar(v))
        return self.b.const(0.0, hint=_bar(v))

    def lift(self, v: Value, block: Block) -> Value:
        """Export v through enclosing ifs until it is defined in `block`."""
        while defining_block(v) is not block:
            blk = defining_block(v)
            op = blk.owner
            if not isinstance(op, IfOp):
                raise AssertionError(f"cannot lift {v!r} out of {op and op.name}")
            key = (id(op), v.id)
            if key not in self.exports:
                self.exports[key] = self._export(op, blk, v)
                if v.id in self.written:       # the export shares v's buffer: later
                    self.written.add(self.exports[key].id)   # writes reach it too
            v = self.exports[key]
        return v

    def _export(self, op: Op, blk: Block, v: Value) -> Value:
        for region in op.regions:
            y = region.terminator
            if region is blk:
                y.args.append(v)
            else:
                u = make_op("undef", [], [Value(v.type, v.hint)], loc=op.loc, role="tape")
                Rewriter.insert_before_terminator(region, [u])
                y.args.append(u.result)
        return Rewriter.add_result(op, Value(v.type, v.hint))

    def run(self) -> Function:
        fn = self.fwd
        ret = fn.body.ops.pop()
        outs = ret.args
        check_scalar_output(fn, outs)
        if outs[0].hint == "":
            outs[0].hint = "value"
        top = _TopCtx(self, fn.body, fn.body, None)
        if outs[0].id in self.active:
            with self.b.at(fn.body):
                top.adj[outs[0].id] = self.b.const(1.0, hint="out_bar")
            self.reverse_block(fn.body, top)
        grads = []
        with self.b.at(fn.body):
            for p in self.wrt:
                g = top.get_adj(p)
                grads.append(g if g is not None else self.zero(p, top))
        fn.body.append(make_op("return", list(outs) + grads, []))
        return fn          # raw: pipeline.REVERSE_CLEANUP makes it what codegen writes

    # -------------------------------------------------------------------- sweeps
    def reverse_block(self, fblock: Block, ctx: _Ctx):
        for op in list(reversed(fblock.ops)):
            if isinstance(op, IfOp):
                self.reverse_if(op, ctx)
            elif isinstance(op, LoopOp):
                self.reverse_loop(op, ctx)
            elif op.name in PRIMS:
                self.reverse_prim(op, ctx)

    def reverse_prim(self, op: Op, ctx: _Ctx):
        y = op.result
        if y.id not in self.active:
            return
        g = ctx.get_adj(y)
        p = PRIMS[op.name]
        if g is None:
            return
        if self.sites is not None and id(op) in self.sites:
            self.record_hit(self.sites[id(op)], g, ctx)
        if p.vjp is None:
            return
        with self.b.at(ctx.rblock), self.b.located(op.loc, "adjoint"):
            p.vjp(self.b, _OpAdjoint(self, ctx, op, g))

    def guarded(self, op: Op) -> bool:
        """Must op's adjoint products absorb a 0 adjoint? When its result may be unread on
        the path taken (the adjoint is then exactly 0) and a partial may be inf or NaN:
        the row can be singular or overflow, or an operand may be unread too."""
        if op.result.id not in self.conditional:
            return False
        return not PRIMS[op.name].finite_partials or \
            any(a.id in self.suspect for a in op.args)

    def record_hit(self, site, g, ctx: _Ctx):
        """Diagnostic build: row site.index of the kinks table counts the hits of the site
        (exact: -0.0 == 0.0), sums the incoming adjoint, its magnitude and the argument."""
        b = self.b
        with b.at(ctx.rblock), b.located(site.op.loc, "diagnostic"):
            args = [ctx.materialize(a) for a in site.switching_args()]
            hit = b.prim("eq", args[0], args[1] if site.kind == "tie" else 0.0)
            acc = ctx.get_adj(self.kinks)
            if acc is None:
                acc = self.zero(self.kinks, ctx)
            row = b.const(site.index)
            for col, v in enumerate((b.const(1.0), g, b.prim("abs", g), args[0])):
                acc = b.prim("index_add", acc, b.prim("select", hit, v, 0.0), row, b.const(col))
            ctx.set_adj(self.kinks, acc)

    def reverse_if(self, op: Op, ctx: _Ctx):
        seeds = [(k, ctx.get_adj(r)) for k, r in enumerate(op.results) if r.id in self.active]
        seeds = [(k, g) for k, g in seeds if g is not None]
        if not seeds:
            return
        b = self.b
        arms = []
        for region in op.regions:
            rblk = Block()
            sub = _IfCtx(self, region, rblk, ctx)
            for k, g in seeds:
                y = region.terminator.args[k]
                if y.id in self.active:
                    sub.add_adj(y, g)
            self.reverse_block(region, sub)
            arms.append((rblk, sub))
        keys = list(dict.fromkeys([vid for _, sub in arms for vid in sub.touched]))
        if not keys:
            return
        outer = {vid: sub.touched[vid] for _, sub in arms for vid in sub.touched}
        with b.at(ctx.rblock), b.located(op.loc, "adjoint"):
            cond = ctx.materialize(op.cond)
        for rblk, sub in arms:
            with b.at(rblk), b.located(op.loc, "adjoint"):
                ys = []
                for vid in keys:
                    val = sub.adj.get(vid)
                    if val is None:
                        val = ctx.get_adj(outer[vid])
                    if val is None:
                        val = self.zero(outer[vid], ctx)
                    ys.append(val)
                b.emit("yield", ys, [])
        with b.at(ctx.rblock), b.located(op.loc, "adjoint"):
            hints = [_bar(outer[vid]) for vid in keys]
            rif = b.emit_region(IfOp, [cond], [outer[vid].type for vid in keys],
                                regions=[a for a, _ in arms], hints=hints)
        for vid, r in zip(keys, rif.results):
            ctx.set_adj(outer[vid], r)

    def reverse_loop(self, op: LoopOp, ctx: _Ctx):
        if "remat" in op.attrs:
            return self.reverse_remat(op, ctx)
        inits, args, ys, results = op.carried
        ncar = op.attrs.get("counter", len(results))
        carried = [k for k in range(ncar) if results[k].id in self.active]
        seeds = {k: ctx.get_adj(results[k]) for k in carried}
        if all(g is None for g in seeds.values()):
            return
        b = self.b
        rbody, prologue = Block(), Block()
        sub = _LoopCtx(self, op, rbody, prologue, ctx)
        hint = op.index.hint if isinstance(op, ForOp) else "k"
        j = Value(I64, "j" if hint.startswith("_") else hint)
        sub.index = j
        cbar_args = [Value(args[k].type if seeds[k] is None else
                           less_known(args[k].type, seeds[k].type), _bar(args[k]))
                     for k in carried]          # a seed may know less of the shape
        for k, cb in zip(carried, cbar_args):
            if ys[k].id in self.active:
                sub.add_adj(ys[k], cb)
        self.reverse_block(sub.fblock, sub)
        with b.at(rbody), b.located(op.loc, "adjoint"):
            new_cbar = []
            for k in carried:
                g = sub.adj.get(args[k].id)
                new_cbar.append(g if g is not None else self.zero(args[k], sub))
            b.emit("yield", new_cbar + [sub.adj[v.id] for v, _, _ in sub.free], [])
        head = []
        if sub.slots:
            head.append(make_op("tape_retreat", [], [], {"group": sub.group}, loc=op.loc,
                                role="restore"))
        Rewriter.insert(rbody, 0, head + prologue.ops)
        # the trip count of the forward loop, and the reverse loop over it
        with b.at(ctx.rblock), b.located(op.loc, "adjoint"):
            if "counter" in op.attrs:
                n = ctx.materialize(op.results[op.attrs["counter"]])
            else:
                n = b.trip_count([ctx.materialize(a) for a in op.bounds])
            inits_r = []
            for k in carried:
                g = seeds[k]
                inits_r.append(g if g is not None else self.zero(results[k], ctx))
            inits_r += [init for _, _, init in sub.free]
            for a in [j] + cbar_args + [arg for _, arg, _ in sub.free]:
                Rewriter.add_block_arg(rbody, a)
            lo = b.prim("sub", n, 1)
            hints = [a.hint for a in rbody.args[1:]]
            attrs = {"reversed": True, **({"parallel": True, "adjoint": True}
                                           if op.attrs.get("parallel") else {}),
                     **({"of_statement": True} if op.attrs.get("statement") else {})}
            #                                             (its sums in order: sums.py)
            #                                             prange: passes/parallel.py
            rloop = b.emit_region(ForOp, [lo, b.const(-1), b.const(-1)] + inits_r,
                                  [v.type for v in inits_r], attrs, [rbody], hints)
        res = rloop.results
        # accumulators of outer adjoints started from their values before the loop, so they
        # replace them; the carried adjoints then flow into the initial values
        for (v, _, _), r in zip(sub.free, res[len(carried):]):
            ctx.set_adj(v, r)
        for k, r in zip(carried, res):
            if inits[k].id in self.active:
                ctx.add_adj(inits[k], r)

    def reverse_remat(self, op: ForOp, ctx: _Ctx):
        """The adjoint of a checkpointed segment (passes/checkpoint.py): the forward sweep
        recorded nothing in it; here it runs again, recording, from the values it read
        (materialised: the enclosing loop records the segment's start), then its adjoint
        runs as any loop's does."""
        if all(r.id not in self.active or ctx.get_adj(r) is None for r in op.results):
            return
        vmap, orig = {}, {}
        with self.b.at(ctx.rblock), self.b.located(op.loc, "restore"):
            for v in free_values(op):
                m = ctx.materialize_contents(v) if isinstance(v.type, Array) else \
                    ctx.materialize(v)
                vmap[v.id], orig[m.id] = m, v
        again = clone_ops([op], vmap)[0]
        again.attrs = {k: a for k, a in op.attrs.items() if k != "remat"}
        again.attrs["rematerialised"] = op.attrs["remat"]
        for inner, first in zip([again] + list(walk_regions(again)),
                                [op] + list(walk_regions(op))):
            inner.role = "recompute" if inner.role == "primal" else inner.role
            if isinstance(inner, LoopOp):     # codegen writes both alike (vm or math)
                if "twin" not in first.attrs:   # (a sub-segment has its segment copy's)
                    first.attrs["twin"] = next(self.twins)
                inner.attrs["twin"] = first.attrs["twin"]
        Rewriter.insert(ctx.rblock, len(ctx.rblock.ops), [again])
        for old, new in vmap.items():          # the copy's values are what they copy
            for known in (self.active, self.written, self.conditional, self.suspect):
                if old in known:
                    known.add(new.id)
        orig.update((n.id, o) for o, n in zip(op.results, again.results))
        self.reverse_loop(again, _RematCtx(ctx, orig))


class _RematCtx:
    """How the adjoint of a rematerialised segment sees its enclosing context: the copy
    reads values already in the adjoint sweep (materialised), and the adjoints of those,
    and of the copy's results, are the adjoints of the values they stand for."""

    def __init__(self, ctx: _Ctx, orig: dict):
        self.ctx, self.orig = ctx, orig
        self.rev, self.fblock, self.rblock = ctx.rev, ctx.fblock, ctx.rblock

    def _original(self, v: Value) -> Value:
        return self.orig.get(v.id, v)

    def get_adj(self, v):
        return self.ctx.get_adj(self._original(v))

    def set_adj(self, v, val):
        self.ctx.set_adj(self._original(v), val)

    def add_adj(self, v, contrib):
        self.ctx.add_adj(self._original(v), contrib)

    def materialize(self, v):
        return v

    def materialize_contents(self, v):
        return v


class _OpAdjoint:
    """One op as its row's VJP rule sees it (prims/rules.py): the incoming adjoint, the
    operands as the adjoint sweep reads them, and their adjoints."""

    def __init__(self, rev, ctx, op: Op, g: Value):
        self.rev, self.ctx, self.op, self.g = rev, ctx, op, g
        self.n, self.attrs = len(op.args), op.attrs

    def operand(self, k: int) -> Value:
        return self.op.args[k]

    def arg(self, k: int) -> Value:
        """Operand k in the adjoint sweep: a number recomputed or read back; an array as
        itself, or with its contents as they were when the row's adjoint reads them."""
        a = self.op.args[k]
        if not isinstance(a.type, Array):
            return self.ctx.materialize(a)
        return self.ctx.materialize_contents(a) if PRIMS[self.op.name].needs_contents else a

    def out(self) -> Value:
        return self.ctx.materialize(self.op.result)

    def active(self, k: int) -> bool:
        return self.op.args[k].id in self.rev.active

    @property
    def guarded(self) -> bool:
        return self.rev.guarded(self.op)

    def get(self, k: int):
        return self.ctx.get_adj(self.op.args[k])

    def set(self, k: int, value: Value):
        self.ctx.set_adj(self.op.args[k], value)

    def add(self, k: int, value: Value):
        self.ctx.add_adj(self.op.args[k], value)

    def zero(self, k: int) -> Value:
        return self.rev.zero(self.op.args[k], self.ctx)


def _operands(ctx, op: Op) -> list:
    """The operands of op for recomputing it in ctx: an element read needs its array's
    contents, other array operands only their shape."""
    reads = op.name == "index" or op.name in PRIMS and PRIMS[op.name].needs_contents
    return [ctx.materialize_contents(a) if reads and isinstance(a.type, Array)
            else ctx.materialize(a) for a in op.args]


def _same_shape_origin(v: Value) -> Value | None:
    """An earlier value that certainly has v's shape (one step back), or None: the array a
    write updates, a loop's initial value when every iteration yields the carried array
    written in place, the value both arms of an if yield."""
    owner = v.owner
    if isinstance(owner, Op) and owner.name in ("store", "iadd", "copy", "index_add"):
        return owner.args[0]
    if isinstance(owner, Block) and isinstance(owner.owner, LoopOp):
        loop = owner.owner
        args = loop.carried_args if owner is loop.body else list(owner.args)
        k = args.index(v)
        return loop.inits[k] if _keeps_shape(loop, k) else None
    if isinstance(owner, LoopOp):
        k = owner.results.index(v)
        return owner.inits[k] if _keeps_shape(owner, k) else None
    if isinstance(owner, IfOp):
        k = owner.results.index(v)
        roots = {id(_root_within(blk.terminator.args[k], blk)) for blk in owner.regions}
        if len(roots) == 1:
            return _root_within(owner.regions[0].terminator.args[k], owner.regions[0])
    return None


def _root_within(v: Value, blk: Block) -> Value:
    """Follow writes back to the array they update while they happen inside blk."""
    while isinstance(v.owner, Op) and v.owner.name in ("store", "iadd", "copy", "index_add") \
            and _inside(v.owner, blk):
        v = v.owner.args[0]
    return v


def _inside(op: Op, blk: Block) -> bool:
    return is_ancestor(blk, op.parent)


def _keeps_shape(loop: LoopOp, k: int) -> bool:
    """Does every iteration of loop yield, in slot k, its carried array (written in place)?"""
    _, args, ys, _ = loop.carried
    body = loop.body
    v = ys[k]
    for _ in range(10_000):
        if v is args[k]:
            return True
        if isinstance(v.owner, Op) and (v.owner.name in ("store", "iadd", "copy", "index_add")
                                        or is_region(v.owner)) \
                and _inside(v.owner, body):
            v = _same_shape_origin(v)
            if v is None:
                return False
        else:
            return False
    return False


def _recomputable(owner, v: Value, written=frozenset()) -> bool:
    """Cheap to recompute in the reverse sweep? Reads of arrays written somewhere are not:
    by the time the adjoint runs the element may hold a later value, so they are recorded."""
    if not isinstance(owner, Op):
        return False
    if owner.name in ("const", "undef"):
        return True
    if owner.name == "index" and owner.args[0].id in written:
        return False
    return owner.name in PRIMS and PRIMS[owner.name].cost == "cheap" and \
        not isinstance(v.type, Array)


def _bar(v: Value) -> str:
    """The name hint of v's adjoint: x -> x_bar (compiler temporaries: tmp_bar)."""
    return (v.hint or "tmp") + "_bar"


def check_scalar_output(fn, outs):
    if not outs or len(outs) != 1 or outs[0].type != F64:
        raise AdTypeError(_output_message(fn, outs), fn.result_loc or fn.loc,
                          "return one float: grad differentiates a scalar output")


def _output_message(fn, outs) -> str:
    if len(outs) != 1:
        return f"{fn.name}() returns a tuple of {len(outs)} values; grad needs one float"
    return f"{fn.name}() returns {'an int' if outs[0].type == I64 else outs[0].type}; " \
           "grad needs a float output"


def reverse(fn: Function, wrt: list[int], conventions=None, diagnostics=False) -> Function:
    """The fused value-and-gradient function of fn with respect to parameter indices wrt
    (derivatives at kinks from `conventions`, an adcompile.Conventions; default: defaults).
    diagnostics=True: the diagnostic build, with a last parameter `kinks` (a zero table, one
    row per site of passes.kinks.sites) and the table of hits returned last."""
    return Reverse(fn, wrt, conventions, diagnostics).run()


__all__ = ["reverse", "clone_function", "check_scalar_output"]
