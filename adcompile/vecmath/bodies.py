"""The compiled bodies of the runtime's functions, kept on disk as LLVM IR.

Compiling a body takes Numba 0.2-0.7 s, once per process; a process that compiles new
generated code using exp, log, tanh, sin and cos would pay about 3 s before its first
gradient. The first process to compile a body writes its optimised LLVM IR (the function
marked alwaysinline, with everything it calls) to adcompile's cache directory; later
processes parse that text (milliseconds) into a code library that generated code links,
and LLVM inlines the body into each caller as before. The file name hashes what the IR
depends on: the runtime's source, Numba's and llvmlite's versions, and the host CPU.
A damaged or unreadable file is compiled again; without a cache directory every process
compiles.
"""
from __future__ import annotations

import hashlib
import os
import threading
from pathlib import Path

_LOCK = threading.RLock()
_BODIES: dict = {}        # key -> (code library, LLVM function name)
_HEADER = "; adcompile.vecmath body: "


def link(context, impl, sig) -> str:
    """Link the compiled body of `impl` (a plain function Numba compiles for `sig`) into
    the code being lowered; its LLVM function name."""
    key = f"{impl.__module__}.{impl.__qualname__}"
    with _LOCK:
        got = _BODIES.get(key)
        if got is None:
            got = _BODIES[key] = _load(context, key) or _compile(context, impl, sig, key)
    context.add_linking_libs([got[0]])
    return got[1]


def _compile(context, impl, sig, key):
    cres = context.subtarget(fastmath=False).compile_subroutine(None, impl, sig)
    name = cres.fndesc.llvm_func_name
    fn = cres.library.get_function(name)
    if not any(b"alwaysinline" in a for a in fn.attributes):
        fn.add_function_attribute("alwaysinline")
    _save(key, name, cres.library.get_llvm_str())
    return cres.library, name


def _path(key: str) -> Path | None:
    from ..jit import cache_dir
    folder = cache_dir()
    if folder is None:
        return None
    return folder / "vecmath" / f"{key.rsplit('.', 1)[-1].lstrip('_')}_{_fingerprint()}.ll"


def _load(context, key):
    path = _path(key)
    if path is None:
        return None
    try:
        text = path.read_text(encoding="utf-8")
        first, _, body = text.partition("\n")
        if not first.startswith(_HEADER):
            return None
        name = first[len(_HEADER):].strip()
        import llvmlite.binding as ll
        module = ll.parse_assembly(body)
        module.verify()
        if module.get_function(name).is_declaration:
            return None
        library = context.codegen().create_library(f"adcompile.vecmath.{key}")
        library.add_llvm_module(module)
        library.finalize()
        return library, name
    except Exception:                         # missing, damaged, another LLVM: compile
        return None


def _save(key, name, text):
    path = _path(key)
    if path is None:
        return
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(f".{os.getpid()}.{threading.get_ident()}.tmp")
        tmp.write_text(_HEADER + name + "\n" + text, encoding="utf-8")
        os.replace(tmp, path)
    except OSError:                           # a read-only cache: compile each process
        pass


_FINGERPRINT: str | None = None


def _fingerprint() -> str:
    """What generated code's machine code depends on (jit.fingerprint: versions and the
    runtime's source, these files included), and the LLVM and the CPU the IR was made for."""
    global _FINGERPRINT
    if _FINGERPRINT is None:
        import llvmlite
        import llvmlite.binding as ll
        from ..jit import fingerprint
        h = hashlib.sha256()
        for part in (fingerprint(), llvmlite.__version__, ll.get_host_cpu_name(),
                     ll.get_host_cpu_features().flatten()):
            h.update(part.encode("utf-8") + b"\0")
        _FINGERPRINT = h.hexdigest()[:16]
    return _FINGERPRINT
