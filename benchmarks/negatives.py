"""How well a text-only classifier spots temporal negatives, and how fast captions are rewritten.

For each caption set of the paper's reference data (AudioCaps test and val, Clotho val, SynCaps)
it prints how many captions have the paper's cue word, how many of those order two events, parsed
or not (the others say "one after another" and the like), and how many of those read the same
reversed; then, for ``reverse``, the paper's ``replace`` and the matched replace: of the captions
that order events, how many could not be rewritten, how many came back unchanged (ties), and the
grouped 5-fold pairwise accuracy of the text-only baseline (0.50: the text gives nothing away),
the mean over four draws of the folds with its range; for the matched replace, whose connectives
are dealt out at random, over twelve draws of the negatives (one draw moves it by about 2 points). For
``reverse`` and the matched replace it also prints the same on "bare" captions (lemmas only,
without articles and "is"/"occurs"), which no grammar can give away: what the order of the sounds
alone tells, the floor under any rewrite that states the other order.
The paper's own rewrites are scored the same way where its files hold them. Last, the time to
reverse and replace 50,000 captions on one core.

    python benchmarks/negatives.py [--data ../shared/reference-data] [--captions 50000]
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import re
import time
from pathlib import Path

from dtu_audio.datasets import temporal
from dtu_audio.datasets.temporal.baseline import ALTERATIONS, alteration_pairs, detectability
from dtu_audio.datasets.temporal.chain import orders_events
from dtu_audio.datasets.temporal.lexicon import lemma

_DEFAULT_DATA = Path(os.environ.get("DTU_SHARED", Path(__file__).resolve().parents[2] / "shared")) / "reference-data"


def _csv(path: Path) -> tuple[list[str], list[str]]:
    with open(path, newline="", encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    pairs = [(row["file_name"], row[k]) for row in rows for k in sorted(row) if k.startswith("caption")]
    return [c for _, c in pairs], [g for g, _ in pairs]


def _manifest(path: Path) -> tuple[list[str], list[str]]:
    data = json.loads(path.read_text(encoding="utf-8"))
    keys = ["caption"] if data["num_captions_per_audio"] == 1 else [f"caption_{k}" for k in range(1, 6)]
    pairs = [(row["id"], row[k]) for row in data["data"] for k in keys]
    return [c for _, c in pairs], [g for g, _ in pairs]


REPEATS = 4
"""Times the 5 folds are drawn; the accuracy printed is the mean, with the range beside it."""
MATCHED_DRAWS = 12
"""Draws of the matched replace's negatives: one moves its figure by about 2 points (sd 0.02 on
Clotho val), so twelve bring the mean's error near half a point."""


def _score(score: dict) -> str:
    return f"{score['accuracy']:.3f} ({score['low']:.3f}-{score['high']:.3f}; {score['pairs']} pairs)"


_FUNCTION = {"a", "an", "the", "is", "are", "was", "were", "occurs", "occur"}


def _bare(captions: list[str]) -> list[str]:
    """Captions as their words' lemmas, without articles and "is"/"occurs": what the order of the
    sounds alone gives away, whatever the grammar of a rewrite."""
    return [" ".join(lemma(w) for w in re.findall(r"[a-z']+", c.lower()) if w not in _FUNCTION) for c in captions]


def _ours(name: str, captions: list[str], groups: list[str]) -> None:
    cued = [c for c in captions if temporal.has_temporal_cue(c)]
    ordered = [c for c in cued if orders_events(c)]
    symmetric = sum(temporal.reads_the_same_reversed(c) for c in ordered)
    print(
        f"{name:16s} {len(cued)} captions with the paper's cue word, {len(ordered)} of them order two events; "
        f"{symmetric} of those read the same reversed"
    )
    for alteration in ALTERATIONS:
        draws = range(MATCHED_DRAWS) if alteration == "replace_matched" else range(1)
        if alteration == "replace_matched":
            balanced = temporal.balance_directions(captions)
            rewrites = [(a, b) for a, b in zip(balanced, temporal.replace_matched(balanced), strict=True)]
            rewrites = [(a, b) for a, b in rewrites if orders_events(a)]
        else:
            rewrite = getattr(temporal, alteration)
            rewrites = [(c, rewrite(c)) for c in ordered]
        left_out = sum(b is None for _, b in rewrites)
        ties = sum(a == b for a, b in rewrites)
        score, bare = _drawn(captions, groups, alteration, draws)
        print(
            f"{name:16s} {alteration:16s} ordered {len(rewrites):5d}  not rewritable {left_out:3d} "
            f"({100 * left_out / max(1, len(rewrites)):.1f}%)  ties {ties}  text-only {_score(score)}"
        )
        if alteration != "replace":
            label = f"{alteration}, bare"
            print(f"{name:16s} {label:22s} (lemmas only, no articles or is/are/occurs)  {_score(bare)}")


