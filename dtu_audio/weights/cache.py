"""The weight cache on disk: its root folder, the per-entry paths and locks, and the JSON manifest."""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from datetime import datetime, timezone
from pathlib import Path

from filelock import FileLock

from dtu_audio.download import file_digest, hold_lock
from dtu_audio.errors import DtuError
from dtu_audio.fileio import write_json
from dtu_audio.resolve import weights_dir

MANIFEST_NAME = "manifest.json"
MANIFEST_VERSION = 1


@dataclass(frozen=True)
class CachedEntry:
    """What the manifest records about one cached entry (``path`` is relative to the cache root)."""

    path: str
    source: str
    size: int
    sha256: str
    fetched: str
    drive_id: str | None = None
    filename: str | None = None


def sha256_file(path: Path) -> str:
    """The hex sha256 of a file, read in 1 MiB blocks."""
    return file_digest(path, "sha256")


def sha256_folder(folder: Path) -> tuple[int, str]:
    """Total size and a sha256 over ``relative path + file sha256`` of every file, ignoring ``.cache``."""
    digest = hashlib.sha256()
    total = 0
    for path in sorted(p for p in folder.rglob("*") if p.is_file() and ".cache" not in p.relative_to(folder).parts):
        digest.update(f"{path.relative_to(folder).as_posix()}\0{sha256_file(path)}\n".encode())
        total += path.stat().st_size
    return total, digest.hexdigest()


def now_iso() -> str:
    """The current UTC time, to the second, for the manifest."""
    return datetime.now(timezone.utc).replace(microsecond=0).isoformat()


class WeightCache:
    """A cache root: where each entry lives, its lock, and the manifest of what is cached."""

    def __init__(self, cache_dir: str | os.PathLike | None = None):
        self.root = weights_dir(cache_dir)

    @property
    def manifest_path(self) -> Path:
        return self.root / MANIFEST_NAME

    def _slug(self, name: str) -> str:
        return name.replace("/", "--")

    def file_path(self, name: str, filename: str) -> Path:
        """Where the file of entry ``name`` is kept."""
        return self.root / self._slug(name) / filename

    def folder_path(self, name: str) -> Path:
        """Where the Hugging Face folder of entry ``name`` is kept."""
        return self.root / self._slug(name)

    def partial_dir(self, name: str) -> Path:
        """Where an unfinished or unverified download of entry ``name`` waits."""
        return self.root / ".partial" / self._slug(name)

    def drop_empty_partial_dir(self, name: str) -> None:
        """Remove the partial folder of entry ``name`` once nothing is left in it."""
        folder = self.partial_dir(name)
        if folder.is_dir() and not any(folder.iterdir()):
            folder.rmdir()

    def ensure_root(self) -> None:
        try:
            self.root.mkdir(parents=True, exist_ok=True)
        except OSError as err:
            raise DtuError(
                f"cannot create the weight cache {self.root} ({err.strerror}); set DTU_HOME or pass --cache-dir"
            ) from err
        if not os.access(self.root, os.W_OK):
            raise DtuError(f"the weight cache {self.root} is not writable; set DTU_HOME or pass --cache-dir")

    @contextmanager
    def entry_lock(self, name: str, on_wait: Callable[[str], None] | None = None) -> Iterator[None]:
        """Hold the lock of entry ``name`` so that one process at a time fetches or imports it.

        ``on_wait(name)`` is called once when another process holds it and this one has to wait.
        """
        self.ensure_root()
        with hold_lock(self.root / ".locks" / f"{self._slug(name)}.lock", name, on_wait):
            yield

    def read_manifest(self) -> dict[str, CachedEntry]:
        """Every entry the manifest records (an empty dict when there is no manifest yet)."""
        if not self.manifest_path.is_file():
            return {}
        try:
            raw = json.loads(self.manifest_path.read_text(encoding="utf-8"))
            return {name: CachedEntry(**fields) for name, fields in raw["entries"].items()}
        except (OSError, ValueError, KeyError, TypeError) as err:
            raise DtuError(
                f"the weight manifest {self.manifest_path} is unreadable ({err}); "
                "delete it and run dtu fetch-weights again"
            ) from err

    def record(self, name: str, entry: CachedEntry) -> None:
        """Add or replace entry ``name`` in the manifest (atomically, under the manifest's lock)."""
        self.ensure_root()
        with FileLock(self.root / f"{MANIFEST_NAME}.lock"):
            entries = self.read_manifest()
            entries[name] = entry
            payload = {"version": MANIFEST_VERSION, "entries": {key: asdict(value) for key, value in entries.items()}}
            write_json(self.manifest_path, payload)

    def cached(self, name: str) -> tuple[CachedEntry, Path] | None:
        """The manifest record and absolute path of entry ``name`` when it is present and complete."""
        entry = self.read_manifest().get(name)
        if entry is None:
            return None
        path = self.root / entry.path
        if path.is_file() and path.stat().st_size == entry.size:
            return entry, path
        if path.is_dir() and (path / "config.json").is_file():
            return entry, path
        return None
