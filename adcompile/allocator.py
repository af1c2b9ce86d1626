"""The C allocator's thresholds: keep freed memory for the next gradient call.

A reverse-mode gradient keeps each loop iteration's arrays until its adjoint sweep has read
them back, then frees them all when it returns. glibc's malloc hands a large block back to
the kernel when it is freed: a block above its mmap threshold (128 KB at start) is unmapped,
and free space above its trim threshold (128 KB) at the top of the heap is released. The
next call then touches fresh pages, a page fault per 4 KB: measured on GradBench's ode
gradient (n = 10,000, s = 10: forty 80 KB arrays recorded per call) 2.97 ms a call against
0.82 ms once the memory is kept, and on lse's gradient (n = 40,000) 0.80 ms against 0.28.

glibc raises both thresholds itself when a program frees a large block (its "dynamic"
thresholds, up to a 32 MB mmap threshold and a 64 MB trim threshold): a process that once
freed a 32 MB array is already in the state this module sets. `retain()` sets it from the
first compiled function on, so that a gradient's speed does not depend on what the process
happened to do before. The cost: up to 64 MB of freed heap per malloc arena stays mapped to
the process instead of going back to the system, and arrays up to 32 MB come from the heap.

Set ADCOMPILE_MALLOC=system to leave the allocator as it is. On other C libraries (macOS,
Windows, musl) nothing is changed.
"""
from __future__ import annotations

import ctypes
import os
import sys
import threading

MMAP_THRESHOLD = 32 << 20                   # glibc's own ceiling for its dynamic thresholds
TRIM_THRESHOLD = 64 << 20
_M_TRIM_THRESHOLD, _M_MMAP_THRESHOLD = -1, -3     # malloc.h
_LOCK = threading.Lock()
_applied: bool | None = None                # None: not tried yet in this process


def retain() -> bool:
    """Set glibc's thresholds once per process (module docstring); True if they were set."""
    global _applied
    if _applied is None:
        with _LOCK:
            if _applied is None:
                _applied = _apply()
    return _applied


def _apply() -> bool:
    if os.environ.get("ADCOMPILE_MALLOC", "").strip().lower() == "system" or \
            not sys.platform.startswith("linux"):
        return False
    try:
        libc = ctypes.CDLL(None)
        libc.gnu_get_libc_version             # glibc only: musl has no mallopt thresholds
        mallopt = libc.mallopt
    except (OSError, AttributeError):
        return False
    mallopt.argtypes = [ctypes.c_int, ctypes.c_int]
    mallopt.restype = ctypes.c_int
    return bool(mallopt(_M_MMAP_THRESHOLD, MMAP_THRESHOLD)) and \
        bool(mallopt(_M_TRIM_THRESHOLD, TRIM_THRESHOLD))


__all__ = ["retain", "MMAP_THRESHOLD", "TRIM_THRESHOLD"]
