"""``dtu eval`` end to end: resolve the dataset and checkpoint, run the suite, return every number."""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path

import torch

from dtu_audio.data.home import default_data_root
from dtu_audio.errors import DtuError
from dtu_audio.evaluation.embedding_cache import EmbeddingCache, file_sha256
from dtu_audio.evaluation.runner import AudioLocator, evaluate_suite
from dtu_audio.evaluation.suites import DATASETS, RECIPES, SuiteName, TestSet, build_suite, custom_recipes
from dtu_audio.resolve import cache_dir, checkpoint_path, use_bf16
from dtu_audio.specs import RunSpec


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
    test_sets = build_suite(recipes, root, spec.eval.suite, seed=spec.eval.seed)
    audio_roots = [r for r in (spec.data.audio_root, root) if r is not None]
    return PreparedSuite(name, root, spec.eval.suite, test_sets, AudioLocator(audio_roots))


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
    path = checkpoint_path(checkpoint)
    sha256 = file_sha256(path)
    model = load_model(path, device=device)
    bf16 = use_bf16(spec.eval.precision, device, setting="eval.precision")
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
        root=(cache_root or cache_dir("embeddings")) if use_cache else None,
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
        seed=spec.eval.seed,
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
