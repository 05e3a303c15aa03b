"""``dtu data prepare``: fetch, verify and build a dataset under its lock, then publish it with one rename.

Every dataset is prepared the same way: under the dataset's file lock (a second prepare waits),
its files are fetched into the downloads folder (resumed and verified), the dataset folder is
built in a staging folder and renamed into place with its ``dataset.json``; any failure deletes
the staging folder and leaves the published dataset, if any, as it was.
"""

from __future__ import annotations

import errno
import shutil
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from dtu_audio.data import audiocaps, clotho
from dtu_audio.data.home import (
    RECORD_NAME,
    DatasetRecord,
    data_home,
    dataset_lock,
    downloads_dir,
    publish,
    read_record,
    staged_dataset,
    write_record,
)
from dtu_audio.data.remote import OFFLINE_HINT, RemoteFile, fetch_all, missing_files, offline_refusal
from dtu_audio.data.ui import PrepareUI, QuietUI
from dtu_audio.download import offline_requested
from dtu_audio.errors import DtuError

#: Builds a dataset into its staging folder from the downloads; returns the clips present and missing per split.
Builder = Callable[[dict[str, Path], Path, PrepareUI], tuple[dict[str, int], dict[str, int]]]


@dataclass(frozen=True)
class Prepared:
    """The outcome of a prepare: the dataset folder, its record, and whether it was already there."""

    folder: Path
    record: DatasetRecord
    already: bool


def _existing_record(target: Path) -> DatasetRecord | None:
    """The record of a dataset already prepared at ``target``; a folder dtu did not write is never replaced."""
    record = read_record(target)
    if record is None and target.exists():
        raise DtuError(
            f"{target} exists but was not written by dtu data prepare (it has no {RECORD_NAME}); "
            "move it away, or pass --data-home DIR to prepare elsewhere"
        )
    return record


def _disk_full(name: str, home: Path, err: OSError) -> DtuError:
    return DtuError(
        f"the disk is full ({err.filename or home}) while preparing {name}; nothing was published and the "
        f"half-built folder was deleted (downloads are kept); free some space or set DTU_DATA, then run again"
    )


def prepare(
    name: str,
    files: list[RemoteFile],
    build: Builder,
    source: str,
    home: str | Path | None = None,
    *,
    offline: bool = False,
    force: bool = False,
    keep_downloads: bool = False,
    ui: PrepareUI | None = None,
    on_wait: Callable[[str], None] | None = None,
) -> Prepared:
    """Prepare dataset ``name`` from ``files`` with ``build`` (see the module docstring)."""
    root = data_home(home)
    ui = ui or QuietUI()
    with dataset_lock(name, root, on_wait):
        target = root / name
        record = _existing_record(target)
        if record is not None and not force:
            return Prepared(target, record, already=True)
        folder = downloads_dir(name, root)
        missing = missing_files(files, folder)
        if missing and offline_requested(offline):
            ui.say(f"would fetch {len(missing)} files into {folder}:")
            for remote in missing:
                ui.say(f"  {remote.url}" + (f" ({remote.checksum[0]} {remote.checksum[1]})" if remote.checksum else ""))
            raise offline_refusal(name, missing, folder)
        try:
            downloads = fetch_all(files, folder, ui.download)
            with staged_dataset(name, root) as staging:
                present, lost = build(downloads, staging, ui)
                record = write_record(staging, name, source, present, lost)
        except OSError as err:
            if err.errno == errno.ENOSPC:
                raise _disk_full(name, root, err) from None
            raise
        if not keep_downloads:
            shutil.rmtree(folder, ignore_errors=True)
    return Prepared(target, record, already=False)


def prepare_clotho(home: str | Path | None = None, **options) -> Prepared:
    """Clotho v2.1 from Zenodo (see :mod:`dtu_audio.data.clotho`); ``options`` as :func:`prepare`'s."""

    def build(downloads: dict[str, Path], out: Path, ui: PrepareUI) -> tuple[dict[str, int], dict[str, int]]:
        return clotho.build_clotho(downloads, out, ui), {}

    source = f"zenodo record {clotho.ZENODO_RECORD} ({clotho.record_url()})"
    return prepare("clotho", clotho.remote_files(), build, source, home, **options)


def prepare_audiocaps(
    audio_dir: Path, home: str | Path | None = None, *, download: bool = False, **options
) -> Prepared:
    """AudioCaps' CSVs over the user's clips in ``audio_dir`` (see :mod:`dtu_audio.data.audiocaps`).

    The CSVs are kept and the clips matched again on every run, so that clips added since count;
    ``download`` first fetches the missing clips into ``audio_dir`` with yt-dlp.
    """

    def build(downloads: dict[str, Path], out: Path, ui: PrepareUI) -> tuple[dict[str, int], dict[str, int]]:
        return audiocaps.build_audiocaps(downloads, audio_dir, out, ui, download=download)

    files = audiocaps.remote_files()
    source = f"captions {files[0].url.rsplit('/', 1)[0]}, audio {audio_dir.resolve()}"
    return prepare("audiocaps", files, build, source, home, **{"keep_downloads": True, "force": True, **options})


def prepare_syncaps(
    home: str | Path | None = None,
    *,
    esc50: Path | None = None,
    workers: int = 1,
    offline: bool = False,
    force: bool = False,
    ui: PrepareUI | None = None,
    on_wait: Callable[[str], None] | None = None,
) -> Prepared:
    """The paper's SynCaps: ESC-50 (downloaded into the dtu cache unless ``esc50`` is given) and the published
    recipe replayed by ``dtu syncaps generate``, into ``<home>/syncaps``.

    The clips are rendered in ``<home>/.staging/syncaps``, which a stopped run resumes, then published
    with one rename. ESC-50 and the recipe stay in the dtu cache, where ``dtu syncaps generate`` finds them.
    """
    from dtu_audio.syncaps import fetch as syncaps_fetch
    from dtu_audio.syncaps.generate import generate
    from dtu_audio.syncaps.outputs import write_outputs
    from dtu_audio.syncaps.recipe import SPLITS, load_recipe
    from dtu_audio.syncaps.runner import AUDIO_DIR
    from dtu_audio.syncaps.sources import esc50_sources

    root = data_home(home)
    ui = ui or QuietUI()
    with dataset_lock("syncaps", root, on_wait):
        target = root / "syncaps"
        record = _existing_record(target)
        if record is not None and not force:
            return Prepared(target, record, already=True)
        pending = syncaps_fetch.pending_downloads(esc50=esc50 is None)
        if pending and offline_requested(offline):
            ui.say(f"would fetch {len(pending)} files:")
            for url in pending:
                ui.say(f"  {url}")
            raise DtuError(
                f"{OFFLINE_HINT} forbids the {len(pending)} downloads listed above; run dtu data prepare syncaps "
                "online (--esc50 DIR takes an ESC-50 checkout you already have)"
            )
        checkout = esc50 or syncaps_fetch.download_esc50()
        recipe, descriptions = load_recipe(syncaps_fetch.published_recipe_dir())
        work = root / ".staging" / "syncaps"
        try:
            generate(recipe, descriptions, esc50_sources(checkout, descriptions), work, workers=workers)
            write_outputs(recipe, work, Path(AUDIO_DIR))  # paths relative to the dataset folder, which moves
            clips = {split: len(recipe.split(split)) for split in SPLITS}
            record = write_record(work, "syncaps", f"ESC-50 {checkout} + the published recipe", clips)
            publish(work, target)
        except OSError as err:
            if err.errno == errno.ENOSPC:
                raise _disk_full("syncaps", root, err) from None
            raise
    return Prepared(target, record, already=False)
