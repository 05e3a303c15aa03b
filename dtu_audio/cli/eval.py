"""``dtu eval``: the paper's test protocol, temporal diagnostics, and checkpoint comparison."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Literal

import typer
from rich.console import Console

from dtu_audio.errors import DtuError
from dtu_audio.evaluation.pipeline import evaluate_checkpoint, prepare_suite, resolve_device
from dtu_audio.evaluation.report import changes_table, compare_table, plot_results, results_table
from dtu_audio.fileio import write_json
from dtu_audio.runtime import THREADS_HELP, configure
from dtu_audio.specs import load_spec, preset_names, save_spec


def _slug(checkpoint: str) -> str:
    """A folder-name part for a checkpoint: ``runs/l10/best.pt`` -> ``l10-best``, ``wavcaps-pt`` as it is."""
    path = Path(checkpoint)
    name = f"{path.parent.name}-{path.stem}" if path.suffix and path.parent.name else path.stem or checkpoint
    return re.sub(r"[^A-Za-z0-9_.-]+", "-", name).strip("-")


def eval_command(
    ckpt: str | None = typer.Option(None, "--ckpt", help="Checkpoint file or weight-cache name (e.g. wavcaps-pt)."),
    dataset: str = typer.Option(..., "--dataset", help="audiocaps, clotho, syncaps, or a test manifest file."),
    data_root: Path | None = typer.Option(None, "--data-root", help="Folder with the test manifests and audio."),
    suite: Literal["standard", "temporal", "all"] | None = typer.Option(
        None, "--suite", help="standard (the test set), temporal (temporal subsets and variants) or all."
    ),
    compare: tuple[str, str] | None = typer.Option(
        None, "--compare", help="Evaluate two checkpoints and show them side by side.", metavar="CKPT_A CKPT_B"
    ),
    plot: bool = typer.Option(False, "--plot", help="Also draw plot.png comparing the sets and variants."),
    out: Path | None = typer.Option(None, "--out", help="Output folder (default: <train.output_dir>/eval-...)."),
    spec_name: str | None = typer.Option(None, "--spec", help="Preset or YAML spec (default: the dataset's preset)."),
    set_: list[str] = typer.Option([], "--set", help="Override a spec field: section.field=value (repeatable)."),
    no_cache: bool = typer.Option(False, "--no-cache", help="Do not read or write the on-disk embedding cache."),
    device: str | None = typer.Option(None, "--device", help="auto, cpu, cuda or cuda:N (default: train.device)."),
    threads: int | None = typer.Option(None, "--threads", min=1, help=THREADS_HELP),
) -> None:
    """Evaluate a checkpoint on a dataset's test suite (text-to-audio and audio-to-text retrieval)."""
    if (ckpt is None) == (compare is None):
        raise DtuError("pass either --ckpt CKPT or --compare CKPT_A CKPT_B")
    checkpoints = [ckpt] if ckpt is not None else list(compare)
    preset = spec_name or (dataset if dataset in preset_names() else "audiocaps")
    overrides = [
        *set_,
        *([f"eval.suite={suite}"] if suite else []),
        *(["eval.embedding_cache=false"] if no_cache else []),
        *([f"runtime.threads={threads}"] if threads else []),
    ]
    spec = load_spec(preset, overrides)
    prepared = prepare_suite(dataset, spec, data_root)
    run_device = resolve_device(device or spec.train.device)

    console = Console()
    console.print(configure(spec.runtime))
    results = []
    for checkpoint in checkpoints:
        with console.status(f"evaluating {checkpoint} on {prepared.dataset} ({len(prepared.test_sets)} sets)"):
            results.append(evaluate_checkpoint(checkpoint, prepared, spec, run_device))

    label = "-vs-".join(_slug(c) for c in checkpoints)
    folder = out or Path(spec.train.output_dir) / f"eval-{_slug(prepared.dataset)}-{label}"
    write_json(folder / "results.json", results[0] if len(results) == 1 else {"runs": results})
    save_spec(spec, folder / "spec.yaml")
    for result in results:
        console.print(results_table(result))
        changes = changes_table(result)
        if changes is not None:
            console.print(changes)
    if len(results) == 2:
        console.print(compare_table(*results))
    if plot:
        plot_results(results, folder / "plot.png")
    for result in results:
        done, reused = result["embeddings"]["computed"], result["embeddings"]["reused"]
        console.print(
            f"{result['checkpoint']['name']}: audio embedded {done['audio']}, reused {reused['audio']}; "
            f"captions embedded {done['text']}, reused {reused['text']}; {result['timing']['total_s']:.1f} s"
        )
    console.print(f"results written to {folder}")
