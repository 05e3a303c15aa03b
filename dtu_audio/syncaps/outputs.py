"""What a SynCaps set is published with: manifests, reversed / replaced test sets, positives and negatives."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

from rich.table import Table

from dtu_audio.datasets.manifest import AudioEntry, Manifest, write_manifest
from dtu_audio.fileio import write_json
from dtu_audio.syncaps.captions import positives_and_negatives, replaced_caption, reversed_caption
from dtu_audio.syncaps.recipe import SPLITS, Recipe
from dtu_audio.syncaps.transforms import IDENTITY

POS_NEG_JSON = "audio_id_to_pos_neg_eg.json"


def split_manifest(recipe: Recipe, split: str, audio_dir: Path, caption_of=None) -> Manifest:
    """One split as a 1-caption manifest (``caption_of(clip)`` rewrites the captions)."""
    entries = tuple(
        AudioEntry(
            id=c.name,
            audio=str(audio_dir / c.name),
            captions=(caption_of(c) if caption_of else c.caption,),
            duration=recipe.duration,
        )
        for c in recipe.split(split)
    )
    return Manifest(1, entries)


def write_outputs(recipe: Recipe, out_dir: Path, audio_dir: Path) -> list[Path]:
    """Write train/val/test, test_reverse and test_replaced manifests and the positives/negatives JSON."""
    written = []
    for split in SPLITS:
        write_manifest(split_manifest(recipe, split, audio_dir), out_dir / f"{split}.json")
        written.append(out_dir / f"{split}.json")
    variants = {
        "test_reverse.json": lambda c: reversed_caption(c.caption, c.connective),
        "test_replaced.json": lambda c: replaced_caption(c.caption, c.connective),
    }
    for filename, caption_of in variants.items():
        write_manifest(split_manifest(recipe, "test", audio_dir, caption_of), out_dir / filename)
        written.append(out_dir / filename)
    pos_neg = {c.name: positives_and_negatives(c.caption, c.connective) for c in recipe.clips}
    write_json(out_dir / POS_NEG_JSON, pos_neg)
    written.append(out_dir / POS_NEG_JSON)
    return written


def summary_table(recipe: Recipe) -> Table:
    """Clips per split, connective, overlap and transform (each source clip's transform counts once)."""
    table = Table(title=f"SynCaps: {len(recipe.clips)} clips", show_lines=False)
    table.add_column("group")
    table.add_column("value")
    table.add_column("clips", justify="right")
    groups = {
        "split": Counter(c.split for c in recipe.clips),
        "connective": Counter(c.connective for c in recipe.clips),
        "overlap": Counter("overlapping" if c.overlap else "apart" for c in recipe.clips),
        "transform": Counter(t for c in recipe.clips for t in (c.file1_transform, c.file2_transform)),
    }
    for group, counts in groups.items():
        for k, (value, n) in enumerate(sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))):
            label = "none" if value == IDENTITY else value
            table.add_row(group if k == 0 else "", label, str(n), end_section=k == len(counts) - 1)
    return table
