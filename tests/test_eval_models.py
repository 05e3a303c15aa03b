"""``dtu eval --compare`` across model families on a synthesized SynCaps set, read at 80 columns."""

from __future__ import annotations

import csv
import io
import json

import pytest
import torch
from cli_helpers import run_dtu
from rich.console import Console
from tiny import tiny_spec
from tiny_clap import add_to_hub_cache, write_tiny_clap

from dtu_audio.datasets.temporal import CONNECTIVES
from dtu_audio.encoders import RetrievalModel
from dtu_audio.encoders.checkpoint import save_checkpoint
from dtu_audio.evaluation.render import CSV_COLUMNS
from dtu_audio.quickstart import build_dataset


@pytest.fixture(scope="module")
def syncaps(tmp_path_factory):
    """A 50-clip SynCaps-style set rendered from the built-in synthesized sounds (10 test clips)."""
    out = tmp_path_factory.mktemp("synth")
    return build_dataset(out, num_clips=50, seed=0, sample_rate=16000, workers=1, console=Console(file=io.StringIO()))


def _tables_fit(stdout: str, columns: int = 80) -> bool:
    """Whether every table line fits (the legend and the closing lines name long paths, unwrapped)."""
    lines = [line for line in stdout.splitlines() if not line.startswith(("A = ", "B = ", "/", "hf:", "results "))]
    return all(len(line) <= columns for line in lines) and "…" not in stdout


def test_compare_a_dtu_checkpoint_and_a_clap_model(tmp_path, syncaps, hub_cache, monkeypatch, capsys):
    torch.manual_seed(0)
    spec = tiny_spec(tmp_path)
    checkpoint = tmp_path / "dtu.pt"
    save_checkpoint(checkpoint, RetrievalModel.from_spec(spec.model, spec.audio), spec)
    add_to_hub_cache(hub_cache, "tiny-org/tiny-clap", write_tiny_clap(tmp_path / "clap"))
    out = tmp_path / "out"
    args = ["eval", "--compare", checkpoint, "hf:tiny-org/tiny-clap", "--dataset", "syncaps", "--data-root", syncaps]
    args += ["--out", out, "--device", "cpu"]

    code, stdout, stderr = run_dtu(monkeypatch, capsys, *args, "--plot", columns=80)
    assert code == 0, stderr
    assert _tables_fit(stdout), stdout
    assert f"A = {checkpoint} (dtu)" in stdout and "B = hf:tiny-org/tiny-clap (clap)" in stdout
    for title in ("comparison on syncaps", "order accuracy against A", "order accuracy by connective and overlap"):
        assert title in stdout
    runs = json.loads((out / "results.json").read_text())["runs"]
    assert [r["checkpoint"]["family"] for r in runs] == ["dtu", "clap"]
    for run in runs:
        reverse = run["sets"]["test_reverse"]
        assert set(reverse["by_connective"]) <= set(CONNECTIVES)
        assert set(reverse["by_overlap"]) == {"apart", "overlapping"}
        assert sum(g["pairs"] for g in reverse["by_overlap"].values()) == reverse["order_accuracy"]["pairs"]
        assert reverse["shuffled_audio"]["pairs"] == reverse["order_accuracy"]["pairs"]
        grounded = reverse["grounded"]["difference"]
        assert grounded == pytest.approx(reverse["order_accuracy"]["accuracy"] - reverse["shuffled_audio"]["accuracy"])
    assert (out / "plot.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"

    code, stdout, _ = run_dtu(monkeypatch, capsys, *args, "--format", "csv")
    assert code == 0
    rows = list(csv.DictReader(io.StringIO(stdout)))
    assert tuple(rows[0]) == CSV_COLUMNS
    assert {r["model"] for r in rows} == {str(checkpoint), "hf:tiny-org/tiny-clap"}
    assert any(r["metric"] == "grounded_difference" for r in rows)

    code, stdout, stderr = run_dtu(monkeypatch, capsys, *args, "--format", "md")
    assert code == 0 and "| set | model |" in stdout and "audio embedded 0, reused" in stderr

    code, stdout, _ = run_dtu(monkeypatch, capsys, *args, "--format", "json")
    assert code == 0 and json.loads(stdout)["runs"][1]["sets"] == runs[1]["sets"]


def test_help_lists_the_name_scheme(monkeypatch, capsys):
    code, stdout, _ = run_dtu(monkeypatch, capsys, "eval", "--help")
    assert code == 0
    flat = " ".join(stdout.split())
    for part in ("hf:ORG/NAME", "save_pretrained", "weight-cache name", "HF_HUB_OFFLINE=1", "--compare"):
        assert part in flat


def test_compare_needs_two_models(monkeypatch, capsys):
    code, _, stderr = run_dtu(monkeypatch, capsys, "eval", "--compare", "a.pt", "--dataset", "syncaps")
    assert code == 2 and "two or more models" in stderr
    code, _, stderr = run_dtu(monkeypatch, capsys, "eval", "--ckpt", "a.pt", "--compare", "b.pt", "--dataset", "x")
    assert code == 2 and "either --ckpt" in stderr
