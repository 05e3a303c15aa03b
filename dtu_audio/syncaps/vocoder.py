"""Phase-vocoder time stretch and pitch shift (the algorithm of ``librosa.effects``) with numpy and soxr."""

from __future__ import annotations

import numpy as np
import soxr

N_FFT = 2048
HOP = N_FFT // 4


def _stft(y: np.ndarray) -> np.ndarray:
    window = np.hanning(N_FFT + 1)[:-1]
    padded = np.pad(y, N_FFT // 2)
    if padded.size < N_FFT:
        padded = np.pad(padded, (0, N_FFT - padded.size))
    frames = np.lib.stride_tricks.sliding_window_view(padded, N_FFT)[::HOP]
    return np.fft.rfft(frames * window, axis=1)


def _istft(spectrum: np.ndarray, length: int) -> np.ndarray:
    window = np.hanning(N_FFT + 1)[:-1]
    frames = np.fft.irfft(spectrum, n=N_FFT, axis=1) * window
    size = N_FFT + HOP * (len(frames) - 1)
    out = np.zeros(size)
    norm = np.zeros(size)
    for i, frame in enumerate(frames):
        out[i * HOP : i * HOP + N_FFT] += frame
        norm[i * HOP : i * HOP + N_FFT] += window**2
    out /= np.where(norm > 1e-10, norm, 1.0)
    out = out[N_FFT // 2 :]
    return np.pad(out, (0, max(0, length - out.size)))[:length]


def time_stretch(y: np.ndarray, rate: float) -> np.ndarray:
    """Play ``y`` ``rate`` times faster without changing its pitch (``rate`` > 1 shortens it)."""
    spectrum = _stft(np.asarray(y, dtype=np.float64))
    spectrum = np.concatenate([spectrum, np.zeros_like(spectrum[:1])])
    steps = np.arange(0, len(spectrum) - 1, rate)
    index = steps.astype(int)
    frac = (steps - index)[:, None]
    magnitude = (1 - frac) * np.abs(spectrum[index]) + frac * np.abs(spectrum[index + 1])
    expected = 2 * np.pi * HOP * np.arange(spectrum.shape[1]) / N_FFT
    delta = np.angle(spectrum[index + 1]) - np.angle(spectrum[index]) - expected
    delta -= 2 * np.pi * np.round(delta / (2 * np.pi))
    advance = np.cumsum(expected + delta, axis=0)
    phase = np.angle(spectrum[0]) + np.concatenate([np.zeros_like(advance[:1]), advance[:-1]])
    return _istft(magnitude * np.exp(1j * phase), round(len(y) / rate))


def pitch_shift(y: np.ndarray, sample_rate: int, semitones: float) -> np.ndarray:
    """Shift ``y`` by ``semitones`` keeping its duration: stretch, then resample back."""
    rate = 2.0 ** (-semitones / 12)
    stretched = time_stretch(y, rate)
    shifted = soxr.resample(stretched, sample_rate / rate, sample_rate, quality="HQ")
    return np.pad(shifted, (0, max(0, len(y) - shifted.size)))[: len(y)]
