"""A caption read as a chain of events joined by connectives: the temporal vocabulary and its parser.

Five connectives order two events: "followed by", "before" and "then" put the first event on
the left, "preceded by" and "after" put it on the right. They may carry a modifier ("followed
shortly by", "right after", "and then") or open the caption ("After X, Y"); "while" and "as"
mean simultaneity and are left alone, as are phrases such as "one after the other". A verb
phrase without a subject ("A man speaks then whistles") shares the subject of the clause before it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from dataclasses import replace as _with

from dtu_audio.datasets.temporal.grammar import (
    ASPECTUAL_VERBS,
    Clause,
    clause_ending_in_verb,
    finite_be,
    parse_clause,
    subjectless,
    trailing_noun_phrase,
)
from dtu_audio.datasets.temporal.lexicon import BE_TAGS, PARTICLES, is_adverb, lemma, lemmas_of, verb_tag

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

_BY_MODIFIERS = (
    "shortly", "soon", "quickly", "immediately", "closely", "directly", "briefly", "a moment later", "moments later",
    "seconds later", "soon after", "shortly after", "later", "then",
)  # fmt: skip
# Words after "then" that time it ("and then later", "then shortly after"): kept as its spelling.
_THEN_MODIFIERS = ("later", "soon after", "shortly after", "soon", "shortly", "immediately", "eventually")
_TIME_MODIFIERS = (
    "shortly", "soon", "right", "just", "immediately", "directly", "quickly", "briefly", "not long", "long",
    "moments", "seconds", "only", "even", "then",
)  # fmt: skip
# Modifiers that still read when the connective turns into its opposite ("right before", "preceded shortly by").
_REVERSIBLE_MODIFIERS = {"shortly", "quickly", "immediately", "closely", "directly", "briefly", "right", "just"}
_REVERSIBLE_MODIFIERS |= {"moments", "seconds", "only", "even"}
_BY = "|".join(m.replace(" ", r"\s+") for m in _BY_MODIFIERS)
_THEN = "|".join(m.replace(" ", r"\s+") for m in _THEN_MODIFIERS)
_TIME = "|".join(m.replace(" ", r"\s+") for m in _TIME_MODIFIERS)
_CORE = (
    rf"(?:(?P<m1>{_BY})\s+)?(?P<by>followed|preceded)(?:\s+(?P<m2>{_BY}))?\s+by"
    rf"|(?P<then>then(?:\s+(?:{_THEN})(?=\s*,?\s*\w))?|after\s+(?:which|that|this))"
    rf"|(?:(?P<m3>{_TIME})\s+)?(?P<ba>before|after)"
)
_LINK_RE = re.compile(
    rf"(?P<pre>\s*[,;.]?(?:\s+(?:and|but))?(?:\s+(?:is|are|was|were))?)\s+(?:{_CORE})\b(?=\s*\w)", re.IGNORECASE
)
# "After X, Y"; without the comma, Y opens with a determiner: "After speeding up a saw stops".
_INITIAL_RE = re.compile(rf"^\s*(?:(?P<m3>{_TIME})\s+)?(?P<ba>before|after)\s+(?P<x>[^,]+),\s*(?P<y>\w.*)$", re.I)
_INITIAL_BARE_RE = re.compile(
    rf"^\s*(?:(?P<m3>{_TIME})\s+)?(?P<ba>before|after)\s+(?P<x>[^,]+?\w(?<!\bof)(?<!\bon)(?<!\bin)(?<!\bby))"
    r"\s+(?=(?:a|an|the|some|his|her|their|its|two|three|several|people|someone)\s)(?P<y>[^,]*\w.*)$",
    re.IGNORECASE,
)
_INITIAL_WORD_RE = re.compile(rf"^\s*(?:(?:{_TIME})\s+)?(?:before|after)\s+(?!and\b)\w", re.IGNORECASE)
# Phrases that contain a connective word without ordering two events.
_NOT_AN_ORDER_RE = re.compile(
    r"\b(?:before\s+and\s+after|after\s+and\s+before|(?:every\s+)?now\s+and\s+then|then\s+(?:again|on)\b"
    r"|(?:one|each)\s+(?:right\s+|just\s+)?after\s+(?:the\s+)?(?:other|another)|(?P<again>\w+)\s+after\s+(?P=again)\b"
    r"|(?:than|as|ever|never)\s+before|(?:heard|seen)\s+before(?=\s*[.,;!]?\s*$)|before\s+(?:long|that|then|now)"
    r"|after\s+all|after\s+(?:them|him|me|us|each\s+other|one\s+another)\b|after\s+it\s*(?:[.,;!]|$|and\b)"
    r"|after\s+(?:a\s+)?(?:while|moment|bit|short\s+time|some\s+time)\b|(?:before|after)\s+(?=and\b)"
    r"|(?:again|back|and)\s+and\s+then|then\s*$)",
    re.IGNORECASE,
)
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
        if self.connective == "then":  # "then shortly after" -> "shortly after"; "then later" -> "after"
            timing = set(self.spelling.split()) & {"shortly", "soon", "immediately"}
            modifier = {"soon": "shortly"}.get(min(timing), min(timing)) if timing else ""
        keep_aux = self.connective in PASSIVE and new in PASSIVE
        return Link(new, modifier, clean_prefix(self.prefix, keep_aux))


def clean_prefix(prefix: str, keep_aux: bool) -> str:
    """A link's prefix without "and" ("but") and "is"/"are"; with ``keep_aux`` both stay ("occurs and
    is followed by" -> "occurs and is preceded by"), "and" only before "is". Commas are kept."""
    words = prefix.replace(",", " , ").split()
    kept = [
        w
        for i, w in enumerate(words)
        if (w not in ("and", "but") or (keep_aux and words[i + 1 : i + 2] and words[i + 1] in AUXILIARIES))
        and (keep_aux or w not in AUXILIARIES)
    ]
    return " ".join(kept).replace(" ,", ",")