def _drawn(captions: list[str], groups: list[str], alteration: str, seeds: range) -> tuple[dict, dict | None]:
    """The baseline's accuracy over negatives drawn with each of ``seeds`` (one draw of the folds each,
    REPEATS for a single seed), on the captions and on their bare forms (``None`` for the paper's
    ``replace``): mean, range and pair count."""
    repeats = max(1, REPEATS // len(seeds))
    scores, bares = [], []
    for seed in seeds:
        originals, altered, index = alteration_pairs(captions, alteration, seed)
        clips = [groups[i] for i in index]
        scores.append(detectability(originals, altered, clips, repeats=repeats))
        if alteration != "replace":
            bares.append(detectability(_bare(originals), _bare(altered), clips, repeats=repeats))
    return _mean(scores), _mean(bares) if bares else None


def _mean(scores: list[dict]) -> dict:
    accuracy = sum(s["accuracy"] for s in scores) / len(scores)
    low, high = min(s["low"] for s in scores), max(s["high"] for s in scores)
    return {"accuracy": accuracy, "low": low, "high": high, "pairs": scores[0]["pairs"]}


def _papers(name: str, originals: list[str], rewritten: list[str], groups: list[str]) -> None:
    kept = [(a, b, g) for a, b, g in zip(originals, rewritten, groups, strict=True) if a != b]
    ties = sum(a == b and temporal.has_temporal_cue(a) for a, b in zip(originals, rewritten, strict=True))
    score = detectability([a for a, _, _ in kept], [b for _, b, _ in kept], [g for _, _, g in kept], repeats=REPEATS)
    print(f"{name:33s} paper's file: ties {ties:3d}  text-only {_score(score)}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=_DEFAULT_DATA)
    parser.add_argument("--captions", type=int, default=50000)
    args = parser.parse_args()
    audiocaps, clotho, syncaps = args.data / "audiocaps", args.data / "clotho", args.data / "syncaps"

    for name, path in (("AudioCaps test", audiocaps / "test.csv"), ("AudioCaps val", audiocaps / "val.csv")):
        _ours(name, *_csv(path))
    _ours("Clotho val", *_csv(clotho / "val.csv"))
    syncaps_captions, syncaps_groups = [], []
    for split in ("train.json", "val.json", "test.json"):
        captions, groups = _manifest(syncaps / split)
        syncaps_captions += captions
        syncaps_groups += groups
    _ours("SynCaps", syncaps_captions, syncaps_groups)

    originals, groups = _manifest(audiocaps / "test_audioset_5_future_past.json")
    for alteration in ("reverse", "replace"):
        rewritten, _ = _manifest(audiocaps / f"test_audioset_5_future_past_{alteration}.json")
        _papers(f"AudioCaps test {alteration}", originals, rewritten, groups)
    pos_neg = json.loads((syncaps / "audio_id_to_pos_neg_eg.json").read_text(encoding="utf-8"))
    positives = [p for item in pos_neg.values() for p in item["positive"]]
    negatives = [n for item in pos_neg.values() for n in item["negative"]]
    clips = [clip for clip, item in pos_neg.items() for _ in item["positive"]]
    _papers("SynCaps reverse (pos/neg JSON)", positives, negatives, clips)

    pool = (_csv(audiocaps / "test.csv")[0] + _csv(clotho / "val.csv")[0]) * (1 + args.captions // 12480)
    pool = pool[: args.captions]
    start = time.perf_counter()
    for caption in pool:
        temporal.reverse(caption)
        temporal.replace(caption)
    seconds = time.perf_counter() - start
    print(f"reverse + replace of {len(pool)} captions on one core: {seconds:.1f} s")


if __name__ == "__main__":
    main()
