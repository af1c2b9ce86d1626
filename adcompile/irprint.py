"""Textual form of the IR (what `f.ir` shows): one op a line, regions indented."""
from __future__ import annotations

from .ir import Block, ForOp, Function, IfOp, LoopOp, Op, Value, WhileOp


class Namer:
    """Deterministic %names from value hints, numbered in order of definition."""

    def __init__(self):
        self.names: dict[int, str] = {}
        self.used: dict[str, int] = {}

    def define(self, v: Value) -> str:
        base = v.hint or "t"
        n = self.used.get(base, 0)
        self.used[base] = n + 1
        name = base if n == 0 else f"{base}.{n}"
        self.names[v.id] = name
        return "%" + name

    def __call__(self, v: Value) -> str:
        return "%" + self.names.get(v.id, f"?{v.hint}#{v.id}")


def format_function(fn: Function) -> str:
    nm = Namer()
    params = ", ".join(f"{nm.define(p)}: {p.type}" for p in fn.params)
    rtypes = ", ".join(str(v.type) for v in fn.results)
    where = f"  # {fn.loc.short()}" if fn.loc else ""
    lines = [f"func {fn.name}({params}) -> ({rtypes}){where}"]
    _block(fn.body, nm, lines, 1)
    return "\n".join(lines)


def _args(nm, vals) -> str:
    return ", ".join(nm(v) for v in vals)


def _block(blk: Block, nm: Namer, lines: list, depth: int):
    for op in blk.ops:
        _op(op, nm, lines, depth)


def _defs(nm, op) -> str:
    if not op.results:
        return ""
    return ", ".join(nm.define(r) for r in op.results) + " = "


def _op(op: Op, nm: Namer, lines: list, depth: int):
    pad = "  " * depth
    where = f"  # {op.loc.short()}" if op.loc else ""
    role = "" if op.role == "primal" else f" [{op.role}]"
    if isinstance(op, IfOp):
        head = f"{pad}{_defs(nm, op)}if {nm(op.cond)} -> ({_types(op)}){role} {{{where}"
        lines.append(head)
        _block(op.then_block, nm, lines, depth + 1)
        lines.append(f"{pad}}} else {{")
        _block(op.else_block, nm, lines, depth + 1)
        lines.append(f"{pad}}}")
        return
    if isinstance(op, LoopOp):
        body, carried, inits = op.body, op.carried_args, op.inits
        defs = _defs(nm, op)
        iters = ", ".join(f"{nm.define(a)} = {nm(i)}" for a, i in zip(carried, inits))
        exit_ = " exit" if op.attrs.get("exit") else ""
        if isinstance(op, ForOp):
            idx = nm.define(op.index)
            loop = "prange" if op.attrs.get("parallel") else "range"
            head = f"{defs}for {idx} in {loop}({_args(nm, op.bounds)}) iter({iters})"
        else:
            cond = op.cond_block
            for a, c in zip(cond.args, carried):
                nm.names[a.id] = nm.names[c.id]
            head = f"{defs}while iter({iters})"
        lines.append(f"{pad}{head} -> ({_types(op)}){exit_}{role} {{{where}")
        if isinstance(op, WhileOp):
            lines.append(f"{pad}  cond {{")
            _block(op.cond_block, nm, lines, depth + 2)
            lines.append(f"{pad}  }}")
        _block(body, nm, lines, depth + 1)
        lines.append(f"{pad}}}")
        return
    attrs = ""
    if op.name == "const":
        attrs = f" {op.attrs['value']!r}"
    elif op.name == "call":
        attrs = f" @{op.attrs['callee'].name}"
    elif any(k != "where" for k in op.attrs):       # where: the message of a checked read
        attrs = " {" + ", ".join(f"{k}={v}" for k, v in sorted(op.attrs.items())
                                 if k != "where") + "}"
    args = f" {_args(nm, op.args)}" if op.args else ""
    rtype = f" : {op.results[0].type}" if len(op.results) == 1 else ""
    lines.append(f"{pad}{_defs(nm, op)}{op.name}{attrs}{args}{rtype}{role}{where}")


def _types(op) -> str:
    return ", ".join(str(r.type) for r in op.results)
