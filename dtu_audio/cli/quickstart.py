"""``dtu quickstart``: the whole job, offline, on built-in synthesized data."""

from __future__ import annotations

import shutil
from pathlib import Path

import typer
from rich.console import Console

from dtu_audio.errors import DtuError
from dtu_audio.runtime import THREADS_HELP, configure
from dtu_audio.specs import RuntimeSpec


def quickstart(
    out: Path = typer.Option(Path("dtu-quickstart"), "--out", help="Folder for the data, runs and results."),
    clips: int = typer.Option(800, "--clips", help="Clips in the synthesized set (train/val/test 70/10/20)."),
    epochs: int | None = typer.Option(None, "--epochs", help="Training epochs (default: the quickstart preset's)."),
    seed: int = typer.Option(0, "--seed", help="Seed of the data and of training."),
    workers: int = typer.Option(2, "--workers", help="Processes rendering the audio."),
    force: bool = typer.Option(False, "--force", help="Start again: delete OUT first."),
    threads: int | None = typer.Option(None, "--threads", min=1, help=THREADS_HELP),
) -> None:
    """Compare lambda 0 and 10 on synthesized data, offline.

    Trains with and without the temporal loss, evaluates both models and prints one table.
    """
    if clips < 50:
        raise DtuError("--clips must be at least 50 (each split needs a few batches)")
    if force and out.exists():
        if not (out / "results.json").exists() and not (out / "syncaps").exists():
            raise DtuError(f"{out} does not look like a quickstart folder; not deleting it")
        shutil.rmtree(out)
    from dtu_audio.quickstart import print_comparison, run_quickstart  # torch: after the input checks

    console = Console(log_path=False)
    console.print(configure(RuntimeSpec(threads=threads)), soft_wrap=True)
    results = run_quickstart(out, clips, epochs, seed, workers, console)
    console.rule("lambda 0 (plain contrastive) vs lambda 10 (with the temporal loss)")
    print_comparison(results, out, console)
