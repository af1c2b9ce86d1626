"""Random programs from the families of past silent-wrong-gradient bugs, checked in both modes
(reverse, forward; reverse again with the loops checkpointed, memory=) and with and without Numba against the Python/NumPy value and central
differences; arrays passed in must come back unchanged.

Families (each generator takes a `Choices`, so the same code serves hypothesis, which can
shrink a failing program, and benchmarks/long_random.py, which draws from a seeded
random.Random):

  merge    branches whose arms give a name the same value, swaps `a, b = b, a * 2.0`,
           rotations, copies `if c: z = a else: z = a`, an arm giving a name the value it
           had before the if, `t = a; return t if c else a`, elif chains, nested ifs, inside
           for and while loops (with break and continue), conditional expressions
  intidx   int64 arrays written inside a branch inside a loop (`p[0] = it`, counters,
           a while loop with break, a 2-d index array) then used as indices (in nested
           loops, as trip counts, into matrices, negative); float work arrays written in
           branches in loops and read afterwards; an array bound by both arms to the same
           array, then written through the new name
  views    slices bound to names are NumPy views: writes to the base read through the view,
           writes through the view (`v[0] = ...`, `v += ...`) read from the base, slice
           assignments, views of views, rows and columns of a matrix, views made inside
           loops, views bound by both arms, a work copy or the parameter itself as the base,
           a slice chosen by a branch (a located UnsupportedSyntaxError "copy of ..." is
           accepted there, and only there)
  unread   values a path computes but does not read: `r = math.sqrt(x)` returned only when
           x > 0, `math.log` of a negative, `math.exp(800.0 * x)` overflowing, `acos` out of
           its domain, in branches, elif chains, loops (also carried by a loop that runs zero
           times), helpers and conditional expressions; `np.where(x > 0, np.sqrt(x), 2 * x)`
           and array elements read in a branch: the gradient must be finite (and equal
           central differences) wherever everything the executed path reads is finite;
           points sit on the domain's edge now and then (x = 0.0 for sqrt)
  nan      NaN inputs (a float, or one element of an array): the executed path reads the NaN
           through a nonlinear primitive, so the value and that derivative must be NaN (not
           0, not a number); forward mode may make the other derivatives NaN too (by design,
           docs/conventions.md), reverse mode must agree with it wherever forward is not NaN

The expected value is what the Python function computes under NumPy's floating-point model
(math.sqrt(-1.0) is nan, math.exp(800.0) is inf: the model of compiled code, and of
jit=False, which runs the generated source with the same semantics). Gradients are compared
with Richardson central differences element by element where those are reliable (two step
sizes agree, and so do the one-sided differences: no kink or branch boundary nearby), and
across modes and jit everywhere.
"""
from __future__ import annotations

import contextlib
import math
import os
import random
import sys
import types
from dataclasses import dataclass

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

import adcompile as ad

sys.path.insert(0, os.path.dirname(__file__))
from test_random_programs import BINARY as SCALAR_BINARY, UNARY as SCALAR_UNARY  # noqa: E402
from conftest import in_ci, tight_checkpointed  # noqa: E402

HEADER = ["import math", "import numpy as np", "", "def helper(u):",
          "    return math.sin(u) * u", "", "def bump(y, i, v):", "    y[i] += v", ""]
CONSTS = [0.5, 1.5, -0.75, 2.0]


class Choices:
    """The random choices a generator makes: hypothesis draws (shrinkable) or a seeded
    random.Random (benchmarks/long_random.py)."""

    def __init__(self, draw=None, rng: random.Random | None = None):
        self._draw, self._rng = draw, rng
        self.edges_drawn = 0

    def pick(self, seq):
        seq = list(seq)
        return self._draw(st.sampled_from(seq)) if self._draw else self._rng.choice(seq)

    def int(self, lo, hi):
        return self._draw(st.integers(lo, hi)) if self._draw else self._rng.randint(lo, hi)

    def bool(self, p=0.5):
        if self._draw:
            return self._draw(st.integers(0, 999)) < 1000 * p
        return self._rng.random() < p

    def float(self, lo, hi, edges=()):
        """A float in [lo, hi]; now and then exactly one of `edges` (branch boundaries,
        the edges of a function's domain), where the checks other than central
        differences still apply (at a boundary the path a point takes may differ from its
        neighbours', whatever the step)."""
        if edges and self.bool(0.1):
            self.edges_drawn += 1
            return float(self.pick(edges))
        if self._draw:
            return self._draw(st.floats(lo, hi, allow_nan=False, allow_infinity=False))
        return self._rng.uniform(lo, hi)


@dataclass
class Case:
    """A generated program, where to evaluate it, and what else must hold there."""
    family: str
    src: str
    args: tuple
    wrt: tuple
    nan_wrt: tuple = ()             # (parameter, element index or None): gradient must be NaN
    finite_grad: bool = False       # every gradient must be finite
    may_refuse: bool = False        # a located "copy of" UnsupportedSyntaxError is fine
    draw_args: object = None        # Choices -> another point to check the program at
    edge: bool = False              # args has a value on an edge: no central differences

    def another_point(self, ch: Choices):
        """(args, edge): a new point for the program."""
        before = ch.edges_drawn
        args = self.draw_args(ch)
        return args, ch.edges_drawn > before


# --------------------------------------------------------------------------------- scalars

def sexpr(ch: Choices, names, depth=2):
    """A random float expression over `names` (the scalar generator's templates)."""
    if depth == 0 or ch.int(0, 3) == 0:
        return ch.pick(names) if ch.bool() else repr(ch.pick(CONSTS))
    if ch.bool():
        inner = sexpr(ch, names, depth - 1)
        return "(" + ch.pick(SCALAR_UNARY).replace("{}", inner) + ")"
    left, right = sexpr(ch, names, depth - 1), sexpr(ch, names, depth - 1)
    template = ch.pick(SCALAR_BINARY)
    return "(" + template.replace("{}", left, 1).replace("{}", right, 1) \
        .replace("{}", right) + ")"


def scond(ch: Choices, names):
    kind = ch.int(0, 4)
    if kind == 0:
        return f"c > {ch.pick(['0.0', '0.5', '-0.5'])}"
    if kind == 1:
        a, b = ch.pick(names), ch.pick(names)
        return f"{a} > {b}" if a != b else f"{a} > 0.25"
    cond = f"{sexpr(ch, names, 1)} > {sexpr(ch, names, 1)}"
    if kind == 4:
        joiner = ch.pick(["and", "or"])
        cond = f"({cond}) {joiner} {ch.pick(['(a > 0.0)', '(b < x)', '(not (c > a))'])}"
    return cond


MERGE_VARS = ["x", "y", "c", "a", "b", "z"]


def merge_arm(ch: Choices, names, pad, shared=None):
    """Lines of one if arm: the shared statement (the same on several arms) or a new one."""
    if shared is not None and ch.bool(0.7):
        return [pad + s for s in shared]
    return [pad + s for s in merge_stmt(ch, names)]


