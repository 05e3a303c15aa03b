"""The temporal caption toolkit against hand-made cases and the paper's own files."""

from __future__ import annotations

import json
import re
from collections import Counter

import pytest

from dtu_audio.datasets.temporal import (
    CONNECTIVES,
    compose,
    contradictions,
    count_connectives,
    has_temporal_cue,
    paraphrases,
    rebalance,
    replace,
    reverse,
    split_caption,
)

_RAW_CONNECTIVE = re.compile(r"\b(followed by|preceded by|then|before|after)\b", re.IGNORECASE)
_CONNECTIVE_ALTERNATION = "|".join(c.replace(" ", r"\s+") for c in CONNECTIVES)


def _normalise(caption: str) -> str:
    """Case, whitespace, punctuation and a dangling "and" (before a connective or at the end) ignored."""
    text = re.sub(r"[^\w\s]", " ", caption.lower())
    text = re.sub(rf"\band\s+(?=(?:{_CONNECTIVE_ALTERNATION})\b)", "", text)
    text = re.sub(r"\band\s*$", "", text.strip())
    return " ".join(text.split())


def _captions(manifest: dict) -> list[str]:
    n = manifest["num_captions_per_audio"]
    keys = ["caption"] if n == 1 else [f"caption_{k}" for k in range(1, n + 1)]
    return [row[k] for row in manifest["data"] for k in keys]


def _load(path) -> dict:
    return json.loads(path.read_text(encoding="utf-8"))


# --- hand-made cases -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("caption", "reversed_", "replaced"),
    [
        (
            "Cow mooing followed by toilet flushing",
            "Toilet flushing followed by cow mooing",
            "Cow mooing preceded by toilet flushing",
        ),
        ("A dog barks before a car passes", "A car passes before a dog barks", "A dog barks after a car passes"),
        ("A car passes after a dog barks", "A dog barks after a car passes", "A car passes before a dog barks"),
        ("A woman speaks then a baby cries", "A baby cries then a woman speaks", "A woman speaks after a baby cries"),
        (
            "A whistling and then an explosion and crackling",
            "An explosion and crackling and then a whistling",
            "A whistling after an explosion and crackling",
        ),
        (
            "A train chugging, a child speaking, and then a female speaking",
            "A female speaking, and then a train chugging, a child speaking",
            "A train chugging, a child speaking, after a female speaking",
        ),
        (
            "A missile launching followed by an explosion and metal screeching.",
            "An explosion and metal screeching followed by a missile launching.",
            "A missile launching preceded by an explosion and metal screeching.",
        ),
        ("TV static then a man speaks", "A man speaks then TV static", "TV static after a man speaks"),
        ("A dog barks. Then a man speaks.", "A man speaks, then a dog barks.", "A dog barks, after a man speaks."),
        (
            "Rattling is followed by pigeon wing flapping",
            "Pigeon wing flapping followed by rattling",
            "Rattling is preceded by pigeon wing flapping",
        ),
        ("Frying right after music starts", "Music starts right after frying", "Frying right before music starts"),
        (
            "An engine rumbles loudly, then an air horn honks,",
            "An air horn honks, then an engine rumbles loudly",
            "An engine rumbles loudly, after an air horn honks",
        ),
        (
            "a dog barks   followed   by a car horn .",
            "A car horn followed by a dog barks.",
            "A dog barks preceded by a car horn.",
        ),
    ],
)
def test_reverse_and_replace_by_hand(caption, reversed_, replaced):
    assert reverse(caption) == reversed_
    assert replace(caption) == replaced
    assert has_temporal_cue(caption)


@pytest.mark.parametrize(
    "caption",
    [
        "A man speaks while a dog barks",
        "Birds chirp as water flows",
        "A couple of loud snores one after the other",
        "A man shouting before and after a person belches",
        "After a loud bang, a man speaks",
        "Water drips every now and then",
        "",
    ],
)
def test_captions_that_order_no_two_events_come_back_unchanged(caption):
    assert reverse(caption) == caption
    assert replace(caption) == caption
    assert paraphrases(caption) == contradictions(caption) == []
    assert rebalance([caption] * 3, seed=1) == [caption] * 3


