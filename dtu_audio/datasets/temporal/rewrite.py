"""The rewrites that reverse the order of a caption's events or swap its connective for the opposite.

A caption is read as a chain of events (:mod:`.chain`, whose five connectives and opposites are
the one vocabulary of the package). The rewrites keep the grammar: a clause moved behind
"followed by" becomes a noun phrase ("a man speaks" -> "a man speaking"), a shared subject stays
in front, verb forms stay with their place. A caption with a cue that cannot be rewritten gives
``None``: it is never returned unchanged as its own "negative".
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import replace as _with

from dtu_audio.datasets.temporal.chain import (
    AUXILIARIES,
    CONNECTIVES,
    LEFT_FIRST,
    PASSIVE,
    RIGHT_FIRST,
    Chain,
    Link,
    parse_chain,
    render,
)
from dtu_audio.datasets.temporal.grammar import Clause, finite_be, is_plural, parse_clause
from dtu_audio.datasets.temporal.lexicon import BE_TAGS, DETERMINERS, lemma, lemmas_of
from dtu_audio.datasets.temporal.mentions import (
    PRONOUNS,
    keep_in_place,
    returns_to_first,
    split_scene,
    with_scene,
    without_order_words,
    without_repeat_words,
)

_ANY_CONNECTIVE_RE = re.compile(r"\b(followed\s+by|preceded\s+by|then|before|after)\b", re.IGNORECASE)


def _form(clause: Clause) -> tuple[str, str]:
    return (clause.aux, clause.tag)


_ONE_OFF_VERBS = frozenset({
    "stop", "start", "begin", "slam", "shut", "close", "exit", "enter", "arrive", "finish", "end", "explode",
    "pop", "crash", "drop", "hit", "answer", "leave", "land", "snap", "bang",
})  # fmt: skip
"""Verbs of one moment, which a caption says in the simple form rather than "is stopping"."""


def _form_for(clause: Clause, slot: Clause) -> tuple[str, str]:
    """The form ``clause`` takes in the place of ``slot``: that place's, but the simple present for a
    one-off verb in a progressive's place ("a horn stops", not "a horn is stopping")."""
    aux, tag = _form(slot)
    if tag == "VBG" and finite_be(aux) in ("is", "are") and lemma(clause.verb) in _ONE_OFF_VERBS and not clause.passive:
        return "", "VBZ"
    return aux, tag


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
    bare = [_with(vp, subject="") for vp in reversed(spelled)]  # verb phrases: their subject stays in front
    moved = [vp.in_form(*_form(slot), plural) for vp, slot in zip(bare, spelled, strict=True)]
    moved = [_with(vp, aux="") if aux and vp.passive else vp for vp, aux in zip(moved, understood, strict=True)]
    return [_with(moved[0], subject=head.subject), *moved[1:]]


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
    return [c.in_form(*_form_for(c, slot), plural) if _form(c) == _form(first) else c for c in group]


_TENSES = {"is": ("is", "are"), "are": ("is", "are"), "was": ("was", "were"), "were": ("was", "were")}


def with_be(link: Link, plural: bool | None) -> Link:
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
        return with_be(link, None), left
    if left.verb and left.tag != "VBG":  # a finite verb: "is" only after "and"
        return with_be(link, plural if has_be and "and" in prefix else None), left
    without_and = _with(link, prefix=" ".join(w for w in prefix if w != "and"))
    if has_be and _gerund_clause(left) and "," not in prefix:
        return with_be(without_and, None), left.in_form("is", "VBG")
    if has_be:
        return with_be(without_and, plural), left
    if not left.verb and slot.verb and finite_be(slot.aux) in AUXILIARIES and "," not in prefix:
        return with_be(link, plural), left
    return link, left