def merge_stmt(ch: Choices, names):
    kind = ch.pick(["swap", "assign", "copy", "pass", "swap2", "rotate", "pair"])
    target = ch.pick(["a", "b", "z"])
    if kind == "rotate":
        return ["a, b, z = z, a, b"]
    if kind == "pair":                         # two statements; the other arm may reorder
        src = ch.pick(["b", "y", "a * 0.5"])
        return [f"z = {src}", f"a = {src}"] if ch.bool() else [f"a = {src}", "z = a"]
    if kind == "swap":
        return [f"a, b = b, a * {ch.pick(['2.0', '3.0', '-0.5'])}"]
    if kind == "swap2":
        return [f"a, z = z, {ch.pick(['a', 'a * 0.5', 'math.sin(a)'])}"]
    if kind == "copy":
        return [f"{target} = {ch.pick([n for n in names if n != target])}"]
    if kind == "pass":
        return ["pass"]
    return [f"{target} = {sexpr(ch, names, 2)}"]


def merge_block(ch: Choices, depth, indent, names):
    pad = "    " * indent
    lines = []
    for _ in range(ch.int(1, 3)):
        kinds = ["assign", "if_same", "if_swap", "if_copy", "elif", "condexpr", "env_same"]
        if depth:
            kinds += ["nested", "for", "while", "for"]
        kind = ch.pick(kinds)
        if kind == "assign":
            lines.append(f"{pad}{ch.pick(['a', 'b', 'z'])} = {sexpr(ch, names)}")
        elif kind in ("if_same", "if_swap", "if_copy"):
            shared = (merge_stmt(ch, names) if kind == "if_same" else
                      [f"a, b = b, a * {ch.pick(['2.0', '3.0'])}"] if kind == "if_swap" else
                      [f"{ch.pick(['a', 'z'])} = {ch.pick(['b', 'y', 'x'])}"])
            other = shared
            if kind == "if_swap" and ch.bool():
                other = [f"a, b = b, a * {ch.pick(['2.0', '3.0', '-1.0'])}"]
            lines.append(f"{pad}if {scond(ch, names)}:")
            lines += [pad + "    " + s for s in shared]
            lines.append(f"{pad}else:")
            lines += [pad + "    " + s for s in other]
        elif kind == "elif":
            shared = merge_stmt(ch, names)
            lines.append(f"{pad}if {scond(ch, names)}:")
            lines += merge_arm(ch, names, pad + "    ", shared)
            for _ in range(ch.int(1, 2)):
                lines.append(f"{pad}elif {scond(ch, names)}:")
                lines += merge_arm(ch, names, pad + "    ", shared)
            if ch.bool(0.7):
                lines.append(f"{pad}else:")
                lines += merge_arm(ch, names, pad + "    ", shared)
        elif kind == "condexpr":
            e1 = sexpr(ch, names, 1)
            e2 = e1 if ch.bool() else ch.pick(names)
            lines.append(f"{pad}{ch.pick(['a', 'b', 'z'])} = {e1} if {scond(ch, names)} else {e2}")
        elif kind == "env_same":             # an arm gives a name the value it had before
            src = ch.pick(["b", "y", "x"])
            lines.append(f"{pad}z = {src}")
            lines.append(f"{pad}if {scond(ch, names)}:")
            lines.append(f"{pad}    z = {src}")
            if ch.bool():
                lines.append(f"{pad}else:")
                lines += merge_arm(ch, names, pad + "    ", [f"a = {src}"])
        elif kind == "nested":
            shared = merge_stmt(ch, names)
            lines.append(f"{pad}if {scond(ch, names)}:")
            lines.append(f"{pad}    if {scond(ch, names)}:")
            lines += merge_arm(ch, names, pad + "        ", shared)
            lines.append(f"{pad}    else:")
            lines += merge_arm(ch, names, pad + "        ", shared)
            lines.append(f"{pad}else:")
            lines += merge_arm(ch, names, pad + "    ", shared)
        elif kind == "for":
            var = f"i{indent}"
            lines.append(f"{pad}for {var} in range({ch.int(0, 3)}):")
            lines += merge_block(ch, depth - 1, indent + 1, names + [var])
            if ch.bool(0.3):
                lines.append(f"{pad}    if a > {ch.pick(['b', '2.0'])}:")
                lines.append(f"{pad}        {ch.pick(['break', 'continue'])}")
        else:
            cv = f"k{indent}"
            lines.append(f"{pad}{cv} = 0")
            lines.append(f"{pad}while {cv} < {ch.int(1, 3)} and abs(a) < 50.0:")
            lines += merge_block(ch, depth - 1, indent + 1, names)
            lines.append(f"{pad}    {cv} += 1")
    return lines


def gen_merge(ch: Choices) -> Case:
    body = ["def f(x, y, c):", "    a = x", "    b = y", "    z = x * y"]
    body += merge_block(ch, 2, 1, MERGE_VARS)
    ret = ch.pick(["plain", "condret", "early"])
    if ret == "plain":
        body.append(f"    return a + b * z + {sexpr(ch, MERGE_VARS, 1)}")
    elif ret == "condret":                     # y = x; return y if c else x
        body.append("    t = a")
        body.append(f"    return (t if {scond(ch, MERGE_VARS)} else a) * b + z")
    else:
        body.append("    t = b")
        body.append(f"    if {scond(ch, MERGE_VARS)}:")
        body.append("        return t + a * z")
        body.append("    return b + a * z")
    point = lambda ch: (ch.float(-1.5, 1.5, (0.0,)), ch.float(-1.5, 1.5),
                        ch.float(-1.5, 1.5, (0.0, 0.5, -0.5)))
    return Case("merge", "\n".join(HEADER + body) + "\n", point(ch), (0, 1, 2),
                draw_args=point)


# --------------------------------------------------------------------------------- arrays

N = 5          # vectors x: (N,); matrices A: (3, 3)


def aexpr(ch: Choices, names, depth=1):
    """A float expression over scalar-valued names (array elements included)."""
    if depth == 0 or ch.int(0, 2) == 0:
        return ch.pick(names) if ch.bool(0.8) else repr(ch.pick(CONSTS))
    if ch.bool():
        inner = aexpr(ch, names, depth - 1)
        return ch.pick(["math.sin({})", "math.tanh({})", "({}) * ({})", "helper({})",
                        "math.exp(-({}) * ({}))"]).replace("{}", inner)
    a, b = aexpr(ch, names, depth - 1), aexpr(ch, names, depth - 1)
    return "(" + ch.pick(["{} + {}", "{} - {}", "{} * {}", "0.5 * {} * {}"]) \
        .replace("{}", a, 1).replace("{}", b) + ")"


def array_args(ch: Choices):
    x = np.array([ch.float(-1.0, 1.0) for _ in range(N)])
    A = np.array([[ch.float(-1.0, 1.0) for _ in range(3)] for _ in range(3)])
    return x, A, ch.float(-0.8, 0.8)


