"""Downloads into the dtu cache: the paper's published SynCaps recipe and the ESC-50 archive."""

from __future__ import annotations

import os
import shutil
import zipfile
from pathlib import Path

import gdown
import requests
from rich.progress import BarColumn, DownloadColumn, TextColumn, TransferSpeedColumn

from dtu_audio.download import download_problem, download_resumable
from dtu_audio.errors import DtuError
from dtu_audio.progress import Progress
from dtu_audio.resolve import cache_dir
from dtu_audio.syncaps.recipe import AUTHORS_FILES

#: The paper's public repository, pinned to the commit the recipe was published in.
PUBLISHED_RECIPE_URL = (
    "https://raw.githubusercontent.com/oncescuandreea/DTU_text_audio/"
    "ebc457e4c66715a19f00d671c9c33d58121478c9/retrieval/data/SynCaps/json_files"
)
ESC50_URL = "https://github.com/karoldvl/ESC-50/archive/master.zip"
_DOWNLOAD_ERRORS = (gdown.exceptions.DownloadError, requests.RequestException, OSError)


def _download(url: str, target: Path, show_progress: bool = False) -> None:
    """``url`` into ``target`` with the shared downloader: a stopped download resumes from its ``.part`` file."""
    staging = target.parent / ".partial" / target.name
    columns = (TextColumn(f"[bold]{target.name}"), BarColumn(), DownloadColumn(), TransferSpeedColumn())
    with Progress(*columns, disable=not show_progress) as progress:
        task = progress.add_task("download", total=None)
        download_resumable(
            staging, "sha256", lambda done, total: progress.update(task, completed=done, total=total), url=url
        )
    os.replace(staging, target)
    if not any(staging.parent.iterdir()):
        staging.parent.rmdir()


def _problem(err: Exception) -> str:
    return download_problem(err, "the server", "the dtu cache", "free some space or set DTU_HOME")


def _recipe_folder() -> Path:
    return cache_dir("syncaps") / "published-recipe"


def _esc50_checkout() -> Path:
    return cache_dir("esc50") / "ESC-50-master"


def pending_downloads(esc50: bool = True) -> list[str]:
    """The URLs :func:`published_recipe_dir` (and, with ``esc50``, :func:`download_esc50`) would fetch now."""
    urls = [
        f"{PUBLISHED_RECIPE_URL}/{name}" for name in AUTHORS_FILES.values() if not (_recipe_folder() / name).is_file()
    ]
    if esc50 and not (_esc50_checkout() / "meta" / "esc50.csv").is_file():
        urls.append(ESC50_URL)
    return urls


def published_recipe_dir() -> Path:
    """The published recipe folder in the cache, fetched on first use."""
    folder = _recipe_folder()
    for name in AUTHORS_FILES.values():
        if (folder / name).is_file():
            continue
        try:
            _download(f"{PUBLISHED_RECIPE_URL}/{name}", folder / name)
        except _DOWNLOAD_ERRORS as err:
            raise DtuError(
                f"cannot fetch the published SynCaps recipe ({_problem(err)}); offline, download "
                f"{', '.join(AUTHORS_FILES.values())} from {PUBLISHED_RECIPE_URL} into one folder "
                "and pass --recipe FOLDER"
            ) from None
    return folder


def download_esc50() -> Path:
    """The ESC-50 checkout in the cache (``ESC-50-master``), downloaded and unpacked on first use."""
    checkout = _esc50_checkout()
    root = checkout.parent
    if (checkout / "meta" / "esc50.csv").is_file():
        return checkout
    archive = root / "ESC-50-master.zip"
    try:
        if not archive.is_file():
            _download(ESC50_URL, archive, show_progress=True)
        unpack = root / ".unpacking"
        shutil.rmtree(unpack, ignore_errors=True)
        with zipfile.ZipFile(archive) as handle:
            handle.extractall(unpack)
        os.replace(unpack / "ESC-50-master", checkout)
        shutil.rmtree(unpack, ignore_errors=True)
        archive.unlink()
    except zipfile.BadZipFile:
        archive.unlink(missing_ok=True)
        raise DtuError(f"the ESC-50 archive from {ESC50_URL} is corrupt; run again to download it anew") from None
    except _DOWNLOAD_ERRORS as err:
        raise DtuError(
            f"cannot download ESC-50 ({_problem(err)}); download {ESC50_URL}, unpack it "
            "and pass --esc50 PATH/ESC-50-master"
        ) from None
    return checkout
