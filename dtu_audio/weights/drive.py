"""Google Drive downloads through gdown: a partial file that resumes, then verify, then rename.

gdown and requests are imported by the functions that use them, so that ``dtu --help`` stays quick.
"""

from __future__ import annotations

import os
from pathlib import Path

from dtu_audio.download import Progress, download_problem, download_resumable
from dtu_audio.errors import DtuError
from dtu_audio.weights.cache import CachedEntry, WeightCache, now_iso
from dtu_audio.weights.checkpoint_check import check_checkpoint
from dtu_audio.weights.registry import WeightEntry, recovery_hint

# Extra attempts after a dropped connection; each one resumes with an HTTP Range request.
RETRIES = 3


def _drive_error(entry: WeightEntry, err: Exception) -> DtuError:
    import gdown

    what = f"{entry.name} ({entry.filename})" if entry.filename else entry.name
    if isinstance(err, gdown.exceptions.FileURLRetrievalError):
        detail = " ".join(str(err.__context__ or err).split())  # gdown's own reason, without its advice
        problem = (
            f"Google Drive answered with a page instead of the file (download quota exceeded or no access: {detail})"
        )
    else:
        problem = download_problem(err, "Google Drive", "the weight cache", "free some space or pass --cache-dir")
    return DtuError(f"could not download {what}: {problem}; or {recovery_hint(entry)}")


def download_drive_file(entry: WeightEntry, cache: WeightCache, progress: Progress | None = None) -> CachedEntry:
    """Download ``entry`` into the cache and record it; call with the entry's lock held.

    The bytes go to a partial file that a later call resumes; the file replaces the cached
    one only once its size, checksum and checkpoint layout are verified.
    """
    import gdown
    import requests

    staging = cache.partial_dir(entry.name) / entry.filename
    try:
        digest = download_resumable(staging, "sha256", progress, drive_id=entry.drive_id, retries=RETRIES)
    except (gdown.exceptions.DownloadError, requests.RequestException, OSError) as err:
        raise _drive_error(entry, err) from err
    return _publish(entry, cache, staging, digest)


def _publish(entry: WeightEntry, cache: WeightCache, staging: Path, digest: str) -> CachedEntry:
    size = staging.stat().st_size
    problem = None
    if entry.size is not None and size != entry.size:
        problem = f"it has {size} bytes, expected {entry.size}"
    elif entry.sha256 is not None and digest != entry.sha256:
        problem = f"its sha256 is {digest}, expected {entry.sha256}"
    if problem is None and entry.sha256 is None and entry.checkpoint_key is not None:
        try:
            check_checkpoint(staging, entry)
        except DtuError as err:
            problem = str(err)
    if problem is not None:
        staging.unlink()
        cache.drop_empty_partial_dir(entry.name)
        raise DtuError(
            f"the download of {entry.name} is corrupt: {problem}; the cached copy (if any) is kept and the "
            f"broken download deleted; run the same command again, or {recovery_hint(entry)}"
        )
    target = cache.file_path(entry.name, entry.filename)
    target.parent.mkdir(parents=True, exist_ok=True)
    os.replace(staging, target)
    cache.drop_empty_partial_dir(entry.name)
    record = CachedEntry(
        path=target.relative_to(cache.root).as_posix(),
        source=f"gdrive:{entry.drive_id}",
        size=size,
        sha256=digest,
        fetched=now_iso(),
        drive_id=entry.drive_id,
        filename=entry.filename,
    )
    cache.record(entry.name, record)
    return record


def list_drive_folder(folder: WeightEntry) -> list[tuple[str, str]]:
    """The ``(drive id, file name)`` of every file in the Drive folder ``folder``."""
    import gdown
    import requests

    try:
        files = gdown.download_folder(id=folder.drive_id, skip_download=True, quiet=True, use_cookies=False)
    except (gdown.exceptions.DownloadError, requests.RequestException) as err:
        raise _drive_error(folder, err) from err
    return [(item.id, os.path.basename(item.path)) for item in files]
