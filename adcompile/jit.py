"""Write generated source to a content-hashed file, import it, and compile it with Numba.

Files live in ADCOMPILE_CACHE_DIR (default: the user's cache directory). Numba's own cache
(cache=True) sits beside them, so a second process with the same function and argument types
loads machine code instead of compiling again.
"""
from __future__ import annotations

import hashlib
import importlib.util
import os
import sys
from pathlib import Path

from .errors import JitError


def cache_dir() -> Path:
    env = os.environ.get("ADCOMPILE_CACHE_DIR")
    if env:
        path = Path(env)
    elif sys.platform == "darwin":
        path = Path.home() / "Library" / "Caches" / "adcompile"
    elif os.name == "nt":
        path = Path(os.environ.get("LOCALAPPDATA", Path.home())) / "adcompile" / "Cache"
    else:
        path = Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache")) / "adcompile"
    path.mkdir(parents=True, exist_ok=True)
    return path


def write_module(source: str, stem: str) -> Path:
    """Write source to <cache>/<stem>_<hash>.py unless an identical file is there already."""
    digest = hashlib.sha256(source.encode()).hexdigest()[:16]
    path = cache_dir() / f"{stem}_{digest}.py"
    if not path.exists() or path.read_text() != source:
        tmp = path.with_suffix(f".tmp{os.getpid()}")
        tmp.write_text(source)
        os.replace(tmp, path)
    return path


def load_function(path: Path, func_name: str):
    """Import the generated module at `path` and return its function (plain Python)."""
    mod_name = "adcompile_gen_" + path.stem
    module = sys.modules.get(mod_name)
    if module is None or getattr(module, "__file__", None) != str(path):
        spec = importlib.util.spec_from_file_location(mod_name, path)
        module = importlib.util.module_from_spec(spec)
        sys.modules[mod_name] = module
        spec.loader.exec_module(module)
    return getattr(module, func_name)


def compile_function(path: Path, func_name: str, jit: bool = True):
    """The generated function, wrapped by numba.njit(cache=True) unless jit=False."""
    func = load_function(path, func_name)
    if not jit:
        return func
    import numba
    return numba.njit(cache=True, error_model="numpy")(func)


def run_compiled(compiled, args, path: Path):
    """Call the compiled function, turning a Numba failure into a JitError naming the file."""
    try:
        return compiled(*args)
    except Exception as exc:
        from numba.core.errors import NumbaError
        if isinstance(exc, NumbaError):
            first = str(exc).strip().splitlines()
            head = "\n".join(first[:12])
            raise JitError(f"Numba could not compile the generated code in {path}:\n{head}",
                           hint="this is an adcompile bug if your function runs as plain "
                                "Python; please report it with that file") from None
        raise
