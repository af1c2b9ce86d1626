"""How a row is written in generated code: emitters, callables returning (text, precedence).

An emitter is called as `emit(op, arg)`: `op` is the IR op (its attrs: `where`, `dtype`, ...),
`arg(k, need)` the text of operand k, parenthesised when its expression binds looser than
`need` (Python's operator precedence: higher binds tighter). It returns the op's text and the
precedence of its top-level expression, so an enclosing expression knows whether to
parenthesise it. `repeated` lists the operands written more than once (codegen then names
them instead of folding an expression in twice); `helpers` the functions of
adcompile/runtime.py the text calls (codegen imports those that occur).

The constructors below cover the rows: `call("math.sin")`, `infix("+", 11)`, `prefix("-", 13)`,
`compare("<")`, `cond("{0} if {0} > 0.0 else 0.0")` and `template(fmt, prec, need)`, whose
format string is split once, when the row is defined.
"""
from __future__ import annotations

import re
from collections import Counter
from typing import Callable

ATOM = 16          # a name, a literal, a call, a subscript: never parenthesised
COND = 1           # a conditional expression `a if c else b` binds loosest of all
NEG_LITERAL = 13   # a negative literal such as -1.0 (a unary minus)
COMPARE = 6        # comparisons chain in Python: (a < b) == c needs its parentheses


class Emit:
    """An emitter: `emit(op, arg) -> (text, precedence)` (see the module docstring)."""

    def __init__(self, fn: Callable, repeated=(), helpers=()):
        self.fn = fn
        self.repeated = frozenset(repeated)
        self.helpers = tuple(helpers)

    def __call__(self, op, arg) -> tuple[str, int]:
        return self.fn(op, arg)


_FIELD = re.compile(r"\{(\d+)\}")


def template(fmt: str, prec: int = ATOM, need=None, helpers=()) -> Emit:
    """An emitter from a format string over operands {0}, {1}, ...: `prec` is the precedence
    of the text's top-level expression, `need` the precedence each operand must have (one
    number, or one per operand) to stand without parentheses; by default 0 inside a call
    (prec ATOM), else ATOM. An operand written twice is always a plain name or literal."""
    pieces = _FIELD.split(fmt)
    literals, fields = pieces[0::2], [int(k) for k in pieces[1::2]]
    repeated = {k for k, n in Counter(fields).items() if n > 1}
    if need is None:
        need = 0 if prec == ATOM else ATOM

    def need_of(k):
        if k in repeated:
            return ATOM
        if isinstance(need, tuple):
            return need[k] if k < len(need) else 0
        return need

    def fn(op, arg):
        texts = [arg(k, need_of(k)) for k in range(len(op.args))]
        out = [literals[0]]
        for k, lit in zip(fields, literals[1:]):
            out += [texts[k], lit]
        return "".join(out), prec
    return Emit(fn, repeated, helpers)


def call(func: str, helpers=()) -> Emit:
    """`func(a, b, ...)` of every operand (any number of them)."""
    def fn(op, arg):
        return f"{func}({', '.join(arg(k, 0) for k in range(len(op.args)))})", ATOM
    return Emit(fn, (), helpers)


def infix(symbol: str, prec: int) -> Emit:
    """A left-associative binary operator: `a - b - c` is (a - b) - c."""
    return template(f"{{0}} {symbol} {{1}}", prec, (prec, prec + 1))


def compare(symbol: str) -> Emit:
    """A comparison: both operands bind tighter (comparisons chain in Python)."""
    return template(f"{{0}} {symbol} {{1}}", COMPARE, COMPARE + 1)


def prefix(symbol: str, prec: int) -> Emit:
    """A unary operator: `-x`, `not c`."""
    return template(f"{symbol}{{0}}", prec, prec)


def cond(fmt: str, need=None) -> Emit:
    """A conditional expression; its operands are plain names unless `need` says otherwise."""
    return template(fmt, COND, need)


def either(choose, first: Emit, second: Emit) -> Emit:
    """`first` for the ops `choose(op)` accepts, else `second` (e.g. by operand types)."""
    def fn(op, arg):
        return (first if choose(op) else second)(op, arg)
    return Emit(fn, first.repeated | second.repeated, first.helpers + second.helpers)


__all__ = ["Emit", "template", "call", "either", "infix", "compare", "prefix", "cond", "ATOM", "COND",
           "NEG_LITERAL", "COMPARE"]
