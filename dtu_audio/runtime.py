"""Process-wide settings for CPU work, applied by the ``dtu`` command (library users may call them): the
malloc setting, the thread count and the oneDNN fast path."""

from __future__ import annotations

import ctypes
import functools
import os
from dataclasses import dataclass
from typing import TYPE_CHECKING

from dtu_audio.errors import DtuError

if TYPE_CHECKING:
    from dtu_audio.specs import RuntimeSpec

#: Help text of the commands' ``--threads`` option.
THREADS_HELP = "CPU threads (default: the cores other processes leave free; spec: runtime.threads)."

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


@dataclass(frozen=True)
class ThreadChoice:
    """How many CPU threads PyTorch uses, and why (printed at the start of train, eval and quickstart)."""

    threads: int
    reason: str

    def __str__(self) -> str:
        return f"{self.threads} CPU thread{'s' if self.threads != 1 else ''} ({self.reason})"


def available_cores() -> int:
    """CPUs this process may run on (its affinity mask, e.g. a container's or ``taskset``'s share)."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


def busy_cores(window: float = 0.5) -> float:
    """How many CPUs other processes keep busy right now: the machine's CPU use over ``window`` seconds,
    sampled while this process sleeps (psutil reads ``/proc/stat`` on Linux)."""
    import psutil

    return psutil.cpu_percent(interval=window) / 100 * (os.cpu_count() or 1)


def choose_threads(requested: int | None = None) -> ThreadChoice:
    """The thread count for this process: ``requested`` (``--threads`` / ``runtime.threads``), else
    ``OMP_NUM_THREADS`` when set, else the cores this process may use less the cores others keep busy.

    Why the last: PyTorch's threads wait for each other at every operation, spinning; when another
    process holds a core, every step waits for the slowest thread (``benchmarks/threads.py``: a
    training epoch ran 1.9 times slower at 2 threads than at 1 beside one busy process on 2 cores,
    and 1.7 times faster on idle cores). The cores others keep busy are measured over half a second
    as the command starts, rounded to whole cores. The load average is not used: it lags both ways,
    still counting for a minute a job that has ended and not yet counting one that has just started.
    """
    if requested is not None:
        if requested < 1:
            raise DtuError(f"threads must be at least 1, not {requested}")
        return ThreadChoice(requested, "as asked")
    from_env = os.environ.get("OMP_NUM_THREADS", "").strip()
    if from_env.isdigit() and int(from_env) > 0:
        return ThreadChoice(int(from_env), "OMP_NUM_THREADS")
    cores = available_cores()
    busy = busy_cores()
    threads = max(1, min(cores, (os.cpu_count() or cores) - round(busy)))
    return ThreadChoice(threads, f"{cores} cores available, {busy:.1f} busy; --threads N to change")


def apply_threads(requested: int | None = None) -> ThreadChoice:
    """Choose the thread count (:func:`choose_threads`) and set it in PyTorch."""
    import torch

    choice = choose_threads(requested)
    torch.set_num_threads(choice.threads)
    return choice


def configure(settings: RuntimeSpec) -> str:
    """Apply a spec's ``runtime`` section to this process; returns the line train, eval and quickstart print.

    ``cpu_fast_path: auto`` leaves the fast path as ``DTU_CPU_FAST_PATH`` set it (on where available).
    """
    from dtu_audio.encoders.linear import cpu_fast_path_enabled, set_cpu_fast_path

    choice = apply_threads(settings.threads)
    if settings.cpu_fast_path != "auto":
        set_cpu_fast_path(settings.cpu_fast_path)
    return f"CPU: {choice}; oneDNN fast path {'on' if cpu_fast_path_enabled() else 'off'}"
