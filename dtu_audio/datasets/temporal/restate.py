"""A caption said again with other connectives: paraphrases, contradictions and rebalanced sets."""

from __future__ import annotations

import random
import re
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import replace as _with

from dtu_audio.datasets.temporal.chain import (
    CONNECTIVES,
    LEFT_FIRST,
    PASSIVE,
    RIGHT_FIRST,
    Chain,
    Link,
    clean_prefix,
    fits,
    link_matches,
    parse_chain,
    reads_as_written,
    render,
)
from dtu_audio.datasets.temporal.lexicon import lemma
from dtu_audio.datasets.temporal.rewrite import (
    connectives_in,
    count_connectives,
    events_in_order,
    other_connectives,
    reads_badly,
    relinked,
    swapped,
    two_event_chain,
)


def _restated(caption: str, swap: bool) -> list[str]:
    chain = parse_chain(caption)
    if chain is None or len(chain.links) != 1:
        return []
    first, second = events_in_order(chain)
    if swap:
        first, second = swapped(first, second, chain.shared[1])
    out = []
    for connective in other_connectives(chain.links[0].connective):
        composed = two_event_chain(first, second, chain.shared[1], Link(connective))
        if composed is not None:
            out.append(render(_with(composed, ending=chain.ending)))
    return out


def paraphrases(caption: str) -> list[str]:
    """The same event order said with each of the other four connectives that fit (positives)."""
    return _restated(caption, swap=False)


def contradictions(caption: str) -> list[str]:
    """The reversed event order said with each of the other four connectives that fit (negatives)."""
    return _restated(caption, swap=True)


def _relinked(chain: Chain, connective: str) -> Chain | None:
    """The chain with its first connective changed for one of the same direction, clauses in place."""
    link = chain.links[0]
    if not fits(connective, link.modifier):
        return None
    keep_aux = link.connective in PASSIVE and connective in PASSIVE
    return relinked(chain, Link(connective, link.modifier, clean_prefix(link.prefix, keep_aux)))


def restatements(caption: str) -> dict[str, str]:
    """The caption said with each connective that keeps its meaning and its grammar: connective -> caption.

    A one-connective caption may take any connective ("A followed by B" -> "B after A"); a caption
    with several changes its first connective for one of the same direction, clauses in place.
    Modifiers ("shortly after") are kept, so a connective they do not fit is left out.
    """
    chain = parse_chain(caption)
    if chain is None or not reads_as_written(caption):
        return {}  # a restatement would repeat the noun "which" stands for
    own = chain.links[0]
    out = {own.connective: caption}
    if own.spelling or (chain.initial and link_matches(chain.clauses[0].text)):
        return out  # "after which" has no other spelling; "After X, Y then Z" would count differently
    if len(chain.links) == 1:
        first, second = events_in_order(chain)
        for connective in other_connectives(own.connective):
            if fits(connective, own.modifier):
                composed = two_event_chain(first, second, chain.shared[1], Link(connective, own.modifier))
                if composed is not None and not reads_badly(connective, composed.clauses[1]):
                    out[connective] = render(_with(composed, ending=chain.ending))
        return {c: text for c, text in out.items() if c == own.connective or _restates(text, caption, [c])}
    same = LEFT_FIRST if own.connective in LEFT_FIRST else RIGHT_FIRST
    for connective in same:
        relinked = _relinked(chain, connective) if connective != own.connective else None
        if relinked is not None:
            out[connective] = render(relinked)
    rest = [link.connective for link in chain.links[1:]]
    return {c: text for c, text in out.items() if c == own.connective or _restates(text, caption, [c, *rest])}


_NOT_CONTENT = frozenset({"follow", "precede", "by", "then", "before", "after", "and", "be", "occur", "happen"})


def _words(caption: str) -> Counter:
    return Counter(w for w in map(lemma, re.findall(r"[a-z']+", caption.lower())) if w not in _NOT_CONTENT)


def _restates(text: str, caption: str, connectives: list[str]) -> bool:
    """Whether ``text`` says ``caption`` with ``connectives`` and the same words, no more and no fewer
    ("becomes louder and then softer" is not restated as "... after becoming louder")."""
    return connectives_in(text) == connectives and _words(text) == _words(caption)


DIRECTION_BALANCED = {"followed by": 1 / 6, "then": 1 / 6, "before": 1 / 6, "after": 1 / 4, "preceded by": 1 / 4}
"""Connective shares with as many captions naming the first event first as last: the originals of the
matched replaced set, whose negatives can then use every connective as often as the originals do."""


def _choose(options: list[dict[str, str]], counts: Counter, share: Mapping[str, float], seed: int) -> dict[int, str]:
    """Greedily give each caption with a choice the connective furthest below its ``share`` of ``counts``."""
    flexible = [i for i, o in enumerate(options) if len(o) > 1]
    rng = random.Random(seed)
    rng.shuffle(flexible)
    chosen = {i: next(iter(options[i])) for i in flexible}
    for _ in range(2):
        for i in flexible:
            counts[chosen[i]] -= 1
            targets = list(options[i])
            rng.shuffle(targets)
            chosen[i] = min(targets, key=lambda c: counts[c] / share[c])
            counts[chosen[i]] += 1
    return chosen


def _restated_to(captions: Sequence[str], counts: Counter, share: Mapping[str, float], seed: int) -> list[str]:
    options = [restatements(c) for c in captions]
    out = list(captions)
    for i, connective in _choose(options, counts, share, seed).items():
        out[i] = options[i][connective]
    return out


def rebalance(captions: Sequence[str], seed: int = 0) -> list[str]:
    """Rewrite connectives so that the five are used about equally, keeping every caption's meaning.

    Each caption may take any of its :func:`restatements`; which captions change is drawn with
    ``seed``, then a greedy pass (twice over) gives each the connective used least so far (every
    connective of a caption counts). Captions without a connective stay as they are.
    """
    return _restated_to(captions, count_connectives(captions), dict.fromkeys(CONNECTIVES, 1.0), seed)


def balance_directions(captions: Sequence[str], seed: int = 0) -> list[str]:
    """Restate captions so that their first connectives follow :data:`DIRECTION_BALANCED`, meaning kept.

    The originals of the matched replaced set (:func:`~.matched.replace_matched`): half of them name the
    first event first, half last, so that their negatives can use every connective as often.
    """
    firsts = Counter(dict.fromkeys(CONNECTIVES, 0))
    firsts.update(c for caption in captions for c in connectives_in(caption)[:1])
    return _restated_to(captions, firsts, DIRECTION_BALANCED, seed)