AUXILIARIES = frozenset({"is", "are", "was", "were"})
"""Forms of "be" that may stand before a connective ("is followed by") or move behind it."""


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
    connective, modifier, prefix = match.group("ba").lower(), _modifier(match), _prefix_of(match)
    if connective == "after" and "and" in prefix.split() and modifier in _SOON:
        return Link("then", "", prefix, f"{modifier} after")  # "X and soon after Y": X, then Y
    return Link(connective, modifier, prefix)


_SOON = frozenset({"soon", "shortly", "right", "just", "immediately"})


def _ordering_matches(caption: str) -> list[re.Match]:
    """The connectives after some word of ``caption`` that are not part of a phrase ordering nothing."""
    masked = [m.span() for m in _NOT_AN_ORDER_RE.finditer(caption)]
    return [
        m
        for m in _LINK_RE.finditer(caption)
        if re.search(r"\w", caption[: m.start()]) and not any(a <= m.end() - 1 < b for a, b in masked)
    ]


def link_matches(caption: str) -> list[re.Match]:
    """Every connective that orders two events in ``caption``, as regular-expression matches."""
    return [
        m
        for m in _ordering_matches(caption)
        if not re.search(r"\b(?:which|who|that)\s*$", caption[: m.start()], re.IGNORECASE)
    ]


def orders_events(caption: str) -> bool:
    """Whether a connective in ``caption`` orders two events, whether or not the caption parses:
    "one after another", "before and after", "after a while" and the like order none. The captions
    :func:`parse_chain` should read; the others are counted as not rewritable."""
    caption = " ".join(caption.split())
    opens = _INITIAL_WORD_RE.match(caption) and not _opens_with_idiom(caption)
    return bool(opens or _ordering_matches(caption))


def _opens_with_idiom(text: str) -> bool:
    """Whether ``text`` opens with a phrase that orders nothing ("After a while, ...", "Before long")."""
    idiom = _NOT_AN_ORDER_RE.search(text)
    return idiom is not None and re.fullmatch(rf"[\s,]*(?:(?:{_TIME})[\s,]*)?", text[: idiom.start()], re.I) is not None


def _prefix_of(match: re.Match) -> str:
    raw = match.group("pre").lower().replace(".", ",").replace(";", ",")
    return " ".join(raw.replace(",", " , ").split()).replace(" ,", ",")


