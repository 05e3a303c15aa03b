"""The matched replaced set: negatives that use every connective as often as their originals do.

The paper's ``replace`` turns every "followed by" into "preceded by", so the connective alone
gives a negative away. Here the originals are first restated to half of each direction
(:func:`.restate.balance_directions`); each negative then takes an opposite connective dealt out
so that the five appear as often in negatives as in originals, with the glue around them (a
comma, "and", "is") dealt out the same way.
"""

from __future__ import annotations

import random
from collections import Counter
from collections.abc import Sequence
from dataclasses import replace as _with

from dtu_audio.datasets.temporal.chain import (
    AUXILIARIES,
    LEFT_FIRST,
    PASSIVE,
    RIGHT_FIRST,
    Chain,
    Link,
    clean_prefix,
    fits,
    parse_chain,
    render,
)
from dtu_audio.datasets.temporal.grammar import finite_be
from dtu_audio.datasets.temporal.rewrite import (
    connectives_in,
    no_order_to_swap,
    reads_badly,
    relinked,
    unplaced,
    with_be,
)


def _prefix_for(own: Link, connective: str) -> str:
    """The words before a replacing connective: "is" kept between two passives, "and" before "then"."""
    prefix = clean_prefix(own.prefix, keep_aux=own.connective in PASSIVE and connective in PASSIVE)
    return f"{prefix} and".strip() if connective == "then" and "and" in own.prefix.split() else prefix


def _replacements(caption: str) -> dict[str, str]:
    """The caption with its first connective swapped for each connective of the opposite direction that fits."""
    chain = parse_chain(caption)
    if chain is None or no_order_to_swap(chain, caption):
        return {}
    own, chain = chain.links[0], unplaced(chain)
    other = RIGHT_FIRST if own.connective in LEFT_FIRST else LEFT_FIRST
    opposite = own.opposite()
    out = {}
    for connective in other:
        if not fits(connective, opposite.modifier):
            continue
        replaced = relinked(chain, Link(connective, opposite.modifier, _prefix_for(own, connective)))
        if replaced is None or reads_badly(connective, replaced.clauses[1]):
            continue
        text = render(replaced)
        if connectives_in(text)[:1] == [connective]:
            out[connective] = text
    return out


def replace_matched(captions: Sequence[str], seed: int = 0) -> list[str | None]:
    """Replaced captions whose connectives follow the originals' own distribution (no connective prior).

    Like :func:`~.rewrite.replace` (events in place, the first connective now states the opposite order), but
    each caption takes one of the opposite connectives that fit, chosen so that every swap "X -> Y"
    is as common as "Y -> X" (so every connective is as common among the negatives as among the
    originals' first connectives), and a comma, "and" or "is" stands before each connective as often
    as in the originals. Exact only when the originals name the first event first as often as last
    (:func:`~.restate.balance_directions` makes them so); ``None`` where no opposite connective fits.
    """
    options = [_replacements(c) for c in captions]
    chosen = _paired(options, [(connectives_in(c) or [""])[0] for c in captions], seed)
    out = [o[chosen[i]] if o else None for i, o in enumerate(options)]
    return _with_glue_as_often(out, captions, seed)


def _paired(options: list[dict[str, str]], firsts: list[str], seed: int) -> dict[int, str]:
    """For each caption with options, the replacing connective, chosen greedily so that every swap
    "X -> Y" is as common as "Y -> X": then no connective, alone or by what it replaced, tells a
    negative from an original, and each is as common among the negatives as among the originals."""
    order = [i for i, o in enumerate(options) if o]
    rng = random.Random(seed)
    rng.shuffle(order)
    swaps: Counter = Counter()
    chosen: dict[int, str] = {}
    for _ in range(3):
        for i in order:
            x = firsts[i]
            if i in chosen:
                swaps[x, chosen[i]] -= 1
            targets = list(options[i])
            rng.shuffle(targets)
            chosen[i] = min(targets, key=lambda y: swaps[x, y] - swaps[y, x])
            swaps[x, chosen[i]] += 1
    return chosen


