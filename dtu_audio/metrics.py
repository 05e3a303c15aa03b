"""Retrieval metrics of the WavCaps evaluation, vectorised and chunked.

The numbers equal those of the original ``t2a``/``a2t`` (WavCaps ``retrieval/tools/utils.py``):
cosine similarity in float32, ranks counted from 1, R@k in percent, ``medR`` the floor of
the median 0-based rank plus one, ``meanR`` the mean rank, and mAP@10 as there: for text to
audio ``1 / rank`` when the rank is at most 10, for audio to text the sum over the audio's
captions found in the top 10 of ``(hits so far) / rank`` divided by the captions per audio.

Ties (which the original leaves to ``np.argsort``) go against the correct item: a gallery item
scored exactly like it is ranked before it (an audio's own captions that tie among themselves
keep their order), so a collapsed model with identical embeddings gets the worst ranks. A NaN
similarity (a NaN embedding) counts as the lowest score, so it is never a hit.

Similarities are computed block by block on the device (``queries x gallery`` blocks of at
most ``block_elements`` entries, in full float32 even where TF32 is enabled) and ranks are
counted by comparison and top-k, so memory stays bounded (100,000 audios x 500,000 captions
included) and there is no Python loop over queries. :func:`retrieval_metrics` scores both
directions from one pass over the similarities.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import NamedTuple

import numpy as np
import torch
import torch.nn.functional as F

from dtu_audio.errors import DtuError
from dtu_audio.resolve import resolve_device

METRIC_KEYS = ("R1", "R5", "R10", "R50", "medR", "meanR", "mAP10")
BLOCK_ELEMENTS = {"cpu": 1 << 22, "cuda": 1 << 26}


def _device(device: str | torch.device | None) -> torch.device:
    return resolve_device("auto") if device is None else torch.device(device)


@contextmanager
def _full_float32() -> Iterator[None]:
    previous = torch.get_float32_matmul_precision()
    torch.set_float32_matmul_precision("highest")
    try:
        yield
    finally:
        torch.set_float32_matmul_precision(previous)


def _block_elements(block_elements: int | None, device: torch.device) -> int:
    if block_elements is not None:
        return block_elements
    return BLOCK_ELEMENTS.get(device.type, BLOCK_ELEMENTS["cpu"])


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


def _similarities(queries: torch.Tensor, gallery: torch.Tensor) -> torch.Tensor:
    """``queries @ gallery.T`` with NaN scores made the lowest possible."""
    return torch.nan_to_num_(queries @ gallery.T, nan=-torch.inf)


def _blocks(num_queries: int, gallery_size: int, block_elements: int) -> Iterator[slice]:
    rows = max(1, block_elements // max(1, gallery_size))
    for start in range(0, num_queries, rows):
        yield slice(start, min(start + rows, num_queries))


def text_to_audio_ranks(
    audio_embeds,
    caption_embeds,
    captions_per_audio: int,
    device: str | torch.device | None = None,
    block_elements: int | None = None,
) -> torch.Tensor:
    """Rank (from 1) of each caption's own audio among all audios: int64 ``[num_captions]`` on CPU."""
    device = _device(device)
    audio, captions = _prepare(audio_embeds, caption_embeds, captions_per_audio, device)
    with _full_float32():
        return _text_to_audio_ranks(audio, captions, captions_per_audio, _block_elements(block_elements, device))


def _text_to_audio_ranks(audio: torch.Tensor, captions: torch.Tensor, k: int, block_elements: int) -> torch.Tensor:
    ranks = []
    for rows in _blocks(captions.shape[0], audio.shape[0], block_elements):
        scores = _similarities(captions[rows], audio)
        target = torch.arange(rows.start, rows.stop, device=audio.device) // k
        correct = scores.gather(1, target[:, None])
        ranks.append((scores >= correct).sum(1).cpu())
    return torch.cat(ranks)


