"""One name scheme for every model on the benchmark, resolved to a loaded :class:`Embedder`.

- ``hf:ORG/NAME[@REVISION]``: a Hugging Face Hub model (see :mod:`dtu_audio.embedders.hub`);
- a folder written by ``save_pretrained`` (it holds ``config.json``);
- a dtu / WavCaps checkpoint file, or a weight-cache name (``wavcaps-pt``).

A transformers folder's ``config.json`` ``model_type`` picks the family; ``clap`` (``ClapModel``) is
built in and :func:`register_family` adds others.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from dtu_audio.errors import DtuError
from dtu_audio.resolve import resolve_device, use_bf16

if TYPE_CHECKING:
    import torch

    from dtu_audio.embedders.base import Embedder

#: ``loader(folder, name, fingerprint, device, bf16)`` builds the embedder of a transformers folder.
FamilyLoader = Callable[[Path, str, str, "torch.device", bool], "Embedder"]
_SCHEME_RE = re.compile(r"([A-Za-z][A-Za-z0-9+.-]+):(?![\\/])")
NAME_SCHEME = (
    "hf:ORG/NAME (Hugging Face Hub), a folder saved with save_pretrained, "
    "a dtu checkpoint file or a weight-cache name (wavcaps-pt)"
)


def _clap(folder: Path, name: str, fingerprint: str, device: torch.device, bf16: bool) -> Embedder:
    from dtu_audio.embedders.clap import ClapEmbedder

    return ClapEmbedder(folder, name, fingerprint, device, bf16)


_FAMILIES: dict[str, FamilyLoader] = {"clap": _clap}


def register_family(model_type: str, loader: FamilyLoader) -> None:
    """Evaluate transformers folders whose ``config.json`` says ``model_type`` with ``loader``."""
    _FAMILIES[model_type] = loader


def pretrained_folder(reference: str) -> Path | None:
    """The transformers folder behind ``hf:...`` or a folder path; ``None`` for any other reference."""
    if reference.startswith("hf:"):
        from dtu_audio.embedders.hub import hub_folder

        return hub_folder(reference.removeprefix("hf:"))
    scheme = _SCHEME_RE.match(reference)
    path = Path(reference).expanduser()
    if scheme and not path.exists():
        raise DtuError(f"unknown model family {scheme.group(1)!r} in {reference!r}; use {NAME_SCHEME}")
    if not path.is_dir():
        return None
    if not (path / "config.json").is_file():
        hint = f"; for a dtu run folder pass its checkpoint, e.g. {path / 'best.pt'}" if any(path.glob("*.pt")) else ""
        raise DtuError(
            f"{reference} is a folder but not a model: it has no config.json (save_pretrained writes one){hint}"
        )
    return path


def _model_type(folder: Path, reference: str) -> str:
    try:
        config = json.loads((folder / "config.json").read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as err:
        raise DtuError(f"{reference}: cannot read {folder / 'config.json'}: {str(err).splitlines()[0]}") from None
    model_type = config.get("model_type") if isinstance(config, dict) else None
    if not isinstance(model_type, str):
        raise DtuError(f"{reference}: {folder / 'config.json'} names no model_type; is it a transformers model?")
    return model_type


def load_embedder(reference: str | Path, device: str | torch.device = "auto", precision: str = "auto") -> Embedder:
    """The embedder of any model reference (see the module docstring), in eval mode on ``device``.

    ``precision`` is ``auto`` (bf16 autocast on CUDA), ``bf16`` or ``fp32``.
    """
    import torch

    text = str(reference)
    run_device = device if isinstance(device, torch.device) else resolve_device(device)
    bf16 = use_bf16(precision, run_device)
    folder = pretrained_folder(text)
    if folder is not None:
        return _folder_embedder(folder, text, run_device, bf16)
    return _retrieval_embedder(text, run_device, bf16)


def _folder_embedder(folder: Path, reference: str, device: torch.device, bf16: bool) -> Embedder:
    from dtu_audio.weights.cache import sha256_folder

    model_type = _model_type(folder, reference)
    loader = _FAMILIES.get(model_type)
    if loader is None:
        raise DtuError(
            f"unknown model family {model_type!r} ({reference}); dtu evaluates {', '.join(sorted(_FAMILIES))} "
            "models and dtu checkpoints (docs/benchmark.md shows how to add a family)"
        )
    try:
        return loader(folder, reference, sha256_folder(folder)[1], device, bf16)
    except (OSError, ValueError) as err:
        raise DtuError(f"cannot load {reference} as a {model_type} model: {str(err).splitlines()[0]}") from None


def _retrieval_embedder(reference: str, device: torch.device, bf16: bool) -> Embedder:
    from dtu_audio.embedders.retrieval import RetrievalEmbedder
    from dtu_audio.encoders.checkpoint import load_model
    from dtu_audio.evaluation.embedding_cache import file_sha256
    from dtu_audio.resolve import checkpoint_path

    path = checkpoint_path(reference)
    return RetrievalEmbedder(load_model(path, device=device), reference, path, file_sha256(path), bf16)


def load_model(reference: str | Path, device: str | torch.device = "cpu"):
    """``dtu_audio.load_model``: a ``RetrievalModel`` for dtu checkpoints, the (fp32) embedder of any other model."""
    text = str(reference)
    folder = pretrained_folder(text)
    if folder is not None:
        return _folder_embedder(folder, text, resolve_device(str(device)), bf16=False)
    from dtu_audio.encoders.checkpoint import load_model as load_retrieval_model

    return load_retrieval_model(reference, device=device)
