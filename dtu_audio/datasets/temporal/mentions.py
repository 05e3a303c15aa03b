"""Words that belong to their place in a caption, not to their event: what a reversal leaves in place.

A caption introduces a sound before it refers back to it: "A man speaks, then *the* man laughs",
"a man speaking followed by *another* man speaking", "a boat motor runs, then *it* fades", "...
and the dog barks *again*". Moving these words with their events gives a reversal that no
original would contain ("The man laughs, then a man speaks", "Another man speaks followed by a
man speaking"), which a text-only classifier spots at once. Here the events move and these words
stay where they were: the first mention of a sound keeps its introducing determiner, a pronoun
keeps its place behind the noun it stands for (trading words with that noun when the two change
order: "Bees buzz before a man swats at them" -> "A man swats at bees before they buzz"), "again"
stays at the end, and a background that closes the caption ("... as birds chirp in the
background") stays at its end. A caption whose events then read as they did ("a man speaks then
another man speaks") says the same in both orders, and its reversal is no negative.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import replace

from dtu_audio.datasets.temporal.chain import decapitalise
from dtu_audio.datasets.temporal.grammar import Clause, counted_times, is_plural
from dtu_audio.datasets.temporal.lexicon import (
    CLAUSE_OPENERS,
    DETERMINERS,
    MORE_PREPOSITIONS,
    PREPOSITIONS,
    inflect,
    lemma,
    lemmas_of,
    verb_tag,
)

PRONOUNS = frozenset({"it", "they", "he", "she"})
"""Pronouns that stand for a sound named before them."""
_IMPERSONAL_VERBS = frozenset({"rain", "thunder", "snow", "drizzle", "hail", "pour", "seem", "appear"})
"""Verbs whose "it" stands for nothing ("it is raining")."""
_OBJECT_CASE = {"it": "it", "they": "them", "he": "him", "she": "her"}
_SUBJECT_CASE = {"it": "it", "them": "they", "him": "he", "her": "she"}
_MALE = frozenset({"man", "boy", "male", "guy"})
_QUANTITIES = frozenset({"handful", "couple", "group", "lot", "bunch", "pair", "number", "pile", "stack", "flock"})
"""Nouns that count a plural: "a handful of coins ... them"."""
_PARTICLES_AFTER_PRONOUN = ("up", "down", "out", "away", "back", "open", "shut")
"""Particles that follow a pronoun object: "picks it up", not "picks up it"."""
_PHRASAL_VERBS = {
    "turn": ("on", "off", "over"), "switch": ("on", "off"), "shut": ("off",), "put": ("on", "off"),
    "take": ("off",), "flip": ("on", "off", "over"), "knock": ("over", "off"), "tip": ("over",), "try": ("on",),
}  # fmt: skip
"""Verbs whose "on", "off" or "over" is a particle ("turns it on", "knocks it over"), not a preposition
("thumps on it", "knocks on it")."""
_FEMALE = frozenset({"woman", "girl", "female", "lady"})
_PEOPLE = frozenset({"man", "woman", "male", "female", "boy", "girl", "person", "child", "kid", "lady", "guy"})
"""People, whom "it" never stands for; a baby it may: "a baby coos followed by a woman talking to it"."""
_SOMEONE = frozenset({"someone", "somebody", "a person", "he", "she"})
_GENERIC = frozenset({"", "sound", "noise"})  # "a clicking sound ... a hissing sound": two sounds, not one
_REFERRING = ("the same", "the other", "the", "another", "more", "one", "a", "an", "some")
_DETERMINER_RE = re.compile(rf"^(?P<det>{'|'.join(_REFERRING)})\s+(?P<body>\S.*)$", re.IGNORECASE)
_HEAD_END_RE = re.compile(r"\s(?:of|with|from|in|on|at|and|while|as|near|by|who|which|that)\s|,")
_SCENE_RE = re.compile(
    r"(?:^|,\s*|\s+)(?:while|as|with)\s+(?:(?!\b(?:while|as|with)\b)[^,])*?"
    r"\b(?:in\s+the\s+(?:background|distance)|into\s+(?:a|the)\s+microphone)$",
    re.IGNORECASE,
)
_REPEAT_RE = re.compile(
    r"(?:^|,?\s+)(?:once\s+again|once\s+more|again|some\s+more|anew|too|as\s+well)$", re.IGNORECASE
)  # "too": "a baby laughs then a woman laughs too" -> "a woman laughs then a baby laughs too"


def _mention(subject: str) -> tuple[str, str]:
    """A subject as (determiner, rest): ("another", "man"), ("", "female speech"), ("it", "")."""
    subject = _REPEAT_RE.sub("", subject)
    if subject.lower() in PRONOUNS:
        return subject.lower(), ""
    match = _DETERMINER_RE.match(subject)
    return (match.group("det").lower(), match.group("body")) if match else ("", subject)


def _head(body: str) -> str:
    """The head noun of a noun phrase: "sirens in the distance", "sirens wailing" -> "sirens"."""
    words = _HEAD_END_RE.split(f" {body} ", maxsplit=1)[0].split()
    verb = (i for i, w in enumerate(words) if i and _is_gerund(w.lower()) and "NOUN" in lemmas_of(words[i - 1]))
    words = words[: next(verb, len(words))]
    if not words:
        return ""
    return words[-1].lower().strip(",;:")


def _is_gerund(word: str) -> bool:
    """Whether ``word`` is an -ing verb form, also one lemminflect does not list ("chugging")."""
    return verb_tag(word) == "VBG" or (word.endswith("ing") and not lemmas_of(word))


def _tail(clause: Clause) -> str:
    """The words that end a clause: its verb phrase's rest, or the noun phrase itself."""
    return clause.rest if clause.verb else clause.subject


