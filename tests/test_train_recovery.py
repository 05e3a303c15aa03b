"""``dtu train`` after faults: torn logs, a kill between last.pt and best.pt, concurrent runs, NaN, bad state."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import textwrap

import pytest
import torch
from train_data import write_train_spec
from typer.testing import CliRunner

from dtu_audio.cli.main import app
from dtu_audio.encoders.model import RetrievalModel
from dtu_audio.errors import DtuError
from dtu_audio.training import loop


@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    """A spec file and a finished 1-epoch run made with it (copy it before changing it)."""
    root = tmp_path_factory.mktemp("recovery")
    write_train_spec(root, epochs=1, temporal_lambda=0.0)
    result = _train("--spec", str(root / "spec.yaml"), "--name", "done")
    assert result.exit_code == 0, result.output
    return root / "spec.yaml", root / "runs" / "done"


def _train(*args: str):
    return CliRunner().invoke(app, ["train", *args], catch_exceptions=False)


def _error(*args: str) -> str:
    result = CliRunner().invoke(app, ["train", *args])
    assert isinstance(result.exception, DtuError), result.output
    return str(result.exception)


def _copy_run(run, tmp_path):
    copy = tmp_path / "runs" / run.name
    shutil.copytree(run, copy)
    return copy


def _dead_pid() -> int:
    process = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True)
    return int(process.stdout)


def test_torn_metrics_line_is_dropped_and_each_epoch_logged_once(trained, tmp_path):
    run = _copy_run(trained[1], tmp_path)
    with open(run / "metrics.jsonl", "a", encoding="utf-8") as log:
        log.write('{"kind": "window", "epoch": 2, "step": 3, "lo')  # a full disk cut this line
    result = _train("--resume", str(run), "--epochs", "2")
    assert result.exit_code == 0, result.output
    lines = (run / "metrics.jsonl").read_text(encoding="utf-8").splitlines()
    records = [json.loads(line) for line in lines]  # every line whole
    assert [r["epoch"] for r in records if r["kind"] == "epoch"] == [1, 2]
    assert [r["step"] for r in records if r["kind"] == "window"] == [1, 2, 3, 4]


def test_best_pt_missing_or_stale_after_a_kill_is_rewritten_from_last_pt(trained, tmp_path):
    run = _copy_run(trained[1], tmp_path)
    for damage in ("missing", "stale"):
        if damage == "missing":
            (run / "best.pt").unlink()
            (run / "curves.png").unlink()
        else:
            stale = torch.load(run / "best.pt", weights_only=True)
            stale["train_state"]["epoch"] = 0
            stale["model"] = {k: torch.zeros_like(v) for k, v in stale["model"].items()}
            torch.save(stale, run / "best.pt")
        result = _train("--resume", str(run))
        assert result.exit_code == 0, result.output
        assert "best.pt from epoch 1" in result.output and "curves.png" in result.output
        best = torch.load(run / "best.pt", weights_only=True)
        last = torch.load(run / "last.pt", weights_only=True)
        assert best["train_state"] == last["train_state"]
        assert all(torch.equal(best["model"][k], v) for k, v in last["model"].items())
        assert (run / "curves.png").is_file()


def test_the_done_line_names_only_files_that_exist(trained, tmp_path):
    run = _copy_run(trained[1], tmp_path)
    saved = torch.load(run / "last.pt", weights_only=True)
    saved["train_state"]["best_epoch"] = 0  # a run whose every validation failed has no best.pt
    torch.save(saved, run / "last.pt")
    (run / "best.pt").unlink()
    result = _train("--resume", str(run))
    assert result.exit_code == 0, result.output
    assert "best.pt" not in result.output and "last.pt, metrics.jsonl, curves.png" in result.output


HOLD_LOCK = textwrap.dedent(
    """
    import sys, time
    from pathlib import Path
    from dtu_audio.training.run_lock import run_lock
    with run_lock(Path(sys.argv[1])):
        print("locked", flush=True)
        time.sleep(120)
    """
)


def test_a_second_run_into_a_locked_folder_is_refused(trained, tmp_path):
    spec_file, _ = trained
    run = tmp_path / "runs" / "busy"
    holder = subprocess.Popen([sys.executable, "-c", HOLD_LOCK, str(run)], stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "locked"
        message = _error("--spec", str(spec_file), "--name", "busy", "--set", f"train.output_dir={tmp_path / 'runs'}")
        assert message == f"another dtu train is writing to {run}; wait for it to finish, or pick another --name"
        assert not (run / "metrics.jsonl").exists()
    finally:
        holder.kill()
        holder.wait()
    result = _train("--spec", str(spec_file), "--name", "busy", "--set", f"train.output_dir={tmp_path / 'runs'}")
    assert result.exit_code == 0, result.output


def test_a_nan_loss_stops_the_run_naming_the_step(trained, tmp_path, monkeypatch):
    spec_file, _ = trained
    real_batch_loss, calls = loop.batch_loss, []

    def nan_at_step_two(*args, **kwargs):
        calls.append(1)
        losses = real_batch_loss(*args, **kwargs)
        if len(calls) == 2:
            losses.total = losses.total * torch.nan
        return losses

    monkeypatch.setattr(loop, "batch_loss", nan_at_step_two)
    output_dir = f"train.output_dir={tmp_path / 'runs'}"
    message = _error("--spec", str(spec_file), "--name", "nan", "--set", output_dir, "--set", "train.log_every=2")
    assert message.startswith("the training loss became nan at step 2 (epoch 1)")
    assert not (tmp_path / "runs" / "nan" / "last.pt").exists()


def test_nan_validation_never_becomes_best(trained, tmp_path, monkeypatch):
    spec_file, _ = trained
    real_encode_text = RetrievalModel.encode_text

    def nan_outside_training(self, captions):
        embeds = real_encode_text(self, captions)
        return embeds if torch.is_grad_enabled() else embeds * torch.nan

    monkeypatch.setattr(RetrievalModel, "encode_text", nan_outside_training)
    message = _error("--spec", str(spec_file), "--name", "nanval", "--set", f"train.output_dir={tmp_path / 'runs'}")
    assert message.startswith("validation embeddings hold NaN or infinite values")
    assert not (tmp_path / "runs" / "nanval" / "best.pt").exists()


@pytest.mark.parametrize(
    ("field", "value", "says"),
    [
        ("train_state", {"surprise": 1}, "training state has unknown fields surprise"),
        ("train_state", {"epoch": "one"}, "training state has epoch='one'"),
        ("train_state", [1, 2], "training state is not a table of fields"),
        ("rng", {"torch": "seed"}, "random-number state is malformed"),
        ("rng", None, "random-number state is malformed"),
    ],
)
def test_malformed_training_state_is_a_one_line_error(trained, tmp_path, field, value, says):
    run = _copy_run(trained[1], tmp_path)
    saved = torch.load(run / "last.pt", weights_only=True)
    saved[field] = {**saved[field], **value} if isinstance(value, dict) and field == "train_state" else value
    torch.save(saved, run / "last.pt")
    message = _error("--resume", str(run))
    assert says in message and "cannot be resumed" in message


def test_temporaries_of_killed_runs_are_removed_and_live_ones_kept(trained, tmp_path):
    run = _copy_run(trained[1], tmp_path)
    dead, live = _dead_pid(), subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    try:
        stale = run / f".last.pt.{dead}.k2j4_x.tmp"
        busy = run / f".last.pt.{live.pid}.q8w9_e.tmp"
        for path in (stale, busy):
            path.write_bytes(b"half a checkpoint")
        result = _train("--resume", str(run), "--epochs", "2")
        assert result.exit_code == 0, result.output
        assert not stale.exists() and busy.exists()
    finally:
        live.kill()
        live.wait()
