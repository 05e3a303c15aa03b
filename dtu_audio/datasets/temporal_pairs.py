"""Positives and negatives of a caption for the temporal loss: from the paper's JSON or the toolkit.

The paper's JSON maps an audio id to ``{"positive": [...], "negative": [...]}``: sentences with
the same event order and with the order reversed. Each training caption gets 2 of each, sampled
afresh every epoch; a caption without a connective (or with fewer than 2 of either) gets none and
is left out of the temporal loss.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from dtu_audio.errors import DtuError
from dtu_audio.fileio import read_json

PAIRS_PER_SIDE = 2
PosNeg = tuple[list[str], list[str]]


def read_pos_neg_json(path: str | Path) -> dict[str, PosNeg]:
    """Read the paper's positives/negatives JSON: audio id -> (positives, negatives)."""
    raw = read_json(path, "positives/negatives JSON")
    if not isinstance(raw, dict):
        raise DtuError(f"positives/negatives JSON {path} must map audio ids to {{positive, negative}}")
    table = {}
    for audio_id, item in raw.items():
        ok = isinstance(item, dict) and all(
            isinstance(item.get(k), list) and all(isinstance(s, str) for s in item[k]) for k in ("positive", "negative")
        )
        if not ok:
            raise DtuError(f"positives/negatives JSON {path}: {audio_id!r} needs 'positive' and 'negative' lists")
        table[audio_id] = (item["positive"], item["negative"])
    return table


def pos_neg_from_toolkit(captions: list[str]) -> list[PosNeg]:
    """(paraphrases, contradictions) of each caption from the temporal caption toolkit."""
    from dtu_audio.datasets import temporal

    return [(list(temporal.paraphrases(c)), list(temporal.contradictions(c))) for c in captions]


def sample_extras(pos_neg: PosNeg | None, rng: np.random.Generator) -> list[str]:
    """2 positives then 2 negatives drawn without replacement, or ``[]`` when there are too few."""
    if pos_neg is None:
        return []
    positives, negatives = pos_neg
    if len(positives) < PAIRS_PER_SIDE or len(negatives) < PAIRS_PER_SIDE:
        return []
    pick_pos = rng.choice(len(positives), PAIRS_PER_SIDE, replace=False)
    pick_neg = rng.choice(len(negatives), PAIRS_PER_SIDE, replace=False)
    return [positives[i] for i in pick_pos] + [negatives[i] for i in pick_neg]
