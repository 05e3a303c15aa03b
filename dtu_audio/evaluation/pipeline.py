"""``dtu eval`` end to end: resolve the dataset and the model, run the suite, return every number."""

from __future__ import annotations

import time
from dataclasses import dataclass, field
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
    """The test sets of one dataset, where their audio is, and each variant's text-only baseline."""

    dataset: str
    data_root: Path
    suite: SuiteName
    test_sets: list[TestSet]
    locator: AudioLocator
    text_baselines: dict[str, dict] = field(default_factory=dict)


def _training_captions(dataset: str, spec: RunSpec, root: Path) -> tuple[list[str] | None, str]:
    """The training split's captions, and where they came from (or why there are none)."""
    from dtu_audio.datasets.manifest import load_manifest_or_csv
    from dtu_audio.datasets.splits import DATASETS as SPLIT_DATASETS
    from dtu_audio.datasets.splits import split_file_name

    names = ["train.json", "train.csv"]
    if dataset in SPLIT_DATASETS:
        names += [split_file_name(dataset, "train", n, "orig") for n in (1, 5)]
    candidates = [spec.data.train_manifest] if spec.data.train_manifest else [root / n for n in names]
    found = next((Path(c) for c in candidates if Path(c).is_file()), None)
    if found is None:
        return None, f"no training captions (set data.train_manifest or put train.json under {root})"
    return load_manifest_or_csv(found).captions, str(found)


def text_baselines(test_sets: list[TestSet], train: list[str] | None, source: str, seed: int) -> dict[str, dict]:
    """Per temporal variant, the order accuracy of a text-only classifier trained on the training captions."""
    from dtu_audio.datasets.temporal_baseline import text_only_order_accuracy, train_text_baseline

    by_name = {s.name: s for s in test_sets}
    models = {}  # one classifier per alteration, shared by the sets it alters
    out = {}
    for variant in (s for s in test_sets if s.alteration is not None):
        if train is None:
            out[variant.name] = {"accuracy": None, "reason": source}
            continue
        if variant.alteration not in models:
            models[variant.alteration] = train_text_baseline(train, variant.alteration, seed)
        originals = by_name[variant.variant_of].manifest.captions
        pairs = [(a, b) for a, b in zip(originals, variant.manifest.captions, strict=True) if a != b]
        result = text_only_order_accuracy(models[variant.alteration], [a for a, _ in pairs], [b for _, b in pairs])
        out[variant.name] = {**result, "trained_on": source}
    return out


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
    baselines = {}
    if any(s.alteration for s in test_sets):
        baselines = text_baselines(test_sets, *_training_captions(name, spec, root), seed=spec.train.seed)
    return PreparedSuite(name, root, spec.eval.suite, test_sets, AudioLocator(audio_roots), baselines)


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
