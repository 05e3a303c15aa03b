"""The text-only baseline: a classifier that tells an original caption from its rewrite without audio."""

from __future__ import annotations

from dtu_audio.datasets.temporal.baseline import (
    TextBaseline,
    alteration_pairs,
    detectability,
    rewrite_detectability,
    text_only_order_accuracy,
    train_text_baseline,
)

_SOUNDS = ["a dog barks", "a man speaks", "rain falls", "a bell rings", "a car passes", "a baby cries", "wind blows"]
_CAPTIONS = [f"{a} then {b}" for a in _SOUNDS for b in _SOUNDS if a != b]


def test_a_rewrite_with_a_giveaway_word_is_found_and_a_symmetric_one_is_not():
    marked = detectability(_CAPTIONS, [f"{c} loudly" for c in _CAPTIONS])
    assert marked["accuracy"] == 1.0 and marked["pairs"] == len(_CAPTIONS)
    # Every caption is also some other caption's rewrite: the text alone cannot tell which is which.
    swapped = [" then ".join(reversed(c.split(" then "))) for c in _CAPTIONS]
    groups = [" ".join(sorted(c.split(" then "))) for c in _CAPTIONS]
    assert abs(detectability(_CAPTIONS, swapped, groups)["accuracy"] - 0.5) <= 0.1


def test_a_tie_counts_half():
    model = TextBaseline.fit(_CAPTIONS, [f"{c} loudly" for c in _CAPTIONS])
    assert model.pairwise_accuracy(["a dog barks"], ["a dog barks"]) == 0.5
    assert model.pairwise_accuracy([], []) is None


def test_alteration_pairs_skip_captions_that_cannot_be_rewritten():
    captions = ["A dog barks then a man speaks", "Rain falls", "A bell rings followed by a car passing"]
    originals, altered, index = alteration_pairs(captions, "reverse")
    assert index == [0, 2] and altered[0] == "A man speaks then a dog barks"
    originals, altered, index = alteration_pairs(captions, "replace_matched")
    assert index == [0, 2] and all(a != b for a, b in zip(originals, altered, strict=True))


def test_order_accuracy_is_a_percentage_or_none_without_training_pairs():
    model = train_text_baseline(_CAPTIONS, "reverse")
    result = text_only_order_accuracy(model, ["A dog barks then rain falls"], ["Rain falls then a dog barks"])
    assert result["pairs"] == 1 and result["training_pairs"] == len(_CAPTIONS) and 0 <= result["accuracy"] <= 100
    assert train_text_baseline(["Rain falls"], "reverse") is None
    assert text_only_order_accuracy(None, ["a then b"], ["b then a"])["accuracy"] is None


def test_rewrite_detectability_covers_every_alteration():
    scores = rewrite_detectability(_CAPTIONS, groups=list(range(len(_CAPTIONS))))
    assert set(scores) == {"reverse", "replace", "replace_matched"}
    assert scores["replace"]["accuracy"] > 0.9  # "after" appears only in the rewrites: the connective prior
