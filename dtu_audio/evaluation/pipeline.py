"""``dtu eval`` end to end: resolve the dataset and checkpoint, run the suite, return every number."""

from __future__ import annotations

import time
from pathlib import Path

import torch

from dtu_audio.errors import DtuError
from dtu_audio.evaluation.embedding_cache import EmbeddingCache, default_cache_root, file_sha256
from dtu_audio.evaluation.prepare import PreparedSuite
from dtu_audio.evaluation.runner import evaluate_suite
from dtu_audio.specs import RunSpec

_CHECKPOINT_SUFFIXES = (".pt", ".pth", ".ckpt", ".bin")


def checkpoint_file(name_or_path: str) -> Path:
    """The file behind ``--ckpt``: a path, or a weight-cache name resolved like ``load_model`` does."""
    path = Path(name_or_path)
    if path.is_file():
        return path
    if path.suffix in _CHECKPOINT_SUFFIXES or len(path.parts) > 1:
        raise DtuError(f"checkpoint {path} does not exist")
    from dtu_audio.weights import weight_path

    return Path(weight_path(name_or_path))


def resolve_device(device: str) -> torch.device:
    """``auto`` is CUDA when present, else CPU."""
    if device == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    if device.startswith("cuda") and not torch.cuda.is_available():
        raise DtuError(f"device {device} asked for, but CUDA is not available; use --device cpu")
    return torch.device(device)


class ModelEmbedder:
    """A loaded model's batched embedding helpers, with bf16 autocast when the spec's precision asks for it."""

    def __init__(self, model, bf16: bool):
        self.model, self.bf16 = model, bf16

    def embed_audio(self, paths, batch_size: int = 32) -> torch.Tensor:
        return self.model.embed_audio(paths, batch_size=batch_size, bf16=self.bf16)

    def embed_text(self, captions, batch_size: int = 256) -> torch.Tensor:
        return self.model.embed_text(captions, batch_size=batch_size, bf16=self.bf16)


def evaluate_checkpoint(
    checkpoint: str, prepared: PreparedSuite, spec: RunSpec, device: torch.device, cache_root: Path | None = None
) -> dict:
    """Every metric of every set of ``prepared`` for one checkpoint; embeddings cached under ``cache_root``."""
    from dtu_audio import load_model

    started = time.perf_counter()
    path = checkpoint_file(checkpoint)
    sha256 = file_sha256(path)
    model = load_model(path, device=device)
    bf16 = spec.train.precision == "bf16" or (spec.train.precision == "auto" and device.type == "cuda")
    audio_settings = {**model.audio_spec.model_dump(mode="json"), "bf16": bf16}
    text_settings = {
        "text_encoder": model.model_spec.text_encoder,
        "text_max_length": model.model_spec.text_max_length,
        "bf16": bf16,
    }
    use_cache = spec.eval.embedding_cache
    cache = EmbeddingCache(
        sha256,
        audio_settings,
        text_settings,
        root=(cache_root or default_cache_root()) if use_cache else None,
        checkpoint_path=path,
    )
    loaded = time.perf_counter()
    outcome = evaluate_suite(
        ModelEmbedder(model, bf16),
        prepared.test_sets,
        cache,
        prepared.locator,
        batch_size=spec.eval.batch_size,
        bootstrap_samples=spec.eval.bootstrap_samples,
        seed=spec.train.seed,
        device=device,
    )
    outcome["timing"] = {"load_model_s": loaded - started, **outcome["timing"]}
    outcome["timing"]["total_s"] = time.perf_counter() - started
    return {
        "checkpoint": {"name": checkpoint, "path": str(path.resolve()), "sha256": sha256},
        "dataset": prepared.dataset,
        "data_root": str(prepared.data_root),
        "suite": prepared.suite,
        "device": str(device),
        "embedding_cache": str(cache.folder) if cache.folder else None,
        **outcome,
        "spec": spec.model_dump(mode="json"),
        "checkpoint_spec": {
            "audio": model.audio_spec.model_dump(mode="json"),
            "model": model.model_spec.model_dump(mode="json"),
        },
    }
