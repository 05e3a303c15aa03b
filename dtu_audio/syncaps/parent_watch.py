"""Worker processes that end when the process that started them is gone (even after kill -9)."""

from __future__ import annotations

import os
import threading
import time

from dtu_audio.fileio import process_alive

POLL_SECONDS = 0.5


def _watch(parent_pid: int) -> None:
    while process_alive(parent_pid) and os.getppid() != 1:
        time.sleep(POLL_SECONDS)
    os._exit(1)


def exit_with_parent(parent_pid: int) -> None:
    """End this process within :data:`POLL_SECONDS` of the process ``parent_pid`` ending."""
    threading.Thread(target=_watch, args=(parent_pid,), name="exit-with-parent", daemon=True).start()
