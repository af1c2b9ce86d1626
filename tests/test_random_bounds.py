"""Random programs whose reads may fall outside their arrays, for the bounds checks that
adcompile hoists out of loops (check_range, check_at) and keeps through every transform.

Each program reads x (5,) and A (3, 3) at indices built from the loop variables and two int
parameters n (a trip count) and k (an offset, negative too): x[i + 1], x[n - 1 - i], A[i, k],
x[k], x[2 * i], rows A[i] and A[i - 1], loops up to n or to an axis's own length, nested loops, while loops, reads only in a branch, loops left by break or
return before the read that would fail. At each (n, k) drawn, Python either returns a value
or raises IndexError; every transform must do the same: the gradient in both modes,
checkpointed, the Jacobian of the gradient (a nested derivative, which starts from the
gradient's IR: its checks must survive dead-code elimination) and hvp. A check hoisted out of
a branch or past a break would raise where Python does not; a dropped one would read out of
range silently.
"""
from __future__ import annotations

import math
import os
import random

import numpy as np
from hypothesis import given, strategies as st

import adcompile as ad
from adcompile.errors import OutOfRangeError, UnboundNameError
from conftest import in_ci
from test_random_families import Choices

HEADER = ["import math", "import numpy as np", "", "def f(x, A, n, k):", "    s = 0.0"]
LOOP_READS = ["x[i]", "x[i + 1]", "x[i - 1]", "x[n - 1 - i]", "x[k]", "x[i + k]", "x[2 * i]",
              "A[i, k]", "A[k, i % 3]", "A[i % 3, i]", "A[-1 - i, 0]", "np.sum(A[i])",
              "np.sum(A[i - 1] * x[:3])"]           # rows: views whose index may be checked
OUTER_READS = ["x[k]", "x[n]", "x[n - 1]", "A[k, n % 3]", "x[-k]"]
UNARY = ["math.sin({})", "{} * {}", "math.tanh({})", "{}"]


def term(ch: Choices, reads):
    a, b = ch.pick(reads), ch.pick(reads)
    return f"{ch.pick(UNARY).replace('{}', a)} * {b}"


def gen_bounds(ch: Choices) -> str:
    lines = list(HEADER)
    for _ in range(ch.int(1, 3)):
        kind = ch.pick(["for", "for", "while", "branch", "break", "nested", "outer", "return"])
        start = ch.pick(["0", "1", "k"])
        stop = ch.pick(["n", "n", "A.shape[0]", "len(x)"])   # an axis's own length: a row
        #                                  read A[i] needs no check (passes/checks.py)
        if kind in ("for", "branch", "break", "return"):
            lines.append(f"    for i in range({start}, {stop}):")
            if kind == "branch":            # the read that may fail runs only in a branch
                lines.append(f"        if x[i % 5] > {ch.pick(['0.0', '0.5', '2.0'])}:")
                lines.append(f"            s = s + {term(ch, LOOP_READS)}")
            elif kind in ("break", "return"):   # the loop may end before the read fails
                exit_ = "break" if kind == "break" else "return s"
                lines.append(f"        if {ch.pick(['i >= 3', 's > 1.0', 'x[i % 5] < 0.0'])}:")
                lines.append(f"            {exit_}")
                lines.append(f"        s = s + {term(ch, LOOP_READS)}")
            else:
                lines.append(f"        s = s + {term(ch, LOOP_READS)}")
        elif kind == "while":
            lines += ["    i = 0", "    while i < n:", f"        s = s + {term(ch, LOOP_READS)}",
                      "        i += 1"]
        elif kind == "nested":
            lines += [f"    for i in range({start}, n):", "        for j in range(i, k):",
                      f"            s = s + {term(ch, LOOP_READS + ['x[j]', 'A[i, j]'])}"]
        else:
            lines.append(f"    s = s + {term(ch, OUTER_READS)}")
    lines.append("    return s")
    return "\n".join(lines) + "\n"


def points(ch: Choices):
    x = np.array([ch.float(-1.0, 1.0) for _ in range(5)])
    A = np.array([[ch.float(-1.0, 1.0) for _ in range(3)] for _ in range(3)])
    return x, A, ch.int(0, 7), ch.int(-7, 6)


# Python's error -> adcompile's located error for it, and how its message ends
ERRORS = {IndexError: (OutOfRangeError, "index out of range"),
          UnboundLocalError: (UnboundNameError, "(Python raises UnboundLocalError)")}


def python_result(f, args):
    """f's value at args, or the IndexError or UnboundLocalError it raises (the Python
    meaning the transforms must keep)."""
    try:
        return f(*[a.copy() if isinstance(a, np.ndarray) else a for a in args])
    except tuple(ERRORS) as exc:
        return exc


def transforms(f, jit):
    """Every way of running f that reads its arrays: name -> callable(x, A, n, k)."""
    grad = ad.grad(f, wrt=(0, 1), jit=jit)
    hx = ad.jacobian(ad.grad(f, wrt=0, jit=jit), wrt=0, jit=jit)
    hvp = ad.hvp(f, wrt=0, jit=jit)
    return {
        "reverse": ad.value_and_grad(f, wrt=(0, 1), jit=jit),
        "forward": ad.value_and_grad(f, wrt=(0, 1), jit=jit, mode="forward"),
        "checkpoint": ad.value_and_grad(f, wrt=(0, 1), jit=jit, memory="1GB"),
        "grad": grad,
        "jacobian(grad)": hx,
        "hvp": lambda x, A, n, k: hvp(x, A, n, k, np.linspace(-1.0, 1.0, 5)),
    }


