"""Temporal caption toolkit: find the connectives that order events and rewrite around them.

Five connectives order two events: "followed by", "before" and "then" put the first event on
the left, "preceded by" and "after" put it on the right. They may carry a modifier ("followed
shortly by", "right after", "and then") or open the caption ("After X, Y"); "while" and "as"
mean simultaneity and are left alone, as are phrases such as "one after the other". A caption
is read as a chain of events joined by connectives; a verb phrase without a subject ("A man
speaks then whistles") shares the subject of the clause before it. The rewrites keep the
grammar: a clause moved behind "followed by" becomes a noun phrase ("a man speaks" -> "a man
speaking"), a shared subject stays in front. A caption with a cue that cannot be rewritten
gives ``None``: it is never returned unchanged as its own "negative".
"""

from __future__ import annotations

import random
import re
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from dataclasses import replace as _with

from dtu_audio.datasets.temporal_grammar import (
    ASPECTUAL_VERBS,
    BE_TAGS,
    Clause,
    lemma,
    lemmas_of,
    parse_clause,
    subjectless,
    verb_tag,
)

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
PASSIVE = frozenset({"followed by", "preceded by"})
"""Connectives that take a noun phrase on their right ("followed by a man speaking")."""

_BY_MODIFIERS = ("shortly", "soon", "quickly", "immediately", "closely", "directly", "briefly", "later", "then")
_TIME_MODIFIERS = (
    "shortly", "soon", "right", "just", "immediately", "directly", "quickly", "briefly", "not long", "long",
    "moments", "seconds", "only", "even", "then",
)  # fmt: skip
# Modifiers that still read when the connective turns into its opposite ("right before", "preceded shortly by").
_REVERSIBLE_MODIFIERS = {"shortly", "quickly", "immediately", "closely", "directly", "briefly", "right", "just"}
_REVERSIBLE_MODIFIERS |= {"moments", "seconds", "only", "even"}
_BY = "|".join(_BY_MODIFIERS)
_TIME = "|".join(m.replace(" ", r"\s+") for m in _TIME_MODIFIERS)
_CORE = (
    rf"(?:(?P<m1>{_BY})\s+)?(?P<by>followed|preceded)(?:\s+(?P<m2>{_BY}))?\s+by"
    r"|(?P<then>then|after\s+(?:which|that|this))"
    rf"|(?:(?P<m3>{_TIME})\s+)?(?P<ba>before|after)"
)
_LINK_RE = re.compile(
    rf"(?P<pre>\s*[,;.]?(?:\s+and)?(?:\s+(?:is|are|was|were))?)\s+(?:{_CORE})\b(?=\s*\w)", re.IGNORECASE
)
# "After X, Y"; without the comma, Y opens with a determiner: "After speeding up a saw stops".
_INITIAL_RE = re.compile(rf"^\s*(?:(?P<m3>{_TIME})\s+)?(?P<ba>before|after)\s+(?P<x>[^,]+),\s*(?P<y>\w.*)$", re.I)
_INITIAL_BARE_RE = re.compile(
    rf"^\s*(?:(?P<m3>{_TIME})\s+)?(?P<ba>before|after)\s+(?P<x>[^,]+?\w(?<!\bof)(?<!\bon)(?<!\bin)(?<!\bby))"
    r"\s+(?=(?:a|an|the|some|his|her|their|its|two|three|several|people|someone)\s)(?P<y>[^,]*\w.*)$",
    re.IGNORECASE,
)
# Phrases that contain a connective word without ordering two events.
_NOT_AN_ORDER_RE = re.compile(
    r"\b(?:before\s+and\s+after|after\s+and\s+before|(?:every\s+)?now\s+and\s+then|then\s+(?:again|on)\b"
    r"|(?:one|each)\s+(?:right\s+|just\s+)?after\s+(?:the\s+)?(?:other|another)|(?P<again>\w+)\s+after\s+(?P=again)\b"
    r"|(?:than|as|ever|never|heard|seen)\s+before|before\s+(?:long|that|then|now)|after\s+all"
    r"|after\s+(?:a\s+)?(?:while|moment|bit|short\s+time|some\s+time)\b|(?:before|after)\s+(?=and\b)"
    r"|(?:again|back|and)\s+and\s+then|then\s*$)",
    re.IGNORECASE,
)
_ANY_CONNECTIVE_RE = re.compile(r"\b(followed\s+by|preceded\s+by|then|before|after)\b", re.IGNORECASE)
_ENDING_RE = re.compile(r"[\s.,;:!?]*$")


