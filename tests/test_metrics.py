"""Retrieval metrics: exact parity with the original evaluation, ties, chunking, bad input."""

from __future__ import annotations

import json

import numpy as np
import pytest
import torch

from dtu_audio import metrics
from dtu_audio.errors import DtuError


@pytest.fixture(scope="module")
def reference(parity):
    return json.loads((parity / "reference_metrics.json").read_text())


def _protocol(reference, name):
    audio = np.array(reference["audio_embeds_5x"])[::5]
    captions = np.array(reference["caption_embeds"])
    if name == "one_caption":
        return audio, captions[::5], 1
    return audio, captions, 5


@pytest.mark.parametrize("protocol", ["five_captions", "one_caption"])
@pytest.mark.parametrize("block_elements", [None, 7, 1])
def test_parity_with_original_evaluation(reference, protocol, block_elements):
    audio, captions, per_audio = _protocol(reference, protocol)
    t2a = metrics.text_to_audio(audio, captions, per_audio, device="cpu", block_elements=block_elements)
    a2t = metrics.audio_to_text(audio, captions, per_audio, device="cpu", block_elements=block_elements)
    for got, expected in ((t2a, reference[protocol]["t2a"]), (a2t, reference[protocol]["a2t"])):
        assert set(got) == set(metrics.METRIC_KEYS)
        for key in metrics.METRIC_KEYS:
            assert got[key] == pytest.approx(expected[key], abs=1e-9), key


def test_perfect_retrieval():
    audio = torch.eye(4, 8)
    captions = audio.repeat_interleave(5, dim=0)
    assert metrics.text_to_audio(audio, captions, 5)["R1"] == 100.0
    result = metrics.audio_to_text(audio, captions, 5)
    assert result["R1"] == 100.0
    assert result["meanR"] == 1.0
    assert result["mAP10"] == pytest.approx(100.0)


def test_ties_rank_the_correct_item_last():
    audio = torch.tensor([[1.0, 0.0, 0.0], [1.0, 0.0, 0.0], [0.0, 1.0, 0.0], [0.0, 0.0, 1.0]])
    ranks = metrics.text_to_audio_ranks(audio, audio.clone(), 1)
    assert ranks.tolist() == [2, 2, 1, 1]
    assert metrics.text_to_audio(audio, audio.clone(), 1)["R1"] == 50.0


def test_collapsed_model_gets_worst_ranks():
    audio = torch.ones(3, 4)
    captions = torch.ones(6, 4)
    assert metrics.text_to_audio_ranks(audio, captions, 2).tolist() == [3] * 6
    ranks = metrics.audio_to_text_ranks(audio, captions, 2)
    assert ranks.best.tolist() == [5] * 3
    assert ranks.top10.tolist() == [[5, 6]] * 3
    assert metrics.text_to_audio(audio, captions, 2)["R1"] == 0.0
    assert metrics.audio_to_text(audio, captions, 2)["R1"] == 0.0


@pytest.mark.parametrize("block_elements", [None, 1])
def test_nan_embeddings_are_never_hits(block_elements):
    nan_model = metrics.retrieval_metrics(torch.full((3, 4), torch.nan), torch.full((6, 4), torch.nan), 2, "cpu")
    assert nan_model == metrics.retrieval_metrics(torch.ones(3, 4), torch.ones(6, 4), 2, "cpu"), "as collapsed"
    assert nan_model["t2a"]["R1"] == nan_model["a2t"]["R1"] == 0.0
    audio = torch.eye(3, 4)
    audio[1] = torch.nan
    captions = audio.repeat_interleave(2, dim=0)
    t2a = metrics.text_to_audio_ranks(audio, captions, 2, block_elements=block_elements)
    assert t2a.tolist() == [1, 1, 3, 3, 1, 1]
    assert metrics.audio_to_text_ranks(audio, captions, 2, block_elements=block_elements).best.tolist() == [1, 5, 1]
    both = metrics.retrieval_metrics(audio, captions, 2, "cpu", block_elements)
    assert both["t2a"]["R1"] == pytest.approx(200 / 3) and both["a2t"]["R1"] == pytest.approx(200 / 3)


def test_tied_captions_put_other_audios_captions_first_and_own_in_order():
    audio = torch.tensor([[1.0, 0.0], [0.0, 1.0]])
    captions = torch.tensor([[1.0, 0.0], [1.0, 0.0], [0.0, 1.0], [1.0, 0.0]])
    ranks = metrics.audio_to_text_ranks(audio, captions, 2)
    assert ranks.best.tolist() == [2, 1]
    assert ranks.top10.tolist() == [[2, 3], [1, 4]]
    result = metrics.audio_to_text(audio, captions, 2)
    assert result["mAP10"] == pytest.approx(100.0 * ((1 / 2 + 2 / 3) / 2 + (1 / 1 + 2 / 4) / 2) / 2)


def test_median_of_an_even_count_is_floored():
    audio = torch.eye(4)
    captions = torch.stack([audio[0], audio[1], -audio[2], -audio[3]])
    ranks = metrics.text_to_audio_ranks(audio, captions, 1)
    assert ranks.tolist() == [1, 1, 4, 4]
    assert metrics.text_to_audio(audio, captions, 1)["medR"] == 2.0


