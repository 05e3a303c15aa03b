"""Temporal caption toolkit: find the connective that orders two events and rewrite around it.

Five connectives order two events: "followed by", "before" and "then" put the first event on
the left, "preceded by" and "after" put it on the right. "while" and "as" mean simultaneity and
are left alone. A caption with several connectives is transformed around the first one; the
text after it is carried along untouched.
"""

from __future__ import annotations

import random
import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass

LEFT_FIRST = ("followed by", "before", "then")
"""Connectives whose first event stands on their left, in the paper's paraphrase order."""
RIGHT_FIRST = ("preceded by", "after")
"""Connectives whose first event stands on their right, in the paper's paraphrase order."""
CONNECTIVES = ("followed by", "then", "before", "after", "preceded by")
"""The five connectives that order two events, in the paper's reporting order."""
OPPOSITE = {
    "followed by": "preceded by",
    "preceded by": "followed by",
    "before": "after",
    "after": "before",
    "then": "after",
}
"""The connective that states the opposite order with the events kept in place."""

_CONNECTIVE_RE = re.compile(r"\b(followed\s+by|preceded\s+by|then|before|after)\b", re.IGNORECASE)
# Phrases that contain a connective word without ordering two events.
_NOT_AN_ORDER_RE = re.compile(
    r"\b(?:before\s+and\s+after|after\s+and\s+before|(?:every\s+)?now\s+and\s+then"
    r"|after\s+(?:the\s+)?(?:other|another)|time\s+after\s+time|(?:than|as)\s+before)\b",
    re.IGNORECASE,
)
# What joins the first clause to the connective: a comma (a full stop becomes one), "and", "is"/"are"
# (before "followed by"), an adverb that only ever modifies the connective ("right after", "soon after").
_JOINER_RE = re.compile(r"(?:\s*[,.;])?(?:\s+and)?(?:\s+(?:is|are|was|were|just|right|soon))?\s*$", re.IGNORECASE)
_ENDING_RE = re.compile(r"[\s.,;:!?]*$")
# fmt: off
_DETERMINERS = frozenset((
    "a", "an", "the", "another", "some", "more", "several", "multiple", "many", "few", "one", "two", "three",
    "four", "five", "six", "seven", "eight", "nine", "ten", "his", "her", "their", "its", "my", "your",
    "our", "this", "that", "these", "those", "someone", "somebody", "something", "he", "she", "they", "it",
    "we", "i", "you", "people", "men", "women", "children", "kids", "birds", "dogs",
))
# Words that show the clause before them is a verb ("then speaks again", "then picks up").
_VERB_FOLLOWERS = frozenset((
    "and", "up", "down", "off", "out", "in", "on", "into", "onto", "over", "away", "again", "back", "to",
    "with", "from", "at", "around", "through", "along",
))
# fmt: on
# Comparatives that end a shared-subject clause ("gets louder and then quieter").
_COMPARATIVES = frozenset(
    {"louder", "quieter", "softer", "faster", "slower", "higher", "lower", "closer", "further", "farther", "stronger"}
)
_AUXILIARIES = frozenset({"is", "are", "was", "were"})
_AND = frozenset({"and"})
_PASSIVE = frozenset({"followed by", "preceded by"})


@dataclass(frozen=True)
class TemporalSplit:
    """A caption cut at its first connective.

    The caption reads ``left + joiner + " " + connective + " " + right + ending``, where ``joiner``
    is what tied the left clause to the connective (a comma, "and", "is", "right") and ``ending``
    the closing full stop, if any.
    """

    left: str
    joiner: str
    connective: str
    right: str
    ending: str

    @property
    def first_event(self) -> str:
        """The clause that describes the earlier event."""
        return self.left if self.connective in LEFT_FIRST else self.right

    @property
    def second_event(self) -> str:
        """The clause that describes the later event."""
        return self.right if self.connective in LEFT_FIRST else self.left


def _connective_matches(caption: str) -> list[re.Match]:
    masked = [m.span() for m in _NOT_AN_ORDER_RE.finditer(caption)]
    return [
        m
        for m in _CONNECTIVE_RE.finditer(caption)
        if not any(a <= m.start() < b for a, b in masked)
        and re.search(r"\w", caption[: m.start()])
        and re.search(r"\w", caption[m.end() :])
    ]


