"""One training step's forward pass: encode a batch (what DistributedDataParallel wraps).

The loss over the global batch is :class:`dtu_audio.losses.RetrievalLoss`'s job.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
import torch.distributed as dist
from torch import nn
from torch.nn.parallel import DistributedDataParallel

from dtu_audio.datasets.temporal_pairs import PAIRS_PER_SIDE
from dtu_audio.datasets.training import CaptionBatch
from dtu_audio.losses import LossTerms, RetrievalLoss
from dtu_audio.training.distributed import global_max


@dataclass
class BatchEmbeddings:
    """Local embeddings of a batch: audio ``[B, D]``, captions ``[B, D]``, extras ``[M, 4, D]`` of rows ``[M]``."""

    audio: torch.Tensor
    text: torch.Tensor
    extras: torch.Tensor
    extra_rows: torch.Tensor
    temperature: torch.Tensor


class TrainingForward(nn.Module):
    """Encodes a batch through ``model`` in one ``forward`` (what DistributedDataParallel wraps)."""

    def __init__(self, model: nn.Module) -> None:
        super().__init__()
        self.model = model

    def forward(self, waveforms: torch.Tensor, captions: list[str], extras: list[list[str]]) -> BatchEmbeddings:
        audio = self.model.encode_audio(waveforms)
        sentences = captions + [s for group in extras if group for s in group]
        text = self.model.encode_text(sentences)
        rows = [i for i, group in enumerate(extras) if group]
        extra = text[len(captions) :].reshape(len(rows), 2 * PAIRS_PER_SIDE, text.shape[-1])
        extra_rows = torch.tensor(rows, dtype=torch.long).to(text.device, non_blocking=True)
        return BatchEmbeddings(audio, text[: len(captions)], extra, extra_rows, self.model.temp.clone())


def batch_waveforms(batch: CaptionBatch, device: torch.device) -> torch.Tensor:
    """The batch's waveforms on ``device``, zero-padded to the longest clip of the global batch."""
    waveforms = batch.waveforms.to(device, non_blocking=True)
    longest = global_max(waveforms.shape[1], device)
    return torch.nn.functional.pad(waveforms, (0, longest - waveforms.shape[1]))


def freeze_audioset_head(model: nn.Module) -> None:
    """Stop gradients to HTSAT's AudioSet classifier: kept for the checkpoint layout, unused by retrieval."""
    audio = model.audio_encoder.audio_enc
    for module in (audio.tscam_conv, audio.head):
        module.requires_grad_(False)


def training_forward(model: nn.Module, device: torch.device) -> nn.Module:
    """:class:`TrainingForward` of ``model``, inside DistributedDataParallel when several processes run.

    The AudioSet head is frozen first, so every trainable parameter gets a gradient each step.
    """
    freeze_audioset_head(model)
    forward = TrainingForward(model)
    if not (dist.is_initialized() and dist.get_world_size() > 1):
        return forward
    ids = [device.index] if device.type == "cuda" else None
    return DistributedDataParallel(forward, device_ids=ids)


def batch_loss(loss: RetrievalLoss, out: BatchEmbeddings, batch: CaptionBatch) -> LossTerms:
    """``loss`` of the embeddings ``out`` of ``batch``."""
    ids = batch.audio_ids.to(out.audio.device, non_blocking=True)
    return loss(out.audio, out.text, ids, out.temperature, out.extras, out.extra_rows)