def _with_tail(clause: Clause, tail: str) -> Clause:
    return replace(clause, rest=tail) if clause.verb else replace(clause, subject=tail)


def _with_determiner(det: str, body: str) -> str:
    if det in ("a", "an"):
        det = "an" if body[:1].lower() in "aeiou" else "a"
    return f"{det} {body}".strip()


def _agreeing(clause: Clause, subject: str, plural: bool | None = None) -> Clause:
    """``clause`` with ``subject``, its verb agreeing (with ``plural`` where the subject's own verb
    said it: "a group of ducks quack"): "a flock of birds chirps" -> "they chirp"."""
    plural = plural if plural is not None else subject.lower() in ("they", "we") or is_plural(subject)
    return replace(clause, subject=subject).in_form(clause.aux, clause.tag, plural) if clause.verb else clause


def _placed_subjects(groups: list[list[Clause]]) -> list[list[Clause]]:
    """Subjects that name one sound (the same head noun, or a pronoun after it) trade their
    determiners by place, or their whole words when one is a pronoun, so that once the groups are
    read in reverse order the first mention still introduces the sound and the later refer back."""
    mentions = [_mention(group[0].subject) for group in groups]
    keys: list[str] = []
    for i, (det, body) in enumerate(mentions):
        impersonal = det == "it" and lemma(groups[i][0].verb) in _IMPERSONAL_VERBS  # "it is raining"
        if det in PRONOUNS and not impersonal:  # it stands for one thing, he and she for one person, they for several
            before = groups[i - 1][0] if i else None
            agrees = before is not None and bool(before.verb) and (det == "they") == _plural(before)
            person = before is not None and _is_person(before.subject)
            if agrees:  # he and she stand for a person, it for a thing ("someone strikes a match and then it burns")
                agrees = person if det in ("he", "she") else not (det == "it" and person)
            keys.append(keys[-1] if agrees else "")
        else:
            descriptive = det == "the" and " of " in f" {body} "  # "the sound of an engine" introduces a sound
            keys.append(f"#{i}" if descriptive else _head(body))  # its own: only a pronoun refers back to it
    out = list(groups)
    for key in set(keys):
        at = [i for i, k in enumerate(keys) if k == key]
        if key in _GENERIC or len(at) < 2 or len({mentions[i] for i in at}) < 2:
            continue
        pronoun = any(mentions[i][0] in PRONOUNS for i in at)
        # After the reversal the group at ``at[-1 - k]`` is read k-th: it takes the k-th mention's words.
        for k, source in enumerate(at):
            target = at[-1 - k]
            det, _ = mentions[source]
            body = decapitalise(mentions[target][1])
            subject = groups[source][0].subject if pronoun else _with_determiner(det, body)
            repeat = _REPEAT_RE.search(groups[target][0].subject)
            subject += repeat.group() if repeat else ""
            own = groups[source][0]
            plural = None if own.subject.lower() in PRONOUNS else own.plural
            first = _agreeing(out[target][0], subject, plural) if pronoun else replace(out[target][0], subject=subject)
            out[target] = [first, *out[target][1:]]
    return out


def _placed_repeat(groups: list[list[Clause]]) -> list[list[Clause]]:
    """ "again" (and its kin) that ends the caption moves to the event that will end it, the first,
    where it repeats an event of the caption: "Water drips, stops, then begins again" -> "Water
    begins, stops, then drips again"; in real captions "again" ends far more captions than it opens.
    An "again" of a sound named nowhere before stays with its event: "A breeze blows, then birds
    chirp again" -> "Birds chirp again, then a breeze blows". A "back" that answers the same verb
    moves too: "A woman yells, then a man yells back" -> "A man yells, then a woman yells back".
    """
    last, first = groups[-1][-1], groups[0][0]
    repeat = _REPEAT_RE.search(_tail(last)) or _ANSWER_RE.search(_tail(last))
    if repeat is None or first is last or _REPEAT_RE.search(_tail(first)) or not _repeats(groups):
        return groups
    if repeat.re is _ANSWER_RE and lemma(first.verb) != lemma(last.verb):
        return groups  # "yells back" answers a yell, not "drives away then comes back"
    out = [list(group) for group in groups]
    out[-1][-1] = _with_tail(last, _tail(last)[: repeat.start()])
    out[0][0] = _with_tail(out[0][0], f"{_tail(out[0][0])} {repeat.group().strip(' ,')}".strip())
    return out


