import numpy as np
import pytest
import soundfile as sf

from dtu_audio.datasets.audio import crop_or_pad, load_audio
from dtu_audio.errors import DtuError


def test_stereo_44k_becomes_mono_32k(tmp_path):
    t = np.arange(44100) / 44100
    stereo = np.stack([np.sin(2 * np.pi * 440 * t), np.sin(2 * np.pi * 440 * t) * 0.5], axis=1)
    sf.write(tmp_path / "a.flac", stereo, 44100)
    wave = load_audio(tmp_path / "a.flac", 32000)
    assert wave.dtype == np.float32 and wave.shape == (32000,)
    assert abs(np.abs(wave[1000:-1000]).max() - 0.75) < 0.01
    assert load_audio(tmp_path / "a.flac", 32000, mono=False).shape == (2, 32000)


def test_bad_files_name_the_path(tmp_path):
    with pytest.raises(DtuError, match="does not exist"):
        load_audio(tmp_path / "missing.wav", 32000)
    (tmp_path / "junk.wav").write_bytes(b"not audio at all")
    with pytest.raises(DtuError, match=r"junk\.wav cannot be decoded"):
        load_audio(tmp_path / "junk.wav", 32000)
    sf.write(tmp_path / "empty.wav", np.zeros((0, 1)), 32000)
    with pytest.raises(DtuError, match="empty"):
        load_audio(tmp_path / "empty.wav", 32000)


def test_crop_or_pad():
    wave = np.arange(10, dtype=np.float32)
    assert crop_or_pad(wave, 4).tolist() == [0, 1, 2, 3]
    cropped = crop_or_pad(wave, 4, rng=np.random.default_rng(0))
    assert len(cropped) == 4 and cropped[1] - cropped[0] == 1
    assert crop_or_pad(wave, 12).shape == (10,)
    assert crop_or_pad(wave, 12, pad=True).tolist()[-2:] == [0, 0]


@pytest.mark.parametrize("claimed_rate", [8, 1])
def test_a_header_claiming_an_absurd_rate_is_refused(tmp_path, claimed_rate):
    sf.write(tmp_path / "odd.wav", np.zeros(32000, dtype=np.float32), claimed_rate, subtype="PCM_16")
    with pytest.raises(DtuError, match=rf"odd.wav claims a sample rate of {claimed_rate} Hz \(below 1000 Hz"):
        load_audio(tmp_path / "odd.wav", 32000)
