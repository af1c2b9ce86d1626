"""Write generated source to a content-hashed file, import it, and compile it with Numba.

Files live in ADCOMPILE_CACHE_DIR (default: the user's cache directory). Numba's own cache
(cache=True) sits beside them, so a second process with the same function and argument types
loads machine code instead of compiling again.

The cache has to survive real environments:
- The file name hashes the source together with a fingerprint of what the machine code is
  built against (adcompile's version and runtime helpers, Numba, NumPy, Python), so an
  upgrade never reuses machine code compiled against the old helpers.
- Generated modules are executed from the source adcompile generated (never from a .pyc or
  a file that may have been damaged); a file whose bytes differ is rewritten.
- Numba's cache files of a module are sealed with their SHA-256 after they are written, and
  checked before they are loaded: a truncated or altered index or data file is discarded and
  the code compiled again (with a warning). A load that still fails is retried without them.
- A cache location that cannot be written (read-only, missing parent, a regular file, a full
  disk, no HOME) falls back to a temporary directory, and then to compiling without a cache,
  with one warning naming ADCOMPILE_CACHE_DIR. Files are written to unique temporary names
  and renamed into place, so no reader sees a partial file and none is left behind.
- Loading and compiling are serialised by a lock: first calls from many threads are safe.
"""
from __future__ import annotations

import hashlib
import re
import json
import os
import sys
import tempfile
import threading
import types
import warnings
from pathlib import Path

from . import allocator
from .errors import JitError

_LOCK = threading.RLock()
_DIR: Path | None = None                    # the cache directory in use (None: no files)
_DIR_FOR: str | None = None                 # ... for this ADCOMPILE_CACHE_DIR value
_NO_FILES = object()
_MODULES: dict = {}                         # path -> executed module
_CHECKED: set = set()                       # paths whose Numba cache files were verified


class CacheWarning(UserWarning):
    """The cache directory could not be used; adcompile fell back to another place."""


def _default_dir() -> Path:
    if sys.platform == "darwin":
        return Path.home() / "Library" / "Caches" / "adcompile"
    if os.name == "nt":
        return Path(os.environ.get("LOCALAPPDATA", Path.home())) / "adcompile" / "Cache"
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "adcompile"


def _usable(path: Path) -> bool:
    """Can files be created, written and renamed in path (created if missing)?"""
    try:
        path.mkdir(parents=True, exist_ok=True)
        fd, probe = tempfile.mkstemp(dir=path, prefix=".probe-")
        try:
            os.write(fd, b"adcompile")
        finally:
            os.close(fd)
            os.unlink(probe)
        return True
    except (OSError, RuntimeError):
        return False


def cache_dir() -> Path | None:
    """The directory for generated files, or None when no directory can be written."""
    global _DIR, _DIR_FOR
    env = os.environ.get("ADCOMPILE_CACHE_DIR", "")
    with _LOCK:
        if _DIR_FOR == env and _DIR is not None:
            return None if _DIR is _NO_FILES else _DIR
        try:
            wanted = Path(env) if env else _default_dir()
        except (OSError, RuntimeError):      # no home directory
            wanted = None
        chosen = wanted if wanted is not None and _usable(wanted) else None
        if chosen is None:
            try:
                chosen = Path(tempfile.mkdtemp(prefix="adcompile-cache-"))
                how = f"using {chosen} for this process"
            except OSError:
                how = "compiling without a cache"
            warnings.warn(f"adcompile cannot write its cache directory "
                          f"{wanted if wanted is not None else '(no home directory)'}; "
                          f"{how}. Set ADCOMPILE_CACHE_DIR to a writable directory.",
                          CacheWarning, stacklevel=4)
        _DIR, _DIR_FOR = (chosen if chosen is not None else _NO_FILES), env
        return chosen


