"""Temporal caption toolkit: rewrite captions around the connectives that order their events.

A caption is read as a chain of events (:mod:`dtu_audio.datasets.temporal_chain`, whose five
connectives and opposites are the one vocabulary of the package). The rewrites keep the
grammar: a clause moved behind "followed by" becomes a noun phrase ("a man speaks" -> "a man
speaking"), a shared subject stays in front, verb forms stay with their place. A caption with a
cue that cannot be rewritten gives ``None``: it is never returned unchanged as its own "negative".
"""

from __future__ import annotations

import random
import re
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import replace as _with

from dtu_audio.datasets.temporal_chain import (
    AUXILIARIES,
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
from dtu_audio.datasets.temporal_grammar import (
    DETERMINERS,
    Clause,
    finite_be,
    is_plural,
    lemma,
    lemmas_of,
    parse_clause,
)
from dtu_audio.datasets.temporal_mentions import PRONOUNS, keep_in_place, split_scene, with_scene

_ANY_CONNECTIVE_RE = re.compile(r"\b(followed\s+by|preceded\s+by|then|before|after)\b", re.IGNORECASE)


def _form(clause: Clause) -> tuple[str, str]:
    return (clause.aux, clause.tag)


def _leaves_be_understood(head: Clause, vp: Clause) -> bool:
    """Whether ``vp``, sharing ``head``'s subject, is a participle whose passive "is" is understood
    ("refilled" of "A toilet is flushed then refilled")."""
    return head.passive and not vp.aux and vp.tag in ("VBN", "VBD")


def _understood(head: Clause, vp: Clause) -> Clause:
    """A verb phrase sharing ``head``'s subject, with the passive "is" it leaves understood spelled
    out: "refilled" of "A toilet is flushed then refilled" is "is refilled"."""
    return _with(vp, aux=finite_be(head.aux) or head.aux) if _leaves_be_understood(head, vp) else vp


def _reversed_group(clauses: list[Clause]) -> list[Clause]:
    """A shared-subject group with its verb phrases in reverse order, each in the form of its new slot.

    A passive's "is" stays understood where it was: "A toilet is flushed then refilled" -> "A toilet
    is refilled then flushed".
    """
    head, plural = clauses[0], clauses[0].plural
    spelled = [head] + [_understood(head, vp) for vp in clauses[1:]]
    understood = [vp.aux != own.aux for vp, own in zip(spelled, clauses, strict=True)]
    moved = [vp.in_form(*_form(slot), plural) for vp, slot in zip(reversed(spelled), spelled, strict=True)]
    moved = [_with(vp, aux="") if aux and vp.passive else vp for vp, aux in zip(moved, understood, strict=True)]
    return [_with(moved[0], subject=head.subject)] + [_with(vp, subject="") for vp in moved[1:]]


def _in_slot(group: list[Clause], slot: Clause) -> list[Clause]:
    """A group moved into the place of another: when both have verbs, it takes the form that place had.

    "A man speaks followed by a dog barking" -> "A dog barks followed by a man speaking": the
    finite verb stays on the left, the gerund on the right, as in the original.
    """
    first = group[0]
    # "glass breaking and people laughing", "a dog growling and barking" stay noun phrases: one
    # verb of several would change; a pronoun cannot have a gerund ("before it runs and cuts out")
    and_ = " and " in f" {first.subject} {first.rest} ".lower()
    coordinated = first.tag == "VBG" and and_ and first.subject.lower() not in PRONOUNS
    simple = "," not in first.subject + slot.subject and not coordinated and not first.in_subclause
    both = first.verb and slot.verb and first.subject and slot.subject and first.passive == slot.passive and simple
    if not both or _form(first) == _form(slot):
        return group
    plural = first.plural
    return [c.in_form(*_form(slot), plural) if _form(c) == _form(first) else c for c in group]


_TENSES = {"is": ("is", "are"), "are": ("is", "are"), "was": ("was", "were"), "were": ("was", "were")}


def _with_be(link: Link, plural: bool | None) -> Link:
    """``link`` with its form of "be" agreeing with a singular or plural subject, its tense kept
    ("was followed by" stays past), "is"/"are" added where it has none; dropped for ``None``."""
    words = link.prefix.split()
    if plural is None:
        return _with(link, prefix=" ".join(w for w in words if w not in AUXILIARIES))
    old = next((w for w in words if w in AUXILIARIES), None)
    form = _TENSES[old or "is"][plural]
    return _with(link, prefix=" ".join([form if w in AUXILIARIES else w for w in words] if old else [*words, form]))


def _gerund_clause(clause: Clause) -> bool:
    """Whether ``clause`` is a named subject with a bare gerund ("a man speaking", "people talking"),
    not a noun phrase that only looks like one ("a low scraping", "pigeon wing flapping")."""
    words = f"{clause.subject} {clause.rest}".lower().split()
    subject = clause.subject.lower().split()
    named = bool(subject) and (subject[0] in DETERMINERS or subject[0] in ("people", "men", "women", "children"))
    noun = bool(subject) and {"NOUN"} <= set(lemmas_of(subject[-1])) and "ADJ" not in lemmas_of(subject[-1])
    return clause.tag == "VBG" and not clause.aux and named and noun and "and" not in words


def _joined(link: Link, left: Clause, slot: Clause) -> tuple[Link, Clause]:
    """A link after a new left clause that took the place of ``slot``, and that clause.

    Only "followed/preceded by" keep a form of "be" before them, agreeing with the new subject:
    after "and" behind a verb ("occurs and is followed by"); after a noun phrase ("Rattling is
    followed by"), which also takes the "is" of a progressive it replaces ("A man is speaking
    followed by gunfire" -> "Gunfire is followed by a man speaking"); a named gerund becomes a
    progressive instead ("Quacks are followed by a man speaking" -> "A man is speaking followed by
    quacks").
    """
    prefix = link.prefix.split()
    has_be = bool(set(prefix) & AUXILIARIES)
    head = re.split(r"\b(?:that|which|who)\b", left.subject)[0]  # "a snap in a cycle that repeats"
    plural = left.plural if left.verb else is_plural(head)
    if link.connective not in PASSIVE:
        return _with_be(link, None), left
    if left.verb and left.tag != "VBG":  # a finite verb: "is" only after "and"
        return _with_be(link, plural if has_be and "and" in prefix else None), left
    without_and = _with(link, prefix=" ".join(w for w in prefix if w != "and"))
    if has_be and _gerund_clause(left) and "," not in prefix:
        return _with_be(without_and, None), left.in_form("is", "VBG")
    if has_be:
        return _with_be(without_and, plural), left
    if not left.verb and slot.verb and finite_be(slot.aux) in AUXILIARIES and "," not in prefix:
        return _with_be(link, plural), left
    return link, left


def reverse_chain(chain: Chain) -> Chain:
    """The chain with its events in reverse order, connectives kept in place: the order becomes wrong.

    Groups of verb phrases sharing a subject keep the subject in front and reverse their verb
    phrases; verb forms, determiners that introduce or refer back, pronouns, "again" and a closing
    background ("... as birds chirp in the background") stay with their place
    (:mod:`~dtu_audio.datasets.temporal_mentions`); a group that lands behind "followed by" or
    "preceded by" becomes a noun phrase.
    """
    scene = ""
    if not chain.initial:
        last, scene = split_scene(chain.clauses[-1])
        chain = _with(chain, clauses=(*chain.clauses[:-1], last))
    groups = [[chain.clauses[i] for i in group] for group in chain.groups]
    reading = -1 if chain.initial else 1  # "After X, Y" is stored as "Y after X"
    groups = keep_in_place(groups[::reading])[::reading]
    inner = [[chain.links[i] for i in group[:-1]] for group in chain.groups]
    joints = [chain.links[group[-1]] for group in chain.groups[:-1]]
    clauses: list[Clause] = []
    shared: list[bool] = []
    links: list[Link] = []
    for k, source in enumerate(reversed(range(len(groups)))):
        new = _in_slot(_reversed_group(groups[source]), groups[k][0])
        if k > 0:
            at = len(clauses) - len(groups[source + 1])
            joint, clauses[at] = _joined(joints[k - 1], clauses[at], groups[k - 1][0])
            links.append(joint)
            if joint.connective in PASSIVE and not new[0].in_subclause:  # "a man talking as metal clanks then rattles"
                new = [new[0].as_gerund()] + [_as_noun_phrase_part(vp, new[0]) for vp in new[1:]]
        links += inner[source]
        clauses += new
        shared += [False] + [True] * (len(new) - 1)
    clauses[-1] = with_scene(clauses[-1], scene)
    return Chain(tuple(clauses), tuple(links), tuple(shared), chain.ending, chain.initial)


def _as_noun_phrase_part(vp: Clause, head: Clause) -> Clause:
    """A verb phrase that shares ``head``'s subject, behind "followed by": a gerund, except a
    passive's participle whose "is" is understood ("a door being closed then opened")."""
    return vp if _leaves_be_understood(head, vp) else vp.in_form("", "VBG")


def _fit_right(clause: Clause, shared: bool, connective: str, main: Clause) -> Clause | None:
    """``clause`` made to stand on the right of ``connective`` after ``main``; ``None`` when it cannot."""
    if connective in PASSIVE:
        return None if shared else clause.as_gerund()
    if shared:
        clause = _understood(main, clause)
        if connective in ("before", "after"):
            return clause.in_form("", "VBG")
        if main.aux in ("is", "are") and main.tag == "VBG":  # "is getting louder, then blows a horn"
            return clause.in_form("", "VBZ" if main.aux == "is" else "VBP")
        clause = clause.in_form(*_form(main))
        return _with(clause, aux="") if main.passive and clause.passive else clause
    return clause


def _reads_badly(connective: str, right: Clause) -> bool:
    """Whether a restatement would put a pronoun behind "followed by"/"preceded by" ("preceded by it
    trailing off"): real captions say "then it trails off" instead."""
    return connective in PASSIVE and right.subject.lower() in PRONOUNS


def replace_chain(chain: Chain) -> Chain | None:
    """The chain with its first connective swapped for the opposite, events in place; ``None`` if it cannot be."""
    link = chain.links[0]
    new = link.opposite()
    right = _fit_right(chain.clauses[1], chain.shared[1], new.connective, chain.clauses[0])
    if right is None:
        return None
    return _with(chain, clauses=(chain.clauses[0], right, *chain.clauses[2:]), links=(new, *chain.links[1:]))


def _rewrite(caption: str, transform) -> str | None:
    chain = parse_chain(caption)
    if chain is None:
        return None
    out = transform(chain)
    if out is None:
        return None
    text = render(out)
    return None if _canonical(text) == _canonical(caption) else text


def _canonical(text: str) -> str:
    return " ".join(re.sub(r"[^\w\s]", " ", text.lower()).split())


def reverse(caption: str) -> str | None:
    """The events in reverse order, connectives kept: the order becomes wrong; ``None`` if not rewritable.

    ``"A man speaks followed by a dog barking" -> "A dog barking followed by a man speaking"``;
    ``"A woman hiccups then laughs" -> "A woman laughs then hiccups"``. A caption without a
    connective also gives ``None``.
    """
    return _rewrite(caption, reverse_chain)


def reads_the_same_reversed(caption: str) -> bool:
    """Whether the caption's events read the same in reverse order, so that it has no order to test:
    "A toilet flushes followed by another toilet flushing", "A car runs, stops, then runs again"."""
    chain = parse_chain(caption)
    return chain is not None and _canonical(render(reverse_chain(chain))) == _canonical(caption)


def replace(caption: str) -> str | None:
    """The first connective swapped for its opposite, events kept in place: the order becomes wrong.

    followed by <-> preceded by, before <-> after, then -> after; ``None`` when not rewritable.
    """
    return _rewrite(caption, replace_chain)


def connectives_in(caption: str) -> list[str]:
    """Every connective that orders two events in ``caption``, in reading order."""
    chain = parse_chain(caption)
    return [] if chain is None else [link.connective for link in chain.links]


def count_connectives(captions: Sequence[str]) -> Counter:
    """How often each of the five connectives occurs over ``captions`` (every occurrence counts)."""
    counts = Counter(dict.fromkeys(CONNECTIVES, 0))
    for caption in captions:
        counts.update(connectives_in(caption))
    return counts


def has_temporal_cue(caption: str) -> bool:
    """Whether the caption uses a connective word, also in phrases such as "one after the other".

    The paper's rule for its temporal test subsets. :func:`reverse` and :func:`replace` rewrite
    every such caption they can and give ``None`` for the others, never the caption unchanged.
    """
    return _ANY_CONNECTIVE_RE.search(caption) is not None


def compose(first: str, second: str, connective: str) -> str:
    """A caption saying ``first`` happens before ``second`` with ``connective``.

    The clause that opens the caption is capitalised and the other one starts lower-case; a
    clause that lands behind "followed by"/"preceded by" becomes a noun phrase:
    ``compose("cow mooing", "a toilet flushes", "followed by") == "Cow mooing followed by a toilet flushing"``.
    """
    if connective not in CONNECTIVES:
        raise ValueError(f"unknown connective {connective!r}; expected one of {', '.join(CONNECTIVES)}")
    text = _composed(parse_clause(first.strip()), parse_clause(second.strip()), False, Link(connective))
    return render(text)


def _composed(first: Clause, second: Clause, shared: bool, link: Link) -> Chain | None:
    """The two-event chain saying ``first`` then ``second`` with ``link``; ``None`` when the grammar forbids it.

    With a shared subject, ``first`` holds it and ``second`` is a verb phrase.
    """
    lead, follow = (first, second) if link.connective in LEFT_FIRST else _swapped(first, second, shared)
    follow = _fit_right(follow, shared, link.connective, lead)
    if follow is None:
        return None
    return Chain((lead, follow), (link,), (False, shared), "")


def other_connectives(connective: str) -> list[str]:
    """The four other connectives: those of the same direction first, in the paper's paraphrase order."""
    same, other = (LEFT_FIRST, RIGHT_FIRST) if connective in LEFT_FIRST else (RIGHT_FIRST, LEFT_FIRST)
    return [c for c in same if c != connective] + list(other)


def _events(chain: Chain) -> tuple[Clause, Clause]:
    """The two events of a one-connective chain in the order they happen."""
    left, right = chain.clauses
    if chain.links[0].connective in LEFT_FIRST:
        return left, right
    return _swapped(left, right, chain.shared[1])


def _swapped(first: Clause, second: Clause, shared: bool) -> tuple[Clause, Clause]:
    """``(second, first)``; with a shared subject, the subject stays in front and the verbs trade forms."""
    if not shared:
        return second, first
    second = _understood(first, second)
    return _with(second.in_form(*_form(first)), subject=first.subject), _with(first.in_form(*_form(second)), subject="")


def _restated(caption: str, swap: bool) -> list[str]:
    chain = parse_chain(caption)
    if chain is None or len(chain.links) != 1:
        return []
    first, second = _events(chain)
    if swap:
        first, second = _swapped(first, second, chain.shared[1])
    out = []
    for connective in other_connectives(chain.links[0].connective):
        composed = _composed(first, second, chain.shared[1], Link(connective))
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
    new = Link(connective, link.modifier, clean_prefix(link.prefix, keep_aux))
    right = _fit_right(chain.clauses[1], chain.shared[1], connective, chain.clauses[0])
    if right is None:
        return None
    return _with(chain, clauses=(chain.clauses[0], right, *chain.clauses[2:]), links=(new, *chain.links[1:]))


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
        first, second = _events(chain)
        for connective in other_connectives(own.connective):
            if fits(connective, own.modifier):
                composed = _composed(first, second, chain.shared[1], Link(connective, own.modifier))
                if composed is not None and not _reads_badly(connective, composed.clauses[1]):
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

    The originals of the matched replaced set (:func:`replace_matched`): half of them name the
    first event first, half last, so that their negatives can use every connective as often.
    """
    firsts = Counter(dict.fromkeys(CONNECTIVES, 0))
    firsts.update(c for caption in captions for c in connectives_in(caption)[:1])
    return _restated_to(captions, firsts, DIRECTION_BALANCED, seed)


def _prefix_for(own: Link, connective: str) -> str:
    """The words before a replacing connective: "is" kept between two passives, "and" before "then"."""
    prefix = clean_prefix(own.prefix, keep_aux=own.connective in PASSIVE and connective in PASSIVE)
    return f"{prefix} and".strip() if connective == "then" and "and" in own.prefix.split() else prefix


def _replacements(caption: str) -> dict[str, str]:
    """The caption with its first connective swapped for each connective of the opposite direction that fits."""
    chain = parse_chain(caption)
    if chain is None:
        return {}
    own = chain.links[0]
    other = RIGHT_FIRST if own.connective in LEFT_FIRST else LEFT_FIRST
    opposite = own.opposite()
    out = {}
    for connective in other:
        if not fits(connective, opposite.modifier):
            continue
        link = Link(connective, opposite.modifier, _prefix_for(own, connective))
        right = _fit_right(chain.clauses[1], chain.shared[1], connective, chain.clauses[0])
        if right is None:
            continue
        if _reads_badly(connective, right):
            continue
        text = render(
            _with(chain, clauses=(chain.clauses[0], right, *chain.clauses[2:]), links=(link, *chain.links[1:]))
        )
        if connectives_in(text)[:1] == [connective]:
            out[connective] = text
    return out


def replace_matched(captions: Sequence[str], seed: int = 0) -> list[str | None]:
    """Replaced captions whose connectives follow the originals' own distribution (no connective prior).

    Like :func:`replace` (events in place, the first connective now states the opposite order), but
    each caption takes one of the opposite connectives that fit, chosen so that every swap "X -> Y"
    is as common as "Y -> X" (so every connective is as common among the negatives as among the
    originals' first connectives), and a comma, "and" or "is" stands before each connective as often
    as in the originals. Exact only when the originals name the first event first as often as last
    (:func:`balance_directions` makes them so); ``None`` where no opposite connective fits.
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
    link = _with(link, prefix=" ".join(words).replace(" ,", ","))
    link = _with_be(link, left.plural) if "is" in words else link
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
