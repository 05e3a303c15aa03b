"""Temporal diagnostics on plain tensors."""

from __future__ import annotations

import pytest
import torch

from dtu_audio.evaluation.diagnostics import order_accuracy, recall_changes


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
