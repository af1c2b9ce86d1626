"""The SSA IR: typed values, ops with source locations, blocks with arguments (no phi nodes).

Structured control flow, as in MLIR's scf dialect:
  if     args [cond];                      regions [then, else] (no block args); yields -> results
  for    args [lo, hi, step, *inits];       region  body(i, *carried) yields carried [+ keep_going]
  while  args [*inits];                     regions cond(*carried) yields [bool],
                                                    body(*carried) yields carried [+ keep_going]
A loop whose attrs has exit=True yields one extra bool: False leaves the loop (break / return).
Every other op is a primitive from primitives.py or one of: const, undef, yield, return, the
tape ops the reverse pass inserts (tape_reserve, tape_store, tape_advance, tape_retreat, tape_load),
and `call` (attrs callee: a Function): results = the callee's results on args (drivers call the
kernels they seed; codegen writes the callee as a function of the same module).
"""
from __future__ import annotations

import itertools
from dataclasses import dataclass, field
from typing import Any

from .errors import Loc
from .types import BOOL, I64, Array, Scalar

_ids = itertools.count()

EFFECT_OPS = ("tape_reserve", "tape_store", "tape_advance", "tape_retreat")


class Value:
    """An SSA value (compared by identity). Plain slots: the compiler makes many."""
    __slots__ = ("type", "hint", "owner", "id")

    def __init__(self, type: Any, hint: str = "", owner: Any = None, id: int | None = None):
        self.type = type
        self.hint = hint           # a name suggestion; "" for compiler temporaries
        self.owner = owner         # defining Op, or the Block whose argument this is
        self.id = next(_ids) if id is None else id

    def __repr__(self) -> str:
        return f"%{self.hint}#{self.id}:{self.type}"


class Op:
    """An operation: a primitive, a region op (IfOp, ForOp, WhileOp: make_op picks the
    class), or one of const, undef, yield, return, call and the tape ops."""

    def __init__(self, name: str, args: list, results: list, attrs: dict | None = None,
                 regions: list | None = None, loc: Loc | None = None, role: str = "primal",
                 parent: Any = None):
        self.name = name
        self.args = args
        self.results = results
        self.attrs = {} if attrs is None else attrs
        self.regions = [] if regions is None else regions
        self.loc = loc
        self.role = role           # primal | adjoint | tape | recompute | ...
        self.parent = parent       # the Block holding this op
        for r in results:
            r.owner = self
        for blk in self.regions:
            blk.owner = self

    def __repr__(self) -> str:
        return f"<{self.name} {self.args} -> {self.results}>"

    @property
    def result(self) -> Value:
        return self.results[0]


class RegionOp(Op):
    """An op owning regions: the interface passes use to walk, reverse, linearise and print
    structured control flow without knowing which construct it is."""

    @property
    def carried(self) -> tuple[list, list, list, list]:
        """(inits, body block args, body yields, results) of the values the op carries."""
        raise NotImplementedError

    @property
    def operand_blocks(self) -> list:
        """The regions whose block arguments receive the carried values."""
        return []

    def flows(self):
        """(value, source) pairs: a value the op defines (a result, a block argument) and a
        value it may be on entry (an operand, a yield): the data flow through the op."""
        raise NotImplementedError


class IfOp(RegionOp):
    """if: args [cond]; regions [then, else] (no block arguments); each yields the results."""
    NAME = "if"

    @property
    def cond(self) -> Value:
        return self.args[0]

    @property
    def then_block(self) -> Block:
        return self.regions[0]

    @property
    def else_block(self) -> Block:
        return self.regions[1]

    @property
    def carried(self):
        return [], [], [], self.results

    def flows(self):
        for k, r in enumerate(self.results):
            for blk in self.regions:
                yield r, blk.terminator.args[k]


class LoopOp(RegionOp):
    """A loop: carried values enter as inits, flow through the body's block arguments and
    yields, and leave as results. With attrs exit=True the body yields one more bool (False
    leaves the loop); attrs counter=k: result k counts the iterations (the reverse pass)."""
    n_bounds = 0               # leading args that are not carried (for: lo, hi, step)
    n_index = 0                # leading body args that are not carried (for: the index)

    @property
    def body(self) -> Block:
        return self.regions[-1]

    @property
    def inits(self) -> list:
        return self.args[self.n_bounds:]

    @property
    def carried_args(self) -> list:
        return self.body.args[self.n_index:]

    @property
    def carried(self):
        inits = self.inits
        n = len(inits)
        return inits, self.carried_args, self.body.terminator.args[:n], self.results[:n]

    def flows(self):
        inits, args, ys, results = self.carried
        conds = self.cond_block.args if isinstance(self, WhileOp) else ()
        for k, a in enumerate(args):
            yield a, inits[k]
            yield a, ys[k]
            yield results[k], inits[k]          # the loop may run 0 times
            yield results[k], ys[k]
            if conds:
                yield conds[k], inits[k]
                yield conds[k], ys[k]
                yield a, conds[k]

    @property
    def keep_going(self) -> Value | None:
        """The body's extra yield that leaves the loop when False (exit=True), else None."""
        return self.body.terminator.args[-1] if self.attrs.get("exit") else None

    @property
    def has_exit(self) -> bool:
        return bool(self.attrs.get("exit"))