_ANSWER_RE = re.compile(r"(?:^|\s+)back$", re.IGNORECASE)  # "a woman yells, then a man yells back"


def _repeats(groups: list[list[Clause]]) -> bool:
    """Whether the "again" of the caption's last event may repeat an event of the caption: not where
    that event is one sound, named nowhere before, doing one thing ("a breeze blows, then birds chirp
    again"), unlike "frogs croak and the man speaks again" or "someone starts it up again"."""
    last = groups[-1][-1]
    if any(c.verb and lemma(c.verb) == lemma(last.verb) for group in groups for c in group if c is not last):
        return True  # "a baby laughs then a woman laughs too"
    words = set(f"{last.subject} {last.rest}".lower().replace(",", " , ").split())
    head = _head(_mention(last.subject)[1]) if last.subject and last.verb else ""
    noun = "NOUN" in lemmas_of(head) and verb_tag(head) != "VBG" and head not in PRONOUNS
    if not noun or words & (CLAUSE_OPENERS | {"and", ","}) or _objects(last.rest):
        return True
    return _named_in(head, " ".join(c.text for group in groups for c in group if c is not last))


def _named_in(head: str, text: str) -> bool:
    """Whether ``text`` names ``head``, in any number: "engines ... the engine"."""
    return re.search(rf"\b{re.escape(head[:4])}", text, re.IGNORECASE) is not None


def returns_to_first(clauses: Sequence[Clause]) -> bool:
    """Whether the last event takes up an earlier one again, so that the chain reads the same in
    reverse order: "scrapes, pauses, and then repeats", "..., then the siren resumes", "walks
    around, stops, then continues walking"; not "dings loudly and then continues to ring"."""
    *earlier, last = clauses
    verb = lemma(last.verb.rstrip(","))
    back = re.match(r"(?:to\s+)?(?P<verb>\w+)", last.rest) if verb in ("continue", "resume") else None
    going_back = re.match(r"back\s+to\s+(?P<verb>\w+)", last.rest) if verb == "go" else None
    if verb not in ("repeat", "resume", "continue") and not going_back:
        return False
    again = back or going_back  # "continues walking", "goes back to scraping": that verb again
    done = {lemma(c.verb.rstrip(",")) for c in earlier if c.verb}
    if again and "VERB" in lemmas_of(again.group("verb")):
        return lemma(again.group("verb")) in done
    head = _head(_mention(last.subject)[1])
    named = {_head(_mention(c.subject)[1]) for c in earlier if c.subject}
    return not last.subject or last.subject.lower() in PRONOUNS or head in named or lemma(head) in done


def split_scene(clause: Clause) -> tuple[Clause, str]:
    """A caption's last clause without the background it closes on, and that background:
    "... followed by a horse neighing as birds chirp in the background" -> (a horse neighing,
    " as birds chirp in the background"). Such a background goes with the whole scene, so a
    reversal keeps it at the end; ``""`` when the clause has none."""
    scene = _SCENE_RE.search(_tail(clause))
    if scene is None or not (clause.verb or _tail(clause)[: scene.start()].strip()):
        return clause, ""
    return _with_tail(clause, _tail(clause)[: scene.start()]), scene.group()


def with_scene(clause: Clause, scene: str) -> Clause:
    """``clause`` closing on ``scene`` (from :func:`split_scene`)."""
    if not scene:
        return clause
    tail, scene = _tail(clause).rstrip(), scene.strip()
    if not tail:  # the verb phrase ends on its verb: "... then runs, with a car passing in the distance"
        scene = scene.lstrip(", ")
    glue = "" if scene.startswith(",") else " "
    return _with_tail(clause, f"{tail}{glue}{scene}".strip())


def _pronoun_for(phrase: str, case: dict[str, str], plural: bool | None = None) -> str:
    """The pronoun that can stand for ``phrase`` ("bees" -> they/them, "a match" -> it, "a handful of
    coins" -> they/them), "" if unsure; ``plural`` as read from its verb ("sheep bleat"), if known."""
    head = _head(_mention(phrase)[1])
    if " and " in f" {phrase.lower()} ":  # "a man and a woman" -> they
        return case["them" if "them" in case else "they"]
    if head in _MALE or head in _FEMALE:
        return case["him" if head in _MALE else "her"] if "him" in case else case["he" if head in _MALE else "she"]
    if head in _PEOPLE or phrase.lower() in _SOMEONE or not head:
        return ""
    quantity = head in _QUANTITIES and " of " in f" {phrase.lower()} "
    plural = plural if plural is not None else is_plural(phrase) or quantity
    return case["them" if "them" in case else "they"] if plural else "it"