def _canonical(text: str) -> str:
    return " ".join(text.lower().split())


def split_caption(caption: str) -> TemporalSplit | None:
    """Cut a caption at its first connective; ``None`` when it has none."""
    matches = _connective_matches(caption)
    if not matches:
        return None
    first = matches[0]
    head = caption[: first.start()]
    joiner = _JOINER_RE.search(head)
    tail = caption[first.end() :]
    ending = _ENDING_RE.search(tail)
    return TemporalSplit(
        left=head[: joiner.start()].strip(),
        joiner=" ".join(re.sub(r"[,.;]", " , ", joiner.group().lower()).split()).replace(" ,", ","),
        connective=_canonical(first.group()),
        right=tail[: ending.start()].strip(),
        ending="".join(ch for ch in ending.group() if ch in ".!?"),
    )


def connectives_in(caption: str) -> list[str]:
    """Every connective that orders two events in ``caption``, in reading order."""
    return [_canonical(m.group()) for m in _connective_matches(caption)]


def count_connectives(captions: Sequence[str]) -> Counter:
    """How often each of the five connectives occurs over ``captions`` (every occurrence counts)."""
    counts = Counter(dict.fromkeys(CONNECTIVES, 0))
    for caption in captions:
        counts.update(connectives_in(caption))
    return counts


def has_temporal_cue(caption: str) -> bool:
    """Whether the caption uses one of the five connectives, also in phrases such as "before and after".

    Only captions where a connective orders two events are changed by the functions here.
    """
    return _CONNECTIVE_RE.search(caption) is not None


def capitalise(text: str) -> str:
    """``text`` with its first letter upper-cased."""
    return text[:1].upper() + text[1:]


def decapitalise(text: str) -> str:
    """``text`` with its first letter lower-cased, unless its first word is "I" or an acronym."""
    word = text.split(" ", 1)[0]
    if word == "I" or (len(word) > 1 and word.isupper()):
        return text
    return text[:1].lower() + text[1:]


def compose(first: str, second: str, connective: str) -> str:
    """A caption saying ``first`` happens before ``second`` with ``connective``.

    The clause that opens the caption is capitalised and the other one starts lower-case:
    ``compose("cow mooing", "toilet flushing", "after") == "Toilet flushing after cow mooing"``.
    """
    if connective not in CONNECTIVES:
        raise ValueError(f"unknown connective {connective!r}; expected one of {', '.join(CONNECTIVES)}")
    lead, follow = (first, second) if connective in LEFT_FIRST else (second, first)
    return f"{capitalise(lead.strip())} {connective} {decapitalise(follow.strip())}"


def _join(cut: TemporalSplit, left: str, joiner: str, connective: str, right: str) -> str:
    glue = joiner if joiner.startswith(",") or not joiner else f" {joiner}"
    return f"{capitalise(left)}{glue} {connective} {decapitalise(right)}{cut.ending}"


def _without(joiner: str, words: frozenset[str]) -> str:
    return " ".join(w for w in joiner.split() if w not in words)


def reverse(caption: str) -> str:
    """The two events swapped around the first connective, which is kept: the order becomes wrong.

    ``"Cow mooing followed by toilet flushing" -> "Toilet flushing followed by cow mooing"``.
    """
    cut = split_caption(caption)
    if cut is None:
        return caption
    # "X are followed by Y" -> "Y followed by X": the auxiliary agreed with the old subject.
    return _join(cut, cut.right, _without(cut.joiner, _AUXILIARIES), cut.connective, cut.left)


def _swap_connective(cut: TemporalSplit, connective: str) -> str:
    # "and after" reads as a second event, "is before" as a state: keep only a comma, an adverb,
    # and "is" between two passive connectives ("is followed by" -> "is preceded by").
    dropped = _AND if cut.connective in _PASSIVE and connective in _PASSIVE else _AND | _AUXILIARIES
    return _join(cut, cut.left, _without(cut.joiner, dropped), connective, cut.right)


