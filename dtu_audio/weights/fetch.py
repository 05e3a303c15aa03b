"""Fetching named weights into the cache, importing hand-downloaded files, and finding cached ones."""

from __future__ import annotations

import os
import shutil
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

from dtu_audio.download import offline_requested
from dtu_audio.errors import DtuError
from dtu_audio.weights.cache import CachedEntry, WeightCache, now_iso, sha256_file
from dtu_audio.weights.checkpoint_check import check_fits_entry
from dtu_audio.weights.drive import Progress, download_drive_file, list_drive_folder
from dtu_audio.weights.hub import download_hub_folder
from dtu_audio.weights.registry import (
    WeightEntry,
    canonical_name,
    child_entry,
    folder_of,
    get_entry,
    recovery_hint,
)

ProgressFactory = Callable[[WeightEntry], Progress | None]


def _resolve(name: str, cache: WeightCache) -> WeightEntry:
    """The entry for ``name``, including files of a Drive folder the manifest knows about."""
    folder = folder_of(name)
    if folder is None:
        return get_entry(name)
    known = cache.read_manifest().get(name)
    if known is None or known.drive_id is None or known.filename is None:
        raise DtuError(f"unknown weights {name!r}; fetch the folder first: dtu fetch-weights {folder.name}")
    return child_entry(folder, known.drive_id, known.filename)


def _fetch_one(
    entry: WeightEntry,
    cache: WeightCache,
    offline: bool,
    force: bool,
    progress: Progress | None,
    on_wait: Callable[[str], None] | None,
) -> str:
    """Fetch one file or hub entry under its lock; return ``"cached"`` or ``"downloaded"``."""
    with cache.entry_lock(entry.name, on_wait):
        if cache.cached(entry.name) is not None and not force:
            return "cached"
        if offline:
            raise DtuError(
                f"{entry.name} is not in the weight cache {cache.root} and offline mode forbids downloading "
                f"(--offline, DTU_OFFLINE=1 or HF_HUB_OFFLINE=1); run dtu fetch-weights {entry.name} online, "
                f"or {recovery_hint(entry)}"
            )
        if entry.source == "hf":
            download_hub_folder(entry, cache)
        else:
            download_drive_file(entry, cache, progress)
    return "downloaded"


def fetch(
    names: list[str],
    cache_dir: str | os.PathLike | None = None,
    offline: bool = False,
    force: bool = False,
    progress_for: ProgressFactory | None = None,
    on_wait: Callable[[str], None] | None = None,
) -> list[tuple[str, str]]:
    """Fetch the named weights (a Drive folder expands to its files); return ``(name, status)`` pairs.

    ``progress_for(entry)`` may return a ``progress(bytes_done, bytes_total)`` callback for a
    download; ``on_wait(name)`` is told when another process is fetching the same entry.
    """
    cache = WeightCache(cache_dir)
    offline = offline_requested(offline)
    results = []
    for name in names:
        entry = _resolve(name, cache)
        children = _folder_children(entry, cache, offline) if entry.source == "drive-folder" else [entry]
        for child in children:
            progress = progress_for(child) if progress_for is not None else None
            results.append((child.name, _fetch_one(child, cache, offline, force, progress, on_wait)))
    return results


def _folder_children(folder: WeightEntry, cache: WeightCache, offline: bool) -> list[WeightEntry]:
    if offline:
        known = [
            child_entry(folder, record.drive_id, record.filename)
            for name, record in cache.read_manifest().items()
            if folder_of(name) == folder and record.drive_id and record.filename
        ]
        if not known:
            raise DtuError(
                f"{folder.name} is not in the weight cache {cache.root} and offline mode forbids listing "
                f"the Drive folder; run dtu fetch-weights {folder.name} online"
            )
        return known
    return [child_entry(folder, drive_id, filename) for drive_id, filename in list_drive_folder(folder)]


def import_file(name: str, file: Path, cache_dir: str | os.PathLike | None = None) -> CachedEntry:
    """Copy a hand-downloaded ``file`` into the cache as entry ``name`` after checking it."""
    cache = WeightCache(cache_dir)
    folder = folder_of(name)
    if folder is not None:
        known = cache.read_manifest().get(name)
        drive_id = known.drive_id if known is not None else None
        entry = replace(child_entry(folder, drive_id, file.name), name=name)
    else:
        entry = get_entry(name)
    if entry.source == "hf":
        raise DtuError(f"{name} is a Hugging Face folder; --import takes single checkpoint files")
    if entry.source == "drive-folder":
        raise DtuError(f"{name} is a folder; import its files one by one as {name}/<file stem>")
    if not file.is_file():
        raise DtuError(f"cannot import {name}: {file} is not a file")
    _check_import(entry, file)
    with cache.entry_lock(name):
        target = cache.file_path(name, entry.filename or file.name)
        staging = cache.partial_dir(name) / f"import-{target.name}"
        try:
            staging.parent.mkdir(parents=True, exist_ok=True)
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(file, staging)
            os.replace(staging, target)
        except OSError as err:
            raise DtuError(
                f"cannot copy {file} into the weight cache {cache.root} ({err.strerror}); "
                "free some space or pass --cache-dir"
            ) from err
        finally:
            staging.unlink(missing_ok=True)
        record = CachedEntry(
            path=target.relative_to(cache.root).as_posix(),
            source=f"import:{file.resolve()}",
            size=target.stat().st_size,
            sha256=sha256_file(target),
            fetched=now_iso(),
            drive_id=entry.drive_id,
            filename=target.name,
        )
        cache.record(name, record)
    return record


def _check_import(entry: WeightEntry, file: Path) -> None:
    if entry.size is not None and file.stat().st_size != entry.size:
        raise DtuError(
            f"{file} is not {entry.name}: it has {file.stat().st_size} bytes, expected {entry.size}; "
            f"download it again from {entry.manual_url}"
        )
    if entry.sha256 is not None:
        digest = sha256_file(file)
        if digest != entry.sha256:
            raise DtuError(
                f"{file} is not {entry.name}: its sha256 is {digest}, expected {entry.sha256}; "
                f"download it again from {entry.manual_url}"
            )
    check_fits_entry(file, entry)


def weight_path(name: str, cache_dir: str | os.PathLike | None = None) -> Path:
    """The cached file of weights ``name`` or its alias (a local folder for text encoders).

    Raises a ``DtuError`` naming the ``dtu fetch-weights`` call to run when it is not cached.
    """
    name = canonical_name(name)
    cache = WeightCache(cache_dir)
    found = cache.cached(name)
    if found is not None:
        return found[1]
    missing = f"weights {name!r} are not in the weight cache {cache.root}; run: dtu fetch-weights"
    folder = folder_of(name)
    if folder is not None:
        raise DtuError(f"{missing} {folder.name}")
    entry = get_entry(name)
    raise DtuError(f"{missing} {name} (or {recovery_hint(entry)})")
