"""Temporal diagnostics: does the audio prefer a caption over its order-altered version, and is it listening.

Every statistic is over caption pairs (an original caption and its altered version, under the audio
of their clip), with the intervals of :mod:`dtu_audio.evaluation.statistics`.
"""

from __future__ import annotations

import numpy as np
import torch
import torch.nn.functional as F

from dtu_audio.evaluation.statistics import paired_difference, summarise


def pair_outcomes(
    audio_embeds: torch.Tensor, caption_embeds: torch.Tensor, altered_embeds: torch.Tensor, audio_index: torch.Tensor
) -> np.ndarray:
    """Whether audio ``audio_index[p]`` scores ``caption_embeds[p]`` above ``altered_embeds[p]`` (ties miss)."""
    index = torch.as_tensor(audio_index, dtype=torch.long)
    audio = F.normalize(torch.as_tensor(audio_embeds, dtype=torch.float32)[index], dim=1)
    original = (audio * F.normalize(torch.as_tensor(caption_embeds, dtype=torch.float32), dim=1)).sum(1)
    altered = (audio * F.normalize(torch.as_tensor(altered_embeds, dtype=torch.float32), dim=1)).sum(1)
    return (original > altered).numpy()


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
    counts as a miss. Returns ``accuracy``, ``ci95`` (see :func:`summarise`), ``pairs`` and ``audios``.
    """
    index = torch.as_tensor(audio_index, dtype=torch.long)
    correct = pair_outcomes(audio_embeds, caption_embeds, altered_embeds, index)
    return summarise(correct, index.numpy(), bootstrap_samples, seed)


def other_clips(num_clips: int, seed: int) -> np.ndarray:
    """For every clip a different clip drawn at random (seeded); the identity when there is only one clip."""
    if num_clips < 2:
        return np.arange(num_clips)
    offsets = np.random.default_rng(seed).integers(1, num_clips, size=num_clips)
    return (np.arange(num_clips) + offsets) % num_clips


def grounding_control(
    audio_embeds: torch.Tensor,
    caption_embeds: torch.Tensor,
    altered_embeds: torch.Tensor,
    audio_index: torch.Tensor,
    correct: np.ndarray,
    bootstrap_samples: int = 1000,
    seed: int = 0,
) -> dict:
    """Order accuracy with every clip's audio swapped for a different random clip's, and the grounded difference.

    A model that prefers the original caption as often with the wrong audio prefers the text, not what it
    hears: ``grounded`` (true audio minus shuffled audio, points, paired bootstrap interval) is then near 0.
    """
    index = torch.as_tensor(audio_index, dtype=torch.long)
    swap = torch.from_numpy(other_clips(len(audio_embeds), seed))
    shuffled = pair_outcomes(audio_embeds, caption_embeds, altered_embeds, swap[index])
    clips = index.numpy()
    return {
        "shuffled_audio": {**summarise(shuffled, clips, bootstrap_samples, seed), "seed": seed},
        "grounded": paired_difference(correct, shuffled, clips, bootstrap_samples, seed),
    }


def recall_changes(original: dict[str, dict[str, float]], altered: dict[str, dict[str, float]]) -> dict:
    """Change of every metric from the original captions to the altered ones (``altered - original``)."""
    return {
        direction: {key: altered[direction][key] - value for key, value in scores.items()}
        for direction, scores in original.items()
    }