def gen_intidx(ch: Choices) -> Case:
    K = ch.int(1, 2)
    lines = ["def f(x, A, c):", f"    p = np.zeros({K}, dtype=np.int64)",
             f"    w = {ch.pick(['np.zeros(5)', 'x * 0.5', 'np.ones(5)'])}", "    s = 0.0"]
    loop = ch.pick(["for", "while"])
    pad = "        "
    if loop == "for":
        lines.append(f"    for it in range({N}):")
    else:
        lines += ["    it = 0", f"    while it < {N}:"]
    names = ["x[it]", "c", "w[it - 1]", "A[it % 3, p[0] % 3]", "x[p[0]]"]
    cond = ch.pick(["x[it] > c", "x[it] > x[p[0]]", "x[it] * c > w[it - 1]",
                    "A[it % 3, 1] > 0.0", "x[p[0]] < x[it] * 0.5"])
    lines.append(f"{pad}if {cond}:")
    idx_write = ch.pick(["p[0] = it", f"p[0] = {N - 1} - it", f"p[0] = (p[0] + it) % {N}"])
    lines.append(f"{pad}    {idx_write}")
    lines.append(f"{pad}    w[it] = {aexpr(ch, names, 2)}")
    if K == 2 or ch.bool():
        lines.append(f"{pad}elif {ch.pick(['x[it] < -c', 'w[it] > 0.2', 'it == 3'])}:")
        if K == 2:
            lines.append(f"{pad}    p[1] = {ch.pick(['it', 'p[0]', f'{N - 1} - it'])}")
        lines.append(f"{pad}    w[it] = {aexpr(ch, names, 1)}")
    if ch.bool(0.6):
        lines.append(f"{pad}else:")
        lines.append(f"{pad}    w[{ch.pick(['it', 'p[0]', '(it + 1) % 5'])}] "
                     f"{ch.pick(['=', '+='])} {aexpr(ch, names, 1)}")
    if loop == "while":
        lines.append(f"{pad}it += 1")
    last = f"p[{K - 1}]"
    reads = []
    for _ in range(ch.int(1, 3)):
        kind = ch.pick(["nested", "matrix", "copy", "trip", "sum", "branchloop", "alias",
                        "counter", "search", "grid"])
        if kind == "nested":
            reads += ["    for j in range(2):", f"        for k in range({N}):",
                      f"            s += x[p[0]] * w[k] * {ch.pick(['c', 'x[k]', 'w[p[0]]'])}"]
        elif kind == "matrix":
            reads.append(f"    s += A[p[0] % 3, {last} % 3] * x[{last}] + w[p[0]]")
        elif kind == "copy":
            reads += ["    q = p[0]", f"    s += w[q] * x[(q + 1) % {N}]"]
        elif kind == "trip":
            reads += [f"    for j in range({last} + 1):", "        s += x[j] * w[j]"]
        elif kind == "sum":
            reads.append(f"    s += np.sum(w * {ch.pick(['x', 'np.sin(x)', 'w'])})")
        elif kind == "branchloop":             # written again in a branch, read later
            reads += [f"    for j in range({N}):", f"        if w[j] > {ch.pick(['0.0', 'c'])}:",
                      f"            w[j] = {aexpr(ch, ['w[j]', 'x[j]', 'c', 'x[p[0]]'], 1)}",
                      f"            p[0] = j", f"    s += w[p[0]] * x[p[0]]"]
        elif kind == "counter":                # an int array counting in a branch
            bound = ch.pick(["c", "0.0", "w[j]"])
            reads += ["    n = np.zeros(1, dtype=np.int64)", f"    for j in range({N}):",
                      f"        if x[j] > {bound}:", "            n[0] += 1", "        else:",
                      f"            w[n[0]] = w[n[0]] * {ch.pick(['c', 'x[j]', '0.5'])}",
                      f"    s += x[n[0] % {N}] * w[n[0] - 1] + w[-1 - p[0]]"]
        elif kind == "search":                 # a while loop with break finds an index
            reads += ["    m = np.zeros(1, dtype=np.int64)", "    j = 0", f"    while j < {N}:",
                      f"        if w[j] * x[j] > {ch.pick(['s', 'c', '0.0'])}:",
                      "            m[0] = j",
                      "            break", "        j += 1",
                      f"    for k in range(m[0], {N}):", "        s += w[k] * x[m[0]]"]
        elif kind == "grid":                   # a 2-d int array of indices
            reads += ["    P = np.zeros((2, 2), dtype=np.int64)", "    for j in range(2):",
                      "        for k in range(2):", "            if A[j, k] > c:",
                      f"                P[j, k] = p[0] % 3", "            else:",
                      "                P[j, k] = (j + k) % 3",
                      "    s += A[P[0, 1], P[1, 0]] * x[P[1, 1]] + w[P[0, 0]]"]
        else:                                  # both arms bind the same array
            reads += ["    u = w * 1.0", f"    if {ch.pick(['c > 0.0', 'x[p[0]] > 0.0'])}:",
                      "        z = u", "    else:", "        z = u",
                      f"    z[{ch.pick(['0', 'p[0]', str(N - 1)])}] = "
                      f"{aexpr(ch, ['x[1]', 'c', 's'], 1)}",
                      "    s += np.sum(u * x)"]
    lines += reads
    lines.append(f"    return s + c * np.sum(w) + x[p[0]] * {ch.pick(['c', 'x[0]', '1.0'])}")
    return Case("intidx", "\n".join(HEADER + lines) + "\n", array_args(ch), (0, 1, 2),
                draw_args=array_args)


SLICES = [("[1:]", 4), ("[:-1]", 4), ("[::2]", 3), ("[1:4]", 3), ("[::-1]", 5), ("[2:]", 3),
          ("[1::2]", 2)]


