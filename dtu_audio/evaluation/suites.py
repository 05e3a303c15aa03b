"""The paper's test suites: which sets each dataset has, read from files or derived from the base test set.

``--suite standard`` is the test set, ``temporal`` the temporal subset with its reversed and
replaced variants (and the set they alter), ``all`` adds, on AudioCaps, the rebalanced test set
with its own temporal subset and variants.

A set is read from the first of its file names found under the data root; when none exists it is
derived from its parent with the temporal caption toolkit: the temporal subset keeps the clips with
at least one caption holding a connective, ``reverse`` swaps the two events around the connective,
``replace`` swaps the connective for its opposite, ``rebalance`` rebalances the connectives.
Not in the paper: ``future_past_matched`` restates the temporal subset so that half its captions
name the first event first, and ``future_past_matched_replace`` replaces their connectives so that
each connective is as common among the negatives as among those originals (no connective prior).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from dtu_audio.datasets import temporal
from dtu_audio.datasets.manifest import Manifest, load_manifest_or_csv
from dtu_audio.datasets.splits import rewrite_captions
from dtu_audio.errors import DtuError

SuiteName = Literal["standard", "temporal", "all"]
SetKind = Literal["standard", "temporal", "rebalanced"]
Derivation = Literal["temporal_subset", "reverse", "replace", "rebalance", "balance_directions", "replace_matched"]
Alteration = Literal["reverse", "replace", "replace_matched"]
ALTERATIONS = ("reverse", "replace", "replace_matched")
DATASETS = ("audiocaps", "clotho", "syncaps")


@dataclass(frozen=True)
class SetRecipe:
    """How to find or make one test set."""

    name: str
    files: tuple[str, ...]
    kind: SetKind
    parent: str | None = None
    derivation: Derivation | None = None


@dataclass(frozen=True)
class TestSet:
    """A test set ready to evaluate."""

    name: str
    manifest: Manifest
    kind: SetKind
    source: str
    variant_of: str | None = None
    alteration: Alteration | None = None


def _temporal_family(
    prefix: str, parent: str, files: dict[str, tuple[str, ...]], kind: SetKind = "temporal", matched: bool = True
) -> list[SetRecipe]:
    subset = f"{prefix}future_past"
    family = [
        SetRecipe(subset, files["subset"], kind, parent, "temporal_subset"),
        SetRecipe(f"{subset}_reverse", files["reverse"], kind, subset, "reverse"),
        SetRecipe(f"{subset}_replace", files["replace"], kind, subset, "replace"),
    ]
    if matched:  # not in the paper: a replaced set without the connective prior, and the originals it alters
        family += [
            SetRecipe(f"{subset}_matched", (), kind, subset, "balance_directions"),
            SetRecipe(f"{subset}_matched_replace", (), kind, f"{subset}_matched", "replace_matched"),
        ]
    return family


RECIPES: dict[str, list[SetRecipe]] = {
    "audiocaps": [
        SetRecipe("test", ("test_full.json", "test.json", "test.csv"), "standard"),
        *_temporal_family(
            "",
            "test",
            {
                "subset": ("test_audioset_5_future_past.json",),
                "reverse": ("test_audioset_5_future_past_reverse.json",),
                "replace": ("test_audioset_5_future_past_replace.json",),
            },
        ),
        SetRecipe("rearranged", ("test_audioset_5_rearranged.json",), "rebalanced", "test", "rebalance"),
        *_temporal_family(
            "rearranged_",
            "rearranged",
            {
                "subset": ("test_audioset_5_rearranged_future_past.json",),
                "reverse": ("test_audioset_5_rearranged_future_past_reverse.json",),
                "replace": ("test_audioset_5_rearranged_future_past_replace.json",),
            },
            kind="rebalanced",
            matched=False,
        ),
    ],
    "clotho": [
        SetRecipe("test", ("test.json", "evaluation.json", "clotho_captions_evaluation.csv"), "standard"),
        *_temporal_family(
            "",
            "test",
            {
                "subset": ("test_future_past_5captions.json",),
                "reverse": ("test_future_past_reverse_5captions.json",),
                "replace": ("test_future_past_replace_5captions.json",),
            },
        ),
    ],
    "syncaps": [
        SetRecipe("test", ("test.json",), "standard"),
        SetRecipe("test_reverse", ("test_reverse.json",), "temporal", "test", "reverse"),
        SetRecipe("test_replaced", ("test_replaced.json",), "temporal", "test", "replace"),
    ],
}


def custom_recipes(manifest_path: Path) -> list[SetRecipe]:
    """A user's own test manifest (an absolute path), its temporal subset and that subset's two variants."""
    derived_only = {"subset": (), "reverse": (), "replace": ()}
    return [SetRecipe("test", (str(manifest_path),), "standard"), *_temporal_family("", "test", derived_only)]


def _select(recipes: list[SetRecipe], suite: SuiteName) -> list[SetRecipe]:
    by_name = {r.name: r for r in recipes}
    wanted = {r.name for r in recipes if suite == "all" or r.kind == suite}
    for recipe in recipes:  # a variant needs the set it alters, for order accuracy and metric changes
        if recipe.name in wanted and recipe.derivation in ALTERATIONS:
            wanted.add(by_name[recipe.parent].name)
    return [r for r in recipes if r.name in wanted]


def _derive(recipe: SetRecipe, parent: Manifest, seed: int) -> Manifest:
    if recipe.derivation == "temporal_subset":
        keep = [i for i, e in enumerate(parent.entries) if any(map(temporal.has_temporal_cue, e.captions))]
        return parent.subset(keep)
    if recipe.derivation in ("reverse", "replace"):
        rewrite = temporal.reverse if recipe.derivation == "reverse" else temporal.replace
        return rewrite_captions(parent, rewrite)[0]
    if recipe.derivation == "balance_directions":
        return parent.with_captions(temporal.balance_directions(parent.captions, seed=seed))
    if recipe.derivation == "replace_matched":
        negatives = temporal.replace_matched(parent.captions, seed=seed)
        return parent.with_captions(c if n is None else n for c, n in zip(parent.captions, negatives, strict=True))
    return parent.with_captions(temporal.rebalance(parent.captions, seed=seed))


def build_suite(recipes: list[SetRecipe], data_root: Path, suite: SuiteName, seed: int = 0) -> list[TestSet]:
    """The selected sets of ``recipes``, read from ``data_root`` or derived from their parents.

    A set needed to derive another is loaded even when it is not itself selected; only selected
    sets (and the sets their variants alter) are returned.
    """
    by_name = {r.name: r for r in recipes}
    selected = _select(recipes, suite)
    loaded: dict[str, TestSet] = {}

    def load(recipe: SetRecipe) -> TestSet:
        if recipe.name in loaded:
            return loaded[recipe.name]
        found = next((data_root / f for f in recipe.files if (data_root / f).is_file()), None)
        if found is not None:
            manifest, source = load_manifest_or_csv(found), str(found)
        elif recipe.parent is None:
            names = " or ".join(recipe.files)
            raise DtuError(f"no {recipe.name} set under {data_root}: expected {names} (pass --data-root DIR)")
        else:
            parent = load(by_name[recipe.parent])
            manifest, source = _derive(recipe, parent.manifest, seed), f"{recipe.derivation} of {parent.name}"
        if len(manifest) == 0:
            raise DtuError(f"test set {recipe.name} ({source}) has no clips")
        if repeated := manifest.repeated_clips():
            clip, times = next(iter(repeated.items()))
            raise DtuError(
                f"test set {recipe.name} ({source}) lists {clip} {times} times ({len(repeated)} clips repeated); "
                "a clip must appear once in a test set, or recalls count it twice: remove the repeats"
            )
        altered = recipe.derivation in ALTERATIONS
        loaded[recipe.name] = TestSet(
            recipe.name,
            manifest,
            recipe.kind,
            source,
            variant_of=recipe.parent if altered else None,
            alteration=recipe.derivation if altered else None,
        )
        return loaded[recipe.name]

    return [load(recipe) for recipe in selected]
