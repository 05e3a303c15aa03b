"""A text-only baseline for temporal test sets: how often the caption alone tells the original from its rewrite.

The classifier never sees audio. Each caption is a bag of hashed word 1-3-grams (with sentence
start and end marks and punctuation as words); a logistic regression on the difference of two
captions' features learns which of the two is the original. Its pairwise accuracy on a test
set's (original, altered) pairs is the order accuracy that text form alone earns: a model's
order accuracy means evidence of listening only where it clearly beats this number.
"""

from __future__ import annotations

import re
import zlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np

from dtu_audio.datasets.temporal.matched import replace_matched
from dtu_audio.datasets.temporal.restate import balance_directions
from dtu_audio.datasets.temporal.rewrite import replace, reverse

DIMENSIONS = 1 << 18
"""Hashed feature space (collisions are rare at caption vocabulary sizes)."""
_TOKEN_RE = re.compile(r"[a-z0-9']+|[^\sa-z0-9']")


def _ngram_ids(caption: str) -> np.ndarray:
    words = ["<s>", *_TOKEN_RE.findall(caption.lower()), "</s>"]
    grams = {" ".join(words[i : i + n]) for n in (1, 2, 3) for i in range(len(words) - n + 1)}
    return np.fromiter((zlib.crc32(g.encode()) % DIMENSIONS for g in grams), dtype=np.int64, count=len(grams))


