"""``dtu rearrange-splits``: the paper's rebalanced and temporal split files from captions or manifests."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import typer
from rich.console import Console
from rich.table import Table

from dtu_audio.datasets.manifest import Manifest, load_manifest_or_csv
from dtu_audio.datasets.splits import DATASETS, SPLITS, SplitFiles, build_split, collect_files, write_split_files
from dtu_audio.datasets.temporal import CONNECTIVES
from dtu_audio.errors import DtuError
from dtu_audio.specs import REBALANCE_SEED


def _inputs_from_folder(folder: Path) -> dict[str, Path]:
    """``{split}.json`` or else ``{split}.csv`` for every split found in ``folder``."""
    if not folder.is_dir():
        raise DtuError(f"input folder {folder} does not exist")
    found = {}
    for split in SPLITS:
        for suffix in (".json", ".csv"):
            if (folder / f"{split}{suffix}").is_file():
                found[split] = folder / f"{split}{suffix}"
                break
    if not found:
        raise DtuError(f"no train/val/test .json or .csv in {folder}; name the files with --train/--val/--test")
    return found


def _ratio(counts: Counter) -> str:
    low = min(counts[c] for c in CONNECTIVES)
    return f"{max(counts[c] for c in CONNECTIVES) / low:.2f}" if low else "inf"


def _counts_table(built: list[SplitFiles]) -> Table:
    """Connective counts of every split, ``before -> after`` in one cell per split (fits 80 columns)."""
    table = Table()
    table.add_column("connective", no_wrap=True)
    for b in built:
        table.add_column(b.split, justify="right", no_wrap=True)
    for connective in CONNECTIVES:
        table.add_row(connective, *(f"{b.counts_before[connective]} -> {b.counts_after[connective]}" for b in built))
    table.add_row("max/min", *(f"{_ratio(b.counts_before)} -> {_ratio(b.counts_after)}" for b in built), style="bold")
    return table


def _detectability_table(manifests: dict[str, Manifest], seed: int) -> Table:
    from dtu_audio.datasets.temporal.baseline import ALTERATIONS, rewrite_detectability

    table = Table(title="Text-only detectability of the rewrites (grouped 5-fold pairwise accuracy; 0.50 is the goal)")
    table.add_column("split")
    for alteration in ALTERATIONS:
        table.add_column(alteration, justify="right")
    for split, manifest in manifests.items():
        groups = [e.id for e in manifest.entries for _ in e.captions]
        scores = rewrite_detectability(manifest.captions, groups, seed)
        cells = [
            "n/a" if s["accuracy"] is None else f"{s['accuracy']:.2f} ({s['pairs']} pairs)" for s in scores.values()
        ]
        table.add_row(split, *cells)
    return table


def rearrange_splits(
    out: Path = typer.Option(..., "--out", "-o", help="Folder for the output files."),
    train: Path | None = typer.Option(None, "--train", help="Train captions: manifest .json or caption .csv."),
    val: Path | None = typer.Option(None, "--val", help="Validation captions: manifest .json or caption .csv."),
    test: Path | None = typer.Option(None, "--test", help="Test captions: manifest .json or caption .csv."),
    from_dir: Path | None = typer.Option(
        None, "--from", help="Folder holding train/val/test .json or .csv; --train/--val/--test override it."
    ),
    dataset: str = typer.Option("audiocaps", "--dataset", help=f"One of {', '.join(DATASETS)} (names the files)."),
    audio_root: Path | None = typer.Option(None, "--audio-root", help="Audio folder written into CSV-built manifests."),
    seed: int = typer.Option(
        REBALANCE_SEED, "--seed", help="Seed of the rebalancing draw (dtu eval's eval.seed has the same default)."
    ),
    force: bool = typer.Option(False, "--force", help="Overwrite existing output files."),
    detectability: bool = typer.Option(
        False, "--detectability", help="Also measure how well a text-only classifier spots each split's rewrites."
    ),
) -> None:
    """Write the paper's rebalanced and temporal split files.

    The temporal files are the future_past subset and its reverse and replace variants.
    """
    inputs = {s: p for s, p in (("train", train), ("val", val), ("test", test)) if p is not None}
    if from_dir is not None:
        inputs = {**_inputs_from_folder(from_dir), **inputs}
    if not inputs:
        raise DtuError("no input: pass --train/--val/--test files or --from DIR")
    manifests: dict[str, Manifest] = {s: load_manifest_or_csv(p, audio_root) for s, p in inputs.items()}
    built = [build_split(split, manifest, dataset, seed) for split, manifest in manifests.items()]
    written = write_split_files(collect_files(built), out, force)
    console = Console()
    console.print("temporal connectives, before -> after rebalancing")
    console.print(_counts_table(built))
    for name, count in sorted((n, c) for b in built for n, c in b.left_out.items()):
        console.print(f"{name}: {count} captions with a connective could not be rewritten and are left out")
    console.print(f"wrote {len(written)} files to {out}")
    if detectability:
        console.print(_detectability_table(manifests, seed))
