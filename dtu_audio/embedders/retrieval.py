"""dtu / WavCaps checkpoints (``RetrievalModel``) as benchmark embedders."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import torch

from dtu_audio.embedders.base import AudioItem
from dtu_audio.encoders.model import RetrievalModel


class RetrievalEmbedder:
    """A ``RetrievalModel`` loaded from ``path``; bf16 autocast when ``bf16``."""

    family = "dtu"

    def __init__(self, model: RetrievalModel, name: str, path: Path, fingerprint: str, bf16: bool):
        self.model, self.name, self.source, self.fingerprint, self.bf16 = model, name, path, fingerprint, bf16
        self.sample_rate = model.audio_spec.sample_rate
        self.audio_settings = {**model.audio_spec.model_dump(mode="json"), "bf16": bf16}
        self.text_settings = {
            "text_encoder": model.model_spec.text_encoder,
            "text_max_length": model.model_spec.text_max_length,
            "bf16": bf16,
        }

    def embed_audio(self, items: Sequence[AudioItem], batch_size: int = 32) -> torch.Tensor:
        """L2-normalised audio embeddings (files or waveforms at ``sample_rate``)."""
        return self.model.embed_audio(items, batch_size=batch_size, bf16=self.bf16)

    def embed_text(self, captions: Sequence[str], batch_size: int = 256) -> torch.Tensor:
        """L2-normalised caption embeddings."""
        return self.model.embed_text(captions, batch_size=batch_size, bf16=self.bf16)

    def describe(self) -> dict:
        """The checkpoint's audio and model specs."""
        return {
            "audio": self.model.audio_spec.model_dump(mode="json"),
            "model": self.model.model_spec.model_dump(mode="json"),
        }
