"""Shared inputs and uninterrupted reference outputs of the fault suite, and its summary line."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest
from train_data import write_train_spec

from dtu_audio.syncaps import write_synth_sources

from .harness import SYNCAPS_ARGS, assert_ok, eval_args, invoke

HERE = Path(__file__).resolve().parent
_attempts: dict[str, str] = {}


def pytest_runtest_logreport(report: pytest.TestReport) -> None:
    """Count every test of this folder as one attempt; its outcome is the worst of its phases."""
    if not Path(report.fspath).resolve().is_relative_to(HERE):
        return
    name = report.nodeid.split("::")[-1]
    if report.failed or name not in _attempts:
        _attempts[name] = "failed" if report.failed else report.outcome


def pytest_terminal_summary(terminalreporter) -> None:
    """``fault suite: N attempts, P passed`` and the name of every failed attempt."""
    if not _attempts:
        return
    failed = [name for name, outcome in _attempts.items() if outcome == "failed"]
    passed = sum(outcome == "passed" for outcome in _attempts.values())
    line = f"fault suite: {len(_attempts)} attempts, {passed} passed"
    terminalreporter.write_line(line + (f"; failed: {', '.join(failed)}" if failed else ""))


@pytest.fixture(scope="session")
def train_spec(tmp_path_factory) -> Path:
    """A 2-epoch tiny run spec (2 steps per epoch, a window logged every step) on generated audio."""
    return write_train_spec(tmp_path_factory.mktemp("faults-train"))


@pytest.fixture(scope="session")
def synth_sources(tmp_path_factory):
    return write_synth_sources(tmp_path_factory.mktemp("faults-sources"), clips_per_class=2, seed=1)


CAPTIONS = [
    "a dog barks followed by a cat meows",
    "rain falls before a door closes",
    "a bell rings after a man speaks",
    "a car passes then birds sing",
    "water runs while a woman laughs",
    "an engine starts followed by music plays",
]


@pytest.fixture(scope="session")
def caption_csv(tmp_path_factory) -> Path:
    """A 5-caption test CSV in Clotho's layout whose captions use every connective."""
    path = tmp_path_factory.mktemp("faults-csv") / "test.csv"
    with open(path, "w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["file_name", *(f"caption_{k}" for k in range(1, 6))])
        for i in range(6):
            writer.writerow([f"clip{i}.wav", *(CAPTIONS[(i + k) % len(CAPTIONS)] for k in range(5))])
    return path


@pytest.fixture(scope="session")
def reference_run(train_spec) -> Path:
    """The uninterrupted run of ``train_spec``."""
    assert_ok(invoke("train", "--spec", train_spec, "--name", "reference"))
    return train_spec.parent / "runs" / "reference"


@pytest.fixture(scope="session")
def syncaps_reference(synth_sources, tmp_path_factory) -> Path:
    """A 12-clip SynCaps set generated without interruption."""
    out = tmp_path_factory.mktemp("faults-syncaps") / "reference"
    assert_ok(invoke("syncaps", "generate", "--sources", synth_sources.audio_dir.parent, *SYNCAPS_ARGS, "--out", out))
    return out


@pytest.fixture(scope="session")
def rearrange_reference(caption_csv, tmp_path_factory) -> Path:
    """The split files of ``caption_csv`` written without interruption."""
    out = tmp_path_factory.mktemp("faults-rearrange") / "reference"
    assert_ok(invoke("rearrange-splits", "--test", caption_csv, "--out", out))
    return out


@pytest.fixture(scope="session")
def eval_reference(reference_run, syncaps_reference, tmp_path_factory) -> dict:
    """``dtu eval`` of the reference run's best.pt on the reference SynCaps set, without the embedding cache."""
    out = tmp_path_factory.mktemp("faults-eval") / "reference"
    assert_ok(invoke(*eval_args(reference_run / "best.pt", syncaps_reference), "--out", out, "--no-cache"))
    return json.loads((out / "results.json").read_text())["sets"]
