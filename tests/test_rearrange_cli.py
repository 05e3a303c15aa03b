"""``dtu rearrange-splits`` through the installed entry point (``python -m dtu_audio``)."""

from __future__ import annotations

import json
import re
import subprocess

import pytest
from cli_helpers import dtu_process, run_dtu, write_csv

from dtu_audio.datasets.temporal import CONNECTIVES


def _assert_one_line_error(result: subprocess.CompletedProcess, *fragments: str) -> None:
    assert result.returncode == 2, result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), result.stderr
    assert "Traceback" not in result.stderr
    for fragment in fragments:
        assert fragment in lines[0]


@pytest.fixture
def small_val_csv(tmp_path):
    rows = [
        ["Ya.wav", "A dog barks followed by a car horn", "A dog barks", "Rain", "Rain", "Rain"],
        ["Yb.wav", "A man speaks then a door slams", "Wind", "Wind", "Wind", "Wind"],
        ["Yc.wav", "Water runs before a woman laughs", "Birds", "Birds", "Birds", "Birds"],
    ]
    return write_csv(tmp_path / "val.csv", ["file_name", *(f"caption_{k}" for k in range(1, 6))], rows)


def test_help_lists_the_command_with_one_line():
    top = dtu_process("--help")
    assert top.returncode == 0
    line = next(line for line in top.stdout.splitlines() if "rearrange-splits" in line)
    assert "Write the paper's rebalanced and temporal split files." in line
    help_ = dtu_process("rearrange-splits", "--help")
    assert help_.returncode == 0
    for option in ("--train", "--val", "--test", "--from", "--out", "--seed", "--force"):
        assert option in help_.stdout


