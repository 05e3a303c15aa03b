"""``dtu eval`` end to end: resolve the dataset and the model, run the suite, return every number."""

from __future__ import annotations

import time
from pathlib import Path

import torch

from dtu_audio.embedders.base import Embedder
from dtu_audio.evaluation.embedding_cache import EmbeddingCache
from dtu_audio.evaluation.prepare import PreparedSuite
from dtu_audio.evaluation.runner import evaluate_suite
from dtu_audio.resolve import cache_dir
from dtu_audio.specs import RunSpec


def evaluate_checkpoint(
    reference: str, prepared: PreparedSuite, spec: RunSpec, device: torch.device, cache_root: Path | None = None
) -> dict:
    """Every metric of every set of ``prepared`` for one model (any reference ``load_embedder`` takes)."""
    from dtu_audio.embedders import load_embedder

    started = time.perf_counter()
    embedder = load_embedder(reference, device=device, precision=spec.eval.precision)
    return evaluate_embedder(embedder, prepared, spec, device, cache_root, started=started)


def evaluate_embedder(
    embedder: Embedder,
    prepared: PreparedSuite,
    spec: RunSpec,
    device: torch.device | None = None,
    cache_root: Path | None = None,
    started: float | None = None,
) -> dict:
    """Every metric of every set of ``prepared`` for a loaded :class:`~dtu_audio.embedders.base.Embedder`.

    Embeddings are cached under ``cache_root`` (default: the user cache) unless the spec turns the cache off;
    ``device`` is where the metrics are computed (default: the CPU).
    """
    started = time.perf_counter() if started is None else started
    cache = EmbeddingCache(
        embedder.fingerprint,
        embedder.audio_settings,
        embedder.text_settings,
        root=(cache_root or cache_dir("embeddings")) if spec.eval.embedding_cache else None,
        source=embedder.source,
    )
    loaded = time.perf_counter()
    outcome = evaluate_suite(
        embedder,
        prepared.test_sets,
        cache,
        prepared.locator,
        batch_size=spec.eval.batch_size,
        bootstrap_samples=spec.eval.bootstrap_samples,
        seed=spec.eval.seed,
        device=device,
    )
    for name, baseline in prepared.text_baselines.items():
        outcome["sets"][name]["text_baseline"] = baseline
    outcome["timing"] = {"load_model_s": loaded - started, **outcome["timing"]}
    outcome["timing"]["total_s"] = time.perf_counter() - started
    describe = getattr(embedder, "describe", None)
    return {
        "checkpoint": {
            "name": embedder.name,
            "family": embedder.family,
            "path": str(embedder.source.resolve()) if embedder.source else None,
            "sha256": embedder.fingerprint,
        },
        "dataset": prepared.dataset,
        "data_root": str(prepared.data_root),
        "suite": prepared.suite,
        "device": str(device or "cpu"),
        "embedding_cache": str(cache.folder) if cache.folder else None,
        **outcome,
        "spec": spec.model_dump(mode="json"),
        "checkpoint_spec": describe() if describe else None,
    }