def _group_events(texts: list[str], links: list[Link]) -> tuple[tuple[Clause, ...], tuple[bool, ...]] | None:
    clauses, shared = [parse_clause(texts[0])], [False]
    for i, (text, link) in enumerate(zip(texts[1:], links, strict=True)):
        before = clauses[-1]
        linking = before.tag in ("VBZ", "VBP", "VBD", "VBG") and lemma(before.verb) in _LINKING_VERBS
        manner = bool(before.verb) and _said_how(before) and _bare_adjective(text, adverbs=True)  # "roars loudly"
        understood = link.connective not in PASSIVE and ((linking and _bare_adjective(text)) or manner)
        if understood:  # "becomes louder and then softer": "then (becomes) softer"
            text = f"{before.verb} {text}"
        vp = _shared_verb_phrase(text, link, before, shared[-1])
        if vp is None and understood:  # "machinery becoming louder, then (becoming) softer"
            vp = subjectless(text, before.tag, progressive=True)
        nearer = _coordinated_subject(before, vp) if vp is not None and not shared[-1] else ""
        if nearer:  # "A woman speaks and a dog whimpers then barks": the dog barks
            own = _with(vp, subject=nearer)  # "before exiting" -> "before the man exits"
            shared.append(False)
            clauses.append(own.in_form("", "VBZ") if own.tag == "VBG" and not own.aux else own)
            continue
        if vp is None and shared[-1]:  # "accelerates after slowing, | then speeds up": the group's own form
            head = clauses[len(shared) - 1 - shared[::-1].index(False)]
            vp = _shared_verb_phrase(text, link, head, False)
        verb_first = _bare_verb_phrase(text)
        own = parse_clause(text)  # "then talks in the background while a horse trots": no subject of its own
        maybe_verb = bool(text.split()) and verb_tag(text.split()[0]) == "VBZ" and (not own.verb or own.in_subclause)
        bare = vp is None and (verb_first or maybe_verb) and link.connective not in PASSIVE
        if bare and (shared[-1] or _lone_gerund(before)):
            # "someone walking while jingling keys, then opens a door"; "drips, after stopping | then begins again"
            vp = subjectless(text, "VBZ")
        elif bare:
            # no subject of its own, yet none in reach: read the clause before up to its last verb
            # ("A speedboat revs | then accelerates", "a man talking as metal rattles | then clanks")
            reread = clause_ending_in_verb(texts[i])
            vp = _shared_verb_phrase(text, link, reread, False) if reread is not None else None
            if vp is not None:
                clauses[-1] = reread
        if vp is None and verb_first:
            return None  # "followed by a sawing sound, and then starts talking again": no subject in reach
        shared.append(vp is not None)
        clauses.append(vp if vp is not None else _event_after(text, link))
    return tuple(clauses), tuple(shared)


def _coordinated_subject(before: Clause, vp: Clause) -> str:
    """The subject of a clause that ends ``before`` after "and", "as" or "while" ("a woman speaks and
    a dog whimpers", "a person speaks as a truck idles"), which the verb phrase ``vp`` after it
    shares, as it refers back ("the dog"); "" when there is none, or ``vp`` repeats the first verb ("a
    man speaks and a dog barks then speaks again")."""
    words = before.rest.split()
    joints = [i for i, w in enumerate(words) if w.lower() in ("and", "as", "while")]
    if not joints or lemma(vp.verb) == lemma(before.verb):
        return ""
    clauses = (parse_clause(" ".join(words[j + 1 :])) for j in reversed(joints))  # "and the motor advances and gets"
    clause = next((c for c in clauses if c.subject and c.verb), parse_clause(""))
    det, _, body = clause.subject.partition(" ")
    body_words = body.split()
    while body_words and (is_adverb(body_words[-1]) or body_words[-1].lower() == "first"):  # "an arm first lifts"
        body_words.pop()
    refers_back = re.search(r"\b(?:it|they|them)\b", vp.rest, re.IGNORECASE)  # "speaks when it stops": not it
    if det.lower() not in ("a", "an", "the") or not body_words or clause.tag not in ("VBZ", "VBP") or clause.aux:
        return ""
    return "" if refers_back else f"the {' '.join(body_words)}"


