"""Running commands with a fault injected, and comparing their outputs with an uninterrupted run."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

import torch

from dtu_audio.training.run_outputs import MetricsLog

HERE = Path(__file__).resolve().parent
TIMING = {"seconds", "samples_per_s"}


def tree(folder: Path) -> dict[str, bytes]:
    """Every file under ``folder`` (relative name -> bytes), temporaries included."""
    return {str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


def environment() -> dict[str, str]:
    """This process's environment (with its ``DTU_HOME``) for a ``dtu`` subprocess of this checkout."""
    repo = str(HERE.parents[1])
    return {**os.environ, "PYTHONPATH": repo + os.pathsep + os.environ.get("PYTHONPATH", "")}


def run_killed(site: str, n: int, *args: object, cwd: Path) -> None:
    """Run ``dtu ARGS`` with the N-th write at ``site`` torn and followed by SIGKILL (see inject.py)."""
    command = [sys.executable, str(HERE / "inject.py"), site, str(n), "--", *map(str, args)]
    done = subprocess.run(command, cwd=cwd, env=environment(), capture_output=True, text=True, timeout=600)
    assert done.returncode == -signal.SIGKILL, f"fault {site} #{n} was not reached: {done.stderr[-1500:]}"


def start_dtu(*args: object, cwd: Path, log: Path) -> subprocess.Popen:
    """``python -m dtu_audio ARGS`` started in the background, its output going to the file ``log``."""
    command = [sys.executable, "-m", "dtu_audio", *map(str, args)]
    with open(log, "w", encoding="utf-8") as output:
        return subprocess.Popen(command, cwd=cwd, env=environment(), stdout=output, stderr=subprocess.STDOUT)


def eval_args(checkpoint: Path, syncaps: Path) -> tuple[object, ...]:
    """``dtu eval`` of ``checkpoint`` on a SynCaps set, on one CPU thread: its results are compared
    number for number with another run's, and the thread count changes the order of sums."""
    return ("eval", "--ckpt", checkpoint, "--dataset", "syncaps", "--data-root", syncaps, "--threads", "1")


def temporaries(folder: Path) -> list[Path]:
    """Hidden temporary files or folders anywhere under ``folder``."""
    return [p for p in folder.rglob(".*") if p.name.endswith(".tmp") or p.is_dir()]


def _records(run: Path) -> list[dict]:
    return [{k: v for k, v in r.items() if k not in TIMING} for r in MetricsLog(run).records()]


def _checkpoint(path: Path) -> dict:
    saved = torch.load(path, map_location="cpu", weights_only=True)
    return {"model": saved["model"], "train_state": saved["train_state"]}


def assert_same_run(run: Path, reference: Path) -> None:
    """``run`` holds what the uninterrupted ``reference`` holds: log, checkpoints, curves, no temporaries."""
    assert _records(run) == _records(reference)
    for name in ("last.pt", "best.pt"):
        got, expected = _checkpoint(run / name), _checkpoint(reference / name)
        assert got["train_state"] == expected["train_state"], name
        assert got["model"].keys() == expected["model"].keys()
        for key, value in expected["model"].items():
            assert torch.equal(got["model"][key], value), f"{name} {key}"
    assert (run / "curves.png").is_file()
    assert not temporaries(run)


SYNCAPS_ARGS = ("--num-clips", "12", "--seed", "3", "--sample-rate", "16000")


def invoke(*args: object):
    """Run ``dtu ARGS`` in this process; the click result (exit code, output, exception)."""
    from typer.testing import CliRunner

    from dtu_audio.cli.main import app

    return CliRunner().invoke(app, [str(a) for a in args])


def assert_ok(result) -> None:
    assert result.exit_code == 0, f"{result.output[-1500:]}\n{result.exception!r}"
