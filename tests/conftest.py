"""Shared test fixtures: the ../shared reference material and an offline hub."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

os.environ.setdefault("HF_HUB_OFFLINE", "1")

REPO_ROOT = Path(__file__).resolve().parents[1]
SHARED = Path(os.environ.get("DTU_SHARED", REPO_ROOT.parent / "shared"))


@pytest.fixture(scope="session")
def shared() -> Path:
    """The project's shared reference material (parity fixtures and dataset metadata)."""
    if not SHARED.is_dir():
        pytest.skip(f"shared reference material not found at {SHARED} (set DTU_SHARED)")
    return SHARED


@pytest.fixture(scope="session")
def reference_data(shared: Path) -> Path:
    return shared / "reference-data"


@pytest.fixture(scope="session")
def parity(shared: Path) -> Path:
    return shared / "parity"


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