def fingerprint() -> str:
    """What compiled machine code depends on besides the generated source."""
    global _FINGERPRINT
    if _FINGERPRINT is None:
        import numba
        import numpy
        from . import __version__
        h = hashlib.sha256()
        for part in (__version__, numba.__version__, numpy.__version__, sys.version):
            h.update(part.encode("utf-8") + b"\0")
        here = Path(__file__).parent
        for name in ("runtime.py", "errors.py", *sorted(
                str(f.relative_to(here)) for f in (here / "vecmath").glob("*.py"))):
            h.update((here / name).read_bytes())
        _FINGERPRINT = h.hexdigest()
    return _FINGERPRINT


_FINGERPRINT: str | None = None


def write_module(source: str, stem: str) -> Path:
    """The path <cache>/<hash[:2]>/<stem>_<hash>.py holding source (written unless an
    identical file is there already); a path that is not written when there is no usable
    cache directory."""
    digest = hashlib.sha256((fingerprint() + "\0" + source).encode("utf-8")).hexdigest()[:16]
    folder = cache_dir()
    if folder is None:
        return Path(tempfile.gettempdir()) / f"adcompile-nofile-{stem}_{digest}.py"
    path = folder / digest[:2] / f"{stem}_{digest}.py"   # 256 subfolders: Numba's files of
    with _LOCK:                                          # a module are found by listing one
        try:
            current = path.read_bytes().decode("utf-8") if path.exists() else None
        except (OSError, UnicodeDecodeError):
            current = None
        if current != source:
            if current is not None:          # damaged: its machine code is suspect too
                _discard_numba_cache(path)
            try:
                path.parent.mkdir(exist_ok=True)
                _atomic_write(path, source.encode("utf-8"))
            except OSError as exc:
                warnings.warn(f"adcompile could not write {path} ({exc}); compiling without "
                              "a cache. Set ADCOMPILE_CACHE_DIR to a writable directory.",
                              CacheWarning, stacklevel=3)
                return Path(tempfile.gettempdir()) / f"adcompile-nofile-{stem}_{digest}.py"
    return path


def _atomic_write(path: Path, data: bytes):
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.stem}-", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise


def _has_file(path: Path) -> bool:
    return not path.name.startswith("adcompile-nofile-")


def load_function(path: Path, func_name: str, source: str, plain: bool = False):
    """Execute the generated module (from `source`, attributed to `path` so tracebacks and
    Numba's cache find the file) and return its function (plain Python). With plain=True
    the module's `math` follows Numba's NumPy error model (math.sqrt(-1.0) is nan, not a
    ValueError), so the plain-Python run computes what the compiled one does."""
    with _LOCK:
        module = _MODULES.get((path, plain))
        if module is None:
            module = types.ModuleType("adcompile_gen_" + path.stem + ("_plain" if plain else ""))
            module.__file__ = str(path)
            exec(compile(source, str(path), "exec"), module.__dict__)
            if plain:
                module.__dict__["math"] = _numpy_math()
            _MODULES[(path, plain)] = module  # registered only once fully executed
            sys.modules[module.__name__] = module    # Numba's cached code refers to it
        return getattr(module, func_name)


def _numpy_math():
    """The math module with NumPy's (and Numba's error_model="numpy") answers outside the
    domains: nan and inf instead of ValueError and OverflowError (built once: plain runs
    only read it)."""
    global _NUMPY_MATH
    if _NUMPY_MATH is None:
        _NUMPY_MATH = _build_numpy_math()
    return _NUMPY_MATH


_NUMPY_MATH = None


