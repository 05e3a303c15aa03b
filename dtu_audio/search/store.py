"""The index's SQLite database: settings, one row per file, one row (with its embedding) per window.

The database is the index's record of truth; the FAISS file is built from it. It runs in WAL mode,
so searches read while an update writes. Each file is written with all its windows in one
transaction, so a build killed at any moment leaves whole files only, and a rerun carries on.
Window ids never come back once deleted (``AUTOINCREMENT``), so a FAISS file from before an
update can never point at another window.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from dtu_audio.errors import DtuError
from dtu_audio.search.files import FileState

_SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS files (
    path TEXT PRIMARY KEY, mtime_ns INTEGER NOT NULL, size INTEGER NOT NULL, duration REAL, error TEXT
);
CREATE TABLE IF NOT EXISTS windows (
    id INTEGER PRIMARY KEY AUTOINCREMENT, path TEXT NOT NULL, offset REAL NOT NULL, duration REAL NOT NULL,
    vector BLOB NOT NULL
);
CREATE INDEX IF NOT EXISTS windows_by_path ON windows (path);
"""
_BUSY_TIMEOUT_S = 60.0


@dataclass(frozen=True)
class EmbeddedFile:
    """A decoded file's windows ``(offset s, duration s)`` and their embeddings ``[windows, dim]``."""

    state: FileState
    duration: float
    windows: list[tuple[float, float]]
    vectors: np.ndarray


@dataclass(frozen=True)
class WindowRow:
    """Where a window lies: its file (relative path), offset and duration in seconds."""

    id: int
    path: str
    offset: float
    duration: float


