"""Saving and loading checkpoints on the tiny model; every bad checkpoint fails with one clear message."""

from __future__ import annotations

import io

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from cli_helpers import run_dtu
from train_data import write_dataset

import dtu_audio
from dtu_audio.encoders import load_checkpoint, load_model, save_checkpoint
from dtu_audio.encoders.checkpoint import AUDIO_PREFIX, FRONTEND_PREFIX
from dtu_audio.errors import DtuError
from dtu_audio.specs import save_spec


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


def test_saved_file_uses_the_original_layout(saved, model, spec):
    ckpt = torch.load(saved, weights_only=True)
    bins = spec.audio.n_fft // 2 + 1
    frontend = {
        FRONTEND_PREFIX + "mel_trans.stft.conv_real.weight": [bins, 1, spec.audio.n_fft],
        FRONTEND_PREFIX + "mel_trans.stft.conv_imag.weight": [bins, 1, spec.audio.n_fft],
        FRONTEND_PREFIX + "log_trans.melW": [bins, spec.audio.n_mels],
    }
    ours = {name: list(value.shape) for name, value in model.state_dict().items()}
    assert {name: list(value.shape) for name, value in ckpt["model"].items()} == {**ours, **frontend}
    first_audio = next(i for i, name in enumerate(ckpt["model"]) if name.startswith(AUDIO_PREFIX))
    assert list(ckpt["model"])[first_audio : first_audio + 3] == list(frontend)
    assert ckpt["version"] == dtu_audio.__version__ and ckpt["epoch"] == 3
    assert ckpt["spec"]["model"]["embed_size"] == 32
    assert [p.name for p in saved.parent.iterdir()] == ["best.pt"]


def _torchlibrosa_logmel(state: dict, waveforms: torch.Tensor, n_fft: int, hop: int) -> torch.Tensor:
    """The original's front-end (torchlibrosa's Spectrogram + LogmelFilterBank) run on its stored kernels."""
    padded = F.pad(waveforms[:, None, :], (n_fft // 2, n_fft // 2), mode="reflect")
    real = F.conv1d(padded, state[FRONTEND_PREFIX + "mel_trans.stft.conv_real.weight"], stride=hop)
    imag = F.conv1d(padded, state[FRONTEND_PREFIX + "mel_trans.stft.conv_imag.weight"], stride=hop)
    power = (real**2 + imag**2).transpose(1, 2)
    mel = power @ state[FRONTEND_PREFIX + "log_trans.melW"]
    return (10.0 * torch.log10(mel.clamp(min=1e-10))).unsqueeze(1)


def test_saved_front_end_kernels_compute_our_log_mel(saved, model, spec):
    state = torch.load(saved, weights_only=True)["model"]
    waves = torch.from_numpy(np.random.default_rng(1).standard_normal((2, 16000)).astype(np.float32))
    theirs = _torchlibrosa_logmel(state, waves, spec.audio.n_fft, spec.audio.hop_length)
    with torch.inference_mode():
        ours = model.audio_encoder.audio_enc.logmel(waves)
    assert theirs.shape == ours.shape
    assert (theirs - ours).abs().max().item() < 1e-2


def test_load_checkpoint_returns_the_other_entries(saved, spec):
    fresh = dtu_audio.RetrievalModel.from_spec(spec.model, spec.audio)
    extra = load_checkpoint(fresh, saved)
    assert extra["epoch"] == 3 and "spec" in extra


def torch_bytes(obj) -> bytes:
    buffer = io.BytesIO()
    torch.save(obj, buffer)
    return buffer.getvalue()


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
    with pytest.raises(DtuError, match="junk.pt is a file of another format, not a PyTorch checkpoint"):
        load_checkpoint(model, tmp_path / "junk.pt")
    (tmp_path / "cut.pt").write_bytes(torch_bytes({"model": {}})[:100])
    with pytest.raises(DtuError, match="cannot read checkpoint .*cut.pt .truncated"):
        load_checkpoint(model, tmp_path / "cut.pt")
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


@pytest.mark.parametrize(
    ("content", "says"), [(b"", "an empty file"), (b"\x80\x02garbage", "cannot read"), (b"\x80junk", "cannot read")]
)
def test_empty_or_garbage_checkpoints_are_one_line_errors_in_eval_and_train(
    tmp_path, spec, monkeypatch, capsys, content, says
):
    bad = tmp_path / "bad.pt"
    bad.write_bytes(content)
    data = write_dataset(tmp_path / "data", n_train=2, n_val=2)
    spec_file = tmp_path / "spec.yaml"
    save_spec(spec.model_copy(update={"data": spec.data.model_copy(update={"data_root": data})}), spec_file)
    for args in (
        ("eval", "--ckpt", bad, "--dataset", data / "val.json", "--device", "cpu"),
        ("train", "--spec", spec_file, "--init", bad, "--name", "bad", "--set", f"train.output_dir={tmp_path}"),
    ):
        code, _, stderr = run_dtu(monkeypatch, capsys, *args)
        assert code != 0 and stderr.startswith("error: ") and stderr.count("\n") == 1, stderr
        assert says in stderr and "bad.pt" in stderr
