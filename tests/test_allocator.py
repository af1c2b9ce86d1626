"""adcompile.allocator: after the first compiled function, freed memory stays with the
process (glibc's thresholds raised), unless ADCOMPILE_MALLOC=system. Checked in a fresh
process: a 1 MB malloc comes from the heap (below the program break) when the thresholds
are raised, from a fresh mapping (above it) when they are glibc's defaults."""
import os
import subprocess
import sys

import pytest

PROBE = r"""
import ctypes
import adcompile as ad

@ad.grad
def f(x):
    return x * x

assert f(3.0) == 6.0
libc = ctypes.CDLL(None)
libc.malloc.restype = libc.sbrk.restype = ctypes.c_void_p
libc.malloc.argtypes = [ctypes.c_size_t]
libc.sbrk.argtypes = [ctypes.c_long]
libc.free.argtypes = [ctypes.c_void_p]
p = libc.malloc(1 << 20)
print("heap" if p < libc.sbrk(0) else "mapped")
libc.free(p)
"""

def _glibc() -> bool:
    try:
        return sys.platform.startswith("linux") and bool(os.confstr("CS_GNU_LIBC_VERSION"))
    except (ValueError, OSError):             # a C library that does not name itself
        return False


glibc = pytest.mark.skipif(not _glibc(), reason="glibc's thresholds only")


def _where(tmp_path, **env):
    probe = tmp_path / "probe.py"                 # a file: adcompile reads f's source
    probe.write_text(PROBE)
    run = subprocess.run([sys.executable, str(probe)], capture_output=True, text=True,
                         env={**os.environ, "ADCOMPILE_CACHE_DIR": str(tmp_path), **env})
    assert run.returncode == 0, run.stderr
    return run.stdout.strip()


@glibc
def test_memory_is_kept_after_the_first_compiled_function(tmp_path):
    assert _where(tmp_path) == "heap"


@glibc
def test_adcompile_malloc_system_leaves_the_allocator_alone(tmp_path):
    assert _where(tmp_path, ADCOMPILE_MALLOC="system") == "mapped"
