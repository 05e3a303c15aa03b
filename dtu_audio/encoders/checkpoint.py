"""Checkpoints: the paper's three layouts and our own, loaded with one clear error on any mismatch.

- ``HTSAT.ckpt`` (AudioSet audio encoder): ``{"state_dict": {"sed_model.<name>": ...}}``; loads the
  audio encoder only.
- ``HTSAT-BERT-PT.pt`` (WavCaps) and the paper's fine-tuned checkpoints: ``{"model": state_dict}``,
  the latter possibly with ``position_ids``.
- Ours: ``{"model": state_dict, "spec": resolved run spec, "version": ..., **extra}``: the original's full
  state dict (its front-end kernels included), so the original code loads it with a strict
  ``load_state_dict``.

Files are read by :func:`dtu_audio.safe_load.load_torch_file` (no pickled code runs). The original
front-end kernels and ``position_ids`` are accepted when present and dropped: the model computes them.
"""

from __future__ import annotations

import functools
from pathlib import Path
from typing import Any

import torch
from pydantic import ValidationError

from dtu_audio import __version__
from dtu_audio.encoders.frontend import original_frontend_state
from dtu_audio.encoders.model import RetrievalModel
from dtu_audio.errors import DtuError
from dtu_audio.fileio import atomic_path
from dtu_audio.resolve import checkpoint_path
from dtu_audio.safe_load import load_torch_file
from dtu_audio.specs import AudioSpec, ModelSpec, RunSpec

AUDIO_PREFIX = "audio_encoder.audio_enc."
AUDIOSET_PREFIX = "sed_model."
#: Where the original keeps its log-mel front-end kernels (:func:`original_frontend_state`).
FRONTEND_PREFIX = AUDIO_PREFIX + "audio_feats_extractor."
#: Entries of the original checkpoints that the model computes itself.
_COMPUTED_PARTS = ("audio_feats_extractor.", "spectrogram_extractor.", "logmel_extractor.")
_SHOWN = 3


def _is_computed(name: str) -> bool:
    return name.endswith("position_ids") or any(part in name for part in _COMPUTED_PARTS)


def read_checkpoint(path: str | Path) -> dict[str, Any]:
    """Load a checkpoint onto the CPU without running pickled code; a ``DtuError`` if it is missing,
    unreadable, unsafe or not a model file."""
    ckpt = load_torch_file(path)
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


def model_layout(model: RetrievalModel, audio_only: bool) -> dict[str, str]:
    """The shape of every entry a checkpoint of ``model`` holds (the audio encoder's only, if ``audio_only``)."""
    return {
        k: _shape(v)
        for k, v in model.state_dict().items()
        if not _is_computed(k) and (not audio_only or k.startswith(AUDIO_PREFIX))
    }


@functools.cache
def _spec_layout(model_json: str, audio_json: str, audio_only: bool) -> dict[str, str]:
    model_spec, audio_spec = ModelSpec.model_validate_json(model_json), AudioSpec.model_validate_json(audio_json)
    model = RetrievalModel.from_spec(model_spec, audio_spec)
    return model_layout(model, audio_only)


def spec_layout(spec: RunSpec, audio_only: bool = False) -> dict[str, str]:
    """:func:`model_layout` of the model ``spec`` describes (built once per spec and process)."""
    return _spec_layout(spec.model.model_dump_json(), spec.audio.model_dump_json(), audio_only)


def layout_problems(expected: dict[str, str], state: dict[str, torch.Tensor]) -> list[str]:
    """How ``state`` (our names, computed entries dropped) differs from the ``expected`` layout: missing,
    unexpected and mis-shaped entries, each kind as one short listing; empty when it fits."""
    missing = [k for k in expected if k not in state]
    unexpected = [k for k in state if k not in expected]
    wrong = [
        f"{k}: {_shape(state[k])} in the file, {v} in the model"
        for k, v in expected.items()
        if k in state and _shape(state[k]) != v
    ]
    listed = (("missing", missing), ("unexpected", unexpected), ("mis-shaped", wrong))
    return [_listing(names, kind) for kind, names in listed if names]