def check(module, args, jit=False, fns=None):
    f = module.f
    expect = python_result(f, args)
    fns = fns if fns is not None else transforms(f, jit)
    results = {}
    failed = isinstance(expect, tuple(ERRORS))
    for name, fn in fns.items():
        if failed:
            located, ending = ERRORS[type(expect)]
            try:
                fn(*args)
                raise AssertionError(f"{name} jit={jit}: no error at n={args[2]}, "
                                     f"k={args[3]}; Python raises {expect!r}")
            except located as exc:              # file:line:col of the read
                where = os.path.basename(module.__file__) + ":"
                assert str(exc).startswith(where), (name, str(exc))
                assert str(exc).endswith(ending), (name, str(exc))
            except (IndexError, NameError) as exc:   # NumPy's or Python's: not checked
                raise AssertionError(f"{name} jit={jit}: unchecked ({exc!r}) at "
                                     f"n={args[2]}, k={args[3]}") from None
            continue
        try:
            results[name] = fn(*args)
        except tuple(ERRORS) as exc:       # adcompile raised where Python did not
            raise AssertionError(f"{name} jit={jit}: {exc} at n={args[2]}, k={args[3]}; "
                                 f"Python returns {expect}") from None
    if failed:
        return
    for name in ("reverse", "forward", "checkpoint"):
        value, grads = results[name]
        assert math.isclose(value, expect, rel_tol=1e-12, abs_tol=1e-12), (name, value, expect)
        for g, r in zip(grads, results["reverse"][1]):
            assert np.allclose(g, r, rtol=1e-10, atol=1e-12), (name, grads, results["reverse"])
    for g, r in zip(results["grad"], results["reverse"][1]):
        assert np.allclose(g, r, rtol=1e-12, atol=1e-14)
    H, hv = results["jacobian(grad)"], results["hvp"]
    assert np.allclose(H @ np.linspace(-1.0, 1.0, 5), hv, rtol=1e-9, atol=1e-11), (H, hv)
    x, A, n, k = args
    g0 = grad_x(fns, x, A, n, k)
    for j in range(5):                      # the Hessian column by column: central
        e = np.zeros(5)                     # differences of the gradient where they are
        e[j] = 1.0                          # reliable (no branch switches nearby)
        fd = _fd_column(fns, g0, x, e, A, n, k)
        if fd is not None:
            assert np.allclose(H[:, j], fd, rtol=1e-5, atol=1e-6), (j, H[:, j], fd)


def _fd_column(fns, g0, x, e, A, n, k):
    """(grad(x + h e) - grad(x - h e)) / 2h, or None where a branch switches nearby: the
    two step sizes disagree, or the one-sided differences do (a switch on one side only),
    or a perturbed point takes a path that reads out of range."""
    try:
        up = {h: grad_x(fns, x + h * e, A, n, k) for h in (1e-5, 1e-4)}
        down = {h: grad_x(fns, x - h * e, A, n, k) for h in (1e-5, 1e-4)}
    except tuple(ERRORS):
        return None
    fd1, fd2 = ((up[h] - down[h]) / (2 * h) for h in (1e-5, 1e-4))
    right, left = (up[1e-5] - g0) / 1e-5, (g0 - down[1e-5]) / 1e-5
    if np.allclose(fd1, fd2, rtol=1e-4, atol=1e-6) and \
            np.allclose(right, left, rtol=1e-3, atol=1e-4):
        return fd1
    return None


def grad_x(fns, x, A, n, k):
    return np.asarray(fns["grad"](x, A, n, k)[0])


@given(data=st.data())
def test_random_bounds_without_jit(data, tmp_path_factory):
    """Hypothesis programs at points inside and outside the arrays, every transform as
    Python (the checks are IR: the same ops Numba compiles)."""
    from conftest import load_source
    ch = Choices(draw=data.draw)
    src = gen_bounds(ch)
    module = load_source(tmp_path_factory.mktemp("bounds"), src, "boundsprog")
    fns = transforms(module.f, False)
    for _ in range(3):
        check(module, points(ch), fns=fns)


COMPILED_SEEDS = 1 if in_ci() else 2


def test_random_bounds_seeded_both_ways(tmp_path):
    """Seeded programs, each at several points, an out-of-range one among them: 60 without
    Numba, one compiled in every transform (the checks as statements of the generated
    code; two in a long run, HYPOTHESIS_PROFILE=dev)."""
    from conftest import load_source
    raised = 0
    for seed in range(60):
        rng = random.Random(f"bounds-{seed}")
        ch = Choices(rng=rng)
        src = gen_bounds(ch)
        module = load_source(tmp_path, src, f"bounds{seed}")
        jits = (False, True) if seed < COMPILED_SEEDS else (False,)
        for jit in jits:
            fns = transforms(module.f, jit)
            for p in range(4):
                args = points(Choices(rng=random.Random(f"bounds-{seed}-{p}")))
                if p == 0:                  # one point past the end of x
                    args = args[:2] + (7, args[3])
                raised += isinstance(python_result(module.f, args), IndexError)
                check(module, args, jit, fns)
    assert raised >= 30                      # the programs do reach out-of-range reads


def test_differences_skip_branch_switches(tmp_path):
    """The two programs hypothesis found where central differences of the gradient cross a
    branch (x = -1e-285 against `x[i] > 0.0`; a perturbed point reading out of range):
    skipped, and the Hessian still checked against hvp."""
    from conftest import load_source
    src = "\n".join(HEADER + ["    for i in range(0, n):", "        if x[i % 5] > 0.0:",
                              "            s = s + math.sin(x[i]) * x[i + k]", "    return s"])
    module = load_source(tmp_path, src + "\n", "switch")
    x = np.array([-1.184591699176243e-285, 0.5, -0.5, 0.25, 0.75])
    for n, k in ((1, 0), (3, 3), (5, 0)):
        check(module, (x, np.zeros((3, 3)), n, k))
