"""Parity with the original model: every tensor of tests/fixtures/parity/reference_outputs.pt, with the
stand-in weights of reference_weights.py (full-size model, CPU, float32; one forward per input)."""

from __future__ import annotations

import importlib.util
import json

import pytest
import torch
import torch.nn.functional as F
from torch import nn

from dtu_audio.encoders import RetrievalModel, load_checkpoint, save_checkpoint
from dtu_audio.encoders.checkpoint import AUDIO_PREFIX, FRONTEND_PREFIX, load_state
from dtu_audio.encoders.swin import relative_position_index
from dtu_audio.losses import contrastive_loss, embedding_regularisation
from dtu_audio.specs import AudioSpec, RunSpec

pytestmark = pytest.mark.slow

FRONTEND = "audio_feats_extractor."


def _standin_module(parity):
    spec = importlib.util.spec_from_file_location("reference_weights", parity / "reference_weights.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="session")
def reference_keys(parity) -> list[dict]:
    return json.loads((parity / "reference_keys.json").read_text())


@pytest.fixture(scope="session")
def reference(parity) -> dict:
    return torch.load(parity / "reference_outputs.pt")


@pytest.fixture(scope="session")
def original_state(parity, reference_keys) -> dict[str, torch.Tensor]:
    """A full original-layout state dict: stand-in weights plus the entries the original computes."""
    standin = _standin_module(parity)
    state = standin.reference_state_dict({k["name"]: k["shape"] for k in reference_keys})
    for entry in reference_keys:
        name, shape = entry["name"], entry["shape"]
        if name in state:
            continue
        if name.endswith("relative_position_index"):
            state[name] = relative_position_index(int(shape[0] ** 0.5))
        elif name.endswith("num_batches_tracked"):
            state[name] = torch.tensor(0)
        else:  # the original's front-end kernels: stored, never used by us
            state[name] = torch.randn(shape)
    return state


@pytest.fixture(scope="session")
def model(original_state) -> RetrievalModel:
    model = RetrievalModel.from_spec().eval()
    load_state(model, {k: v for k, v in original_state.items() if FRONTEND not in k}, False, "stand-in weights")
    return model


@pytest.fixture(scope="session")
def outputs(model, reference) -> dict[str, torch.Tensor]:
    with torch.inference_mode():
        waves = reference["waveforms_10s"]
        return {
            "logmel_10s": model.audio_encoder.audio_enc.logmel(waves),
            "audio_features_10s": (features := model.audio_features(waves)),
            "audio_embeds_10s": F.normalize(model.audio_proj(features), dim=-1),
            "audio_features_7s": (features_7s := model.audio_features(reference["waveform_7s"])),
            "audio_embeds_7s": F.normalize(model.audio_proj(features_7s), dim=-1),
            "text_cls_hidden": model.text_features(reference["input_ids"], reference["attention_mask"]),
            "text_embeds": model.encode_tokens(reference["input_ids"], reference["attention_mask"]),
        }


def test_state_dict_names_and_shapes_equal_the_original(model, reference_keys):
    ours = {k: list(v.shape) for k, v in model.state_dict().items()}
    theirs = {k["name"]: k["shape"] for k in reference_keys if FRONTEND not in k["name"]}
    assert ours == theirs


@pytest.mark.parametrize(
    ("name", "tolerance"),
    [
        ("logmel_10s", 1e-2),
        ("audio_features_10s", 1e-3),
        ("audio_features_7s", 1e-3),
        ("audio_embeds_10s", 1e-4),
        ("audio_embeds_7s", 1e-4),
        ("text_cls_hidden", 1e-3),
        ("text_embeds", 1e-4),
    ],
)
def test_outputs_match_the_original(outputs, reference, name, tolerance):
    expected = reference[name][: len(outputs[name])]  # the fixture keeps the inputs of the first 10-s clip only
    assert outputs[name].shape == expected.shape
    assert (outputs[name] - expected).abs().max().item() <= tolerance


def test_losses_match_the_original(model, outputs, reference):
    ours = outputs["audio_embeds_10s"]
    audio = torch.cat([ours, reference["audio_embeds_10s"][len(ours) :]])[reference["loss_audio_rows"]]
    text = outputs["text_embeds"]
    atc = contrastive_loss(audio, text, reference["loss_idx"], model.temp.detach())
    reg = embedding_regularisation(audio, text)
    for value, key in ((atc, "atc_loss"), (reg, "embed_reg"), (atc + reg, "loss_with_reg")):
        assert value.item() == pytest.approx(reference[key].item(), rel=1e-5)


def _assert_same_state(model, reference_model, prefix=""):
    ours, theirs = model.state_dict(), reference_model.state_dict()
    for name, value in theirs.items():
        if name.startswith(prefix):
            assert torch.equal(ours[name], value), name


def test_wavcaps_layout_with_position_ids_loads(tmp_path, model, original_state, reference):
    state = dict(original_state)
    state["text_encoder.text_encoder.embeddings.position_ids"] = torch.arange(512).unsqueeze(0)
    torch.save({"model": state, "epoch": 12}, tmp_path / "finetuned.pt")
    fresh = RetrievalModel.from_spec().eval()
    extra = load_checkpoint(fresh, tmp_path / "finetuned.pt")
    assert extra == {"epoch": 12}
    _assert_same_state(fresh, model)
    with torch.inference_mode():
        embeds = fresh.encode_tokens(reference["input_ids"], reference["attention_mask"])
    assert (embeds - reference["text_embeds"]).abs().max().item() <= 1e-4


def test_audioset_layout_fills_the_audio_encoder(tmp_path, model, original_state):
    state = {}
    for name, value in original_state.items():
        if name.startswith(AUDIO_PREFIX):
            short = name.removeprefix(AUDIO_PREFIX)
            short = short.replace(f"{FRONTEND}mel_trans.", "spectrogram_extractor.")
            short = short.replace(f"{FRONTEND}log_trans.", "logmel_extractor.")
            state["sed_model." + short] = value
    torch.save({"state_dict": state, "epoch": 40}, tmp_path / "HTSAT.ckpt")
    fresh = RetrievalModel.from_spec().eval()
    text_before = fresh.text_proj[0].weight.clone()
    load_checkpoint(fresh, tmp_path / "HTSAT.ckpt")
    _assert_same_state(fresh, model, prefix=AUDIO_PREFIX)
    assert torch.equal(fresh.text_proj[0].weight, text_before)


def _frontend_keys(audio: AudioSpec) -> list[dict]:
    """The original's front-end entries from its definition: torchlibrosa's ``Spectrogram`` keeps two
    ``Conv1d(1, n_fft // 2 + 1, n_fft)`` kernels, ``LogmelFilterBank`` a ``[n_fft // 2 + 1, n_mels]`` matrix."""
    bins = audio.n_fft // 2 + 1
    shapes = {
        "mel_trans.stft.conv_real.weight": [bins, 1, audio.n_fft],
        "mel_trans.stft.conv_imag.weight": [bins, 1, audio.n_fft],
        "log_trans.melW": [bins, audio.n_mels],
    }
    return [{"name": FRONTEND_PREFIX + name, "shape": shape, "dtype": "float32"} for name, shape in shapes.items()]


def _original_keys(parity, reference_keys) -> list[dict]:
    """The original model's state-dict entries in order: the shared key list, front-end from its definition."""
    frontend = _frontend_keys(AudioSpec())
    assert frontend == json.loads((parity / "reference_frontend_keys.json").read_text())
    keys = [k for k in reference_keys if FRONTEND not in k["name"]]
    at = next(i for i, k in enumerate(keys) if k["name"].startswith(AUDIO_PREFIX))
    return keys[:at] + frontend + keys[at:]


def _module_with(keys: list[dict]) -> nn.Module:
    """A module whose state dict has exactly ``keys`` (names and shapes), as the original model's does."""
    root = nn.Module()
    for key in keys:
        *path, leaf = key["name"].split(".")
        node = root
        for part in path:
            if not hasattr(node, part):
                node.add_module(part, nn.Module())
            node = getattr(node, part)
        node.register_buffer(leaf, torch.empty(key["shape"], device="meta", dtype=getattr(torch, key["dtype"])))
    return root


def test_saved_checkpoints_load_strictly_into_the_original_layout(tmp_path, parity, reference_keys, model):
    original = _original_keys(parity, reference_keys)
    save_checkpoint(tmp_path / "best.pt", model, RunSpec())
    saved = torch.load(tmp_path / "best.pt", weights_only=True, mmap=True)["model"]
    described = [
        {"name": k, "shape": list(v.shape), "dtype": str(v.dtype).removeprefix("torch.")} for k, v in saved.items()
    ]
    assert described == original
    _module_with(original).load_state_dict(saved, strict=True, assign=True)