def gen_views(ch: Choices) -> Case:
    lines = ["def f(x, A, c):", f"    y = {ch.pick(['x * 1.0', 'x.copy()', 'x'])}", "    s = 0.0"]
    sl, L = ch.pick(SLICES)
    lines.append(f"    v = y{sl}")
    views = {"v": L}
    mats = {}
    may_refuse = False
    for _ in range(ch.int(2, 6)):
        name = ch.pick(sorted(views))
        n = views[name]
        scal = ["x[0]", "c", "s", f"{name}[{ch.int(0, n - 1)}]", f"y[{ch.int(0, N - 1)}]"]
        kind = ch.pick(["base_write", "view_write", "view_aug", "view_whole", "base_whole",
                        "read", "sum", "view_of_view", "loop", "loop_views", "branch_write",
                        "matrix", "chosen", "alias", "slice_assign", "shrink"])
        if kind == "base_write":
            k, op = ch.int(0, N - 1), ch.pick(["=", "+=", "*="])
            lines.append(f"    y[{k}] {op} {aexpr(ch, scal)}")
        elif kind == "view_write":
            lines.append(f"    {name}[{ch.int(0, n - 1)}] {ch.pick(['=', '+='])} {aexpr(ch, scal)}")
        elif kind == "view_aug":
            lines.append(f"    {name} {ch.pick(['+=', '-=', '*='])} {aexpr(ch, scal)}")
        elif kind == "view_whole":
            lines.append(f"    {name} += x[:{n}] * {ch.pick(['c', 'x[1]', '0.5'])}")
        elif kind == "base_whole":
            lines.append(f"    y {ch.pick(['+=', '*='])} {ch.pick(['x * c', '0.5', 'np.sin(x)'])}")
        elif kind == "read":
            lines.append(f"    s += {name}[{ch.int(0, n - 1)}] * {aexpr(ch, scal)}")
        elif kind == "sum":
            summed = ch.pick([f"{name} * {name}", f"np.sin({name})", name])
            lines.append(f"    s += np.sum({summed})")
        elif kind == "view_of_view" and n >= 2:
            new = f"w{len(views)}"
            sl2, m = ch.pick([("[1:]", n - 1), ("[:-1]", n - 1), ("[::-1]", n)])
            lines.append(f"    {new} = {name}{sl2}")
            views[new] = m
        elif kind == "loop":
            lines += [f"    for i in range({n}):",
                      f"        {name}[i] = {name}[i] * {ch.pick(['c', 'x[i]', '0.5'])} + y[i]"]
        elif kind == "loop_views":
            lines += ["    for i in range(3):", "        u = y[i:]",
                      f"        s += u[0] * {ch.pick(['c', 'x[i]', 'u[1]'])}",
                      f"        y[i + 1] {ch.pick(['+=', '='])} u[0] * {ch.pick(['c', '0.5'])}"]
        elif kind == "shrink":                # a carried array rebound to a new shape
            loop = ch.pick(["for k in range(2):", "k = 0\n    while k < 2:"])
            lines += ["    wv = y * 1.0", f"    {loop}",
                      f"        wv = wv[1:] * {ch.pick(['c', '0.5', 'wv[:-1]'])}",
                      "        s += wv[0]" + ("\n        k += 1" if "while" in loop else "")]
        elif kind == "branch_write":
            lines += [f"    if {ch.pick(['c > 0.0', 'x[0] > x[1]', f'{name}[0] > 0.0'])}:",
                      f"        y[{ch.int(0, N - 1)}] = {aexpr(ch, scal)}", "    else:",
                      f"        {name}[{ch.int(0, n - 1)}] = {aexpr(ch, scal)}"]
        elif kind == "matrix":
            if not mats:
                lines.append("    B = A * 1.0")
                mats["B"] = 3
            i, j = ch.int(0, 2), ch.int(0, 2)
            sub = ch.pick(["row", "col", "rowloop"])
            if sub == "row":
                lines += [f"    r = B[{i}, :]",
                          f"    B[{i}, {j}] = {aexpr(ch, ['r[0]', 'c', 'x[1]', 'r[2]'])}",
                          f"    r[{ch.int(0, 2)}] += {aexpr(ch, ['c', 'x[0]'])}",
                          "    s += np.sum(r * r)"]
            elif sub == "col":
                lines += [f"    col = B[:, {j}]", f"    col *= {ch.pick(['c', 'x[2]', '1.5'])}",
                          f"    B[{i}, {j}] += {aexpr(ch, ['col[0]', 'c'])}", "    s += col[1] * c"]
            else:
                lines += ["    for i in range(3):", "        r = B[i, :]",
                          f"        B[i, {j}] = {aexpr(ch, ['r[1]', 'c', 'x[i]'])}",
                          "        s += np.sum(r * r) + r[0]"]
        elif kind == "chosen":                # a branch chooses the slice: maybe refused
            may_refuse = True
            new = f"w{len(views)}"
            lines += [f"    if {ch.pick(['c > 0.0', 'x[0] > x[1]'])}:", f"        {new} = y[1:]",
                      "    else:", f"        {new} = y[:-1]"]
            views[new] = 4
        elif kind == "slice_assign":          # write a slice of the base, read the view
            lo = ch.int(0, 2)
            lines.append(f"    y[{lo}:{lo + 2}] {ch.pick(['=', '+='])} "
                         f"{ch.pick(['x[3:] * c', 'np.sin(x[:2])', 'A[0, 1:]'])}")
        elif kind == "alias":                 # both arms bind the same view
            new = f"w{len(views)}"
            lines += [f"    if {ch.pick(['c > 0.0', 'x[0] > x[1]'])}:", f"        {new} = {name}",
                      "    else:", f"        {new} = {name}"]
            views[new] = n
    reads = " + ".join(f"{v}[{ch.int(0, m - 1)}]" for v, m in sorted(views.items())
                       if ch.bool(0.6))
    tail = " + np.sum(B * A)" if mats else ""
    lines.append(f"    return s + np.sum(y * x){tail}" + (f" + ({reads}) * c" if reads else ""))
    return Case("views", "\n".join(HEADER + lines) + "\n", array_args(ch), (0, 1, 2),
                may_refuse=may_refuse, draw_args=array_args)


# ------------------------------------------------------------------------ unread values

# (expression of u that may be nan or inf, the condition under which it is finite with a
#  finite derivative); u is substituted in parentheses
DANGERS = [("math.sqrt({u})", "{u} > 0.0"), ("math.log({u})", "{u} > 0.0"),
           ("math.exp(800.0 * {u})", "{u} < 0.01"), ("math.acos({u})", "abs({u}) < 0.9"),
           ("math.log1p({u})", "{u} > -0.9"), ("np.sqrt({u})", "{u} > 0.0"),
           ("math.sqrt({u}) * math.log({u})", "{u} > 0.0"), ("np.log({u}) * y", "{u} > 0.0")]
ARGUMENTS = ["x", "x - y", "x * y", "y - 0.75", "a"]


def subst(template, u):
    return template.replace("{u}", u if u.isidentifier() else f"({u})")


