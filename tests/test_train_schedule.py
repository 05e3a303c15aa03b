"""Learning-rate schedule (as the original cosine_lr) and training checkpoints."""

from __future__ import annotations

import math

import pytest
import torch

from dtu_audio.errors import DtuError
from dtu_audio.specs import OptimSpec, RunSpec
from dtu_audio.training.checkpoint import (
    TrainState,
    read_training_checkpoint,
    restore_training_checkpoint,
    save_training_checkpoint,
)
from dtu_audio.training.schedule import build_optimizer, build_scheduler


def _original_lr(step: int, base: float, warmup: int, total: int) -> float:
    if step < warmup:
        return base * (step + 1) / warmup
    return 0.5 * (1 + math.cos(math.pi * (step - warmup) / (total - warmup))) * base


def _rates(optim: OptimSpec, steps_per_epoch: int, epochs: int) -> list[float]:
    optimizer = build_optimizer([torch.nn.Parameter(torch.zeros(1))], optim)
    scheduler = build_scheduler(optimizer, optim, steps_per_epoch, epochs)
    rates = []
    for _ in range(steps_per_epoch * epochs):
        rates.append(optimizer.param_groups[0]["lr"])
        optimizer.step()
        scheduler.step()
    return rates


def test_warmup_then_cosine_matches_the_original():
    optim = OptimSpec(lr=1e-3, warmup_epochs=2)
    expected = [_original_lr(s, 1e-3, 10, 50) for s in range(50)]
    assert _rates(optim, 5, 10) == pytest.approx(expected, rel=1e-12)


def test_constant_schedule_holds_the_peak_after_warmup():
    rates = _rates(OptimSpec(lr=1e-3, warmup_epochs=1, schedule="constant"), 4, 3)
    assert rates[:4] == pytest.approx([2.5e-4, 5e-4, 7.5e-4, 1e-3])
    assert set(rates[4:]) == {1e-3}


def test_checkpoint_round_trip_restores_everything(tmp_path):
    torch.manual_seed(0)
    model = torch.nn.Linear(3, 2)
    optim = OptimSpec(lr=1e-2, warmup_epochs=1)
    optimizer = build_optimizer(model.parameters(), optim)
    scheduler = build_scheduler(optimizer, optim, 4, 2)
    for _ in range(3):
        model(torch.randn(5, 3)).sum().backward()
        optimizer.step()
        scheduler.step()
    state = TrainState(epoch=0, step_in_epoch=3, global_step=3, epoch_loss_sum=1.5)
    save_training_checkpoint(tmp_path / "last.pt", model, RunSpec(), optimizer, scheduler, state)
    expected_draw = torch.rand(3)

    fresh = torch.nn.Linear(3, 2)
    fresh_opt = build_optimizer(fresh.parameters(), optim)
    fresh_sched = build_scheduler(fresh_opt, optim, 4, 2)
    restored = restore_training_checkpoint(
        read_training_checkpoint(tmp_path / "last.pt"), fresh, fresh_opt, fresh_sched
    )
    assert restored == state
    assert torch.equal(torch.rand(3), expected_draw)
    assert torch.equal(fresh.weight, model.weight)
    assert fresh_opt.param_groups[0]["lr"] == optimizer.param_groups[0]["lr"]
    assert torch.equal(fresh_opt.state_dict()["state"][0]["exp_avg"], optimizer.state_dict()["state"][0]["exp_avg"])


def test_truncated_or_foreign_checkpoints_are_clear_errors(tmp_path):
    (tmp_path / "cut.pt").write_bytes(b"PK\x03\x04 truncated")
    with pytest.raises(DtuError, match=r"cannot read checkpoint .*cut\.pt \(truncated"):
        read_training_checkpoint(tmp_path / "cut.pt")
    torch.save({"model": {}}, tmp_path / "weights.pt")
    with pytest.raises(DtuError, match="not a training checkpoint"):
        read_training_checkpoint(tmp_path / "weights.pt")


def test_resuming_with_more_epochs_follows_the_new_schedule(tmp_path):
    optim = OptimSpec(lr=1e-3, warmup_epochs=1)
    model = torch.nn.Linear(2, 1)
    optimizer = build_optimizer(model.parameters(), optim)
    scheduler = build_scheduler(optimizer, optim, 2, 2)
    for _ in range(3):
        optimizer.step()
        scheduler.step()
    save_training_checkpoint(tmp_path / "last.pt", model, RunSpec(), optimizer, scheduler, TrainState(global_step=3))
    longer_opt = build_optimizer(model.parameters(), optim)
    longer = build_scheduler(longer_opt, optim, 2, 4)
    restore_training_checkpoint(read_training_checkpoint(tmp_path / "last.pt"), model, longer_opt, longer)
    assert longer.last_epoch == 3
    assert longer_opt.param_groups[0]["lr"] == pytest.approx(_original_lr(3, 1e-3, 2, 8))


def test_checkpoint_of_another_model_is_a_clear_error(tmp_path):
    model = torch.nn.Linear(3, 2)
    optimizer = build_optimizer(model.parameters(), OptimSpec())
    scheduler = build_scheduler(optimizer, OptimSpec(), 2, 2)
    save_training_checkpoint(tmp_path / "last.pt", model, RunSpec(), optimizer, scheduler, TrainState())
    other = torch.nn.Linear(4, 2)
    other_opt = build_optimizer(other.parameters(), OptimSpec())
    with pytest.raises(DtuError, match="does not fit this run's model"):
        restore_training_checkpoint(
            read_training_checkpoint(tmp_path / "last.pt"),
            other,
            other_opt,
            build_scheduler(other_opt, OptimSpec(), 2, 2),
        )
