"""The per-clip transforms of SynCaps, by the names the paper's recipe records them under.

Every transform draws its parameter from the ``rng`` it is given (one per source clip, seeded
from the clip's seed), so a clip comes out the same whenever and wherever it is rendered.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import asdict, dataclass

import numpy as np

from dtu_audio.errors import DtuError
from dtu_audio.syncaps.vocoder import pitch_shift, time_stretch

IDENTITY = "return_identical"


_OPTIONS = {
    "pitch_semitones": "--pitch-range",
    "stretch_rate": "--stretch-range",
    "gain_db": "--gain-range",
    "snr_db": "--snr-range",
    "shift_seconds": "--shift-range",
}
# A rate of 0 or below has no meaning; beyond 4x (or 2 octaves of pitch) a clip is stretched past recognition.
_BOUNDS = {"pitch_semitones": (-24.0, 24.0), "stretch_rate": (0.25, 4.0)}
_MEANING = {"pitch_semitones": "shifts in semitones", "stretch_rate": "speed-up rates (1: unchanged)"}


@dataclass(frozen=True)
class TransformRanges:
    """Ranges the transform parameters are drawn from, uniformly (the paper's by default)."""

    pitch_semitones: tuple[float, float] = (-2.0, 2.0)
    stretch_rate: tuple[float, float] = (0.8, 1.2)
    gain_db: tuple[float, float] = (-3.0, 3.0)
    snr_db: tuple[float, float] = (0.0, 10.0)
    shift_seconds: tuple[float, float] = (-0.1, 0.1)

    def __post_init__(self) -> None:
        for name, (low, high) in asdict(self).items():
            option = _OPTIONS[name]
            if not (math.isfinite(low) and math.isfinite(high)) or low > high:
                raise DtuError(f"{option} {low:g},{high:g}: LOW and HIGH must be numbers with LOW <= HIGH")
            bounds = _BOUNDS.get(name)
            if bounds and not (bounds[0] <= low and high <= bounds[1]):
                raise DtuError(
                    f"{option} {low:g},{high:g} is out of range: {_MEANING[name]} must lie within "
                    f"{bounds[0]:g},{bounds[1]:g}"
                )

    def to_json(self) -> dict:
        return {k: list(v) for k, v in asdict(self).items()}

    @classmethod
    def from_json(cls, obj: dict) -> TransformRanges:
        return cls(**{k: (float(v[0]), float(v[1])) for k, v in obj.items()})


def _identity(y: np.ndarray, sr: int, rng: np.random.Generator, ranges: TransformRanges) -> np.ndarray:
    return y


def _pitch(y: np.ndarray, sr: int, rng: np.random.Generator, ranges: TransformRanges) -> np.ndarray:
    return pitch_shift(y, sr, rng.uniform(*ranges.pitch_semitones))


def _stretch(y: np.ndarray, sr: int, rng: np.random.Generator, ranges: TransformRanges) -> np.ndarray:
    return time_stretch(y, rng.uniform(*ranges.stretch_rate))


def _gain(y: np.ndarray, sr: int, rng: np.random.Generator, ranges: TransformRanges) -> np.ndarray:
    return y * 10 ** (rng.uniform(*ranges.gain_db) / 20)


def _noise(y: np.ndarray, sr: int, rng: np.random.Generator, ranges: TransformRanges) -> np.ndarray:
    """White noise whose power is the signal's power over the drawn SNR (at full amplitude)."""
    snr_db = rng.uniform(*ranges.snr_db)
    noise_power = np.mean(np.square(y)) / 10 ** (snr_db / 10)
    return y + rng.standard_normal(y.shape) * np.sqrt(noise_power)


def _shift(y: np.ndarray, sr: int, rng: np.random.Generator, ranges: TransformRanges) -> np.ndarray:
    """Move the sound later (positive shift) or earlier, keeping the length, filling with silence."""
    shift = int(rng.uniform(*ranges.shift_seconds) * sr)
    if shift == 0:
        return y
    out = np.zeros_like(y)
    if shift > 0:
        out[shift:] = y[: len(y) - shift]
    else:
        out[:shift] = y[-shift:]
    return out


TRANSFORMS: dict[str, Callable[[np.ndarray, int, np.random.Generator, TransformRanges], np.ndarray]] = {
    IDENTITY: _identity,
    "pitch_shift_librosa": _pitch,
    "time_stretch_librosa": _stretch,
    "adjust_volume_librosa": _gain,
    "add_noise_with_snr_range": _noise,
    "time_shift_audio": _shift,
}


def apply_transform(
    name: str, y: np.ndarray, sample_rate: int, rng: np.random.Generator, ranges: TransformRanges
) -> np.ndarray:
    """Apply the transform called ``name`` with a parameter drawn from ``rng``."""
    return TRANSFORMS[name](np.asarray(y, dtype=np.float64), sample_rate, rng, ranges)
