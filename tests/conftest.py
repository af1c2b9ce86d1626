"""Test set-up: a private cache directory, hypothesis profiles, and gradient-check helpers."""
import importlib.util
import os
import sys
import tempfile
import zlib

import pytest
from hypothesis import HealthCheck, settings

os.environ.setdefault("ADCOMPILE_CACHE_DIR", tempfile.mkdtemp(prefix="adcompile-test-"))
os.environ.setdefault("ADCOMPILE_VERIFY", "1")      # verify() after every pass of every pipeline
sys.path.insert(0, os.path.dirname(__file__))
sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(__file__)), "benchmarks"))

settings.register_profile("ci", derandomize=True, max_examples=20, deadline=None,
                          suppress_health_check=[HealthCheck.too_slow], print_blob=True)
settings.register_profile("dev", max_examples=100, deadline=None,
                          suppress_health_check=[HealthCheck.too_slow])
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))


def examples(n: int) -> int:
    """max_examples of a hypothesis test that compiles a program per example: n/2 in CI
    (the suite's time), 4n in a long run (HYPOTHESIS_PROFILE=dev), else n
    (docs/random-programs.md)."""
    return {"ci": max(5, n // 2), "dev": 4 * n}.get(
        os.environ.get("HYPOTHESIS_PROFILE", "ci"), n)


def compiled(text: str, every: int = 4, part: int = 0) -> bool:
    """Does this example also run compiled by Numba? Every example runs as plain Python (the
    generated source, the same for both); in CI one in `every` (4 unless given; chosen by the program's text,
    so an example keeps its choice while it shrinks), in a long run (HYPOTHESIS_PROFILE=dev)
    all (docs/random-programs.md). Numba's compile is most of the suite's time. Two tests
    that take parts 0 and 1 of `every=2` compile each program in exactly one of them."""
    return not in_ci() or zlib.crc32(text.encode("utf-8")) % every == part


def in_ci() -> bool:
    """The CI profile (the default), not a long run (HYPOTHESIS_PROFILE=dev)."""
    return os.environ.get("HYPOTHESIS_PROFILE", "ci") == "ci"


def load_source(tmp_path, text, name="prog"):
    """Write `text` to a module file and import it (adcompile reads functions from files)."""
    path = tmp_path / f"{name}.py"
    path.write_text(text)
    spec = importlib.util.spec_from_file_location(f"{name}_{abs(hash(str(path)))}", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture
def load(tmp_path):
    counter = iter(range(10**6))
    return lambda text: load_source(tmp_path, text, f"prog{next(counter)}")


@pytest.fixture
def counts(monkeypatch):
    """How often loops were predicted by the loop-type inference, gave up, and lowered."""
    from adcompile.frontend import infer, loops
    seen = {"predicted": 0, "gave_up": 0, "lowered": 0}
    predict, lower = infer.Infer.predict, loops.Loops._lower_body

    def counted_predict(self, *a, **k):
        state = predict(self, *a, **k)
        seen["predicted" if state is not None else "gave_up"] += 1
        return state

    def counted_lower(self, *a, **k):
        seen["lowered"] += 1
        return lower(self, *a, **k)
    monkeypatch.setattr(infer.Infer, "predict", counted_predict)
    monkeypatch.setattr(loops.Loops, "_lower_body", counted_lower)
    return seen


def tight_checkpointed(f, args, **options):
    """value_and_grad(f, memory=...)(*args) with the least budget its checkpointed loops
    need at these arguments: read from the error of a too-small one (CheckpointMemoryError
    .least), so that a loop whose two-level schedule needs more runs in three levels
    (docs/checkpointing.md). Programs with no loop to split run with 16 bytes."""
    import adcompile as ad
    budget = 16
    for _ in range(10):                       # a larger budget for one loop is enough for
        try:                                  # those before it
            return ad.value_and_grad(f, memory=budget, **options)(*args)
        except ad.CheckpointMemoryError as exc:
            assert exc.least > budget, (exc.least, budget)
            budget = exc.least
    raise AssertionError("no budget found")
