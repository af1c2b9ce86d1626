"""Checkpointed loops (grad(f, memory=...), passes/checkpoint.py): the same numbers as the
fully recorded gradient, at smooth points against central differences, within the memory
budget, and the clear errors."""
import os
import subprocess
import sys
import textwrap

import numpy as np
import pytest

import adcompile as ad
import checkpoint_programs as progs
from gradcheck import fd_gradient

BENCHMARKS = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))),
                          "benchmarks")


@pytest.mark.parametrize("name", progs.__all__)
def test_same_numbers_as_recorded(name):
    f, args, wrt = getattr(progs, name)()
    recorded = ad.value_and_grad(f, wrt=wrt)(*args)
    for memory in ("1GB", 3000):
        value, grads = ad.value_and_grad(f, wrt=wrt, memory=memory)(*args)
        assert value == recorded[0]
        for g, r in zip(grads, recorded[1]):
            assert np.array_equal(g, r), (name, memory, g, r)


@pytest.mark.parametrize("name", ["nested", "ifs", "negstep", "while_", "tuple_state",
                                  "arr_state", "writes", "two_loops"])
def test_central_differences(name):
    f, args, wrt = getattr(progs, name)()
    grads = ad.grad(f, wrt=wrt, memory="1MB")(*args)
    names = list(f.__code__.co_varnames[:f.__code__.co_argcount])
    for g, w in zip(grads, wrt):
        i = names.index(w)
        fd = fd_gradient(f, list(args), i)
        assert np.allclose(g, fd, rtol=1e-6, atol=1e-8), (name, w, g, fd)


@pytest.mark.parametrize("n", [0, 1, 2, 3, 5, 16, 17, 1000, 4097])
def test_every_trip_count(n):
    f, args, wrt = progs.tuple_state()
    recorded = ad.value_and_grad(f, wrt=wrt)(0.7, n)
    assert ad.value_and_grad(f, wrt=wrt, memory="64MB")(0.7, n) == recorded


def test_source_shows_the_schedule():
    f, args, wrt = progs.nested()
    g = ad.grad(f, wrt=wrt, memory="64MB")
    g(*args)
    src = g.source
    assert "checkpoint_segment(" in src and "checkpointed: for i in range(n):" in src
    assert "run again in the adjoint" in src
    plain = ad.grad(f, wrt=wrt)
    plain(*args)
    assert "checkpoint_segment(" not in plain.source


def test_budget_too_small_is_a_clear_error():
    f, args, wrt = progs.tuple_state()
    g = ad.grad(f, wrt=wrt, memory=200)
    with pytest.raises(ad.CheckpointMemoryError) as exc:
        g(0.7, 1_000_000)
    text = str(exc.value)
    assert "1000000 steps" in text and "memory=" in text and "hint:" in text
    assert isinstance(exc.value, MemoryError)
    assert g(0.7, 10) == ad.grad(f, wrt=wrt)(0.7, 10)        # small loops still fit


@pytest.mark.parametrize("memory", ["lots", "64XB", -5, 0, 1.5, True, "0MB"])
def test_memory_argument_errors(memory):
    f, _, wrt = progs.tuple_state()
    with pytest.raises(ad.AdCompileError, match="memory="):
        ad.grad(f, wrt=wrt, memory=memory)


@pytest.mark.parametrize("memory,expect", [("64MB", 64 * 10**6), ("1.5 GiB", 3 * 2**29),
                                           ("512kb", 512000), (4096, 4096)])
def test_memory_sizes(memory, expect):
    from adcompile.specs import memory_bytes
    assert memory_bytes(memory) == expect


def test_directional_with_memory_is_refused():
    f, _, wrt = progs.tuple_state()
    with pytest.raises(ad.AdCompileError, match="directional"):
        ad.grad(f, wrt=wrt, memory="64MB", nonsmooth="directional")


def test_forward_mode_records_nothing():
    f, args, wrt = progs.tuple_state()
    got = ad.grad(f, wrt=wrt, mode="forward", memory="1MB")(*args)
    assert np.allclose(got, ad.grad(f, wrt=wrt)(*args), rtol=1e-12)


