"""Checkpoints: the paper's three layouts and our own, loaded with one clear error on any mismatch.

- ``HTSAT.ckpt`` (AudioSet audio encoder): ``{"state_dict": {"sed_model.<name>": ...}}``; loads the
  audio encoder only.
- ``HTSAT-BERT-PT.pt`` (WavCaps) and the paper's fine-tuned checkpoints: ``{"model": state_dict}``,
  the latter possibly with ``position_ids``.
- Ours: ``{"model": state_dict, "spec": resolved run spec, "version": ..., **extra}``, loadable by the
  original code as well.

The original front-end kernels and ``position_ids`` are expected and dropped.
"""

from __future__ import annotations

import pickle
from pathlib import Path
from typing import Any

import torch
from pydantic import ValidationError

from dtu_audio import __version__
from dtu_audio.encoders.model import RetrievalModel
from dtu_audio.errors import DtuError
from dtu_audio.fileio import atomic_path
from dtu_audio.specs import RunSpec

AUDIO_PREFIX = "audio_encoder.audio_enc."
AUDIOSET_PREFIX = "sed_model."
#: Entries of the original checkpoints that the model computes itself.
_COMPUTED_PARTS = ("audio_feats_extractor.", "spectrogram_extractor.", "logmel_extractor.")
_SHOWN = 3
_CHECKPOINT_SUFFIXES = (".pt", ".pth", ".ckpt", ".bin")


def _is_computed(name: str) -> bool:
    return name.endswith("position_ids") or any(part in name for part in _COMPUTED_PARTS)


def read_checkpoint(path: str | Path) -> dict[str, Any]:
    """``torch.load`` a checkpoint onto the CPU; a ``DtuError`` if it is missing or unreadable."""
    path = Path(path)
    if not path.is_file():
        raise DtuError(f"checkpoint {path} does not exist")
    try:
        try:
            ckpt = torch.load(path, map_location="cpu", weights_only=True)
        except pickle.UnpicklingError:  # Lightning checkpoints (HTSAT.ckpt) also pickle their settings
            ckpt = torch.load(path, map_location="cpu", weights_only=False)
    except Exception as err:
        raise DtuError(f"cannot read checkpoint {path}: {str(err).splitlines()[0]}") from None
    if not isinstance(ckpt, dict) or not any(isinstance(ckpt.get(k), dict) for k in ("model", "state_dict")):
        raise DtuError(f"checkpoint {path} holds neither a 'model' nor a 'state_dict' entry; is it a model file?")
    return ckpt


def checkpoint_state(ckpt: dict[str, Any]) -> tuple[dict[str, torch.Tensor], bool]:
    """The state dict of a checkpoint under our names, and whether it holds the audio encoder only."""
    if isinstance(ckpt.get("model"), dict):
        return {k: v for k, v in ckpt["model"].items() if not _is_computed(k)}, False
    state = {}
    for name, value in ckpt["state_dict"].items():
        if _is_computed(name):
            continue
        state[AUDIO_PREFIX + name.removeprefix(AUDIOSET_PREFIX) if name.startswith(AUDIOSET_PREFIX) else name] = value
    return state, True


def _listing(names: list[str], kind: str) -> str:
    more = f", ... {len(names) - _SHOWN} more" if len(names) > _SHOWN else ""
    return f"{len(names)} {kind} ({', '.join(names[:_SHOWN])}{more})"


def _shape(value: Any) -> str:
    return str(list(value.shape)) if isinstance(value, torch.Tensor) else type(value).__name__


def load_state(model: RetrievalModel, state: dict[str, torch.Tensor], audio_only: bool, label: str) -> None:
    """Load ``state`` into ``model`` after checking names and shapes; one ``DtuError`` lists every mismatch."""
    expected = {
        k: v
        for k, v in model.state_dict().items()
        if not _is_computed(k) and (not audio_only or k.startswith(AUDIO_PREFIX))
    }
    missing = [k for k in expected if k not in state]
    unexpected = [k for k in state if k not in expected]
    wrong = [
        f"{k}: {_shape(state[k])} in the file, {_shape(v)} in the model"
        for k, v in expected.items()
        if k in state and _shape(state[k]) != _shape(v)
    ]
    listed = (("missing", missing), ("unexpected", unexpected), ("mis-shaped", wrong))
    problems = [_listing(names, kind) for kind, names in listed if names]
    if problems:
        raise DtuError(
            f"checkpoint {label} does not fit the model: {'; '.join(problems)}; "
            "check that it was saved for this model spec (text encoder, HTSAT size, embed size)"
        )
    model.load_state_dict(state, strict=not audio_only)


def load_checkpoint(model: RetrievalModel, path: str | Path) -> dict[str, Any]:
    """Load any supported checkpoint into ``model``; return the checkpoint's other entries (spec, epoch, ...).

    An AudioSet ``HTSAT.ckpt`` fills the audio encoder only; the rest of the model keeps its weights.
    """
    ckpt = read_checkpoint(path)
    state, audio_only = checkpoint_state(ckpt)
    load_state(model, state, audio_only, str(path))
    return {k: v for k, v in ckpt.items() if k not in ("model", "state_dict")}


def save_checkpoint(path: str | Path, model: RetrievalModel, spec: RunSpec, **extra: Any) -> None:
    """Write ``{"model": state_dict, "spec": spec, "version": ..., **extra}`` atomically."""
    state = {k: v.detach().cpu() for k, v in model.state_dict().items()}
    payload = {"model": state, "spec": spec.model_dump(mode="json"), "version": __version__, **extra}
    with atomic_path(path) as tmp:
        torch.save(payload, tmp)


def load_model(name_or_path: str | Path, device: str | torch.device = "cpu") -> RetrievalModel:
    """A retrieval model from a checkpoint file or a weight-cache name (``wavcaps-pt``), in eval mode on ``device``.

    Our checkpoints rebuild the architecture of their saved spec; the paper's use the paper's.
    """
    path = Path(name_or_path)
    if not path.exists() and path.suffix not in _CHECKPOINT_SUFFIXES:
        from dtu_audio.weights import weight_path

        path = Path(weight_path(str(name_or_path)))
    ckpt = read_checkpoint(path)
    state, audio_only = checkpoint_state(ckpt)
    if audio_only:
        raise DtuError(
            f"{path} holds an audio encoder only (AudioSet HTSAT); use it to initialise training, not as a model"
        )
    try:
        spec = RunSpec.model_validate(ckpt["spec"]) if isinstance(ckpt.get("spec"), dict) else RunSpec()
    except ValidationError as err:
        raise DtuError(f"checkpoint {path} carries an invalid spec: {str(err).splitlines()[0]}") from None
    model = RetrievalModel.from_spec(spec.model, spec.audio)
    load_state(model, state, audio_only=False, label=str(path))
    return model.to(device).eval()
