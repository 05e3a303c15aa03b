"""Hugging Face ``transformers`` ``ClapModel`` checkpoints (LAION-CLAP, fused and unfused) as embedders.

Audio goes through the checkpoint's own ``ClapFeatureExtractor`` at its sample rate (48 kHz),
with the truncation the model was built for (``fusion`` for fused models, ``rand_trunc`` else).
Clips longer than the extractor's ``max_length_s`` are cropped (``rand_trunc``) or fused from
random chunks (``fusion``); dtu draws those with a fixed seed per clip, so an embedding does not
depend on the run or the batch. A clip is marked ``is_longer`` only when it is longer (the
extractor itself marks a random clip of a batch that has none).
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F

from dtu_audio.embedders.base import AudioItem, batches, stacked, waveform_at

_CROP_SEED = 0


@contextmanager
def _seeded_numpy(seed: int) -> Iterator[None]:
    """NumPy's global generator seeded for the block, its previous state restored after."""
    state = np.random.get_state()
    np.random.seed(seed)
    try:
        yield
    finally:
        np.random.set_state(state)


@contextmanager
def _quiet_loading() -> Iterator[None]:
    """No transformers progress bar while a local folder loads (it would land in tables and logs)."""
    from transformers.utils import logging

    was_enabled = logging.is_progress_bar_enabled()
    logging.disable_progress_bar()
    try:
        yield
    finally:
        if was_enabled:
            logging.enable_progress_bar()


def _pooled(output) -> torch.Tensor:
    """The projected embedding of ``get_*_features``: a tensor (transformers 4) or ``pooler_output`` (5)."""
    return output if isinstance(output, torch.Tensor) else output.pooler_output


class ClapEmbedder:
    """A ``ClapModel`` and its ``ClapProcessor`` from a ``save_pretrained`` folder, on ``device``."""

    family = "clap"

    def __init__(self, folder: Path, name: str, fingerprint: str, device: torch.device, bf16: bool):
        from transformers import ClapModel, ClapProcessor

        self.name, self.source, self.fingerprint, self.bf16 = name, Path(folder), fingerprint, bf16
        with _quiet_loading():
            self.model = ClapModel.from_pretrained(folder).to(device).eval()
            processor = ClapProcessor.from_pretrained(folder)
        self.feature_extractor, self.tokenizer = processor.feature_extractor, processor.tokenizer
        self.sample_rate = int(self.feature_extractor.sampling_rate)
        self.clip_samples = int(self.feature_extractor.nb_max_samples)  # max_length_s at sample_rate
        fused = bool(self.model.config.audio_config.enable_fusion)
        self.truncation = "fusion" if fused else "rand_trunc"
        text_positions = self.model.config.text_config.max_position_embeddings - 2  # RoBERTa's padding offset
        self.max_tokens = min(int(self.tokenizer.model_max_length), text_positions)
        self.dim = int(self.model.config.projection_dim)
        self.audio_settings = {"truncation": self.truncation, "crop_seed": _CROP_SEED, "bf16": bf16}
        self.text_settings = {"max_tokens": self.max_tokens, "bf16": bf16}

    @property
    def device(self) -> torch.device:
        return self.model.device

    def audio_inputs(self, waveforms: Sequence[np.ndarray]) -> dict[str, torch.Tensor]:
        """``input_features`` and ``is_longer`` of waveforms at ``sample_rate``, for ``get_audio_features``."""
        features, longer = [], []
        for waveform in waveforms:
            with _seeded_numpy(_CROP_SEED):
                out = self.feature_extractor(
                    [waveform], sampling_rate=self.sample_rate, truncation=self.truncation, return_tensors="pt"
                )
            features.append(out["input_features"])
            longer.append(bool(out["is_longer"][0]) and waveform.shape[0] > self.feature_extractor.nb_max_samples)
        return {"input_features": torch.cat(features), "is_longer": torch.tensor(longer).unsqueeze(1)}

    @contextmanager
    def _inference(self) -> Iterator[None]:
        with torch.inference_mode(), torch.autocast(self.device.type, dtype=torch.bfloat16, enabled=self.bf16):
            yield

    def embed_audio(self, items: Sequence[AudioItem], batch_size: int = 32) -> torch.Tensor:
        """L2-normalised audio embeddings (files, or waveforms at ``sample_rate``)."""
        outputs = []
        with self._inference():
            for batch in batches(list(items), batch_size):
                inputs = self.audio_inputs([waveform_at(item, self.sample_rate) for item in batch])
                pooled = _pooled(self.model.get_audio_features(**{k: v.to(self.device) for k, v in inputs.items()}))
                outputs.append(F.normalize(pooled.float(), dim=-1).cpu())
        return stacked(outputs, self.dim)

    def embed_text(self, captions: Sequence[str], batch_size: int = 256) -> torch.Tensor:
        """L2-normalised caption embeddings."""
        outputs = []
        with self._inference():
            for batch in batches(list(captions), batch_size):
                tokens = self.tokenizer(
                    list(batch), padding=True, truncation=True, max_length=self.max_tokens, return_tensors="pt"
                )
                pooled = _pooled(
                    self.model.get_text_features(
                        input_ids=tokens["input_ids"].to(self.device),
                        attention_mask=tokens["attention_mask"].to(self.device),
                    )
                )
                outputs.append(F.normalize(pooled.float(), dim=-1).cpu())
        return stacked(outputs, self.dim)

    def describe(self) -> dict:
        """The model's configuration."""
        return {"config": self.model.config.to_dict()}
