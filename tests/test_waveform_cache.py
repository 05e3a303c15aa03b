"""The waveform cache decodes a split once, reads it back, and records bad files."""

from __future__ import annotations

import errno
import subprocess
import sys

import numpy as np
import pytest
from train_data import write_clip

from dtu_audio.datasets.audio import load_audio
from dtu_audio.datasets.audio_scan import DecodedWaveforms, scan_audio
from dtu_audio.datasets.waveform_cache import build_waveform_cache, cache_key
from dtu_audio.errors import DtuError
from dtu_audio.specs import AudioSpec


@pytest.fixture
def clips(tmp_path):
    paths = [
        write_clip(tmp_path / "a.wav", 0.5, rate=16000),
        write_clip(tmp_path / "b.wav", 0.8, rate=44100, channels=2, seed=1),
        write_clip(tmp_path / "c.wav", 0.3, rate=32000, seed=2),
    ]
    broken = tmp_path / "broken.wav"
    broken.write_bytes(b"RIFF not really a wave file")
    return [*paths, broken, None]


def test_cache_holds_decoded_mono_32k_audio(clips, tmp_path):
    calls = []
    cache = build_waveform_cache(clips, AudioSpec(), tmp_path / "cache", lambda: calls.append(1))
    assert len(cache) == 5 and len(calls) == 5
    for i in range(3):
        expected = load_audio(clips[i], 32000)
        assert cache[i].dtype == np.float32
        np.testing.assert_allclose(cache[i], expected, atol=1e-3)
    assert set(cache.bad) == {3, 4}
    assert "broken.wav" in cache.bad[3] and cache[3].shape == (0,)


def test_cache_is_reused_and_keyed_by_settings(clips, tmp_path):
    first = build_waveform_cache(clips, AudioSpec(), tmp_path / "cache")
    calls = []
    again = build_waveform_cache(clips, AudioSpec(), tmp_path / "cache", lambda: calls.append(1))
    assert again.folder == first.folder and calls == []
    other = AudioSpec(sample_rate=16000, f_max=8000)
    assert cache_key(clips, other) != cache_key(clips, AudioSpec())
    assert [p.name for p in (tmp_path / "cache").iterdir()] == [first.folder.name]


def test_cache_survives_pickling_for_workers(clips, tmp_path):
    import pickle

    cache = build_waveform_cache(clips, AudioSpec(), tmp_path / "cache")
    np.testing.assert_array_equal(pickle.loads(pickle.dumps(cache))[1], cache[1])


def test_unwritable_cache_dir_is_a_clear_error(clips, tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("x")
    with pytest.raises(DtuError, match="waveform cache"):
        build_waveform_cache(clips, AudioSpec(), blocker / "cache")


def test_scan_without_cache_names_bad_files(clips):
    bad = scan_audio(clips)
    assert set(bad) == {3, 4}
    assert "broken.wav" in bad[3]
    np.testing.assert_array_equal(DecodedWaveforms(clips, 32000)[0], load_audio(clips[0], 32000))


def test_staging_folders_of_killed_builds_are_removed(clips, tmp_path):
    dead = int(subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True).stdout)
    left = tmp_path / "cache" / f".{cache_key(clips, AudioSpec())}.{dead}.x7f_q2"
    left.mkdir(parents=True)
    (left / "waveforms.f16").write_bytes(b"\0" * 4096)
    build_waveform_cache(clips, AudioSpec(), tmp_path / "cache")
    assert not left.exists()
    assert [p.name for p in (tmp_path / "cache").iterdir()] == [cache_key(clips, AudioSpec())]


def test_a_full_disk_while_building_is_a_one_line_error(clips, tmp_path, monkeypatch):
    def no_space(*args, **kwargs):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(np, "save", no_space)
    message = r"cannot write the waveform cache under .* \(No space left on device\); free space"
    with pytest.raises(DtuError, match=message):
        build_waveform_cache(clips, AudioSpec(), tmp_path / "cache")
    assert list((tmp_path / "cache").iterdir()) == []
