"""Forward mode, IR -> IR: the function and its tangents along `width` directions at once.

The result computes the original values and, next to each value that depends on a
differentiated parameter, its tangent along each direction ("lane"): `x_dot` for the first
lane, `x_dot_1`, `x_dot_2`, ... for the others. One sweep evaluates the primal once and all
lanes, so a forward-mode gradient over n inputs takes ceil(n / width) sweeps.

- every primitive by its row's JVP rule (prims/rules.py): for scalar rows the sum of partial *
  operand tangent, the partials computed once and shared by the lanes; array rows (element
  reads and writes, copies, sums, matrix products) have linear rules of their own: a write
  `y[i] = v` writes `y_dot[i] = v_dot`;
- `if`: the arms yield their tangents too; loops carry the tangents of what they carry.
Zero tangents are not built (None) until something must hold one (a loop-carried slot, an
array written later, a returned value). The output is ordinary IR: it composes with the
reverse pass: run over reverse-mode IR (tapes included) it gives Hessian-vector products.

The signature: the original parameters, then per differentiated parameter its lanes
(`x_dot`, `x_dot_1`, ...). It returns the original results, then for each lane the tangent
of every float result.
"""
from __future__ import annotations

from ..builder import Builder
from ..ir import Block, Function, IfOp, LoopOp, Op, Rewriter, Value, make_op, walk
from ..primitives import PRIMS
from ..types import Array, is_float
from .activity import active_values


def _tangent_name(v: Value, lane: int) -> str:
    base = v.hint or "tmp"
    return f"{base}_dot" if lane == 0 else f"{base}_dot_{lane}"


def _role(op: Op) -> str:
    """The role of an op's tangent: that of the op, "tangent" for the user's own lines."""
    return "tangent" if op.role == "primal" else op.role


def _propagates(name: str) -> bool:
    return PRIMS[name].jvp is not None


