"""Saving and loading checkpoints on the tiny model; every bad checkpoint fails with one clear message."""

from __future__ import annotations

import numpy as np
import pytest
import torch

import dtu_audio
from dtu_audio.encoders import load_checkpoint, load_model, save_checkpoint
from dtu_audio.errors import DtuError


@pytest.fixture
def saved(tmp_path, model, spec):
    path = tmp_path / "runs" / "best.pt"
    save_checkpoint(path, model, spec, epoch=3)
    return path


def test_round_trip_rebuilds_the_saved_spec(saved, model, spec):
    loaded = dtu_audio.load_model(saved)
    assert not loaded.training
    assert loaded.model_spec == spec.model and loaded.audio_spec == spec.audio
    waves = torch.from_numpy(np.random.default_rng(0).standard_normal((2, 64000)).astype(np.float32))
    with torch.inference_mode():
        assert torch.equal(loaded.encode_audio(waves), model.encode_audio(waves))
        assert torch.equal(loaded.encode_text(["a dog barks"]), model.encode_text(["a dog barks"]))


def test_saved_file_uses_the_original_layout(saved, model):
    ckpt = torch.load(saved, weights_only=True)
    assert list(ckpt["model"]) == list(model.state_dict())
    assert ckpt["version"] == dtu_audio.__version__ and ckpt["epoch"] == 3
    assert ckpt["spec"]["model"]["embed_size"] == 32
    assert [p.name for p in saved.parent.iterdir()] == ["best.pt"]


def test_load_checkpoint_returns_the_other_entries(saved, spec):
    fresh = dtu_audio.RetrievalModel.from_spec(spec.model, spec.audio)
    extra = load_checkpoint(fresh, saved)
    assert extra["epoch"] == 3 and "spec" in extra


def _write_state(path, state):
    torch.save({"model": state}, path)
    return path


def test_missing_extra_and_misshaped_entries_are_listed(tmp_path, model, spec):
    state = dict(model.state_dict())
    del state["audio_proj.0.bias"]
    state["text_proj.5.weight"] = torch.zeros(1)
    state["audio_proj.2.weight"] = torch.zeros(3, 3)
    path = _write_state(tmp_path / "bad.pt", state)
    fresh = dtu_audio.RetrievalModel.from_spec(spec.model, spec.audio)
    with pytest.raises(DtuError) as err:
        load_checkpoint(fresh, path)
    message = str(err.value)
    assert "\n" not in message and "bad.pt" in message
    assert "1 missing (audio_proj.0.bias)" in message
    assert "1 unexpected (text_proj.5.weight)" in message
    assert "1 mis-shaped (audio_proj.2.weight: [3, 3] in the file, [32, 32] in the model)" in message


def test_long_lists_show_the_first_few_and_the_count(tmp_path, model, spec):
    state = {k: v for k, v in model.state_dict().items() if not k.startswith("text_encoder.")}
    path = _write_state(tmp_path / "no_text.pt", state)
    with pytest.raises(DtuError, match=r"\d+ missing \(text_encoder\.[^)]*, \.\.\. \d+ more\)"):
        load_checkpoint(dtu_audio.RetrievalModel.from_spec(spec.model, spec.audio), path)


def test_front_end_kernels_and_position_ids_are_dropped(tmp_path, model, spec):
    state = dict(model.state_dict())
    state["audio_encoder.audio_enc.audio_feats_extractor.log_trans.melW"] = torch.zeros(513, 16)
    state["text_encoder.text_encoder.embeddings.position_ids"] = torch.arange(64).unsqueeze(0)
    fresh = dtu_audio.RetrievalModel.from_spec(spec.model, spec.audio)
    load_checkpoint(fresh, _write_state(tmp_path / "orig.pt", state))
    assert torch.equal(fresh.audio_proj[0].weight, model.audio_proj[0].weight)


def test_unreadable_files_fail_cleanly(tmp_path, model):
    with pytest.raises(DtuError, match="does not exist"):
        load_model(tmp_path / "nope.pt")
    (tmp_path / "junk.pt").write_bytes(b"junk")
    with pytest.raises(DtuError, match="cannot read checkpoint"):
        load_checkpoint(model, tmp_path / "junk.pt")
    torch.save({"weights": {}}, tmp_path / "other.pt")
    with pytest.raises(DtuError, match="neither a 'model' nor a 'state_dict'"):
        load_checkpoint(model, tmp_path / "other.pt")


def test_audio_only_checkpoint_is_not_a_model(tmp_path, model):
    torch.save({"state_dict": {"sed_model.bn0.weight": torch.ones(16)}}, tmp_path / "HTSAT.ckpt")
    with pytest.raises(DtuError, match="audio encoder only"):
        load_model(tmp_path / "HTSAT.ckpt")


def test_invalid_saved_spec_fails_cleanly(tmp_path, model):
    torch.save({"model": model.state_dict(), "spec": {"model": {"embed_size": -1}}}, tmp_path / "s.pt")
    with pytest.raises(DtuError, match="invalid spec"):
        load_model(tmp_path / "s.pt")


def test_uncached_weight_name_says_how_to_fetch_it():
    with pytest.raises(DtuError, match="dtu fetch-weights wavcaps-pt"):
        load_model("wavcaps-pt")


def test_weight_cache_names_load(saved, model):
    from dtu_audio.weights import import_file

    import_file("dtu-finetuned/tiny", saved)
    loaded = load_model("dtu-finetuned/tiny")
    assert torch.equal(loaded.audio_proj[0].weight, model.audio_proj[0].weight)
