"""Check every audio file of a split before training, and decode on the fly when there is no cache."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np
import soundfile as sf

from dtu_audio.datasets.audio import load_audio


def scan_audio(paths: Sequence[Path | None], advance: Callable[[], None] = lambda: None) -> dict[int, str]:
    """Index -> reason for every file that is missing or whose header soundfile cannot read."""
    bad: dict[int, str] = {}
    for i, path in enumerate(paths):
        if path is None:
            bad[i] = "audio file not found"
        else:
            try:
                info = sf.info(str(path))
                if info.frames == 0:
                    bad[i] = f"audio file {path} is empty (0 samples)"
            except (sf.LibsndfileError, RuntimeError) as err:
                bad[i] = f"audio file {path} cannot be decoded: {err}"
        advance()
    return bad


class DecodedWaveforms:
    """``waveforms[i]`` decodes file ``i`` on every access (used when the waveform cache is off)."""

    def __init__(self, paths: Sequence[Path | None], sample_rate: int) -> None:
        self.paths = list(paths)
        self.sample_rate = sample_rate

    def __len__(self) -> int:
        return len(self.paths)

    def __getitem__(self, index: int) -> np.ndarray:
        return load_audio(self.paths[index], self.sample_rate, mono=True)
