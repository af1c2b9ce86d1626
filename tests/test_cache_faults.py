"""Fault injection for the compile cache: every kind of damage is detected, discarded and
compiled again (never a crash, never a stale result); unwritable locations fall back with
one warning; upgrades do not reuse old machine code; threads compile safely."""
import os
import stat
import shutil
import subprocess
import sys
import textwrap
import threading
import warnings
from pathlib import Path

import numpy as np
import pytest

import adcompile as ad
from adcompile import jit

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

PROGRAM = textwrap.dedent("""
    import math

    def f(x, n):
        s = 0.0
        for i in range(n):
            s = s + math.sin(x * i) * 2.5
        return s
""")

SCRIPT = textwrap.dedent("""
    import sys, warnings
    sys.path.insert(0, {folder!r})
    import adcompile as ad
    import cached_prog
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        g = ad.value_and_grad(cached_prog.f)
        v, d = g(0.7, 6)
    n = sum(1 for w in caught if w.category.__name__ == "CacheWarning")
    print(repr(v), repr(d), g.source_path, n)
""")


def _expected():
    import math
    v = sum(math.sin(0.7 * i) * 2.5 for i in range(6))
    d = sum(math.cos(0.7 * i) * i * 2.5 for i in range(6))
    return v, d


def _run(folder, cache):
    env = dict(os.environ, ADCOMPILE_CACHE_DIR=str(cache),
               PYTHONPATH=ROOT + os.pathsep + os.environ.get("PYTHONPATH", ""))
    proc = subprocess.run([sys.executable, "-c", SCRIPT.format(folder=str(folder))],
                          capture_output=True, text=True, env=env)
    assert proc.returncode == 0, proc.stderr
    v, d, path, warned = proc.stdout.split()
    _run.warned = int(warned)
    return float(v), float(d), path


@pytest.fixture
def prog_dir(tmp_path):
    folder = tmp_path / "src"
    folder.mkdir()
    (folder / "cached_prog.py").write_text(PROGRAM, encoding="utf-8")
    return folder


def _damage_py(path):
    with open(path, "wb") as fh:
        fh.write(b"\xff\xfe def broken(:\n")