def gen_unread(ch: Choices) -> Case:
    if ch.bool(0.3):
        return gen_unread_array(ch)
    head = []
    lines = ["def f(x, y):", f"    a = {ch.pick(['x', 'x * y', 'math.sin(x)'])}"]
    danger, guard = ch.pick(DANGERS)
    u = ch.pick(ARGUMENTS)
    d, g = subst(danger, u), subst(guard, u)
    if ch.bool(0.15):                          # computed by a helper
        head = ["def g(u, y):", f"    return {subst(danger, 'u')}", ""]
        d = f"g({u}, y)"
    safe = ch.pick(["2.0 * x", "x - y", "x * y + 1.0", "math.sin(a)"])
    use = ch.pick(["r", "r * y", "math.tanh(r) * y"])
    chain = ch.bool(0.3)                       # values computed from r, also unread
    pre = [f"    r = {d}"] + (["    r = math.tanh(r) * y + r"] if chain else [])
    shape = ch.pick(["early", "ifelse", "condexpr", "loop", "while", "inloop", "elif",
                     "two", "carried", "while_guard", "trip"])
    if shape == "early":
        lines += pre + [f"    if {g}:", f"        return {use}", f"    return {safe}"]
    elif shape == "ifelse":
        lines += pre + [f"    if {g}:", f"        s = {use}", "    else:", f"        s = {safe}",
                        "    return s + y"]
    elif shape == "condexpr":
        lines += pre + [f"    return ({use} if {g} else {safe}) * y + a"]
    elif shape == "loop":
        lines += pre + ["    s = 0.0", f"    for i in range({ch.int(1, 3)}):", f"        if {g}:",
                        f"            s += {use} * i", "        else:",
                        f"            s += {safe}", "    return s"]
    elif shape == "while":
        lines += pre + ["    s = 0.0", "    k = 0", f"    while k < {ch.int(1, 3)}:",
                        f"        if {g}:", f"            s = s + {use}", "        else:",
                        f"            s = s * y + {safe}", "        k += 1", "    return s"]
    elif shape == "inloop":                  # made inside the loop, read in a branch
        lines += ["    s = 0.0", f"    for i in range({ch.int(1, 3)}):",
                  "        a = a + 0.25 * y"] + ["    " + p for p in pre] + \
                 [f"        if {g}:", f"            s += {use}", "    return s + a"]
    elif shape == "elif":
        lines += pre + [f"    if {g} and y > 1.0:", f"        s = {use} * 2.0",
                        f"    elif {g}:", f"        s = {use}", "    else:",
                        f"        s = {safe}", "    return s"]
    elif shape == "two":                      # two values, each read on its own path
        danger2, guard2 = ch.pick(DANGERS)
        u2 = ch.pick(ARGUMENTS)
        lines += pre + [f"    q = {subst(danger2, u2)}", f"    if {g}:",
                        f"        s = {use}", f"    elif {subst(guard2, u2)}:",
                        "        s = q * y", "    else:", f"        s = {safe}", "    return s"]
    elif shape == "carried":                  # carried by a loop that runs only if g
        lines += pre + ["    s = y", f"    for i in range({ch.int(1, 3)} if {g} else 0):",
                        f"        s, r = s + {use}, {ch.pick(['s', 'r * 0.5', 's * r'])}",
                        f"    return s + {safe}"]
    elif shape == "while_guard":
        lines += pre + ["    s = y", "    k = 0", f"    while k < {ch.int(1, 3)} and {g}:",
                        f"        s = s + {use}", f"        r = {ch.pick(['r * 0.5', 'r + s'])}",
                        "        k += 1", "    return s"]
    else:                                     # the trip count reads the value's guard
        lines += pre + ["    s = x", f"    for i in range({ch.int(1, 3)} if {g} else 0):",
                        f"        s = s * y + {use}", "    return s"]
    point = lambda ch: (ch.float(-1.5, 1.5, (0.0, 0.01, 0.9, -0.9)), ch.float(0.5, 1.5, (0.75,)))
    return Case("unread", "\n".join(HEADER + head + lines) + "\n", point(ch), (0, 1),
                finite_grad=True, draw_args=point)


ARRAY_DANGERS = [("np.sqrt({u})", "{u} > 0.0"), ("np.log({u})", "{u} > 0.0"),
                 ("np.exp(800.0 * {u})", "{u} < 0.01"), ("np.sqrt({u}) * np.log({u})", "{u} > 0.0")]


def gen_unread_array(ch: Choices) -> Case:
    danger, guard = ch.pick(ARRAY_DANGERS)
    u = ch.pick(["x", "x - c"])
    d, g = subst(danger, u), subst(guard, u)
    safe = ch.pick(["2.0 * x", "x * c", "np.sin(x)"])
    lines = ["def f(x, c):"]
    if ch.bool():
        lines.append(f"    return np.sum(np.where({g}, {d}, {safe}) * c)")
    else:
        ui = u.replace("x", "x[i]")
        lines += [f"    r = {d}", "    s = 0.0", f"    for i in range({N}):",
                  f"        if {subst(guard, ui)}:", "            s += r[i] * c",
                  "        else:", f"            s += {safe.replace('x', 'x[i]')}",
                  "    return s"]
    point = lambda ch: (np.array([ch.float(-1.0, 1.0, (0.0, 0.01)) for _ in range(N)]),
                        ch.float(0.5, 1.5))
    return Case("unread", "\n".join(HEADER + lines) + "\n", point(ch), (0, 1),
                finite_grad=True, draw_args=point)


# ----------------------------------------------------------------------------- NaN inputs

NAN_FIRST = ["math.sin(x)", "math.tanh(x)", "x * x", "math.exp(-x * x)",
             "math.sqrt(1.0 + x * x)", "abs(x) * y", "max(x, 0.5)", "np.maximum(0.5, x)",
             "np.minimum(x, 0.5) * y", "math.atan(x)",
             "helper(x)", "math.log(1.0 + x * x)", "min(x, -0.5) * y"]
NAN_KEEP = ["math.sin(a)", "math.tanh(a) * b", "a * a + b", "2.0 * a - b", "a + 0.5 * math.cos(b)",
            "abs(a)", "max(a, 0.5)", "helper(a) + b", "a / (1.0 + b * b)", "math.atan2(a, 1.5)"]


def nan_block(ch: Choices, depth, indent):
    """Statements after which `a` still depends on x (so its derivative is NaN)."""
    pad = "    " * indent
    lines = []
    for _ in range(ch.int(1, 3)):
        kind = ch.pick(["keep", "b", "if", "swap", "for", "while", "ret"] if depth else
                       ["keep", "b", "swap"])
        bexpr = sexpr(ch, ["b", "y"], 1)
        if kind == "keep":
            lines.append(f"{pad}a = {ch.pick(NAN_KEEP)}")
        elif kind == "b":
            lines.append(f"{pad}b = {ch.pick([bexpr, 'b * math.cos(a)', 'b + a'])}")
        elif kind == "swap":
            lines.append(f"{pad}a, b = {ch.pick(['a + b', 'a * b', 'math.sin(a)'])}, a")
        elif kind == "if":
            cond = ch.pick(["a > 0.25", "b > y", "not (a < 0.0)", "b > 1.0", "a == a"])
            lines.append(f"{pad}if {cond}:")
            lines += nan_block(ch, depth - 1, indent + 1)
            if ch.bool(0.7):
                lines.append(f"{pad}else:")
                lines += nan_block(ch, depth - 1, indent + 1)
        elif kind == "for":
            lines.append(f"{pad}for i{indent} in range({ch.int(0, 3)}):")
            lines += nan_block(ch, depth - 1, indent + 1)
        elif kind == "while":
            lines += [f"{pad}k{indent} = 0",
                      f"{pad}while k{indent} < {ch.int(1, 3)}"
                      f"{ch.pick(['', ' and abs(a) < 50.0'])}:"]
            lines += nan_block(ch, depth - 1, indent + 1)
            lines.append(f"{pad}    k{indent} += 1")
        else:
            lines.append(f"{pad}if {ch.pick(['b > 1.0', 'a > 0.0', 'b < y'])}:")
            lines.append(f"{pad}    return a * b + {ch.pick(['y', 'b'])}")
    return lines