def _glue(link: Link) -> str:
    """What stands before a connective: a comma, "and", and "is" before "followed by" ("X is followed
    by Y"), in that order; "" for none."""
    words = link.prefix.replace(",", " , ").split()
    kept = ["is" if w in AUXILIARIES else w for w in words if w in (",", "and", *AUXILIARIES)]
    return " ".join(kept).replace(" ,", ",")


def _with_glue(caption: str, glue: str) -> str:
    """``caption`` with ``glue`` before its first connective; unchanged where "is" cannot stand there
    ("A man speaks is followed by" is no English, "A man speaks and is followed by" is), without
    "and" where it cannot ("Silence and is followed by")."""
    chain = parse_chain(caption)
    link, left = chain.links[0], chain.clauses[0]
    words = glue.replace(",", " , ").split()
    if "is" in words:
        finite = left.verb and left.tag != "VBG"
        if link.connective not in PASSIVE or (finite and "and" not in words):
            return caption
        if not finite:  # "Silence is followed by", not "Silence and is followed by"
            words = [w for w in words if w != "and"]
    if "is" in words and ((left.tag == "VBD" and not left.aux) or finite_be(left.aux) in ("was", "were")):
        words = ["was" if w == "is" else w for w in words]  # "A man spoke and was followed by"
    link = _with(link, prefix=" ".join(words).replace(" ,", ","))
    link = with_be(link, left.plural) if {"is", "was"} & set(words) else link
    return render(_with(chain, links=(link, *chain.links[1:])))


def _glue_context(chain: Chain) -> tuple[str, bool, bool, bool, bool]:
    """What the words before a chain's first connective go with, most telling first: the connective,
    a shared subject on its right ("and then laughs"), a comma elsewhere in the caption, a finite
    verb on its left ("A man speaks, then" vs "Speech is followed by") and an "and" elsewhere."""
    bare = render(_with(chain, links=(_with(chain.links[0], prefix=""), *chain.links[1:])))
    words = bare.lower().replace(",", " , ").split()
    left = chain.clauses[0]
    finite = bool(left.verb) and left.tag != "VBG"
    return chain.links[0].connective, chain.shared[1], "," in words, finite, "and" in words


def _apportioned(counts: Counter, n: int, rng: random.Random) -> list[str]:
    """``n`` draws in the proportions of ``counts``, by largest remainder (ties broken at random), shuffled."""
    quotas = {key: n * count / counts.total() for key, count in counts.items()}
    out = [key for key, quota in quotas.items() for _ in range(int(quota))]
    rest = sorted(quotas, key=lambda key: (quotas[key] - int(quotas[key]), rng.random()), reverse=True)
    out += rest[: n - len(out)]
    rng.shuffle(out)
    return out


_MIN_CONTEXT = 5  # originals a glue context needs before its own proportions are used


def _with_glue_as_often(negatives: list[str | None], captions: Sequence[str], seed: int) -> list[str | None]:
    """Negatives whose first connective has a comma, "and" or "is" before it ("X, then Y", "X and then
    Y", "X is followed by Y") as often as the originals' same connective in the same context
    (:func:`_glue_context`, shortened from its end until enough originals share it), so that neither
    the glue nor what stands beside it tells them apart."""
    glues: dict[tuple, Counter] = {}
    for chain in filter(None, map(parse_chain, captions)):
        if chain.initial:  # "After X, Y": nothing stands before its connective
            continue
        context = _glue_context(chain)
        for k in range(1, len(context) + 1):
            glues.setdefault(context[:k], Counter())[_glue(chain.links[0])] += 1
    mine: dict[tuple, list[int]] = {}
    for i, negative in enumerate(negatives):
        chain = parse_chain(negative) if negative is not None else None
        if chain is None or chain.initial:
            continue
        context = _glue_context(chain)
        while len(context) > 1 and glues.get(context, Counter()).total() < _MIN_CONTEXT:
            context = context[:-1]
        mine.setdefault(context, []).append(i)
    rng = random.Random(seed)
    out = list(negatives)
    for context, indices in mine.items():
        if context not in glues:
            continue
        for i, glue in zip(indices, _apportioned(glues[context], len(indices), rng), strict=True):
            text = _with_glue(out[i], glue)
            if connectives_in(text)[:1] == [context[0]]:  # "again and then" orders nothing
                out[i] = text
    return out
