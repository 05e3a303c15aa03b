"""``dtu eval`` end to end: a tiny model, generated audio, the SynCaps suite, cache, plot and comparison."""

from __future__ import annotations

import json

import numpy as np
import pytest
import soundfile as sf
import torch
from cli_helpers import run_dtu
from tiny import tiny_spec

from dtu_audio.datasets.manifest import AudioEntry, Manifest, write_manifest
from dtu_audio.encoders import RetrievalModel
from dtu_audio.encoders.checkpoint import save_checkpoint

CAPTIONS = [
    ("a dog barks then a cat meows", "a cat meows then a dog barks", "a dog barks after a cat meows"),
    (
        "a car passes followed by a door closes",
        "a door closes followed by a car passes",
        "a car passes preceded by a door closes",
    ),
    ("rain falls before a bell rings", "a bell rings before rain falls", "rain falls after a bell rings"),
    ("a man speaks while music plays", "a man speaks while music plays", "a man speaks while music plays"),
]


def _write_data(root):
    root.mkdir()
    rng = np.random.default_rng(0)
    ids = [f"clip{i}.wav" for i in range(len(CAPTIONS))]
    for i, name in enumerate(ids):
        sf.write(root / name, (0.1 * rng.standard_normal(32000 + 4000 * i)).astype(np.float32), 32000)
    for column, file_name in enumerate(("test.json", "test_reverse.json", "test_replaced.json")):
        entries = tuple(AudioEntry(id=n, audio=n, captions=(c[column],)) for n, c in zip(ids, CAPTIONS, strict=True))
        write_manifest(Manifest(1, entries), root / file_name)


def _checkpoint(tmp_path, name, seed):
    torch.manual_seed(seed)
    spec = tiny_spec(tmp_path)
    path = tmp_path / name
    save_checkpoint(path, RetrievalModel.from_spec(spec.model, spec.audio), spec)
    return path


@pytest.fixture
def data(tmp_path):
    _write_data(tmp_path / "syncaps")
    return tmp_path / "syncaps"


