"""``dtu eval`` end to end: resolve the dataset and the model, run the suite, return every number."""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path

import torch

from dtu_audio.data.home import default_data_root
from dtu_audio.embedders.base import Embedder
from dtu_audio.errors import DtuError
from dtu_audio.evaluation.embedding_cache import EmbeddingCache, default_cache_root
from dtu_audio.evaluation.runner import AudioLocator, evaluate_suite
from dtu_audio.evaluation.suites import DATASETS, RECIPES, SuiteName, TestSet, build_suite, custom_recipes
from dtu_audio.specs import RunSpec

_CHECKPOINT_SUFFIXES = (".pt", ".pth", ".ckpt", ".bin")


@dataclass(frozen=True)
class PreparedSuite:
    """The test sets of one dataset and where their audio is."""

    dataset: str
    data_root: Path
    suite: SuiteName
    test_sets: list[TestSet]
    locator: AudioLocator


def prepare_suite(dataset: str, spec: RunSpec, data_root: Path | None = None) -> PreparedSuite:
    """The test sets of ``dataset`` (a name in :data:`DATASETS` or a manifest file) for ``spec.eval.suite``."""
    root = data_root or spec.data.data_root
    if dataset in DATASETS:
        root = root or default_data_root(dataset)
        if not root.is_dir():
            raise DtuError(
                f"where is the {dataset} data? {root} does not exist: run dtu data prepare {dataset}, "
                "or pass --data-root DIR (the folder with its test manifest)"
            )
        name, recipes = dataset, RECIPES[dataset]
    else:
        manifest = Path(dataset)
        if not manifest.is_file():
            raise DtuError(f"unknown dataset {dataset!r}: use {', '.join(DATASETS)} or the path of a test manifest")
        name, recipes = manifest.stem, custom_recipes(manifest.resolve())
        root = root or manifest.resolve().parent
    root = Path(root)
    if not root.is_dir():
        raise DtuError(f"data root {root} is not a folder")
    test_sets = build_suite(recipes, root, spec.eval.suite, seed=spec.train.seed)
    audio_roots = [r for r in (spec.data.audio_root, root) if r is not None]
    return PreparedSuite(name, root, spec.eval.suite, test_sets, AudioLocator(audio_roots))


def checkpoint_file(name_or_path: str) -> Path:
    """The file behind ``--ckpt``: a path, or a weight-cache name resolved like ``load_model`` does."""
    path = Path(name_or_path)
    if path.is_file():
        return path
    if path.suffix in _CHECKPOINT_SUFFIXES or len(path.parts) > 1:
        raise DtuError(f"checkpoint {path} does not exist")
    from dtu_audio.weights import weight_path

    return Path(weight_path(name_or_path))


def evaluate_checkpoint(
    reference: str, prepared: PreparedSuite, spec: RunSpec, device: torch.device, cache_root: Path | None = None
) -> dict:
    """Every metric of every set of ``prepared`` for one model (any reference ``load_embedder`` takes)."""
    from dtu_audio.embedders import load_embedder

    started = time.perf_counter()
    embedder = load_embedder(reference, device=device, precision=spec.train.precision)
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
        root=(cache_root or default_cache_root()) if spec.eval.embedding_cache else None,
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
        seed=spec.train.seed,
        device=device,
    )
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
