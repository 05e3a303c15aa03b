"""Training checkpoints: model, optimiser, scheduler, RNG and progress, written atomically."""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, fields
from pathlib import Path

import torch

from dtu_audio.errors import DtuError
from dtu_audio.fileio import write_errors
from dtu_audio.specs import RunSpec
from dtu_audio.training.run_outputs import resume_hint


@dataclass
class TrainState:
    """Where a run is: the epoch in progress (0-based), batches done in it, and the best so far."""

    epoch: int = 0
    step_in_epoch: int = 0
    global_step: int = 0
    epoch_loss_sum: float = 0.0
    best_score: float = -math.inf
    best_epoch: int = 0


def _rng_state() -> dict:
    state = {"torch": torch.get_rng_state()}
    if torch.cuda.is_available():
        state["cuda"] = torch.cuda.get_rng_state_all()
    return state


def _restore_rng(state: dict) -> None:
    torch.set_rng_state(state["torch"])
    if "cuda" in state and torch.cuda.is_available() and len(state["cuda"]) == torch.cuda.device_count():
        torch.cuda.set_rng_state_all(state["cuda"])


def save_training_checkpoint(
    target: Path,
    model: torch.nn.Module,
    spec: RunSpec,
    optimizer: torch.optim.Optimizer,
    scheduler: torch.optim.lr_scheduler.LRScheduler,
    state: TrainState,
) -> None:
    """Write a model checkpoint (``dtu eval`` reads it) plus all a resume needs, atomically."""
    from dtu_audio.encoders.checkpoint import save_checkpoint

    # torch.save reports a full disk as a RuntimeError
    with write_errors(target, resume_hint(target.parent), also=(RuntimeError,)):
        save_checkpoint(
            target,
            model,
            spec,
            optimizer=optimizer.state_dict(),
            scheduler={**scheduler.state_dict(), "lr_lambdas": [None] * len(optimizer.param_groups)},
            rng=_rng_state(),
            train_state=asdict(state),
        )


def read_training_checkpoint(path: Path) -> dict:
    """Load a checkpoint written by :func:`save_training_checkpoint` (on the CPU, no pickled code run)."""
    from dtu_audio.safe_load import load_torch_file

    payload = load_torch_file(path)
    if not isinstance(payload, dict):
        raise DtuError(f"checkpoint {path} is not a training checkpoint (it holds a {type(payload).__name__})")
    missing = {"model", "optimizer", "scheduler", "rng", "train_state"} - set(payload)
    if missing:
        raise DtuError(f"checkpoint {path} is not a training checkpoint (lacks {', '.join(sorted(missing))})")
    _check_train_state(payload["train_state"], path)
    _check_rng(payload["rng"], path)
    return payload


def _check_train_state(saved: object, path: Path) -> None:
    problem = None
    expected = {f.name: f.type for f in fields(TrainState)}
    if not isinstance(saved, dict):
        problem = "is not a table of fields"
    elif unknown := sorted(set(saved) - set(expected)):
        problem = f"has unknown fields {', '.join(map(str, unknown))}"
    elif absent := sorted(set(expected) - set(saved)):
        problem = f"lacks {', '.join(absent)}"
    else:
        for name, kind in expected.items():
            value = saved[name]
            if kind == "int" and (type(value) is not int or value < 0):
                problem = f"has {name}={value!r} (expected a whole number >= 0)"
            elif kind == "float" and (not isinstance(value, int | float) or isinstance(value, bool)):
                problem = f"has {name}={value!r} (expected a number)"
    if problem:
        raise DtuError(
            f"checkpoint {path}: its training state {problem}; it was not written by this dtu train, "
            "so it cannot be resumed (start a new run, or --init it to take its weights)"
        )


def _check_rng(saved: object, path: Path) -> None:
    torch_state = saved.get("torch") if isinstance(saved, dict) else None
    well_formed = (
        isinstance(torch_state, torch.Tensor)
        and torch_state.dtype == torch.uint8
        and torch_state.shape == torch.get_rng_state().shape
        and set(saved) <= {"torch", "cuda"}
        and isinstance(saved.get("cuda", []), list | tuple)
    )
    if not well_formed:
        raise DtuError(
            f"checkpoint {path}: its random-number state is malformed; it was not written by this dtu train, "
            "so it cannot be resumed (start a new run, or --init it to take its weights)"
        )


def restore_training_checkpoint(
    payload: dict,
    model: torch.nn.Module,
    optimizer: torch.optim.Optimizer,
    scheduler: torch.optim.lr_scheduler.LRScheduler,
) -> TrainState:
    """Load model, optimiser, scheduler position and RNG state from ``payload``; return the saved progress.

    The schedule's shape comes from ``scheduler`` as built for the current spec, so a run resumed
    with more epochs stretches its cosine decay to the new end.
    """
    from dtu_audio.encoders.checkpoint import checkpoint_state

    try:
        model.load_state_dict(checkpoint_state(payload)[0])
        optimizer.load_state_dict(payload["optimizer"])
        scheduler.load_state_dict(payload["scheduler"])
    except (RuntimeError, ValueError, KeyError, TypeError) as err:
        first = str(err).strip().splitlines()[0]
        raise DtuError(
            f"the checkpoint does not fit this run's model or optimiser ({first}); resume with its own spec"
        ) from None
    for group, base, factor in zip(optimizer.param_groups, scheduler.base_lrs, scheduler.lr_lambdas, strict=True):
        group["lr"] = base * factor(scheduler.last_epoch)  # the schedule of the current spec (--epochs may grow)
    _restore_rng(payload["rng"])
    return TrainState(**payload["train_state"])


def saved_progress(path: Path) -> TrainState | None:
    """The progress recorded in the checkpoint at ``path`` (read without loading its tensors), or None."""
    try:
        saved = torch.load(path, map_location="cpu", weights_only=True, mmap=True)["train_state"]
        _check_train_state(saved, path)
    except Exception:
        return None
    return TrainState(**saved)