class ForOp(LoopOp):
    """for: args [lo, hi, step, *inits]; region body(i, *carried) yields carried [+ keep_going]."""
    NAME = "for"
    n_bounds = 3
    n_index = 1

    @property
    def bounds(self) -> list:
        return self.args[:3]

    @bounds.setter
    def bounds(self, values) -> None:
        self.args[:3] = list(values)

    @property
    def index(self) -> Value:
        return self.body.args[0]

    @property
    def operand_blocks(self) -> list:
        return [self.body]


class WhileOp(LoopOp):
    """while: args [*inits]; regions cond(*carried) yields [bool], body(*carried) yields
    carried [+ keep_going]."""
    NAME = "while"

    @property
    def cond_block(self) -> Block:
        return self.regions[0]

    @property
    def operand_blocks(self) -> list:
        return [self.cond_block, self.body]


_REGION_CLASSES = {cls.NAME: cls for cls in (IfOp, ForOp, WhileOp)}


def make_op(name, args, results, attrs=None, regions=None, loc=None, role="primal") -> Op:
    """An op of the class its name calls for (IfOp, ForOp, WhileOp, else Op)."""
    cls = _REGION_CLASSES.get(name, Op)
    return cls(name, list(args), list(results), dict(attrs or {}), list(regions or []), loc, role)


def has_own_class(op: Op) -> bool:
    """False for a region op built as a plain Op (not through make_op)."""
    return type(op) is _REGION_CLASSES.get(op.name, type(op))


def is_loop(op) -> bool:
    return isinstance(op, LoopOp)


def is_region(op) -> bool:
    return isinstance(op, RegionOp)


def enclosing_loop(block: Block) -> LoopOp | None:
    """The loop whose body `block` is, or None."""
    op = block.owner
    return op if isinstance(op, LoopOp) and block is op.body else None


def innermost_loop(op) -> "LoopOp | None":
    """The innermost loop (for or while) whose body holds op, through ifs; None at the top."""
    block = op.parent
    while block is not None and block.owner is not None:
        if isinstance(block.owner, LoopOp):
            return block.owner
        block = block.owner.parent
    return None


@dataclass(eq=False)
class Block:
    args: list = field(default_factory=list)
    ops: list = field(default_factory=list)
    owner: Any = None          # the region Op, or None for a function body

    def __post_init__(self):
        for a in self.args:
            a.owner = self
        for op in self.ops:
            op.parent = self

    @property
    def terminator(self) -> Op:
        return self.ops[-1]

    def append(self, op: Op) -> Op:
        op.parent = self
        self.ops.append(op)
        return op


@dataclass(eq=False)
class Function:
    name: str
    params: list               # Values, one per parameter (hint = parameter name)
    body: Block
    filename: str = "<unknown>"
    result_tree: Any = None    # nesting of the returned values: None (one value) or a tuple tree
    loc: Loc | None = None
    result_loc: Loc | None = None   # where the (first) return statement is
    doc: str = ""              # a comment codegen writes at the top of the function's body
    derivatives: tuple = ()    # the derivatives it computes or calls (docs/nested.md): set,
    #                            other transforms differentiate it by forward mode
    captured: tuple = ()       # the parameters after the user's: arrays read from outside,
    #                            (resolve.Scope, name, attributes) each (frontend/captured.py)
    effects: tuple = ()        # counters the function updates on objects (self.nfev += 1):
    #                            (Scope, name, attributes, op, number), applied per call

    @property
    def results(self) -> list:
        return self.body.terminator.args


