"""What the lexicon says of a word: its word classes, and a verb's lemma and other forms.

Verb forms come from lemminflect (a lexicon of English lemmas and inflections, pure Python, its
data inside the wheel): "speaks" is the 3rd-person form of "speak", whose gerund is "speaking".
No tagger is used: spaCy's English models and NLTK's tagger data are not installed from PyPI.
Words lemminflect lacks ("meows", "oinks") take its guessed lemmas. The word lists here are the
closed classes the parser (:mod:`.grammar`) needs and the lexicon does not tell apart.
"""

from __future__ import annotations

from functools import lru_cache

from lemminflect import getAllInflections, getAllInflectionsOOV, getAllLemmas, getAllLemmasOOV, getInflection

BE_TAGS = {"is": "VBZ", "are": "VBP", "was": "VBD", "were": "VBD", "being": "VBG"}
"""Forms of "be" that stand before a participle, with the tag they carry."""
BE_FOR_TAG = {"VBZ": "is", "VBP": "are", "VBD": "was"}
"""The form of "be" for each finite tag."""
# fmt: off
DETERMINERS = frozenset((
    "a", "an", "the", "another", "some", "more", "several", "multiple", "many", "few", "one", "two", "three",
    "four", "five", "six", "seven", "eight", "nine", "ten", "his", "her", "their", "its", "my", "your", "our",
    "this", "that", "these", "those", "each", "every", "any", "no", "both", "all", "lots", "lot", "of", "other",
))
PARTICLES = frozenset((
    "up", "down", "off", "out", "away", "again", "back", "by", "idle", "around", "along",
    "loudly", "quietly", "softly", "repeatedly", "briefly", "rapidly", "slowly", "quickly", "nearby",
))
"""Words that complete a verb ("fades out", "runs idle") rather than name an object."""
ADJECTIVES = frozenset((
    "small", "big", "large", "loud", "faint", "soft", "musical", "high", "low", "short", "long", "quick", "heavy",
    "light", "sharp", "deep", "distant", "young", "old", "several", "single", "double", "constant", "brief",
))
"""Adjectives that lemminflect also lists as nouns ("a small burst", "faint grunts")."""
# fmt: on
CLAUSE_OPENERS = frozenset({"while", "as", "when", "whereas", "because", "that", "which", "who", ","})
"""Words that open a clause inside another ("a man talks while a dog barks")."""
PREPOSITIONS = frozenset({"of", "in", "on", "at", "from", "with", "near", "by", "inside", "outside", "into", "under"})
MORE_PREPOSITIONS = frozenset({"onto", "through", "across", "over", "toward", "towards", "past", "against", "behind"})
"""Prepositions of movement and place that also end a noun phrase ("a box across the floor")."""
# fmt: off
_UNLISTED_FUNCTION_WORDS = frozenset((
    "and", "but", "nor", "with", "from", "against", "into", "onto", "upon", "than", "of", "for", "at", "the", "a",
    "an", "during", "towards", "toward", "among", "amid", "until", "if", "every", "although", "beside", "whereas",
    "whilst", "perhaps", "afterwards", "backwards", "forwards", "plus", "via", "three",
))
# fmt: on
"""Words lemminflect does not list that are no content words (it lists "or", "to", "by", "over")."""


@lru_cache(maxsize=65536)
def lemmas_of(word: str) -> dict[str, tuple[str, ...]]:
    """Every word class lemminflect knows ``word`` in, with its lemmas: "barks" -> NOUN bark, VERB bark.

    A word the lexicon lacks that reads as an inflected verb ("meows", "ticktocks", "oinking") gets
    lemminflect's guessed lemmas: a plural noun or a verb when it ends in -s, a verb when in -ing or -ed.
    """
    word = word.lower().strip(",;:")
    return dict(getAllLemmas(word)) or _guessed_lemmas(word)


