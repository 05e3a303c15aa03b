"""Temporal diagnostics on plain tensors."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from dtu_audio.evaluation.diagnostics import (
    grounding_control,
    order_accuracy,
    other_clips,
    pair_outcomes,
    recall_changes,
)
from dtu_audio.evaluation.statistics import breakdown, paired_difference


def test_order_accuracy_counts_pairs_and_treats_ties_as_misses():
    audio = torch.eye(3)
    captions = torch.tensor([[1.0, 0.0, 0.0], [0.0, 1.0, 0.0], [0.0, 1.0, 0.0], [0.0, 0.0, 1.0]])
    altered = torch.tensor([[0.0, 1.0, 0.0], [1.0, 0.0, 0.0], [0.0, 1.0, 0.0], [1.0, 1.0, 1.0]])
    result = order_accuracy(audio, captions, altered, torch.tensor([0, 1, 1, 2]), bootstrap_samples=200)
    assert result["pairs"] == 4
    assert result["audios"] == 3
    assert result["accuracy"] == 75.0
    low, high = result["ci95"]
    assert 0.0 <= low <= 75.0 <= high <= 100.0


def test_order_accuracy_interval_narrows_with_more_audios():
    generator = torch.Generator().manual_seed(0)

    def width(count):
        audio = torch.randn(count, 8, generator=generator)
        captions = audio + torch.randn(count, 8, generator=generator)
        altered = torch.randn(count, 8, generator=generator)
        low, high = order_accuracy(audio, captions, altered, torch.arange(count), seed=1)["ci95"]
        return high - low

    assert width(2000) < width(50)


def test_order_accuracy_without_pairs():
    empty = torch.zeros(0, 4)
    result = order_accuracy(torch.eye(4), empty, empty, torch.zeros(0, dtype=torch.long))
    assert result == {"accuracy": None, "ci95": None, "pairs": 0, "audios": 0}


def test_recall_changes_are_altered_minus_original():
    original = {"t2a": {"R1": 40.0, "medR": 3.0}, "a2t": {"R1": 50.0, "medR": 2.0}}
    altered = {"t2a": {"R1": 30.0, "medR": 4.0}, "a2t": {"R1": 55.0, "medR": 2.0}}
    changes = recall_changes(original, altered)
    assert changes["t2a"] == {"R1": pytest.approx(-10.0), "medR": pytest.approx(1.0)}
    assert changes["a2t"] == {"R1": pytest.approx(5.0), "medR": 0.0}


def _pairs(count: int, dim: int = 16, seed: int = 0):
    """Clips with an "order" direction each, caption = that direction, altered caption = its opposite."""
    generator = torch.Generator().manual_seed(seed)
    order = torch.randn(count, dim, generator=generator)
    context = torch.randn(count, dim, generator=generator)
    return order, context + order, context - order, generator


def _control(audio, captions, altered, seed=0):
    index = torch.arange(len(audio))
    correct = pair_outcomes(audio, captions, altered, index)
    return 100 * correct.mean(), grounding_control(audio, captions, altered, index, correct, 1000, seed)


def test_shuffled_audio_is_chance_for_noise_audio():
    _, captions, altered, generator = _pairs(2000)
    noise = torch.randn(2000, 16, generator=generator)
    accuracy, control = _control(noise, captions, altered)
    shuffled = control["shuffled_audio"]
    assert abs(accuracy - 50) < 4 and abs(shuffled["accuracy"] - 50) < 4
    assert shuffled["ci95"][0] < 50 < shuffled["ci95"][1]
    assert control["grounded"]["ci95"][0] < 0 < control["grounded"]["ci95"][1]


def test_a_listening_model_loses_its_order_accuracy_with_the_wrong_audio():
    order, captions, altered, _ = _pairs(500)
    accuracy, control = _control(order, captions, altered)
    assert accuracy == 100.0
    assert abs(control["shuffled_audio"]["accuracy"] - 50) < 8
    assert control["grounded"]["difference"] == pytest.approx(accuracy - control["shuffled_audio"]["accuracy"])
    assert control["grounded"]["ci95"][0] > 30


def test_a_model_that_prefers_the_text_form_keeps_it_with_the_wrong_audio():
    _, captions, altered, generator = _pairs(500)
    fluent = torch.zeros(16)
    fluent[0] = 1.0  # originals lean one way whatever the audio: a text-form preference
    audio = torch.randn(500, 16, generator=generator) * 0.1 + 3 * fluent
    accuracy, control = _control(audio, captions + 4 * fluent, altered - 4 * fluent)
    assert accuracy > 90 and control["shuffled_audio"]["accuracy"] > 90
    assert abs(control["grounded"]["difference"]) < 5


def test_other_clips_never_pick_the_clip_itself_and_are_seeded():
    swap = other_clips(50, seed=3)
    assert (swap != np.arange(50)).all() and (swap == other_clips(50, seed=3)).all()
    assert not (swap == other_clips(50, seed=4)).all()


def test_breakdown_orders_labels_and_leaves_unlabelled_pairs_out():
    correct = np.array([True, False, True, True, False])
    clips = np.arange(5)
    groups = breakdown(correct, clips, ["then", "after", None, "then", "followed by"], ("followed by", "then"), 100)
    assert list(groups) == ["followed by", "then", "after"]
    assert groups["then"]["accuracy"] == 100.0 and groups["then"]["pairs"] == 2
    assert sum(g["pairs"] for g in groups.values()) == 4


def test_paired_difference_is_exact_for_identical_outcomes():
    same = np.array([True, False, True, False])
    assert paired_difference(same, same, np.arange(4), 200, 0) == {"difference": 0.0, "ci95": [0.0, 0.0]}
