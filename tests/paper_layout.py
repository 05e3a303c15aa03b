"""Stand-ins of the paper's checkpoints with the real layout (every name and shape) in a few KB: each entry is
a zero-stride view of one stored number, so ``torch.save`` writes one value per entry."""

from __future__ import annotations

import functools
from pathlib import Path

import torch

from dtu_audio.encoders import RetrievalModel
from dtu_audio.encoders.checkpoint import AUDIO_PREFIX, AUDIOSET_PREFIX, original_state_dict


@functools.cache
def _paper_shapes() -> dict[str, tuple[int, ...]]:
    """Every entry of the paper's HTSAT-BERT model (the original's full state dict) and its shape."""
    return {name: tuple(value.shape) for name, value in original_state_dict(RetrievalModel.from_spec()).items()}


def paper_state() -> dict[str, torch.Tensor]:
    """The WavCaps HTSAT-BERT state dict, every value 0."""
    return {name: torch.zeros(()).expand(shape) for name, shape in _paper_shapes().items()}


def write_wavcaps_standin(path: Path) -> Path:
    """A file laid out as ``HTSAT-BERT-PT.pt``: ``{"model": state_dict}``."""
    torch.save({"model": paper_state()}, path)
    return path


def audioset_state() -> dict[str, torch.Tensor]:
    """The AudioSet ``HTSAT.ckpt`` state dict (``sed_model.`` names, front-end included), every value 0."""
    return {
        AUDIOSET_PREFIX + name.removeprefix(AUDIO_PREFIX): value
        for name, value in paper_state().items()
        if name.startswith(AUDIO_PREFIX)
    }
