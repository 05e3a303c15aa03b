"""Validation after each epoch: embed the validation split and score retrieval both ways."""

from __future__ import annotations

from collections.abc import Callable
from contextlib import AbstractContextManager

import torch

from dtu_audio.datasets.training import CaptionDataset, collate_captions
from dtu_audio.errors import DtuError
from dtu_audio.training.data import Split


@torch.no_grad()
def embed_split(
    model: torch.nn.Module,
    split: Split,
    max_samples: int,
    batch_size: int,
    device: torch.device,
    autocast: Callable[[], AbstractContextManager],
) -> tuple[torch.Tensor, torch.Tensor]:
    """Audio embeddings ``[N, D]`` (first ``max_samples`` of each clip) and caption embeddings ``[N * C, D]``."""
    first_captions = [split.captions[row][:1] for row in range(len(split.captions))]
    clips = CaptionDataset(first_captions, split.waveforms, split.keep, max_samples)
    audio, text = [], []
    for start in range(0, len(clips), batch_size):
        batch = collate_captions([clips[i] for i in range(start, min(start + batch_size, len(clips)))])
        with autocast():
            audio.append(model.encode_audio(batch.waveforms.to(device)).float().cpu())
    captions = [c for row in split.keep for c in split.captions[row]]
    for start in range(0, len(captions), batch_size):
        with autocast():
            text.append(model.encode_text(captions[start : start + batch_size]).float().cpu())
    return torch.cat(audio), torch.cat(text)


def validate(
    model: torch.nn.Module,
    split: Split,
    max_samples: int,
    batch_size: int,
    device: torch.device,
    autocast: Callable[[], AbstractContextManager],
) -> dict:
    """``{"t2a": {...}, "a2t": {...}, "score": t2a R1 + a2t R1}`` on ``split`` (model left in eval mode)."""
    from dtu_audio import metrics

    model.eval()
    audio, text = embed_split(model, split, max_samples, batch_size, device, autocast)
    if not (torch.isfinite(audio).all() and torch.isfinite(text).all()):
        raise DtuError(
            "validation embeddings hold NaN or infinite values, so this epoch was not saved: lower optim.lr or "
            "check the data; dtu train --resume continues from the last good checkpoint"
        )
    per_audio = split.manifest.captions_per_audio
    result = metrics.retrieval_metrics(audio, text, per_audio)
    return {**result, "score": result["t2a"]["R1"] + result["a2t"]["R1"]}