def _event_after(text: str, link: Link) -> Clause:
    """The event after ``link``: behind "followed by" a last word that may be a plural noun names the
    sound ("saw blade noises", "a series of loud bird screeches"), unless a single someone or
    something stands before it ("someone spits", "a kid giggles")."""
    clause = parse_clause(text)
    subject = clause.subject.lower().split()
    phrase = bool(set(subject) & {"of", "in", "from", "on"})  # "a series of bird screeches"
    someone = subject[:1] in (["a"], ["an"], ["someone"], ["somebody"], ["something"]) or len(subject) < 2
    relative = subject[-1:] in (["that"], ["which"], ["who"])
    noun = clause.tag == "VBZ" and not clause.rest and not clause.aux and "NOUN" in lemmas_of(clause.verb.lower())
    names_a_sound = noun and (phrase or not someone) and not relative  # "saw blade noises", not "someone spits"
    return Clause(text, "", "", "", "", "") if link.connective in PASSIVE and names_a_sound else clause


_LINKING_VERBS = frozenset({"become", "get", "grow", "turn", "go", "sound"})


def _bare_adjective(text: str, adverbs: bool = False) -> bool:
    """Whether ``text`` is only an adjective phrase ("softer", "much quieter again", "quieter as it
    gets further away", "quieter over time"), or with ``adverbs`` an adverb ("quietly"), the verb
    before it understood."""
    words = text.lower().replace(",", " ").split()
    tail = next((i for i, w in enumerate(words) if w in _ADJECTIVE_TAIL), len(words))
    words = words[:tail]
    fillers = ("and", "much", "a", "bit", "little", "again", "even", "very")
    kinds = [set(lemmas_of(w)) for w in words if w not in fillers]
    manner = [
        ("ADJ" in k or (adverbs and w.endswith("ly") and "ADV" in k)) and "VERB" not in k
        for w, k in zip([w for w in words if w not in fillers], kinds, strict=True)
    ]
    return 0 < len(words) <= 4 and bool(kinds) and all(manner)


def _said_how(clause: Clause) -> bool:
    """Whether ``clause`` says how its verb sounds with an adverb or adjective of its verb phrase
    ("roars loudly", "is tossed slowly at first", "clanking slow"), which a later "then quietly" contrasts."""
    words = f"{clause.adverbs} {clause.rest}".lower().replace(",", " ").split()
    if {"while", "as", "when", "and"} & set(words):
        return False  # "snoring while wind rustles leaves softly": the other verb's manner
    return any((w.endswith("ly") and "ADV" in lemmas_of(w)) or lemmas_of(w).keys() == {"ADJ"} for w in words)


_ADJECTIVE_TAIL = frozenset({"as", "while", "when", "until", "over", "in", "at", "for", "and", "with"})


def _shared_verb_phrase(text: str, link: Link, before: Clause, before_shared: bool) -> Clause | None:
    """``text`` as a verb phrase sharing the subject of ``before`` ("then speaks again"), else ``None``."""
    if link.connective in PASSIVE or not ((before.subject and before.verb) or before_shared):
        return None
    be = finite_be(before.aux)
    parallel = BE_TAGS[be] if be else before.tag
    progressive = bool(be) and before.tag == "VBG" and not _clause_inside(before.rest)
    gerund_object = link.connective in ("before", "after")
    vp = subjectless(text, parallel, gerund_object, progressive)
    if vp is None and before.passive:  # "is being turned over and then shaken": the participle's own form
        vp = subjectless(text, before.tag, gerund_object)
    return vp


def _clause_inside(rest: str) -> bool:
    """Whether ``rest`` holds a clause of its own, which a following verb phrase could belong to
    ("is driving by, a horn honks | then revving", "talking as an engine runs | then accelerates")."""
    words = rest.lower().replace(",", " , ").split()
    openers = [-1] + [i for i, w in enumerate(words) if w in ("as", "while", "when", "and", ",")]
    return any(parse_clause(" ".join(words[i + 1 :])).tag in ("VBZ", "VBP", "VBD") for i in openers)


