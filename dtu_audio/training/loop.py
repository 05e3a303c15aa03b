"""``dtu train``'s loop: epochs of steps, validation, checkpoints, logs, Ctrl-C and resume."""

from __future__ import annotations

import math
import shutil
import signal
import time
from collections.abc import Callable
from contextlib import AbstractContextManager, ExitStack
from dataclasses import dataclass
from pathlib import Path

import torch
import torch.distributed as dist
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, TextColumn, TimeElapsedColumn
from torch.utils.data import DataLoader

from dtu_audio.datasets.training import CaptionBatch, CaptionDataset, GlobalBatchSampler, collate_captions
from dtu_audio.errors import DtuError
from dtu_audio.fileio import atomic_path, remove_stale_temporaries, write_errors
from dtu_audio.losses import RetrievalLoss
from dtu_audio.progress import Progress
from dtu_audio.specs import RunSpec, save_spec
from dtu_audio.training import run_outputs
from dtu_audio.training.checkpoint import (
    TrainState,
    read_training_checkpoint,
    restore_training_checkpoint,
    save_training_checkpoint,
    saved_progress,
)
from dtu_audio.training.data import Split, caption_pos_neg, check_bad_audio, load_split
from dtu_audio.training.distributed import ProcessGroup, autocast_factory, barrier, init_process_group
from dtu_audio.training.model_init import build_model, init_weights_path
from dtu_audio.training.run_lock import refuse_if_locked, run_lock
from dtu_audio.training.run_outputs import BEST, LAST
from dtu_audio.training.schedule import build_optimizer, build_scheduler
from dtu_audio.training.step import batch_loss, batch_waveforms, training_forward
from dtu_audio.training.validation import validate


@dataclass
class RunResult:
    """How a run ended: its folder, progress, and whether Ctrl-C stopped it."""

    run_dir: Path
    state: TrainState
    interrupted: bool


class _StopFlag:
    """Turns the first Ctrl-C into a request to save and stop after the current step."""

    def __init__(self) -> None:
        self.requested = False
        self._previous = None

    def __enter__(self) -> _StopFlag:
        self._previous = signal.signal(signal.SIGINT, self._handle)
        return self

    def _handle(self, signum, frame) -> None:
        if self.requested:
            raise KeyboardInterrupt
        self.requested = True

    def __exit__(self, *exc) -> None:
        signal.signal(signal.SIGINT, self._previous)

    def agreed(self, group: ProcessGroup) -> bool:
        """True when any process was asked to stop (all processes then stop at the same step)."""
        if not group.distributed:
            return self.requested
        flag = torch.tensor([float(self.requested)], device=group.device)
        dist.all_reduce(flag)
        return bool(flag.item())


def _load_splits(spec: RunSpec, group: ProcessGroup) -> tuple[Split, Split]:
    if not group.is_main:
        barrier()
    train, val = (load_split(spec, name, show_progress=group.is_main) for name in ("train", "val"))
    if group.is_main:
        barrier()
    for split in (train, val):
        check_bad_audio(split, spec.train.skip_bad_audio)
    return train, val


def _train_loader(spec: RunSpec, train: Split, group: ProcessGroup) -> tuple[CaptionDataset, DataLoader]:
    pos_neg = caption_pos_neg(spec, train)
    dataset = CaptionDataset(
        train.captions, train.waveforms, train.keep, spec.audio.max_samples, pos_neg, crop_rng_seed=spec.train.seed
    )
    batch = spec.train.batch_size
    if batch > len(dataset):
        raise DtuError(
            f"batch size {batch} is larger than the {len(dataset)} training captions of {train.manifest_path}; "
            "lower --batch-size"
        )
    if batch % group.world_size:
        raise DtuError(f"batch size {batch} must be divisible by the {group.world_size} processes")
    sampler = GlobalBatchSampler(len(dataset), batch, spec.train.seed, group.rank, group.world_size)
    loader = DataLoader(
        dataset,
        batch_sampler=sampler,
        collate_fn=collate_captions,
        num_workers=spec.data.num_workers,
        generator=torch.Generator().manual_seed(spec.train.seed),
        pin_memory=group.device.type == "cuda",
    )
    return dataset, loader