def _placed_pronouns(groups: list[list[Clause]]) -> list[list[Clause]]:
    """Two events where the second refers back to the first with a pronoun trade the pronoun and the
    noun phrase it stands for, so that the sound is still named before it is referred to once they
    are reversed. Only where the noun phrase is the one candidate: not "running the water at the
    sink then turned it off"."""
    if len(groups) == 1 and len(groups[0]) == 2:
        return [_object_for_object(*groups[0])]
    if len(groups) == 2:
        return _object_for_subject(groups) or _possessive_for_subject(groups) or _subject_for_object(groups) or groups
    return groups


def _object_for_object(first: Clause, later: Clause) -> list[Clause]:
    """ "rummages through a bag before zipping it closed" -> "zips a bag closed before rummaging through it"."""
    objects = _objects(later.rest)
    own_clause = len(objects) == 1 and re.search(  # "meows until someone lets it in": the cat, not the door
        rf"\b(?:until|while|as|when|because|unless)\b.*\b{objects[0]}\b", later.rest, re.IGNORECASE
    )
    phrase = _antecedent(first, later, objects[0], _OBJECT_CASE) if len(objects) == 1 and not own_clause else ""
    if not phrase:
        return [first, later]
    first = replace(first, rest=_pronoun_in(first, phrase, objects[0]))
    return [first, replace(later, rest=_swap_word(later.rest, objects[0], phrase))]


def _object_for_subject(groups: list[list[Clause]]) -> list[list[Clause]] | None:
    """ "Bees buzz before a man swats at them" -> "A man swats at bees before they buzz"."""
    (first, *others), later = groups
    objects = [w for c in later for w in _objects(c.rest)]
    own = [w for c in groups[0] for w in _objects(c.rest)]  # "a floor creaks as someone walks across it"
    gerund = first.tag == "VBG" and not first.aux  # "a woman crying": no "she crying"
    if len(objects) != 1 or own or later[0].subject.lower() in PRONOUNS or gerund or not first.subject:
        return None
    pronoun = objects[0]
    if _pronoun_for(first.subject, _OBJECT_CASE, _plural(first)) != pronoun:
        return None
    if any(_pronoun_for(p, _OBJECT_CASE) == pronoun for c in groups[0] for p, direct in _noun_phrases(c) if direct):
        return None  # "a dog chases a cat, then a man yells at it": which one?
    named = [replace(c, rest=_swap_word(c.rest, pronoun, decapitalise(first.subject))) for c in later]
    return [[_agreeing(first, _SUBJECT_CASE[pronoun]), *others], named]


_POSSESSIVES = {"its": "it", "their": "they", "his": "he", "her": "she"}


def _possessive_for_subject(groups: list[list[Clause]]) -> list[list[Clause]] | None:
    """ "The elevator dings and then its doors slide open" -> "The elevator's doors slide open and then it dings"."""
    (first, *others), (later, *rest) = groups
    owner, _, owned = later.subject.partition(" ")
    pronoun = _POSSESSIVES.get(owner.lower())
    simple = " of " not in f" {first.subject.lower()} " and not CLAUSE_OPENERS & set(first.subject.lower().split())
    if (
        not pronoun
        or not owned
        or not first.verb
        or not simple
        or _pronoun_for(first.subject, _SUBJECT_CASE, _plural(first)) != pronoun
    ):
        return None
    named = decapitalise(first.subject)
    named = f"{named}'" if named.endswith("s") else f"{named}'s"
    return [[_agreeing(first, pronoun), *others], [replace(later, subject=f"{named} {owned}"), *rest]]


def _subject_for_object(groups: list[list[Clause]]) -> list[list[Clause]] | None:
    """ "Someone strikes a match and then it burns" -> "A match burns and then someone strikes it"."""
    first, later = groups[0][0], groups[1][0]
    subject = later.subject.lower()
    own = _pronoun_for(first.subject, _SUBJECT_CASE) == subject or (subject == "they" and _is_person(first.subject))
    pronouns = [w for c in [*groups[0], *groups[1]] for w in _objects(c.rest)]
    if subject not in ("it", "they") or own or pronouns or not first.verb:
        return None
    last = groups[0][-1]
    phrase = _antecedent(last, later, subject, _SUBJECT_CASE)
    if not phrase:
        return None
    said = replace(last, rest=_pronoun_in(last, phrase, _OBJECT_CASE[subject]))
    return [[*groups[0][:-1], said], [replace(later, subject=phrase), *groups[1][1:]]]