def load_state(model: RetrievalModel, state: dict[str, torch.Tensor], audio_only: bool, label: str) -> None:
    """Load ``state`` into ``model`` after checking names and shapes; one ``DtuError`` lists every mismatch."""
    problems = layout_problems(model_layout(model, audio_only), state)
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


def original_state_dict(model: RetrievalModel) -> dict[str, torch.Tensor]:
    """``model``'s state dict (on the CPU) as the original model's: its front-end kernels inserted where the
    original has them, before the audio encoder's first entry (a model without one is saved as it is)."""
    state: dict[str, torch.Tensor] = {}
    frontend_added = False
    for name, value in model.state_dict().items():
        if name.startswith(AUDIO_PREFIX) and not frontend_added:  # the audio spec is asked for only here
            state.update({FRONTEND_PREFIX + k: v for k, v in original_frontend_state(model.audio_spec).items()})
            frontend_added = True
        state[name] = value.detach().cpu()
    return state


def save_checkpoint(path: str | Path, model: RetrievalModel, spec: RunSpec, **extra: Any) -> None:
    """Write ``{"model": original_state_dict(model), "spec": spec, "version": ..., **extra}`` atomically."""
    state = original_state_dict(model)
    payload = {"model": state, "spec": spec.model_dump(mode="json"), "version": __version__, **extra}
    with atomic_path(path) as tmp:
        torch.save(payload, tmp)


def describe_checkpoint(ckpt: dict[str, Any]) -> str:
    """What a checkpoint holds, in a few words (``a dtu checkpoint with a 128-d embedding ...``)."""
    state, audio_only = checkpoint_state(ckpt)
    if audio_only:
        return f"an audio-encoder checkpoint ({len(state)} entries under 'state_dict')"
    embed, text = state.get("audio_proj.2.weight"), state.get("text_proj.0.weight")
    if not (isinstance(embed, torch.Tensor) and isinstance(text, torch.Tensor) and embed.dim() == text.dim() == 2):
        return f"a checkpoint of another model ({len(state)} entries under 'model')"
    owner = "a dtu checkpoint" if isinstance(ckpt.get("spec"), dict) else "a retrieval-model checkpoint"
    return f"{owner} with a {embed.shape[0]}-d embedding and a {text.shape[1]}-wide text encoder"


def saved_spec(ckpt: dict[str, Any], label: str) -> RunSpec:
    """The run spec a checkpoint was saved with; the paper's defaults for the paper's checkpoints."""
    try:
        return RunSpec.model_validate(ckpt["spec"]) if isinstance(ckpt.get("spec"), dict) else RunSpec()
    except ValidationError as err:
        raise DtuError(f"checkpoint {label} carries an invalid spec: {str(err).splitlines()[0]}") from None


def load_model(name_or_path: str | Path, device: str | torch.device = "cpu") -> RetrievalModel:
    """A retrieval model from a model reference (a checkpoint file, a weight-cache name such as ``wavcaps-pt``
    or ``dtu-finetuned/<stem>``; see :mod:`dtu_audio.resolve`), in eval mode on ``device``.

    Our checkpoints rebuild the architecture of their saved spec; the paper's use the paper's.
    """
    path = checkpoint_path(name_or_path)
    ckpt = read_checkpoint(path)
    state, audio_only = checkpoint_state(ckpt)
    if audio_only:
        raise DtuError(
            f"{path} holds an audio encoder only (AudioSet HTSAT); use it to initialise training, not as a model"
        )
    spec = saved_spec(ckpt, str(path))
    model = RetrievalModel.from_spec(spec.model, spec.audio)
    load_state(model, state, audio_only=False, label=str(path))
    return model.to(device).eval()