def reverse_chain(chain: Chain) -> Chain:
    """The chain with its events in reverse order, connectives kept in place: the order becomes wrong.

    Groups of verb phrases sharing a subject keep the subject in front and reverse their verb
    phrases; verb forms, determiners that introduce or refer back, pronouns, "again" and a closing
    background ("... as birds chirp in the background") stay with their place
    (:mod:`~dtu_audio.datasets.temporal.mentions`); a group that lands behind "followed by" or
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
    origins: list[int] = []  # where each clause stood
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
        origins += reversed(chain.groups[source])
        shared += [False] + [True] * (len(new) - 1)
    clauses = [
        c.with_list_closed() if _lost_its_and(chain.links, origin, links, p) else c
        for p, (c, origin) in enumerate(zip(clauses, origins, strict=True))
    ]  # "A man hangs up, and then speaks on the phone and laughs"
    clauses[-1] = with_scene(clauses[-1], scene)
    reversed_chain = Chain(tuple(clauses), tuple(links), tuple(shared), chain.ending, chain.initial)
    return _without_fragment(reversed_chain)


def _lost_its_and(old: Sequence[Link], origin: int, new: Sequence[Link], place: int) -> bool:
    """Whether a clause that stood before link ``origin`` of ``old``, whose "and" closed the clause's
    list ("starts, idles, and then ..."), stands before link ``place`` of ``new``, one without "and",
    or at the end."""
    had = origin < len(old) and "and" in old[origin].prefix.split()
    has = place < len(new) and "and" in new[place].prefix.split()
    return had and not has


def _without_fragment(chain: Chain) -> Chain:
    """An "After X, Y" chain whose main clause Y would be a bare noun phrase ("After a man speaks, a
    beep") said with "followed by" instead: "A man speaks, followed by a beep"."""
    if not chain.initial or len(chain.clauses) != 2 or chain.clauses[0].verb or not chain.clauses[1].verb:
        return chain
    main, other = chain.clauses
    first, second = (other, main) if chain.links[0].connective == "after" else (main, other)
    restated = two_event_chain(first, second, False, Link("followed by", prefix=","))
    return chain if restated is None else _with(restated, ending=chain.ending)


def _as_noun_phrase_part(vp: Clause, head: Clause) -> Clause:
    """A verb phrase that shares ``head``'s subject, behind "followed by": a gerund, except a
    passive's participle whose "is" is understood ("a door being closed then opened")."""
    return vp if _leaves_be_understood(head, vp) else vp.in_form("", "VBG")


def fit_right(clause: Clause, shared: bool, connective: str, main: Clause) -> Clause | None:
    """``clause`` made to stand on the right of ``connective`` after ``main``; ``None`` when it cannot."""
    if connective in PASSIVE:
        return None if shared else clause.as_gerund()
    if shared:
        clause = _understood(main, clause)
        if connective in ("before", "after"):
            return clause.in_form("", "VBG")
        be = finite_be(main.aux)
        if be and main.tag == "VBG":  # "is getting louder, then blows a horn"; "was speaking, then coughed"
            return clause.in_form("", BE_TAGS[be])
        clause = clause.in_form(*_form(main))
        return _with(clause, aux="") if main.passive and clause.passive else clause
    return clause


def reads_badly(connective: str, right: Clause) -> bool:
    """Whether a restatement would put a pronoun behind "followed by"/"preceded by" ("preceded by it
    trailing off"): real captions say "then it trails off" instead."""
    return connective in PASSIVE and right.subject.lower() in PRONOUNS


def replace_chain(chain: Chain) -> Chain | None:
    """The chain with its first connective swapped for the opposite, events in place; ``None`` if it cannot be."""
    return relinked(unplaced(chain), chain.links[0].opposite())


def unplaced(chain: Chain) -> Chain:
    """The chain without the words that place its first two events at the start or the end of the
    clip or say the second comes again, which the opposite connective would contradict: "The machine
    first hums, followed by a whir" -> "The machine hums, preceded by a whir"; "... then gets louder
    again" -> "... after getting louder"."""
    first, second, *others = chain.clauses
    second = without_repeat_words(without_order_words(second))  # "after getting louder again": stated first now
    return _with(chain, clauses=(without_order_words(first), second, *others))


def relinked(chain: Chain, link: Link) -> Chain | None:
    """The chain with ``link`` for its first link, clauses in place, the one after it made to fit;
    ``None`` where it cannot. A list before the link that loses its "and" with the old link gets one:
    "starts, idles, and then shuts off" -> "starts and idles, after shutting off"."""
    right = fit_right(chain.clauses[1], chain.shared[1], link.connective, chain.clauses[0])
    if right is None:
        return None
    left = chain.clauses[0].with_list_closed() if _lost_its_and(chain.links, 0, [link], 0) else chain.clauses[0]
    return _with(chain, clauses=(left, right, *chain.clauses[2:]), links=(link, *chain.links[1:]))


def _rendered(caption: str, chain: Chain | None) -> str | None:
    """``chain`` as text, ``None`` when there is none or it says the caption again."""
    if chain is None:
        return None
    text = render(chain)
    return None if _canonical(text) == _canonical(caption) else text


def _canonical(text: str) -> str:
    return " ".join(re.sub(r"[^\w\s]", " ", text.lower()).split())


def reverse(caption: str) -> str | None:
    """The events in reverse order, connectives kept: the order becomes wrong; ``None`` if not rewritable.

    ``"A man speaks followed by a dog barking" -> "A dog barking followed by a man speaking"``;
    ``"A woman hiccups then laughs" -> "A woman laughs then hiccups"``. A caption without a
    connective also gives ``None``.
    """
    chain = parse_chain(caption)
    return None if chain is None else _reversal(chain, caption)


def _reversal(chain: Chain, caption: str) -> str | None:
    """``caption`` (read as ``chain``) with its events reversed, ``None`` where that reads the same:
    the caption again, or its own reading with an understood verb spelled out ("getting louder, then
    (getting) softer, then (getting) louder again")."""
    if _repeats_itself(chain) or returns_to_first(chain.clauses):
        return None
    text = render(reverse_chain(chain))
    return None if _canonical(text) in (_canonical(caption), _canonical(render(chain))) else text


def _repeats_itself(chain: Chain) -> bool:
    """Whether a two-event caption's second event is the first again, named by "another" alone: "A
    goose honks followed shortly by another goose", "A race car zooms by followed by another", "A
    car passes by then another one follows"."""
    if len(chain.clauses) != 2:
        return False
    second = chain.clauses[1]
    follows = lemma(second.verb) == "follow" and not second.rest  # "then another one follows"
    if second.verb and not follows:
        return False
    match = _ANOTHER_RE.match(second.subject.strip() if follows else second.text.strip())
    if match is None or match.group("body") is None:
        return match is not None
    subject = re.split(r"\s(?:with|of|in|on|from|that|which|who)\s", f" {chain.clauses[0].subject.lower()} ")[0]
    body = [w for w in match.group("body").lower().split() if w not in ("follows", "follow")]  # "one follows"
    return body == ["one"] or body[-1:] == subject.split()[-1:]  # "a goose ... another goose"


_ANOTHER_RE = re.compile(r"^(?:another|one\s+more|a\s+second)(?:\s+(?P<body>\w.*))?$", re.IGNORECASE)


def reads_the_same_reversed(caption: str) -> bool:
    """Whether the caption's events read the same in reverse order, so that it has no order to test:
    "A toilet flushes followed by another toilet flushing", "A car runs, stops, then runs again"."""
    chain = parse_chain(caption)
    return chain is not None and _reads_the_same(chain, caption)


def _reads_the_same(chain: Chain, caption: str) -> bool:
    return _reversal(chain, caption) is None


def no_order_to_swap(chain: Chain, caption: str) -> bool:
    """Whether ``caption`` (read as ``chain``) has two events that read the same in either order, so
    that swapping its connective says it again: "a toilet flushes followed by another toilet flushing"."""
    return len(chain.links) == 1 and _reads_the_same(chain, caption)


def replace(caption: str) -> str | None:
    """The first connective swapped for its opposite, events kept in place: the order becomes wrong.

    followed by <-> preceded by, before <-> after, then -> after; ``None`` when not rewritable, or
    when its two events read the same in either order ("A dog barks then barks again").
    """
    chain = parse_chain(caption)
    if chain is None or no_order_to_swap(chain, caption):
        return None
    return _rendered(caption, replace_chain(chain))


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
    text = two_event_chain(parse_clause(first.strip()), parse_clause(second.strip()), False, Link(connective))
    return render(text)


def two_event_chain(first: Clause, second: Clause, shared: bool, link: Link) -> Chain | None:
    """The two-event chain saying ``first`` then ``second`` with ``link``; ``None`` when the grammar forbids it.

    With a shared subject, ``first`` holds it and ``second`` is a verb phrase.
    """
    lead, follow = (first, second) if link.connective in LEFT_FIRST else swapped(first, second, shared)
    follow = fit_right(follow, shared, link.connective, lead)
    if follow is None:
        return None
    return Chain((lead, follow), (link,), (False, shared), "")


def other_connectives(connective: str) -> list[str]:
    """The four other connectives: those of the same direction first, in the paper's paraphrase order."""
    same, other = (LEFT_FIRST, RIGHT_FIRST) if connective in LEFT_FIRST else (RIGHT_FIRST, LEFT_FIRST)
    return [c for c in same if c != connective] + list(other)


def events_in_order(chain: Chain) -> tuple[Clause, Clause]:
    """The two events of a one-connective chain in the order they happen."""
    left, right = chain.clauses
    if chain.links[0].connective in LEFT_FIRST:
        return left, right
    return swapped(left, right, chain.shared[1])


def swapped(first: Clause, second: Clause, shared: bool) -> tuple[Clause, Clause]:
    """``(second, first)``; with a shared subject, the subject stays in front and the verbs trade forms."""
    if not shared:
        return second, first
    second = _understood(first, second)
    lead = _with(second.in_form(*_form(first)), subject=first.subject)
    return lead, _with(first, subject="").in_form(*_form(second), plural=first.plural)