def _placed_determiners(groups: list[list[Clause]]) -> list[list[Clause]]:
    """Two events that name one sound, once as a subject and once inside the other's verb phrase,
    trade its determiners, so that "a" still introduces it: "Someone knocks on a door, then the door
    opens" reads "The door opens ..." no more but "A door opens, then someone knocks on the door"."""
    out = [list(group) for group in groups]
    pairs = [(s, p) for s in range(len(groups)) for p in range(len(groups)) if s != p]
    for subject_at, phrase_at in sorted(pairs, key=lambda pair: (abs(pair[0] - pair[1]), -pair[0])):
        det, body = _mention(out[subject_at][0].subject)
        head = _head(body)
        if det not in ("a", "an", "the") or not head or head in _GENERIC:
            continue
        wanted = ("a", "an") if det == "the" else ("the",)
        for k, clause in enumerate(out[phrase_at]):
            match = re.search(
                rf"\b(?P<det>{'|'.join(wanted)})\s+(?P<body>(?:\w+\s+){{0,2}}?{re.escape(head)})\b", clause.rest
            )
            if match:
                new_det = _with_determiner(det, match.group("body")).split()[0]
                rest = f"{clause.rest[: match.start()]}{new_det} {match.group('body')}{clause.rest[match.end() :]}"
                out[phrase_at][k] = replace(clause, rest=rest)
                out[subject_at][0] = replace(out[subject_at][0], subject=_with_determiner(match.group("det"), body))
                return out
            bare = re.search(
                rf"(?:^|\b(?:{'|'.join(_BARE_BEFORE)})\s+)(?P<head>{re.escape(head)})\b", clause.rest, re.I
            )
            if det == "the" and bare and body.lower() == head:  # "dropped into water ... the water swirls"
                rest = f"{clause.rest[: bare.start('head')]}the {clause.rest[bare.start('head') :]}"
                out[phrase_at][k] = replace(clause, rest=rest)
                out[subject_at][0] = replace(out[subject_at][0], subject=body)
                return out
    return groups


_BARE_BEFORE = ("into", "onto", "in", "on", "with", "from", "out", "of")
"""Words after which a bare noun names a thing the verb phrase acts on ("dropped into water")."""


def _objects(rest: str) -> list[str]:
    """The object pronouns in a verb phrase's rest: "at them", "opens it", not "as it passes" ("it" is
    also a subject; "them", "him" never are)."""
    words = rest.lower().replace(",", " , ").split()
    subject_before = CLAUSE_OPENERS | {"and", "then", "before", "after", "until", "because", "but", ","}

    def subject(i: int) -> bool:  # "as it passes"; but "runs after it."
        after = words[i + 1] if i + 1 < len(words) else ""
        return i > 0 and words[i - 1] in subject_before and bool(verb_tag(after) or after in ("is", "was"))

    def possessive(i: int) -> bool:  # "drops her keys"
        after = words[i + 1] if i + 1 < len(words) else ""
        return words[i] == "her" and bool(after) and after not in _BOUNDARIES and not after.endswith("ly")

    return [
        w for i, w in enumerate(words) if w in _SUBJECT_CASE and not (w == "it" and subject(i)) and not possessive(i)
    ]


def _antecedent(clause: Clause, later: Clause, pronoun: str, case: dict[str, str]) -> str:
    """The noun phrase in ``clause``'s verb phrase that ``pronoun`` (in ``later``) stands for: its
    object when that agrees ("drags a heavy box across the floor and then drops it"), else the one
    agreeing noun phrase after a preposition; "" when there is none, or several and no object, or
    ``later`` names it again."""
    words = clause.rest.lower().split()
    two_verbs = any(verb_tag(w) in ("VBZ", "VBD") for w, b in zip(words[1:], words[:-1], strict=True) if b == "and")
    said_first = later.subject.lower() == pronoun  # "then it shatters on the floor": nothing named before it
    rest = "" if said_first else re.split(rf"\b{pronoun}\b", later.rest, maxsplit=1, flags=re.I)[0]
    before_pronoun = replace(later, rest=rest)
    named_before = [p for p, _ in _noun_phrases(before_pronoun) if _pronoun_for(p, case) == pronoun]
    if _objects(clause.rest) or two_verbs or named_before:  # "strikes a match and lights a cigarette, then uses it"
        return ""
    phrases = _noun_phrases(clause)
    agreeing = [(p, direct) for p, direct in phrases if _pronoun_for(p, case) == pronoun]
    direct = [p for p, is_direct in agreeing if is_direct]
    chosen = direct[0] if direct else agreeing[0][0] if len(agreeing) == 1 else ""
    if not chosen or f" {_head(_mention(chosen)[1])} " in f" {later.text.lower()} ":
        return ""
    return chosen


_NP_START = frozenset({"something", "someone", "somebody"})
_BOUNDARIES = (PREPOSITIONS - {"of"}) | MORE_PREPOSITIONS | set(_PARTICLES_AFTER_PRONOUN) | {"along", "around", "off"}
_NP_END = frozenset(
    {
        "and",
        "or",
        "then",
        "while",
        "as",
        "to",
        "before",
        "after",
        "until",
        "again",
        "once",
        "twice",
        "which",
        "that",
        "who",
    }
)


