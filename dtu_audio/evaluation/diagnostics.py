"""Temporal diagnostics: does the audio prefer a caption over its order-altered version, and what it costs."""

from __future__ import annotations

import numpy as np
import torch
import torch.nn.functional as F

_BOOTSTRAP_ELEMENTS = 1 << 24


def order_accuracy(
    audio_embeds: torch.Tensor,
    caption_embeds: torch.Tensor,
    altered_embeds: torch.Tensor,
    audio_index: torch.Tensor,
    bootstrap_samples: int = 1000,
    seed: int = 0,
) -> dict:
    """Share (%) of audio-caption pairs where the audio scores the caption above its altered version.

    Pair ``p`` compares ``caption_embeds[p]`` with ``altered_embeds[p]`` under audio ``audio_index[p]``; a tie
    counts as a miss. The 95% interval is a percentile bootstrap that resamples audios (a clip's captions
    move together), ``bootstrap_samples`` times with a fixed ``seed``. Returns ``accuracy``, ``ci95``,
    ``pairs`` and ``audios``; ``None`` values when there is no pair.
    """
    audio_index = torch.as_tensor(audio_index, dtype=torch.long)
    if audio_index.numel() == 0:
        return {"accuracy": None, "ci95": None, "pairs": 0, "audios": 0}
    audio = F.normalize(torch.as_tensor(audio_embeds, dtype=torch.float32)[audio_index], dim=1)
    original = (audio * F.normalize(torch.as_tensor(caption_embeds, dtype=torch.float32), dim=1)).sum(1)
    altered = (audio * F.normalize(torch.as_tensor(altered_embeds, dtype=torch.float32), dim=1)).sum(1)
    correct = (original > altered).numpy()

    audios, group = np.unique(audio_index.numpy(), return_inverse=True)
    hits = np.bincount(group, weights=correct, minlength=len(audios))
    pairs = np.bincount(group, minlength=len(audios)).astype(np.float64)
    interval = None
    if bootstrap_samples > 0:
        rng = np.random.default_rng(seed)
        per_draw = max(1, _BOOTSTRAP_ELEMENTS // len(audios))
        resampled = []
        for start in range(0, bootstrap_samples, per_draw):
            draws = rng.integers(0, len(audios), size=(min(per_draw, bootstrap_samples - start), len(audios)))
            resampled.append(100.0 * hits[draws].sum(1) / pairs[draws].sum(1))
        interval = [float(v) for v in np.percentile(np.concatenate(resampled), [2.5, 97.5])]
    return {
        "accuracy": float(100.0 * correct.mean()),
        "ci95": interval,
        "pairs": int(correct.size),
        "audios": len(audios),
    }


def recall_changes(original: dict[str, dict[str, float]], altered: dict[str, dict[str, float]]) -> dict:
    """Change of every metric from the original captions to the altered ones (``altered - original``)."""
    return {
        direction: {key: altered[direction][key] - value for key, value in scores.items()}
        for direction, scores in original.items()
    }
