"""``dtu eval``: the paper's test protocol and temporal diagnostics for any model, alone or compared."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Literal

import typer
from rich.console import Console

from dtu_audio.embedders.loading import NAME_SCHEME
from dtu_audio.errors import DtuError
from dtu_audio.evaluation.prepare import prepare_suite
from dtu_audio.evaluation.render import results_csv, results_json, to_markdown, to_rich
from dtu_audio.evaluation.tables import (
    breakdown_table,
    changes_table,
    comparison_table,
    difference_table,
    legend,
    order_table,
    retrieval_table,
)
from dtu_audio.fileio import write_json
from dtu_audio.progress import status
from dtu_audio.runtime import THREADS_HELP, configure
from dtu_audio.specs import load_spec, preset_names, save_spec

OutputFormat = Literal["table", "md", "json", "csv"]


def _slug(reference: str) -> str:
    """A folder-name part for a model: ``runs/l10/best.pt`` -> ``l10-best``, ``hf:laion/clap`` -> ``clap``."""
    path = Path(reference.removeprefix("hf:"))
    name = f"{path.parent.name}-{path.stem}" if path.suffix and path.parent.name else path.name or reference
    return re.sub(r"[^A-Za-z0-9_.-]+", "-", name).strip("-")


def _tables(results: list[dict]) -> list:
    if len(results) == 1:
        found = [retrieval_table(results[0]), order_table(results[0]), changes_table(results[0])]
    else:
        found = [comparison_table(results), difference_table(results)]
    return [t for t in (*found, breakdown_table(results)) if t is not None]


def _show(results: list[dict], output: OutputFormat, console: Console) -> None:
    if output == "json":
        console.out(results_json(results), highlight=False)
    elif output == "csv":
        console.out(results_csv(results), end="", highlight=False)
    else:
        lines = legend(results) if len(results) > 1 else []
        if output == "md":
            console.out("\n".join([*lines, "", *(to_markdown(t) for t in _tables(results))]).lstrip(), highlight=False)
        else:
            for line in lines:
                console.print(line, highlight=False, soft_wrap=True)
            for table in _tables(results):
                console.print(to_rich(table))
                console.print()


def eval_command(
    models: list[str] = typer.Argument(None, help="With --compare: two or more models.", show_default=False),
    ckpt: str | None = typer.Option(None, "--ckpt", help=f"The model: {NAME_SCHEME}."),
    compare: bool = typer.Option(False, "--compare", help="Evaluate every MODEL and compare them (one table)."),
    dataset: str = typer.Option(..., "--dataset", help="audiocaps, clotho, syncaps, or a test manifest file."),
    data_root: Path | None = typer.Option(None, "--data-root", help="Folder with the test manifests and audio."),
    suite: Literal["standard", "temporal", "all"] | None = typer.Option(
        None, "--suite", help="standard (the test set), temporal (temporal subsets and variants) or all."
    ),
    output: OutputFormat = typer.Option(
        "table", "--format", help="table (fits 80 columns), md (Markdown), json or csv (every number) on stdout."
    ),
    plot: bool = typer.Option(False, "--plot", help="Also draw plot.png comparing the sets and variants."),
    out: Path | None = typer.Option(None, "--out", help="Output folder (default: <eval.output_dir>/eval-...)."),
    spec_name: str | None = typer.Option(None, "--spec", help="Preset or YAML spec (default: the dataset's preset)."),
    set_: list[str] = typer.Option(
        [], "--set", help="Override a spec field (repeatable).", metavar="SECTION.FIELD=VALUE"
    ),
    no_cache: bool = typer.Option(False, "--no-cache", help="Do not read or write the on-disk embedding cache."),
    device: str | None = typer.Option(None, "--device", help="auto, cpu, cuda or cuda:N (default: eval.device)."),
    threads: int | None = typer.Option(None, "--threads", min=1, help=THREADS_HELP),
) -> None:
    """Evaluate models on a dataset's test suite.

    One model with --ckpt MODEL, or a comparison with --compare A B C ...

    Models are named one way everywhere: hf:ORG/NAME for a Hugging Face Hub model (e.g.
    hf:laion/clap-htsat-unfused; HF_HUB_OFFLINE=1 reads the local cache only), a folder saved with
    save_pretrained, a dtu checkpoint file (runs/NAME/best.pt) or a weight-cache name (wavcaps-pt).
    """
    references = [ckpt] if ckpt is not None else list(models or [])
    if ckpt is not None and (compare or models):
        raise DtuError("pass either --ckpt MODEL or --compare MODEL_A MODEL_B ...")
    if ckpt is None and (not compare or len(references) < 2):
        raise DtuError("pass --ckpt MODEL, or --compare with two or more models (dtu eval --compare A B ...)")
    preset = spec_name or (dataset if dataset in preset_names() else "audiocaps")
    overrides = [
        *set_,
        *([f"eval.suite={suite}"] if suite else []),
        *(["eval.embedding_cache=false"] if no_cache else []),
        *([f"eval.device={device}"] if device else []),
        *([f"runtime.threads={threads}"] if threads else []),
    ]
    spec = load_spec(preset, overrides)
    prepared = prepare_suite(dataset, spec, data_root)
    from dtu_audio.evaluation.pipeline import evaluate_checkpoint  # torch: after the arguments, spec and manifests
    from dtu_audio.resolve import resolve_device

    run_device = resolve_device(spec.eval.device, setting="eval.device")

    console = Console()
    info = console if output == "table" else Console(stderr=True)
    results, progress = [], Console(stderr=True)
    progress.print(configure(spec.runtime), soft_wrap=True)
    for reference in references:
        with status(progress, f"evaluating {reference} on {prepared.dataset} ({len(prepared.test_sets)} sets)"):
            results.append(evaluate_checkpoint(reference, prepared, spec, run_device))

    label = "-vs-".join(_slug(r) for r in references)
    folder = out or Path(spec.eval.output_dir) / f"eval-{_slug(prepared.dataset)}-{label}"
    write_json(folder / "results.json", results[0] if len(results) == 1 else {"runs": results})
    save_spec(spec, folder / "spec.yaml")
    _show(results, output, console)
    if plot:
        from dtu_audio.evaluation.report import plot_results

        plot_results(results, folder / "plot.png")
    for result in results:
        done, reused = result["embeddings"]["computed"], result["embeddings"]["reused"]
        info.print(
            f"{result['checkpoint']['name']}: audio embedded {done['audio']}, reused {reused['audio']}; "
            f"captions embedded {done['text']}, reused {reused['text']}; {result['timing']['total_s']:.1f} s",
            highlight=False,
            soft_wrap=True,
        )
    info.print(f"results written to {folder}", highlight=False, soft_wrap=True)