class Rewriter:
    """The one way passes change IR in place: every mutation keeps the owner links (a value's
    defining op or block, an op's block, a block's op) consistent."""

    @staticmethod
    def insert(block: Block, at: int, ops: list) -> None:
        for op in ops:
            op.parent = block
        block.ops[at:at] = ops

    def insert_before(self, anchor: Op, ops: list) -> None:
        self.insert(anchor.parent, anchor.parent.ops.index(anchor), ops)

    def insert_after(self, anchor: Op, ops: list) -> None:
        self.insert(anchor.parent, anchor.parent.ops.index(anchor) + 1, ops)

    @classmethod
    def insert_at_start(cls, block: Block, ops: list) -> None:
        cls.insert(block, 0, ops)

    @classmethod
    def insert_before_terminator(cls, block: Block, ops: list) -> None:
        cls.insert(block, len(block.ops) - 1, ops)

    @staticmethod
    def erase(op: Op) -> None:
        op.parent.ops.remove(op)
        op.parent = None

    @staticmethod
    def add_block_arg(block: Block, v: Value, index: int | None = None) -> Value:
        v.owner = block
        block.args.insert(len(block.args) if index is None else index, v)
        return v

    @staticmethod
    def add_result(op: Op, v: Value, index: int | None = None) -> Value:
        v.owner = op
        op.results.insert(len(op.results) if index is None else index, v)
        return v

    @staticmethod
    def replace_all_uses(old: Value, new: Value, root: Block) -> None:
        """Every use of `old` in `root` (nested regions included) reads `new` instead."""
        for op in walk(root):
            if any(a is old for a in op.args):
                op.args = [new if a is old else a for a in op.args]

    def add_loop_carry(self, loop: LoopOp, init: Value, hint: str = "") -> tuple:
        """Carry one more value through `loop`: returns (body argument, result); the caller
        sets the body's yield with `set_carry_yield`. The new carry goes after the existing
        ones (before the exit flag and any counter)."""
        n = len(loop.inits)
        loop.args.append(init)
        arg = self.add_block_arg(loop.body, Value(init.type, hint), loop.n_index + n)
        if isinstance(loop, WhileOp):
            self.add_block_arg(loop.cond_block, Value(init.type, hint), n)
        res = self.add_result(loop, Value(init.type, hint), n)
        return arg, res

    @staticmethod
    def keep_results(op: IfOp, keep: list) -> None:
        """Keep only the if's results at positions `keep` (and the arms' yields of them)."""
        for region in op.regions:
            y = region.terminator
            y.args = [y.args[k] for k in keep]
        op.results = [op.results[k] for k in keep]

    @staticmethod
    def keep_carries(loop: LoopOp, keep: list) -> None:
        """Keep only the carried values at positions `keep` (inits, block arguments, yields,
        results); the exit flag stays, and the iteration counter (attrs counter) follows."""
        n = len(loop.results)
        y = loop.body.terminator
        y.args = [y.args[k] for k in keep] + y.args[n:]
        loop.results = [loop.results[k] for k in keep]
        nb, ni = loop.n_bounds, loop.n_index
        loop.args = loop.args[:nb] + [loop.args[nb + k] for k in keep]
        for blk in loop.operand_blocks:
            head = blk.args[:ni] if blk is loop.body else []
            blk.args = head + [blk.args[len(head) + k] for k in keep]
        if "counter" in loop.attrs:
            c = loop.attrs["counter"]
            if c in keep:
                loop.attrs["counter"] = keep.index(c)
            else:
                del loop.attrs["counter"]

    @staticmethod
    def yield_new_carry(loop: LoopOp, v: Value) -> None:
        """The body's yield of the carry `add_loop_carry` added last."""
        loop.body.terminator.args.insert(len(loop.inits) - 1, v)


def clone_ops(ops: list, vmap: dict, groups: dict | None = None) -> list:
    """Copies of ops (nested regions included) reading vmap[v.id] for each value v they use
    from outside; vmap gains the copies' values. groups: tape groups renamed in the copies
    (old -> new; a group missing from it gets a fresh number), so a function holding two
    copies of one derivative keeps their tapes apart."""
    out = []
    for op in ops:
        regions = []
        for blk in op.regions:
            args = [Value(a.type, a.hint) for a in blk.args]
            for a, n in zip(blk.args, args):
                vmap[a.id] = n
            regions.append(Block(args, clone_ops(blk.ops, vmap, groups)))
        results = [Value(r.type, r.hint) for r in op.results]
        for r, n in zip(op.results, results):
            vmap[r.id] = n
        attrs = dict(op.attrs)
        if groups is not None and "group" in attrs:
            if attrs["group"] not in groups:
                groups[attrs["group"]] = next(_groups)
            attrs["group"] = groups[attrs["group"]]
        out.append(make_op(op.name, [vmap[a.id] for a in op.args], results, attrs,
                           regions, op.loc, op.role))
    return out


_groups = itertools.count(1 << 20)      # tape groups of inlined copies (passes number from 0)


def walk(block: Block):
    """Yield every op in block and nested regions, in program order."""
    for op in block.ops:
        yield op
        for region in op.regions:
            yield from walk(region)


def parent_op(v: Value) -> Op | None:
    owner = v.owner
    return owner if isinstance(owner, Op) else None


def defining_block(v: Value) -> Block:
    owner = v.owner
    return owner if isinstance(owner, Block) else owner.parent


def is_ancestor(outer: Block, inner: Block) -> bool:
    """True when `inner` is `outer` or nested inside it."""
    blk = inner
    while blk is not None:
        if blk is outer:
            return True
        op = blk.owner
        blk = op.parent if op is not None else None
    return False


def defined_in(v: Value, op: Op) -> bool:
    """Is v defined inside one of op's regions (at any depth)?"""
    blk = defining_block(v)
    while blk is not None:
        if blk.owner is op:
            return True
        blk = blk.owner.parent if blk.owner is not None else None
    return False


def tape_type(t: Scalar) -> Array:
    return Array(t, 1)


__all__ = ["Value", "Op", "RegionOp", "IfOp", "LoopOp", "ForOp", "WhileOp", "Block", "Function",
           "Rewriter", "make_op", "clone_ops", "is_loop", "is_region", "enclosing_loop", "innermost_loop", "walk", "EFFECT_OPS",
           "BOOL", "I64"]
