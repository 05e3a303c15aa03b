"""Checking that a file is the PyTorch checkpoint an entry expects, without running pickled code."""

from __future__ import annotations

import pickletools
import re
import zipfile
from pathlib import Path

from dtu_audio.errors import DtuError


def _reason(err: Exception) -> str:
    """The informative part of a ``torch.load`` error (its unpickler detail when there is one)."""
    text = " ".join(str(err).split())
    detail = re.search(r"WeightsUnpickler error: (.*?)(?: Check the documentation|$)", text)
    return (detail.group(1) if detail else text[:200]) or type(err).__name__


def _pickled_dict_strings(path: Path) -> set[str] | None:
    """For an archive ``weights_only`` refuses because it pickles classes (e.g. training callbacks):
    the strings its pickle holds when that pickle is complete and a dict at the top, else None.
    Reads opcodes only, runs nothing."""
    try:
        with zipfile.ZipFile(path) as archive:
            pickled = archive.read(next(name for name in archive.namelist() if name.endswith("/data.pkl")))
        ops = [(op.name, arg) for op, arg, _ in pickletools.genops(pickled)]
    except (zipfile.BadZipFile, StopIteration, ValueError, OSError):
        return None
    if next((name for name, _ in ops if name != "PROTO"), None) != "EMPTY_DICT":
        return None
    return {arg for name, arg in ops if name.endswith("UNICODE")}


def check_checkpoint(path: Path, key: str, what: str) -> None:
    """Raise a ``DtuError`` unless ``path`` is a PyTorch checkpoint: a dict holding ``key``.

    The file is loaded with ``weights_only=True``; one that pickles classes is only inspected.
    """
    import torch

    try:
        try:
            obj = torch.load(path, map_location="cpu", weights_only=True, mmap=True)
        except RuntimeError as err:
            if "mmap" not in str(err):
                raise
            obj = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as err:  # torch.load fails in many ways on a file that is not a checkpoint
        strings = _pickled_dict_strings(path) if "Unsupported global" in str(err) else None
        if strings is None:
            raise DtuError(f"{path} is not a PyTorch checkpoint for {what} ({_reason(err)})") from err
        if key not in strings:
            raise DtuError(f"{path} is not a checkpoint for {what}: it has no top-level {key!r}") from err
        return
    if not isinstance(obj, dict) or key not in obj:
        found = ", ".join(map(str, list(obj)[:5])) if isinstance(obj, dict) else type(obj).__name__
        raise DtuError(f"{path} is not a checkpoint for {what}: it has no top-level {key!r} (found: {found})")