# ---------------------------------------------------------------------------- the pass
class Forward:
    def __init__(self, fn: Function, wrt: list[int], width: int = 1, conventions=None,
                 directional: bool = False):
        self.conventions = conventions
        self.directional = directional
        self.src = fn
        self.width = width
        self.wrt = [fn.params[i] for i in wrt]
        self.active = _active_through_tapes(fn, self.wrt)
        self.vmap: dict[int, Value] = {}
        self.dots: dict[int, list] = {}        # source value id -> lanes (None: zero)
        self.tape_slots: dict = {}             # (group, slot, lane) -> the tangent's slot
        self.next_slot: dict = {}
        for op in walk(fn.body):
            if op.name == "tape_store":
                g = op.attrs["group"]
                self.next_slot[g] = max(self.next_slot.get(g, 0), op.attrs["slot"] + 1)

    def run(self) -> Function:
        fn = self.src
        params = [Value(p.type, p.hint) for p in fn.params]
        for old, new in zip(fn.params, params):
            self.vmap[old.id] = new
        tparams = []
        for p in self.wrt:
            lanes = [Value(p.type, _tangent_name(p, k)) for k in range(self.width)]
            self.dots[p.id] = lanes
            tparams += lanes
        body = Block(params + tparams)
        self.b = Builder(body, role="tangent")
        self.b.conventions = self.conventions
        self.block(fn.body.ops, body)
        out = Function(fn.name, params + tparams, body, fn.filename, fn.result_tree, fn.loc,
                       fn.result_loc)
        return out

    # -- helpers ---------------------------------------------------------------------------
    def new(self, v: Value) -> Value:
        return self.vmap[v.id]

    def lanes(self, v: Value) -> list:
        return self.dots.get(v.id) or [None] * self.width

    def materialize(self, v: Value, dot):
        """A tangent that must exist as a value: zero where none was built."""
        if dot is not None:
            return dot
        if isinstance(v.type, Array):
            like = self.new(v)
            if isinstance(like.owner, Op) and like.owner.name == "empty":
                # elements of an uninitialised array have no value, nor a tangent, to keep
                return self.b.prim("empty", *like.owner.args, hint=_tangent_name(v, 0),
                                   **like.owner.attrs)
            if isinstance(like.owner, Op) and like.owner.name == "zeros_like":
                like = like.owner.args[0]          # not np.zeros_like(np.zeros_like(x))
            return self.b.prim("zeros_like", like, hint=_tangent_name(v, 0))
        return self.b.const(0.0, hint=_tangent_name(v, 0))

    def holds_tangent(self, v: Value) -> bool:
        return v.id in self.active and is_float(v.type)

    # -- blocks ----------------------------------------------------------------------------
    def block(self, src_ops: list, dst: Block):
        with self.b.at(dst):
            for op in src_ops:
                if op.name == "return":
                    self.ret(op)
                elif op.name == "yield":
                    raise AssertionError("yields are handled by their region op")
                elif isinstance(op, IfOp):
                    self.branch(op)
                elif isinstance(op, LoopOp):
                    self.loop(op)
                elif op.name in ("tape_store", "tape_load"):
                    self.tape(op)
                else:
                    self.prim(op)

    def clone(self, op: Op, args, regions=(), extra_results=()) -> Op:
        results = [Value(r.type, r.hint) for r in op.results] + list(extra_results)
        new = make_op(op.name, args, results, op.attrs, regions, op.loc, op.role)
        for r, n in zip(op.results, new.results):
            self.vmap[r.id] = n
        return self.b.block.append(new)

    def prim(self, op: Op):
        args = [self.new(a) for a in op.args]
        new = self.clone(op, args)
        if self.directional and op.name in PRIMS and PRIMS[op.name].directional \
                and len(op.args) <= 2:
            self.follow_direction(op, new)
        r = op.results[0] if op.results else None
        if r is None or not self.holds_tangent(r):
            return
        dots = [self.lanes(a) for a in op.args]
        # the extra operands of a directional variant (the directions' key): no tangent
        dots += [[None] * self.width] * (len(new.args) - len(args))
        with self.b.located(op.loc, _role(op)):
            lanes = PRIMS[new.name].jvp(self.b, new.results[0], new.args,
                                        [[d[k] for d in dots] for k in range(self.width)],
                                        new.attrs)
        for k, t in enumerate(lanes):
            if t is not None and t.hint == "":
                t.hint = _tangent_name(r, k)
        self.dots[r.id] = lanes

    def tape(self, op: Op):
        """A recorded value (reverse-mode code): its tangents are recorded beside it."""
        self.clone(op, [self.new(a) for a in op.args])
        v = op.args[0] if op.name == "tape_store" else op.results[0]
        if not self.holds_tangent(v):
            return
        lanes = []
        for k in range(self.width):
            key = (op.attrs["group"], op.attrs["slot"], k)
            if key not in self.tape_slots:
                g = op.attrs["group"]
                self.tape_slots[key] = self.next_slot.get(g, 0)
                self.next_slot[g] = self.tape_slots[key] + 1
            attrs = dict(op.attrs, slot=self.tape_slots[key], name=_tangent_name(v, k))
            if op.name == "tape_store":
                with self.b.located(op.loc, op.role):
                    dot = self.materialize(v, self.lanes(v)[k])
                self.b.block.append(Op("tape_store", [dot], [], attrs, loc=op.loc,
                                       role=op.role))
            else:
                load = Op("tape_load", [], [Value(v.type, _tangent_name(v, k))], attrs,
                          loc=op.loc, role=op.role)
                self.b.block.append(load)
                lanes.append(load.result)
        if op.name == "tape_load":
            self.dots[v.id] = lanes

    def follow_direction(self, op: Op, new: Op):
        """relu/abs/max/min whose derivative at the kink follows the directions: the sign of
        the first nonzero of the argument's tangents along them, lexicographically (for a
        tie, of the differences of the two arguments' tangents)."""
        lanes = [self.lanes(a) for a in op.args]
        if all(d is None for ls in lanes for d in ls):
            return
        tmp = Block()
        with self.b.at(tmp), self.b.located(op.loc, "tangent"):
            dots = [[d if d is not None else self.b.const(0.0) for d in ls] for ls in lanes]
            if len(dots) == 2:                 # a tie: compare the tangents' difference
                keys = [self.b.prim("sub", da, dc) for da, dc in zip(*dots)]
            else:
                keys = dots[0]
            key = keys[-1]
            for k in reversed(keys[:-1]):      # the first nonzero lane decides
                key = self.b.prim("select", self.b.prim("ne", k, 0.0), k, key)
            extra = [key, self.b.const(0.0)] if len(dots) == 2 else [key]
        Rewriter().insert_before(new, tmp.ops)
        new.name = PRIMS[op.name].directional
        new.args = new.args + extra

    def ret(self, op: Op):
        outs = [self.new(a) for a in op.args]
        with self.b.located(op.loc, "tangent"):
            for k in range(self.width):
                for a in op.args:
                    if is_float(a.type):
                        outs.append(self.materialize(a, self.lanes(a)[k]))
        self.b.block.append(Op("return", outs, [], loc=op.loc, role=op.role))

    # -- control flow ----------------------------------------------------------------------
    def _yield_with_tangents(self, src_yield: Op, keep: list, tail: int = 0):
        """The new yield of a region: the values, then the lanes of the slots in `keep`,
        then the trailing `tail` values (a loop's keep-going flag)."""
        n = len(src_yield.args) - tail
        vals = [self.new(a) for a in src_yield.args]
        with self.b.located(src_yield.loc, _role(src_yield)):
            dots = [self.materialize(src_yield.args[j], self.lanes(src_yield.args[j])[k])
                    for j in keep for k in range(self.width)]
        self.b.block.append(Op("yield", vals[:n] + dots + vals[n:], [], loc=src_yield.loc,
                               role=src_yield.role))

    def branch(self, op: Op):
        keep = [j for j, r in enumerate(op.results) if self.holds_tangent(r)]
        regions = []
        for arm in op.regions:
            blk = Block()
            self.block(arm.ops[:-1], blk)
            with self.b.at(blk):
                self._yield_with_tangents(arm.terminator, keep)
            regions.append(blk)
        extra = self._tangent_results(op, keep)
        self.clone(op, [self.new(op.args[0])], regions, extra)

    def _tangent_results(self, op: Op, keep: list) -> list:
        extra = []
        for j in keep:
            r = op.results[j]
            lanes = [Value(r.type, _tangent_name(r, k)) for k in range(self.width)]
            self.dots[r.id] = lanes
            extra += lanes
        return extra

    def loop(self, op: LoopOp):
        inits, args, ys, results = op.carried
        keep = [j for j, a in enumerate(args) if self.holds_tangent(a)]
        with self.b.located(op.loc, _role(op)):
            init_dots = [self.materialize(inits[j], self.lanes(inits[j])[k])
                         for j in keep for k in range(self.width)]
        regions = []
        tail = 1 if op.has_exit else 0
        for region in op.regions:
            is_body = region is op.body
            head = region.args[:op.n_index] if is_body else []
            carried = region.args[len(head):]
            new_args = [Value(a.type, a.hint) for a in region.args]
            for a, n in zip(region.args, new_args):
                self.vmap[a.id] = n
            for j in keep:
                lanes = [Value(carried[j].type, _tangent_name(carried[j], k))
                         for k in range(self.width)]
                self.dots[carried[j].id] = lanes
                new_args += lanes
            blk = Block(new_args)
            self.block(region.ops[:-1], blk)
            with self.b.at(blk):
                if is_body:
                    self._yield_with_tangents(region.terminator, keep, tail)
                else:
                    y = region.terminator
                    blk.append(Op("yield", [self.new(a) for a in y.args], [], loc=y.loc,
                                  role=y.role))
            regions.append(blk)
        bounds = [self.new(a) for a in op.args[:op.n_bounds]]
        new_inits = [self.new(a) for a in inits] + init_dots
        extra = self._tangent_results(op, keep)
        self.clone(op, bounds + new_inits, regions, extra)


