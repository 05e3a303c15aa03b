"""Progress in a log or a pipe: plain lines every N seconds and at the end, never a bar redrawn in place."""

from __future__ import annotations

import io

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, TextColumn

from dtu_audio.progress import Progress, plain_every_s, status


def _columns():
    return (
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("loss {task.fields[loss]:.4f}"),
    )


def _run(console: Console, every_s: float, steps: int = 3) -> None:
    with Progress(*_columns(), console=console, every_s=every_s) as progress:
        task = progress.add_task("epoch 1/2", total=steps, loss=float("nan"))
        for step in range(steps):
            progress.update(task, advance=1, loss=1.0 / (step + 1))


def test_a_log_gets_a_plain_line_per_interval():
    log = io.StringIO()
    _run(Console(file=log, width=80), every_s=0)
    assert log.getvalue().splitlines() == [
        "epoch 1/2  1/3  loss 1.0000",
        "epoch 1/2  2/3  loss 0.5000",
        "epoch 1/2  3/3  loss 0.3333",
    ]


def test_a_log_gets_the_final_line_even_within_the_interval():
    log = io.StringIO()
    _run(Console(file=log, width=80), every_s=3600)
    assert log.getvalue().splitlines() == ["epoch 1/2  3/3  loss 0.3333"]


def test_a_task_reused_for_the_next_epoch_keeps_to_the_interval():
    log = io.StringIO()
    with Progress(*_columns(), console=Console(file=log, width=80), every_s=3600) as progress:
        task = progress.add_task("epoch 1/2", total=3, loss=1.0)
        for epoch in (1, 2):  # as the training loop does: one task, reset to 0 by update each epoch
            progress.update(task, completed=0, description=f"epoch {epoch}/2")
            for _ in range(3):
                progress.update(task, advance=1)
    assert log.getvalue().splitlines() == ["epoch 1/2  3/3  loss 1.0000", "epoch 2/2  3/3  loss 1.0000"]


def test_a_terminal_gets_the_bar_and_no_plain_lines():
    screen = io.StringIO()
    _run(Console(file=screen, width=80, force_terminal=True), every_s=0)
    assert "━" in screen.getvalue() and "epoch 1/2  1/3" not in screen.getvalue()


def test_a_disabled_progress_prints_nothing():
    log = io.StringIO()
    with Progress(*_columns(), console=Console(file=log), every_s=0, disable=True) as progress:
        progress.advance(progress.add_task("x", total=2, loss=0.0))
    assert log.getvalue() == ""


def test_the_interval_comes_from_the_environment(monkeypatch):
    monkeypatch.setenv("DTU_PROGRESS_EVERY", "5")
    assert plain_every_s() == 5.0
    monkeypatch.setenv("DTU_PROGRESS_EVERY", "often")
    assert plain_every_s() == 30.0


def test_status_in_a_log_says_what_runs_and_how_long_it_took():
    log = io.StringIO()
    with status(Console(file=log, width=80), "evaluating model.pt on syncaps (3 sets)"):
        pass
    first, second = log.getvalue().splitlines()
    assert first == "evaluating model.pt on syncaps (3 sets)"
    assert second.startswith(f"{first}: done in ") and second.endswith(" s")
