"""One ``dtu train`` at a time per run folder: an exclusive lock held for the whole run."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from filelock import FileLock, Timeout

from dtu_audio.errors import DtuError

LOCK = ".dtu-train.lock"


@contextmanager
def run_lock(run_dir: Path) -> Iterator[None]:
    """Hold ``run_dir``'s lock (creating the folder) while the block runs; refuse when another run holds it.

    The operating system releases the lock when its process dies, so a killed run never blocks the next.
    """
    try:
        run_dir.mkdir(parents=True, exist_ok=True)
    except OSError as err:
        raise DtuError(f"cannot create the run folder {run_dir} ({err.strerror}); set train.output_dir") from None
    lock = FileLock(run_dir / LOCK)
    try:
        lock.acquire(timeout=0)
    except Timeout:
        raise DtuError(
            f"another dtu train is writing to {run_dir}; wait for it to finish, or pick another --name"
        ) from None
    try:
        yield
    finally:
        lock.release()


def refuse_if_locked(run_dir: Path) -> None:
    """Fail fast, before a run loads anything, when another run holds ``run_dir``'s lock."""
    if (run_dir / LOCK).is_file():
        with run_lock(run_dir):
            pass
