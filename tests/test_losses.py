"""The losses equal the original code's numbers in tests/fixtures/parity."""

from __future__ import annotations

import json

import pytest
import torch

from dtu_audio.losses import contrastive_loss, embedding_regularisation, temporal_margin_loss


@pytest.fixture(scope="module")
def reference_losses(parity):
    return json.loads((parity / "reference_losses.json").read_text())


@pytest.fixture(scope="module")
def reference_outputs(parity):
    return torch.load(parity / "reference_outputs.pt")


def test_contrastive_loss_matches_reference(reference_losses):
    ref = reference_losses
    loss = contrastive_loss(
        torch.tensor(ref["audio_embeds"]),
        torch.tensor(ref["caption_embeds"]),
        torch.tensor(ref["idx"]),
        ref["temperature"],
    )
    assert loss.item() == pytest.approx(ref["contrastive_loss"], rel=1e-5)


def test_temporal_loss_matches_reference(reference_losses):
    ref = reference_losses
    loss = temporal_margin_loss(
        torch.tensor(ref["caption_embeds"]), torch.tensor(ref["extra_embeds_pos2_neg2"]), margin=ref["margin"]
    )
    assert loss.item() == pytest.approx(ref["temporal_loss"], rel=1e-5)


def test_losses_match_reference_model_outputs(reference_outputs):
    out = reference_outputs
    audio = out["audio_embeds_10s"][out["loss_audio_rows"]]
    text = out["text_embeds"]
    atc = contrastive_loss(audio, text, out["loss_idx"], torch.tensor(0.07))
    reg = embedding_regularisation(audio, text)
    assert atc.item() == pytest.approx(out["atc_loss"].item(), rel=1e-5)
    assert reg.item() == pytest.approx(out["embed_reg"].item(), rel=1e-5)
    assert (atc + reg).item() == pytest.approx(out["loss_with_reg"].item(), rel=1e-5)


def test_temporal_loss_is_zero_without_rows_and_keeps_gradient():
    captions = torch.randn(0, 8, requires_grad=True)
    loss = temporal_margin_loss(captions, torch.randn(0, 4, 8))
    loss.backward()
    assert loss.item() == 0.0
    assert captions.grad is not None


def test_temporal_loss_rejects_bad_shape():
    with pytest.raises(ValueError, match=r"\[N, 2K, D\]"):
        temporal_margin_loss(torch.randn(3, 8), torch.randn(3, 3, 8))
