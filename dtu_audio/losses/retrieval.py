"""The paper's training loss over the global batch, in the manner of open_clip's ``ClipLoss``.

:class:`RetrievalLoss` takes one process's embeddings, gathers them across processes with their
gradients, and returns contrastive (+ regulariser) + lambda x temporal, the same value on every
process and for any number of processes sharing the batch. It never waits for the host: every
term stays a tensor on the device.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import nn

from dtu_audio.losses.contrastive import contrastive_loss, embedding_regularisation
from dtu_audio.losses.gather import gather_ids, gather_with_grad, sum_with_grad
from dtu_audio.losses.temporal import temporal_hinge


@dataclass
class LossTerms:
    """The loss terms of a step (each the same on every process), as tensors on the device."""

    total: torch.Tensor
    contrastive: torch.Tensor
    regularisation: torch.Tensor
    temporal: torch.Tensor

    def detached(self) -> dict[str, torch.Tensor]:
        """Every term without its graph, by name (for logging)."""
        return {name: value.detach() for name, value in vars(self).items()}

    def as_floats(self) -> dict[str, float]:
        """Every term as a Python float (waits for the device)."""
        return {name: float(value) for name, value in self.detached().items()}


class RetrievalLoss(nn.Module):
    """Contrastive loss of WavCaps (+ its regulariser) plus ``temporal_lambda`` x the temporal-order loss."""

    def __init__(self, temporal_lambda: float, margin: float = 0.2, regularise: bool = False) -> None:
        super().__init__()
        self.temporal_lambda = temporal_lambda
        self.margin = margin
        self.regularise = regularise

    def forward(
        self,
        audio: torch.Tensor,
        text: torch.Tensor,
        audio_ids: torch.Tensor,
        temperature: torch.Tensor,
        extras: torch.Tensor,
        extra_rows: torch.Tensor,
    ) -> LossTerms:
        """Loss terms of this process's audio ``[B, D]``, captions ``[B, D]`` and their audio ids ``[B]``.

        ``extras`` ``[M, 4, D]`` holds the 2 same-order paraphrases and 2 reversals of the captions at
        ``extra_rows`` ``[M]``. The temporal mean is taken over every such caption of the global batch.
        """
        audio, text = audio.float(), text.float()
        all_audio, all_text = gather_with_grad(audio), gather_with_grad(text)
        contrastive = contrastive_loss(all_audio, all_text, gather_ids(audio_ids), temperature)
        zero = contrastive.new_zeros(())
        regularisation = embedding_regularisation(all_audio, all_text) if self.regularise else zero
        temporal = zero
        if self.temporal_lambda > 0:
            hinge = temporal_hinge(text[extra_rows], extras.float(), self.margin)
            totals = sum_with_grad(torch.cat([hinge.sum(dim=0), hinge.new_tensor([hinge.shape[0]])]))
            temporal = (totals[:-1] / totals[-1].clamp(min=1)).sum()  # 0 when no caption has extras
        total = contrastive + regularisation + self.temporal_lambda * temporal
        return LossTerms(total, contrastive, regularisation, temporal)