def _truncate(files):
    for f in files:
        data = f.read_bytes()
        f.write_bytes(data[: len(data) // 3])


def _flip(files):
    """Change bytes in the middle of Numba's data file (a constant of the machine code)."""
    for f in files:
        if f.suffix == ".nbc":
            data = bytearray(f.read_bytes())
            for k in range(len(data) // 2, len(data) // 2 + 8):
                data[k] ^= 0x5A
            f.write_bytes(bytes(data))


@pytest.fixture(scope="module")
def pristine(tmp_path_factory):
    """One program compiled once into a cache (a process of its own): each damage test
    damages a copy of it."""
    folder = tmp_path_factory.mktemp("shared") / "src"
    folder.mkdir()
    (folder / "cached_prog.py").write_text(PROGRAM, encoding="utf-8")
    cache = folder.parent / "cache"
    v0, d0, path = _run(folder, cache)
    ev, ed = _expected()
    assert v0 == pytest.approx(ev, rel=1e-12) and d0 == pytest.approx(ed, rel=1e-12)
    return folder, cache, v0, d0, Path(path).relative_to(cache)


@pytest.mark.parametrize("damage", ["generated file", "truncated index", "truncated data",
                                    "flipped data", "missing seal", "pyc litter"])
def test_damaged_cache_is_discarded_and_recompiled(pristine, tmp_path, damage):
    prog_dir, shared, v0, d0, relative = pristine
    cache = tmp_path / "cache"
    shutil.copytree(shared, cache)
    path = cache / relative
    nb = jit._numba_files(path)
    assert nb, "Numba's cache files were written"
    if damage == "generated file":
        _damage_py(path)
    elif damage == "truncated index":
        _truncate([f for f in nb if f.suffix == ".nbi"])
    elif damage == "truncated data":
        _truncate([f for f in nb if f.suffix == ".nbc"])
    elif damage == "flipped data":
        _flip(nb)
    elif damage == "missing seal":
        jit._seal_path(path).unlink()
    else:                                   # a damaged .pyc beside the generated file
        (path.parent / "__pycache__" / f"{path.stem}.cpython-311.pyc").write_bytes(b"junk")
    for k in range(2):                      # the damage is repaired, not hit again
        v, d, path2 = _run(prog_dir, cache)
        assert (v, d) == (v0, d0)
        assert Path(path2) == path
        if damage in ("truncated index", "truncated data", "flipped data", "missing seal"):
            assert _run.warned == (1 if k == 0 else 0), "one warning, then a clean cache"


def test_upgrade_changes_the_cache_key(monkeypatch):
    """Machine code is keyed by adcompile's version and runtime as well as the source."""
    src = "def f(x):\n    return x\n"
    p1 = jit.write_module(src, "fingerprint_probe")
    monkeypatch.setattr(jit, "_FINGERPRINT", "another adcompile")
    p2 = jit.write_module(src, "fingerprint_probe")
    assert p1 != p2


@pytest.mark.parametrize("where", ["read-only", "parent is a file", "is a file",
                                   "missing parent"])
def test_unwritable_cache_falls_back_with_one_warning(tmp_path, monkeypatch, where):
    if where == "read-only":
        target = tmp_path / "ro"
        target.mkdir()
        target.chmod(stat.S_IRUSR | stat.S_IXUSR)
        if os.geteuid() == 0:               # root writes anyway: refuse as the OS would
            real = jit.tempfile.mkstemp

            def refuse(*a, dir=None, **k):
                if dir is not None and str(dir).startswith(str(target)):
                    raise PermissionError(13, "Permission denied", str(dir))
                return real(*a, dir=dir, **k)
            monkeypatch.setattr(jit.tempfile, "mkstemp", refuse)
    elif where == "parent is a file":
        (tmp_path / "afile").write_text("x")
        target = tmp_path / "afile" / "cache"
    elif where == "is a file":
        target = tmp_path / "plainfile"
        target.write_text("x")
    else:
        target = tmp_path / "a" / "b" / "c"
    monkeypatch.setenv("ADCOMPILE_CACHE_DIR", str(target))
    monkeypatch.setattr(jit, "_DIR_FOR", None)
    monkeypatch.setattr(jit, "_DIR", None)
    import programs as P
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        g = ad.grad(P.straight)
        first = g(0.7, -1.3)
        second = ad.grad(P.straight, wrt=1)(0.7, -1.3)
    cache_warnings = [w for w in caught if issubclass(w.category, jit.CacheWarning)]
    if where == "missing parent":           # created: no fallback needed
        assert not cache_warnings and target.is_dir()
    else:
        assert len(cache_warnings) == 1
        assert "ADCOMPILE_CACHE_DIR" in str(cache_warnings[0].message)
    assert np.isfinite(first) and np.isfinite(second)
    if where == "is a file":
        assert target.read_text() == "x"


def test_full_disk_falls_back(tmp_path, monkeypatch):
    """A write that fails (ENOSPC) compiles without the file, with a warning, and leaves no
    temporary file behind."""
    monkeypatch.setenv("ADCOMPILE_CACHE_DIR", str(tmp_path))
    monkeypatch.setattr(jit, "_DIR_FOR", None)
    monkeypatch.setattr(jit, "_DIR", None)

    def no_space(path, data):
        raise OSError(28, "No space left on device")
    monkeypatch.setattr(jit, "_atomic_write", no_space)
    src = PROGRAM + "\n"
    with pytest.warns(jit.CacheWarning, match="ADCOMPILE_CACHE_DIR"):
        path = jit.write_module(src, "full_disk_probe")
    fn = jit.compile_function(path, "f", jit=True, source=src)
    assert fn(0.5, 3) == pytest.approx(sum(np.sin(0.5 * i) * 2.5 for i in range(3)))
    assert not [p for _, _, names in os.walk(tmp_path) for p in names if p.endswith(".tmp")]


def test_threads_compile_a_fresh_gradient_safely(tmp_path, monkeypatch):
    monkeypatch.setenv("ADCOMPILE_CACHE_DIR", str(tmp_path))
    monkeypatch.setattr(jit, "_DIR_FOR", None)
    monkeypatch.setattr(jit, "_DIR", None)
    from conftest import load_source
    m = load_source(tmp_path, PROGRAM, "threaded_prog")
    g = ad.value_and_grad(m.f)
    results, errors = [], []
    start = threading.Barrier(8)

    def call():
        try:
            start.wait()
            results.append(g(0.7, 6))
        except Exception as exc:          # noqa: BLE001 - the test reports any failure
            errors.append(repr(exc))
    threads = [threading.Thread(target=call) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    ev, ed = _expected()
    assert len(results) == 8
    assert all(v == pytest.approx(ev) and d == pytest.approx(ed) for v, d in results)
    assert not [p for _, _, names in os.walk(tmp_path) for p in names if p.endswith(".tmp")]


def test_non_utf8_locale(prog_dir, tmp_path):
    """Generated files are written and read as UTF-8 whatever the locale."""
    env = dict(os.environ, ADCOMPILE_CACHE_DIR=str(tmp_path / "c"), LC_ALL="C",
               LANG="C", PYTHONIOENCODING="ascii", PYTHONUTF8="0",
               PYTHONPATH=ROOT + os.pathsep + os.environ.get("PYTHONPATH", ""))
    (prog_dir / "cached_prog.py").write_text("# naïve café: ünïcödé\n" + PROGRAM,
                                            encoding="utf-8")
    proc = subprocess.run([sys.executable, "-c", SCRIPT.format(folder=str(prog_dir))],
                          capture_output=True, text=True, env=env)
    assert proc.returncode == 0, proc.stderr
