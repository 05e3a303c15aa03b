"""What a collection holds: its audio files, how each has changed, and the windows a long file is cut into."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import soundfile as sf

#: Common extensions of formats soundfile reads that are not a format's own name.
_EXTRA_EXTENSIONS = frozenset({".aif", ".aifc", ".oga", ".opus", ".snd"})


@dataclass(frozen=True)
class FileState:
    """A file's path relative to the collection's folder, and the signature that says it changed."""

    path: str
    mtime_ns: int
    size: int


def audio_extensions() -> frozenset[str]:
    """File extensions of the formats soundfile reads (``.wav``, ``.flac``, ``.ogg``, ``.mp3``, ...), lower case."""
    return frozenset(f".{name.lower()}" for name in sf.available_formats()) | _EXTRA_EXTENSIONS


def audio_files(root: Path) -> list[str]:
    """Every audio file under ``root`` by extension (recursive, hidden entries skipped), as sorted relative paths.

    Whether soundfile really decodes a file is found out when it is embedded; those it cannot are
    listed as skipped.
    """
    extensions = audio_extensions()
    found = []
    for folder, subfolders, names in os.walk(root):
        subfolders[:] = [d for d in subfolders if not d.startswith(".")]
        found.extend(
            Path(folder, name).relative_to(root).as_posix()
            for name in names
            if not name.startswith(".") and Path(name).suffix.lower() in extensions
        )
    return sorted(found)


def file_states(root: Path, paths: list[str]) -> list[FileState]:
    """The current signature (modification time, size) of each file; files gone meanwhile are left out."""
    states = []
    for path in paths:
        try:
            stat = (root / path).stat()
        except FileNotFoundError:
            continue
        states.append(FileState(path, stat.st_mtime_ns, stat.st_size))
    return states


def window_starts(samples: int, window: int, hop: int) -> list[int]:
    """Start samples of windows of ``window`` samples every ``hop`` samples, covering ``samples``.

    A file no longer than one window is one window; otherwise the last window ends at the file's end,
    so that no tail is left out.
    """
    if samples <= window:
        return [0]
    starts = list(range(0, samples - window + 1, hop))
    if starts[-1] + window < samples:
        starts.append(samples - window)
    return starts


def cut_windows(waveform: np.ndarray, window: int, hop: int) -> list[tuple[int, np.ndarray]]:
    """``(start sample, samples)`` of each window of a mono waveform."""
    return [(start, waveform[start : start + window]) for start in window_starts(waveform.shape[-1], window, hop)]
