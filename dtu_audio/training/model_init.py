"""The model a run starts from: fresh from the spec, then the ``train.init`` weights."""

from __future__ import annotations

from pathlib import Path

import torch

from dtu_audio.specs import RunSpec


def init_weights_path(init: str) -> Path | None:
    """``None`` for ``none``, else the checkpoint file of model reference ``init`` (:mod:`dtu_audio.resolve`)."""
    if init.lower() == "none":
        return None
    from dtu_audio.resolve import checkpoint_path

    return checkpoint_path(init)


def build_model(spec: RunSpec, init_path: Path | None) -> torch.nn.Module:
    """``RetrievalModel.from_spec`` with the weights at ``init_path`` loaded (when given) and its tokenizer ready.

    A text encoder the init weights do not cover (``--init none``, an AudioSet ``HTSAT.ckpt``) starts
    from its pretrained weights, as the original does.
    """
    from dtu_audio.encoders import RetrievalModel
    from dtu_audio.encoders.checkpoint import checkpoint_state, load_state, read_checkpoint

    model = RetrievalModel.from_spec(spec.model, spec.audio)
    text_covered = False
    if init_path is not None:
        state, audio_only = checkpoint_state(read_checkpoint(init_path))
        load_state(model, state, audio_only, str(init_path))
        text_covered = not audio_only
    if model.text_encoder.fresh and not text_covered:
        model.text_encoder.load_pretrained()
    model.text_encoder.tokenizer  # noqa: B018 -- fail now, not after decoding the audio, if it is not cached
    return model