def test_memory_stays_within_the_budget(tmp_path):
    """20 million Euler steps: recorded whole, the tape would take 160 MB; checkpointed in
    16 MB the process grows by far less (its peak resident size, in a fresh process); the
    same measurement sees the recorded gradient's tape."""
    script = textwrap.dedent("""
        import sys
        sys.path.insert(0, %r)
        sys.path.insert(0, %r)
        from bench_checkpoint import peak
        import adcompile as ad
        from checkpoint_programs import _tuple_state
        g = ad.grad(_tuple_state, memory=MEMORY)
        g(0.7, 100)
        before = peak()
        g(0.7, 20_000_000)
        after = peak()
        print((after - before) / 1024)
    """ % (os.path.dirname(__file__), BENCHMARKS))
    grew = {}
    for memory in ("16MB", None):
        out = subprocess.run([sys.executable, "-c", script.replace("MEMORY", repr(memory))],
                             capture_output=True, text=True, timeout=300)
        assert out.returncode == 0, out.stderr
        grew[memory] = float(out.stdout.strip().splitlines()[-1])
    assert grew["16MB"] < 16 and grew[None] > 140, grew


@pytest.mark.parametrize("name", ["tuple_state", "arr_state", "while_"])
def test_derivatives_of_a_checkpointed_gradient(name):
    """Second derivatives through a checkpointed gradient: as through the recorded one."""
    f, args, wrt = getattr(progs, name)()
    first = wrt[0]
    inner = ad.grad(f, wrt=first, memory="1MB")
    plain = ad.grad(f, wrt=first)
    got = ad.grad(inner, wrt=first)(*args)
    want = ad.grad(plain, wrt=first)(*args)
    assert np.allclose(got, want, rtol=1e-12, atol=1e-14), (got, want)
    h = ad.hvp(f, wrt=first)
    assert np.allclose(got, h(*args, 1.0), rtol=1e-9)


@pytest.mark.parametrize("name", ["tuple_state", "arr_state", "matrix_state", "while_",
                                  "nested", "ifs", "writes", "two_loops", "negstep"])
def test_three_levels_same_numbers_as_recorded(name):
    """A budget below what two levels need (but enough for three): each segment runs again
    in sub-segments, each of those a third time while recording; the numbers are still the
    fully recorded gradient's, bit for bit."""
    f, args, wrt = getattr(progs, name)()
    jit = name in ("tuple_state", "arr_state")    # the others as Python (the same source):
    with pytest.raises(ad.CheckpointMemoryError) as exc:      # the suite's time
        ad.value_and_grad(f, wrt=wrt, memory=16, jit=jit)(*args)
    least, two = exc.value.least, exc.value.two_levels
    assert least < two, (least, two)              # three levels are what fits
    assert "(three levels of checkpoints)" in str(exc.value)
    recorded = ad.value_and_grad(f, wrt=wrt, jit=jit)(*args)
    value, grads = ad.value_and_grad(f, wrt=wrt, memory=least, jit=jit)(*args)
    assert value == recorded[0]
    for g, r in zip(grads, recorded[1]):
        assert np.array_equal(g, r), (name, g, r)
    with pytest.raises(ad.CheckpointMemoryError):
        ad.value_and_grad(f, wrt=wrt, memory=least - 1, jit=jit)(*args)


def test_schedule_lengths():
    """runtime.checkpoint_segment: two levels while they fit (level 2 = level 1: one
    sub-segment), three below; the chosen schedule's memory within the budget, covering n."""
    from adcompile.runtime import checkpoint_segment as seg
    n, snap, step = 100_000, 800, 800
    M = seg(n, snap, snap, step, 10**9, 1)
    assert seg(n, snap, snap, step, 10**9, 2) == M and abs(M - 317) <= 1
    budget = 200_000                               # two levels need ~0.5 MB here
    M, m = seg(n, snap, snap, step, budget, 1), seg(n, snap, snap, step, budget, 2)
    assert 1 <= m < M < n
    used = -(-n // M) * snap + -(-M // m) * snap + m * step
    assert used <= budget, used
    with pytest.raises(ad.CheckpointMemoryError) as exc:
        seg(n, snap, snap, step, 1000, 1)
    assert exc.value.least <= used and exc.value.two_levels > budget