def gen_nan(ch: Choices) -> Case:
    if ch.bool(0.25):
        return gen_nan_array(ch)
    lines = ["def f(x, y):", f"    a = {ch.pick(NAN_FIRST)}", "    b = y"]
    lines += nan_block(ch, 2, 1)
    lines.append(f"    return a + b * {ch.pick(['1.0', 'y', '0.5 * b'])}")
    point = lambda ch: (math.nan, ch.float(0.5, 1.5))
    return Case("nan", "\n".join(HEADER + lines) + "\n", point(ch), (0, 1),
                nan_wrt=((0, None),), draw_args=point)


def gen_nan_array(ch: Choices) -> Case:
    k = ch.int(0, N - 1)
    f = ch.pick(["np.sin({})", "np.tanh({}) * c", "({}) * ({})", "np.exp(-({}) * ({}))",
                 "np.sqrt(1.0 + ({}) ** 2)", "np.abs({})", "np.maximum({}, 0.5)"])
    lines = ["def f(x, c):"]
    shape = ch.pick(["whole", "loop", "where"])
    if shape == "whole":
        lines.append(f"    return np.sum({f.replace('{}', 'x')} * c) + c")
    elif shape == "where":
        lines.append(f"    return np.sum(np.where(x > c, {f.replace('{}', 'x')}, x * x)) + c")
    else:
        fi = f.replace("{}", "x[i]").replace("np.maximum", "max").replace("np.abs", "abs") \
            .replace("np.sqrt", "math.sqrt").replace("np.tanh", "math.tanh") \
            .replace("np.sin", "math.sin").replace("np.exp", "math.exp")
        lines += ["    s = 0.0", f"    for i in range({N}):", "        if x[i] > c:",
                  f"            s += {fi}", "        else:", "            s += x[i] * x[i] * c",
                  "    return s"]

    def point(ch):
        x = np.array([ch.float(-1.0, 1.0) for _ in range(N)])
        x[k] = math.nan
        return x, ch.float(0.5, 1.5)
    return Case("nan", "\n".join(HEADER + lines) + "\n", point(ch), (0, 1),
                nan_wrt=((0, k),), draw_args=point)


# ------------------------------------------------------------------ element writes in loops
# The adjoint of y[i] = v zeroes y_bar[i] (dropped where no read can see the zero) and loop
# tapes are reserved once where their size is known (hoisted out of outer loops): writes at
# the loop index, at a fixed element, reading the element before, read again in a later
# sweep, in a branch, in two dimensions; inner trip counts fixed, following the outer index,
# or a parameter's length; the array rebound to a new one inside the loop before the writes;
# loops over enumerate, zip and the rows of a matrix, sums of generator expressions and list
# comprehensions, a helper that writes and returns nothing; list comprehensions as arrays,
# index arrays (repeats), np.add.at, masks, zip through list().

WRITE_BLOCKS = [
    ["for i in range({n}):", "    y[i] = {e}"],
    ["for i in range({n}):", "    y[i] = y[i] * c + {e}"],
    ["for i in range(1, {n}):", "    y[i] = y[i - 1] * 0.5 + {e}"],
    ["for i in range({n}):", "    y[0] = y[0] * 0.5 + {e}"],
    ["for t in range(2):", "    for i in range({n}):", "        y[i] = y[i] * 0.5 + {e} * t"],
    ["if c > 0.9:", "    for i in range({n}):", "        y[i] = {e}"],
    ["for i in range({n}):", "    y[i] = {e}", "    y[i] = y[i] * x[i] + 1.0"],
    ["for i in range(3):", "    for j in range(3):", "        B[i, j] = B[i, j] * x[i] + {e}"],
    ["for t in range({m}):", "    for i in range({inner}):",
     "        s = s + math.sin(s * c + x[i] * (t + 1.0))"],
    # everyday Python: enumerate, zip (of arrays of different lengths too: y may have 5
    # elements), rows of a matrix, sums of generator expressions, a helper returning nothing
    ["for i, v in enumerate(x):", "    y[i] = y[i] * c + v * {e}"],
    ["for i, (a, b) in enumerate(zip(x, y)):", "    y[i] = a * b * c + {e}"],
    ["for t, v in zip(range({m}), x):", "    s = s + math.sin(s * c + v * (t + 1.0))"],
    ["for i, row in enumerate(B):", "    B[i, 0] = row[1] * c + {e}"],
    ["s = s + sum({e} * y[i] for i in range({n}) if x[i] > 0.0)"],
    ["s = s + sum([y[i] * B[i % 3, j] for i in range({n}) for j in range(3)], c)"],
    ["for i in range({n}):", "    bump(y, i, {e})"],
    # NumPy breadth: a list comprehension as an array, index arrays written with repeats,
    # np.add.at, a mask, zip as a value through list()
    ["z = [{e} for i in range({n})]", "s = s + np.sum(np.array(z) * x[:len(z)]) + z[0] * c"],
    ["for i in range(2):", "    y[np.array([i, 1, 1])] += {e}"],
    ["for i in range(2):", "    y[[i, 0]] = y[[1, i]] * c + {e}"],
    ["np.add.at(y, np.array([0, 0, 1]), x[:3] * c)"],
    ["m = y > 0.8", "y[m] = y[m] * c + 1.0", "s = s + np.sum(y[~m] ** 2)"],
    ["for i, (a, b) in enumerate(list(zip(x, y))):", "    s = s + a * b * {e}"],
    # a carried array written whole in place, then reduced in the same iteration
    ["for t in range(2):", "    y[:] = y * c + x * 0.5", "    s = s + np.sum(y * x)"],
    ["for t in range(2):", "    y *= c", "    s = s + np.sum(y) + np.max(y)"],
    ["k = 0", "while k < 2:", "    y[:] = y * c + x", "    s = s + np.sum(y * y)", "    k = k + 1"],
]
# the name bound to a new array inside the loop, then written (the loop must carry the
# written array, not the one before the write, and start from the array as last written).
# Last in a program: writing into y after such a loop is refused (y may be either array)
REBIND_BLOCKS = [
    ["for t in range(2):", "    y = np.zeros(x.shape[0])", "    for i in range({n}):",
     "        y[i] = y[i] + {e} * (t + 1.0)"],
    ["for i in range({n}):", "    y = y.copy()", "    y[i] = {e}"],
    ["for i in range({n}):", "    if c > 0.9:", "        y = y * 0.5", "    else:",
     "        y = y + 0.0", "    y[i] = y[i] + {e}"],
    ["for i in range({n}):", "    z = np.zeros(x.shape[0])", "    z[i] = {e}", "    y = y + z"],
]
WRITE_VALUES = ["x[i] * x[i]", "math.sin(x[i] + s)", "math.tanh(c * x[i])", "x[i] * c - s",
                "math.exp(-x[i] * x[i])"]


