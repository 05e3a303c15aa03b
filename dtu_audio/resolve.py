"""Where things are: model references, dtu's folders, and the device and precision a run uses.

Every command, ``dtu_audio.load_model`` and the training set-up resolve through this module.

Model references (``dtu eval --ckpt``, ``dtu train --init``, ``load_model``):
:func:`resolve_reference` turns the text a user gave into a :class:`ModelReference`, trying in order

1. ``SCHEME:REST`` when ``SCHEME`` is registered: the scheme's resolver decides;
2. an existing file (``runs/l10/best.pt``): that file;
3. a weight-cache name or alias (``wavcaps-pt``, ``dtu-finetuned/<stem>``): the cached file.

Anything else is a one-line ``DtuError``. :func:`checkpoint_path` is the same for callers that need
a checkpoint file. A new kind of reference plugs in with ``register_scheme(name, resolver)``, where
``resolver(rest) -> ModelReference``: for example ``register_scheme("hf", ...)`` makes
``hf:<repo>`` resolve to a reference of kind ``"hf"`` (``path`` set only when it is a local
checkpoint file that :func:`dtu_audio.load_model` reads).

Folders: :func:`weights_dir` (the weight cache: ``--cache-dir``, else ``$DTU_HOME``, else the
per-user data folder), :func:`data_home` (prepared datasets: ``--data-home``, else ``$DTU_DATA``,
else ``data`` in the weight cache) and :func:`cache_dir` (``$DTU_HOME/<name>``, else
``<per-user cache>/<name>``, for the eval embedding cache, the training waveform cache and
downloaded SynCaps material).

Device and precision: :func:`resolve_device` (``auto``, ``cpu``, ``cuda``, ``cuda:N``) and
:func:`use_bf16` (``auto``: bf16 autocast on CUDA only).
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Literal

from platformdirs import user_cache_path, user_data_path

from dtu_audio.errors import DtuError

if TYPE_CHECKING:
    import torch

APP_NAME = "dtu-audio"
#: The folders :func:`cache_dir` knows, each under ``$DTU_HOME`` (or the per-user cache folder).
CacheName = Literal["embeddings", "waveforms", "syncaps", "esc50"]
Precision = Literal["auto", "fp32", "bf16"]


@dataclass(frozen=True)
class ModelReference:
    """What a model reference resolved to.

    ``text`` is what the user gave; ``kind`` is ``"file"``, ``"weights"`` (a weight-cache entry) or a
    registered scheme's name; ``path`` is the local checkpoint file, when there is one.
    """

    text: str
    kind: str
    path: Path | None


SchemeResolver = Callable[[str], ModelReference]
_SCHEMES: dict[str, SchemeResolver] = {}


def register_scheme(name: str, resolver: SchemeResolver) -> None:
    """Resolve references written ``name:REST`` with ``resolver(REST)``."""
    _SCHEMES[name] = resolver


def _weight_cache_reference(text: str) -> ModelReference | None:
    """The cached file of weight-cache name ``text``; None when no entry has that name."""
    from dtu_audio.weights.fetch import weight_path
    from dtu_audio.weights.registry import KNOWN, canonical_name, folder_of

    name = canonical_name(text)
    entry = KNOWN.get(name)
    if entry is None and folder_of(name) is None:
        return None
    if entry is not None and entry.source == "hf":
        raise DtuError(f"{text} is a text encoder, not a model checkpoint; use it as model.text_encoder")
    if entry is not None and entry.source == "drive-folder":
        raise DtuError(f"{text} is a folder of checkpoints; name one as {name}/<stem> (see dtu fetch-weights --list)")
    return ModelReference(text, "weights", weight_path(name))


def resolve_reference(reference: str | os.PathLike) -> ModelReference:
    """Resolve a model reference: a registered ``scheme:...``, a file, or a weight-cache name (see above)."""
    text = str(reference)
    scheme, sep, rest = text.partition(":")
    if sep and scheme in _SCHEMES:
        return _SCHEMES[scheme](rest)
    path = Path(text).expanduser()
    if path.is_file():
        return ModelReference(text, "file", path)
    if path.is_dir():
        raise DtuError(f"{text} is a folder; pass the checkpoint file in it (for a run folder: {path / 'best.pt'})")
    cached = _weight_cache_reference(text)
    if cached is not None:
        return cached
    raise DtuError(
        f"checkpoint {text} does not exist and is no weight-cache name (see dtu fetch-weights --list for the names)"
    )


def checkpoint_path(reference: str | os.PathLike) -> Path:
    """The local checkpoint file behind a model reference; a ``DtuError`` when there is none."""
    resolved = resolve_reference(reference)
    if resolved.path is None:
        raise DtuError(f"{resolved.text} is a {resolved.kind} model, not a checkpoint file dtu can load here")
    return resolved.path


def dtu_home() -> Path | None:
    """``$DTU_HOME`` when it is set and not empty."""
    home = os.environ.get("DTU_HOME", "").strip()
    return Path(home).expanduser() if home else None


def weights_dir(cache_dir: str | os.PathLike | None = None) -> Path:
    """The weight cache: ``cache_dir`` when given, else ``$DTU_HOME``, else the per-user data folder."""
    if cache_dir is not None:
        return Path(cache_dir).expanduser()
    return dtu_home() or user_data_path(APP_NAME)


def data_home(home: str | os.PathLike | None = None) -> Path:
    """Where ``dtu data prepare`` puts datasets: ``home``, else ``$DTU_DATA``, else ``data`` in the weight cache."""
    if home is not None:
        return Path(home).expanduser()
    if os.environ.get("DTU_DATA"):
        return Path(os.environ["DTU_DATA"]).expanduser()
    return weights_dir() / "data"


def cache_dir(name: CacheName) -> Path:
    """The cache folder ``name``: ``$DTU_HOME/<name>``, else ``<per-user cache folder>/<name>``."""
    return (dtu_home() or user_cache_path(APP_NAME)) / name


def resolve_device(preference: str, local_rank: int = 0, setting: str = "device") -> torch.device:
    """The device of ``preference``: ``auto`` is this process's GPU (``local_rank``) when CUDA is present, else
    the CPU; ``cuda`` is that GPU. ``setting`` names the option in errors (``train.device``, ``eval.device``)."""
    import torch

    if preference == "auto":
        return torch.device("cuda", local_rank) if torch.cuda.is_available() else torch.device("cpu")
    try:
        device = torch.device(preference)
    except RuntimeError:
        raise DtuError(f"{setting} {preference!r} is not a device; use auto, cpu, cuda or cuda:N") from None
    if device.type == "cuda" and not torch.cuda.is_available():
        raise DtuError(f"{setting} is {preference} but CUDA is not available; use auto or cpu")
    return torch.device("cuda", local_rank) if device.type == "cuda" and device.index is None else device


def use_bf16(precision: Precision, device: torch.device, setting: str = "precision") -> bool:
    """Whether to run in bf16 autocast: ``auto`` on CUDA, ``bf16`` (CUDA only), never for ``fp32``."""
    if precision == "bf16" and device.type != "cuda":
        raise DtuError(f"{setting} bf16 needs a CUDA device; use auto or fp32 on the {device.type.upper()}")
    return device.type == "cuda" and precision in ("auto", "bf16")
