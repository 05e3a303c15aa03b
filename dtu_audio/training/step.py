"""One training step's maths: encode a batch, gather it across processes, sum the paper's losses."""

from __future__ import annotations

from dataclasses import dataclass

import torch
import torch.distributed as dist
from torch import nn
from torch.nn.parallel import DistributedDataParallel

from dtu_audio.datasets.temporal_pairs import PAIRS_PER_SIDE
from dtu_audio.datasets.training import CaptionBatch
from dtu_audio.losses import contrastive_loss, embedding_regularisation, temporal_hinge
from dtu_audio.training.distributed import gather_ids, gather_with_grad, global_max, sum_with_grad


@dataclass
class BatchEmbeddings:
    """Local embeddings of a batch: audio ``[B, D]``, captions ``[B, D]``, extras ``[M, 4, D]``."""

    audio: torch.Tensor
    text: torch.Tensor
    extras: torch.Tensor
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
        groups = sum(1 for group in extras if group)
        extra = text[len(captions) :].reshape(groups, 2 * PAIRS_PER_SIDE, text.shape[-1])
        return BatchEmbeddings(audio, text[: len(captions)], extra, self.model.temp.clone())


def batch_waveforms(batch: CaptionBatch, device: torch.device) -> torch.Tensor:
    """The batch's waveforms on ``device``, zero-padded to the longest clip of the global batch."""
    waveforms = batch.waveforms.to(device, non_blocking=True)
    longest = global_max(waveforms.shape[1], device)
    return torch.nn.functional.pad(waveforms, (0, longest - waveforms.shape[1]))


def training_forward(model: nn.Module, device: torch.device) -> nn.Module:
    """:class:`TrainingForward` of ``model``, inside DistributedDataParallel when several processes run."""
    forward = TrainingForward(model)
    if not (dist.is_initialized() and dist.get_world_size() > 1):
        return forward
    ids = [device.index] if device.type == "cuda" else None
    # HTSAT's AudioSet head is kept for the checkpoint layout but plays no part in the embeddings
    return DistributedDataParallel(forward, device_ids=ids, find_unused_parameters=True)


@dataclass
class StepLosses:
    """The loss terms of a step (each the same on every process)."""

    total: torch.Tensor
    contrastive: torch.Tensor
    regularisation: torch.Tensor
    temporal: torch.Tensor

    def as_floats(self) -> dict[str, float]:
        return {k: float(v.detach()) for k, v in vars(self).items()}


def step_losses(
    out: BatchEmbeddings,
    batch: CaptionBatch,
    temporal_lambda: float,
    margin: float,
    regularise: bool,
) -> StepLosses:
    """The paper's loss on the global batch: contrastive (+ regulariser) + lambda x temporal.

    Embeddings are gathered across processes with their gradient, and the temporal mean is
    taken over every caption with extras in the global batch, so the value does not depend on
    how many processes share the batch.
    """
    audio, text = out.audio.float(), out.text.float()
    ids = gather_ids(batch.audio_ids.to(audio.device))
    all_audio, all_text = gather_with_grad(audio), gather_with_grad(text)
    contrastive = contrastive_loss(all_audio, all_text, ids, out.temperature)
    zero = contrastive.new_zeros(())
    regularisation = embedding_regularisation(all_audio, all_text) if regularise else zero
    temporal = zero
    if temporal_lambda > 0:
        rows = [i for i, group in enumerate(batch.extras) if group]
        hinge = temporal_hinge(text[rows], out.extras.float(), margin)
        totals = sum_with_grad(torch.cat([hinge.sum(dim=0), hinge.new_tensor([hinge.shape[0]])]))
        if totals[-1] > 0:
            temporal = (totals[:-1] / totals[-1]).sum()
    total = contrastive + regularisation + temporal_lambda * temporal
    return StepLosses(total, contrastive, regularisation, temporal)
