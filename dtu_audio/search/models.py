"""What an index needs from its model, whether a dtu checkpoint or any other embedder (``hf:`` CLAP, folders).

A dtu ``RetrievalModel`` (also the one inside the embedder ``load_embedder`` makes of a checkpoint)
is fingerprinted by its weights, described by its specs and embeds windows zero-padded to its clip
length (``audio.max_samples``), with bf16 autocast on CUDA. Any other embedder is fingerprinted by
its own ``fingerprint``, described by its settings and embeds each window as it is; its clip length
is its ``clip_samples`` (a CLAP model's feature extractor ``max_length_s``).
"""

from __future__ import annotations

import functools
import hashlib
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from dtu_audio.datasets.audio import crop_or_pad
from dtu_audio.errors import DtuError


@dataclass(frozen=True)
class IndexModel:
    """A loaded model as an index sees it: rate, window (samples), embedding size, fingerprint, settings.

    ``settings`` is what the index records as the model's spec; ``audio_options`` go to ``embed_audio``.
    ``embed_size`` is ``None`` where only an embedding tells it (:attr:`dim` then embeds one caption,
    once, when a new index asks for it).
    """

    model: Any
    sample_rate: int
    window: int
    clip_seconds: float
    embed_size: int | None
    fingerprint: str
    settings: dict
    pad_windows: bool
    audio_options: dict

    @functools.cached_property
    def dim(self) -> int:
        """The embedding size."""
        return self.embed_size if self.embed_size is not None else int(self.embed_text(["a"]).shape[1])

    def embed_windows(self, waveforms: Sequence[np.ndarray], batch_size: int) -> np.ndarray:
        """L2-normalised embeddings ``[N, dim]`` of mono windows at ``sample_rate``."""
        if self.pad_windows:  # so that a window's embedding does not depend on its batch
            waveforms = [crop_or_pad(w, self.window, pad=True) for w in waveforms]
        return self.model.embed_audio(list(waveforms), batch_size=batch_size, **self.audio_options).numpy()

    def embed_text(self, captions: Sequence[str]) -> np.ndarray:
        """L2-normalised embeddings ``[N, dim]`` of ``captions``."""
        return self.model.embed_text(list(captions)).numpy()


def weights_fingerprint(model) -> str:
    """SHA-256 (first 16 hex digits) of a torch module's weights, in parameter-name order."""
    import torch

    digest = hashlib.sha256()
    for name, tensor in sorted(model.state_dict().items()):
        digest.update(name.encode())
        digest.update(tensor.detach().cpu().contiguous().view(-1).view(torch.uint8).numpy().tobytes())
    return digest.hexdigest()[:16]


def index_model(model) -> IndexModel:
    """``model`` (what ``dtu_audio.load_model`` or ``load_embedder`` returns) as an index sees it."""
    from dtu_audio.encoders.model import RetrievalModel

    if isinstance(getattr(model, "model", None), RetrievalModel):  # a dtu checkpoint's embedder
        model = model.model
    if isinstance(model, RetrievalModel):
        return IndexModel(
            model=model,
            sample_rate=model.audio_spec.sample_rate,
            window=model.audio_spec.max_samples,
            clip_seconds=model.audio_spec.max_clip_seconds,
            embed_size=model.model_spec.embed_size,
            fingerprint=weights_fingerprint(model),
            settings={
                "model": model.model_spec.model_dump(mode="json"),
                "audio": model.audio_spec.model_dump(mode="json"),
            },
            pad_windows=True,
            audio_options={"bf16": model.device.type == "cuda"},
        )
    window = getattr(model, "clip_samples", None)
    if window is None:
        raise DtuError(
            f"model {model.name} ({model.family}) cannot be indexed: its embedder has no clip_samples "
            "(the clip length files are cut into)"
        )
    return IndexModel(
        model=model,
        sample_rate=model.sample_rate,
        window=int(window),
        clip_seconds=int(window) / model.sample_rate,
        embed_size=None,
        fingerprint=model.fingerprint,
        settings={"family": model.family, "audio": model.audio_settings, "text": model.text_settings},
        pad_windows=False,
        audio_options={},
    )