def test_audiocaps_val_and_test_give_the_papers_files_and_balanced_counts(reference_data, tmp_path):
    audiocaps = reference_data / "audiocaps"
    result = dtu_process(
        "rearrange-splits", "--val", audiocaps / "val_audioset_5_orig.json", "--test", audiocaps / "test_full.json",
        "--out", tmp_path / "out", env={"COLUMNS": "80"},
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert "wrote 11 files" in result.stdout and max(map(len, result.stdout.splitlines())) <= 80
    assert "│ followed by │  220 -> 105 │ 1208 -> 388 │" in result.stdout
    assert "│ max/min     │ inf -> 1.01 │ inf -> 1.00 │" in result.stdout
    names = sorted(p.name for p in (tmp_path / "out").iterdir())
    assert names == sorted(
        [
            "val_audioset_5_orig.json",
            "val_audioset_5_rearranged.json",
            "test_full.json",
            "test_audioset_5_rearranged.json",
            "test_audioset_5_future_past.json",
            "test_audioset_5_future_past_reverse.json",
            "test_audioset_5_future_past_replace.json",
            "test_audioset_5_rearranged_future_past.json",
            "test_audioset_5_rearranged_future_past_reverse.json",
            "test_audioset_5_rearranged_future_past_replace.json",
            "audio_id_to_pos_neg_eg.json",
        ]
    )
    out = tmp_path / "out"
    original = json.loads((audiocaps / "val_audioset_5_orig.json").read_text())
    assert json.loads((out / "val_audioset_5_orig.json").read_text()) == original
    paper_test = json.loads((audiocaps / "test_full.json").read_text())
    assert json.loads((out / "test_full.json").read_text()) == paper_test
    paper_future_past = json.loads((audiocaps / "test_audioset_5_future_past.json").read_text())
    assert json.loads((out / "test_audioset_5_future_past.json").read_text()) == paper_future_past
    rearranged = json.loads((out / "val_audioset_5_rearranged.json").read_text())["data"]
    text = " ".join(row[f"caption_{k}"] for row in rearranged for k in range(1, 6)).lower()
    counts = [len(re.findall(rf"\b{c}\b", text)) for c in CONNECTIVES]
    assert max(counts) / min(counts) <= 1.3, counts


def test_same_seed_same_files_other_seed_other_files(small_val_csv, tmp_path):
    for name, seed in (("a", 5), ("b", 5), ("c", 6)):
        assert (
            dtu_process("rearrange-splits", "--val", small_val_csv, "--out", tmp_path / name, "--seed", seed).returncode
            == 0
        )
    read = {n: (tmp_path / n / "val_audioset_5_rearranged.json").read_bytes() for n in "abc"}
    assert read["a"] == read["b"]
    assert read["a"] != read["c"]


def test_existing_outputs_need_force(small_val_csv, tmp_path):
    out = tmp_path / "out"
    assert dtu_process("rearrange-splits", "--val", small_val_csv, "--out", out).returncode == 0
    target = out / "val_audioset_5_orig.json"
    target.write_text("precious")
    _assert_one_line_error(
        dtu_process("rearrange-splits", "--val", small_val_csv, "--out", out), "already exist", "--force"
    )
    assert target.read_text() == "precious"
    assert dtu_process("rearrange-splits", "--val", small_val_csv, "--out", out, "--force").returncode == 0
    assert json.loads(target.read_text())["data"][0]["id"] == "Ya.wav"
    assert not [p for p in out.iterdir() if p.name.endswith(".tmp")]


def test_folder_input_and_audiocaps_own_csv_layout(small_val_csv, tmp_path):
    write_csv(
        tmp_path / "train.csv",
        ["audiocap_id", "youtube_id", "start_time", "caption"],
        [["1", "abc", "30", "A dog barks then a cat meows"], ["2", "xyz", "0", "Rain falls"]],
    )
    result = dtu_process("rearrange-splits", "--from", tmp_path, "--out", tmp_path / "out", "--dataset", "audiocaps")
    assert result.returncode == 0, result.stderr
    names = sorted(p.name for p in (tmp_path / "out").iterdir())
    assert names == sorted(
        [
            "train_audioset_orig.json",
            "train_audioset_rearranged.json",
            "val_audioset_5_orig.json",
            "val_audioset_5_rearranged.json",
            "audio_id_to_pos_neg_eg.json",
        ]
    )
    train = json.loads((tmp_path / "out" / "train_audioset_orig.json").read_text())
    assert train["num_captions_per_audio"] == 1 and train["data"][0]["id"] == "Yabc.wav"
    pos_neg = json.loads((tmp_path / "out" / "audio_id_to_pos_neg_eg.json").read_text())
    assert set(pos_neg) == {"Yabc.wav", "Ya.wav", "Yb.wav", "Yc.wav"}
    assert pos_neg["Yabc.wav"]["negative"][0] == "A cat meows followed by a dog barking"


def test_clotho_manifest_input(reference_data, tmp_path):
    result = dtu_process(
        "rearrange-splits", "--test", reference_data / "clotho" / "val.json", "--dataset", "clotho",
        "--out", tmp_path,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    reversed_ = json.loads((tmp_path / "test_future_past_reverse_5captions.json").read_text())
    assert json.loads((tmp_path / "test.json").read_text())["data"][0]["id"].endswith(".wav")
    assert reversed_["num_captions_per_audio"] == 5 and len(reversed_["data"]) > 50


def test_bad_inputs_are_one_line_errors(small_val_csv, tmp_path):
    out = tmp_path / "out"
    _assert_one_line_error(dtu_process("rearrange-splits", "--out", out), "no input")
    _assert_one_line_error(
        dtu_process("rearrange-splits", "--val", tmp_path / "nope.json", "--out", out), "does not exist"
    )
    (tmp_path / "broken.json").write_text("{not json")
    _assert_one_line_error(
        dtu_process("rearrange-splits", "--val", tmp_path / "broken.json", "--out", out), "not valid JSON"
    )
    (tmp_path / "bad.json").write_text(json.dumps({"num_captions_per_audio": 3, "data": []}))
    _assert_one_line_error(
        dtu_process("rearrange-splits", "--val", tmp_path / "bad.json", "--out", out), "allowed: 1 or 5"
    )
    write_csv(tmp_path / "odd.csv", ["name", "text"], [["a", "b"]])
    _assert_one_line_error(
        dtu_process("rearrange-splits", "--val", tmp_path / "odd.csv", "--out", out), "unknown header"
    )
    _assert_one_line_error(dtu_process("rearrange-splits", "--from", tmp_path / "none", "--out", out), "does not exist")
    _assert_one_line_error(
        dtu_process("rearrange-splits", "--val", small_val_csv, "--dataset", "esc50", "--out", out), "unknown dataset"
    )
    _assert_one_line_error(dtu_process("rearrange-splits", "--val", small_val_csv, "--out", small_val_csv), "is a file")
    assert not out.exists()


def test_rearrange_splits_and_eval_give_the_same_rearranged_test_set_by_default(tmp_path):
    from dtu_audio.datasets.manifest import read_manifest
    from dtu_audio.evaluation.prepare import prepare_suite
    from dtu_audio.specs import load_spec

    events = ["a dog barks", "a car passes", "rain falls", "a bell rings", "a man speaks", "birds sing"]
    rows = [
        [f"Y{i}.wav", *(f"{events[(i + k) % 6]} {word} {events[(i + k + 1) % 6]}" for k in range(5))]
        for i, word in enumerate(["followed by", "then", "before", "after", "and then"] * 6)
    ]
    data = tmp_path / "data"
    data.mkdir()
    write_csv(data / "test.csv", ["file_name", *(f"caption_{k}" for k in range(1, 6))], rows)
    assert dtu_process("rearrange-splits", "--test", data / "test.csv", "--out", tmp_path / "out").returncode == 0
    written = read_manifest(tmp_path / "out" / "test_audioset_5_rearranged.json").captions
    prepared = prepare_suite("audiocaps", load_spec("audiocaps"), data)
    derived = next(s for s in prepared.test_sets if s.name == "rearranged").manifest.captions
    assert derived == written
    other_seed = prepare_suite("audiocaps", load_spec("audiocaps", ["eval.seed=20"]), data)
    assert next(s for s in other_seed.test_sets if s.name == "rearranged").manifest.captions != written


def test_detectability_table_is_printed_on_request(small_val_csv, tmp_path, monkeypatch, capsys):
    args = ("rearrange-splits", "--val", small_val_csv, "--out", tmp_path / "out", "--detectability")
    code, stdout, stderr = run_dtu(monkeypatch, capsys, *args)
    assert code == 0, stderr
    assert "Text-only detectability" in stdout and "replace_matched" in stdout
