"""Decode a split's audio once into a float16 memory-mapped cache, then read waveforms from it.

A cache is a folder ``<cache_dir>/<key>/`` holding ``waveforms.f16`` (every clip, end to end),
``offsets.npy`` (``[N + 1]`` sample offsets) and ``bad.json`` (clips that could not be decoded,
by index, with the reason). The key hashes the audio files (path, size, mtime) and the audio
settings, so a changed file or setting gives a new cache. The folder is built under a temporary
name and renamed into place, so an interrupted build never leaves a half-written cache; the
staging folders of builds that were killed are removed by the next build in the same folder.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import tempfile
from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np

from dtu_audio.datasets.audio import load_audio
from dtu_audio.errors import DtuError
from dtu_audio.fileio import remove_stale_temporaries, temporary_prefix, write_errors
from dtu_audio.specs import AudioSpec

_DATA, _OFFSETS, _BAD = "waveforms.f16", "offsets.npy", "bad.json"


def cache_key(paths: Sequence[Path | None], audio: AudioSpec) -> str:
    """Hash of the audio files (path, size, mtime) and the decoding settings."""
    digest = hashlib.sha256(f"{audio.sample_rate}|{audio.mono}".encode())
    for path in paths:
        stat = path.stat() if path is not None and path.is_file() else None
        digest.update(f"{path}|{stat and stat.st_size}|{stat and stat.st_mtime_ns}\n".encode())
    return digest.hexdigest()[:24]


class WaveformCache:
    """Read-only view of a built cache: ``cache[i]`` is clip ``i`` as float32 ``[T]``."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.offsets = np.load(folder / _OFFSETS)
        self.bad: dict[int, str] = {int(k): v for k, v in json.loads((folder / _BAD).read_text()).items()}
        size = int(self.offsets[-1])
        self._data = np.memmap(folder / _DATA, dtype=np.float16, mode="r", shape=(size,)) if size else np.zeros(0)

    def __len__(self) -> int:
        return len(self.offsets) - 1

    def __getitem__(self, index: int) -> np.ndarray:
        start, end = self.offsets[index], self.offsets[index + 1]
        return np.asarray(self._data[start:end], dtype=np.float32)

    def __getstate__(self) -> dict:
        return {"folder": self.folder}

    def __setstate__(self, state: dict) -> None:
        self.__init__(state["folder"])


def _decode_all(
    paths: Sequence[Path | None], audio: AudioSpec, target: Path, advance: Callable[[], None]
) -> tuple[np.ndarray, dict[int, str]]:
    offsets = np.zeros(len(paths) + 1, dtype=np.int64)
    bad: dict[int, str] = {}
    with open(target, "wb") as handle:
        for i, path in enumerate(paths):
            try:
                if path is None:
                    raise DtuError("audio file not found")
                waveform = load_audio(path, audio.sample_rate, mono=True)
                handle.write(np.clip(waveform, -65504, 65504).astype(np.float16).tobytes())
                offsets[i + 1] = offsets[i] + waveform.shape[0]
            except DtuError as err:
                bad[i] = str(err)
                offsets[i + 1] = offsets[i]
            advance()
    return offsets, bad


def build_waveform_cache(
    paths: Sequence[Path | None], audio: AudioSpec, cache_dir: Path, advance: Callable[[], None] = lambda: None
) -> WaveformCache:
    """Open the cache of ``paths``, decoding them into ``cache_dir`` first when it does not exist yet.

    ``None`` paths (files not found) and undecodable files are recorded in ``cache.bad``;
    ``advance`` is called once per decoded file (for a progress bar).
    """
    folder = Path(cache_dir) / cache_key(paths, audio)
    if (folder / _OFFSETS).is_file():
        return WaveformCache(folder)
    try:
        folder.parent.mkdir(parents=True, exist_ok=True)
        remove_stale_temporaries(folder.parent)
        staging = Path(tempfile.mkdtemp(prefix=temporary_prefix(folder.name), dir=folder.parent))
    except OSError as err:
        raise DtuError(
            f"cannot write the waveform cache under {cache_dir}: {err.strerror}; set data.cache_dir"
        ) from None
    try:
        with write_errors(f"the waveform cache under {cache_dir}", "free space or set data.cache_dir"):
            offsets, bad = _decode_all(paths, audio, staging / _DATA, advance)
            np.save(staging / _OFFSETS, offsets)
            (staging / _BAD).write_text(json.dumps({str(k): v for k, v in bad.items()}))
            try:
                os.rename(staging, folder)
            except OSError:
                if not (folder / _OFFSETS).is_file():
                    raise
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return WaveformCache(folder)
