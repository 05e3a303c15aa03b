"""Training checkpoints: model, optimiser, scheduler, RNG and progress, written atomically."""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass
from pathlib import Path

import torch

from dtu_audio.errors import DtuError
from dtu_audio.specs import RunSpec


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
    return payload


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
    except (RuntimeError, ValueError, KeyError) as err:
        first = str(err).strip().splitlines()[0]
        raise DtuError(
            f"the checkpoint does not fit this run's model or optimiser ({first}); resume with its own spec"
        ) from None
    for group, base, factor in zip(optimizer.param_groups, scheduler.base_lrs, scheduler.lr_lambdas, strict=True):
        group["lr"] = base * factor(scheduler.last_epoch)  # the schedule of the current spec (--epochs may grow)
    _restore_rng(payload["rng"])
    return TrainState(**payload["train_state"])
