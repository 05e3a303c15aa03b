"""The audio-text contrastive loss of WavCaps and its embedding regulariser."""

from __future__ import annotations

import torch
import torch.nn.functional as F


def contrastive_loss(
    audio_embeds: torch.Tensor, text_embeds: torch.Tensor, audio_ids: torch.Tensor, temperature: torch.Tensor | float
) -> torch.Tensor:
    """Symmetric cross-entropy of ``[N, D]`` audio vs text embeddings with soft targets.

    Row ``i`` of both is one (audio, caption) pair; captions of the same audio id are all
    positives (targets ``eq(id, id^T) / row sum``). The loss is the mean of the audio-to-text
    and text-to-audio cross-entropies of the similarities divided by ``temperature``.
    """
    ids = audio_ids.view(-1, 1)
    positives = torch.eq(ids, ids.t()).to(audio_embeds.dtype)
    targets = positives / positives.sum(dim=1, keepdim=True)
    sim_a2t = audio_embeds @ text_embeds.t() / temperature
    sim_t2a = text_embeds @ audio_embeds.t() / temperature
    loss_a2t = -(F.log_softmax(sim_a2t, dim=1) * targets).sum(dim=1).mean()
    loss_t2a = -(F.log_softmax(sim_t2a, dim=1) * targets).sum(dim=1).mean()
    return (loss_a2t + loss_t2a) / 2


def embedding_regularisation(audio_embeds: torch.Tensor, text_embeds: torch.Tensor) -> torch.Tensor:
    """The original regulariser: ``mean(|a|) / ||a||_F`` plus the same for the text embeddings."""
    audio_term = audio_embeds.abs().mean() / audio_embeds.pow(2).sum().sqrt()
    text_term = text_embeds.abs().mean() / text_embeds.pow(2).sum().sqrt()
    return audio_term + text_term