def gen_writes(ch: Choices) -> Case:
    lines = ["def f(x, A, c):", f"    y = {ch.pick(['np.zeros(x.shape[0])', 'x.copy()', 'np.ones(5)'])}",
             "    B = A.copy()", "    s = 0.0"]
    for _ in range(ch.int(1, 3)):
        block = ch.pick(WRITE_BLOCKS)
        e = ch.pick(WRITE_VALUES)
        if "[i, j]" in "".join(block):
            e = e.replace("x[i]", "x[j]")
        fill = dict(n=ch.pick([str(N), "x.shape[0]"]), e=e, m=ch.pick(["2", "3", "0"]),
                    inner=ch.pick([str(N), "x.shape[0]", "t", "t + 1", "3 - t"]))
        lines += ["    " + ln.format(**fill) for ln in block]
        if ch.bool(0.4):
            lines.append(f"    s = s + y[{ch.int(0, N - 1)}] * c")
    if ch.bool(0.4):
        lines += ["    " + ln.format(n=ch.pick([str(N), "x.shape[0]"]), e=ch.pick(WRITE_VALUES))
                  for ln in ch.pick(REBIND_BLOCKS)]
    lines.append("    return s + np.sum(y * y) + np.sum(B * B) * 0.1")
    x, A, _ = array_args(ch)
    point = lambda ch: (array_args(ch)[0], A, ch.float(0.5, 1.5))
    return Case("writes", "\n".join(HEADER + lines) + "\n", (x, A, ch.float(0.5, 1.5)),
                (0, 1, 2), draw_args=point)


GENERATORS = {"merge": gen_merge, "intidx": gen_intidx, "views": gen_views, "writes": gen_writes,
              "unread": gen_unread, "nan": gen_nan}


# ---------------------------------------------------------------------------- the check

class Skip(Exception):
    """The example says nothing (the Python value is not finite, or blows up)."""


class Refused(Exception):
    """adcompile refused the program with an accepted located error."""


def _numpy_model_math():
    """`math` as compiled code sees it: NumPy's floating-point model (nan and inf, no
    exceptions)."""
    alias = {"asin": "arcsin", "acos": "arccos", "atan": "arctan", "atan2": "arctan2",
             "pow": "power", "asinh": "arcsinh", "acosh": "arccosh", "atanh": "arctanh"}
    shim = types.SimpleNamespace()
    for name in dir(math):
        if name.startswith("_"):
            continue
        npf = getattr(np, alias.get(name, name), None)
        value = getattr(math, name)
        if callable(value) and isinstance(npf, np.ufunc) and name not in ("floor", "ceil", "trunc"):
            setattr(shim, name, lambda *a, _f=npf: float(_f(*a)))
        else:
            setattr(shim, name, value)
    return shim


NUMPY_MATH = _numpy_model_math()


def _copies(args):
    return [a.copy() if isinstance(a, np.ndarray) else a for a in args]


@contextlib.contextmanager
def numpy_model(module):
    saved = module.math
    module.math = NUMPY_MATH
    try:
        with np.errstate(all="ignore"):
            yield
    finally:
        module.math = saved


def reference(module):
    """The Python function under NumPy's floating-point model, on copies of its arrays."""
    def ref(*args):
        with numpy_model(module):
            return module.f(*_copies(args))
    return ref


def fd_elements(ref, args, i):
    """Central differences of ref in argument i (a float or an array), element by element,
    Richardson-extrapolated, and whether each is reliable: the extrapolations from two step
    sizes agree and so do the one-sided differences (a kink or a jump makes them differ)."""
    base, f0 = args[i], ref(*args)
    scale = max(1.0, abs(f0))

    def at(idx, h):
        moved = list(args)
        if isinstance(base, np.ndarray):
            moved[i] = base.copy()
            moved[i][idx] += h
        else:
            moved[i] = base + h
        return ref(*moved)

    def central(idx, h):
        return (at(idx, h) - at(idx, -h)) / (2 * h)

    def rich(idx, h):
        return (4 * central(idx, h / 2) - central(idx, h)) / 3

    out, ok = np.zeros(np.shape(base)), np.zeros(np.shape(base), dtype=bool)
    for idx in np.ndindex(np.shape(base)):
        r1, r2 = rich(idx, 2e-4), rich(idx, 2e-5)
        right, left = (at(idx, 1e-6) - f0) / 1e-6, (f0 - at(idx, -1e-6)) / 1e-6
        out[idx] = r1
        ok[idx] = (math.isfinite(r1) and math.isclose(r1, r2, rel_tol=1e-6, abs_tol=1e-8 * scale)
                   and math.isclose(right, left, rel_tol=1e-3, abs_tol=1e-4 * scale))
    return out, ok, scale


def same(a, b, rtol, atol):
    return np.allclose(np.asarray(a, dtype=float), np.asarray(b, dtype=float), rtol=rtol,
                       atol=atol, equal_nan=True)


def check_case(case: Case, module, modes=("reverse", "forward", "checkpoint"), jits=(False,),
               args=None, fns=None, edge=None):
    """Every assertion the families make, at case.args (or args). Raises Skip when the
    example says nothing, Refused for an accepted located refusal, AssertionError (with the
    program) on a bug; any other exception from adcompile propagates (a bug as well).
    `fns` keeps the compiled functions for further points of the same program."""
    src, f = case.src, module.f
    first = args is None                      # the case's own point (the first)
    if args is None:
        args, edge = case.args, case.edge
    fns = {} if fns is None else fns
    ref = reference(module)
    expect = ref(*args)
    if case.nan_wrt:
        assert math.isnan(expect), "generator: the NaN did not reach the value\n" + src
    elif not math.isfinite(expect) or abs(expect) > 1e6:
        raise Skip
    copies = _copies(args)
    results = {}
    for mode in modes:
        for jit in jits:
            try:
                if mode == "checkpoint" and not jit and first:   # the least budget here:
                    value, grads = tight_checkpointed(f, args, wrt=case.wrt, jit=False)
                else:                                   # three levels where two need more
                    if (mode, jit) not in fns:          # "checkpoint": reverse mode with the
                        fns[mode, jit] = ad.value_and_grad(  # loops checkpointed (memory=)
                            f, wrt=case.wrt, jit=jit, mode="reverse" if mode == "checkpoint"
                            else mode, memory="1GB" if mode == "checkpoint" else None)
                    value, grads = fns[mode, jit](*args)
            except ad.UnsupportedSyntaxError as exc:
                if case.may_refuse and "copy of" in str(exc):
                    assert str(exc).startswith(module.__file__ + ":"), (str(exc), src)
                    raise Refused(str(exc)) from None
                raise
            for a, c in zip(args, copies):
                if isinstance(a, np.ndarray):
                    assert np.array_equal(a, c, equal_nan=True), \
                        f"{mode} jit={jit}: the caller's array was written\n{src}"
            assert same(value, expect, 1e-11, 1e-12), \
                f"{mode} jit={jit}: value {value!r}, Python {expect!r}\n{src}"
            results[(mode, jit)] = grads
    keys = list(results)
    for k in keys[1:]:
        for g0, g1 in zip(results[keys[0]], results[k]):
            if case.nan_wrt and k[0] != keys[0][0]:
                # by design (docs/conventions.md), a NaN the path reads makes forward mode's
                # derivatives along every direction NaN; reverse mode keeps the others
                g0, g1 = np.asarray(g0, dtype=float), np.asarray(g1, dtype=float)
                fwd = g0 if keys[0][0] == "forward" else g1
                keep = ~np.isnan(fwd)
                g0, g1 = g0[keep], g1[keep]
            assert same(g0, g1, 1e-9, 1e-11), \
                f"{keys[0]} gives {results[keys[0]]}, {k} gives {results[k]}\n{src}"
    counts = {"fd": 0, "fd unreliable": 0, "edge points": int(bool(edge))}
    if not keys:
        return counts
    grads = results[keys[0]]
    for i, elem in case.nan_wrt:
        g = grads[case.wrt.index(i)]
        g = g if elem is None else g[elem]
        assert math.isnan(g), f"{keys[0]}: d/d(arg {i}) {g!r} at NaN, expected nan\n{src}"
    if case.finite_grad:
        for g in grads:
            assert np.all(np.isfinite(g)), f"{keys[0]}: non-finite gradient {grads}\n{src}"
    if case.nan_wrt or edge:
        return counts
    for pos, i in enumerate(case.wrt):
        fd, ok, scale = fd_elements(ref, args, i)
        got = np.asarray(grads[pos], dtype=float)
        bad = ok & ~np.isclose(got, fd, rtol=1e-5, atol=1e-6 * scale)
        assert not bad.any(), \
            f"{keys[0]}: d/d(arg {i}) {grads[pos]!r}, central differences {fd!r}\n{src}"
        counts["fd"] += int(ok.sum())
        counts["fd unreliable"] += int((~ok).sum())
    return counts