def _progress(console: Console, enabled: bool) -> Progress:
    return Progress(
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("loss {task.fields[loss]:.4f}  lr {task.fields[lr]:.2e}  {task.fields[speed]:.1f} samples/s"),
        TimeElapsedColumn(),
        console=console,
        disable=not enabled,
    )


class _Window:
    """Running sums of the loss terms (on the device) over the steps since the last ``window`` record."""

    def __init__(self) -> None:
        self.sums: dict[str, torch.Tensor] = {}
        self.steps = 0
        self.samples = 0
        self.started = time.perf_counter()

    def add(self, losses: dict[str, torch.Tensor], samples: int) -> None:
        for key, value in losses.items():
            value = value.double()
            self.sums[key] = self.sums[key] + value if key in self.sums else value
        self.steps += 1
        self.samples += samples

    def speed(self) -> float:
        return self.samples / max(time.perf_counter() - self.started, 1e-9)

    def record(self, state: TrainState, lr: float) -> dict:
        means = {("loss" if k == "total" else k): float(v) / self.steps for k, v in self.sums.items()}
        return {"kind": "window", "epoch": state.epoch + 1, "step": state.global_step, **means, "lr": lr,
                "samples_per_s": round(self.speed(), 2)}  # fmt: skip


class _NonFiniteWatch:
    """Remembers, on the device, the first step whose loss is not finite; checked on log steps only."""

    def __init__(self) -> None:
        self.first_bad: torch.Tensor | None = None
        self.value: torch.Tensor | None = None

    def add(self, step: int, loss: torch.Tensor) -> None:
        bad = ~torch.isfinite(loss)
        if self.first_bad is None:
            self.first_bad, self.value = torch.zeros_like(loss, dtype=torch.long), torch.zeros_like(loss)
        fresh = bad & (self.first_bad == 0)
        self.first_bad = torch.where(fresh, step, self.first_bad)
        self.value = torch.where(fresh, loss, self.value)

    def check(self, state: TrainState, run_dir: Path) -> None:
        """Stop the run with a one-line error when a step's loss was NaN or infinite."""
        if self.first_bad is None or not int(self.first_bad):
            return
        raise DtuError(
            f"the training loss became {float(self.value)} at step {int(self.first_bad)} (epoch {state.epoch + 1}); "
            f"nothing was saved after it: lower optim.lr or check the data, then dtu train --resume {run_dir} "
            "continues from the last good checkpoint"
        )


