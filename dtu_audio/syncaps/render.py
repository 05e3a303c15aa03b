"""Rendering one SynCaps clip: decode both sources, transform, mix, resample, encode as WAV."""

from __future__ import annotations

import hashlib
from functools import lru_cache
from pathlib import Path

import numpy as np
import soundfile as sf
import soxr

from dtu_audio.datasets.audio import load_audio
from dtu_audio.fileio import atomic_path, write_errors
from dtu_audio.syncaps.mixing import mix_pair
from dtu_audio.syncaps.recipe import ClipPlan, Recipe
from dtu_audio.syncaps.sources import SourceSet
from dtu_audio.syncaps.transforms import apply_transform

WAV_SUBTYPE = "PCM_16"
RERUN_HINT = "check the free space, then rerun the same command: finished clips are kept"


@lru_cache(maxsize=256)
def _decoded_version(path: Path, sample_rate: int, version: tuple[int, int]) -> np.ndarray:
    return load_audio(path, sample_rate)


def _decoded(path: Path, sample_rate: int) -> np.ndarray:
    """A source clip decoded once per process, and again whenever the file changes."""
    try:
        stat = path.stat()
    except OSError:
        return load_audio(path, sample_rate)
    return _decoded_version(path, sample_rate, (stat.st_mtime_ns, stat.st_size))


def render_clip(clip: ClipPlan, recipe: Recipe, sources: SourceSet) -> np.ndarray:
    """The clip's waveform at ``recipe.sample_rate``, ``recipe.duration`` seconds, float64."""
    rate = recipe.mix_rate
    sounds = []
    for index, (filename, transform) in enumerate(
        ((clip.file1, clip.file1_transform), (clip.file2, clip.file2_transform)), start=1
    ):
        rng = np.random.default_rng([clip.seed, index])
        sounds.append(apply_transform(transform, _decoded(sources.path(filename), rate), rate, rng, recipe.ranges))
    first, second = sounds if clip.order == 1 else sounds[::-1]
    mixed = mix_pair(first, second, round(recipe.duration * rate), clip.overlap, int(rate * clip.overlap_time))
    if recipe.sample_rate != rate:
        mixed = soxr.resample(mixed, rate, recipe.sample_rate, quality="HQ")
    length = round(recipe.duration * recipe.sample_rate)
    if mixed.size == length:
        return mixed
    return np.pad(mixed, (0, max(0, length - mixed.size)))[:length]


def write_clip(clip: ClipPlan, recipe: Recipe, sources: SourceSet, audio_dir: Path) -> str:
    """Render the clip into ``audio_dir`` as 16-bit PCM WAV, atomically; return the file's SHA-256.

    Samples beyond full scale are clipped.
    """
    waveform = np.clip(render_clip(clip, recipe, sources), -1.0, 1.0)
    target = audio_dir / clip.name
    with write_errors(target, RERUN_HINT, also=(sf.SoundFileError,)), atomic_path(target) as tmp:
        sf.write(tmp, waveform, recipe.sample_rate, subtype=WAV_SUBTYPE, format="WAV")
        return hashlib.sha256(tmp.read_bytes()).hexdigest()