@dataclass(frozen=True)
class Link:
    """A connective as it joins two events: ``prefix`` (", and", "is"), ``modifier`` ("shortly"), ``connective``.

    ``spelling`` keeps another way of writing the connective ("after which" for "then").
    """

    connective: str
    modifier: str = ""
    prefix: str = ""
    spelling: str = ""

    def surface(self) -> str:
        """The words of the connective itself: "followed shortly by", "right after", "then"."""
        if self.spelling:
            return self.spelling
        if self.connective in PASSIVE and self.modifier:
            verb = self.connective.split()[0]
            return f"then {verb} by" if self.modifier == "then" else f"{verb} {self.modifier} by"
        return f"{self.modifier} {self.connective}".strip()

    def text(self) -> str:
        """Prefix and connective, with a leading space unless the prefix is a comma."""
        glue = self.prefix if self.prefix.startswith(",") else f" {self.prefix}" if self.prefix else ""
        return f"{glue} {self.surface()}"

    def opposite(self) -> Link:
        """The opposite connective; "and" dropped (and "is" unless both are passive), modifiers kept where they read."""
        new = OPPOSITE[self.connective]
        modifier = self.modifier if self.modifier in _REVERSIBLE_MODIFIERS or self.modifier == "soon" else ""
        if modifier == "soon" and new in ("before", "preceded by"):
            modifier = "shortly"
        if new in PASSIVE and modifier in ("right", "just", "moments", "seconds", "only", "even"):
            modifier = ""
        if self.connective == "then":
            modifier = ""
        keep_aux = self.connective in PASSIVE and new in PASSIVE
        return Link(new, modifier, _clean_prefix(self.prefix, keep_aux))


def _clean_prefix(prefix: str, keep_aux: bool) -> str:
    words = [w for w in prefix.replace(",", " , ").split() if w != "and" and (keep_aux or w not in _AUX)]
    return " ".join(words).replace(" ,", ",")


_AUX = {"is", "are", "was", "were"}


@dataclass(frozen=True)
class Chain:
    """A caption read as events joined by connectives: ``events[0] links[0] events[1] ...``.

    A caption that opens with its connective ("After X, Y", ``initial``) is stored in the order
    "Y after X". ``shared[i]`` says whether event ``i`` is a verb phrase that shares the subject
    of the event before it; its clause then has no subject.
    """

    clauses: tuple[Clause, ...]
    links: tuple[Link, ...]
    shared: tuple[bool, ...]
    ending: str
    initial: bool = False

    @property
    def groups(self) -> list[list[int]]:
        """Event indices grouped by subject: ``[[0, 1], [2]]`` for "A man speaks then laughs followed by music"."""
        out: list[list[int]] = []
        for i, shared in enumerate(self.shared):
            if shared and out:
                out[-1].append(i)
            else:
                out.append([i])
        return out


def _modifier(match: re.Match) -> str:
    groups = match.groupdict()
    raw = groups.get("m1") or groups.get("m2") or groups.get("m3") or ""
    return " ".join(raw.lower().split())


