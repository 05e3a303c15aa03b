"""Process-wide settings for fast CPU work, applied by the ``dtu`` command (library users may call them)."""

from __future__ import annotations

import ctypes
import functools

#: glibc ``mallopt`` parameters (malloc.h).
_M_TRIM_THRESHOLD = -1
_M_MMAP_THRESHOLD = -3
#: Blocks up to this size come from the reusable heap, and this much free heap is kept.
_KEEP_BYTES = 1 << 30


@functools.cache
def keep_freed_memory() -> bool:
    """Let glibc's malloc keep freed memory for reuse, as jemalloc and tcmalloc do.

    PyTorch's CPU tensors come from malloc. By default glibc maps blocks over a few MiB afresh from
    the kernel and unmaps them when freed, so every large activation of a forward pass page-faults
    again: at batch 8 that is about 100,000 faults and a tenth of HTSAT's time on CPU. With this
    setting large blocks come from the heap and freed ones stay there (resident memory stays near
    its peak, about 150 MiB more for HTSAT). Returns whether it took effect: True on glibc, False
    elsewhere (nothing changes there).
    """
    try:
        mallopt = ctypes.CDLL(None).mallopt
    except (AttributeError, OSError):
        return False
    return bool(mallopt(_M_MMAP_THRESHOLD, _KEEP_BYTES)) and bool(mallopt(_M_TRIM_THRESHOLD, _KEEP_BYTES))
