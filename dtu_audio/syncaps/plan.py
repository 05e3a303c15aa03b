"""Planning a new SynCaps set: which sources to pair, in which order, overlap, transforms, caption."""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field

import numpy as np

from dtu_audio.datasets.temporal import LEFT_FIRST, RIGHT_FIRST
from dtu_audio.errors import DtuError
from dtu_audio.syncaps.captions import CONNECTIVES, caption_for_events
from dtu_audio.syncaps.recipe import SPLITS, ClipPlan, Recipe
from dtu_audio.syncaps.sources import SourceSet
from dtu_audio.syncaps.transforms import IDENTITY, TRANSFORMS, TransformRanges

#: The paper's draw: past or future with equal odds, then a connective of that group uniformly.
PAPER_CONNECTIVE_WEIGHTS = {
    **{c: 1 / (2 * len(LEFT_FIRST)) for c in LEFT_FIRST},
    **{c: 1 / (2 * len(RIGHT_FIRST)) for c in RIGHT_FIRST},
}
#: Folds of each split with --disjoint-splits (ESC-50 has folds 1-5).
DISJOINT_FOLDS = {"train": (1, 2, 3), "val": (4,), "test": (5,)}
_MAX_DRAWS = 100


@dataclass(frozen=True)
class PlanOptions:
    """How a new set is drawn; defaults follow the paper."""

    seed: int = 0
    num_clips: int = 100
    val_fraction: float = 0.1
    test_fraction: float = 0.1
    overlap_prob: float = 0.5
    overlap_range: tuple[float, float] = (0.2, 1.0)
    transform_prob: float = 0.0
    test_transform_prob: float = 5 / 6
    ranges: TransformRanges = field(default_factory=TransformRanges)
    connective_weights: dict[str, float] = field(default_factory=lambda: dict(PAPER_CONNECTIVE_WEIGHTS))
    sample_rate: int = 44100
    disjoint_splits: bool = False

    def check(self) -> None:
        """Raise a one-line error for options that cannot be honoured."""
        if self.num_clips < 1:
            raise DtuError(f"--num-clips must be at least 1 (got {self.num_clips})")
        if min(self.val_fraction, self.test_fraction) < 0 or self.val_fraction + self.test_fraction > 1:
            raise DtuError("--val-fraction and --test-fraction must be >= 0 and sum to at most 1")
        for name in ("overlap_prob", "transform_prob", "test_transform_prob"):
            if not 0 <= getattr(self, name) <= 1:
                raise DtuError(f"--{name.replace('_', '-')} must lie in [0, 1]")
        if not 0 <= self.overlap_range[0] <= self.overlap_range[1]:
            raise DtuError(f"--overlap-range {self.overlap_range} must be 0 <= low <= high (seconds)")
        unknown = set(self.connective_weights) - set(CONNECTIVES)
        if unknown or not any(w > 0 for w in self.connective_weights.values()):
            raise DtuError(
                f"--connectives needs positive weights for some of: {', '.join(CONNECTIVES)}"
                + (f" (unknown: {', '.join(sorted(unknown))})" if unknown else "")
            )
        if any(w < 0 for w in self.connective_weights.values()):
            raise DtuError("--connectives weights must not be negative")
        if self.sample_rate < 8000:
            raise DtuError(f"--sample-rate {self.sample_rate} is too low (at least 8000 Hz)")


def _split_sizes(options: PlanOptions) -> dict[str, int]:
    n_val = round(options.num_clips * options.val_fraction)
    n_test = round(options.num_clips * options.test_fraction)
    return {"train": options.num_clips - n_val - n_test, "val": n_val, "test": n_test}


def _pools(sources: SourceSet, disjoint: bool) -> dict[str, dict[str, list[str]]]:
    """Per split: category -> source files it may use."""
    pools = {}
    for split in SPLITS:
        folds = DISJOINT_FOLDS[split] if disjoint else None
        by_category: dict[str, list[str]] = {}
        for filename in sorted(sources.categories):
            if folds is None or sources.folds[filename] in folds:
                by_category.setdefault(sources.categories[filename], []).append(filename)
        pools[split] = by_category
    return pools


def _draw_clip(
    rng: np.random.Generator, pool: dict[str, list[str]], split: str, options: PlanOptions, sources: SourceSet
) -> ClipPlan:
    categories = sorted(pool)
    cat1, cat2 = rng.choice(len(categories), size=2, replace=False)
    file1 = pool[categories[cat1]][rng.integers(len(pool[categories[cat1]]))]
    file2 = pool[categories[cat2]][rng.integers(len(pool[categories[cat2]]))]
    order = int(rng.integers(1, 3))
    overlap = bool(rng.random() < options.overlap_prob)
    overlap_time = float(rng.uniform(*options.overlap_range)) if overlap else 0.0
    names = sorted(options.connective_weights)
    weights = np.array([options.connective_weights[c] for c in names], dtype=float)
    connective = names[rng.choice(len(names), p=weights / weights.sum())]
    prob = options.test_transform_prob if split == "test" else options.transform_prob
    others = [t for t in TRANSFORMS if t != IDENTITY]
    transforms = [others[rng.integers(len(others))] if rng.random() < prob else IDENTITY for _ in range(2)]
    first, second = (file1, file2) if order == 1 else (file2, file1)
    caption = caption_for_events(sources.description(first), sources.description(second), connective)
    return ClipPlan(
        file1=file1,
        file2=file2,
        order=order,
        overlap=overlap,
        overlap_time=overlap_time,
        connective=connective,
        caption=caption,
        file1_transform=transforms[0],
        file2_transform=transforms[1],
        split=split,
        seed=int(rng.integers(2**32)),
    )


def plan_new_set(sources: SourceSet, options: PlanOptions) -> Recipe:
    """Draw ``options.num_clips`` clips (train, then val, then test) from ``sources``, seeded."""
    options.check()
    rng = np.random.default_rng(options.seed)
    pools = _pools(sources, options.disjoint_splits)
    clips, names = [], set()
    for split, size in _split_sizes(options).items():
        if size and len(pools[split]) < 2:
            how = f"folds {DISJOINT_FOLDS[split]}" if options.disjoint_splits else "the sources"
            raise DtuError(f"the {split} split needs sound sources of at least 2 categories in {how}")
        for _ in range(size):
            for _ in range(_MAX_DRAWS):
                clip = _draw_clip(rng, pools[split], split, options, sources)
                if clip.name not in names:
                    break
            else:
                raise DtuError(f"cannot draw {size} distinct {split} clips from these sources; lower --num-clips")
            names.add(clip.name)
            clips.append(clip)
    generator = json.loads(json.dumps({k: v for k, v in asdict(options).items() if k != "ranges"}))
    return Recipe(clips=tuple(clips), ranges=options.ranges, sample_rate=options.sample_rate, generator=generator)