def _link_of(match: re.Match) -> Link:
    if match.group("by"):
        return Link(f"{match.group('by').lower()} by", _modifier(match), _prefix_of(match))
    if match.group("then"):
        then = " ".join(match.group("then").lower().split())
        return Link("then", "", _prefix_of(match), "" if then == "then" else then)
    return Link(match.group("ba").lower(), _modifier(match), _prefix_of(match))


def _link_matches(caption: str) -> list[re.Match]:
    masked = [m.span() for m in _NOT_AN_ORDER_RE.finditer(caption)]
    return [
        m
        for m in _LINK_RE.finditer(caption)
        if re.search(r"\w", caption[: m.start()])
        and not any(a <= m.end() - 1 < b for a, b in masked)
        and not re.search(r"\b(?:which|who|that)\s*$", caption[: m.start()], re.IGNORECASE)
    ]


def _prefix_of(match: re.Match) -> str:
    raw = match.group("pre").lower().replace(".", ",").replace(";", ",")
    return " ".join(raw.replace(",", " , ").split()).replace(" ,", ",")


def _group_events(texts: list[str], links: list[Link]) -> tuple[tuple[Clause, ...], tuple[bool, ...]] | None:
    clauses, shared = [parse_clause(texts[0])], [False]
    for text, link in zip(texts[1:], links, strict=True):
        before = clauses[-1]
        vp = None
        if link.connective not in PASSIVE and ((before.subject and before.verb) or shared[-1]):
            parallel = BE_TAGS[before.aux] if before.aux in BE_TAGS and before.aux != "being" else before.tag
            vp = subjectless(text, parallel, gerund_object=link.connective in ("before", "after"))
        if vp is None and not before.verb and _bare_verb_phrase(text):
            return None  # "followed by a sawing sound, and then starts talking again": no subject in reach
        shared.append(vp is not None)
        clauses.append(vp if vp is not None else parse_clause(text))
    return tuple(clauses), tuple(shared)


def _bare_verb_phrase(text: str) -> bool:
    """Whether a clause is a finite verb phrase without a subject ("starts talking again", "fades out")."""
    word = text.split()[0].lower().rstrip(",;:")
    noun = "NOUN" in lemmas_of(word) and lemma(word) not in ASPECTUAL_VERBS
    return word in ("is", "are") or (verb_tag(word) == "VBZ" and not noun)


def parse_chain(caption: str) -> Chain | None:
    """The caption as a chain of events; ``None`` when no connective orders two of its events."""
    text = caption.strip()
    ending_match = _ENDING_RE.search(text)
    ending = "".join(ch for ch in ending_match.group() if ch in ".!?")
    body = text[: ending_match.start()]
    initial = _INITIAL_RE.match(body) or _INITIAL_BARE_RE.match(body)
    if initial and not _link_matches(initial.group("x")):
        link = Link(initial.group("ba").lower(), _modifier(initial))
        main, fronted = initial.group("y").strip(), initial.group("x").strip()
        grouped = _group_events([main, fronted], [link])
        if grouped is None:
            return None
        clauses, shared = grouped
        bare = initial.re is _INITIAL_BARE_RE
        if (not shared[1] and not clauses[1].subject and clauses[1].verb) or (bare and not clauses[0].verb):
            return None
        return Chain(clauses, (link,), shared, ending, initial=True)
    matches = _link_matches(body)
    if not matches or re.match(rf"\s*(?:(?:{_TIME})\s+)?(?:before|after)\b", body, re.IGNORECASE):
        return None
    cuts = [0, *(p for m in matches for p in m.span()), len(body)]
    texts = [body[cuts[i] : cuts[i + 1]].strip(" ,;") for i in range(0, len(cuts), 2)]
    if not all(re.search(r"\w", t) for t in texts):
        return None
    links = [_link_of(m) for m in matches]
    for i, link in enumerate(links):  # "and is then shut off" -> "and then is shut off"
        words = link.prefix.split()
        if link.connective not in PASSIVE and words[-1:] and words[-1] in _AUX:
            if "and" not in words:
                return None  # "liquid is then poured": "then" is an adverb inside a clause
            links[i] = _without_aux(link)
            texts[i + 1] = f"{words[-1]} {texts[i + 1]}"
    grouped = _group_events(texts, links)
    return None if grouped is None else Chain(grouped[0], tuple(links), grouped[1], ending)


