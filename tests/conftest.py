"""Shared test fixtures: the ../shared reference material and an offline hub."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

os.environ.setdefault("HF_HUB_OFFLINE", "1")

REPO_ROOT = Path(__file__).resolve().parents[1]
SHARED = Path(os.environ.get("DTU_SHARED", REPO_ROOT.parent / "shared"))
PARITY = REPO_ROOT / "tests" / "fixtures" / "parity"
_NO_SHARED = f"shared reference material not found at {SHARED}: set DTU_SHARED=PATH (see the README)"


@pytest.fixture(scope="session")
def shared() -> Path:
    """The project's shared reference material (dataset metadata); a test that needs it is skipped without it."""
    if not SHARED.is_dir():
        pytest.skip(_NO_SHARED)
    return SHARED


@pytest.fixture(scope="session")
def reference_data(shared: Path) -> Path:
    return shared / "reference-data"


@pytest.fixture(scope="session")
def parity() -> Path:
    """The parity fixtures, committed (a copy of the shared ``parity`` folder; tests/fixtures/parity/README.md)."""
    return PARITY


def pytest_report_header(config) -> str:
    return f"shared reference material: {SHARED}" if SHARED.is_dir() else _NO_SHARED


def pytest_terminal_summary(terminalreporter) -> None:
    """Say how many tests the missing shared material skipped, so that a short run does not hide it."""
    skipped = [r for r in terminalreporter.stats.get("skipped", []) if _NO_SHARED in str(r.longrepr)]
    if skipped:
        terminalreporter.write_line(f"{len(skipped)} skipped: {_NO_SHARED}", yellow=True)


@pytest.fixture(autouse=True)
def _isolated_weight_cache(tmp_path_factory, monkeypatch):
    """Every test gets its own empty weight cache, never the user's."""
    monkeypatch.setenv("DTU_HOME", str(tmp_path_factory.mktemp("dtu_home")))


@pytest.fixture
def spec(tmp_path):
    """The ``tiny`` run spec with its own small text encoder (tests/tiny.py)."""
    from tiny import tiny_spec

    return tiny_spec(tmp_path)


@pytest.fixture
def model(spec):
    """A freshly built tiny retrieval model in eval mode, seeded."""
    import torch

    import dtu_audio

    torch.manual_seed(0)
    return dtu_audio.RetrievalModel.from_spec(spec.model, spec.audio).eval()


@pytest.fixture
def hub_cache(tmp_path, monkeypatch):
    """An empty huggingface_hub cache that the Hub functions read (tests run with HF_HUB_OFFLINE=1)."""
    import huggingface_hub.constants

    cache = tmp_path / "hub-cache"
    cache.mkdir()
    monkeypatch.setattr(huggingface_hub.constants, "HF_HUB_CACHE", str(cache))
    return cache
