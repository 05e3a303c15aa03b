"""What a model needs to be evaluated: embed audio and captions into one L2-normalised space."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Protocol

import numpy as np
import torch

from dtu_audio.datasets.audio import load_audio
from dtu_audio.errors import DtuError

AudioItem = str | Path | np.ndarray | torch.Tensor


class Embedder(Protocol):
    """A model on the benchmark.

    ``embed_audio`` takes audio files (decoded, mixed to mono and resampled to ``sample_rate``) or
    1-D waveforms already at ``sample_rate``; ``embed_text`` takes captions. Both return a CPU float
    tensor ``[N, dim]`` of L2-normalised rows. ``fingerprint`` names the weights (the embedding cache
    keys on it); ``source`` is the file or folder they came from (``None`` when there is none);
    ``audio_settings`` and ``text_settings`` are whatever else changes an embedding. An embedder
    that also has ``clip_samples`` (the samples of one clip it embeds whole) can build search indexes.
    """

    name: str
    family: str
    sample_rate: int
    fingerprint: str
    source: Path | None
    audio_settings: dict
    text_settings: dict

    def embed_audio(self, items: Sequence[AudioItem], batch_size: int = 32) -> torch.Tensor: ...

    def embed_text(self, captions: Sequence[str], batch_size: int = 256) -> torch.Tensor: ...


def batches(items: Sequence, size: int) -> Iterator[Sequence]:
    """Consecutive slices of at most ``size`` items."""
    if size < 1:
        raise DtuError(f"batch_size must be at least 1, not {size}")
    for start in range(0, len(items), size):
        yield items[start : start + size]


def waveform_at(item: AudioItem, sample_rate: int) -> np.ndarray:
    """A mono float32 waveform: a file decoded and resampled to ``sample_rate``, or a 1-D array as it is."""
    if isinstance(item, str | Path):
        return load_audio(item, sample_rate, mono=True)
    waveform = np.asarray(item.detach().cpu() if isinstance(item, torch.Tensor) else item, dtype=np.float32)
    if waveform.ndim != 1 or waveform.size == 0:
        raise DtuError(f"waveforms must be non-empty 1-D arrays of samples, got shape {waveform.shape}")
    return waveform


def stacked(outputs: list[torch.Tensor], dim: int) -> torch.Tensor:
    """Batch outputs as one CPU float tensor ``[N, dim]`` (``[0, dim]`` when there is none)."""
    return torch.cat(outputs) if outputs else torch.empty(0, dim)