def capitalise(text: str) -> str:
    """``text`` with its first letter upper-cased."""
    return text[:1].upper() + text[1:]


def decapitalise(text: str) -> str:
    """``text`` with its first letter lower-cased, unless its first word is "I" or an acronym."""
    word = text.split(" ", 1)[0]
    if word == "I" or (len(word) > 1 and word.isupper()):
        return text
    return text[:1].lower() + text[1:]


def fits(connective: str, modifier: str) -> bool:
    """Whether ``modifier`` reads with ``connective`` ("shortly after", "followed closely by", not "right then")."""
    if not modifier:
        return True
    if connective in PASSIVE:
        return modifier in _BY_MODIFIERS
    return connective != "then" and modifier in _TIME_MODIFIERS


def _render(chain: Chain) -> str:
    """The caption a chain stands for: capitalised, with its connectives and its ending."""
    if chain.initial:
        main, fronted = chain.clauses
        opening = capitalise(chain.links[0].surface())
        return f"{opening} {decapitalise(fronted.text)}, {decapitalise(main.text)}{chain.ending}"
    parts = [capitalise(chain.clauses[0].text)]
    for link, clause in zip(chain.links, chain.clauses[1:], strict=True):
        parts.append(f"{link.text()} {decapitalise(clause.text)}")
    return "".join(parts) + chain.ending


def _form(clause: Clause) -> tuple[str, str]:
    return (clause.aux, clause.tag)


def _reversed_group(clauses: list[Clause]) -> list[Clause]:
    """A shared-subject group with its verb phrases in reverse order, each in the form of its new slot."""
    plural = clauses[0].plural
    moved = [vp.in_form(*_form(slot), plural) for vp, slot in zip(reversed(clauses), clauses, strict=True)]
    return [_with(moved[0], subject=clauses[0].subject)] + [_with(vp, subject="") for vp in moved[1:]]


def _in_slot(group: list[Clause], slot: Clause) -> list[Clause]:
    """A group moved into the place of another: when both have verbs, it takes the form that place had.

    "A man speaks followed by a dog barking" -> "A dog barks followed by a man speaking": the
    finite verb stays on the left, the gerund on the right, as in the original.
    """
    first = group[0]
    simple = "," not in first.subject + slot.subject
    both = first.verb and slot.verb and first.subject and slot.subject and first.passive == slot.passive and simple
    if not both or _form(first) == _form(slot):
        return group
    plural = first.plural
    return [c.in_form(*_form(slot), plural) if _form(c) == _form(first) else c for c in group]


def _link_before(link: Link, left: Clause) -> Link:
    """A link after a new left clause: "is"/"are" kept only after a noun phrase ("Rattling is followed by")."""
    finite = left.verb and left.tag != "VBG"
    return _without_aux(link) if finite or link.connective not in PASSIVE else link


def _without_aux(link: Link) -> Link:
    return _with(link, prefix=" ".join(w for w in link.prefix.split() if w not in _AUX))