def _lone_gerund(clause: Clause) -> bool:
    """Whether ``clause`` is a subject with a gerund and no other verb ("someone walking while
    jingling keys"), whose subject a verb phrase after it can share; not "sirens blaring passes by",
    "a woman talking as an engine runs" or "something scratches starting"."""
    if clause.tag != "VBG" or clause.aux or any(verb_tag(w) == "VBZ" for w in clause.subject.split()[1:]):
        return False
    rest = clause.rest.lower().split()
    return not (rest and verb_tag(rest[0]) in ("VBZ", "VBP")) and not _clause_inside(clause.rest)


def without_aux(link: Link) -> Link:
    """``link`` without "is"/"are" in its prefix."""
    return _with(link, prefix=" ".join(w for w in link.prefix.split() if w not in AUXILIARIES))


def _bare_verb_phrase(text: str) -> bool:
    """Whether a clause is a finite verb phrase without a subject ("starts talking again", "fades out")."""
    if not text.split():
        return False
    word, *rest = text.lower().split()
    word = word.rstrip(",;:")
    particle = bool(rest) and rest[0] in PARTICLES and not rest[0].endswith("ly")  # "drains down a pipe"
    noun = "NOUN" in lemmas_of(word) and lemma(word) not in ASPECTUAL_VERBS and not particle
    return word in ("is", "are") or (verb_tag(word) == "VBZ" and not noun)


def parse_chain(caption: str) -> Chain | None:
    """The caption as a chain of events; ``None`` when no connective orders two of its events."""
    text = " ".join(caption.split())
    ending_match = _ENDING_RE.search(text)
    ending = "".join(ch for ch in ending_match.group() if ch in ".!?")
    body = _spelled_out(text[: ending_match.start()])
    initial = _INITIAL_RE.match(body) or _INITIAL_BARE_RE.match(body)
    if initial and _opens_with_idiom(body):
        return None  # "After a while, a dog barks"
    if initial and not link_matches(initial.group("x")):
        link = Link(initial.group("ba").lower(), _modifier(initial))
        main, fronted = initial.group("y").strip(), initial.group("x").strip()
        # "After a bang, a man then speaks": "then" between a short subject and its verb says it twice
        short_subject = r"^((?:a|an|the|someone|somebody|he|she|it|they)(?:\s+\w+)?)\s+then\s+(?=\w)"
        main = re.sub(short_subject, r"\1 ", main, count=1, flags=re.IGNORECASE)
        grouped = _group_events([main, fronted], [link])
        if grouped is None:
            return None
        clauses, shared = grouped
        bare = initial.re is _INITIAL_BARE_RE
        if (not shared[1] and not clauses[1].subject and clauses[1].verb) or (bare and not clauses[0].verb):
            return None
        return Chain(clauses, (link,), shared, ending, initial=True)
    doubled = _DOUBLED_AFTER_RE.match(body)  # "After the opening of a bag is followed by chewing"
    body = body[doubled.end() :] if doubled else body
    matches = link_matches(body)
    if not matches or re.match(rf"\s*(?:(?:{_TIME})\s+)?(?:before|after)\b", body, re.IGNORECASE):
        return None
    cuts = [0, *(p for m in matches for p in m.span()), len(body)]
    texts = [body[cuts[i] : cuts[i + 1]].strip(" ,;") for i in range(0, len(cuts), 2)]
    if not all(re.search(r"\w", t) for t in texts):
        return None
    links = [_link_of(m) for m in matches]
    for i, link in enumerate(links):  # "and is then shut off" -> "and then is shut off"
        words = link.prefix.split()
        if link.connective not in PASSIVE and words[-1:] and words[-1] in AUXILIARIES:
            links[i] = without_aux(link)
            texts[i + 1] = f"{words[-1]} {texts[i + 1]}"
            if "and" not in words and not _subject_moved(texts, links, i):
                return None  # no subject before "is then" to move behind "then"
        elif link.connective == "then" and not words and _bare_verb_phrase(texts[i + 1]) and ", " in texts[i]:
            _subject_moved(texts, links, i)  # "Talking, the whistling then gets louder"
    grouped = _group_events(texts, links)
    return None if grouped is None else Chain(grouped[0], tuple(links), grouped[1], ending)


