"""SynCaps captions: "X followed by Y" templates, their reversed and replaced variants, positives and negatives.

A SynCaps caption names two sound events and one connective. Connectives of the *future*
group ("followed by", "before", "then") name the event heard first before the connective;
those of the *past* group ("preceded by", "after") name it after. The paper's capitalisation
rule: the sentence starts with a capital letter and everything else is lower case.
"""

from __future__ import annotations

FUTURE_CONNECTIVES = ("followed by", "before", "then")
PAST_CONNECTIVES = ("preceded by", "after")
CONNECTIVES = FUTURE_CONNECTIVES + PAST_CONNECTIVES
#: The connective that states the opposite order, as in the paper's ``test_replaced.json``.
OPPOSITE_CONNECTIVE = {
    "followed by": "preceded by",
    "preceded by": "followed by",
    "before": "after",
    "after": "before",
    "then": "before",
}


def coordinator(connective: str) -> str:
    """``"future"`` for connectives that name the first event first, ``"past"`` otherwise."""
    if connective in FUTURE_CONNECTIVES:
        return "future"
    if connective in PAST_CONNECTIVES:
        return "past"
    raise ValueError(f"unknown connective {connective!r}; expected one of {', '.join(CONNECTIVES)}")


def compose_caption(first_clause: str, connective: str, second_clause: str) -> str:
    """``"<first clause> <connective> <second clause>"`` with the paper's capitalisation."""
    return f"{first_clause} {connective} {second_clause}".strip().capitalize()


def caption_for_events(first_heard: str, second_heard: str, connective: str) -> str:
    """The caption saying that ``first_heard`` plays before ``second_heard``, with ``connective``."""
    if coordinator(connective) == "future":
        return compose_caption(first_heard, connective, second_heard)
    return compose_caption(second_heard, connective, first_heard)


def events_of(caption: str, connective: str) -> tuple[str, str]:
    """The two events of a template caption in the order they are heard (lower case)."""
    clauses = caption.lower().split(f" {connective} ")
    if len(clauses) != 2 or not all(clauses):
        raise ValueError(f"caption {caption!r} is not of the form 'X {connective} Y'")
    first, second = clauses
    return (first, second) if coordinator(connective) == "future" else (second, first)


def reversed_caption(caption: str, connective: str) -> str:
    """The two clauses swapped around the same connective: the order of events is reversed."""
    first, second = events_of(caption, connective)
    return caption_for_events(second, first, connective)


def replaced_caption(caption: str, connective: str) -> str:
    """The connective swapped for its opposite, clauses kept in place (the paper's replace rule)."""
    clauses = caption.lower().split(f" {connective} ")
    if len(clauses) != 2:
        raise ValueError(f"caption {caption!r} is not of the form 'X {connective} Y'")
    return compose_caption(clauses[0], OPPOSITE_CONNECTIVE[connective], clauses[1])


def _other_connectives(connective: str) -> list[str]:
    same = FUTURE_CONNECTIVES if coordinator(connective) == "future" else PAST_CONNECTIVES
    other = PAST_CONNECTIVES if same is FUTURE_CONNECTIVES else FUTURE_CONNECTIVES
    return [c for c in same if c != connective] + list(other)


def positives_and_negatives(caption: str, connective: str) -> dict[str, list[str]]:
    """Paraphrases with the same event order (``positive``) and with it reversed (``negative``).

    The four other connectives, those of the caption's own group first, as in the paper's
    ``audio_id_to_pos_neg_eg.json``; negative ``k`` is positive ``k`` with the events swapped.
    """
    first, second = events_of(caption, connective)
    others = _other_connectives(connective)
    return {
        "positive": [caption_for_events(first, second, c) for c in others],
        "negative": [caption_for_events(second, first, c) for c in others],
    }
