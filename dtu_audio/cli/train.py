"""``dtu train``: train the retrieval model with the paper's losses, from a run spec."""

from __future__ import annotations

import json
import time
from pathlib import Path

import typer
from rich.console import Console

from dtu_audio.errors import DtuError
from dtu_audio.runtime import THREADS_HELP, configure
from dtu_audio.specs import RunSpec, load_spec, preset_names
from dtu_audio.training import run_outputs
from dtu_audio.training.data import check_manifests, read_split_manifest
from dtu_audio.training.run_outputs import LAST, WORD_TEXT_ENCODER
from dtu_audio.weights.installed import WORDS, describe


def _flag_overrides(**flags: object) -> list[str]:
    return [f"{key}={json.dumps(str(v) if isinstance(v, Path) else v)}" for key, v in flags.items() if v is not None]


def _resume_target(resume: Path) -> tuple[Path, Path]:
    """(run folder, checkpoint) from a run folder or a checkpoint file."""
    run_dir, checkpoint = (resume, resume / LAST) if resume.is_dir() else (resume.parent, resume)
    if not checkpoint.is_file():
        raise DtuError(f"nothing to resume: {checkpoint} does not exist (pass a run folder holding {LAST})")
    if not (run_dir / run_outputs.SPEC).is_file():
        raise DtuError(f"nothing to resume: {run_dir} has no {run_outputs.SPEC}")
    return run_dir, checkpoint


def _new_run_dir(spec: RunSpec) -> Path:
    from dtu_audio.training.distributed import broadcast_object

    name = spec.train.run_name or f"{spec.data.dataset}-{time.strftime('%Y%m%d-%H%M%S')}"
    run_dir = Path(broadcast_object(str(spec.train.output_dir / name)))
    if (run_dir / LAST).exists():
        raise DtuError(f"{run_dir} already holds a run; continue it with --resume {run_dir} or pick another --name")
    return run_dir


def _with_word_text_encoder(spec: RunSpec, run_dir: Path, is_main: bool) -> RunSpec:
    """``words`` made concrete: a word-level BERT of the training captions, written into the run folder."""
    from dtu_audio.encoders.word_text_encoder import write_caption_text_encoder
    from dtu_audio.training.distributed import barrier

    folder = run_dir / WORD_TEXT_ENCODER
    if is_main:
        write_caption_text_encoder(folder, read_split_manifest(spec, "train")[1].captions)
    barrier()
    return spec.model_copy(update={"model": spec.model.model_copy(update={"text_encoder": str(folder)})})


def train(
    spec_name: str | None = typer.Option(
        None, "--spec", help="Preset name or YAML run spec (default: the dataset's preset)."
    ),
    dataset: str | None = typer.Option(None, "--dataset", "-d", help="audiocaps, clotho, syncaps or a custom name."),
    temporal_lambda: float | None = typer.Option(
        None, "--lambda", help="Weight of the temporal loss (0: plain model)."
    ),
    epochs: int | None = typer.Option(None, "--epochs", help="Training epochs."),
    batch_size: int | None = typer.Option(None, "--batch-size", help="Global batch size."),
    init: str | None = typer.Option(
        None, "--init", help="Initial weights: a cache name (wavcaps-pt), a file, or none."
    ),
    data_root: Path | None = typer.Option(None, "--data-root", help="Folder with train.json, val.json and audio/."),
    name: str | None = typer.Option(None, "--name", help="Run folder name under train.output_dir."),
    skip_bad_audio: bool = typer.Option(False, "--skip-bad-audio", help="Leave missing/corrupt audio out."),
    resume: Path | None = typer.Option(
        None, "--resume", help="Continue the run in this folder (or from this checkpoint)."
    ),
    set_: list[str] = typer.Option(
        [], "--set", help="Override a spec field (repeatable).", metavar="SECTION.FIELD=VALUE"
    ),
    threads: int | None = typer.Option(None, "--threads", min=1, help=THREADS_HELP),
) -> None:
    """Train with the contrastive and temporal-order losses.

    Writes runs/NAME/: spec.yaml, metrics.jsonl, curves.png, last.pt (every epoch) and best.pt (best
    validation t2a R@1 + a2t R@1). Ctrl-C saves last.pt; --resume continues exactly. Several GPUs
    or machines: torchrun --nproc-per-node N -m dtu_audio train ...
    """
    overrides = _flag_overrides(
        **{
            "data.dataset": dataset,
            "train.temporal_lambda": temporal_lambda,
            "train.epochs": epochs,
            "train.batch_size": batch_size,
            "train.init": init,
            "data.data_root": data_root,
            "train.run_name": name,
            "train.skip_bad_audio": skip_bad_audio or None,
            "runtime.threads": threads,
        }
    ) + list(set_)
    console = Console(stderr=True, highlight=False, log_path=False, soft_wrap=True)
    if resume is not None:
        run_dir, checkpoint = _resume_target(resume)
        spec = load_spec(run_dir / run_outputs.SPEC, overrides)
    else:
        default = dataset if dataset in preset_names() else "audiocaps"
        spec = load_spec(spec_name or default, overrides)
    check_manifests(spec)
    from dtu_audio.training.distributed import init_process_group  # torch: after the input checks
    from dtu_audio.training.loop import outputs_summary, train_run

    group = init_process_group(spec.train.device)
    cpu_settings = configure(spec.runtime)
    if group.is_main:
        console.print(cpu_settings)
    if resume is None:
        run_dir, checkpoint = _new_run_dir(spec), None
    if group.is_main:
        console.print(f"text encoder: {describe(spec.model.text_encoder)}")
    if spec.model.text_encoder == WORDS:
        spec = _with_word_text_encoder(spec, run_dir, group.is_main)
    result = train_run(spec, run_dir, checkpoint, console)
    if not group.is_main:
        return
    state = result.state
    if result.interrupted:
        console.print(
            f"interrupted: saved {run_dir / LAST} (epoch {state.epoch + 1}, step {state.global_step}); "
            f"continue with: dtu train --resume {run_dir}"
        )
        raise typer.Exit(130)
    console.print(f"done: {outputs_summary(run_dir, state)}")
