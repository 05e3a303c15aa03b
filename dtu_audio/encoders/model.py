"""The retrieval model: HTSAT and a text encoder projected into one L2-normalised space."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager

import numpy as np
import torch
import torch.nn.functional as F
from torch import Tensor, nn

from dtu_audio.datasets.audio import crop_or_pad
from dtu_audio.embedders.base import AudioItem, batches, stacked, waveform_at
from dtu_audio.encoders.htsat import HTSAT
from dtu_audio.encoders.text import TextEncoder
from dtu_audio.specs import AudioSpec, ModelSpec


def _projection(width: int, embed_size: int) -> nn.Sequential:
    return nn.Sequential(nn.Linear(width, embed_size), nn.ReLU(), nn.Linear(embed_size, embed_size))


class AudioEncoder(nn.Module):
    """Holds HTSAT as ``audio_enc``, the original's module layout."""

    def __init__(self, model_spec: ModelSpec, audio_spec: AudioSpec):
        super().__init__()
        self.audio_enc = HTSAT(model_spec.htsat, audio_spec, spec_augment=model_spec.spec_augment)

    def forward(self, waveforms: Tensor) -> Tensor:
        return self.audio_enc(waveforms)


class RetrievalModel(nn.Module):
    """HTSAT audio encoder + Hugging Face text encoder, each with a 2-layer projection to ``embed_size``.

    ``state_dict()`` names equal the original WavCaps/DTU model's (minus its front-end kernels).
    """

    def __init__(self, model_spec: ModelSpec | None = None, audio_spec: AudioSpec | None = None):
        super().__init__()
        self.model_spec = model_spec or ModelSpec()
        self.audio_spec = audio_spec or AudioSpec()
        self.audio_encoder = AudioEncoder(self.model_spec, self.audio_spec)
        self.text_encoder = TextEncoder(self.model_spec.text_encoder, self.model_spec.text_max_length)
        embed_size = self.model_spec.embed_size
        self.audio_proj = _projection(self.model_spec.htsat.output_dim, embed_size)
        self.text_proj = _projection(self.text_encoder.width, embed_size)
        self.temp = nn.Parameter(torch.tensor(self.model_spec.temperature))

    @classmethod
    def from_spec(cls, model_spec: ModelSpec | None = None, audio_spec: AudioSpec | None = None) -> RetrievalModel:
        """Build the architecture of the specs (paper defaults when omitted) with fresh weights, offline."""
        return cls(model_spec, audio_spec)

    @property
    def device(self) -> torch.device:
        return self.temp.device

    def audio_features(self, waveforms: Tensor) -> Tensor:
        """HTSAT clip embeddings ``[B, 768]`` (before projection) of waveforms ``[B, T]``."""
        return self.audio_encoder(waveforms)

    def encode_audio(self, waveforms: Tensor) -> Tensor:
        """L2-normalised audio embeddings ``[B, embed_size]`` of waveforms ``[B, T]`` at the spec's rate."""
        return F.normalize(self.audio_proj(self.audio_features(waveforms)), dim=-1)

    def text_features(self, input_ids: Tensor, attention_mask: Tensor) -> Tensor:
        """First-token hidden states ``[B, width]`` of token ids."""
        return self.text_encoder(input_ids, attention_mask)[:, 0, :]

    def encode_tokens(self, input_ids: Tensor, attention_mask: Tensor) -> Tensor:
        """L2-normalised text embeddings ``[B, embed_size]`` of token ids."""
        return F.normalize(self.text_proj(self.text_features(input_ids, attention_mask)), dim=-1)

    def encode_text(self, captions: list[str]) -> Tensor:
        """L2-normalised text embeddings ``[B, embed_size]`` of raw captions (preprocessed as the original)."""
        tokens = self.text_encoder.tokenize(list(captions))
        return self.encode_tokens(tokens["input_ids"].to(self.device), tokens["attention_mask"].to(self.device))

    def _waveform(self, item: AudioItem) -> np.ndarray:
        waveform = crop_or_pad(waveform_at(item, self.audio_spec.sample_rate), self.audio_spec.max_samples)
        if waveform.shape[-1] < self.audio_spec.n_fft:  # the STFT's reflect padding needs n_fft / 2 samples
            waveform = crop_or_pad(waveform, self.audio_spec.n_fft, pad=True)
        return waveform

    @contextmanager
    def _inference(self, bf16: bool) -> Iterator[None]:
        """Eval mode, ``torch.inference_mode`` and, when ``bf16``, bf16 autocast; the training flag comes back after."""
        was_training = self.training
        self.eval()
        try:
            with torch.inference_mode(), torch.autocast(self.device.type, dtype=torch.bfloat16, enabled=bf16):
                yield
        finally:
            self.train(was_training)

    def embed_audio(self, items: Sequence[AudioItem] | Tensor, batch_size: int = 32, bf16: bool = False) -> Tensor:
        """Embed audio files or waveforms (at the spec's rate) in eval mode; a CPU float tensor ``[N, embed_size]``.

        Files are decoded, mixed to mono and resampled; clips longer than ``audio.max_clip_seconds``
        are cropped from the start; a batch is zero-padded to its longest clip, as the original's loader
        (and clips shorter than one STFT window to that window).
        """
        outputs = []
        with self._inference(bf16):
            for batch in batches(list(items), batch_size):
                waveforms = [self._waveform(item) for item in batch]
                longest = max(w.shape[-1] for w in waveforms)
                padded = np.stack([crop_or_pad(w, longest, pad=True) for w in waveforms])
                outputs.append(self.encode_audio(torch.from_numpy(padded).to(self.device)).float().cpu())
        return stacked(outputs, self.model_spec.embed_size)

    def embed_text(self, captions: Sequence[str], batch_size: int = 256, bf16: bool = False) -> Tensor:
        """Embed captions in eval mode; a CPU float tensor ``[N, embed_size]``."""
        with self._inference(bf16):
            outputs = [self.encode_text(list(batch)).float().cpu() for batch in batches(list(captions), batch_size)]
        return stacked(outputs, self.model_spec.embed_size)
