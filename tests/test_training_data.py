"""Training dataset: crops, extras, padding, global batches, positives/negatives, split loading."""

from __future__ import annotations

import json

import numpy as np
import pytest
from train_data import write_dataset

from dtu_audio.datasets.temporal_pairs import read_pos_neg_json, sample_extras
from dtu_audio.datasets.training import CaptionDataset, GlobalBatchSampler, collate_captions
from dtu_audio.errors import DtuError
from dtu_audio.specs import load_spec
from dtu_audio.training.data import caption_pos_neg, check_bad_audio, load_split

POS_NEG = (["p1", "p2", "p3"], ["n1", "n2", "n3", "n4"])


def _dataset(seed=3):
    waves = [np.arange(100, dtype=np.float32), np.arange(30, dtype=np.float32), np.ones(5, dtype=np.float32)]
    captions = [("a then b", "b after a"), ("c",), ("d",)]
    pos_neg = [[POS_NEG, None], [None], [POS_NEG]]
    return CaptionDataset(captions, waves, keep=[0, 2], max_samples=20, pos_neg=pos_neg, crop_rng_seed=seed)


def test_items_are_captions_of_kept_audio_with_random_crops():
    data = _dataset()
    assert len(data) == 3
    items = [data[i] for i in range(3)]
    assert [(it.caption, it.audio_id) for it in items] == [("a then b", 0), ("b after a", 0), ("d", 2)]
    first = items[0].waveform
    assert first.shape == (20,) and np.array_equal(first, np.arange(first[0], first[0] + 20))
    assert items[2].waveform.shape == (5,)
    assert items[0].extras[:2] != items[0].extras[2:] and len(items[0].extras) == 4
    assert items[1].extras == []


def test_crops_and_extras_depend_on_seed_epoch_and_item_only():
    a, b = _dataset(), _dataset()
    assert np.array_equal(a[0].waveform, b[0].waveform) and a[0].extras == b[0].extras
    crops = set()
    for epoch in range(8):
        a.set_epoch(epoch)
        crops.add(float(a[0].waveform[0]))
    assert len(crops) > 1


def test_sample_extras_draws_two_positives_then_two_negatives():
    rng = np.random.default_rng(0)
    extras = sample_extras(POS_NEG, rng)
    assert set(extras[:2]) <= set(POS_NEG[0]) and set(extras[2:]) <= set(POS_NEG[1])
    assert len(set(extras[:2])) == 2 and len(set(extras[2:])) == 2
    assert sample_extras((["p"], ["n1", "n2"]), rng) == []
    assert sample_extras(None, rng) == []


def test_collate_pads_to_the_longest_clip():
    data = _dataset()
    batch = collate_captions([data[2], data[0]])
    assert batch.waveforms.shape == (2, 20)
    assert batch.lengths.tolist() == [5, 20]
    assert batch.waveforms[0, 5:].abs().sum() == 0
    assert batch.audio_ids.tolist() == [2, 0] and batch.captions == ["d", "a then b"]


def test_global_batches_do_not_depend_on_the_number_of_processes():
    single = GlobalBatchSampler(10, 4, seed=1)
    single.set_epoch(2)
    halves = [GlobalBatchSampler(10, 4, seed=1, rank=r, world_size=2) for r in range(2)]
    for s in halves:
        s.set_epoch(2)
    joined = [a + b for a, b in zip(*halves, strict=True)]
    assert list(single) == joined and len(single) == 2
    single.set_epoch(2, start_batch=1)
    assert list(single) == joined[1:] and len(single) == 1
    with pytest.raises(ValueError, match="divisible"):
        GlobalBatchSampler(10, 3, seed=1, world_size=2)


def test_reads_the_papers_pos_neg_json(reference_data):
    table = read_pos_neg_json(reference_data / "syncaps" / "audio_id_to_pos_neg_eg.json")
    positives, negatives = next(iter(table.values()))
    assert len(positives) == 4 and len(negatives) == 4


def test_malformed_pos_neg_json_is_a_clear_error(tmp_path):
    path = tmp_path / "pn.json"
    path.write_text(json.dumps({"x.wav": {"positive": ["a"]}}))
    with pytest.raises(DtuError, match="'x.wav' needs 'positive' and 'negative'"):
        read_pos_neg_json(path)


def _spec(root, tmp_path, **extra):
    overrides = {"data.data_root": str(root), "data.cache_dir": str(tmp_path / "cache"), **extra}
    return load_spec("audiocaps", overrides)


def test_load_split_reports_and_skips_bad_audio(tmp_path):
    root = write_dataset(tmp_path / "data", n_train=4, n_val=2)
    (root / "audio" / "train_1.wav").write_bytes(b"garbage")
    (root / "audio" / "train_2.wav").unlink()
    split = load_split(_spec(root, tmp_path), "train", show_progress=False)
    assert split.keep == [0, 3]
    assert sorted(split.bad) == [1, 2]
    with pytest.raises(DtuError, match=r"2 train audio files are missing or corrupt: .*train_1\.wav.*--skip-bad-audio"):
        check_bad_audio(split, skip_bad_audio=False)
    check_bad_audio(split, skip_bad_audio=True)


def test_missing_dataset_names_the_expected_layout(tmp_path):
    with pytest.raises(DtuError, match=r"expected .*nowhere/train\.json .* with audio in .*nowhere/audio"):
        load_split(_spec(tmp_path / "nowhere", tmp_path), "train")


def test_pos_neg_json_beside_the_manifest_serves_captions_with_a_connective(tmp_path):
    root = write_dataset(tmp_path / "data", n_train=6, n_val=1)
    entry = {"positive": ["a", "b"], "negative": ["c", "d"]}
    (root / "audio_id_to_pos_neg_eg.json").write_text(json.dumps({"train_0.wav": entry, "train_5.wav": entry}))
    spec = _spec(root, tmp_path)
    pos_neg = caption_pos_neg(spec, load_split(spec, "train", show_progress=False))
    assert pos_neg[0] == [(["a", "b"], ["c", "d"])]
    assert pos_neg[1] == [None], "a connective but no entry"
    assert pos_neg[5] == [None], "'a cat meows' has no connective"
    assert caption_pos_neg(_spec(root, tmp_path, **{"train.temporal_lambda": 0}), None) is None


def test_toolkit_makes_pos_neg_without_a_json(tmp_path):
    root = write_dataset(tmp_path / "data", n_train=6, n_val=1)
    spec = _spec(root, tmp_path)
    pos_neg = caption_pos_neg(spec, load_split(spec, "train", show_progress=False))
    positives, negatives = pos_neg[0][0]
    assert "a car horn after a dog barks" in [p.lower() for p in positives]
    assert "a car horn then a dog barks" in [n.lower() for n in negatives]
    assert pos_neg[5][0] == ([], [])
