"""Retrieval metrics of the WavCaps evaluation, vectorised and chunked.

The numbers equal those of the original ``t2a``/``a2t`` (WavCaps ``retrieval/tools/utils.py``):
cosine similarity in float32, ranks counted from 1, R@k in percent, ``medR`` the floor of
the median 0-based rank plus one, ``meanR`` the mean rank, and mAP@10 as there: for text to
audio ``1 / rank`` when the rank is at most 10, for audio to text the sum over the audio's
captions found in the top 10 of ``(hits so far) / rank`` divided by the captions per audio.

Ties are broken against the query: a gallery item scored exactly like the correct one is
ranked before it (and an audio's own captions that tie among themselves keep their order),
so a collapsed model with identical embeddings gets the worst ranks, never perfect ones.

Similarities are computed block by block on the device (``queries x gallery`` blocks of at
most ``block_elements`` entries) and ranks are counted by comparison, so memory stays
bounded for 100,000 audios x 500,000 captions and there is no Python loop over queries.
"""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np
import torch
import torch.nn.functional as F

from dtu_audio.errors import DtuError

METRIC_KEYS = ("R1", "R5", "R10", "R50", "medR", "meanR", "mAP10")
DEFAULT_BLOCK_ELEMENTS = 1 << 26


def _default_device() -> torch.device:
    return torch.device("cuda" if torch.cuda.is_available() else "cpu")


def _prepare(
    audio_embeds, caption_embeds, captions_per_audio: int, device: torch.device
) -> tuple[torch.Tensor, torch.Tensor]:
    audio = torch.as_tensor(audio_embeds)
    captions = torch.as_tensor(caption_embeds)
    if audio.ndim != 2 or captions.ndim != 2:
        raise DtuError("audio and caption embeddings must be 2-d tensors [rows, dim]")
    if audio.shape[1] != captions.shape[1]:
        raise DtuError(f"audio embeddings are {audio.shape[1]}-d but caption embeddings are {captions.shape[1]}-d")
    if captions_per_audio < 1:
        raise DtuError(f"captions_per_audio must be at least 1, not {captions_per_audio}")
    expected = audio.shape[0] * captions_per_audio
    if captions.shape[0] > expected:
        raise DtuError(
            f"captions {expected} to {captions.shape[0] - 1} have no audio in the gallery: "
            f"{audio.shape[0]} audios x {captions_per_audio} captions = {expected} caption rows, "
            f"got {captions.shape[0]}"
        )
    if captions.shape[0] < expected:
        raise DtuError(
            f"audios {captions.shape[0] // captions_per_audio} to {audio.shape[0] - 1} lack captions: "
            f"expected {expected} caption rows ({captions_per_audio} per audio), got {captions.shape[0]}"
        )
    if audio.shape[0] == 0:
        raise DtuError("no audio to evaluate")
    audio = F.normalize(audio.to(device=device, dtype=torch.float32), dim=1)
    captions = F.normalize(captions.to(device=device, dtype=torch.float32), dim=1)
    return audio, captions


