"""Built-in synthesized sound events: an offline, ESC-50-shaped source folder for SynCaps.

Twelve classes a listener tells apart (beeps, chirps, sweeps, noise bursts, clicks, hum, drum,
siren, bell, rumble, trill, buzz), each clip varied by its own seed (pitch, tempo, length).
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable
from pathlib import Path

import numpy as np
import soundfile as sf

from dtu_audio.fileio import atomic_open, atomic_path, write_json
from dtu_audio.syncaps.sources import DESCRIPTIONS_JSON, SOURCES_CSV, SourceSet, folder_sources

Synth = Callable[[np.random.Generator, np.ndarray, int], np.ndarray]


def _envelope(t: np.ndarray, attack: float = 0.01, release: float = 0.05) -> np.ndarray:
    length = t[-1] if t.size else 0.0
    return np.clip(np.minimum(t / attack, (length - t) / release), 0, 1)


def _beeps(rng, t, sr):
    freq, rate = rng.uniform(800, 1000), rng.uniform(2.5, 4)
    gate = (np.mod(t * rate, 1.0) < 0.5).astype(float)
    return np.sin(2 * np.pi * freq * t) * gate


def _chirps(rng, t, sr):
    period, f0 = rng.uniform(0.25, 0.4), rng.uniform(1500, 2500)
    phase_t = np.mod(t, period)
    active = phase_t < 0.12
    freq = f0 * (1 + 8 * phase_t)
    return np.sin(2 * np.pi * np.cumsum(freq) / sr) * active


def _sweep(rng, t, sr):
    high, low = rng.uniform(1800, 2400), rng.uniform(150, 250)
    freq = high * (low / high) ** (t / t[-1])
    return np.sin(2 * np.pi * np.cumsum(freq) / sr)


def _noise_bursts(rng, t, sr):
    rate = rng.uniform(1.5, 2.5)
    decay = np.exp(-np.mod(t * rate, 1.0) * 12)
    return rng.standard_normal(t.size) * decay * 0.5


def _clicks(rng, t, sr):
    rate = rng.uniform(8, 12)
    out = np.zeros(t.size)
    out[(np.arange(0, t[-1], 1 / rate) * sr).astype(int)] = 1.0
    kernel = np.exp(-np.arange(int(0.004 * sr)) / (0.0008 * sr)) * np.sin(np.arange(int(0.004 * sr)) * 1.3)
    return np.convolve(out, kernel)[: t.size]


def _hum(rng, t, sr):
    base = rng.choice([50.0, 60.0]) * rng.uniform(0.98, 1.02)
    return sum(np.sin(2 * np.pi * base * k * t) / k for k in range(1, 6)) * 0.6


def _drum(rng, t, sr):
    tempo = rng.uniform(1.8, 2.6)
    local = np.mod(t * tempo, 1.0) / tempo
    freq = 45 + 60 * np.exp(-local * 30)
    return np.sin(2 * np.pi * np.cumsum(freq) / sr) * np.exp(-local * 9)


def _siren(rng, t, sr):
    centre, rate = rng.uniform(800, 1000), rng.uniform(0.6, 1.2)
    freq = centre + 300 * np.sin(2 * np.pi * rate * t)
    return np.sin(2 * np.pi * np.cumsum(freq) / sr)


def _bell(rng, t, sr):
    base = rng.uniform(400, 700)
    partials = (1.0, 2.76, 5.4, 8.93)
    return sum(np.sin(2 * np.pi * base * p * t) * np.exp(-t * (1.5 + p)) / (1 + i) for i, p in enumerate(partials))


def _rumble(rng, t, sr):
    brown = np.cumsum(rng.standard_normal(t.size))
    brown -= np.convolve(brown, np.ones(sr // 20) / (sr // 20), mode="same")
    return brown / (np.abs(brown).max() + 1e-9)


def _trill(rng, t, sr):
    low, rate = rng.uniform(900, 1100), rng.uniform(8, 12)
    freq = np.where(np.mod(t * rate, 1.0) < 0.5, low, low * 1.3)
    return np.sin(2 * np.pi * np.cumsum(freq) / sr)


def _buzz(rng, t, sr):
    freq = rng.uniform(120, 180)
    saw = 2 * np.mod(t * freq, 1.0) - 1
    return saw * (0.6 + 0.4 * np.sin(2 * np.pi * rng.uniform(4, 7) * t))


#: category -> (description used in captions, synthesizer)
SYNTH_CLASSES: dict[str, tuple[str, Synth]] = {
    "beeps": ("high beeping tone", _beeps),
    "chirps": ("short rising chirps", _chirps),
    "sweep": ("slow falling sweep", _sweep),
    "noise_bursts": ("bursts of white noise", _noise_bursts),
    "clicks": ("rapid clicking", _clicks),
    "hum": ("low electrical hum", _hum),
    "drum": ("steady drum beat", _drum),
    "siren": ("wailing siren", _siren),
    "bell": ("ringing bell", _bell),
    "rumble": ("deep rumble", _rumble),
    "trill": ("fast two-note trill", _trill),
    "buzz": ("harsh buzzing", _buzz),
}


def synth_clip(category: str, seed: int, sample_rate: int = 44100, duration: float | None = None) -> np.ndarray:
    """One clip of ``category`` (a key of ``SYNTH_CLASSES``), peak 0.7, deterministic for ``seed``."""
    rng = np.random.default_rng([seed, *category.encode()])
    seconds = duration if duration is not None else float(rng.uniform(2.0, 4.0))
    t = np.arange(round(seconds * sample_rate)) / sample_rate
    y = SYNTH_CLASSES[category][1](rng, t, sample_rate) * _envelope(t)
    return 0.7 * y / (np.abs(y).max() + 1e-9)


def _wav_bytes(y: np.ndarray, sample_rate: int) -> bytes:
    buffer = io.BytesIO()
    sf.write(buffer, y, sample_rate, subtype="PCM_16", format="WAV")
    return buffer.getvalue()


def write_synth_sources(
    out_dir: str | Path, clips_per_class: int = 5, seed: int = 0, sample_rate: int = 44100
) -> SourceSet:
    """Write ``audio/*.wav``, ``sources.csv`` (filename,category,fold) and ``descriptions.json``.

    Clip ``k`` of each class goes to fold ``k % 5 + 1``, so ``--disjoint-splits`` works with
    5 or more clips per class.
    """
    out_dir = Path(out_dir)
    rows = []
    for category in SYNTH_CLASSES:
        for k in range(clips_per_class):
            filename = f"{category}-{k}.wav"
            with atomic_path(out_dir / "audio" / filename) as tmp:
                tmp.write_bytes(_wav_bytes(synth_clip(category, seed * 10_000 + k, sample_rate), sample_rate))
            rows.append({"filename": filename, "category": category, "fold": k % 5 + 1})
    with atomic_open(out_dir / SOURCES_CSV, "w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=["filename", "category", "fold"])
        writer.writeheader()
        writer.writerows(rows)
    write_json(out_dir / DESCRIPTIONS_JSON, {c: desc for c, (desc, _) in SYNTH_CLASSES.items()})
    return folder_sources(out_dir)
