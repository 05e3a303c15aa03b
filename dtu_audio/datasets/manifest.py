"""Manifests in the paper's format: read, validate, write, resolve audio, build from caption CSVs.

A manifest is ``{"num_captions_per_audio": 1 | 5, "data": [row, ...]}``; a row has ``id``
(the audio file name), ``audio`` (a path), usually ``duration``, and ``caption`` (1 caption)
or ``caption_1`` .. ``caption_5`` (5 captions).
"""

from __future__ import annotations

import csv
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from pathlib import Path

from dtu_audio.errors import DtuError
from dtu_audio.fileio import read_json, write_json

ALLOWED_CAPTIONS_PER_AUDIO = (1, 5)
_NOT_EXTRA = {"id", "audio", "duration", "caption", *(f"caption_{k}" for k in range(1, 6))}
_PATH_KEYS = ("audio", "wav")  # Clotho's manifests have no "id": the file name of these stands in


@dataclass(frozen=True)
class AudioEntry:
    """One audio clip and its captions."""

    id: str
    audio: str
    captions: tuple[str, ...]
    duration: float | None = None
    extra: dict = field(default_factory=dict, compare=False)


@dataclass(frozen=True)
class Manifest:
    """A list of audio clips with the same number of captions each."""

    captions_per_audio: int
    entries: tuple[AudioEntry, ...]

    def __len__(self) -> int:
        return len(self.entries)

    @property
    def captions(self) -> list[str]:
        """Every caption, caption k of audio i at row ``captions_per_audio * i + k``."""
        return [c for e in self.entries for c in e.captions]

    def with_captions(self, captions: Iterable[str]) -> Manifest:
        """The same audio with new captions, given in the order of ``captions``."""
        flat = list(captions)
        if len(flat) != len(self.entries) * self.captions_per_audio:
            raise ValueError("need exactly one new caption per existing caption")
        n = self.captions_per_audio
        entries = tuple(replace(e, captions=tuple(flat[i * n : (i + 1) * n])) for i, e in enumerate(self.entries))
        return Manifest(n, entries)

    def repeated_clips(self) -> dict[str, int]:
        """Clip ids (audio file names) listed more than once, with how often."""
        counts = Counter(e.id for e in self.entries)
        return {clip: n for clip, n in counts.items() if n > 1}

    def subset(self, keep: Iterable[int]) -> Manifest:
        """The entries at the given indices, in that order."""
        return Manifest(self.captions_per_audio, tuple(self.entries[i] for i in keep))


def _fail(source: str, message: str) -> DtuError:
    return DtuError(f"manifest {source}: {message}")


def _parse_entry(row: object, index: int, n: int, source: str) -> AudioEntry:
    if not isinstance(row, dict):
        raise _fail(source, f"row {index} is not an object")
    if not row.get("id"):
        path = next((row[k] for k in _PATH_KEYS if isinstance(row.get(k), str) and row[k]), None)
        if path is None:
            raise _fail(source, f"row {index} has no 'id' (the audio file name) and no 'audio' path")
        row = {**row, "id": Path(path).name}
    if not isinstance(row["id"], str):
        raise _fail(source, f"row {index} has a non-text 'id'")
    keys = ["caption"] if n == 1 else [f"caption_{k}" for k in range(1, n + 1)]
    missing = [k for k in keys if not isinstance(row.get(k), str)]
    if missing:
        raise _fail(source, f"row {index} ({row['id']}) lacks {', '.join(missing)}")
    if "audio" in row and not isinstance(row["audio"], str | None):
        raise _fail(source, f"row {index} ({row['id']}) has an 'audio' that is not a path: {row['audio']!r}")
    duration = row.get("duration")
    if duration is not None and not isinstance(duration, int | float):
        raise _fail(source, f"row {index} ({row['id']}) has a non-numeric duration")
    return AudioEntry(
        id=row["id"],
        audio=str(row.get("audio") or row["id"]),
        captions=tuple(row[k] for k in keys),
        duration=None if duration is None else float(duration),
        extra={k: v for k, v in row.items() if k not in _NOT_EXTRA},
    )


def parse_manifest(obj: object, source: str = "<memory>") -> Manifest:
    """Validate a manifest already loaded from JSON."""
    if not isinstance(obj, dict) or "data" not in obj:
        raise _fail(source, "expected an object with 'num_captions_per_audio' and 'data'")
    n = obj.get("num_captions_per_audio")
    if n not in ALLOWED_CAPTIONS_PER_AUDIO:
        raise _fail(source, f"num_captions_per_audio is {n!r}; allowed: 1 or 5")
    if not isinstance(obj["data"], list):
        raise _fail(source, "'data' must be a list of rows")
    return Manifest(n, tuple(_parse_entry(row, i, n, source) for i, row in enumerate(obj["data"])))


def read_manifest(path: str | Path) -> Manifest:
    """Read and validate a manifest file."""
    return parse_manifest(read_json(path, "manifest"), str(path))


