"""The grammar of one caption clause: its subject, its head verb and that verb's other forms.

Which word heads a clause is decided by the lexicon (:mod:`.lexicon`) and the shape of AudioCaps
and Clotho captions ("A dog barks", "A man speaking loudly", "Birds chirp", "Dishes are dunked").
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace

from dtu_audio.datasets.temporal.lexicon import (
    ADJECTIVES,
    BE_FOR_TAG,
    BE_TAGS,
    CLAUSE_OPENERS,
    DETERMINERS,
    MORE_PREPOSITIONS,
    PARTICLES,
    PREPOSITIONS,
    inflect,
    is_adverb,
    lemma,
    lemmas_of,
    unlisted,
    verb_tag,
)

_PLURAL_QUANTIFIERS = frozenset({"two", "three", "four", "five", "several", "multiple", "many", "few", "numerous"})
_PRONOUN_FORMS = frozenset({"them", "their", "him", "his", "her", "its", "our", "us", "your", "my", "me"})
"""Pronouns and possessives, which lemminflect lists as nouns ("them", "their")."""
_SAME_IN_PLURAL = frozenset({"sheep", "deer", "fish", "cattle", "poultry", "livestock"})
_PLURAL_WORDS = frozenset({"people", "men", "women", "children", "they", "we", "police", "geese", "mice", "feet"})
_OBJECT_PRONOUNS = {"they": "them", "he": "him", "she": "her", "we": "us", "i": "me"}
_SUBJECT_PRONOUNS = {"them": "they", "him": "he", "her": "she", "us": "we", "me": "I"}
_AGREEING_AUX = {("is", True): "are", ("are", False): "is", ("was", True): "were", ("were", False): "was"}
_AGREEING_TAG = {("VBZ", True): "VBP", ("VBP", False): "VBZ"}
ASPECTUAL_VERBS = frozenset({"start", "begin", "stop", "keep", "continue", "finish", "resume", "quit"})
"""Verbs that take a gerund ("starts talking"): the word before the gerund is the verb."""
LIGHT_VERBS = frozenset({"occur", "happen"})
"""Verbs that only say an event took place: "a crunching noise occurs" is the event "a crunching noise"."""


@dataclass(frozen=True)
class Clause:
    """An event as a subject and a verb phrase: ``subject aux adverbs verb rest``.

    ``verb`` is empty for a noun phrase ("male speech"), ``subject`` for a verb phrase that shares
    the subject of the clause before it ("then speaks"). ``tag`` is the verb's form (VBZ, VBG, ...).
    """

    subject: str
    aux: str  # "is", "being", or "is being" before a participle ("is being fried")
    adverbs: str
    verb: str
    rest: str
    tag: str

    @property
    def predicate(self) -> str:
        """The verb phrase: everything after the subject."""
        return " ".join(w for w in (self.aux, self.adverbs, self.verb, self.rest) if w)

    @property
    def text(self) -> str:
        """The clause as written."""
        return " ".join(w for w in (self.subject, self.predicate) if w)

    @property
    def plural(self) -> bool:
        """Whether the subject is plural, read from the verb where its form tells ("are", "chirp")."""
        be = finite_be(self.aux)
        if be in ("is", "was") or self.tag == "VBZ":
            return False
        return be in ("are", "were") or self.tag == "VBP" or is_plural(self.subject)

    @property
    def locative(self) -> bool:
        """Whether the clause only says where its subject is ("a whistle is in the background")."""
        return (
            bool(self.subject)
            and self.verb.lower() in ("is", "are")
            and self.rest.split()[:1] in (["in"], ["on"], ["at"])
        )

    @property
    def in_subclause(self) -> bool:
        """Whether the verb belongs to a clause inside the subject ("plastic thumping as a man laughs")."""
        words = self.subject.lower().split()
        return any(w in CLAUSE_OPENERS for w in words[words[:1] == ["that"] :])  # "That dog barks": a determiner

    @property
    def passive(self) -> bool:
        """Whether the verb is a participle after a form of "be" ("is shut", "being scrubbed")."""
        return bool(self.aux) and self.tag in ("VBN", "VBD")

    def in_form(self, aux: str, tag: str, plural: bool | None = None) -> Clause:
        """The same clause with its verb in another form: ``aux`` ("is", "being" or "") and ``tag``.

        A present or past form agrees with the subject (``plural``, else read from ``subject``).
        """
        if not self.verb:
            return self
        pronoun = self.subject.lower()
        if (tag != "VBG" or aux) and pronoun in _SUBJECT_PRONOUNS:  # "them laughing" -> "they laugh"
            self = replace(self, subject=_SUBJECT_PRONOUNS[pronoun])
            plural = self.subject in ("they", "we", "I")
        if plural is None and self.subject:
            plural = self.plural
        if plural is not None:
            be = finite_be(aux)
            aux = _AGREEING_AUX.get((be, plural), be) + aux[len(be) :]
            tag = _AGREEING_TAG.get((tag, plural), tag)
        if self.passive:
            if tag == "VBG" and not aux:
                return replace(self, aux="being", tag="VBN")
            keep = aux in BE_TAGS or aux.endswith(" being")
            return replace(self, aux=aux if keep else BE_FOR_TAG.get(tag, "is"), tag="VBN")
        if aux.endswith(" being"):  # an active verb in the place of "is being fried": "is frying"
            aux, tag = finite_be(aux), "VBG"
        if self.locative and tag == "VBG" and not aux:  # "a whistle is in the background": "a whistle in ..."
            return replace(self, verb="", tag="")
        if aux in BE_TAGS and aux != "being" and tag in ("VBN", "VBD"):
            return replace(self, aux="", verb=inflect(self.verb, BE_TAGS[aux]), tag=BE_TAGS[aux])
        if aux == "being":  # an active verb in the place of "being sprayed"
            aux, tag = "", "VBG"
        rest = _coordinated(self.rest, self.tag, tag) if tag != self.tag else self.rest
        first = rest.split()[0] if rest.split() else ""
        aspect = lemma(self.verb.rstrip(",")) in ("start", "begin", "continue") and not self.verb.endswith(",")
        if tag == "VBG" and aspect and verb_tag(first) == "VBG":
            rest = f"to {lemma(first)}{rest[len(first) :]}"  # "is starting to cry", not "is starting crying"
        changed = tag != self.tag or aux != self.aux  # "is pounding ... and men are talking" too
        if tag == "VBG" and not aux and changed and self.subject:  # not "after laughing and a man laughing"
            listed = self.verb.endswith(",") or rest.lower().startswith("and ")  # the list goes on
            lead = (", " if self.verb.endswith(",") else " ") if listed else ""
            rest = _gerund_conjuncts(lead + rest, later=True)[len(lead) :]
        subject = self.subject
        if tag == "VBG" and not aux:  # "they explode" -> "them exploding"
            subject = _OBJECT_PRONOUNS.get(subject.lower(), _gerund_conjuncts(subject))
        verb = inflect(self.verb, tag)
        return replace(self, subject=subject, aux=aux, verb=verb, rest=rest, tag=tag)

    def with_list_closed(self) -> Clause:
        """The clause with "and" before the last item of a comma list that ends it, where the list had
        left its "and" to the link after it: "starts, idles" of "starts, idles, and then shuts off"
        -> "starts and idles"."""
        if not _ends_in_a_list(self.text, bool(self.verb) and self.tag != "VBG"):
            return self
        names = ("subject", "aux", "adverbs", "verb", "rest")
        values = [getattr(self, name) for name in names]
        for i in reversed(range(len(values))):
            head, comma, tail = values[i].rpartition(",")
            if re.search(r"\band\b", tail):
                return self  # the list has its "and" already
            if not comma:
                continue
            later = next((k for k in range(i + 1, len(values)) if values[k]), None)
            if tail.strip():
                values[i] = f"{head} and{tail}"
            elif later is not None:  # "starts," with the next item in the verb phrase's rest
                values[i], values[later] = head, f"and {values[later]}"
            else:
                return self
            return replace(self, **dict(zip(names, values, strict=True)))
        return self

    def as_gerund(self) -> Clause:
        """The clause as a noun phrase that can follow "followed by": "a man speaks" -> "a man speaking"."""
        relative = self.subject.lower().endswith((" who", " which", " that"))
        if lemma(self.verb) in LIGHT_VERBS and not self.rest and not self.aux and self.subject:
            return replace(self, adverbs="", verb="", tag="")
        if not self.verb or (self.tag == "VBG" and not self.aux) or relative or self.in_subclause:
            return self
        return self.in_form("", "VBG")


def _ends_in_a_list(text: str, finite: bool) -> bool:
    """Whether ``text`` ends in a list of sounds or actions ("glass clinks, thumps occur"), not in a
    comma after an opening adverbial ("Repeatedly, a thumping ...", "Moving on the tracks, a train
    stops", "As the bells ring, pigeons fly off"), around a participle's phrase ("thunder,
    accompanied by birds, becomes quiet"; with a ``finite`` verb, "revs its engine, making it
    louder"), between adjectives ("short, rapid strokes") or before a description ("violins play,
    sometimes very squeaky")."""
    items = [item.lower().split() for item in text.split(",")]
    if len(items) < 2 or not all(items):
        return False
    first, before, last = items[0], items[-2], items[-1][0]
    opening = (len(first) == 1 and is_adverb(first[0])) or first[0] in CLAUSE_OPENERS | {"first", "then", "finally"}
    participle = verb_tag(first[0]) == "VBG" and len(first) > 1 and first[1] in PREPOSITIONS | PARTICLES
    by = any(verb_tag(item[0]) in ("VBN", "VBD") and item[1:2] == ["by"] for item in items)
    adjunct = finite and verb_tag(last) == "VBG"
    adjectives = "ADJ" in lemmas_of(before[-1]) and "ADJ" in lemmas_of(last) and len(items[-1]) > 1
    kinds = set(lemmas_of(last))
    described = is_adverb(last) or (
        last not in DETERMINERS and "ADJ" in kinds and "NOUN" not in kinds and verb_tag(last) in ("", "VB", "VBP")
    )
    return not (opening or participle or by or adjunct or adjectives or described)


def _gerund_conjuncts(text: str, later: bool = False) -> str:
    """Clauses coordinated with a gerund's own, made noun phrases too: the earlier conjuncts of its
    subject ("birds chirp and a duck" of "birds chirp and a duck quacks" -> "birds chirping and a
    duck"), or with ``later`` those after its verb, up to a clause of its own ("honks twice and keys
    jingle" -> "... and keys jingling", not "while a dog barks")."""
    parts = re.split(r"(\s+and\s+|,\s+)", text)
    indices = range(2, len(parts), 2) if later else range(0, len(parts) - 1, 2)
    for i in indices:
        if later and CLAUSE_OPENERS & set(parts[i - 2].lower().split()):
            break
        clause = parse_clause(parts[i])
        first = clause.subject.split()[0].lower() if clause.subject else ""
        described = later and first not in DETERMINERS and "ADJ" in lemmas_of(first)  # "in short, rapid strokes"
        finite = clause.tag in ("VBZ", "VBP") and not clause.aux
        progressive = clause.tag == "VBG" and clause.aux in ("is", "are", "was", "were")  # "men are talking"
        if clause.subject and clause.verb and (finite or progressive) and not described:
            parts[i] = clause.as_gerund().text
    return "".join(parts)


_NOT_A_SUBJECT_END = frozenset({"and", "or", "of", "with", "from", "in", "on", "at", "as", "while", "by", "to", "for"})


def is_plural(subject: str) -> bool:
    """Whether a subject noun phrase is plural: "birds", "a man and a woman", "people"."""
    words = subject.lower().replace(",", " , ").split()
    for i in range(len(words) - 1, -1, -1):  # the subject of the last clause: "birds chirp while [a man]"
        if words[i] in CLAUSE_OPENERS:
            words = words[i + 1 :]
            break
    cut = next((i for i, w in enumerate(words) if w in PREPOSITIONS and i > 0), len(words))
    words = words[:cut]  # "a few people [in the distance]"
    if not words:
        return False
    head = words[-1]
    if head in _PLURAL_WORDS or "and" in words:
        return True
    nouns = lemmas_of(head).get("NOUN")
    return bool(nouns) and nouns[0] != head and head.endswith("s")


def _coordinated(rest: str, old: str, new: str) -> str:
    """Verbs coordinated with the head ("fades and stops") moved from form ``old`` to ``new`` too."""
    words = rest.split()
    for i in range(1, len(words)):
        if words[i - 1].lower() in CLAUSE_OPENERS:  # "talks while a horse snorts and trots": not the horse's
            break
        if words[i - 1].lower() in ("and", "or") or words[i - 1].endswith(","):
            nxt = words[i + 1].lower() if i + 1 < len(words) else ""
            verb_next = nxt in BE_TAGS or verb_tag(nxt) or "VERB" in lemmas_of(nxt)
            noun = "NOUN" in lemmas_of(words[i]) and verb_next and nxt not in _RESULTS  # not "slams shut"
            word = words[i].lower().rstrip(",")
            inflected = verb_tag(words[i]) == old and old in ("VBZ", "VBD", "VBG")
            base = old == "VBP" and "VERB" in lemmas_of(word) and lemma(word) == word  # "talk and laugh"
            if (inflected or base) and not noun:
                words[i] = inflect(words[i], new)
    return " ".join(words)


def _can_be_noun(word: str) -> bool:
    return word.lower() in DETERMINERS or "NOUN" in lemmas_of(word) or not lemmas_of(word)


def _joined_subject(words: list[str]) -> bool:
    """Whether ``words`` join noun phrases with "and" ("a man and a woman", "the rustling and
    rattling"), not an adjective alone ("distant speech and white | noise")."""
    lowered = [w.lower() for w in words]
    if "and" not in lowered:
        return False
    last = lowered[len(lowered) - lowered[::-1].index("and") :]
    adjective = len(last) == 1 and "ADJ" in lemmas_of(last[0]) and not last[0].endswith("ing")
    return bool(last) and not adjective


def _bare_verb_before_phrase(words: list[str]) -> bool:
    """Whether ``words`` open with a verb's base form and then a preposition, particle or determiner
    ("crash into", "honk in", "go off"), as after a plural subject; not "while", "like" or "back"."""
    if not words:
        return False
    verb, after = (w.lower().rstrip(",") for w in [*words, ""][:2])
    if verb in CLAUSE_OPENERS or verb in PREPOSITIONS or verb in PARTICLES or verb in ("like", "over", "past"):
        return False
    base = "VERB" in lemmas_of(verb) and lemma(verb) == verb
    if not after:  # "metal objects collide": a verb only, ending the clause; not "the door slams shut"
        return base and "NOUN" not in lemmas_of(verb) and verb not in _RESULTS
    after_verb = after in PREPOSITIONS or after in PARTICLES or after in DETERMINERS or after.endswith("ly")
    counted = after in ("once", "twice", "again", "together", "into", "past")  # "bottles clink together"
    return base and (after_verb or counted or verb_tag(after) == "VBG")  # "waves come crashing"


def _plural_head(words: list[str]) -> int | None:
    """Index of a bare verb after a plural subject ("birds chirp", "strong ocean waves crash", "a few
    people clap"), ``None`` when there is none."""
    for i in range(1, len(words)):
        before, word = words[i - 1].lower(), words[i].lower()
        unmarked = before in _SAME_IN_PLURAL and (i < 2 or words[i - 2].lower() not in ("a", "an", "one", "each"))
        listed_as_verb = verb_tag(before) == "VBZ" and i > 1 and words[i - 2].lower() not in ("a", "an")
        noun = "NOUN" in lemmas_of(before) or listed_as_verb  # "wind chimes tinkle": lemminflect has "chimes" a verb
        plural = (
            before in _PLURAL_WORDS
            or unmarked  # "sheep bleat"
            or (
                noun
                and before not in DETERMINERS
                and before not in ADJECTIVES  # "oinks from a pig with a single squeal": a noun after it
                and (before.endswith("s") or _joined_subject(words[:i]))
            )
        )
        after = words[i + 1] if i + 1 < len(words) else ""
        base = "VERB" in lemmas_of(word) and lemma(word) == word
        result = word in _RESULTS and verb_tag(before) == "VBZ"  # "slams shut", but "the doors open"
        verb = (base or unlisted(word)) and word not in PARTICLES and not result  # "pigs oink"; not "drains down"
        if plural and verb and (set(lemmas_of(after)) != {"NOUN"} or after.lower() in _PRONOUN_FORMS):  # "flap their"
            return i
        leading = [w.lower() for w in words[:i]]
        leading = leading[1:] if leading[:1] == ["a"] and leading[1:2] in (["few"], ["couple"]) else leading
        leading_adjectives = all("ADJ" in lemmas_of(w) or w in _PLURAL_QUANTIFIERS for w in leading)  # "a few people"
        if lemmas_of(before) and "NOUN" not in lemmas_of(before) and not leading_adjectives:
            break
    return None


def _head_index(words: list[str]) -> int | None:
    """Index of the word that heads the verb phrase of a clause with a subject, ``None`` for a noun phrase."""
    for i in range(1, len(words)):
        word = words[i].lower().rstrip(",;:")
        j = i - 1  # the word before, adverbs skipped: "the wind eventually dies"
        while j > 0 and is_adverb(words[j]):
            j -= 1
        before = words[j].lower().rstrip(",")
        if before in ("which", "who"):
            main = _after_relative(words, i)
            if main is not None:
                return main  # "a car which is idling revs": "revs"
        if before in DETERMINERS or before in _NOT_A_SUBJECT_END or words[j].endswith(","):
            continue
        if word in BE_TAGS and word != "being":
            return j + 1
        tag = verb_tag(word)
        if not tag or (word in _RESULTS and tag in ("VBD", "VBN")):  # "slams shut": a result, no head
            continue
        nxt = words[i + 1].lower().rstrip(",;:") if i + 1 < len(words) else ""
        if word == "proceeded" and nxt == "by":  # "clacking proceeded by a flush": a misspelt connective
            continue
        after_preposition = j > 0 and words[j - 1].lower() in PREPOSITIONS
        k = j - 1  # "a very high pitched squeal": the determiner before the intensifiers
        while k > 0 and (words[k].lower() in _INTENSIFIERS or is_adverb(words[k])):
            k -= 1
        opens_phrase = j == 0 or words[k].lower() in DETERMINERS or after_preposition
        kinds = lemmas_of(before)
        adjective = before in ADJECTIVES or ("ADJ" in kinds and ("NOUN" not in kinds or j == 0 or after_preposition))
        if adjective and tag in ("VBG", "VBD") and opens_phrase:
            continue  # "heavy breathing", "high pitched", "over rapid panting": an adjective is no subject
        takes_object = nxt in DETERMINERS or nxt in PARTICLES or is_adverb(nxt)
        modifier = before in ADJECTIVES or ("ADJ" in lemmas_of(before) and "NOUN" not in lemmas_of(before))
        agrees = tag == "VBZ" and words[0].lower() in ("a", "an") and not set(words[1:j]) & PREPOSITIONS
        noun_before = verb_tag(before) == "VBG" and not agrees  # "tapping noises", not "a loud clicking starts"
        if "NOUN" in lemmas_of(word) and (modifier or noun_before) and not takes_object:
            continue  # "a small burst", "tapping noises", "faint grunts": a noun
        if tag == "VBG" and "with" in {w.lower() for w in words[max(0, j - 2) : j]}:
            continue  # "humming of a motor with people screaming": a noun phrase
        if tag == "VBG" and nxt and set(lemmas_of(nxt)) == {"NOUN"} and nxt not in _PRONOUN_FORMS:  # "calling them"
            continue
        counted = words[0].lower() in _PLURAL_QUANTIFIERS and not any(w == "and" or w.endswith(",") for w in words[:i])
        if tag == "VBZ" and "NOUN" in lemmas_of(word) and counted:
            continue  # "two plastic clicks", "several loud bangs": a plural noun, not a verb agreeing with one
        singular = words[0].lower() in ("a", "an", "one", "someone", "somebody", "something", "he", "she", "it")
        source = word in _PLURAL_SOURCES and "VERB" in lemmas_of(nxt) and lemma(nxt) == nxt  # "church bells ring"
        if tag == "VBZ" and not singular and (_bare_verb_before_phrase(words[i + 1 : i + 3]) or source):
            continue  # "ocean waves crash into the shore", "wind chimes tinkle gently": a plural noun
        aspectual = lemma(word) in ASPECTUAL_VERBS | _TAKES_AN_OBJECT
        if tag != "VBG" and "NOUN" in lemmas_of(word) and verb_tag(nxt) == "VBG" and not aspectual:
            continue  # "church bells ringing", but "a man starts talking", "a printer makes whirring noises"
        if tag == "VBG" and before in ASPECTUAL_VERBS:
            continue  # "the wipers start squeaking": "start" heads it
        if tag == "VBZ" and nxt in BE_TAGS:
            continue  # "ice skates are scraping": a plural noun before its verb
        if (
            tag in ("VBG", "VBD")
            and verb_tag(nxt) == "VBZ"
            and ("NOUN" not in lemmas_of(nxt) or "NOUN" in lemmas_of(word))
        ):
            continue  # "rain pouring gets fainter", "a circular saw comes"
        unlisted_noun = unlisted(before) and words[0].lower() in ("a", "an", "one")  # "a racecar zooms"
        modified = j > 0 and (words[j - 1].lower() in ("a", "an", "the") or verb_tag(words[j - 1]) == "VBG")
        nominal = "NOUN" in lemmas_of(before) or unlisted_noun or (modified and tag == "VBZ")  # "a frying pan"
        if tag in ("VBZ", "VBD", "VBG") and (nominal or (j > 0 and verb_tag(before) == "VBG")):
            head = j if before == "being" and tag == "VBD" and j > 0 else j + 1  # "food being fried"
            opener = next((k for k in range(head) if words[k].lower() in CLAUSE_OPENERS), None)
            main = _plural_head(words[:opener]) if opener else None  # "birds chirp as wind blows"
            return main if main is not None else head
    return _plural_head(words)


def _after_relative(words: list[str], i: int) -> int | None:
    """Index of a finite verb right after the relative clause whose verb (or "is") is at ``i``
    ("which is idling | revs", "who speaks | laughs"), ``None`` when the clause ends the phrase."""
    k = i + 2 if words[i].lower() in BE_TAGS else i + 1
    after = words[k].lower().rstrip(",;:") if k < len(words) else ""
    return k if verb_tag(after) in ("VBZ", "VBP", "VBD") and "ADV" not in lemmas_of(after) else None


def finite_be(aux: str) -> str:
    """The form of "be" that agrees with the subject: "is" of "is being"; "" for none or "being"."""
    be = aux.split()[0] if aux else ""
    return be if be != "being" else ""


def _split_predicate(subject: str, words: list[str]) -> Clause:
    aux = words[0].lower() if words and words[0].lower() in BE_TAGS else ""
    body = words[1:] if aux else words
    if aux and aux != "being" and body and body[0].lower() == "being":  # "is being (quickly) fried"
        participle = next((w for w in body[1:] if not is_adverb(w)), "")
        if verb_tag(participle) in ("VBN", "VBD"):
            aux, body = f"{aux} being", body[1:]
    adverbs = []
    while len(body) > 1 and is_adverb(body[0]):
        adverbs.append(body.pop(0))
    if not body:
        return Clause(subject, "", "", "", " ".join(words), "")
    verb = body[0]
    tag = verb_tag(verb)
    if aux and not tag:  # "is loud", "are heard" with an unknown word: keep "be" as the verb
        return Clause(subject, "", "", words[0], " ".join(words[1:]), BE_TAGS[aux])
    if not aux and not tag:  # a verb the lexicon knows only as a plural noun ("dings"), or not at all ("oink")
        tag = "VBZ" if set(lemmas_of(verb)) == {"NOUN"} and verb.lower().endswith("s") else "VBP"
    bare = lemma(verb) == verb.lower()
    if not aux and tag in ("VBN", "VBD") and bare and (is_plural(subject) or inflect(verb, "VBD") != verb.lower()):
        tag = "VBP"  # "children run out", "bus come": not the participle, whose past would be "came"
    return Clause(subject, aux, " ".join(adverbs), verb, " ".join(body[1:]), tag)


def _noun_only_verb(words: list[str]) -> int | None:
    """Index of a word the lexicon knows only as a plural noun that follows a singular subject, and
    so must be its verb ("An elevator dings", "The cash register dings"); ``None`` when there is none."""
    if len(words) < 3 or words[0].lower() not in ("a", "an", "one", "the"):
        return None
    for k in range(2, len(words)):
        word, before = words[k].lower().rstrip(",;:"), words[k - 1].lower()
        if before in PREPOSITIONS or before in CLAUSE_OPENERS or before in DETERMINERS:
            return None
        noun = "NOUN" in lemmas_of(before) or unlisted(before)
        singular = noun and lemma(before) == before and not before.endswith("s")
        if set(lemmas_of(word)) == {"NOUN"} and word.endswith("s") and not word.endswith("ss") and singular:
            return k
    return None


def parse_clause(text: str) -> Clause:
    """A clause with a subject ("A dog barks loudly") or a noun phrase ("Male speech")."""
    words = text.split()
    head = _head_index(words)
    if head is None and len(words) > 1 and lemma(words[-1].lower()) in LIGHT_VERBS:
        head = len(words) - 1  # "a low whooshing occurs"
    if head is None:
        head = _noun_only_verb(words)
    if head is None:
        return Clause(text, "", "", "", "", "")
    return _split_predicate(" ".join(words[:head]), words[head:])


_OTHER_PREPOSITIONS = MORE_PREPOSITIONS | {"to", "and", "about"}


def trailing_noun_phrase(text: str) -> str:
    """The noun phrase that ends ``text``, adverbs after it left out: "puts ink into a printer" ->
    "a printer", "blows out bubbles sporadically" -> "bubbles"; "" when a verb ends it."""
    words = text.split()
    while words and is_adverb(words[-1]):
        words.pop()
    start = len(words)
    while start > 0:
        word = words[start - 1].lower()
        if word in PREPOSITIONS or word in PARTICLES or word in _OTHER_PREPOSITIONS or word.endswith(","):
            break
        if verb_tag(word) and "NOUN" not in lemmas_of(word):
            break
        start -= 1
        if word in DETERMINERS and word != "of":  # "calls a cat": the phrase opens at its determiner
            break
    phrase = words[start:]
    return " ".join(phrase) if phrase and phrase[-1].lower() not in DETERMINERS else ""


def clause_ending_in_verb(text: str) -> Clause | None:
    """``text`` read as a clause headed by its last finite verb, for a clause that a shared verb
    phrase follows ("A speedboat revs | then accelerates", "a man talking as metal rattles | then
    clanks"): ``None`` when no word there can be a finite verb after a subject."""
    words = text.split()

    def tag(i: int) -> str:
        word = words[i].lower().rstrip(",")
        return verb_tag(word) or ("VBP" if "VERB" in lemmas_of(word) and lemma(word) == word else "")

    def after_subject(i: int) -> bool:
        before = words[i - 1].lower()
        relative = before in ("that", "which", "who")
        return relative or (before not in DETERMINERS and before not in PREPOSITIONS and not before.endswith(","))

    heads = [i for i in range(1, len(words)) if tag(i) in ("VBZ", "VBP", "VBD") and after_subject(i)]
    finite = [i for i in heads if tag(i) != "VBP"] or heads
    if finite:
        return _split_predicate(" ".join(words[: finite[-1]]), words[finite[-1] :])
    last = len(words) - 1  # "The bell dings loudly": a word known only as a plural noun, before an adverb
    while last > 1 and is_adverb(words[last]):
        last -= 1
    noun_only = set(lemmas_of(words[last].lower())) == {"NOUN"} and words[last].lower().endswith("s")
    if not (noun_only and last < len(words) - 1 and after_subject(last)):
        return None
    return replace(_split_predicate(" ".join(words[:last]), words[last:]), tag="VBZ")


# fmt: off
_ADJUNCT_PREPOSITIONS = frozenset((
    "with", "in", "into", "through", "across", "toward", "towards", "along", "past", "at", "for", "from", "over",
    "under", "around", "near",
))
# fmt: on
"""Prepositions that open an adjunct after a gerund ("then running with a clank"), not an object. Not
"on": "then typing on a keyboard" is the same someone, "then knocking on wood door" often another sound."""
_PLURAL_SOURCES = frozenset({
    "bells", "waves", "objects", "chimes", "dishes", "sticks", "drums", "horns", "bottles", "plates", "keys",
    "brakes", "wings", "clocks", "pipes", "pans", "pots", "fans", "engines", "sirens", "alarms", "cymbals",
})  # fmt: skip
"""Plural nouns of things that sound, which the lexicon also knows as verbs: "church bells ring"."""
_INTENSIFIERS = frozenset({"very", "really", "extremely", "quite", "fairly", "rather", "so"})
_RESULTS = frozenset({"shut", "open", "closed", "loose", "free"})
_TAKES_AN_OBJECT = frozenset({"make", "take", "give", "let", "go", "come", "do", "have", "get"})


def _plural_subject_verb(word: str) -> bool:
    """Whether ``word``, after a word that may be a plural noun, is its verb ("ducks | quack"), not a
    result ("slams | shut")."""
    word = word.lower().rstrip(",;:")
    kinds = lemmas_of(word)
    not_a_verb = PARTICLES | _RESULTS | CLAUSE_OPENERS  # "snorts | while hooves stamp"
    return "VERB" in kinds and lemma(word) == word and "ADJ" not in kinds and word not in not_a_verb


def counted_times(words: list[str]) -> bool:
    """Whether ``words`` open with how many times ("twice", "numerous times", "three times")."""
    first = words[0].lower() if words else ""
    return first in ("once", "twice") or (len(words) > 1 and words[1].lower().rstrip(",") in ("times", "more"))


def subjectless(text: str, parallel_tag: str, gerund_object: bool = False, progressive: bool = False) -> Clause | None:
    """The verb phrase ``text`` when it has no subject of its own ("then speaks again"), else ``None``.

    A word that may be a noun or a verb ("whistles") counts as a verb only when ``parallel_tag``, the
    form of the clause before it, is the same; a gerund only when nothing names an object after it
    ("then whistling", not "then brushing teeth") unless ``gerund_object`` ("before changing to ...")
    or the clause before is ``progressive``: its "is" stands before both ("is approaching and then
    receding into the distance").
    """
    words = text.split()
    if not words or words[0].lower() in DETERMINERS or words[0].lower() in _PLURAL_WORDS:  # "then people cheer"
        return None
    i = 0
    while i < len(words) - 1 and is_adverb(words[i]):
        i += 1
    first = words[i].lower().rstrip(",;:")
    if progressive and verb_tag(first) == "VBG":
        return _split_predicate("", words)
    if first in BE_TAGS and first != "being" and parallel_tag:
        return _split_predicate("", words)
    tag = verb_tag(first)
    if not tag and first == "being" and len(words) > i + 1:
        return _split_predicate("", words)
    after = words[i + 1] if i + 1 < len(words) else ""
    if tag == "VBG" and verb_tag(after.rstrip(",")) == "VBZ" and "NOUN" in lemmas_of(first):
        return None  # "after lightning strikes": a subject and its verb
    verb_after = verb_tag(after) or after.lower() in BE_TAGS  # "paper is kicked": "paper" is its subject
    base = lemma(first) == first and "VERB" in lemmas_of(first) and not ("NOUN" in lemmas_of(first) and verb_after)
    if not tag and parallel_tag == "VBP" and base:
        tag = "VBP"  # "birds chirp then fly away"
    noun_only = set(lemmas_of(first)) == {"NOUN"} and first.endswith("s")  # "clacks then dings (loudly)"
    if not tag and parallel_tag == "VBZ" and noun_only and (not after or is_adverb(after) or after in PARTICLES):
        tag = "VBZ"
    finite = {"VBZ", "VBD", "VBP"}
    participles = {tag, parallel_tag} <= {"VBN", "VBD"}  # "is poured and then stirred and then shaken"
    parallel = (
        tag == parallel_tag or participles or (tag in finite and parallel_tag in finite and not _can_be_noun(first))
    )
    finite_before = parallel_tag in finite
    if not tag or not (parallel or (gerund_object and tag == "VBG")):
        return None
    rarely_a_noun = lemma(first) in _TAKES_AN_OBJECT | ASPECTUAL_VERBS  # "then makes noise again"
    coordinated = [verb_tag(w) for w, before in zip(words[1:], words[:-1], strict=True) if before.lower() == "and"]
    finite_after = "VBZ" in coordinated  # "then counts change and lets it fall": "counts" is a verb
    if (
        tag == "VBZ"
        and "NOUN" in lemmas_of(first)
        and not (rarely_a_noun or finite_after)
        and (_plural_subject_verb(after) or after.lower() in ("are", "were"))
    ):
        return None  # "then ducks quack", "then gears shift downward": a subject and its verb
    if tag == "VBG" and not (gerund_object and finite_before):
        rest = words[i + 1 :]
        adverb = is_adverb(rest[0]) and rest[0].lower().endswith("ly") if rest else False
        adverb = adverb or counted_times(rest) or (rest and rest[0].lower() in _ADJUNCT_PREPOSITIONS)
        conjoined = (
            len(rest) > 1 and rest[0].lower() == "and" and verb_tag(rest[1]) == "VBG"
        )  # "running and cutting out"
        if rest and not (rest[0].lower() in PARTICLES or adverb or conjoined or rest[0].lower() in ("as", "while")):
            return None
    return _split_predicate("", words)