_DOUBLED_AFTER_RE = re.compile(
    r"\s*after\s+(?=[^,]*?\b(?:is|are|was|were)\s+followed\s+by\b)(?![^,]*,)", re.IGNORECASE
)  # an opening "after" that "is followed by" says again; not "After X, Y is followed by Z"
_THEN_IS_RE = re.compile(r",?\s*\bthen\s+(?=(?:is|are|was|were)\s+(?:followed|preceded)\s+by\b)", re.IGNORECASE)
_WHICH_IS_RE = re.compile(r"\s*,?\s*\bwhich\s+(?:is|are|was|were)\s+(?=(?:followed|preceded)\s+by\b)", re.IGNORECASE)
_RELATIVE_THEN_RE = re.compile(r"^(?P<x>.*?\w)(?P<comma>\s*,)?\s+(?:which|who|that)\s+then\s+(?P<vp>\w.*)$", re.I)


def _spelled_out(body: str) -> str:
    """``body`` with a connective that opens a relative clause said plainly: "X, which is followed by
    Y" -> "X, followed by Y"; "X, then is followed by Y" -> "X and is followed by Y"; "a printer
    which then starts" -> "a printer, then the printer starts" (the noun before "which"; after a
    comma and no noun, the subject: "A machine was started up, which then makes a noise" -> "...,
    then the machine makes a noise")."""
    body = _WHICH_IS_RE.sub(", ", body)
    body = _THEN_IS_RE.sub(" and ", body)  # "X, then is followed by Y": "followed by" says "then" already
    match = _RELATIVE_THEN_RE.match(body)
    if not match:
        return body
    before = match.group("x")
    subject = trailing_noun_phrase(before) or (parse_clause(before).subject if match.group("comma") else "")
    if not subject or len(subject) == len(before.strip()):
        return body  # "A printer which then starts": no event before it
    subject = decapitalise(subject)
    first = subject.split()[0].lower()
    if first in ("a", "an"):
        subject = " ".join(["the", *subject.split()[1:]])
    elif verb_tag(first):  # "bubbles pop" would read as a verb phrase: "the bubbles pop"
        subject = f"the {subject}"
    return f"{before}, then {subject} {match.group('vp')}"


def reads_as_written(caption: str) -> bool:
    """Whether :func:`parse_chain` reads ``caption`` without repeating a noun that "which" or "who"
    stands for ("a printer which then starts" is read as "a printer, then the printer starts")."""
    return _RELATIVE_THEN_RE.match(caption.strip()) is None


def _subject_moved(texts: list[str], links: list[Link], i: int) -> bool:
    """Move the subject that stands before the connective ``links[i]`` behind it ("A bottle is opened
    and liquid | is then poured" -> "A bottle is opened and | then liquid is poured"); whether one was."""
    before = texts[i]
    cut = max(before.rfind(" and "), before.rfind(", "))
    subject = before[cut:].removeprefix(" and ").removeprefix(", ").strip() if cut > 0 else ""
    finite = subject and verb_tag(subject.split()[-1]) in ("VBZ", "VBD")  # "slows down, repeats | then stops"
    if finite:
        return False
    if not subject or parse_clause(subject).verb:
        subject = trailing_noun_phrase(before)
        if not subject or subject.split()[0].lower() not in ("a", "an", "the") or len(subject) == len(before.strip()):
            return False
        cut = before.rstrip().rfind(subject)
        prefix = ""
    else:
        prefix = "and" if before[cut:].startswith(" and ") else ","
    texts[i], texts[i + 1] = before[:cut].strip(" ,"), f"{subject} {texts[i + 1]}"
    links[i] = _with(links[i], prefix=prefix)
    return True


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


def render(chain: Chain) -> str:
    """The caption a chain stands for: capitalised, with its connectives and its ending."""
    if chain.initial:
        main, fronted = chain.clauses
        opening = capitalise(chain.links[0].surface())
        return f"{opening} {decapitalise(fronted.text)}, {decapitalise(main.text)}{chain.ending}"
    parts = [capitalise(chain.clauses[0].text)]
    for link, clause in zip(chain.links, chain.clauses[1:], strict=True):
        parts.append(f"{link.text()} {decapitalise(clause.text)}")
    return "".join(parts) + chain.ending