class AudioToTextRanks(NamedTuple):
    """Ranks (from 1) of audio-to-text retrieval."""

    best: torch.Tensor
    """Rank of the audio's best-placed caption, int64 ``[num_audios]``."""
    top10: torch.Tensor
    """Rank of each of the audio's captions when at most 10, else 0, int64 ``[num_audios, captions_per_audio]``."""


def audio_to_text_ranks(
    audio_embeds,
    caption_embeds,
    captions_per_audio: int,
    device: str | torch.device | None = None,
    block_elements: int | None = None,
) -> AudioToTextRanks:
    """Where each audio's captions land among all captions (see :class:`AudioToTextRanks`)."""
    device = _device(device)
    audio, captions = _prepare(audio_embeds, caption_embeds, captions_per_audio, device)
    with _full_float32():
        return _audio_to_text_ranks(audio, captions, captions_per_audio, _block_elements(block_elements, device))


def _placed_ranks(correct: torch.Tensor, top: torch.Tensor, gallery_size: int) -> tuple[torch.Tensor, torch.Tensor]:
    """Ranks of each audio's own captions that its ``top`` scores (descending) place exactly.

    A caption scored like one of the audio's own goes before it, and the audio's own captions that tie
    keep their order, so an own caption's rank is (#scores >= its score) - (#own captions tied with it
    and listed after it). An own caption scored above the last of the top 10 + k scores (or any, when
    the top holds the whole gallery) is placed by the top scores alone; the others rank below 10.
    Returns the best rank (0 when no own caption is placed) and the ranks up to 10 (0 beyond).
    """
    k = correct.shape[1]
    later = torch.ones(k, k, dtype=torch.bool, device=correct.device).triu(1)
    placed = (correct > top[:, -1:]) | (top.shape[1] == gallery_size)
    tied_later = ((correct[:, :, None] == correct[:, None, :]) & later).sum(2)
    ranks = (top[:, None, :] >= correct[:, :, None]).sum(2) - tied_later
    best = torch.where(placed, ranks, gallery_size + 1).min(1).values
    return torch.where(best > gallery_size, 0, best), torch.where(placed & (ranks <= 10), ranks, 0)


def _audio_to_text_ranks(
    audio: torch.Tensor, captions: torch.Tensor, k: int, block_elements: int, audio_ids: torch.Tensor | None = None
) -> AudioToTextRanks:
    # Only the best rank needs a count over the whole row; the others matter only within the top 10.
    if audio_ids is None:
        audio_ids = torch.arange(audio.shape[0], device=audio.device)
    top_count = min(captions.shape[0], 10 + k)
    best, top10 = [], []
    for rows in _blocks(audio.shape[0], captions.shape[0], block_elements):
        scores = _similarities(audio[rows], captions)
        correct = scores.gather(1, audio_ids[rows, None] * k + torch.arange(k, device=audio.device))
        highest = correct.max(1, keepdim=True).values
        best.append(((scores >= highest).sum(1) - (correct == highest).sum(1) + 1).cpu())
        top10.append(_placed_ranks(correct, scores.topk(top_count, dim=1).values, captions.shape[0])[1].cpu())
    return AudioToTextRanks(torch.cat(best), torch.cat(top10))


