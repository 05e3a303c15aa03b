"""Downloads into the dtu cache: the paper's published SynCaps recipe and the ESC-50 archive."""

from __future__ import annotations

import os
import shutil
import urllib.error
import urllib.request
import zipfile
from pathlib import Path

import platformdirs
from rich.progress import BarColumn, DownloadColumn, TextColumn, TransferSpeedColumn

from dtu_audio.errors import DtuError
from dtu_audio.fileio import atomic_path
from dtu_audio.progress import Progress
from dtu_audio.syncaps.recipe import AUTHORS_FILES

#: The paper's public repository, pinned to the commit the recipe was published in.
PUBLISHED_RECIPE_URL = (
    "https://raw.githubusercontent.com/oncescuandreea/DTU_text_audio/"
    "ebc457e4c66715a19f00d671c9c33d58121478c9/retrieval/data/SynCaps/json_files"
)
ESC50_URL = "https://github.com/karoldvl/ESC-50/archive/master.zip"
_TIMEOUT_S = 30


def cache_root() -> Path:
    """The dtu cache: ``$DTU_HOME`` when set, else the per-user cache folder."""
    return Path(os.environ.get("DTU_HOME") or platformdirs.user_cache_dir("dtu-audio"))


def _download(url: str, target: Path, show_progress: bool = False) -> None:
    with urllib.request.urlopen(url, timeout=_TIMEOUT_S) as response, atomic_path(target) as tmp:
        total = int(response.headers.get("Content-Length") or 0) or None
        columns = (TextColumn(f"[bold]{target.name}"), BarColumn(), DownloadColumn(), TransferSpeedColumn())
        with Progress(*columns, disable=not show_progress) as progress, open(tmp, "wb") as handle:
            task = progress.add_task("download", total=total)
            while chunk := response.read(1 << 20):
                handle.write(chunk)
                progress.advance(task, len(chunk))


def published_recipe_dir() -> Path:
    """The published recipe folder in the cache, fetched on first use."""
    folder = cache_root() / "syncaps" / "published-recipe"
    for name in AUTHORS_FILES.values():
        if (folder / name).is_file():
            continue
        try:
            _download(f"{PUBLISHED_RECIPE_URL}/{name}", folder / name)
        except (urllib.error.URLError, OSError) as err:
            raise DtuError(
                f"cannot fetch the published SynCaps recipe ({getattr(err, 'reason', err)}); offline, download "
                f"{', '.join(AUTHORS_FILES.values())} from {PUBLISHED_RECIPE_URL} into one folder "
                "and pass --recipe FOLDER"
            ) from None
    return folder


def download_esc50() -> Path:
    """The ESC-50 checkout in the cache (``ESC-50-master``), downloaded and unpacked on first use."""
    root = cache_root() / "esc50"
    checkout = root / "ESC-50-master"
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
    except (urllib.error.URLError, OSError) as err:
        raise DtuError(
            f"cannot download ESC-50 ({getattr(err, 'reason', err)}); download {ESC50_URL}, unpack it "
            "and pass --esc50 PATH/ESC-50-master"
        ) from None
    return checkout