def test_simultaneity_is_not_a_temporal_cue_but_before_and_after_is():
    assert not has_temporal_cue("A man speaks while a dog barks as rain falls")
    assert has_temporal_cue("A man shouting before and after a person belches")
    assert count_connectives(["A man shouting before and after a person belches"])["before"] == 0


def test_several_connectives_transform_around_the_first_and_keep_the_rest():
    caption = "A toy train running as a young boy talks followed by plastic clanking then a child laughing"
    assert (
        reverse(caption)
        == "Plastic clanking then a child laughing followed by a toy train running as a young boy talks"
    )
    assert (
        replace(caption)
        == "A toy train running as a young boy talks preceded by plastic clanking then a child laughing"
    )
    caption = "A man talking then a young boy talking followed by a loud pop as pigeons coo"
    assert reverse(caption) == "A young boy talking followed by a loud pop as pigeons coo then a man talking"
    # The paper's files turned this one into "An explosion and crackling then a whistling and".
    caption = "A whistling and then an explosion and crackling followed by a thud."
    assert reverse(caption) == "An explosion and crackling followed by a thud and then a whistling."


def test_split_caption_names_the_events_in_time_order():
    cut = split_caption("A car passes after a dog barks.")
    assert (cut.first_event, cut.second_event, cut.connective, cut.ending) == (
        "a dog barks",
        "A car passes",
        "after",
        ".",
    )
    assert split_caption("No order here") is None


def test_compose_capitalises_the_opening_clause_only():
    assert compose("cow mooing", "Toilet flushing", "followed by") == "Cow mooing followed by toilet flushing"
    assert compose("Cow mooing", "toilet flushing", "after") == "Toilet flushing after cow mooing"
    assert compose("a man speaks", "I hear TV", "preceded by") == "I hear TV preceded by a man speaks"
    with pytest.raises(ValueError, match="unknown connective"):
        compose("a", "b", "while")


def test_paraphrases_keep_the_order_and_contradictions_reverse_it():
    caption = "A dog barks followed by a car horn."
    assert paraphrases(caption) == [
        "A dog barks before a car horn.",
        "A dog barks then a car horn.",
        "A car horn preceded by a dog barks.",
        "A car horn after a dog barks.",
    ]
    assert contradictions(caption) == [
        "A car horn before a dog barks.",
        "A car horn then a dog barks.",
        "A dog barks preceded by a car horn.",
        "A dog barks after a car horn.",
    ]


# --- the paper's SynCaps template captions: exact equality ---------------------------------------


@pytest.fixture(scope="module")
def syncaps_pos_neg(reference_data):
    pos_neg = _load(reference_data / "syncaps" / "audio_id_to_pos_neg_eg.json")
    captions = {}
    for name in ("train.json", "val.json", "test.json"):
        captions.update({row["id"]: row["caption"] for row in _load(reference_data / "syncaps" / name)["data"]})
    return [(captions[audio_id], examples) for audio_id, examples in pos_neg.items()]


def test_syncaps_paraphrases_and_contradictions_equal_the_papers(syncaps_pos_neg):
    assert len(syncaps_pos_neg) == 5370
    for caption, examples in syncaps_pos_neg:
        assert paraphrases(caption) == examples["positive"], caption
        assert contradictions(caption) == examples["negative"], caption


def test_syncaps_reverse_and_replace_follow_the_papers_rule(syncaps_pos_neg):
    for caption, examples in syncaps_pos_neg:
        # A positive reversed is the negative with the same connective; replaced, another negative.
        assert [reverse(p) for p in examples["positive"]] == examples["negative"]
        for positive in examples["positive"]:
            assert replace(positive) in [*examples["negative"], reverse(caption)]
        assert reverse(reverse(caption)) == caption


def test_syncaps_test_split_captions_reverse_exactly(reference_data):
    captions = _captions(_load(reference_data / "syncaps" / "test.json"))
    for caption in captions:
        first, connective, second = re.fullmatch(
            r"(.+?) (followed by|preceded by|then|before|after) (.+)", caption
        ).groups()
        assert reverse(caption) == f"{second[0].upper()}{second[1:]} {connective} {first[0].lower()}{first[1:]}"


# --- the paper's AudioCaps reverse/replace files: agreement ------------------------------------