def _blocks(num_queries: int, gallery_size: int, block_elements: int) -> Iterator[slice]:
    rows = max(1, block_elements // max(1, gallery_size))
    for start in range(0, num_queries, rows):
        yield slice(start, min(start + rows, num_queries))


def text_to_audio_ranks(
    audio_embeds,
    caption_embeds,
    captions_per_audio: int,
    device: str | torch.device | None = None,
    block_elements: int = DEFAULT_BLOCK_ELEMENTS,
) -> torch.Tensor:
    """Rank (from 1) of each caption's own audio among all audios: int64 ``[num_captions]`` on CPU."""
    device = torch.device(device) if device is not None else _default_device()
    audio, captions = _prepare(audio_embeds, caption_embeds, captions_per_audio, device)
    ranks = []
    for rows in _blocks(captions.shape[0], audio.shape[0], block_elements):
        scores = captions[rows] @ audio.T
        target = torch.arange(rows.start, rows.stop, device=device) // captions_per_audio
        correct = scores.gather(1, target[:, None])
        ranks.append((scores >= correct).sum(1).cpu())
    return torch.cat(ranks)


def audio_to_text_ranks(
    audio_embeds,
    caption_embeds,
    captions_per_audio: int,
    device: str | torch.device | None = None,
    block_elements: int = DEFAULT_BLOCK_ELEMENTS,
) -> torch.Tensor:
    """Rank (from 1) of each of an audio's captions among all captions: int64 ``[num_audios, captions_per_audio]``."""
    device = torch.device(device) if device is not None else _default_device()
    audio, captions = _prepare(audio_embeds, caption_embeds, captions_per_audio, device)
    k = captions_per_audio
    later = torch.ones(k, k, dtype=torch.bool, device=device).triu(1)
    ranks = []
    for rows in _blocks(audio.shape[0], captions.shape[0], block_elements):
        scores = audio[rows] @ captions.T
        own = torch.arange(rows.start * k, rows.stop * k, device=device).view(-1, k)
        correct = scores.gather(1, own)
        at_or_above = torch.stack([(scores >= correct[:, j, None]).sum(1) for j in range(k)], dim=1)
        tied_later = ((correct[:, :, None] == correct[:, None, :]) & later).sum(2)
        ranks.append((at_or_above - tied_later).cpu())
    return torch.cat(ranks)


def _summary(best_ranks: np.ndarray, average_precision: np.ndarray) -> dict[str, float]:
    zero_based = best_ranks.astype(np.float64) - 1
    count = len(zero_based)
    return {
        "R1": 100.0 * np.count_nonzero(zero_based < 1) / count,
        "R5": 100.0 * np.count_nonzero(zero_based < 5) / count,
        "R10": 100.0 * np.count_nonzero(zero_based < 10) / count,
        "R50": 100.0 * np.count_nonzero(zero_based < 50) / count,
        "medR": float(np.floor(np.median(zero_based)) + 1),
        "meanR": float(zero_based.mean() + 1),
        "mAP10": float(100.0 * np.sum(average_precision) / count),
    }


def text_to_audio_summary(ranks: torch.Tensor) -> dict[str, float]:
    """Metrics from the ranks of :func:`text_to_audio_ranks`."""
    ranks = ranks.numpy().astype(np.float64)
    return _summary(ranks, np.where(ranks <= 10, 1.0 / ranks, 0.0))


def audio_to_text_summary(ranks: torch.Tensor) -> dict[str, float]:
    """Metrics from the ranks of :func:`audio_to_text_ranks` (best caption rank per audio, AP over all)."""
    ranks = np.sort(ranks.numpy().astype(np.float64), axis=1)
    hits_so_far = np.arange(1, ranks.shape[1] + 1, dtype=np.float64)
    precision = np.where(ranks <= 10, hits_so_far / ranks, 0.0)
    return _summary(ranks[:, 0], precision.sum(1) / ranks.shape[1])


def text_to_audio(
    audio_embeds,
    caption_embeds,
    captions_per_audio: int,
    device: str | torch.device | None = None,
    block_elements: int = DEFAULT_BLOCK_ELEMENTS,
) -> dict[str, float]:
    """Text-to-audio metrics (keys :data:`METRIC_KEYS`).

    ``audio_embeds`` has one row per audio; caption k of audio i is row ``captions_per_audio * i + k``.
    """
    ranks = text_to_audio_ranks(audio_embeds, caption_embeds, captions_per_audio, device, block_elements)
    return text_to_audio_summary(ranks)


def audio_to_text(
    audio_embeds,
    caption_embeds,
    captions_per_audio: int,
    device: str | torch.device | None = None,
    block_elements: int = DEFAULT_BLOCK_ELEMENTS,
) -> dict[str, float]:
    """Audio-to-text metrics, laid out as :func:`text_to_audio`."""
    ranks = audio_to_text_ranks(audio_embeds, caption_embeds, captions_per_audio, device, block_elements)
    return audio_to_text_summary(ranks)