class Store:
    """One SQLite database of an index (or of one rank's shard while several processes embed)."""

    def __init__(self, path: Path, create: bool = False) -> None:
        if not create and not path.is_file():
            raise DtuError(f"{path} does not exist; build the index first with dtu index build DIR --model NAME")
        path.parent.mkdir(parents=True, exist_ok=True)
        self.path = path
        try:
            self.db = sqlite3.connect(path, timeout=_BUSY_TIMEOUT_S, isolation_level=None)
            self.db.execute("PRAGMA journal_mode=WAL")
            self.db.execute("PRAGMA synchronous=NORMAL")
            if create:
                self.db.executescript(_SCHEMA)
            self.db.execute("SELECT 1 FROM meta, files, windows LIMIT 1").fetchall()
        except sqlite3.DatabaseError as err:
            raise DtuError(f"{path} is not a dtu index database ({err})") from None

    def close(self) -> None:
        self.db.close()

    def transaction(self) -> sqlite3.Connection:
        """``with store.transaction() as db:`` runs the block in one transaction (rolled back on error)."""
        self.db.execute("BEGIN IMMEDIATE")
        return _Transaction(self.db)

    def meta(self) -> dict[str, Any]:
        return {key: json.loads(value) for key, value in self.db.execute("SELECT key, value FROM meta")}

    def set_meta(self, **values: Any) -> None:
        with self.transaction() as db:
            db.executemany(
                "INSERT OR REPLACE INTO meta (key, value) VALUES (?, ?)",
                [(key, json.dumps(value)) for key, value in values.items()],
            )

    def file_states(self) -> dict[str, FileState]:
        """Every recorded file (indexed or skipped) with the signature it had."""
        rows = self.db.execute("SELECT path, mtime_ns, size FROM files")
        return {path: FileState(path, mtime, size) for path, mtime, size in rows}

    def skipped(self) -> list[tuple[str, str]]:
        """``(path, reason)`` of every file that could not be decoded, by path."""
        return list(self.db.execute("SELECT path, error FROM files WHERE error IS NOT NULL ORDER BY path"))

    def add_embedded(self, files: Sequence[EmbeddedFile]) -> None:
        """Record files with all their windows in one transaction."""
        with self.transaction() as db:
            for item in files:
                db.execute(
                    "INSERT OR REPLACE INTO files (path, mtime_ns, size, duration, error) VALUES (?, ?, ?, ?, NULL)",
                    (item.state.path, item.state.mtime_ns, item.state.size, item.duration),
                )
                db.executemany(
                    "INSERT INTO windows (path, offset, duration, vector) VALUES (?, ?, ?, ?)",
                    [
                        (item.state.path, offset, length, np.asarray(vector, dtype=np.float32).tobytes())
                        for (offset, length), vector in zip(item.windows, item.vectors, strict=True)
                    ],
                )

    def add_skipped(self, state: FileState, reason: str) -> None:
        """Record a file that could not be decoded, so that it is listed and retried only once it changes."""
        with self.transaction() as db:
            db.execute(
                "INSERT OR REPLACE INTO files (path, mtime_ns, size, duration, error) VALUES (?, ?, ?, NULL, ?)",
                (state.path, state.mtime_ns, state.size, reason),
            )

    def remove(self, paths: Sequence[str]) -> None:
        """Forget files and their windows, in one transaction."""
        with self.transaction() as db:
            for path in paths:
                db.execute("DELETE FROM windows WHERE path = ?", (path,))
                db.execute("DELETE FROM files WHERE path = ?", (path,))

    def count(self) -> tuple[int, int]:
        """Number of windows and of indexed files."""
        windows = self.db.execute("SELECT COUNT(*) FROM windows").fetchone()[0]
        files = self.db.execute("SELECT COUNT(*) FROM files WHERE error IS NULL").fetchone()[0]
        return windows, files

    def chunks(self, dim: int, size: int = 32_768) -> Iterator[tuple[np.ndarray, np.ndarray]]:
        """``(ids, vectors [m, dim])`` of every window in id order, ``size`` at a time."""
        cursor = self.db.execute("SELECT id, vector FROM windows ORDER BY id")
        while rows := cursor.fetchmany(size):
            ids = np.fromiter((row[0] for row in rows), dtype=np.int64, count=len(rows))
            vectors = np.frombuffer(b"".join(row[1] for row in rows), dtype=np.float32).reshape(len(rows), dim)
            yield ids, vectors

    def windows(self, ids: Sequence[int]) -> dict[int, WindowRow]:
        """The rows of these window ids that still exist."""
        marks = ",".join("?" * len(ids))
        rows = self.db.execute(f"SELECT id, path, offset, duration FROM windows WHERE id IN ({marks})", list(ids))
        return {row[0]: WindowRow(*row) for row in rows}

    def vectors(self, ids: Sequence[int], dim: int) -> np.ndarray:
        """The stored embeddings of these window ids ``[len(ids), dim]`` (all must exist)."""
        marks = ",".join("?" * len(ids))
        found = dict(self.db.execute(f"SELECT id, vector FROM windows WHERE id IN ({marks})", list(ids)))
        return np.stack([np.frombuffer(found[i], dtype=np.float32) for i in ids]).reshape(len(ids), dim)

    def merge(self, shard: Path) -> None:
        """Move the files and windows of a rank's shard database in, in path order; files already here win."""
        self.db.execute("ATTACH DATABASE ? AS shard", (str(shard),))
        with self.transaction() as db:
            db.execute(
                "INSERT INTO windows (path, offset, duration, vector) SELECT path, offset, duration, vector "
                "FROM shard.windows WHERE path NOT IN (SELECT path FROM main.files) ORDER BY path, offset"
            )
            db.execute("INSERT OR IGNORE INTO files SELECT * FROM shard.files")
        self.db.execute("DETACH DATABASE shard")


class _Transaction:
    def __init__(self, db: sqlite3.Connection) -> None:
        self.db = db

    def __enter__(self) -> sqlite3.Connection:
        return self.db

    def __exit__(self, kind, value, traceback) -> None:
        self.db.execute("ROLLBACK" if kind else "COMMIT")
