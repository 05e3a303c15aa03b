"""The paper's temporal-order loss: pull captions towards same-order paraphrases, away from reversals."""

from __future__ import annotations

import torch


def temporal_margin_loss(caption_embeds: torch.Tensor, extra_embeds: torch.Tensor, margin: float = 0.2) -> torch.Tensor:
    """Margin loss of ``[N, D]`` caption embeddings against ``[N, 2K, D]`` extra sentence embeddings.

    ``extra_embeds[:, :K]`` are positives (same event order), ``extra_embeds[:, K:]`` negatives
    (order reversed). Returns ``sum over k of mean over rows of relu(margin - <q, p_k> + <q, n_k>)``;
    zero (with a gradient path) when ``N`` is 0.
    """
    if extra_embeds.dim() != 3 or extra_embeds.shape[1] % 2 or extra_embeds.shape[0] != caption_embeds.shape[0]:
        raise ValueError(
            f"extra_embeds must be [N, 2K, D] for N={caption_embeds.shape[0]}; got {tuple(extra_embeds.shape)}"
        )
    if caption_embeds.shape[0] == 0:
        return caption_embeds.sum() * 0.0
    k = extra_embeds.shape[1] // 2
    sims = torch.einsum("nd,nmd->nm", caption_embeds, extra_embeds)
    hinge = torch.relu(margin - sims[:, :k] + sims[:, k:])
    return hinge.mean(dim=0).sum()