def test_eval_writes_results_and_reuses_cached_embeddings(tmp_path, data, monkeypatch, capsys):
    checkpoint = _checkpoint(tmp_path, "model.pt", seed=0)
    out = tmp_path / "out"
    args = ("eval", "--ckpt", checkpoint, "--dataset", "syncaps", "--data-root", data, "--out", out, "--device", "cpu")
    code, stdout, stderr = run_dtu(monkeypatch, capsys, *args, "--plot", columns=80)
    assert code == 0, stderr
    tables = stdout[: stdout.index(f"{checkpoint}: audio embedded")]  # the last lines name long paths unwrapped
    assert all(len(line) <= 80 for line in tables.splitlines()) and "…" not in stdout
    for title in ("retrieval", "order", "recall on variants", "order accuracy by connective"):
        assert f"on syncaps: {title}" in stdout or title in stdout
    assert "test_replaced" in stdout and "shuffled" in stdout and "grounded" in stdout
    assert "n/a" in stdout  # the text-only column: no training captions here
    assert "audio embedded 4, reused 8" in stdout

    result = json.loads((out / "results.json").read_text())
    assert list(result["sets"]) == ["test", "test_reverse", "test_replaced"]
    assert result["checkpoint"]["sha256"] and result["spec"]["eval"]["suite"] == "all"
    scores = result["sets"]["test"]["one_caption"]
    assert set(scores["t2a"]) == {"R1", "R5", "R10", "R50", "medR", "meanR", "mAP10"}
    assert scores["t2a"]["R10"] == 100.0
    reverse = result["sets"]["test_reverse"]
    assert reverse["order_accuracy"]["pairs"] == 3
    assert reverse["text_baseline"]["accuracy"] is None  # no training split next to the test set
    assert "no training captions" in reverse["text_baseline"]["reason"]
    assert list(reverse["by_connective"]) == ["followed by", "then", "before"]
    assert reverse["by_overlap"] == {}  # these clip names do not say
    assert reverse["pair_outcomes"]["clips"] == [0, 1, 2]
    assert set(reverse["changes"]["one_caption"]["a2t"]) == set(scores["a2t"])
    assert (out / "plot.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert (out / "spec.yaml").is_file()

    code, stdout, _ = run_dtu(monkeypatch, capsys, *args)
    assert code == 0
    assert "audio embedded 0, reused 12" in stdout
    assert json.loads((out / "results.json").read_text())["sets"] == result["sets"]


def test_changed_checkpoint_is_embedded_again(tmp_path, data, monkeypatch, capsys):
    checkpoint = _checkpoint(tmp_path, "model.pt", seed=0)
    args = ("eval", "--ckpt", checkpoint, "--dataset", "syncaps", "--data-root", data, "--out", tmp_path / "out")
    assert run_dtu(monkeypatch, capsys, *args)[0] == 0
    _checkpoint(tmp_path, "model.pt", seed=1)
    code, stdout, _ = run_dtu(monkeypatch, capsys, *args)
    assert code == 0
    assert "audio embedded 4, reused 8" in stdout


def test_compare_two_checkpoints(tmp_path, data, monkeypatch, capsys):
    first, second = _checkpoint(tmp_path, "l0.pt", seed=0), _checkpoint(tmp_path, "l10.pt", seed=1)
    out = tmp_path / "out"
    code, stdout, stderr = run_dtu(
        monkeypatch,
        capsys,
        "eval",
        "--compare",
        first,
        second,
        "--dataset",
        "syncaps",
        "--data-root",
        data,
        "--out",
        out,
    )
    assert code == 0, stderr
    assert f"A = {first} (dtu)" in stdout and f"B = {second} (dtu)" in stdout
    assert "comparison on syncaps" in stdout and "order accuracy against A" in stdout
    runs = json.loads((out / "results.json").read_text())["runs"]
    assert [r["checkpoint"]["name"] for r in runs] == [str(first), str(second)]


def test_missing_audio_is_one_line_error(tmp_path, data, monkeypatch, capsys):
    checkpoint = _checkpoint(tmp_path, "model.pt", seed=0)
    (data / "clip1.wav").unlink()
    code, _, stderr = run_dtu(
        monkeypatch, capsys, "eval", "--ckpt", checkpoint, "--dataset", "syncaps", "--data-root", data
    )
    assert code == 2
    lines = [line for line in stderr.splitlines() if line.strip()]
    # the CPU settings and the progress line a log gets, then the error
    assert lines[0].startswith("CPU: ") and lines[1].startswith("evaluating ") and len(lines) == 3, stderr
    assert lines[2].startswith("error: ") and "1 of 4 audio files not found" in lines[2] and "clip1.wav" in lines[2]


def test_missing_data_and_checkpoint_are_one_line_errors(tmp_path, data, monkeypatch, capsys):
    code, _, stderr = run_dtu(
        monkeypatch, capsys, "eval", "--ckpt", tmp_path / "nope.pt", "--dataset", "syncaps", "--data-root", data
    )
    assert code == 2 and "nope.pt does not exist" in stderr
    checkpoint = _checkpoint(tmp_path, "model.pt", seed=0)
    code, _, stderr = run_dtu(monkeypatch, capsys, "eval", "--ckpt", checkpoint, "--dataset", "syncaps")
    assert code == 2 and "pass --data-root" in stderr
    code, _, stderr = run_dtu(monkeypatch, capsys, "eval", "--ckpt", checkpoint, "--dataset", "nowhere")
    assert code == 2 and "unknown dataset 'nowhere'" in stderr


def test_own_manifest_gets_its_temporal_variants_derived(tmp_path, data, monkeypatch, capsys):
    checkpoint = _checkpoint(tmp_path, "model.pt", seed=0)
    out = tmp_path / "out"
    train = ["a bird sings then a dog barks", "a horn honks followed by a man speaking", "a bell rings before rain"]
    write_manifest(
        Manifest(1, tuple(AudioEntry(f"t{i}.wav", "x", (c,)) for i, c in enumerate(train))), data / "train.json"
    )
    code, _, stderr = run_dtu(
        monkeypatch, capsys, "eval", "--ckpt", checkpoint, "--dataset", data / "test.json", "--out", out
    )
    assert code == 0, stderr
    result = json.loads((out / "results.json").read_text())
    assert result["dataset"] == "test"
    assert {n: e["clips"] for n, e in result["sets"].items()} == {
        "test": 4,
        "future_past": 3,
        "future_past_reverse": 3,
        "future_past_replace": 3,
        "future_past_matched": 3,
        "future_past_matched_replace": 3,
    }
    assert result["sets"]["future_past_reverse"]["source"] == "reverse of future_past"
    baseline = result["sets"]["future_past_reverse"]["text_baseline"]
    assert baseline["training_pairs"] == 3 and baseline["pairs"] == 3 and 0 <= baseline["accuracy"] <= 100
    assert baseline["trained_on"].endswith("train.json")
    assert result["sets"]["future_past_matched_replace"]["variant_of"] == "future_past_matched"
    assert result["sets"]["future_past_reverse"]["order_accuracy"]["pairs"] == 3


def test_eval_of_an_imported_fine_tuned_checkpoint_uses_the_eval_section(tmp_path, data, monkeypatch, capsys):
    import yaml

    from dtu_audio.weights import import_file, weight_path

    import_file("dtu-finetuned/clotho_lambda10", _checkpoint(tmp_path, "clotho_lambda10.pt", seed=0))
    code, _, stderr = run_dtu(
        monkeypatch,
        capsys,
        *("eval", "--ckpt", "dtu-finetuned/clotho_lambda10", "--dataset", "syncaps", "--data-root", data),
        *("--device", "cpu", "--set", f"eval.output_dir={tmp_path / 'evals'}"),
        *("--set", f"train.output_dir={tmp_path / 'train-runs'}", "--set", "train.device=cuda:7"),
    )
    assert code == 0, stderr
    (folder,) = (tmp_path / "evals").iterdir()
    result = json.loads((folder / "results.json").read_text())
    assert result["checkpoint"]["path"] == str(weight_path("dtu-finetuned/clotho_lambda10").resolve())
    assert result["device"] == "cpu"
    saved = yaml.safe_load((folder / "spec.yaml").read_text())
    assert saved["eval"]["device"] == "cpu" and saved["eval"]["seed"] == 0
    assert not (tmp_path / "train-runs").exists()
