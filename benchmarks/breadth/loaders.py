"""Load other projects' NumPy test functions at run time, from a path (never copied here).

Each loader yields Case objects: a name, the callable to differentiate (a bound method
or a plain function, as the project wrote it), the dimension and the box to sample from.
"""
from __future__ import annotations

import contextlib
import importlib.util
import inspect
import os
import re
import shutil
import subprocess
import sys
import tempfile
import types
from dataclasses import dataclass, field

import numpy as np

SCIPY_GO = "benchmarks/benchmarks/go_benchmark_functions"
DEFAULT_SCIPY = "/work/.mirror/scipy+scipy/repo"


@dataclass
class Case:
    suite: str
    name: str
    make: object                      # () -> (callable, lower bounds, upper bounds)
    source: str = ""                  # where it came from (file)
    notes: list = field(default_factory=list)


def _extract_from_git(git_dir: str, folder: str) -> str:
    """`git archive` one folder of a bare/mirror repository into a temp dir; returns it."""
    out = tempfile.mkdtemp(prefix="breadth_src_")
    arch = subprocess.run(["git", f"--git-dir={git_dir}", "archive", "HEAD", folder],
                          check=True, capture_output=True).stdout
    subprocess.run(["tar", "x", "-C", out], input=arch, check=True)
    return os.path.join(out, folder)


def _is_git_dir(path: str) -> bool:
    return os.path.isfile(os.path.join(path, "HEAD")) and os.path.isdir(os.path.join(path, "objects"))


def resolve_folder(path: str, folder: str) -> str:
    """path: a git dir (bare or mirror, as `fetch` gives), a checkout, or the folder itself."""
    if _is_git_dir(path):
        return _extract_from_git(path, folder)
    if os.path.isdir(os.path.join(path, ".git")):
        return _extract_from_git(os.path.join(path, ".git"), folder)
    if os.path.isdir(os.path.join(path, folder)):
        return os.path.join(path, folder)
    return path


class _safe_import(contextlib.AbstractContextManager):
    """Stand-in for scipy/benchmarks/benchmarks/common.safe_import (that module needs asv)."""

    def __exit__(self, exc_type, exc, tb):
        return exc_type is not None and issubclass(exc_type, ImportError)


UNBLOCK_RULES = (
    # (pattern, replacement): line-preserving, applied to a temp copy only (--scipy-unblock)
    (re.compile(r"^(\s*)def fun\(self, x, \*args\):", re.M), r"\1def fun(self, x):"),
    (re.compile(r"^(\s*)self\.nfev \+= 1$", re.M), r"\1pass"),
)


def unblocked_copy(folder: str) -> str:
    """A temp copy of the SciPy folder with the two constructs every `fun` shares (`*args` in
    the signature, the `self.nfev += 1` counter) taken out, line numbers kept. A probe of
    what comes after those two refusals, not the as-written measurement."""
    out = os.path.join(tempfile.mkdtemp(prefix="breadth_unblocked_"), "go_benchmark_functions")
    shutil.copytree(folder, out)
    for fn in os.listdir(out):
        if fn.endswith(".py"):
            p = os.path.join(out, fn)
            text = open(p).read()
            for pat, rep in UNBLOCK_RULES:
                text = pat.sub(rep, text)
            open(p, "w").write(text)
    return out


def load_scipy_go(path: str = DEFAULT_SCIPY, unblock: bool = False):
    """SciPy's global-optimisation benchmark problems: every Benchmark subclass with a fun."""
    folder = resolve_folder(path, SCIPY_GO)
    if unblock:
        folder = unblocked_copy(folder)
    parent = "_breadth_scipy_benchmarks" + ("_unblocked" if unblock else "")
    if parent not in sys.modules:
        pkg = types.ModuleType(parent)
        pkg.__path__ = []
        common = types.ModuleType(parent + ".common")
        common.safe_import = _safe_import
        sys.modules[parent] = pkg
        sys.modules[parent + ".common"] = common
    name = parent + ".go_benchmark_functions"
    spec = importlib.util.spec_from_file_location(
        name, os.path.join(folder, "__init__.py"), submodule_search_locations=[folder])
    mod = importlib.util.module_from_spec(spec)
    sys.modules[name] = mod
    spec.loader.exec_module(mod)
    base = mod.go_benchmark.Benchmark
    # univariate problems are not re-exported by __init__
    uni = importlib.import_module(name + ".go_funcs_univariate")
    classes = {}
    for m in (mod, uni):
        for k, v in vars(m).items():
            if inspect.isclass(v) and issubclass(v, base) and v is not base:
                classes[k] = v
    cases = []
    for k in sorted(classes):
        cls = classes[k]

        def make(cls=cls):
            obj = cls()
            b = np.asarray(obj.bounds, dtype=float)
            return obj.fun, b[:, 0], b[:, 1]
        cases.append(Case("scipy-go" + ("-unblocked" if unblock else ""), k, make, inspect.getsourcefile(cls)))
    return cases


EVALSET_FILE = "evalset/test_funcs.py"
DEFAULT_EVALSET = "/work/.mirror/sigopt+evalset/repo"
# wrappers around another TestFunction, not test functions of their own
EVALSET_WRAPPERS = {"Discretizer", "Failifier", "Constrainer", "Noisifier"}


_UNPACK_X = re.compile(r"^(\s*)((?:\w+,\s*)+\w+) = x$", re.M)


def _index_unpacking(m):
    names = [n.strip() for n in m.group(2).split(",")]
    return f"{m.group(1)}{m.group(2)} = " + ", ".join(f"x[{i}]" for i in range(len(names)))


def load_evalset(path: str = DEFAULT_EVALSET, unblock: bool = False):
    """sigopt/evalset's test functions (AMPGO collection): each class's do_evaluate(self, x).
    unblock: a probe on a temp copy where `x1, x2 = x` (unpacking the array, refused) reads
    `x1, x2 = x[0], x[1]`, line numbers kept."""
    if _is_git_dir(path) or os.path.isdir(os.path.join(path, ".git")):
        folder = resolve_folder(path, "evalset")
    elif os.path.isfile(os.path.join(path, EVALSET_FILE)):
        folder = os.path.join(path, "evalset")
    else:
        folder = path
    if unblock:
        out = os.path.join(tempfile.mkdtemp(prefix="breadth_unblocked_"), "evalset")
        shutil.copytree(folder, out)
        fn = os.path.join(out, "test_funcs.py")
        text = _UNPACK_X.sub(_index_unpacking, open(fn).read())
        open(fn, "w").write(text)
        folder = out
    name = "_breadth_evalset_test_funcs" + ("_unblocked" if unblock else "")
    spec = importlib.util.spec_from_file_location(name, os.path.join(folder, "test_funcs.py"))
    mod = importlib.util.module_from_spec(spec)
    sys.modules[name] = mod
    spec.loader.exec_module(mod)
    base = mod.TestFunction
    cases = []
    for k, cls in sorted(vars(mod).items()):
        if not (inspect.isclass(cls) and issubclass(cls, base)) or cls is base:
            continue
        if cls.__module__ != name:
            continue

        def make(cls=cls, k=k):
            if k in EVALSET_WRAPPERS:
                raise SkipCase(f"a wrapper around another test function ({k}), not a function of its own")
            obj = cls()
            b = np.asarray(obj.bounds, dtype=float)
            return obj.do_evaluate, b[:, 0], b[:, 1]
        cases.append(Case("evalset" + ("-unblocked" if unblock else ""), k, make,
                          inspect.getsourcefile(cls)))
    return cases


class SkipCase(Exception):
    """The loader knows the case cannot be measured; the message says why."""