def test_caption_without_audio_in_gallery_is_a_clear_error():
    audio = torch.randn(3, 8)
    with pytest.raises(DtuError, match="captions 15 to 16 have no audio in the gallery"):
        metrics.text_to_audio(audio, torch.randn(17, 8), 5)
    with pytest.raises(DtuError, match="lack captions"):
        metrics.audio_to_text(audio, torch.randn(12, 8), 5)
    with pytest.raises(DtuError, match="8-d"):
        metrics.audio_to_text(audio, torch.randn(15, 4), 5)


def _oracle_ranks(scores: np.ndarray, positives: np.ndarray) -> np.ndarray:
    """Positions (from 1) of each row's positives when sorted by score, ties: other items first, positives in order."""
    ranks = np.zeros(positives.shape, dtype=np.int64)
    for row, own in enumerate(positives):
        is_own = np.isin(np.arange(scores.shape[1]), own)
        order = np.lexsort((np.arange(scores.shape[1]), is_own, -scores[row]))
        position = np.empty_like(order)
        position[order] = np.arange(1, len(order) + 1)
        ranks[row] = position[own]
    return ranks


def _half_vectors(count: int, generator: torch.Generator) -> torch.Tensor:
    """Unit vectors with four entries of +-0.5: their dot products are exact, so ties are real ties."""
    support = torch.rand(count, 8, generator=generator).argsort(1)[:, :4]
    signs = torch.randint(0, 2, (count, 4), generator=generator) * 2.0 - 1.0
    return torch.zeros(count, 8).scatter(1, support, 0.5 * signs)


def _audio_and_captions(
    clips: int, seed: int, exact_ties: bool, tie_share: float, noise: float
) -> tuple[torch.Tensor, torch.Tensor]:
    """``clips`` audio vectors and 5 captions each: with ``exact_ties``, a ``tie_share`` of the captions
    equal their clip and the rest are other exact vectors; otherwise each is its clip plus ``noise``."""
    generator = torch.Generator().manual_seed(seed)
    if exact_ties:
        audio = _half_vectors(clips, generator)
        keep = torch.rand(5 * clips, 1, generator=generator) < tie_share
        return audio, torch.where(keep, audio.repeat_interleave(5, dim=0), _half_vectors(5 * clips, generator))
    audio = torch.randn(clips, 6, generator=generator)
    return audio, audio.repeat_interleave(5, dim=0) + noise * torch.randn(5 * clips, 6, generator=generator)


@pytest.mark.parametrize("exact_ties", [False, True])
@pytest.mark.parametrize("block_elements", [None, 50])
def test_ranks_match_a_sorting_oracle(exact_ties, block_elements):
    audio, captions = _audio_and_captions(30, seed=3, exact_ties=exact_ties, tie_share=0.5, noise=0.8)
    normalised_audio = torch.nn.functional.normalize(audio, dim=1)
    normalised_captions = torch.nn.functional.normalize(captions, dim=1)
    scores = (normalised_audio.double() @ normalised_captions.double().T).numpy()

    t2a = metrics.text_to_audio_ranks(audio, captions, 5, block_elements=block_elements)
    expected_t2a = _oracle_ranks(scores.T, (np.arange(150) // 5)[:, None])[:, 0]
    assert t2a.tolist() == expected_t2a.tolist()

    a2t = metrics.audio_to_text_ranks(audio, captions, 5, block_elements=block_elements)
    expected_a2t = _oracle_ranks(scores, np.arange(150).reshape(30, 5))
    assert a2t.best.tolist() == expected_a2t.min(1).tolist()
    assert a2t.top10.tolist() == np.where(expected_a2t <= 10, expected_a2t, 0).tolist()


@pytest.mark.parametrize("exact_ties", [False, True])
@pytest.mark.parametrize("block_elements", [None, 50, 1])
def test_both_directions_in_one_pass_equal_each_direction(exact_ties, block_elements):
    audio, captions = _audio_and_captions(40, seed=5, exact_ties=exact_ties, tie_share=0.3, noise=1.5)
    both = metrics.retrieval_metrics(audio, captions, 5, block_elements=block_elements)
    assert both["t2a"] == metrics.text_to_audio(audio, captions, 5)
    assert both["a2t"] == metrics.audio_to_text(audio, captions, 5)
    assert metrics.audio_to_text_ranks(audio, captions, 5).best.max() > 15  # some are scored again beyond the top 15


def test_both_directions_at_once(reference):
    audio, captions, per_audio = _protocol(reference, "five_captions")
    both = metrics.retrieval_metrics(audio, captions, per_audio)
    assert both == {
        "t2a": metrics.text_to_audio(audio, captions, per_audio),
        "a2t": metrics.audio_to_text(audio, captions, per_audio),
    }


def test_full_float32_even_when_tf32_is_allowed_and_setting_restored(reference):
    audio, captions, per_audio = _protocol(reference, "five_captions")
    previous = torch.get_float32_matmul_precision()
    torch.set_float32_matmul_precision("medium")
    try:
        assert metrics.retrieval_metrics(audio, captions, per_audio)["t2a"] == pytest.approx(
            reference["five_captions"]["t2a"], abs=1e-9
        )
        assert torch.get_float32_matmul_precision() == "medium"
    finally:
        torch.set_float32_matmul_precision(previous)
