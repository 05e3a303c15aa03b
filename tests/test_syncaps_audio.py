"""SynCaps audio pieces: the per-clip transforms, the phase vocoder, mixing."""

from __future__ import annotations

import numpy as np
import pytest

from dtu_audio.syncaps.mixing import mix_pair
from dtu_audio.syncaps.transforms import TRANSFORMS, TransformRanges, apply_transform
from dtu_audio.syncaps.vocoder import pitch_shift, time_stretch

SR = 16000


def _tone(freq: float, seconds: float = 1.0) -> np.ndarray:
    return 0.5 * np.sin(2 * np.pi * freq * np.arange(int(seconds * SR)) / SR)


def _peak_hz(y: np.ndarray) -> float:
    return float(np.fft.rfftfreq(y.size, 1 / SR)[np.argmax(np.abs(np.fft.rfft(y)))])


def test_noise_is_added_at_the_drawn_snr_with_full_amplitude():
    y = _tone(440, 4.0)
    ranges = TransformRanges(snr_db=(5.0, 5.0))
    noisy = apply_transform("add_noise_with_snr_range", y, SR, np.random.default_rng(0), ranges)
    snr = 10 * np.log10(np.mean(y**2) / np.mean((noisy - y) ** 2))
    assert snr == pytest.approx(5.0, abs=0.1)


def test_time_shift_moves_the_sound_and_keeps_the_length():
    y = np.zeros(SR)
    y[SR // 2] = 1.0
    shifted = apply_transform(
        "time_shift_audio", y, SR, np.random.default_rng(0), TransformRanges(shift_seconds=(0.1, 0.1))
    )
    assert shifted.size == y.size and np.argmax(shifted) == SR // 2 + SR // 10


def test_gain_is_in_decibels():
    y = _tone(440)
    louder = apply_transform("adjust_volume_librosa", y, SR, np.random.default_rng(0), TransformRanges(gain_db=(6, 6)))
    assert np.max(louder) / np.max(y) == pytest.approx(10 ** (6 / 20))


def test_pitch_shift_moves_the_pitch_and_keeps_the_duration():
    y = _tone(440)
    up = pitch_shift(y, SR, 2.0)
    assert up.size == y.size
    assert _peak_hz(up) == pytest.approx(440 * 2 ** (2 / 12), abs=3)


def test_time_stretch_changes_the_duration_and_keeps_the_pitch():
    y = _tone(440)
    slow = time_stretch(y, 0.8)
    assert slow.size == round(y.size / 0.8)
    assert _peak_hz(slow) == pytest.approx(440, abs=3)


@pytest.mark.parametrize("name", sorted(TRANSFORMS))
def test_every_transform_is_deterministic_for_a_seed(name):
    y = _tone(300, 0.5)
    a = apply_transform(name, y, SR, np.random.default_rng([5, 1]), TransformRanges())
    b = apply_transform(name, y, SR, np.random.default_rng([5, 1]), TransformRanges())
    assert np.array_equal(a, b) and np.isfinite(a).all()


def test_apart_the_second_sound_ends_at_the_clip_end():
    out = mix_pair(np.ones(3), 2 * np.ones(2), 10, overlap=False, overlap_samples=0)
    assert out.tolist() == [1, 1, 1, 0, 0, 0, 0, 0, 2, 2]


def test_overlapping_sounds_overlap_by_the_given_time():
    out = mix_pair(np.ones(4), 2 * np.ones(3), 10, overlap=True, overlap_samples=2)
    assert out.tolist() == [1, 1, 3, 3, 2, 0, 0, 0, 0, 0]


@pytest.mark.parametrize("overlap", [False, True])
def test_sounds_longer_than_the_clip_are_cut_not_crashed(overlap):
    long_first = mix_pair(np.ones(12), 2 * np.ones(3), 10, overlap=overlap, overlap_samples=1)
    assert long_first.size == 10 and long_first[0] == 1
    long_second = mix_pair(np.ones(2), 2 * np.ones(15), 10, overlap=overlap, overlap_samples=1)
    assert long_second.size == 10 and long_second[-1] == 2