def run_case(case: Case, directory, modes=("reverse", "forward", "checkpoint"), jits=(False,),
             name=None):
    """Write the program to directory (a file name of its own: adcompile reads the source),
    import it and check it; None when the example is skipped or refused."""
    from conftest import load_source
    module = load_source(directory, case.src, name or f"{case.family}prog")
    try:
        return check_case(case, module, modes, jits)
    except (Skip, Refused):
        return None


# ------------------------------------------------------------------------ hypothesis tests

def generate(family, ch: Choices) -> Case:
    case = GENERATORS[family](ch)
    case.edge = ch.edges_drawn > 0
    return case


@st.composite
def cases(draw, family):
    return generate(family, Choices(draw=draw))


@pytest.mark.parametrize("family", sorted(GENERATORS))
def test_family_without_jit(family, tmp_path_factory):
    """Hypothesis programs of each family, both modes, the generated code run as Python."""
    @settings(report_multiple_bugs=False)
    @given(case=cases(family))
    def check(case):
        run_case(case, tmp_path_factory.mktemp(family))
    check()


@pytest.mark.parametrize("family", sorted(GENERATORS))
def test_family_seeded(family, tmp_path):
    """Programs of each family from the seeded generator (the long run's, see
    benchmarks/long_random.py), both modes, without Numba: larger programs than hypothesis
    tends to draw, the same ones on every run; 24 per family in CI, 80 in a long run."""
    for k in range(24 if in_ci() else 80):
        case = generate(family, Choices(rng=random.Random(f"{family}-{k}")))
        run_case(case, tmp_path, jits=(False,), name=f"{family}{k}")


COMPILED = {"merge": 2, "intidx": 1, "views": 1, "unread": 2, "nan": 2, "writes": 2}


@pytest.mark.parametrize("family", sorted(GENERATORS))
def test_family_compiled(family, tmp_path):
    """Seeded programs of each family compiled by Numba, both modes, against jit=False."""
    for k in range(COMPILED[family]):
        case = generate(family, Choices(rng=random.Random(f"{family}-ci-{k}")))
        run_case(case, tmp_path, jits=(True, False), name=f"{family}{k}")


# Minimised programs the generators found (see docs/random-programs.md), each a bug now
# fixed; checked exactly like a generated program.
REPROS = {
    "carried_array_written_in_place_then_reduced": (
        "def f(w):\n    h = np.ones(2)\n    total = 0.0\n    for t in range(2):\n"
        "        h[:] = h * w\n        total = total + np.sum(h)\n    return total\n",
        (np.array([0.7, 1.3]),), (0,)),
    "index_array_write_reading_its_own_array": (
        "def f(x, c):\n    y = x * 1.0\n    for i in range(2):\n"
        "        y[[i, 0]] = y[[1, i]] * c + x[i] * x[i]\n    return np.sum(y * y)\n",
        (np.array([0.5, -0.7, 0.3]), 1.3), (0, 1)),
    "unread_array_element_reverse_nan": (
        "def f(x):\n    r = np.sqrt(x)\n    if x[0] > 0.0:\n        return r[0]\n"
        "    return x[0]\n", (np.array([-0.5, 0.7]),), (0,)),
    "unread_loop_carried_reverse_nan": (
        "def f(x, y):\n    a = y\n    b = y * math.sqrt(x)\n"
        "    for k in range(3 if x > 0.0 else 0):\n        a = a + b\n        b = a\n"
        "    return a\n", (-0.5, 1.3), (0, 1)),
    "write_through_branch_chosen_slice_lost": (
        "def f(x, c):\n    y = x * 1.0\n    if c > 0.0:\n        w = y[1:]\n    else:\n"
        "        w = y[:-1]\n    w[0] = 5.0 * c\n    return np.sum(y * y)\n",
        (np.array([0.5, -0.7, 0.3]), 1.0), (0, 1)),
    "overlapping_slice_assignment": (
        "def f(x):\n    y = x * 1.0\n    y[1:] = y[:-1]\n    return np.sum(y * y)\n",
        (np.array([0.5, -0.7, 0.3]),), (0,)),
    "overlapping_view_iadd": (
        "def f(x, c):\n    v = x[1:]\n    v += x[:2] * c\n    return np.sum(x * x)\n",
        (np.array([0.5, -0.7, 0.3]), 1.0), (0, 1)),
    "sqrt_at_zero_without_jit_raises": (
        "def f(x):\n    r = math.sqrt(x)\n    if x > 0.0:\n        return r\n"
        "    return 2.0 * x\n", (0.0,), (0,)),
}


@pytest.mark.parametrize("name", sorted(REPROS))
def test_minimised_repro(name, tmp_path):
    src, args, wrt = REPROS[name]
    case = Case("repro", "\n".join(HEADER) + "\n" + src, args, wrt, may_refuse=True)
    from conftest import load_source
    module = load_source(tmp_path, case.src, name)
    try:
        check_case(case, module, jits=(True, False))
    except Refused:
        pass
