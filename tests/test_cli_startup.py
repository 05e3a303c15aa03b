"""``dtu --help``, every ``--help``, ``dtu spec`` and bad input answer without importing torch, transformers or timm."""

from __future__ import annotations

import subprocess
import sys

import pytest
from cli_helpers import COMMANDS

from conftest import REPO_ROOT

HEAVY = ("torch", "transformers", "timm")

# Runs ``dtu ARGS`` in a fresh interpreter, then prints the heavy modules it imported.
_PROBE = """
import sys
from dtu_audio.cli.main import main
sys.argv = ["dtu", *sys.argv[1:]]
try:
    main()
except SystemExit as exit_:
    code = exit_.code or 0
else:
    code = 0
print("heavy modules:", sorted(m for m in {heavy!r} if m in sys.modules), file=sys.stderr)
sys.exit(code)
"""


def dtu_imports(*args: str) -> tuple[subprocess.CompletedProcess, str]:
    """Run ``dtu ARGS`` in a new process; return the process and the line naming the heavy modules it imported."""
    result = subprocess.run(
        [sys.executable, "-c", _PROBE.format(heavy=HEAVY), *args],
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        timeout=300,
    )
    line = next(line for line in result.stderr.splitlines() if line.startswith("heavy modules:"))
    return result, line


@pytest.mark.parametrize("command", COMMANDS, ids=lambda c: " ".join(c) or "dtu")
def test_help_imports_no_heavy_module(command):
    result, heavy = dtu_imports(*command, "--help")
    assert result.returncode == 0, result.stderr
    assert "Usage" in result.stdout
    assert heavy == "heavy modules: []"


def test_spec_commands_import_no_heavy_module():
    for args in (["spec", "show", "quickstart"], ["spec", "presets"], ["spec", "reference"]):
        result, heavy = dtu_imports(*args)
        assert result.returncode == 0, result.stderr
        assert heavy == "heavy modules: []", args


@pytest.mark.parametrize(
    "args, message",
    [
        (["train", "--spec", "no-such-spec.yaml"], "no spec file or preset named"),
        (["train", "--spec", "tiny", "--set", "train.epochs=zero"], "train.epochs"),
        (["train", "--spec", "tiny", "--data-root", "no-such-folder"], "not found"),
        (["eval", "--ckpt", "x.pt", "--dataset", "clotho"], "--data-root"),
        (["eval", "--ckpt", "x.pt", "--dataset", "no-such-manifest.json"], "unknown dataset"),
        (["eval", "--ckpt", "x.pt", "--dataset", "clotho", "--set", "optim.lr=nan"], "optim.lr"),
        (["quickstart", "--clips", "3"], "--clips"),
    ],
)
def test_bad_input_fails_before_any_heavy_import(args, message):
    result, heavy = dtu_imports(*args)
    assert result.returncode == 2 and message in result.stderr, result.stderr
    assert heavy == "heavy modules: []"