def replace(caption: str) -> str:
    """The first connective swapped for its opposite, events kept in place: the order becomes wrong.

    followed by <-> preceded by, before <-> after, then -> after.
    """
    cut = split_caption(caption)
    if cut is None:
        return caption
    return _swap_connective(cut, OPPOSITE[cut.connective])


def _other_connectives(connective: str) -> list[str]:
    same, other = (LEFT_FIRST, RIGHT_FIRST) if connective in LEFT_FIRST else (RIGHT_FIRST, LEFT_FIRST)
    return [c for c in same if c != connective] + list(other)


def paraphrases(caption: str) -> list[str]:
    """The same event order said with each of the other four connectives (positives)."""
    cut = split_caption(caption)
    if cut is None:
        return []
    return [compose(cut.first_event, cut.second_event, c) + cut.ending for c in _other_connectives(cut.connective)]


def contradictions(caption: str) -> list[str]:
    """The reversed event order said with each of the other four connectives (negatives)."""
    cut = split_caption(caption)
    if cut is None:
        return []
    return [compose(cut.second_event, cut.first_event, c) + cut.ending for c in _other_connectives(cut.connective)]


def _is_verb_phrase(clause: str) -> bool:
    """Whether a clause lacks its own subject ("then speaks", "then uses a drill", "then fades").

    Such a clause only reads right after "then" or "and then", so it is never moved.
    """
    words = [w.strip(",.;:!?") for w in clause.lower().split()]
    if not words or words[0] in _DETERMINERS or (words[0].endswith("ing") and words[0] != "being"):
        return False
    first, rest = words[0], words[1:]
    if first in _AUXILIARIES | _COMPARATIVES | _VERB_FOLLOWERS | {"being", "gets", "becomes"} or first.endswith("ly"):
        return True
    if not rest:
        return first.endswith(("s", "ed"))
    after = rest[0]
    return first.endswith(("s", "ed")) and (after in _DETERMINERS or after in _VERB_FOLLOWERS or after.endswith("ly"))


def _swap_only(cut: TemporalSplit) -> bool:
    """Whether other connective words surround the first one, so that its clauses must stay in place."""
    return bool(_CONNECTIVE_RE.search(cut.left) or _CONNECTIVE_RE.search(cut.right))


def _targets(cut: TemporalSplit) -> tuple[str, ...]:
    """Connectives a caption may be rewritten to while keeping its meaning and its grammar."""
    if set(cut.joiner.replace(",", " ").split()) - _AND - _AUXILIARIES:
        return (cut.connective,)
    # "followed by" already takes a noun phrase; after "then" or "before" a bare verb phrase may stand.
    movable = cut.connective in {"followed by", *RIGHT_FIRST} or not _is_verb_phrase(cut.right)
    if _swap_only(cut):
        same = LEFT_FIRST if cut.connective in LEFT_FIRST else RIGHT_FIRST
        return same if movable else (cut.connective,)
    return CONNECTIVES if movable else (cut.connective,)


def _rewrite(caption: str, cut: TemporalSplit, connective: str) -> str:
    if connective == cut.connective:
        return caption
    if _swap_only(cut):
        return _swap_connective(cut, connective)
    return compose(cut.first_event, cut.second_event, connective) + cut.ending


def rebalance(captions: Sequence[str], seed: int = 0) -> list[str]:
    """Rewrite connectives so that the five are used about equally, keeping every caption's meaning.

    Captions with one connective may take any of the five ("A followed by B" -> "B after A");
    captions with several swap their first connective for one that keeps the clauses in place.
    Which captions change is drawn with ``seed``; captions without a connective stay as they are.
    """
    cuts = [split_caption(c) for c in captions]
    counts = count_connectives(captions)
    flexible = [i for i, cut in enumerate(cuts) if cut is not None and len(_targets(cut)) > 1]
    rng = random.Random(seed)
    rng.shuffle(flexible)
    chosen = {i: cuts[i].connective for i in flexible}
    for _ in range(2):
        for i in flexible:
            counts[chosen[i]] -= 1
            options = list(_targets(cuts[i]))
            rng.shuffle(options)
            chosen[i] = min(options, key=lambda c: counts[c])
            counts[chosen[i]] += 1
    out = list(captions)
    for i, connective in chosen.items():
        out[i] = _rewrite(captions[i], cuts[i], connective)
    return out
