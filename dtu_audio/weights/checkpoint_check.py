"""Checking that a file is the PyTorch checkpoint an entry expects, without running pickled code."""

from __future__ import annotations

import re
from pathlib import Path

from dtu_audio.errors import DtuError


def _reason(err: Exception) -> str:
    """The informative part of a ``torch.load`` error (its unpickler detail when there is one)."""
    text = " ".join(str(err).split())
    detail = re.search(r"WeightsUnpickler error: (.*?)(?: Check the documentation|$)", text)
    return (detail.group(1) if detail else text[:200]) or type(err).__name__


def check_checkpoint(path: Path, key: str, what: str) -> None:
    """Raise a ``DtuError`` unless ``path`` loads with ``weights_only=True`` as a dict holding ``key``."""
    import torch

    try:
        try:
            obj = torch.load(path, map_location="cpu", weights_only=True, mmap=True)
        except RuntimeError as err:
            if "mmap" not in str(err):
                raise
            obj = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as err:  # torch.load fails in many ways on a file that is not a checkpoint
        raise DtuError(f"{path} is not a PyTorch checkpoint for {what} ({_reason(err)})") from err
    if not isinstance(obj, dict) or key not in obj:
        found = ", ".join(map(str, list(obj)[:5])) if isinstance(obj, dict) else type(obj).__name__
        raise DtuError(f"{path} is not a checkpoint for {what}: it has no top-level {key!r} (found: {found})")