def _active_through_tapes(fn: Function, wrt: list) -> set:
    """Activity, where reading back a recorded value is active if recording it was."""
    stores = {}
    loads = []
    for op in walk(fn.body):
        if op.name == "tape_store":
            stores[(op.attrs["group"], op.attrs["slot"])] = op.args[0]
        elif op.name == "tape_load":
            loads.append(op)
    seeds = list(wrt)
    while True:
        active = active_values(fn, seeds, _propagates)
        more = [op.result for op in loads if op.result.id not in active and
                stores[(op.attrs["group"], op.attrs["slot"])].id in active]
        if not more:
            return active
        seeds += more


def tangent_params(params: list, wrt, width: int) -> list:
    """Names of the tangent parameters forward() adds, in order."""
    return [f"{params[i]}_dot" + (f"_{k}" if k else "") for i in wrt for k in range(width)]


def directional_tangent(fn: Function, wrt: list[int], conventions=None,
                        width: int = 1) -> Function:
    """The first half of a gradient whose kinks are resolved along a direction: fn's value,
    with each relu/abs/max/min replaced by its directional variant reading the tangent
    along the direction (parameters x_dot, ...), which decides each tie; the tangent itself
    is not returned (it only steers the choices). Reverse mode over this, then
    `plain_kinks`, gives the gradient of the piece the direction enters: a Bouligand (so
    Clarke) subgradient for piecewise-smooth programs. width=2: a second direction breaks
    the ties the first leaves (lexicographic). pipeline.directional chains them."""
    tangent = Forward(fn, wrt, width, conventions, directional=True).run()
    ret = tangent.body.ops[-1]
    ret.args = ret.args[:1]
    return tangent


def plain_kinks(fn: Function) -> Function:
    """Directional variants back to plain relu/abs/max/min where only their values are
    needed: after the reverse pass only the partials (dstep, dsign, dtie) read the tangent."""
    plain = {p.directional: name for name, p in PRIMS.items() if p.directional}
    for op in walk(fn.body):
        if op.name in plain:
            op.args = op.args[:len(op.args) // 2 if PRIMS[op.name].arity == 4 else 1]
            op.name = plain[op.name]
    return fn


def forward(fn: Function, wrt: list[int], width: int = 1, conventions=None) -> Function:
    """fn and its tangents along `width` directions per differentiated parameter (raw:
    pipeline.FORWARD_CLEANUP simplifies it)."""
    return Forward(fn, wrt, width, conventions).run()


__all__ = ["forward", "directional_tangent", "plain_kinks", "tangent_params"]