def manifest_to_json(manifest: Manifest) -> dict:
    """The manifest as the paper's JSON object."""
    rows = []
    for entry in manifest.entries:
        if manifest.captions_per_audio == 1:
            row = {"caption": entry.captions[0]}
        else:
            row = {f"caption_{k + 1}": c for k, c in enumerate(entry.captions)}
        row.update(id=entry.id, audio=entry.audio)
        if entry.duration is not None:
            row["duration"] = entry.duration
        row.update(entry.extra)
        rows.append(row)
    return {"num_captions_per_audio": manifest.captions_per_audio, "data": rows}


def write_manifest(manifest: Manifest, path: str | Path) -> None:
    """Write a manifest atomically."""
    write_json(path, manifest_to_json(manifest))


def resolve_audio_paths(manifest: Manifest, audio_root: str | Path | None = None) -> list[Path]:
    """Existing audio path of every entry: its ``audio`` path, else ``id`` under ``audio_root``.

    Raises a one-line error naming how many files are missing and the first few.
    """
    root = Path(audio_root) if audio_root is not None else None
    found, missing = [], []
    for entry in manifest.entries:
        candidates = [Path(entry.audio)]
        if root is not None:
            candidates += [root / entry.id, root / Path(entry.audio).name]
        path = next((p for p in candidates if p.is_file()), None)
        if path is None:
            missing.append(entry.id)
        found.append(path)
    if missing:
        where = f"under {root}" if root is not None else "at the manifest's paths (pass --audio-root DIR)"
        first = ", ".join(missing[:3]) + (", ..." if len(missing) > 3 else "")
        raise DtuError(f"{len(missing)} of {len(manifest)} audio files not found {where}: {first}")
    return found


def _read_csv(path: Path) -> list[dict[str, str]]:
    try:
        with open(path, newline="", encoding="utf-8-sig") as handle:
            return list(csv.DictReader(handle))
    except FileNotFoundError:
        raise DtuError(f"caption CSV {path} does not exist") from None
    except (UnicodeDecodeError, csv.Error) as err:
        raise DtuError(f"caption CSV {path} cannot be read: {err}") from None


def _require_cells(rows: list[dict[str, str]], keys: list[str], path: Path) -> None:
    """Refuse a row with more cells than the header or an empty cell under one of ``keys``."""
    for number, row in enumerate(rows, start=1):
        if None in row:
            raise DtuError(f"caption CSV {path}: row {number} has more cells than the header")
        empty = [key for key in keys if not (row.get(key) or "").strip()]
        if empty:
            raise DtuError(f"caption CSV {path}: row {number} has no {', '.join(empty)}; fill it in or remove the row")


def _entry(audio_id: str, captions: list[str], audio_root: Path | None) -> AudioEntry:
    audio = str(audio_root / audio_id) if audio_root is not None else audio_id
    return AudioEntry(id=audio_id, audio=audio, captions=tuple(c.strip() for c in captions))


def manifest_from_csv(
    path: str | Path, audio_root: str | Path | None = None, audio_id_format: str = "Y{youtube_id}.wav"
) -> Manifest:
    """Build a manifest from a caption CSV.

    Two layouts are understood: ``file_name,caption_1..caption_5`` (Clotho, AudioCaps as
    redistributed by WavCaps) and AudioCaps' own ``audiocap_id,youtube_id,start_time,caption``
    (one row per caption; audio ids made with ``audio_id_format``). Clips with a varying
    number of captions give a 1-caption manifest with one row per caption.
    """
    path = Path(path)
    root = Path(audio_root) if audio_root is not None else None
    rows = _read_csv(path)
    header = set(rows[0]) if rows else set()
    if {"file_name", "caption_1"} <= header:
        keys = [f"caption_{k}" for k in range(1, 6) if f"caption_{k}" in header]
        if len(keys) not in ALLOWED_CAPTIONS_PER_AUDIO:
            raise DtuError(f"caption CSV {path}: found {len(keys)} caption columns; expected 1 or 5")
        _require_cells(rows, ["file_name", *keys], path)
        entries = tuple(_entry(r["file_name"], [r[k] for k in keys], root) for r in rows)
        return Manifest(len(keys), entries)
    if {"youtube_id", "start_time", "caption"} <= header:
        _require_cells(rows, ["youtube_id", "start_time", "caption"], path)
        grouped: dict[str, list[str]] = {}
        for r in rows:
            audio_id = audio_id_format.format(**r)
            grouped.setdefault(audio_id, []).append(r["caption"])
        counts = {len(c) for c in grouped.values()}
        if len(counts) == 1 and counts <= set(ALLOWED_CAPTIONS_PER_AUDIO):
            return Manifest(counts.pop(), tuple(_entry(a, c, root) for a, c in grouped.items()))
        return Manifest(1, tuple(_entry(a, [c], root) for a, cs in grouped.items() for c in cs))
    raise DtuError(
        f"caption CSV {path}: unknown header {sorted(header)}; expected file_name,caption_1..caption_5 "
        "or audiocap_id,youtube_id,start_time,caption"
    )


def load_manifest_or_csv(path: str | Path, audio_root: str | Path | None = None) -> Manifest:
    """Read a manifest (``.json``) or build one from a caption CSV (``.csv``)."""
    path = Path(path)
    if path.suffix.lower() == ".csv":
        return manifest_from_csv(path, audio_root)
    return read_manifest(path)
