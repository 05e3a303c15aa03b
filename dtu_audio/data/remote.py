"""Files a dataset is made from, fetched into its downloads folder: resumed, verified, then renamed into place.

A file is kept only once its checksum matches the published one; a mismatch deletes the
download. Files put into the downloads folder by hand are verified the same way before use.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import gdown
import requests

from dtu_audio.download import Progress, download_problem, download_resumable, file_digest
from dtu_audio.errors import DtuError

OFFLINE_HINT = "offline mode (--offline, DTU_OFFLINE=1 or HF_HUB_OFFLINE=1)"


@dataclass(frozen=True)
class RemoteFile:
    """One file to fetch: its name in the downloads folder, its URL and its published checksum."""

    name: str
    url: str
    #: ``(algorithm, hex digest)`` as the source publishes it; ``None`` when it publishes none.
    checksum: tuple[str, str] | None = None


def missing_files(files: list[RemoteFile], folder: Path) -> list[RemoteFile]:
    """The files not yet in ``folder``."""
    return [f for f in files if not (folder / f.name).is_file()]


def offline_refusal(dataset: str, missing: list[RemoteFile], folder: Path) -> DtuError:
    """The error of an offline prepare that would have to download ``missing``."""
    return DtuError(
        f"{OFFLINE_HINT} forbids the {len(missing)} downloads listed above; run dtu data prepare {dataset} "
        f"online, or download those files by hand into {folder} and run it again"
    )


def _download_error(remote: RemoteFile, err: Exception) -> DtuError:
    problem = download_problem(err, "the server", "the data home", "free some space or set DTU_DATA")
    return DtuError(f"could not download {remote.name} from {remote.url}: {problem}")


def _verify(remote: RemoteFile, path: Path, digest: str | None = None) -> str | None:
    """What is wrong with ``path`` as ``remote`` (``None``: its checksum matches, or none is published)."""
    if remote.checksum is None:
        return None
    algorithm, expected = remote.checksum
    found = digest or file_digest(path, algorithm)
    return None if found == expected else f"its {algorithm} is {found}, expected {expected}"


def fetch_file(remote: RemoteFile, folder: Path, progress: Progress | None = None) -> Path:
    """``folder/<name>``, downloaded (resuming any ``.part`` left behind) and verified when not there yet."""
    target = folder / remote.name
    if target.is_file():
        problem = _verify(remote, target)
        if problem is not None:
            raise DtuError(
                f"{target} is not the published {remote.name}: {problem}; delete it and run the same command "
                "again to download it"
            )
        return target
    staging = folder / ".unverified" / remote.name
    algorithm = remote.checksum[0] if remote.checksum else "sha256"
    try:
        digest = download_resumable(staging, algorithm, progress, url=remote.url)
    except (gdown.exceptions.DownloadError, requests.RequestException, OSError) as err:
        raise _download_error(remote, err) from err
    problem = _verify(remote, staging, digest)
    if problem is not None:
        staging.unlink()
        raise DtuError(
            f"the download of {remote.name} is corrupt: {problem}; it was deleted, nothing was kept; "
            "run the same command again to download it anew"
        )
    os.replace(staging, target)
    return target


def fetch_all(
    files: list[RemoteFile], folder: Path, progress_for: Callable[[RemoteFile], Progress | None] | None = None
) -> dict[str, Path]:
    """Every file of ``files`` in ``folder``, name -> path, fetching those not there yet."""
    return {f.name: fetch_file(f, folder, progress_for(f) if progress_for else None) for f in files}
