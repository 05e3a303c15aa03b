"""Running ``dtu`` from tests, in this process or as ``python -m dtu_audio``, and writing its CSV inputs."""

from __future__ import annotations

import csv
import os
import subprocess
import sys
from pathlib import Path

from conftest import REPO_ROOT
from dtu_audio.cli.main import main

#: Every command and command group of ``dtu`` (``[]`` is ``dtu`` itself), for tests that go through them all.
COMMANDS = [
    [],
    ["train"],
    ["eval"],
    ["fetch-weights"],
    ["quickstart"],
    ["rearrange-splits"],
    ["spec"],
    ["spec", "show"],
    ["spec", "presets"],
    ["spec", "reference"],
    ["syncaps"],
    ["syncaps", "generate"],
    ["syncaps", "synth-sources"],
    ["data"],
    ["data", "prepare"],
    ["data", "list"],
]


def run_dtu(monkeypatch, capsys, *args, columns: int = 80) -> tuple[int, str, str]:
    """Run ``dtu`` in this process, ``columns`` wide (80: a log or a pipe); return its exit code, stdout and stderr."""
    monkeypatch.setattr(sys, "argv", ["dtu", *map(str, args)])
    monkeypatch.setenv("COLUMNS", str(columns))
    code = 0
    try:
        main()
    except SystemExit as exit_:
        code = exit_.code or 0
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def dtu_process(*args, env: dict[str, str] | None = None, timeout: float | None = None) -> subprocess.CompletedProcess:
    """Run ``python -m dtu_audio`` from the repository root, with ``env`` added to this environment."""
    return subprocess.run(
        [sys.executable, "-m", "dtu_audio", *map(str, args)],
        env={**os.environ, **(env or {})},
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        timeout=timeout,
    )


def write_csv(path: Path, header: list[str], rows: list) -> Path:
    """Write a CSV file with ``header`` and ``rows``; return its path."""
    with open(path, "w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(header)
        writer.writerows(rows)
    return path