def _both_directions(
    audio: torch.Tensor, captions: torch.Tensor, k: int, block_elements: int
) -> tuple[torch.Tensor, AudioToTextRanks]:
    # One pass over caption blocks scores text to audio and keeps, per audio, its own captions' scores and
    # its top 10 + k scores over all captions; only the audios whose best caption falls below those are
    # scored again, row by row, for their exact best rank.
    num_audios, num_captions = audio.shape[0], captions.shape[0]
    top_count = min(num_captions, 10 + k)
    top = torch.full((0, num_audios), -torch.inf, device=audio.device)
    own = torch.empty(num_captions, device=audio.device)
    text_to_audio = []
    for rows in _blocks(num_captions, num_audios, block_elements):
        scores = _similarities(captions[rows], audio)
        correct = scores.gather(1, (torch.arange(rows.start, rows.stop, device=audio.device) // k)[:, None])
        text_to_audio.append((scores >= correct).sum(1).cpu())
        own[rows] = correct[:, 0]
        block_top = scores.topk(min(top_count, scores.shape[0]), dim=0).values
        merged = torch.cat([top, block_top])
        top = merged.topk(min(top_count, merged.shape[0]), dim=0).values
    best, top10 = _placed_ranks(own.view(num_audios, k), top.T.contiguous(), num_captions)
    unplaced = (best == 0).nonzero()[:, 0]
    if unplaced.numel():
        rescored = _audio_to_text_ranks(audio[unplaced], captions, k, block_elements, audio_ids=unplaced)
        best[unplaced] = rescored.best.to(best.device)
        top10[unplaced] = rescored.top10.to(top10.device)
    return torch.cat(text_to_audio), AudioToTextRanks(best.cpu(), top10.cpu())


def _summary(best_ranks: np.ndarray, average_precision: np.ndarray) -> dict[str, float]:
    zero_based = best_ranks.astype(np.float64) - 1
    count = len(zero_based)
    return {
        "R1": float(100.0 * np.count_nonzero(zero_based < 1) / count),
        "R5": float(100.0 * np.count_nonzero(zero_based < 5) / count),
        "R10": float(100.0 * np.count_nonzero(zero_based < 10) / count),
        "R50": float(100.0 * np.count_nonzero(zero_based < 50) / count),
        "medR": float(np.floor(np.median(zero_based)) + 1),
        "meanR": float(zero_based.mean() + 1),
        "mAP10": float(100.0 * np.sum(average_precision) / count),
    }


def text_to_audio_summary(ranks: torch.Tensor) -> dict[str, float]:
    """Metrics from the ranks of :func:`text_to_audio_ranks`."""
    ranks = ranks.numpy().astype(np.float64)
    return _summary(ranks, np.where(ranks <= 10, 1.0 / ranks, 0.0))


def audio_to_text_summary(ranks: AudioToTextRanks) -> dict[str, float]:
    """Metrics from the ranks of :func:`audio_to_text_ranks`."""
    top10 = ranks.top10.numpy().astype(np.float64)
    top10 = np.sort(np.where(top10 > 0, top10, np.inf), axis=1)
    hits_so_far = np.arange(1, top10.shape[1] + 1, dtype=np.float64)
    precision = np.where(np.isfinite(top10), hits_so_far / top10, 0.0)
    return _summary(ranks.best.numpy(), precision.sum(1) / top10.shape[1])


def text_to_audio(
    audio_embeds,
    caption_embeds,
    captions_per_audio: int,
    device: str | torch.device | None = None,
    block_elements: int | None = None,
) -> dict[str, float]:
    """Text-to-audio metrics (keys :data:`METRIC_KEYS`).

    ``audio_embeds`` has one row per audio; caption k of audio i is row ``captions_per_audio * i + k``.
    """
    return text_to_audio_summary(
        text_to_audio_ranks(audio_embeds, caption_embeds, captions_per_audio, device, block_elements)
    )


def audio_to_text(
    audio_embeds,
    caption_embeds,
    captions_per_audio: int,
    device: str | torch.device | None = None,
    block_elements: int | None = None,
) -> dict[str, float]:
    """Audio-to-text metrics, laid out as :func:`text_to_audio`."""
    return audio_to_text_summary(
        audio_to_text_ranks(audio_embeds, caption_embeds, captions_per_audio, device, block_elements)
    )


def retrieval_metrics(
    audio_embeds,
    caption_embeds,
    captions_per_audio: int,
    device: str | torch.device | None = None,
    block_elements: int | None = None,
) -> dict[str, dict[str, float]]:
    """Both directions at once: ``{"t2a": {...}, "a2t": {...}}``, inputs laid out as :func:`text_to_audio`."""
    device = _device(device)
    audio, captions = _prepare(audio_embeds, caption_embeds, captions_per_audio, device)
    block_elements = _block_elements(block_elements, device)
    with _full_float32():
        t2a, a2t = _both_directions(audio, captions, captions_per_audio, block_elements)
    return {"t2a": text_to_audio_summary(t2a), "a2t": audio_to_text_summary(a2t)}