def _build_numpy_math():
    import math
    import numpy as np
    ns = types.SimpleNamespace(**{k: getattr(math, k) for k in dir(math)
                                  if not k.startswith("_")})
    names = {"asin": "arcsin", "acos": "arccos", "atan": "arctan", "atan2": "arctan2",
             "asinh": "arcsinh", "acosh": "arccosh", "atanh": "arctanh", "pow": "power"}
    for k in ("sqrt", "log", "log1p", "log2", "log10", "exp", "expm1", "sin", "cos", "tan",
              "asin", "acos", "atan", "atan2", "sinh", "cosh", "tanh", "asinh", "acosh",
              "atanh", "pow", "hypot", "fmod"):
        ufunc = getattr(np, names.get(k, k))

        def call(*a, _u=ufunc, _m=getattr(math, k)):
            try:                            # math's own result inside its domain, as a
                return np.float64(_m(*a))   # NumPy float: 0.5 / sqrt(0.0) is inf, no raise
            except (ValueError, OverflowError, ZeroDivisionError):
                with np.errstate(all="ignore"):
                    return np.float64(_u(*a) if len(a) == _u.nin else
                                      np.log(a[0]) / np.log(a[1]))
        setattr(ns, k, call)
    import scipy.special as sc
    for k, fallback in (("lgamma", sc.gammaln), ("gamma", sc.gamma)):
        def special(x, _m=getattr(math, k), _f=fallback):
            try:                            # poles and overflow: inf / nan, as Numba
                return np.float64(_m(x))
            except (ValueError, OverflowError):
                return np.float64(_f(x))
        setattr(ns, k, special)
    return ns


def _plain(func):
    """Run generated code as plain Python with IEEE float semantics (x / 0.0 is inf, as in
    the compiled code): float arguments become NumPy floats."""
    import numpy as np

    def back(v):
        return float(v) if type(v) is np.float64 else v

    def run(*args):
        with np.errstate(all="ignore"):
            out = func(*[np.float64(a) if type(a) is float else a for a in args])
        return tuple(back(v) for v in out) if isinstance(out, tuple) else back(out)
    run.py_source = func
    return run


PRANGE_ONLY = {"prange": True, "comprehension": False, "setitem": False, "reduction": False,
                "numpy": False, "stencil": False, "fusion": False, "inplace_binop": False}


def compile_function(path: Path, func_name: str, jit: bool = True, source: str | None = None,
                     parallel=None):
    """The generated function, wrapped by numba.njit(cache=True) unless jit=False.
    `parallel`: Numba's option (None: PRANGE_ONLY when the code runs a prange loop: only
    the prange loops are parallel, no array expression is split across threads)."""
    allocator.retain()                      # freed memory kept for the next call
    if source is None:
        source = path.read_bytes().decode("utf-8")
    if not jit:
        return _plain(load_function(path, func_name, source, plain=True))
    func = load_function(path, func_name, source)
    import numba
    with _LOCK:
        cached = _has_file(path) and path.exists()
        if cached and path not in _CHECKED:
            _verify_seal(path)
        return numba.njit(cache=cached, error_model="numpy",       # prange: user code's
                          parallel=(PRANGE_ONLY if uses_prange(source) else False)
                          if parallel is None else parallel)(func)   # (passes/parallel.py),
        #                                                              batching's drivers


_PRANGE = re.compile(r"^\s*for .* in prange\(", re.M)


def uses_prange(source: str) -> bool:
    """Does generated code run a loop with prange (not only quote one in a comment)?"""
    return _PRANGE.search(source) is not None


# ---------------------------------------------------------------------------- Numba's files
def _numba_files(path: Path) -> list[Path]:
    """Numba's index and data files of the module at path (names compared as strings: the
    folder holds every cached module's files)."""
    folder = path.parent / "__pycache__"
    prefix = path.stem + "."
    try:
        names = os.listdir(folder)
    except OSError:
        return []
    return [folder / n for n in sorted(n for n in names
                                       if n.startswith(prefix) and n.endswith((".nbi", ".nbc")))]


def _seal_path(path: Path) -> Path:
    return path.parent / "__pycache__" / f"{path.stem}.seal"


def _digests(files) -> dict:
    out = {}
    for f in files:
        try:
            out[f.name] = hashlib.sha256(f.read_bytes()).hexdigest()
        except OSError:
            pass
    return out


