"""Models on the benchmark: the embedder interface, CLAP through transformers, and the one name scheme."""

from __future__ import annotations

import json

import numpy as np
import pytest
import soundfile as sf
import soxr
import torch
from tiny_clap import SAMPLE_RATE, add_to_hub_cache, write_tiny_clap

import dtu_audio
from dtu_audio.embedders import load_embedder
from dtu_audio.encoders.checkpoint import save_checkpoint
from dtu_audio.errors import DtuError

CAPTIONS = ["a dog barks then a cat meows", "rain falls", "a door closes followed by a bell rings"]


def _waveforms():
    rng = np.random.default_rng(0)
    return [rng.standard_normal(n).astype(np.float32) * 0.1 for n in (SAMPLE_RATE // 2, SAMPLE_RATE, 3 * SAMPLE_RATE)]


@pytest.mark.parametrize("fused", [False, True])
def test_clap_embeddings_equal_get_features(tmp_path, fused):
    folder = write_tiny_clap(tmp_path / "clap", fused=fused)
    embedder = load_embedder(folder, device="cpu", precision="fp32")
    assert embedder.family == "clap" and embedder.sample_rate == 48000
    waveforms = _waveforms()
    model = embedder.model
    inputs = embedder.audio_inputs(waveforms)
    assert inputs["is_longer"].squeeze(1).tolist() == [False, False, True]
    with torch.no_grad():
        expected_audio = model.get_audio_features(**inputs).pooler_output
        tokens = embedder.tokenizer(CAPTIONS, padding=True, return_tensors="pt")
        expected_text = model.get_text_features(**tokens).pooler_output
    audio = embedder.embed_audio(waveforms, batch_size=2)
    text = embedder.embed_text(CAPTIONS, batch_size=2)
    torch.testing.assert_close(audio, torch.nn.functional.normalize(expected_audio, dim=-1), atol=1e-5, rtol=0)
    torch.testing.assert_close(text, torch.nn.functional.normalize(expected_text, dim=-1), atol=1e-5, rtol=0)
    assert torch.allclose(audio.norm(dim=1), torch.ones(3)) and torch.allclose(text.norm(dim=1), torch.ones(3))
    torch.testing.assert_close(embedder.embed_audio(waveforms[::-1], batch_size=3), audio.flip(0), atol=1e-5, rtol=0)


def test_unfused_inputs_are_the_processor_s_own(tmp_path):
    embedder = load_embedder(write_tiny_clap(tmp_path / "clap"), device="cpu", precision="fp32")
    short = _waveforms()[:2]
    direct = embedder.feature_extractor(short, sampling_rate=SAMPLE_RATE, return_tensors="pt")
    torch.testing.assert_close(embedder.audio_inputs(short)["input_features"], direct["input_features"])


def test_audio_files_are_resampled_to_the_model_rate(tmp_path):
    embedder = load_embedder(write_tiny_clap(tmp_path / "clap"), device="cpu", precision="fp32")
    waveform = (0.1 * np.random.default_rng(1).standard_normal(16000)).astype(np.float32)
    sf.write(tmp_path / "clip.wav", waveform, 16000, subtype="FLOAT")
    resampled = soxr.resample(waveform, 16000, SAMPLE_RATE, quality="HQ").astype(np.float32)
    torch.testing.assert_close(
        embedder.embed_audio([tmp_path / "clip.wav"]), embedder.embed_audio([resampled]), atol=1e-5, rtol=0
    )


def test_hub_name_loads_the_cached_snapshot(tmp_path, hub_cache):
    folder = write_tiny_clap(tmp_path / "clap", seed=3)
    add_to_hub_cache(hub_cache, "tiny-org/tiny-clap", folder)
    from_hub = load_embedder("hf:tiny-org/tiny-clap", device="cpu", precision="fp32")
    from_folder = load_embedder(folder, device="cpu", precision="fp32")
    assert from_hub.name == "hf:tiny-org/tiny-clap" and from_hub.fingerprint == from_folder.fingerprint
    torch.testing.assert_close(from_hub.embed_text(CAPTIONS), from_folder.embed_text(CAPTIONS))
    model = dtu_audio.load_model("hf:tiny-org/tiny-clap")
    assert model.family == "clap" and model.embed_audio(_waveforms()[:1]).shape == (1, 8)


def test_dtu_checkpoints_keep_loading_as_retrieval_models(tmp_path, spec, model):
    save_checkpoint(tmp_path / "model.pt", model, spec)
    assert isinstance(dtu_audio.load_model(tmp_path / "model.pt"), dtu_audio.RetrievalModel)
    embedder = load_embedder(tmp_path / "model.pt", device="cpu")
    assert embedder.family == "dtu" and embedder.sample_rate == spec.audio.sample_rate
    torch.testing.assert_close(embedder.embed_text(CAPTIONS), model.embed_text(CAPTIONS))


def _error(reference) -> str:
    with pytest.raises(DtuError) as caught:
        load_embedder(reference, device="cpu")
    message = str(caught.value)
    assert "\n" not in message
    return message


def test_bad_references_are_one_line_errors(tmp_path, hub_cache):
    assert "unknown model family 'clip'" in _error("clip:openai/whatever")
    whisper = tmp_path / "whisper"
    whisper.mkdir()
    (whisper / "config.json").write_text(json.dumps({"model_type": "whisper"}))
    assert "unknown model family 'whisper'" in _error(whisper)
    missing = _error("hf:tiny-org/not-cached")
    assert "HF_HUB_OFFLINE is set" in missing and missing.endswith("HF_HUB_OFFLINE=0 hf download tiny-org/not-cached")
    assert "not a Hub model name" in _error("hf:no-slash")
    run = tmp_path / "run"
    run.mkdir()
    (run / "best.pt").write_bytes(b"")
    assert "is a folder but not a model" in _error(run) and "best.pt" in _error(run)
    assert "does not exist" in _error(tmp_path / "nope.pt")
