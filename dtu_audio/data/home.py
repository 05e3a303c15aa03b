"""The data home: one folder per prepared dataset, beside the weight cache, published whole or not at all.

``<home>/<dataset>/`` holds a dataset's manifests, split files and audio, and ``dataset.json``
(what was prepared, from where, and the size of every file, which ``dtu data list`` checks).
``<home>/.downloads/<dataset>/`` keeps verified downloads and the ``.part`` files a later run
resumes; ``<home>/.staging/`` is where a dataset folder is built before one rename publishes it.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from pathlib import Path

from dtu_audio.download import hold_lock
from dtu_audio.errors import DtuError
from dtu_audio.fileio import read_json, write_json
from dtu_audio.resolve import data_home
from dtu_audio.weights.cache import now_iso

RECORD_NAME = "dataset.json"
DATASET_NAMES = ("clotho", "audiocaps", "syncaps")


def dataset_dir(name: str, home: str | os.PathLike | None = None) -> Path:
    """Where dataset ``name`` is (or would be) prepared."""
    return data_home(home) / name


def default_data_root(dataset: str) -> Path:
    """Where a run finds ``dataset`` with no ``data_root``: ``data/<dataset>`` in the working directory when it
    exists, else the dataset's folder under the data home (where ``dtu data prepare`` writes it)."""
    local = Path("data") / dataset
    return local if local.is_dir() else dataset_dir(dataset)


def downloads_dir(name: str, home: str | os.PathLike | None = None) -> Path:
    """Where the downloads of dataset ``name`` wait, verified or partial."""
    return data_home(home) / ".downloads" / name


@dataclass(frozen=True)
class DatasetRecord:
    """What ``dataset.json`` records about a prepared dataset."""

    name: str
    source: str
    prepared: str
    #: Clips per split, after any that are missing were left out.
    clips: dict[str, int]
    #: Clips each split lost (AudioCaps audio the user does not have), per split.
    missing: dict[str, int] = field(default_factory=dict)
    #: Every file under the dataset folder, relative path -> size in bytes.
    files: dict[str, int] = field(default_factory=dict)


def read_record(folder: Path) -> DatasetRecord | None:
    """The record of the dataset in ``folder``, or ``None`` when it has none."""
    if not (folder / RECORD_NAME).is_file():
        return None
    raw = read_json(folder / RECORD_NAME, "dataset record")
    try:
        return DatasetRecord(**raw)
    except TypeError as err:
        raise DtuError(
            f"dataset record {folder / RECORD_NAME} is malformed ({err}); prepare the dataset again with --force"
        ) from None


def file_sizes(folder: Path) -> dict[str, int]:
    """Relative path -> size of every file under ``folder`` except its record."""
    return {
        path.relative_to(folder).as_posix(): path.stat().st_size
        for path in sorted(folder.rglob("*"))
        if path.is_file() and path != folder / RECORD_NAME
    }


def verify(folder: Path, record: DatasetRecord) -> list[str]:
    """What differs between ``folder`` and its record: missing, resized or unexpected files (empty: it verifies)."""
    found = file_sizes(folder)
    problems = [f"missing {name}" for name in record.files if name not in found]
    problems += [
        f"{name} has {found[name]} bytes, not {size}"
        for name, size in record.files.items()
        if name in found and found[name] != size
    ]
    problems += [f"unexpected {name}" for name in found if name not in record.files]
    return problems


@contextmanager
def dataset_lock(name: str, home: Path, on_wait: Callable[[str], None] | None = None) -> Iterator[None]:
    """Hold the lock of dataset ``name`` so that one process at a time prepares it."""
    with hold_lock(home / ".locks" / f"{name}.lock", name, on_wait):
        yield


@contextmanager
def staged_dataset(name: str, home: Path) -> Iterator[Path]:
    """Yield an empty folder to build dataset ``name`` in; publish it as ``<home>/<name>`` on success.

    On any failure (a full disk, a bad archive, Ctrl-C) the folder is deleted and the dataset
    already published, if any, stays as it was.
    """
    staging_root = home / ".staging"
    try:
        staging_root.mkdir(parents=True, exist_ok=True)
    except OSError as err:
        raise DtuError(
            f"cannot create the data home {home} ({err.strerror}); set DTU_DATA or pass --data-home"
        ) from None
    staging = Path(tempfile.mkdtemp(prefix=f"{name}-", dir=staging_root))
    try:
        yield staging
        publish(staging, home / name)
    finally:
        shutil.rmtree(staging, ignore_errors=True)


def publish(staging: Path, target: Path) -> None:
    """Replace ``target`` by ``staging`` with renames: the old folder is moved aside first, then deleted."""
    old = staging.parent / f"{target.name}-old"
    if target.exists():
        shutil.rmtree(old, ignore_errors=True)
        os.replace(target, old)
    os.replace(staging, target)
    shutil.rmtree(old, ignore_errors=True)


def write_record(
    folder: Path, name: str, source: str, clips: dict[str, int], missing: dict[str, int] | None = None
) -> DatasetRecord:
    """Write ``dataset.json`` into ``folder`` listing every file in it; return the record."""
    record = DatasetRecord(name, source, now_iso(), clips, missing or {}, file_sizes(folder))
    write_json(folder / RECORD_NAME, asdict(record))
    return record
