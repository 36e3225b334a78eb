"""Keep freed memory in the process instead of returning it to the kernel (glibc only).

Scoring an image allocates and frees hundreds of float64 maps of 2–70 MB. With glibc's defaults, blocks
above its (adaptive) mmap threshold are fresh mappings every time and the top of the heap is trimmed after
every large free, so each new map pays page faults and the kernel's zeroing of its pages again. Raising the
trim threshold, padding the heap's growth and fixing the mmap threshold at its maximum (32 MB on 64-bit)
lets the worker reuse the same pages image after image: about a fifth of the scoring time on this machine
(`benchmarks/pair_scoring.py --allocator default|keep`). Values are unchanged (only where memory comes
from changes); the price is that a worker's resident memory stays near its peak until it exits.

There is no library for this short of preloading jemalloc/tcmalloc (a system package we cannot assume),
so it is `mallopt(3)` through ctypes; on other C libraries it does nothing.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import platform

# mallopt(3) parameter numbers (glibc malloc.h).
_M_TRIM_THRESHOLD = -1
_M_TOP_PAD = -2
_M_MMAP_THRESHOLD = -3

TRIM_THRESHOLD = 2**31 - 1  # mallopt takes an int: trim only when 2 GB lie free at the top
TOP_PAD = 256 << 20  # grow the heap 256 MB beyond each request
MMAP_THRESHOLD = 32 << 20  # glibc's upper limit for it on 64-bit systems


def keep_freed_memory() -> bool:
    """Apply the settings above to this process's allocator; True when they took effect (glibc)."""
    if platform.system() != "Linux" or platform.libc_ver()[0] != "glibc":
        return False
    libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
    settings = ((_M_MMAP_THRESHOLD, MMAP_THRESHOLD), (_M_TRIM_THRESHOLD, TRIM_THRESHOLD), (_M_TOP_PAD, TOP_PAD))
    return all(libc.mallopt(parameter, value) == 1 for parameter, value in settings)