def unlisted(word: str) -> bool:
    """Whether ``word`` is a content word the lexicon does not list ("racecar", "oink")."""
    word = word.lower().strip(",;:")
    return len(word) > 2 and word.isalpha() and word not in _UNLISTED_FUNCTION_WORDS and not getAllLemmas(word)


def _guessed_lemmas(word: str) -> dict[str, tuple[str, ...]]:
    if len(word) < 4 or not word.isalpha() or word in _UNLISTED_FUNCTION_WORDS:
        return {}
    if not word.endswith(("s", "ing", "ed")) or word.endswith(("ss", "us", "is", "os")):
        return {}
    tags = ("VBZ",) if word.endswith("s") else ("VBG",) if word.endswith("ing") else ("VBD", "VBN")
    noun = getAllLemmasOOV(word, "NOUN")["NOUN"][0]
    verbs = [getAllLemmasOOV(word, "VERB")["VERB"][0], noun]  # "baas": the noun's lemma "baa" is the verb's
    if word.endswith("ing") and (word[-4] in "aeiou" or getAllLemmas(word[:-3])):
        verbs.insert(0, word[:-3])  # "baaing" is "baa", not "baae"; "dinging" the listed "ding"
    for verb in verbs:
        if any(word in getAllInflectionsOOV(verb, "VERB").get(tag, ()) for tag in tags):
            return {"NOUN": (noun,), "VERB": (verb,)} if tags == ("VBZ",) else {"VERB": (verb,)}
    return {}


def is_adverb(word: str) -> bool:
    """Whether ``word`` is only an adverb ("loudly", "eventually"), not a noun, verb or clause opener."""
    kinds = set(lemmas_of(word))
    if word.lower() in CLAUSE_OPENERS:  # "tapping on paper as frogs croak": "as" opens a clause
        return False
    return "ADV" in kinds and not kinds & {"NOUN", "VERB"} and (word.lower().endswith("ly") or "ADJ" not in kinds)


@lru_cache(maxsize=65536)
def verb_tag(word: str) -> str:
    """Penn tag of ``word`` as an inflected verb (VBZ, VBD, VBG, VBN), else ``""``; "speaks" -> VBZ."""
    word = word.lower().strip(",;:")
    if word in BE_TAGS or word in DETERMINERS:
        return ""
    lemmas = lemmas_of(word).get("VERB")
    if not lemmas:
        return ""
    forms = getAllInflections(lemmas[0], upos="VERB") or getAllInflectionsOOV(lemmas[0], "VERB")
    return next((tag for tag in ("VBG", "VBZ", "VBD", "VBN") if word in forms.get(tag, ())), "")


def lemma(word: str) -> str:
    """The verb lemma of ``word`` ("speaks" -> "speak"), or the word itself when it is no verb."""
    return lemmas_of(word).get("VERB", (word.lower().strip(",;:"),))[0]


def inflect(word: str, tag: str) -> str:
    """``word`` as a verb in form ``tag`` ("speak", VBG -> "speaking"); a trailing comma is kept."""
    bare = word.rstrip(",;:")
    if not tag or not bare:
        return word
    if verb_tag(bare) == tag:  # "whirs" keeps its spelling, not lemminflect's "whirrs"
        return word.lower()
    if tag in ("VBZ", "VBP", "VBD") and lemma(bare) == "be":
        return BE_FOR_TAG[tag] + word[len(bare) :]
    base = lemma(bare)
    if "VERB" not in lemmas_of(bare) and lemmas_of(bare).get("NOUN"):  # "dings": the lexicon has the noun only
        base = lemmas_of(bare)["NOUN"][0]
    forms = getInflection(base, tag=tag)
    if tag == "VBG" and base[-1:] in ("a", "o") and not getAllLemmas(base):
        forms = (base + "ing",)  # lemminflect guesses "baaaing" for an unlisted "baa"
    return forms[0] + word[len(bare) :] if forms else word
