"""Building and writing the paper's split files."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from dtu_audio.datasets.manifest import AudioEntry, Manifest, read_manifest
from dtu_audio.datasets.splits import (
    POS_NEG_FILE,
    build_split,
    collect_files,
    future_past,
    positives_negatives,
    split_file_name,
    write_split_files,
)
from dtu_audio.errors import DtuError


def _manifest(*caption_lists: tuple[str, ...]) -> Manifest:
    entries = tuple(AudioEntry(id=f"a{i}.wav", audio=f"/x/a{i}.wav", captions=c) for i, c in enumerate(caption_lists))
    return Manifest(len(caption_lists[0]), entries)


TEST_SPLIT = _manifest(
    ("A dog barks followed by a car horn", "Rain falls", "Rain", "Rain", "Rain"),
    ("Birds chirp", "Birds sing", "Wind", "Wind", "Wind"),
    ("A man speaks then a door slams.", "A door", "A door", "A door", "A man shouting before and after a bang"),
)


def test_file_names_follow_the_papers():
    assert split_file_name("audiocaps", "train", 1, "orig") == "train_audioset_orig.json"
    assert split_file_name("audiocaps", "val", 5, "rearranged") == "val_audioset_5_rearranged.json"
    assert split_file_name("audiocaps", "test", 5, "orig") == "test_full.json"
    assert split_file_name("audiocaps", "test", 5, "orig", "_reverse") == "test_audioset_5_future_past_reverse.json"
    assert split_file_name("audiocaps", "test", 5, "rearranged", "") == "test_audioset_5_rearranged_future_past.json"
    assert split_file_name("clotho", "test", 5, "orig") == "test.json"
    assert split_file_name("clotho", "test", 5, "orig", "_replace") == "test_future_past_replace_5captions.json"
    assert split_file_name("clotho", "val", 5, "rearranged") == "val_rearranged.json"
    with pytest.raises(DtuError, match="unknown dataset 'esc50'"):
        split_file_name("esc50", "test", 5, "orig")


def test_test_split_gets_the_temporal_variants():
    built = build_split("test", TEST_SPLIT, "audiocaps", seed=0)
    assert sorted(built.files) == [
        "test_audioset_5_future_past.json",
        "test_audioset_5_future_past_replace.json",
        "test_audioset_5_future_past_reverse.json",
        "test_audioset_5_rearranged.json",
        "test_audioset_5_rearranged_future_past.json",
        "test_audioset_5_rearranged_future_past_replace.json",
        "test_audioset_5_rearranged_future_past_reverse.json",
        "test_full.json",
    ]
    rows = built.files["test_audioset_5_future_past_reverse.json"]["data"]
    assert [r["id"] for r in rows] == ["a0.wav", "a2.wav"]
    assert rows[0]["caption_1"] == "A car horn followed by a dog barking"
    assert rows[1]["caption_1"] == "A door slams then a man speaks."
    assert rows[1]["caption_5"] == "A man shouting before and after a bang"
    replaced = built.files["test_audioset_5_future_past_replace.json"]["data"]
    assert replaced[0]["caption_1"] == "A dog barks preceded by a car horn"
    assert built.counts_before["followed by"] == 1 and built.counts_before["then"] == 1


def test_other_splits_get_original_and_rearranged_only():
    built = build_split("val", TEST_SPLIT, "clotho", seed=0)
    assert sorted(built.files) == ["val.json", "val_rearranged.json"]
    with pytest.raises(DtuError, match="unknown split 'dev'"):
        build_split("dev", TEST_SPLIT, "audiocaps", seed=0)


def test_future_past_keeps_audios_with_a_connective():
    assert [e.id for e in future_past(TEST_SPLIT).entries] == ["a0.wav", "a2.wav"]


def test_positives_negatives_have_the_papers_shape():
    pos_neg = positives_negatives(TEST_SPLIT)
    assert set(pos_neg) == {"a0.wav", "a2.wav"}
    assert pos_neg["a0.wav"]["positive"][0] == "A dog barks before a car horn"
    assert pos_neg["a0.wav"]["negative"][0] == "A car horn before a dog barks"
    assert all(len(v["positive"]) == len(v["negative"]) == 4 for v in pos_neg.values())
    assert collect_files([build_split("val", TEST_SPLIT, "audiocaps", seed=0)])[POS_NEG_FILE] == pos_neg


def test_future_past_of_the_audiocaps_test_set_is_the_papers(reference_data):
    full = read_manifest(reference_data / "audiocaps" / "test_full.json")
    paper = read_manifest(reference_data / "audiocaps" / "test_audioset_5_future_past.json")
    assert future_past(full) == paper
    assert len(paper) == 592


def test_write_refuses_to_overwrite_without_force(tmp_path):
    files = collect_files([build_split("test", TEST_SPLIT, "audiocaps", seed=0)])
    written = write_split_files(files, tmp_path)
    assert len(written) == 9
    target = tmp_path / "test_full.json"
    target.write_text("keep me")
    with pytest.raises(DtuError, match=r"9 output files already exist .*--force"):
        write_split_files(files, tmp_path)
    assert target.read_text() == "keep me"
    write_split_files(files, tmp_path, force=True)
    assert json.loads(target.read_text())["num_captions_per_audio"] == 5
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(p.name for p in written)


def test_temporaries_of_a_killed_run_go_even_when_the_rerun_is_refused(tmp_path):
    files = collect_files([build_split("test", TEST_SPLIT, "audiocaps", seed=0)])
    written = write_split_files(files, tmp_path)
    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True)
    left = tmp_path / f".test_full.json.{int(dead.stdout)}.a1b2c3.tmp"
    left.write_text('{"num_captions_per_audio": 5, "da')
    with pytest.raises(DtuError, match="already exist"):
        write_split_files(files, tmp_path)
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(p.name for p in written)


def test_write_into_a_file_is_a_one_line_error(tmp_path):
    (tmp_path / "out").write_text("")
    with pytest.raises(DtuError, match="is a file"):
        write_split_files({"val.json": {}}, tmp_path / "out")