def _verify_seal(path: Path):
    """Discard Numba's cache files of `path` unless they are exactly the ones sealed."""
    files = _numba_files(path)
    if not files:
        return
    try:
        sealed = json.loads(_seal_path(path).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        sealed = None
    if sealed != _digests(files):
        _discard_numba_cache(path)
        warnings.warn(f"adcompile discarded damaged or unverified compiled code of {path.name}"
                      " in its cache; compiling again", CacheWarning, stacklevel=4)
    _CHECKED.add(path)


def _discard_numba_cache(path: Path):
    for f in _numba_files(path) + [_seal_path(path)]:
        try:
            f.unlink()
        except OSError:
            pass


def seal(path: Path):
    """Record the digests of Numba's cache files of `path` (after a successful call)."""
    if not _has_file(path):
        return
    with _LOCK:
        files = _numba_files(path)
        if not files:
            return
        digests = _digests(files)
        try:
            old = json.loads(_seal_path(path).read_text(encoding="utf-8"))
        except (OSError, ValueError):
            old = None
        if old != digests:
            try:
                _atomic_write(_seal_path(path), json.dumps(digests, sort_keys=True).encode())
            except OSError:
                pass
        _CHECKED.add(path)


def run_compiled(compiled, args, path: Path):
    """Call the compiled function, turning a Numba failure into a JitError naming the file.
    A failure to load Numba's cached code discards the cache files and compiles again."""
    try:
        out = compiled(*args)
    except Exception as exc:
        from numba.core.errors import NumbaError
        from .errors import AdCompileError
        if isinstance(exc, AdCompileError) or not hasattr(compiled, "py_func"):
            _seal_new(compiled, path)        # compiled fine; the user's computation raised
            raise
        if isinstance(exc, NumbaError):
            first = str(exc).strip().splitlines()
            head = "\n".join(first[:12])
            raise JitError(f"Numba could not compile the generated code in {path}:\n{head}",
                           hint="this is an adcompile bug if your function runs as plain "
                                "Python; please report it with that file") from None
        if not _cache_failure(exc):
            raise
        with _LOCK:                          # a damaged cache file Numba could not read
            _discard_numba_cache(path)
        warnings.warn(f"adcompile could not load the compiled code of {path.name} from its "
                      f"cache ({type(exc).__name__}); compiling it again", CacheWarning,
                      stacklevel=3)
        out = compiled(*args)
    _seal_new(compiled, path)
    return out


def _seal_new(compiled, path: Path):
    """Seal Numba's cache files of path when the dispatcher compiled something new."""
    overloads = getattr(compiled, "overloads", None)
    if overloads is None:
        return
    n = len(overloads)                       # cheap: no file is looked at when nothing new
    if n and _SEALED.get(path) != n and _has_file(path):   # new machine code: seal it
        seal(path)
        _SEALED[path] = n


_SEALED: dict = {}                          # path -> signatures sealed


def compile_signature(dispatcher, ir_types, path: Path):
    """Compile `dispatcher` for arguments of the given IR types (arrays C-contiguous)."""
    from numba import types as nt
    from .types import BOOL, F64, I64, Array
    scalars = {F64: nt.float64, I64: nt.int64, BOOL: nt.boolean}
    sig = tuple(nt.Array(scalars[t.dtype], t.ndim, "C") if isinstance(t, Array)
                else scalars[t] for t in ir_types)
    try:
        dispatcher.compile(sig)
    except Exception as exc:
        from numba.core.errors import NumbaError
        if isinstance(exc, NumbaError):
            head = "\n".join(str(exc).strip().splitlines()[:12])
            raise JitError(f"Numba could not compile the generated code in {path}:\n{head}",
                           hint="this is an adcompile bug; please report it with that file") \
                from None
        if not _cache_failure(exc):
            raise
        _discard_numba_cache(path)
        dispatcher.compile(sig)
    if _has_file(path):
        seal(path)
        _SEALED[path] = len(dispatcher.signatures)


def _cache_failure(exc: BaseException) -> bool:
    """Was exc raised while Numba read its cache files (not by the user's computation)?"""
    import traceback
    frames = traceback.extract_tb(exc.__traceback__)
    return any("numba" in f.filename and "caching" in f.filename for f in frames)


__all__ = ["cache_dir", "write_module", "load_function", "compile_function", "run_compiled",
           "compile_signature", "seal", "fingerprint", "CacheWarning"]
