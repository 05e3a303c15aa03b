"""What every download of the package shares: offline mode, per-name file locks, resumable verified transfers.

The weight cache (``dtu fetch-weights``) and the data home (``dtu data``) both fetch through
:func:`download_resumable`: gdown's HTTP client writes a ``.part`` file beside the target that a
later call resumes with an HTTP Range request, and hashes the bytes as they arrive.
"""

from __future__ import annotations

import errno
import hashlib
import os
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

from filelock import FileLock, Timeout

from dtu_audio.errors import brief

#: Extra attempts after a dropped connection; each one resumes with an HTTP Range request.
RETRIES = 3
#: Seconds to wait for the server to connect, then between bytes.
TIMEOUT = (15.0, 60.0)
_OFFLINE_VARS = ("DTU_OFFLINE", "HF_HUB_OFFLINE")
_HASH_BLOCK = 1 << 20

Progress = Callable[[int, int | None], None]


def offline_requested(offline: bool = False) -> bool:
    """True when ``offline`` is set or the environment says ``DTU_OFFLINE=1`` or ``HF_HUB_OFFLINE=1``."""
    return offline or any(
        os.environ.get(var, "").strip().lower() in {"1", "true", "yes", "on"} for var in _OFFLINE_VARS
    )


@contextmanager
def hold_lock(lock_file: Path, name: str, on_wait: Callable[[str], None] | None = None) -> Iterator[None]:
    """Hold the file lock ``lock_file`` so that one process at a time works on ``name``.

    ``on_wait(name)`` is called once when another process holds it and this one has to wait.
    """
    lock_file.parent.mkdir(parents=True, exist_ok=True)
    lock = FileLock(lock_file)
    try:
        lock.acquire(timeout=0)
    except Timeout:
        if on_wait is not None:
            on_wait(name)
        lock.acquire()
    try:
        yield
    finally:
        lock.release()


def file_digest(path: Path, algorithm: str) -> str:
    """The hex digest (``sha256``, ``md5``, ...) of a file, read in 1 MiB blocks."""
    digest = hashlib.new(algorithm)
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(_HASH_BLOCK), b""):
            digest.update(block)
    return digest.hexdigest()


def download_resumable(
    staging: Path,
    algorithm: str,
    progress: Progress | None = None,
    *,
    url: str | None = None,
    drive_id: str | None = None,
    retries: int = RETRIES,
) -> str:
    """Download ``url`` (or the Google Drive file ``drive_id``) to ``staging``; return its hex digest.

    A ``staging.part`` left by an interrupted call is resumed; a complete ``staging`` left
    unverified by a run that stopped is only hashed. Errors are those of gdown, requests and the OS.
    """
    import gdown  # here, not at the top: ``dtu --help`` does not need it

    staging.parent.mkdir(parents=True, exist_ok=True)
    if staging.is_file():
        return file_digest(staging, algorithm)
    hasher = hashlib.new(algorithm)
    gdown.download(
        url=url,
        id=drive_id,
        output=str(staging),
        quiet=True,
        resume=True,
        retries=retries,
        timeout=TIMEOUT,
        progress=progress,
        hasher=hasher,
        use_cookies=False,
    )
    return hasher.hexdigest()


def download_problem(err: Exception, server: str, where: str, fix: str) -> str:
    """What stopped a download, in words: a full disk (in ``where``; then ``fix``), an HTTP status from
    ``server``, no connection to it, or anything else, which the next run resumes from."""
    import requests

    detail = brief(err)
    if isinstance(err, OSError) and err.errno == errno.ENOSPC:
        return f"the disk is full ({err.filename or where}); {fix}"
    if isinstance(err, requests.HTTPError):
        return f"{server} answered HTTP {err.response.status_code}"
    if isinstance(err, requests.ConnectionError) or isinstance(err.__cause__, requests.ConnectionError):
        return f"cannot reach {server}; check the network connection ({detail})"
    return f"the download failed ({detail}); run the same command again to resume it"