@dataclass
class _Run:
    """The live objects of a run and the steps of one epoch."""

    spec: RunSpec
    group: ProcessGroup
    run_dir: Path
    model: torch.nn.Module
    forward: torch.nn.Module
    optimizer: torch.optim.Optimizer
    scheduler: torch.optim.lr_scheduler.LRScheduler
    state: TrainState
    log: run_outputs.MetricsLog
    console: Console
    autocast: Callable[[], AbstractContextManager]
    loss: RetrievalLoss

    def save(self, name: str) -> None:
        if self.group.is_main:
            save_training_checkpoint(
                self.run_dir / name, self.model, self.spec, self.optimizer, self.scheduler, self.state
            )

    def step(self, batch: CaptionBatch) -> dict[str, torch.Tensor]:
        """One optimiser step on ``batch``; the loss terms as device tensors (no wait for the device)."""
        with self.autocast():
            out = self.forward(batch_waveforms(batch, self.group.device), batch.captions, batch.extras)
        losses = batch_loss(self.loss, out, batch)
        self.optimizer.zero_grad(set_to_none=True)
        losses.total.backward()
        if self.spec.optim.grad_clip_norm is not None:
            torch.nn.utils.clip_grad_norm_(self.model.parameters(), self.spec.optim.grad_clip_norm)
        self.optimizer.step()
        self.scheduler.step()
        return losses.detached()

    def train_epoch(self, loader: DataLoader, stop: _StopFlag, advance: Callable[..., None]) -> bool:
        """Steps until the epoch ends (False) or Ctrl-C asks to stop (True), logging step windows.

        The device is waited for only on log steps (every ``train.log_every``) and at the end: there
        the window is logged, a non-finite loss stops the run, and several processes agree on Ctrl-C.
        """
        state, main = self.state, self.group.is_main
        window, watch = _Window(), _NonFiniteWatch()
        epoch_sum = torch.tensor(state.epoch_loss_sum, dtype=torch.float64, device=self.group.device)
        interrupted = False
        for batch in loader:
            lr = self.optimizer.param_groups[0]["lr"]
            values = self.step(batch)
            state.step_in_epoch += 1
            state.global_step += 1
            epoch_sum += values["total"]
            watch.add(state.global_step, values["total"])
            window.add(values, self.spec.train.batch_size)
            log_step = state.global_step % self.spec.train.log_every == 0
            if log_step:
                watch.check(state, self.run_dir)
                if main:
                    self.log.append(window.record(state, lr))
                advance(loss=float(values["total"]), lr=lr, speed=window.speed())
                window = _Window()
            else:
                advance()
            if (log_step or not self.group.distributed) and stop.agreed(self.group):
                interrupted = True
                break
        watch.check(state, self.run_dir)
        state.epoch_loss_sum = float(epoch_sum)
        if window.steps and main:
            self.log.append(window.record(state, lr))
        return interrupted

    def end_epoch(self, val: Split, started: float) -> None:
        """Validate, log the epoch, write last.pt (and best.pt) and the curves (process 0 only)."""
        state = self.state
        train_loss = state.epoch_loss_sum / max(state.step_in_epoch, 1)
        state.epoch, state.step_in_epoch, state.epoch_loss_sum = state.epoch + 1, 0, 0.0
        if not self.group.is_main:
            return
        spec = self.spec
        result = validate(
            self.model, val, spec.audio.max_samples, spec.eval.batch_size, self.group.device, self.autocast
        )
        is_best = result["score"] >= state.best_score  # ties go to the later epoch, as the original
        if is_best:
            state.best_score, state.best_epoch = result["score"], state.epoch
        self.log.append({"kind": "epoch", "epoch": state.epoch, "step": state.global_step, "train_loss": train_loss,
                         "val": {"t2a": result["t2a"], "a2t": result["a2t"]}, "score": result["score"],
                         "best": is_best, "seconds": round(time.perf_counter() - started, 2)})  # fmt: skip
        self.save(LAST)
        if is_best:
            _copy_checkpoint(self.run_dir / LAST, self.run_dir / BEST)
        run_outputs.plot_curves(self.log.records(), self.run_dir / run_outputs.CURVES)
        self.console.log(
            f"epoch {state.epoch}: train loss {train_loss:.4f}, val t2a R@1 {result['t2a']['R1']:.2f}, "
            f"a2t R@1 {result['a2t']['R1']:.2f}" + (" (best)" if is_best else "")
        )


def _copy_checkpoint(source: Path, target: Path) -> None:
    with write_errors(target, run_outputs.resume_hint(target.parent)), atomic_path(target) as tmp:
        shutil.copyfile(source, tmp)


def _restore_best(run_dir: Path, checkpoint: Path, state: TrainState) -> None:
    """Write ``best.pt`` again when a run stopped between saving ``checkpoint`` as a new best and copying it.

    ``last.pt`` is written before ``best.pt``, so a checkpoint that ends its best epoch holds exactly
    the best weights; a missing or older ``best.pt`` is replaced by it.
    """
    if not state.best_epoch or state.best_epoch != state.epoch or state.step_in_epoch:
        return
    best = saved_progress(run_dir / BEST)
    if best is None or (best.epoch, best.global_step) != (state.epoch, state.global_step):
        _copy_checkpoint(checkpoint, run_dir / BEST)


def _claim_folder(run_dir: Path, resume: Path | None, stack: ExitStack) -> None:
    """Lock ``run_dir`` for this run (until ``stack`` closes) and clear what killed runs left in it."""
    stack.enter_context(run_lock(run_dir))
    if resume is None and (run_dir / LAST).exists():
        raise DtuError(f"{run_dir} already holds a run; continue it with --resume {run_dir} or pick another --name")
    remove_stale_temporaries(run_dir)


