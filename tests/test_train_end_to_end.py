"""``dtu train`` end to end with the tiny model on generated audio: outputs, Ctrl-C, resume, SIGKILL."""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
import torch
from train_data import write_train_spec
from typer.testing import CliRunner

from dtu_audio.cli.main import app
from dtu_audio.encoders.checkpoint import load_model
from dtu_audio.errors import DtuError
from dtu_audio.specs import load_spec
from dtu_audio.training import loop
from dtu_audio.training.run_outputs import MetricsLog

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


@pytest.fixture
def spec_file(tmp_path):
    return write_train_spec(tmp_path, n_train=12)


def _train(*args: str):
    return CliRunner().invoke(app, ["train", *args], catch_exceptions=False)


def _step_losses(run_dir) -> list[tuple[int, float, float]]:
    return [(r["step"], r["loss"], r["temporal"]) for r in MetricsLog(run_dir).records() if r["kind"] == "window"]


def test_trains_validates_and_writes_every_output(spec_file, tmp_path):
    result = _train("--spec", str(spec_file), "--name", "full", "--threads", "1")
    assert result.exit_code == 0, result.output
    assert "CPU: 1 CPU thread (as asked)" in result.output
    # not a terminal: a plain progress line closes each epoch (no bar redrawn in place)
    assert re.search(r"^epoch 2/2  3/3  loss \d+\.\d{4}  lr .* samples/s", result.output, re.MULTILINE)
    run = tmp_path / "runs" / "full"
    assert load_spec(run / "spec.yaml").runtime.threads == 1
    for name in ("spec.yaml", "metrics.jsonl", "last.pt", "best.pt", "curves.png"):
        assert (run / name).is_file(), name
    assert (run / "curves.png").read_bytes()[:4] == b"\x89PNG"
    records = MetricsLog(run).records()
    epochs = [r for r in records if r["kind"] == "epoch"]
    assert [r["epoch"] for r in epochs] == [1, 2]
    assert set(epochs[0]["val"]) == {"t2a", "a2t"} and "R1" in epochs[0]["val"]["t2a"]
    steps = _step_losses(run)
    assert [s for s, _, _ in steps] == list(range(1, 7))
    assert any(t > 0 for _, _, t in steps), "captions with connectives feed the temporal loss"
    assert load_model(run / "best.pt").embed_text(["a dog barks"]).shape == (1, 32)
    again = CliRunner().invoke(app, ["train", "--spec", str(spec_file), "--name", "full"])
    assert "already holds a run" in str(again.exception)


def test_ctrl_c_saves_and_resume_gives_the_same_losses(spec_file, tmp_path, monkeypatch):
    assert _train("--spec", str(spec_file), "--name", "full").exit_code == 0
    calls = []
    real_batch_loss = loop.batch_loss

    def interrupt_at_step_four(*args, **kwargs):
        calls.append(1)
        if len(calls) == 4:
            os.kill(os.getpid(), signal.SIGINT)
        return real_batch_loss(*args, **kwargs)

    monkeypatch.setattr(loop, "batch_loss", interrupt_at_step_four)
    stopped = _train("--spec", str(spec_file), "--name", "cut")
    assert stopped.exit_code == 130
    run = tmp_path / "runs" / "cut"
    assert torch.load(run / "last.pt", weights_only=True)["train_state"]["global_step"] == 4
    monkeypatch.setattr(loop, "batch_loss", real_batch_loss)
    resumed = _train("--resume", str(run))
    assert resumed.exit_code == 0, resumed.output
    resumed_values = [value for window in _step_losses(run) for value in window]  # approx takes no nesting
    full_values = [value for window in _step_losses(tmp_path / "runs" / "full") for value in window]
    assert resumed_values == pytest.approx(full_values, rel=1e-6)


KILL_DURING_SECOND_SAVE = textwrap.dedent(
    """
    import io, os, signal, sys
    import torch
    real_save, saves = torch.save, []

    def save_then_die(obj, target, *args, **kwargs):
        saves.append(target)
        if len(saves) < 2:
            return real_save(obj, target, *args, **kwargs)
        buffer = io.BytesIO()
        real_save(obj, buffer)
        with open(target, "wb") as handle:
            handle.write(buffer.getvalue()[: len(buffer.getvalue()) // 2])
        os.kill(os.getpid(), signal.SIGKILL)

    torch.save = save_then_die
    from dtu_audio.cli.main import main
    sys.argv = ["dtu", "train", *sys.argv[1:]]
    main()
    """
)


def test_sigkill_during_a_checkpoint_write_keeps_the_previous_one(spec_file, tmp_path):
    run = tmp_path / "runs" / "killed"
    env = {**os.environ, "PYTHONPATH": REPO + os.pathsep + os.environ.get("PYTHONPATH", "")}
    cmd = [sys.executable, "-c", KILL_DURING_SECOND_SAVE, "--spec", str(spec_file), "--name", "killed"]
    proc = subprocess.run(cmd, cwd=tmp_path, env=env, capture_output=True, text=True, timeout=300)
    assert proc.returncode == -signal.SIGKILL, proc.stderr[-2000:]
    survivor = torch.load(run / "last.pt", weights_only=True)
    assert survivor["train_state"]["epoch"] == 1 and survivor["train_state"]["step_in_epoch"] == 0
    resumed = _train("--resume", str(run))
    assert resumed.exit_code == 0, resumed.output
    assert torch.load(run / "last.pt", weights_only=True)["train_state"]["epoch"] == 2
    assert [r["epoch"] for r in MetricsLog(run).records() if r["kind"] == "epoch"] == [1, 2]


def _error(*args: str) -> str:
    result = CliRunner().invoke(app, ["train", *args])
    assert isinstance(result.exception, DtuError), result.output
    return str(result.exception)


def test_clear_errors_before_training(spec_file, tmp_path):
    assert "dtu fetch-weights wavcaps-pt" in _error("--spec", str(spec_file), "--init", "wavcaps-pt")
    message = _error("--spec", str(spec_file), "--batch-size", "64")
    assert "batch size 64 is larger than the 12 training captions" in message
    message = _error("--spec", str(spec_file), "--data-root", str(tmp_path / "missing"))
    assert "expected" in message and "missing/train.json" in message
    assert not (tmp_path / "runs").exists()


def test_skip_bad_audio_leaves_rows_out_and_lists_them(spec_file, tmp_path):
    (tmp_path / "data" / "audio" / "train_3.wav").write_bytes(b"not audio")
    assert "train_3.wav" in _error("--spec", str(spec_file), "--name", "strict")
    args = ["--name", "lenient", "--skip-bad-audio", "--epochs", "1", "--lambda", "0", "--set", "train.log_every=2"]
    result = _train("--spec", str(spec_file), *args)
    assert result.exit_code == 0, result.output
    run = tmp_path / "runs" / "lenient"
    listed = json.loads((run / "bad_audio.json").read_text())
    assert [Path(row["path"]).name for row in listed["train"]] == ["train_3.wav"]
    assert [(step, temporal) for step, _, temporal in _step_losses(run)] == [(2, 0.0)], "11 captions: 2 batches of 4"