@pytest.fixture(scope="module")
def audiocaps_single_connective(reference_data):
    base = reference_data / "audiocaps" / "test_audioset_5_future_past"
    original, reversed_, replaced = (
        _captions(_load(base.with_name(base.name + suffix))) for suffix in (".json", "_reverse.json", "_replace.json")
    )
    return [t for t in zip(original, reversed_, replaced, strict=True) if len(_RAW_CONNECTIVE.findall(t[0])) == 1]


def _differences(rows):
    return [
        (caption, reverse(caption), replace(caption), paper_rev, paper_rep)
        for caption, paper_rev, paper_rep in rows
        if _normalise(reverse(caption)) != _normalise(paper_rev)
        or _normalise(replace(caption)) != _normalise(paper_rep)
    ]


def test_reverse_and_replace_agree_with_the_papers_files(audiocaps_single_connective):
    assert len(audiocaps_single_connective) == 1190
    agreement = 1 - len(_differences(audiocaps_single_connective)) / len(audiocaps_single_connective)
    assert agreement >= 0.99


_DANGLING = re.compile(r"\b(is|are|was|were|right|and)$")


def test_where_ours_differs_from_the_paper_ours_is_the_grammatical_one(audiocaps_single_connective):
    differences = _differences(audiocaps_single_connective)
    assert differences
    for caption, ours_rev, ours_rep, paper_rev, paper_rep in differences:
        if split_caption(caption) is None:
            # "one after the other" orders no two events; the paper made "The other after a couple of ...".
            assert ours_rev == ours_rep == caption
            assert paper_rev != caption
            continue
        # The paper left the auxiliary or adverb of the first clause dangling at the end.
        assert _DANGLING.search(_normalise(paper_rev)), paper_rev
        assert not _DANGLING.search(_normalise(ours_rev)), ours_rev
        assert _normalise(ours_rep) == _normalise(paper_rep)


# --- rebalancing ----------------------------------------------------------------------------------

_FUNCTION_WORDS = {"followed", "preceded", "by", "then", "before", "after", "and", "is", "are", "was", "were"}


def _content_words(caption: str) -> Counter:
    return Counter(w for w in re.findall(r"[\w'-]+", caption.lower()) if w not in _FUNCTION_WORDS)


def _lower_first(text: str) -> str:
    return text[:1].lower() + text[1:]


@pytest.fixture(scope="module")
def val_captions(reference_data):
    return _captions(_load(reference_data / "audiocaps" / "val_audioset_5_orig.json"))


def test_rebalance_evens_out_the_five_connectives(val_captions):
    before = count_connectives(val_captions)
    assert [before[c] for c in CONNECTIVES] == [220, 237, 61, 8, 0]
    after = count_connectives(rebalance(val_captions, seed=0))
    assert max(after.values()) / min(after.values()) <= 1.3
    assert sum(after.values()) == sum(before.values())


def test_rebalance_keeps_content_words_and_event_order(val_captions):
    rebalanced = rebalance(val_captions, seed=0)
    changed = [(a, b) for a, b in zip(val_captions, rebalanced, strict=True) if a != b]
    assert len(changed) > 150
    for original, rewritten in changed:
        assert _content_words(rewritten) == _content_words(original), (original, rewritten)
        cut_a, cut_b = split_caption(original), split_caption(rewritten)
        assert _lower_first(cut_b.first_event) == _lower_first(cut_a.first_event), (original, rewritten)
        assert _lower_first(cut_b.second_event) == _lower_first(cut_a.second_event), (original, rewritten)


def test_rebalance_is_deterministic_for_a_seed(val_captions):
    assert rebalance(val_captions, seed=3) == rebalance(val_captions, seed=3)
    assert rebalance(val_captions, seed=3) != rebalance(val_captions, seed=4)


def test_rebalance_rewrites_a_single_caption_to_a_rare_connective():
    captions = ["A followed by B"] * 4 + ["C then D"] * 4 + ["E before F"]
    out = rebalance(captions, seed=0)
    counts = count_connectives(out)
    assert max(counts.values()) - min(counts.values()) <= 1
    assert "B after a" in out or "B preceded by a" in out


def test_rebalance_never_moves_a_clause_without_a_subject():
    captions = ["A man speaks then uses a drill"] * 5
    assert rebalance(captions, seed=0) == captions
