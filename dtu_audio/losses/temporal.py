"""The paper's temporal-order loss: pull captions towards same-order paraphrases, away from reversals."""

from __future__ import annotations

import torch


def temporal_hinge(caption_embeds: torch.Tensor, extra_embeds: torch.Tensor, margin: float = 0.2) -> torch.Tensor:
    """Per-row hinge ``[N, K]``: ``relu(margin - <q, p_k> + <q, n_k>)`` for ``[N, 2K, D]`` extras, positives first."""
    n = caption_embeds.shape[0]
    if extra_embeds.dim() != 3 or extra_embeds.shape[1] % 2 or extra_embeds.shape[0] != n:
        raise ValueError(f"extra_embeds must be [N, 2K, D] for N={n}; got {tuple(extra_embeds.shape)}")
    k = extra_embeds.shape[1] // 2
    sims = torch.einsum("nd,nmd->nm", caption_embeds, extra_embeds)
    return torch.relu(margin - sims[:, :k] + sims[:, k:])


def temporal_margin_loss(caption_embeds: torch.Tensor, extra_embeds: torch.Tensor, margin: float = 0.2) -> torch.Tensor:
    """The paper's temporal loss: ``sum over k of mean over rows`` of :func:`temporal_hinge`.

    ``caption_embeds`` is ``[N, D]``, ``extra_embeds`` ``[N, 4, D]`` (2 positives, then 2
    negatives). Zero, with a gradient path, when ``N`` is 0.
    """
    hinge = temporal_hinge(caption_embeds, extra_embeds, margin)
    if hinge.shape[0] == 0:
        return hinge.sum()
    return hinge.mean(dim=0).sum()
