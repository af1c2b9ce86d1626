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

REGION_OPS = ("if", "for", "while")
EFFECT_OPS = ("tape_reserve", "tape_store", "tape_advance", "tape_retreat")


@dataclass(eq=False)
class Value:
    type: Any
    hint: str = ""             # a name suggestion; "" for compiler temporaries
    owner: Any = None          # defining Op, or the Block whose argument this is
    id: int = field(default_factory=lambda: next(_ids))

    def __repr__(self) -> str:
        return f"%{self.hint}#{self.id}:{self.type}"


@dataclass(eq=False)
class Op:
    name: str
    args: list
    results: list
    attrs: dict = field(default_factory=dict)
    regions: list = field(default_factory=list)
    loc: Loc | None = None
    role: str = "primal"       # primal | adjoint | tape | recompute
    parent: Any = None         # the Block holding this op

    def __post_init__(self):
        for r in self.results:
            r.owner = self
        for blk in self.regions:
            blk.owner = self

    @property
    def result(self) -> Value:
        return self.results[0]


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

    def insert_after(self, anchor: Op | None, new_ops: list) -> None:
        """Insert ops after `anchor` (None: at the start of the block)."""
        at = 0 if anchor is None else self.ops.index(anchor) + 1
        for op in new_ops:
            op.parent = self
        self.ops[at:at] = new_ops

    def add_arg(self, v: Value) -> Value:
        v.owner = self
        self.args.append(v)
        return v


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

    @property
    def results(self) -> list:
        return self.body.terminator.args


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


def loop_carried(op: Op) -> tuple[list, list, list, list]:
    """(inits, body block args, body yields, results) for the carried values of a loop op."""
    if op.name == "for":
        body = op.regions[0]
        inits, args = op.args[3:], body.args[1:]
    else:
        body = op.regions[1]
        inits, args = op.args, body.args
    n = len(inits)
    return inits, args, body.terminator.args[:n], op.results[:n]


def loop_body(op: Op) -> Block:
    return op.regions[0] if op.name == "for" else op.regions[1]


def tape_type(t: Scalar) -> Array:
    return Array(t, 1)


__all__ = ["Value", "Op", "Block", "Function", "walk", "REGION_OPS", "EFFECT_OPS", "BOOL", "I64"]
