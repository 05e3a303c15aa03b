"""Words that belong to their place in a caption, not to their event: what a reversal leaves in place.

A caption introduces a sound before it refers back to it: "A man speaks, then *the* man laughs",
"a man speaking followed by *another* man speaking", "a boat motor runs, then *it* fades", "...
and the dog barks *again*". Moving these words with their events gives a reversal that no
original would contain ("The man laughs, then a man speaks", "Another man speaks followed by a
man speaking"), which a text-only classifier spots at once. Here the events move and these words
stay where they were: the first mention of a sound keeps its introducing determiner, a pronoun
keeps its place behind the noun it stands for, "again" stays at the end, and a background
that closes the caption ("... as birds chirp in the background") stays at its end. A caption
whose events then read as they did ("a man speaks then another man speaks") says the same in
both orders, and its reversal is no negative.
"""

from __future__ import annotations

import re
from dataclasses import replace

from dtu_audio.datasets.temporal.chain import decapitalise
from dtu_audio.datasets.temporal.grammar import Clause, is_plural
from dtu_audio.datasets.temporal.lexicon import lemma, lemmas_of, verb_tag

PRONOUNS = frozenset({"it", "they", "he", "she"})
_IMPERSONAL_VERBS = frozenset({"rain", "thunder", "snow", "drizzle", "hail", "pour", "seem", "appear"})
"""Pronouns that stand for a sound named before them."""
_PEOPLE = frozenset({"man", "woman", "male", "female", "boy", "girl", "person", "child", "kid", "lady", "guy", "baby"})
_GENERIC = frozenset({"", "sound", "noise"})  # "a clicking sound ... a hissing sound": two sounds, not one
_REFERRING = ("the same", "the other", "the", "another", "more", "one", "a", "an", "some")
_DETERMINER_RE = re.compile(rf"^(?P<det>{'|'.join(_REFERRING)})\s+(?P<body>\S.*)$", re.IGNORECASE)
_HEAD_END_RE = re.compile(r"\s(?:of|with|from|in|on|at|and|while|as|near|by|who|which|that)\s|,")
_SCENE_RE = re.compile(
    r"(?:^|,\s*|\s+)(?:while|as|with)\s+(?:(?!\b(?:while|as|with)\b)[^,])*?"
    r"\b(?:in\s+the\s+(?:background|distance)|into\s+(?:a|the)\s+microphone)$",
    re.IGNORECASE,
)
_REPEAT_RE = re.compile(r"(?:^|,?\s+)(?:once\s+again|once\s+more|again|some\s+more|anew)$", re.IGNORECASE)


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


def _subject_of(group: list[Clause], subject: str) -> list[Clause]:
    return [replace(group[0], subject=subject), *group[1:]]


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
            agrees = before is not None and bool(before.verb) and (det == "they") == is_plural(before.subject)
            if agrees and det in ("he", "she"):
                agrees = _head(_mention(before.subject)[1]) in _PEOPLE
            keys.append(keys[-1] if agrees else "")
        else:
            descriptive = det == "the" and " of " in f" {body} "  # "the sound of an engine" introduces a sound
            keys.append("" if descriptive else _head(body))
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
            out[target] = _subject_of(out[target], subject + (repeat.group() if repeat else ""))
    return out


def _placed_repeat(groups: list[list[Clause]]) -> list[list[Clause]]:
    """ "again" (and its kin) that ends the caption moves to the event that will end it: the first.

    "Water drips, stops, then begins again" -> "Water begins, stops, then drips again"; in real
    captions "again" ends far more captions than it opens, whichever event it repeats.
    """
    last, first = groups[-1][-1], groups[0][0]
    repeat = _REPEAT_RE.search(_tail(last))
    if repeat is None or first is last or _REPEAT_RE.search(_tail(first)):
        return groups
    out = [list(group) for group in groups]
    out[-1][-1] = _with_tail(last, _tail(last)[: repeat.start()])
    out[0][0] = _with_tail(out[0][0], f"{_tail(out[0][0])} {repeat.group().strip(' ,')}".strip())
    return out


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


def keep_in_place(groups: list[list[Clause]]) -> list[list[Clause]]:
    """Groups of a caption in reading order, rewritten so that, once read in reverse order, each
    mention of a sound and each "again" stands where it stood: the first mention still introduces
    ("a"), the later ones refer back ("the", "another", "it"), and "again" ends the caption."""
    return _placed_subjects(_placed_repeat(groups))
