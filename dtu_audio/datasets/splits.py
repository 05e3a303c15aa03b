"""The paper's per-split files: original and rebalanced manifests, temporal test variants, positives/negatives.

For a split of ``n`` captions per audio the files are named like the paper's:
``{split}_{tag}[_5]_orig.json``, ``..._rearranged.json``, ``..._pos_neg.json`` and, for the test
split, ``..._future_past.json`` (audios with at least one caption holding a connective) with its
``_reverse`` and ``_replace`` versions. ``tag`` is ``audioset`` for AudioCaps, ``clotho`` for Clotho.
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
from dtu_audio.fileio import write_json

SPLITS = ("train", "val", "test")
DATASET_TAGS = {"audiocaps": "audioset", "clotho": "clotho"}
"""Dataset name -> the tag the paper's file names use."""


@dataclass(frozen=True)
class SplitFiles:
    """Everything built for one split: file name -> JSON object, and connective counts."""

    split: str
    files: dict[str, object]
    counts_before: Counter
    counts_after: Counter


def output_stem(split: str, dataset: str, captions_per_audio: int) -> str:
    """The paper's file-name stem, e.g. ``val_audioset_5`` or ``train_audioset``."""
    if dataset not in DATASET_TAGS:
        raise DtuError(f"unknown dataset {dataset!r}; expected one of {', '.join(DATASET_TAGS)}")
    suffix = f"_{captions_per_audio}" if captions_per_audio > 1 else ""
    return f"{split}_{DATASET_TAGS[dataset]}{suffix}"


def future_past(manifest: Manifest) -> Manifest:
    """The audios with at least one caption holding a temporal connective."""
    return manifest.subset(i for i, e in enumerate(manifest.entries) if any(map(has_temporal_cue, e.captions)))


def _map_captions(manifest: Manifest, rewrite: Callable[[str], str]) -> Manifest:
    return manifest.with_captions(rewrite(c) for c in manifest.captions)


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
    """All of the paper's files for one split, in memory."""
    if split not in SPLITS:
        raise DtuError(f"unknown split {split!r}; expected one of {', '.join(SPLITS)}")
    stem = output_stem(split, dataset, manifest.captions_per_audio)
    rearranged = manifest.with_captions(rebalance(manifest.captions, seed))
    files: dict[str, object] = {
        f"{stem}_orig.json": manifest_to_json(manifest),
        f"{stem}_rearranged.json": manifest_to_json(rearranged),
        f"{stem}_pos_neg.json": positives_negatives(manifest),
    }
    if split == "test":
        temporal = future_past(manifest)
        files[f"{stem}_future_past.json"] = manifest_to_json(temporal)
        files[f"{stem}_future_past_reverse.json"] = manifest_to_json(_map_captions(temporal, reverse))
        files[f"{stem}_future_past_replace.json"] = manifest_to_json(_map_captions(temporal, replace))
    return SplitFiles(split, files, count_connectives(manifest.captions), count_connectives(rearranged.captions))


def write_split_files(built: list[SplitFiles], out_dir: str | Path, force: bool = False) -> list[Path]:
    """Write every built file under ``out_dir`` atomically; refuse to overwrite unless ``force``."""
    out_dir = Path(out_dir)
    if out_dir.exists() and not out_dir.is_dir():
        raise DtuError(f"output folder {out_dir} is a file; pass a folder to --out")
    targets: Mapping[Path, object] = {out_dir / name: obj for b in built for name, obj in b.files.items()}
    existing = [p.name for p in targets if p.exists()]
    if existing and not force:
        first = ", ".join(existing[:3]) + (", ..." if len(existing) > 3 else "")
        raise DtuError(f"{len(existing)} output files already exist in {out_dir} ({first}); pass --force to overwrite")
    for path, obj in targets.items():
        write_json(path, obj)
    return list(targets)