def _start(
    spec: RunSpec, group: ProcessGroup, run_dir: Path, resume: Path | None, console: Console, stack: ExitStack
) -> tuple[_Run, Split, DataLoader]:
    autocast = autocast_factory(group.device, spec.train.precision)
    init_path = init_weights_path(spec.train.init) if resume is None else None
    torch.manual_seed(spec.train.seed)
    model = build_model(spec, init_path).to(group.device)
    train, val = _load_splits(spec, group)
    dataset, loader = _train_loader(spec, train, group)
    optimizer = build_optimizer(model.parameters(), spec.optim)
    steps_per_epoch = len(dataset) // spec.train.batch_size
    scheduler = build_scheduler(optimizer, spec.optim, steps_per_epoch, spec.train.epochs)
    torch.manual_seed(spec.train.seed + group.rank)
    state = TrainState()
    if resume is not None:
        state = restore_training_checkpoint(read_training_checkpoint(resume), model, optimizer, scheduler)
        if group.rank:
            torch.manual_seed(spec.train.seed + group.rank + state.global_step)
    log = run_outputs.MetricsLog(run_dir)
    if group.is_main:
        _claim_folder(run_dir, resume, stack)
        with write_errors(run_dir / run_outputs.SPEC, run_outputs.resume_hint(run_dir)):
            save_spec(spec, run_dir / run_outputs.SPEC)
        run_outputs.write_bad_audio(run_dir, {"train": train.bad, "val": val.bad})
        log.keep_until(state.global_step)
        if resume is not None:
            _restore_best(run_dir, resume, state)
    forward = training_forward(model, group.device)
    loss = RetrievalLoss(spec.train.temporal_lambda, spec.train.temporal_margin, spec.model.embed_regularization)
    run = _Run(spec, group, run_dir, model, forward, optimizer, scheduler, state, log, console, autocast, loss)
    return run, val, loader


def train_run(spec: RunSpec, run_dir: Path, resume: Path | None = None, console: Console | None = None) -> RunResult:
    """Train as ``spec`` says, writing into ``run_dir``; continue from the checkpoint ``resume`` if given.

    One run at a time writes into a folder: a second one is refused with a one-line error.
    """
    group = init_process_group(spec.train.device)
    with ExitStack() as stack:
        return _train(spec, group, run_dir, resume, console or Console(stderr=True), stack)


def _train(
    spec: RunSpec, group: ProcessGroup, run_dir: Path, resume: Path | None, console: Console, stack: ExitStack
) -> RunResult:
    if group.is_main:
        refuse_if_locked(run_dir)
    run, val, loader = _start(spec, group, run_dir, resume, console, stack)
    state = run.state
    interrupted = False
    with _StopFlag() as stop, _progress(run.console, run.group.is_main) as progress:
        steps = len(loader.dataset) // spec.train.batch_size
        task = progress.add_task("", total=steps, loss=math.nan, lr=run.scheduler.get_last_lr()[0], speed=0.0)
        while state.epoch < spec.train.epochs and not interrupted:
            started = time.perf_counter()
            loader.dataset.set_epoch(state.epoch)
            loader.batch_sampler.set_epoch(state.epoch, state.step_in_epoch)
            progress.update(
                task, description=f"epoch {state.epoch + 1}/{spec.train.epochs}", completed=state.step_in_epoch
            )
            run.forward.train()
            interrupted = run.train_epoch(loader, stop, lambda **fields: progress.update(task, advance=1, **fields))
            if interrupted:
                run.save(LAST)
            else:
                run.end_epoch(val, started)
                barrier()
    if group.is_main and not interrupted and not (run_dir / run_outputs.CURVES).is_file():
        run_outputs.plot_curves(run.log.records(), run_dir / run_outputs.CURVES)
    return RunResult(run_dir, state, interrupted)


def outputs_summary(run_dir: Path, state: TrainState) -> str:
    """What a finished run holds, naming only the files that are there."""
    parts = []
    if (run_dir / BEST).is_file():
        parts.append(f"{BEST} from epoch {state.best_epoch} (t2a R@1 + a2t R@1 = {state.best_score:.2f})")
    names = (LAST, run_outputs.METRICS, run_outputs.CURVES)
    parts += [name for name in names if (run_dir / name).is_file()]
    return f"{run_dir} — " + ", ".join(parts)
