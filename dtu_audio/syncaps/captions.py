"""SynCaps captions: "X followed by Y" templates, their reversed and replaced variants, positives and negatives.

A SynCaps caption is two class descriptions joined by one connective, and the recipe records
which connective, so nothing has to be parsed out of free text. Sentences are built with the
temporal toolkit's ``compose``; descriptions are lower-cased first, which gives the paper's
rule: a capital first letter, everything else lower case.
"""

from __future__ import annotations

from dtu_audio.datasets.temporal import CONNECTIVES, LEFT_FIRST, RIGHT_FIRST, compose, other_connectives
from dtu_audio.datasets.temporal.chain import OPPOSITE

#: The opposite connective as the paper's SynCaps ``test_replaced.json`` has it: unlike the
#: AudioCaps files (and ``temporal.chain.OPPOSITE``), "then" becomes "before" there.
SYNCAPS_OPPOSITE = {**OPPOSITE, "then": "before"}


def coordinator(connective: str) -> str:
    """``"future"`` for connectives that name the first event first, ``"past"`` otherwise."""
    if connective in LEFT_FIRST:
        return "future"
    if connective in RIGHT_FIRST:
        return "past"
    raise ValueError(f"unknown connective {connective!r}; expected one of {', '.join(CONNECTIVES)}")


def caption_for_events(first_heard: str, second_heard: str, connective: str) -> str:
    """The caption saying that ``first_heard`` plays before ``second_heard``, with ``connective``."""
    return compose(first_heard.strip().lower(), second_heard.strip().lower(), connective)


def _clauses(caption: str, connective: str) -> tuple[str, str]:
    clauses = caption.lower().split(f" {connective} ")
    if len(clauses) != 2 or not all(c.strip() for c in clauses):
        raise ValueError(f"caption {caption!r} is not of the form 'X {connective} Y'")
    return clauses[0], clauses[1]


def events_of(caption: str, connective: str) -> tuple[str, str]:
    """The two events of a template caption in the order they are heard (lower case)."""
    left, right = _clauses(caption, connective)
    return (left, right) if coordinator(connective) == "future" else (right, left)


def reversed_caption(caption: str, connective: str) -> str:
    """The two clauses swapped around the same connective: the order of events is reversed."""
    first, second = events_of(caption, connective)
    return caption_for_events(second, first, connective)


def replaced_caption(caption: str, connective: str) -> str:
    """The connective swapped as in the paper's SynCaps ``test_replaced.json``, clauses kept in place."""
    left, right = _clauses(caption, connective)
    opposite = SYNCAPS_OPPOSITE[connective]
    first, second = (left, right) if opposite in LEFT_FIRST else (right, left)
    return caption_for_events(first, second, opposite)


def positives_and_negatives(caption: str, connective: str) -> dict[str, list[str]]:
    """Paraphrases with the same event order (``positive``) and with it reversed (``negative``).

    The four other connectives, those of the caption's own group first, as in the paper's
    ``audio_id_to_pos_neg_eg.json``; negative ``k`` is positive ``k`` with the events swapped.
    """
    first, second = events_of(caption, connective)
    others = other_connectives(connective)
    return {
        "positive": [caption_for_events(first, second, c) for c in others],
        "negative": [caption_for_events(second, first, c) for c in others],
    }