def _pair_differences(originals: Sequence[str], altered: Sequence[str]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Sparse rows ``features(original) - features(altered)``: (row of each entry, column, value)."""
    rows, cols, vals = [], [], []
    for r, (a, b) in enumerate(zip(originals, altered, strict=True)):
        ia, ib = _ngram_ids(a), _ngram_ids(b)
        only_a, only_b = np.setdiff1d(ia, ib), np.setdiff1d(ib, ia)
        rows += [np.full(len(only_a) + len(only_b), r)]
        cols += [only_a, only_b]
        vals += [np.ones(len(only_a)), -np.ones(len(only_b))]
    if not rows:
        return np.zeros(0, np.int64), np.zeros(0, np.int64), np.zeros(0)
    return np.concatenate(rows), np.concatenate(cols), np.concatenate(vals)


@dataclass
class TextBaseline:
    """Logistic regression that scores which caption of a pair is the original, from word n-grams only."""

    weights: np.ndarray
    pairs_seen: int

    @classmethod
    def fit(cls, originals: Sequence[str], altered: Sequence[str], l2: float = 1e-4, steps: int = 300) -> TextBaseline:
        """Train on (original, altered) pairs; full-batch Adam on the logistic loss with an L2 penalty."""
        rows, cols, vals = _pair_differences(originals, altered)
        n = len(originals)
        features, cols = np.unique(cols, return_inverse=True)  # train only the n-grams that occur
        w = np.zeros(len(features))
        m, v = np.zeros_like(w), np.zeros_like(w)
        for step in range(1, steps + 1 if n else 1):
            margin = np.bincount(rows, weights=vals * w[cols], minlength=n)
            residual = -1.0 / (1.0 + np.exp(margin))  # d/dmargin of log(1 + exp(-margin))
            grad = np.bincount(cols, weights=vals * residual[rows], minlength=len(w)) / n + l2 * w
            m = 0.9 * m + 0.1 * grad
            v = 0.999 * v + 0.001 * grad**2
            w -= 0.1 * (m / (1 - 0.9**step)) / (np.sqrt(v / (1 - 0.999**step)) + 1e-8)
        weights = np.zeros(DIMENSIONS)
        weights[features] = w
        return cls(weights, n)

    def margins(self, originals: Sequence[str], altered: Sequence[str]) -> np.ndarray:
        """Per pair, how much more the first caption looks like an original than the second."""
        rows, cols, vals = _pair_differences(originals, altered)
        return np.bincount(rows, weights=vals * self.weights[cols], minlength=len(originals))

    def pairwise_accuracy(self, originals: Sequence[str], altered: Sequence[str]) -> float | None:
        """Share of pairs where the original scores above its rewrite (a tie counts half); ``None`` without pairs."""
        if not originals:
            return None
        margins = self.margins(originals, altered)
        return float(((margins > 0) + 0.5 * (margins == 0)).mean())


def rewrite_pairs(
    captions: Sequence[str], rewrite: Callable[[str], str | None]
) -> tuple[list[str], list[str], list[int]]:
    """(originals, rewrites, caption index) for every caption that ``rewrite`` changes."""
    originals, altered, index = [], [], []
    for i, caption in enumerate(captions):
        new = rewrite(caption)
        if new is not None and new != caption:
            originals.append(caption)
            altered.append(new)
            index.append(i)
    return originals, altered, index


def detectability(
    originals: Sequence[str],
    altered: Sequence[str],
    groups: Sequence[object] | None = None,
    folds: int = 5,
    repeats: int = 1,
) -> dict:
    """Grouped k-fold pairwise accuracy of the text-only baseline on (original, rewrite) pairs.

    Pairs of one group (a clip's captions, say) stay in one fold, so no test pair shares its
    clip with a training pair. 0.5 means the rewrites cannot be told from the originals by their
    text; 1.0 that they always can. With ``repeats`` > 1 the folds are drawn that many times and the
    accuracy is the mean (the split alone moves it by about a point on a thousand pairs).
    Returns ``accuracy``, ``low`` and ``high`` (the range over repeats), ``pairs`` and ``folds``.
    """
    if not originals:
        return {"accuracy": None, "low": None, "high": None, "pairs": 0, "folds": folds}
    ids = np.array(_group_ids(range(len(originals)) if groups is None else groups))
    scores = []
    for repeat in range(repeats):
        fold = np.random.default_rng(repeat).permutation(ids.max() + 1)[ids] % folds
        hits = 0.0
        for k in range(folds):
            train, test = np.flatnonzero(fold != k), np.flatnonzero(fold == k)
            if len(test) == 0 or len(train) == 0:
                continue
            model = TextBaseline.fit([originals[i] for i in train], [altered[i] for i in train])
            hits += model.pairwise_accuracy([originals[i] for i in test], [altered[i] for i in test]) * len(test)
        scores.append(hits / len(originals))
    return {
        "accuracy": float(np.mean(scores)),
        "low": min(scores),
        "high": max(scores),
        "pairs": len(originals),
        "folds": folds,
    }


def _group_ids(groups: Sequence[object]) -> list[int]:
    ids: dict[object, int] = {}
    return [ids.setdefault(g, len(ids)) for g in groups]


ALTERATIONS = ("reverse", "replace", "replace_matched")
"""The temporal variants a baseline can be trained for: reversed, replaced (the paper's) and matched replaced."""


def alteration_pairs(captions: Sequence[str], alteration: str, seed: int = 0) -> tuple[list[str], list[str], list[int]]:
    """(originals, altered, caption index) training pairs for one of :data:`ALTERATIONS`.

    ``replace_matched`` pairs the captions restated by :func:`~.restate.balance_directions` with
    their :func:`~.matched.replace_matched` negatives, as the test set does.
    """
    if alteration == "replace_matched":
        originals = balance_directions(captions, seed)
        negatives = iter(replace_matched(originals, seed))
        return rewrite_pairs(originals, lambda _: next(negatives))
    return rewrite_pairs(captions, {"reverse": reverse, "replace": replace}[alteration])


def rewrite_detectability(captions: Sequence[str], groups: Sequence[object], seed: int = 0) -> dict[str, dict]:
    """How well the text alone tells each caption from its rewrite, per alteration (grouped 5-fold).

    ``groups`` names each caption's clip, so that no clip is split across folds. Values as
    :func:`detectability` returns them; 0.5 is the goal.
    """
    out = {}
    for alteration in ALTERATIONS:
        originals, altered, index = alteration_pairs(captions, alteration, seed)
        out[alteration] = detectability(originals, altered, [groups[i] for i in index])
    return out


def train_text_baseline(train_captions: Sequence[str], alteration: str, seed: int = 0) -> TextBaseline | None:
    """The text-only baseline for one of :data:`ALTERATIONS`, trained on captions and their rewrites.

    ``None`` when none of the captions can be rewritten.
    """
    originals, altered, _ = alteration_pairs(train_captions, alteration, seed)
    return TextBaseline.fit(originals, altered) if originals else None


def text_only_order_accuracy(model: TextBaseline | None, originals: Sequence[str], altered: Sequence[str]) -> dict:
    """The baseline's order accuracy (%) on test pairs.

    Returns ``accuracy`` (``None`` without a model or pairs), ``pairs`` and ``training_pairs``.
    """
    accuracy = model.pairwise_accuracy(originals, altered) if model is not None else None
    return {
        "accuracy": None if accuracy is None else 100.0 * accuracy,
        "pairs": len(originals),
        "training_pairs": model.pairs_seen if model is not None else 0,
    }