def _noun_phrases(clause: Clause) -> list[tuple[str, bool]]:
    """The noun phrases of a verb phrase's rest, each with whether it is the verb's object (it opens
    the rest, after particles): "a heavy box across the floor" -> [("a heavy box", True), ("the
    floor", False)]; "a handful of coins" is one phrase, its "coins" another."""
    words = clause.rest.replace(",", " , ").split()
    out, i = [], 0
    while i < len(words) and words[i].lower() in _particles(clause):
        i += 1
    start_of_rest = i
    while i < len(words):
        word = words[i].lower()
        opener = word in CLAUSE_OPENERS or word in _NP_END or word in _BOUNDARIES
        ends = i + 1 == len(words) or words[i + 1].lower() in _BOUNDARIES or words[i + 1].lower().endswith("ly")
        noun = "NOUN" in lemmas_of(word) and verb_tag(word) in ("", "VBZ")  # "washes dishes in the sink"
        bare = i == start_of_rest and noun and not opener and ends
        after_of = i > 0 and words[i - 1].lower() == "of"  # "a deck of cards": "cards" too
        if (word in DETERMINERS and word != "of") or word in _NP_START or bare or after_of:
            j = i + 1
            while j < len(words) and _continues_noun_phrase(words, j):
                j += 1
            phrase = " ".join(words[i:j])
            direct, i = i == start_of_rest, j
            relative = j < len(words) and words[j].lower() in ("which", "that", "who")
            if words[j - 1].lower() in ("time", "times") or relative:  # "several times"; "a bottle which fizzes"
                continue
            out.append((phrase, direct))
            if " of " in f" {phrase} ":
                out.append((phrase.split(" of ", 1)[1], False))
        else:
            i += 1
    return out


def _continues_noun_phrase(words: list[str], j: int) -> bool:
    word = words[j].lower()
    if word in _NP_END or word in _BOUNDARIES or word == ",":
        return False
    if word.endswith("ly") or counted_times(words[j:]):
        return False  # "slowly", "several times"
    return not (verb_tag(word) in ("VBZ", "VBD") and "NOUN" not in lemmas_of(word))


def _plural(clause: Clause) -> bool:
    """Whether a clause's subject is plural, "a group of ducks" too."""
    head = _head(_mention(clause.subject)[1])
    return clause.plural or (head in _QUANTITIES and " of " in f" {clause.subject.lower()} ")


def _is_person(subject: str) -> bool:
    return _head(_mention(subject)[1]) in _PEOPLE or subject.lower() in _SOMEONE


def _swap_word(text: str, old: str, new: str) -> str:
    return re.sub(rf"\b{re.escape(old)}\b", new, text, count=1, flags=re.IGNORECASE)


def _particles(clause: Clause) -> tuple[str, ...]:
    """Particles that can stand between ``clause``'s verb and its object: "picks up", "turns on"."""
    return _PARTICLES_AFTER_PRONOUN + _PHRASAL_VERBS.get(lemma(clause.verb), ())


def _pronoun_in(clause: Clause, phrase: str, pronoun: str) -> str:
    """``clause``'s rest with ``phrase`` said as ``pronoun``, before a particle: "picks up a phone" ->
    "picks it up", "turns on a faucet" -> "turns it on", but "thumps on it"."""
    text = clause.rest
    particle = re.match(rf"^(?P<p>{'|'.join(_particles(clause))})\s+{re.escape(phrase)}\b", text, re.IGNORECASE)
    if particle:
        return f"{pronoun} {particle.group('p')}{text[particle.end() :]}"
    return _swap_word(text, phrase, pronoun)


def keep_in_place(groups: list[list[Clause]]) -> list[list[Clause]]:
    """Groups of a caption in reading order, rewritten so that, once read in reverse order, each
    mention of a sound, each "again" and each word that says where in the clip an event is ("at
    first", "finally") stands where it stood: the first mention still introduces ("a"), the later
    ones refer back ("the", "another", "it"), and "again" ends the caption."""
    placed = _placed_subjects(_placed_determiners(_placed_pronouns(_placed_repeat(groups))))
    return _placed_order_words(_without_more(_introduced(_begun(_placed_objects(placed)))))


_MORE_RE = re.compile(
    r"\bback\s+(?=(?:up|down|on)\b)|(?<!\bonce\s)(?:\bsome\s+)?\bmore\b\s*",
    re.IGNORECASE,
)


def _without_more(groups: list[list[Clause]]) -> list[list[Clause]]:
    """The events after the first, which will come before it, without the words that say they come
    back or answer: "starts back up" -> "starts up", "a creak and more jingling" -> "a creak and
    jingling", "two more clicks" -> "two clicks", "bleats in response" -> "bleats"; not "more loudly"."""
    clauses = [c for group in groups for c in group]
    return _regrouped(groups, [*clauses[:1], *map(_not_returning, clauses[1:])])


def _not_returning(clause: Clause) -> Clause:
    """``clause`` without the words that say it comes back or answers ("back up", "more", "in response")."""
    rest = _IN_RESPONSE_RE.sub("", clause.rest)
    return replace(clause, subject=_without_return_words(clause.subject), rest=_without_return_words(rest))


def _without_return_words(text: str) -> str:
    out = text
    for match in reversed(list(_MORE_RE.finditer(text))):
        said = match.group().lower().split()
        following = [w.strip(",.").lower() for w in text[match.end() :].split()[:1]]
        compared = following and (
            following[0] in ("than", "and", "or") or lemmas_of(following[0]).keys() & {"ADJ", "ADV"}
        )
        if said[-1] == "more" and compared:
            continue  # "more loudly", "more clear", "more than", "more and less"
        kept = "some " if said[0] == "some" and following else ""  # "some more rings" -> "some rings"
        out = f"{out[: match.start()]}{kept}{out[match.end() :]}"
    return " ".join(out.split())


