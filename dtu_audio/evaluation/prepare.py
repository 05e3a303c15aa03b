"""Find a dataset's test sets and their audio before any model is loaded (no torch: bad input fails fast)."""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from dtu_audio.data.home import default_data_root
from dtu_audio.datasets.manifest import Manifest
from dtu_audio.errors import DtuError
from dtu_audio.evaluation.suites import DATASETS, RECIPES, SuiteName, TestSet, build_suite, custom_recipes
from dtu_audio.specs import RunSpec


class AudioLocator:
    """Finds a clip by its manifest path, else by file name under the audio roots (searched recursively)."""

    def __init__(self, roots: Sequence[Path]):
        self.roots = [Path(r) for r in roots]
        self._by_name: dict[str, Path] | None = None

    def _index(self) -> dict[str, Path]:
        if self._by_name is None:
            self._by_name = {}
            for root in self.roots:
                for folder, _, names in os.walk(root):
                    for name in names:
                        self._by_name.setdefault(name, Path(folder) / name)
        return self._by_name

    def _find(self, audio: str, audio_id: str) -> Path | None:
        names = (audio, audio_id, Path(audio).name)  # a relative manifest path is relative to the data root
        candidates = [Path(audio)] + [root / name for root in self.roots for name in names]
        found = next((p for p in candidates if p.is_file()), None)
        if found is None:
            index = self._index()
            found = index.get(audio_id) or index.get(Path(audio).name)
        return found

    def paths(self, manifest: Manifest, set_name: str) -> list[Path]:
        """Audio path of every clip of ``manifest``; a one-line error names the missing ones."""
        found = [self._find(e.audio, e.id) for e in manifest.entries]
        missing = [e.id for e, p in zip(manifest.entries, found, strict=True) if p is None]
        if missing:
            where = " or ".join(str(r) for r in self.roots) or "the manifest's paths"
            first = ", ".join(missing[:3]) + (", ..." if len(missing) > 3 else "")
            raise DtuError(
                f"test set {set_name}: {len(missing)} of {len(manifest)} audio files not found under {where}: "
                f"{first} (pass --data-root DIR holding the audio)"
            )
        return found


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
    from dtu_audio.datasets.temporal.baseline import text_only_order_accuracy, train_text_baseline

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
    test_sets = build_suite(recipes, root, spec.eval.suite, seed=spec.eval.seed)
    audio_roots = [r for r in (spec.data.audio_root, root) if r is not None]
    baselines = {}
    if any(s.alteration for s in test_sets):
        baselines = text_baselines(test_sets, *_training_captions(name, spec, root), seed=spec.eval.seed)
    return PreparedSuite(name, root, spec.eval.suite, test_sets, AudioLocator(audio_roots), baselines)