def reverse_chain(chain: Chain) -> Chain:
    """The chain with its events in reverse order, connectives kept in place: the order becomes wrong.

    Groups of verb phrases sharing a subject keep the subject in front and reverse their verb
    phrases; verb forms stay with their place; a group that lands behind "followed by" or
    "preceded by" becomes a noun phrase.
    """
    groups = [[chain.clauses[i] for i in group] for group in chain.groups]
    inner = [[chain.links[i] for i in group[:-1]] for group in chain.groups]
    joints = [chain.links[group[-1]] for group in chain.groups[:-1]]
    clauses: list[Clause] = []
    shared: list[bool] = []
    links: list[Link] = []
    for k, source in enumerate(reversed(range(len(groups)))):
        new = _in_slot(_reversed_group(groups[source]), groups[k][0])
        if k > 0:
            joint = _link_before(joints[k - 1], clauses[-len(groups[source + 1])])
            links.append(joint)
            if joint.connective in PASSIVE:
                new = [vp.as_gerund() if i == 0 else vp.in_form("", "VBG") for i, vp in enumerate(new)]
        links += inner[source]
        clauses += new
        shared += [False] + [True] * (len(new) - 1)
    return Chain(tuple(clauses), tuple(links), tuple(shared), chain.ending, chain.initial)


def _fit_right(clause: Clause, shared: bool, connective: str, main: Clause) -> Clause | None:
    """``clause`` made to stand on the right of ``connective`` after ``main``; ``None`` when it cannot."""
    if connective in PASSIVE:
        return None if shared else clause.as_gerund()
    if shared:
        return clause.in_form("", "VBG") if connective in ("before", "after") else clause.in_form(*_form(main))
    return clause


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
    text = _render(out)
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
    return _render(text)


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
            out.append(_render(_with(composed, ending=chain.ending)))
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
    new = Link(connective, link.modifier, _clean_prefix(link.prefix, keep_aux))
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
    if chain is None:
        return {}
    own = chain.links[0]
    out = {own.connective: caption}
    if own.spelling or (chain.initial and _link_matches(chain.clauses[0].text)):
        return out  # "after which" has no other spelling; "After X, Y then Z" would count differently
    if len(chain.links) == 1:
        first, second = _events(chain)
        for connective in other_connectives(own.connective):
            if fits(connective, own.modifier):
                composed = _composed(first, second, chain.shared[1], Link(connective, own.modifier))
                if composed is not None:
                    out[connective] = _render(_with(composed, ending=chain.ending))
        return {c: text for c, text in out.items() if c == own.connective or connectives_in(text) == [c]}
    same = LEFT_FIRST if own.connective in LEFT_FIRST else RIGHT_FIRST
    for connective in same:
        relinked = _relinked(chain, connective) if connective != own.connective else None
        if relinked is not None:
            out[connective] = _render(relinked)
    rest = [link.connective for link in chain.links[1:]]
    return {c: text for c, text in out.items() if c == own.connective or connectives_in(text) == [c, *rest]}


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
        link = Link(connective, opposite.modifier, _clean_prefix(own.prefix, keep_aux=False))
        right = _fit_right(chain.clauses[1], chain.shared[1], connective, chain.clauses[0])
        if right is None:
            continue
        text = _render(
            _with(chain, clauses=(chain.clauses[0], right, *chain.clauses[2:]), links=(link, *chain.links[1:]))
        )
        if connectives_in(text)[:1] == [connective]:
            out[connective] = text
    return out


def replace_matched(captions: Sequence[str], seed: int = 0) -> list[str | None]:
    """Replaced captions whose connectives follow the originals' own distribution (no connective prior).

    Like :func:`replace` (events in place, the first connective now states the opposite order), but
    each caption takes one of the opposite connectives that fit, chosen so that every connective is
    as common among the negatives as among the originals' first connectives. Exact only when the
    originals name the first event first as often as last (:func:`balance_directions` makes them
    so); ``None`` where no opposite connective fits.
    """
    options = [_replacements(c) for c in captions]
    original = Counter(c for caption in captions for c in connectives_in(caption)[:1])
    share = {c: original[c] + 1e-9 for c in CONNECTIVES}
    counts = Counter(dict.fromkeys(CONNECTIVES, 0))
    counts.update(next(iter(o)) for o in options if o)
    chosen = _choose(options, counts, share, seed)
    return [(o[chosen[i]] if i in chosen else next(iter(o.values()))) if o else None for i, o in enumerate(options)]