def _begun(groups: list[list[Clause]]) -> list[list[Clause]]:
    """The last event, which will open the caption, without a "continues" or "resumes" that takes up
    what it has not yet done: "... then the child resumes sobbing" -> "The child sobs ..."."""
    last = groups[-1][-1]
    taken_up = re.match(r"(?:to\s+|with\s+)?(?P<verb>\w+)\b\s*(?P<rest>.*)$", last.rest)
    if lemma(last.verb.rstrip(",")) not in ("continue", "resume") or not taken_up:
        return groups
    verb = taken_up.group("verb")
    if "VERB" not in lemmas_of(verb) or verb_tag(verb) not in ("", "VBG", "VB", "VBP"):
        return groups
    begun = replace(last, verb=inflect(lemma(verb), last.tag), rest=taken_up.group("rest"))
    return [*groups[:-1], [*groups[-1][:-1], begun]]


_OBJECT_RE = re.compile(r"\b(?P<det>a|an|the)\s+(?P<body>(?:[\w-]+\s+){0,2}?(?P<head>[\w-]+))\b", re.IGNORECASE)


def _placed_objects(groups: list[list[Clause]]) -> list[list[Clause]]:
    """A thing named in two verb phrases, first with "a" and later with "the", trades the two
    determiners, so that "a" still introduces it once the events are reversed: "A person uses a saw,
    then stops the saw" -> "A person stops a saw, then uses the saw"."""
    clauses = [c for group in groups for c in group]
    found = [[m for m in _OBJECT_RE.finditer(c.rest) if "NOUN" in lemmas_of(m.group("head"))] for c in clauses]
    for j in range(len(clauses)):
        for later in (m for m in found[j] if m.group("det").lower() == "the"):
            head = later.group("head").lower()
            earlier = [(i, m) for i in range(j) for m in found[i] if m.group("head").lower() == head]
            mentions = [m for ms in found for m in ms if m.group("head").lower() == head]
            if len(earlier) != 1 or len(mentions) != 2 or earlier[0][1].group("det").lower() not in ("a", "an"):
                continue
            i, first = earlier[0]
            rest_i = f"{clauses[i].rest[: first.start()]}the {first.group('body')}{clauses[i].rest[first.end() :]}"
            introduced = _with_determiner("a", later.group("body"))
            rest_j = f"{clauses[j].rest[: later.start()]}{introduced}{clauses[j].rest[later.end() :]}"
            clauses[i] = replace(clauses[i], rest=rest_i)
            clauses[j] = replace(clauses[j], rest=rest_j)
            return _regrouped(groups, clauses)
    return groups


def _regrouped(groups: list[list[Clause]], clauses: list[Clause]) -> list[list[Clause]]:
    """``clauses`` in the shape of ``groups``."""
    out, k = [], 0
    for group in groups:
        out.append(clauses[k : k + len(group)])
        k += len(group)
    return out


_START_WORDS = r"at\s+first|initially|to\s+begin\s+with|at\s+the\s+beginning|in\s+the\s+beginning|first"
_END_WORDS = r"at\s+the\s+end|towards?\s+(?:the\s+)?end|at\s+end|in\s+the\s+end|a\s+final\s+time|finally|eventually"
_BEFORE_WORD = r"(?<!\bthe\s)(?<!\ba\s)(?<!\bits\s)(?<!\btheir\s)"  # not "the first bird"
_START_RE = re.compile(rf",?\s*{_BEFORE_WORD}\b(?P<word>{_START_WORDS})\b,?(?!\s+(?:time|one|of)\b)", re.IGNORECASE)
_END_RE = re.compile(rf",?\s*{_BEFORE_WORD}\b(?P<word>{_END_WORDS})\b,?", re.IGNORECASE)
_CLAUSE_WORDS = frozenset({"as", "while", "when", "which", "that", "who"})
_AS_ADVERB = {"first": "first", "initially": "first", "finally": "finally", "eventually": "eventually"}
_AS_PHRASE = {"first": "at first", "initially": "at first", "finally": "at the end", "eventually": "at the end"}


def _placed_order_words(groups: list[list[Clause]]) -> list[list[Clause]]:
    """A word that places an event at the start of the clip ("at first", "initially") moves from the
    first event to the last, which will be read first; one that places it at the end ("finally", "at
    the end") from the last to the first: "An engine sputters at first, then runs steadily" -> "An
    engine runs steadily at first, then sputters"."""
    first, last = groups[0][0], groups[-1][-1]
    first, start = _without_order_word(first, _START_RE)
    last, end = _without_order_word(last, _END_RE)
    if not start and not end:
        return groups
    first, last = _with_order_word(first, end), _with_order_word(last, start)
    out = [list(group) for group in groups]
    out[0][0], out[-1][-1] = first, last
    return out


