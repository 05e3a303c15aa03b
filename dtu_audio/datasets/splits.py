"""The paper's split files: original and rebalanced manifests, temporal test variants, positives/negatives.

Names follow the paper's code (see docs/data-formats.md). AudioCaps (tag ``audioset``, ``_5`` for
5 captions per audio): ``train_audioset_orig.json``, ``val_audioset_5_rearranged.json``,
``test_full.json``, ``test_audioset_5_future_past_reverse.json``,
``test_audioset_5_rearranged_future_past.json``, ... Clotho: ``val.json``, ``test.json``,
``test_future_past_reverse_5captions.json``, ... Both: ``audio_id_to_pos_neg_eg.json``.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path

from dtu_audio.datasets.manifest import Manifest, manifest_to_json
from dtu_audio.datasets.temporal import (
    contradictions,
    count_connectives,
    has_temporal_cue,
    paraphrases,
    rebalance,
    replace,
    reverse,
)
from dtu_audio.errors import DtuError
from dtu_audio.fileio import remove_stale_temporaries, write_json

SPLITS = ("train", "val", "test")
DATASETS = ("audiocaps", "clotho")
POS_NEG_FILE = "audio_id_to_pos_neg_eg.json"
"""Positives and negatives of every split written together, keyed by audio id."""
TEMPORAL_VARIANTS = {"": None, "_reverse": reverse, "_replace": replace}
"""Suffix of each temporal test file -> how its captions are rewritten."""


def split_file_name(dataset: str, split: str, captions_per_audio: int, version: str, variant: str | None = None) -> str:
    """The paper's file name for one version of a split.

    ``version`` is ``orig`` or ``rearranged``; ``variant`` (test split only) is ``None`` for the
    whole split or one of the keys of :data:`TEMPORAL_VARIANTS` for its temporal subset.
    """
    if dataset not in DATASETS:
        raise DtuError(f"unknown dataset {dataset!r}; expected one of {', '.join(DATASETS)}")
    rearranged = "_rearranged" if version == "rearranged" else ""
    if dataset == "clotho":
        if variant is None:
            return f"{split}{rearranged}.json"
        return f"{split}{rearranged}_future_past{variant}_{captions_per_audio}captions.json"
    stem = f"{split}_audioset" + (f"_{captions_per_audio}" if captions_per_audio > 1 else "")
    if variant is None:
        return "test_full.json" if split == "test" and not rearranged else f"{stem}_{version}.json"
    return f"{stem}{rearranged}_future_past{variant}.json"


@dataclass(frozen=True)
class SplitFiles:
    """Everything built for one split: file name -> JSON object, positives/negatives, connective counts.

    ``left_out`` counts, per variant file, the captions with a cue that could not be rewritten.
    """

    split: str
    files: dict[str, object]
    pos_neg: dict[str, dict[str, list[str]]]
    counts_before: Counter
    counts_after: Counter
    left_out: dict[str, int]


def future_past(manifest: Manifest) -> Manifest:
    """The audios with at least one caption holding a temporal connective."""
    return manifest.subset(i for i, e in enumerate(manifest.entries) if any(map(has_temporal_cue, e.captions)))


def rewrite_captions(manifest: Manifest, rewrite: Callable[[str], str | None] | None) -> tuple[Manifest, int]:
    """``manifest`` with each caption rewritten, and how many captions with a cue could not be.

    A caption that cannot be rewritten keeps its text, so the variant lists the same clips with
    as many captions; an evaluation skips such a pair instead of counting a tie.
    """
    if rewrite is None:
        return manifest, 0
    rewritten = [rewrite(c) for c in manifest.captions]
    left_out = sum(new is None and has_temporal_cue(c) for c, new in zip(manifest.captions, rewritten, strict=True))
    kept = (c if new is None else new for c, new in zip(manifest.captions, rewritten, strict=True))
    return manifest.with_captions(kept), left_out


def positives_negatives(manifest: Manifest) -> dict[str, dict[str, list[str]]]:
    """Per audio id, the paraphrases (``positive``) and contradictions (``negative``) of its captions.

    Same shape as the paper's ``audio_id_to_pos_neg_eg.json``; audios whose captions hold no
    connective are left out.
    """
    out: dict[str, dict[str, list[str]]] = {}
    for entry in manifest.entries:
        positive = [p for c in entry.captions for p in paraphrases(c)]
        negative = [n for c in entry.captions for n in contradictions(c)]
        if positive:
            out[entry.id] = {"positive": positive, "negative": negative}
    return out


def build_split(split: str, manifest: Manifest, dataset: str, seed: int) -> SplitFiles:
    """The original and rebalanced files of one split, with the temporal variants for ``test``."""
    if split not in SPLITS:
        raise DtuError(f"unknown split {split!r}; expected one of {', '.join(SPLITS)}")
    n = manifest.captions_per_audio
    versions = {"orig": manifest, "rearranged": manifest.with_captions(rebalance(manifest.captions, seed))}
    files: dict[str, object] = {}
    left_out: dict[str, int] = {}
    for version, captions in versions.items():
        files[split_file_name(dataset, split, n, version)] = manifest_to_json(captions)
        if split == "test":
            temporal = future_past(captions)
            for variant, rewrite in TEMPORAL_VARIANTS.items():
                name = split_file_name(dataset, split, n, version, variant)
                rewritten, left_out[name] = rewrite_captions(temporal, rewrite)
                files[name] = manifest_to_json(rewritten)
    return SplitFiles(
        split,
        files,
        positives_negatives(manifest),
        count_connectives(manifest.captions),
        count_connectives(versions["rearranged"].captions),
        {name: count for name, count in left_out.items() if count},
    )


def collect_files(built: list[SplitFiles]) -> dict[str, object]:
    """Every file of every split, plus the positives/negatives of all splits in one file."""
    files: dict[str, object] = {name: obj for b in built for name, obj in b.files.items()}
    files[POS_NEG_FILE] = {audio_id: examples for b in built for audio_id, examples in b.pos_neg.items()}
    return files


def write_split_files(files: Mapping[str, object], out_dir: str | Path, force: bool = False) -> list[Path]:
    """Write the files under ``out_dir`` atomically; refuse to overwrite any unless ``force``.

    Temporary files that a killed earlier run left in ``out_dir`` are removed first.
    """
    out_dir = Path(out_dir)
    if out_dir.exists() and not out_dir.is_dir():
        raise DtuError(f"output folder {out_dir} is a file; pass a folder to --out")
    if out_dir.is_dir():
        remove_stale_temporaries(out_dir)  # what a killed earlier run left
    targets = {out_dir / name: obj for name, obj in files.items()}
    existing = [p.name for p in targets if p.exists()]
    if existing and not force:
        first = ", ".join(existing[:3]) + (", ..." if len(existing) > 3 else "")
        raise DtuError(f"{len(existing)} output files already exist in {out_dir} ({first}); pass --force to overwrite")
    for path, obj in targets.items():
        write_json(path, obj)
    return list(targets)
