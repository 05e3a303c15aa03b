"""The log-mel front-end: torch.stft power spectrum, Slaney mel filters, decibels (as torchlibrosa),
and the original's stored front-end kernels (:func:`original_frontend_state`)."""

from __future__ import annotations

import math

import torch
from torch import Tensor, nn

from dtu_audio.specs import AudioSpec

_F_SP = 200.0 / 3  # Slaney scale: linear below 1 kHz, 200/3 Hz per mel
_MIN_LOG_HZ = 1000.0
_MIN_LOG_MEL = _MIN_LOG_HZ / _F_SP
_LOGSTEP = math.log(6.4) / 27.0


def _hz_to_mel(hz: Tensor) -> Tensor:
    log_part = _MIN_LOG_MEL + torch.log(hz.clamp(min=_MIN_LOG_HZ) / _MIN_LOG_HZ) / _LOGSTEP
    return torch.where(hz >= _MIN_LOG_HZ, log_part, hz / _F_SP)


def _mel_to_hz(mel: Tensor) -> Tensor:
    log_part = _MIN_LOG_HZ * torch.exp(_LOGSTEP * (mel - _MIN_LOG_MEL))
    return torch.where(mel >= _MIN_LOG_MEL, log_part, mel * _F_SP)


def slaney_mel_filters(sample_rate: int, n_fft: int, n_mels: int, f_min: float, f_max: float) -> Tensor:
    """Slaney-style, area-normalised mel filters ``[n_fft // 2 + 1, n_mels]`` (librosa's defaults).

    Computed in float64 and returned as float32, as librosa does.
    """
    fft_freqs = torch.linspace(0, sample_rate / 2, n_fft // 2 + 1, dtype=torch.float64)
    mel_edges = torch.linspace(
        float(_hz_to_mel(torch.tensor(f_min, dtype=torch.float64))),
        float(_hz_to_mel(torch.tensor(f_max, dtype=torch.float64))),
        n_mels + 2,
        dtype=torch.float64,
    )
    hz_edges = _mel_to_hz(mel_edges)
    widths = hz_edges.diff()
    ramps = hz_edges[:, None] - fft_freqs[None, :]
    lower = -ramps[:-2] / widths[:-1, None]
    upper = ramps[2:] / widths[1:, None]
    weights = torch.clamp(torch.minimum(lower, upper), min=0)
    weights *= (2.0 / (hz_edges[2:] - hz_edges[:-2]))[:, None]
    return weights.T.contiguous().float()


def original_frontend_state(audio: AudioSpec) -> dict[str, Tensor]:
    """The state-dict entries of the original's torchlibrosa front-end, as it computes them.

    ``mel_trans.stft.conv_real.weight`` / ``conv_imag.weight`` ``[n_fft // 2 + 1, 1, n_fft]``: the real
    and imaginary parts of the DFT matrix times the periodic Hann window (centred in ``n_fft``);
    ``log_trans.melW`` ``[n_fft // 2 + 1, n_mels]``: the Slaney mel filters. Computed in float64,
    stored as float32, as torchlibrosa does. We compute the same numbers in :class:`LogMel`; these are
    saved so that the original code loads our checkpoints with a strict ``load_state_dict``.
    """
    bins = audio.n_fft // 2 + 1
    window = torch.zeros(audio.n_fft, dtype=torch.float64)
    start = (audio.n_fft - audio.win_length) // 2
    window[start : start + audio.win_length] = torch.hann_window(audio.win_length, periodic=True, dtype=torch.float64)
    angles = 2 * math.pi * torch.outer(torch.arange(bins), torch.arange(audio.n_fft)).double() / audio.n_fft
    return {
        "mel_trans.stft.conv_real.weight": (torch.cos(angles) * window).float().unsqueeze(1),
        "mel_trans.stft.conv_imag.weight": (-torch.sin(angles) * window).float().unsqueeze(1),
        "log_trans.melW": slaney_mel_filters(audio.sample_rate, audio.n_fft, audio.n_mels, audio.f_min, audio.f_max),
    }


class LogMel(nn.Module):
    """Waveforms ``[B, T]`` -> log-mel ``[B, 1, frames, n_mels]`` in dB (centred, reflect-padded STFT).

    The window and mel filters are fixed functions of the audio spec, kept out of the state dict.
    """

    def __init__(self, audio: AudioSpec, amin: float = 1e-10):
        super().__init__()
        self.n_fft = audio.n_fft
        self.hop_length = audio.hop_length
        self.win_length = audio.win_length
        self.amin = amin
        self.register_buffer("window", torch.hann_window(audio.win_length, periodic=True), persistent=False)
        filters = slaney_mel_filters(audio.sample_rate, audio.n_fft, audio.n_mels, audio.f_min, audio.f_max)
        self.register_buffer("mel_filters", filters, persistent=False)

    def num_frames(self, num_samples: int) -> int:
        """Frames the front-end gives for a clip of ``num_samples`` samples."""
        return num_samples // self.hop_length + 1

    def forward(self, waveforms: Tensor) -> Tensor:
        with torch.autocast(waveforms.device.type, enabled=False):
            spectrum = torch.stft(
                waveforms.float(),
                n_fft=self.n_fft,
                hop_length=self.hop_length,
                win_length=self.win_length,
                window=self.window,
                center=True,
                pad_mode="reflect",
                return_complex=True,
            )
            power = torch.addcmul(spectrum.real.square(), spectrum.imag, spectrum.imag)
            mel = torch.matmul(power.transpose(1, 2), self.mel_filters)
            return (10.0 * torch.log10(mel.clamp(min=self.amin))).unsqueeze(1)
