"""Accuracy over caption pairs with percentile bootstrap 95% intervals that resample clips.

A clip's captions move together in every resampling, so clips with many captions do not narrow an
interval more than their number allows.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

_BOOTSTRAP_ELEMENTS = 1 << 24


def clip_bootstrap(values: np.ndarray, clips: np.ndarray, samples: int, seed: int) -> list[float] | None:
    """Percentile 95% interval of ``100 * mean(values)`` over ``samples`` resamplings of the clips."""
    if samples <= 0 or len(values) == 0:
        return None
    _, group = np.unique(clips, return_inverse=True)
    sums = np.bincount(group, weights=np.asarray(values, dtype=np.float64))
    counts = np.bincount(group).astype(np.float64)
    rng = np.random.default_rng(seed)
    per_draw = max(1, _BOOTSTRAP_ELEMENTS // len(sums))
    resampled = []
    for start in range(0, samples, per_draw):
        draws = rng.integers(0, len(sums), size=(min(per_draw, samples - start), len(sums)))
        resampled.append(100.0 * sums[draws].sum(1) / counts[draws].sum(1))
    return [float(v) for v in np.percentile(np.concatenate(resampled), [2.5, 97.5])]


def summarise(correct: np.ndarray, clips: np.ndarray, samples: int = 1000, seed: int = 0) -> dict:
    """``accuracy`` (%), its ``ci95``, ``pairs`` and ``audios`` of pair outcomes; ``None`` values without pairs."""
    correct = np.asarray(correct, dtype=bool)
    if correct.size == 0:
        return {"accuracy": None, "ci95": None, "pairs": 0, "audios": 0}
    return {
        "accuracy": float(100.0 * correct.mean()),
        "ci95": clip_bootstrap(correct, clips, samples, seed),
        "pairs": int(correct.size),
        "audios": len(np.unique(clips)),
    }


def paired_difference(first: np.ndarray, second: np.ndarray, clips: np.ndarray, samples: int, seed: int) -> dict:
    """``first - second`` in points (accuracy over the same pairs) with a paired bootstrap 95% interval."""
    delta = np.asarray(first, dtype=np.float64) - np.asarray(second, dtype=np.float64)
    if delta.size == 0:
        return {"difference": None, "ci95": None}
    return {"difference": float(100.0 * delta.mean()), "ci95": clip_bootstrap(delta, clips, samples, seed)}


def breakdown(
    correct: np.ndarray,
    clips: np.ndarray,
    labels: Sequence[str | None],
    order: Sequence[str] = (),
    samples: int = 1000,
    seed: int = 0,
) -> dict[str, dict]:
    """Order accuracy per label; pairs labelled ``None`` are left out; labels in ``order``, then as they come."""
    present = [label for label in dict.fromkeys(labels) if label is not None]
    ranked = [label for label in order if label in present] + [label for label in present if label not in order]
    marks = np.asarray(labels, dtype=object)
    return {label: summarise(correct[marks == label], clips[marks == label], samples, seed) for label in ranked}
