"""Audio decoding: any file soundfile reads, mixed to mono, resampled with soxr, cropped or padded."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import soundfile as sf
import soxr

from dtu_audio.errors import DtuError

MIN_SOURCE_RATE = 1000


def load_audio(path: str | Path, sample_rate: int, mono: bool = True) -> np.ndarray:
    """Decode ``path`` to float32 at ``sample_rate``: shape ``[T]`` if mono, else ``[C, T]``.

    Raises a one-line ``DtuError`` naming the file when it is missing, unreadable, empty, or claims a
    sample rate below :data:`MIN_SOURCE_RATE` (a damaged header that would resample to gigabytes).
    """
    path = Path(path)
    if not path.is_file():
        raise DtuError(f"audio file {path} does not exist")
    try:
        data, source_rate = sf.read(str(path), dtype="float32", always_2d=True)
    except (sf.LibsndfileError, RuntimeError, TypeError, ValueError) as err:
        raise DtuError(f"audio file {path} cannot be decoded: {err}") from None
    if data.shape[0] == 0:
        raise DtuError(f"audio file {path} is empty (0 samples)")
    if source_rate < MIN_SOURCE_RATE:
        raise DtuError(
            f"audio file {path} claims a sample rate of {source_rate} Hz (below {MIN_SOURCE_RATE} Hz is not audio, "
            "and resampling it would take vast memory); re-encode it at its real rate"
        )
    if not np.isfinite(data).all():
        raise DtuError(f"audio file {path} holds NaN or infinite samples")
    if mono:
        data = data.mean(axis=1, keepdims=True)
    if source_rate != sample_rate:
        data = soxr.resample(data, source_rate, sample_rate, quality="HQ")
    data = np.ascontiguousarray(data.T, dtype=np.float32)
    return data[0] if mono else data


def crop_or_pad(
    waveform: np.ndarray, length: int, rng: np.random.Generator | None = None, pad: bool = False
) -> np.ndarray:
    """Crop the last axis to ``length`` samples: randomly with ``rng``, else from the start.

    Shorter clips are returned as they are, or zero-padded at the end when ``pad`` is set.
    """
    size = waveform.shape[-1]
    if size > length:
        start = int(rng.integers(0, size - length + 1)) if rng is not None else 0
        return waveform[..., start : start + length]
    if pad and size < length:
        widths = [(0, 0)] * (waveform.ndim - 1) + [(0, length - size)]
        return np.pad(waveform, widths)
    return waveform