def _without_order_word(clause: Clause, pattern: re.Pattern) -> tuple[Clause, str]:
    """``clause`` without the first word ``pattern`` finds in it, and that word ("" if none)."""
    for field in ("adverbs", "rest", "subject"):
        text = getattr(clause, field)
        match = pattern.search(text)
        before = text[: match.start()].lower().replace(",", " ").split() if match else []
        inside = set(before) & _CLAUSE_WORDS or (before[-1:] == ["and"] and text[match.end() :].strip())
        if match and not inside:  # not "as an arm first lifts", "barks and finally howls"
            kept = f"{text[: match.start()]} {text[match.end() :]}".strip(" ,")
            return replace(clause, **{field: " ".join(kept.split())}), match.group("word").lower()
    return clause, ""


def without_order_words(clause: Clause) -> Clause:
    """``clause`` without the words that place it at the start or the end of the clip or make it an
    answer, which an opposite connective would contradict ("The machine first hums, preceded by
    ...", "... after a sheep bleats in response")."""
    placed = _without_order_word(_without_order_word(clause, _START_RE)[0], _END_RE)[0]
    return replace(placed, rest=" ".join(_IN_RESPONSE_RE.sub("", placed.rest).split()))


def without_repeat_words(clause: Clause) -> Clause:
    """``clause``, which an opposite connective will state first, without the words that say it comes
    again: "... after getting louder again" -> "... after getting louder", "preceded by several more
    thumps" -> "preceded by several thumps"."""
    repeat = _REPEAT_RE.search(_tail(clause))
    said = _with_tail(clause, _tail(clause)[: repeat.start()]) if repeat else clause
    said = _not_returning(said)
    return said if said.text.strip() else clause  # "then once again": nothing else to say


_IN_RESPONSE_RE = re.compile(r",?\s*\bin\s+(?:response|return|reply)\b", re.IGNORECASE)


def _with_order_word(clause: Clause, word: str) -> Clause:
    """``clause`` with an order word: before its verb ("finally shuts off") or closing it ("a whirring at first")."""
    if not word:
        return clause
    if clause.verb and word in _AS_ADVERB:
        return replace(clause, adverbs=f"{_AS_ADVERB[word]} {clause.adverbs}".strip())
    return _with_tail(clause, f"{_tail(clause)} {_AS_PHRASE.get(word, word)}".strip())


def _introduced(groups: list[list[Clause]]) -> list[list[Clause]]:
    """The last group, which will open the caption, without an "another" or "more" that refers back
    to a sound it has not met: "A siren fades then another loud siren" -> "A loud siren then a
    siren fades", "... then more laughter" -> "Laughter ..."."""
    first = groups[-1][0]
    det, body = _mention(first.subject)
    words = body.lower().replace(",", " ").split()
    verb_alone = len(words) == 1 and not first.verb and verb_tag(words[0]) == "VBZ"  # "another sneezes"
    if len(groups) < 2 or not words or words[0] in ("one", "other", "same", *PRONOUNS) or verb_alone:
        return groups
    if det == "the" and first.verb and _unmet(first, groups):  # "The horn blows and then a car engine idles"
        head = _head(body)
        subject = body if head in _MASS or is_plural(body) else _with_determiner("a", body)
    elif det in ("another", "more"):
        subject = _with_determiner("a", body) if det == "another" else body
    else:
        return groups
    return [*groups[:-1], [replace(first, subject=subject), *groups[-1][1:]]]


def _unmet(clause: Clause, groups: list[list[Clause]]) -> bool:
    """Whether ``clause``'s subject ("the horn") names a thing no other event names, is not a
    described sound ("the buzz of a machine"), and no other event opens on "the" or a pronoun (a
    caption written so, or a subject traded with its pronoun)."""
    body = _mention(clause.subject)[1]
    head = _head(body)
    others = " ".join(c.text for group in groups for c in group if c is not clause)
    described = " of " in f" {body.lower()} " or CLAUSE_OPENERS & set(body.lower().split())
    named = _named_in(head, others)
    openers = [group[0].subject.lower() for group in groups if group[0] is not clause]
    definite = any(o.startswith("the ") or o in PRONOUNS for o in openers)  # the caption's own style, or a trade
    return bool(head) and head not in _ONE_OF_A_KIND and not described and not named and not definite


_MASS = frozenset({
    "water", "wind", "rain", "music", "traffic", "thunder", "steam", "air", "gas", "liquid", "speech",
    "laughter", "applause", "static", "snow", "fire", "smoke", "paper", "metal", "wood", "glass", "plastic",
    "gravel", "sand", "food", "oil", "machinery", "equipment", "silence",
})  # fmt: skip
"""Nouns said without "a" ("Water runs ...")."""
_ONE_OF_A_KIND = frozenset(
    {"ocean", "sea", "sky", "sun", "ground", "floor", "room", "street", "road", "radio", "phone"}
)
"""Nouns that keep "the" even when first named ("the ocean", "the floor")."""
