"""SynCaps recipes: what to mix, per output clip; the authors' published layout and dtu's own.

The authors publish a recipe as a folder (``json_files/`` in their repository) holding
``audio_to_extra_info.json`` (train + val clips), ``audio_to_extra_info_test.json`` (test
clips), ``val.json`` (the validation manifest, which tells val from train) and
``class_to_desc_gpt4.json`` (ESC-50 class -> description). dtu writes one ``recipe.json``
holding every clip with its split and seed, the transform ranges and the output format, so a
generated set can be replayed exactly.
"""

from __future__ import annotations

import hashlib
from dataclasses import asdict, dataclass, field
from pathlib import Path

from dtu_audio.errors import DtuError
from dtu_audio.fileio import read_json, write_json
from dtu_audio.syncaps.captions import CONNECTIVES, coordinator, events_of
from dtu_audio.syncaps.transforms import TRANSFORMS, TransformRanges

RECIPE_FORMAT = "dtu-syncaps-recipe"
SPLITS = ("train", "val", "test")
AUTHORS_FILES = {
    "train_val": "audio_to_extra_info.json",
    "test": "audio_to_extra_info_test.json",
    "val_manifest": "val.json",
    "descriptions": "class_to_desc_gpt4.json",
}
_AUTHORS_FIELDS = ("file1", "file2", "order", "overlap", "overlap_time", "caption", "caption_conj_and_prep")


@dataclass(frozen=True)
class ClipPlan:
    """One output clip: two source files, who plays first, overlap, transforms, caption, split, seed."""

    file1: str
    file2: str
    order: int
    overlap: bool
    overlap_time: float
    connective: str
    caption: str
    file1_transform: str
    file2_transform: str
    split: str
    seed: int

    @property
    def name(self) -> str:
        """The output file name, encoding the fields as the paper's script does."""
        return (
            f"{Path(self.file1).stem}_{Path(self.file2).stem}_{coordinator(self.connective)}_"
            f"{self.connective.replace(' ', '_')}_{self.order}_{self.caption_order}_"
            f"{self.file1_transform}_{self.file2_transform}_{self.overlap}.wav"
        )

    @property
    def caption_order(self) -> str:
        """``"12"`` when the caption names the first-heard event first, else ``"21"``."""
        return "12" if coordinator(self.connective) == "future" else "21"


@dataclass(frozen=True)
class Recipe:
    """Every clip to generate and how to render it."""

    clips: tuple[ClipPlan, ...]
    ranges: TransformRanges = field(default_factory=TransformRanges)
    mix_rate: int = 44100
    sample_rate: int = 44100
    duration: float = 10.0
    generator: dict = field(default_factory=dict)

    def split(self, name: str) -> list[ClipPlan]:
        """The clips of one split, in recipe order."""
        return [c for c in self.clips if c.split == name]


def clip_seed(name: str) -> int:
    """A stable 32-bit seed from an output file name (for recipes that record none)."""
    return int.from_bytes(hashlib.sha256(name.encode()).digest()[:4], "little")


_RECIPE = "SynCaps recipe file"


def _fail(source: Path, message: str) -> DtuError:
    return DtuError(f"SynCaps recipe {source}: {message}")


def validate_clip(clip: ClipPlan, source: Path) -> ClipPlan:
    """Check one clip's fields; a one-line error names the clip and the bad field."""
    texts = (clip.file1, clip.file2, clip.connective, clip.caption, clip.file1_transform, clip.file2_transform)
    if not all(isinstance(v, str) for v in texts) or not isinstance(clip.overlap, bool):
        raise _fail(source, f"clip {clip.file1}/{clip.file2}: a field has the wrong type")
    if not isinstance(clip.seed, int) or not 0 <= clip.seed < 2**63:
        raise _fail(source, f"clip {clip.file1}/{clip.file2}: seed {clip.seed!r} is not a non-negative integer")
    if not isinstance(clip.overlap_time, int | float):
        raise _fail(source, f"clip {clip.file1}/{clip.file2}: overlap_time {clip.overlap_time!r} is not a number")
    where = f"clip {clip.name if clip.connective in CONNECTIVES else clip.file1}"
    if clip.order not in (1, 2):
        raise _fail(source, f"{where}: order is {clip.order!r}; expected 1 or 2")
    if clip.connective not in CONNECTIVES:
        raise _fail(source, f"{where}: unknown connective {clip.connective!r}")
    for transform in (clip.file1_transform, clip.file2_transform):
        if transform not in TRANSFORMS:
            raise _fail(source, f"{where}: unknown transform {transform!r}; known: {', '.join(TRANSFORMS)}")
    if clip.split not in SPLITS:
        raise _fail(source, f"{where}: split {clip.split!r} is not one of {', '.join(SPLITS)}")
    if clip.overlap_time < 0:
        raise _fail(source, f"{where}: negative overlap_time {clip.overlap_time}")
    try:
        events_of(clip.caption, clip.connective)
    except ValueError as err:
        raise _fail(source, f"{where}: {err}") from None
    return clip


def _authors_clip(name: str, entry: object, split: str, source: Path) -> ClipPlan:
    if not isinstance(entry, dict) or any(k not in entry for k in _AUTHORS_FIELDS):
        raise _fail(source, f"entry {name} lacks one of {', '.join(_AUTHORS_FIELDS)}")
    clip = ClipPlan(
        file1=str(entry["file1"]),
        file2=str(entry["file2"]),
        order=entry["order"],
        overlap=bool(entry["overlap"]),
        overlap_time=float(entry["overlap_time"]),
        connective=str(entry["caption_conj_and_prep"]),
        caption=str(entry["caption"]),
        file1_transform=str(entry.get("file1_transform", "return_identical")),
        file2_transform=str(entry.get("file2_transform", "return_identical")),
        split=split,
        seed=clip_seed(name),
    )
    validate_clip(clip, source)
    if clip.name != name:
        raise _fail(source, f"entry {name} does not match its fields (they give {clip.name})")
    return clip


def read_authors_recipe(folder: Path) -> tuple[Recipe, dict[str, str]]:
    """The authors' recipe folder as a ``Recipe`` (published split) and its class descriptions."""
    paths = {key: folder / name for key, name in AUTHORS_FILES.items()}
    missing = [p.name for p in paths.values() if not p.is_file()]
    if missing:
        raise DtuError(f"SynCaps recipe folder {folder} lacks {', '.join(missing)}")
    train_val, test = read_json(paths["train_val"], _RECIPE), read_json(paths["test"], _RECIPE)
    val_manifest, descriptions = read_json(paths["val_manifest"], _RECIPE), read_json(paths["descriptions"], _RECIPE)
    for path, obj in ((paths["train_val"], train_val), (paths["test"], test), (paths["descriptions"], descriptions)):
        if not isinstance(obj, dict):
            raise _fail(path, "expected a JSON object")
    if not isinstance(val_manifest, dict) or not isinstance(val_manifest.get("data"), list):
        raise _fail(paths["val_manifest"], "expected a manifest with a 'data' list")
    val_ids = {row.get("id") for row in val_manifest["data"] if isinstance(row, dict)}
    clips = [_authors_clip(n, e, "val" if n in val_ids else "train", paths["train_val"]) for n, e in train_val.items()]
    clips += [_authors_clip(n, e, "test", paths["test"]) for n, e in test.items()]
    return Recipe(clips=tuple(clips), generator={"replay_of": "published SynCaps recipe"}), dict(descriptions)


def recipe_to_json(recipe: Recipe, descriptions: dict[str, str]) -> dict:
    """The recipe as dtu's ``recipe.json`` object."""
    return {
        "format": RECIPE_FORMAT,
        "version": 1,
        "mix_rate": recipe.mix_rate,
        "sample_rate": recipe.sample_rate,
        "duration": recipe.duration,
        "transform_ranges": recipe.ranges.to_json(),
        "generator": recipe.generator,
        "descriptions": descriptions,
        "clips": [{"name": c.name, **asdict(c)} for c in recipe.clips],
    }


def write_recipe(recipe: Recipe, descriptions: dict[str, str], path: Path) -> None:
    """Write ``recipe.json`` atomically."""
    write_json(path, recipe_to_json(recipe, descriptions), indent=1)


def read_dtu_recipe(path: Path) -> tuple[Recipe, dict[str, str]]:
    """Read a ``recipe.json`` written by ``dtu syncaps generate``."""
    obj = read_json(path, _RECIPE)
    if not isinstance(obj, dict) or obj.get("format") != RECIPE_FORMAT:
        raise _fail(path, f'not a dtu SynCaps recipe (no "format": "{RECIPE_FORMAT}")')
    try:
        clips = []
        for row in obj["clips"]:
            clip = ClipPlan(**{k: v for k, v in row.items() if k != "name"})
            validate_clip(clip, path)
            if row.get("name", clip.name) != clip.name:
                raise _fail(path, f"clip {row['name']} does not match its fields (they give {clip.name})")
            clips.append(clip)
        recipe = Recipe(
            clips=tuple(clips),
            ranges=TransformRanges.from_json(obj["transform_ranges"]),
            mix_rate=int(obj["mix_rate"]),
            sample_rate=int(obj["sample_rate"]),
            duration=float(obj["duration"]),
            generator=dict(obj.get("generator", {})),
        )
        descriptions = dict(obj["descriptions"])
    except (KeyError, TypeError, ValueError, IndexError) as err:
        raise _fail(path, f"malformed ({type(err).__name__}: {err})") from None
    return recipe, descriptions


def load_recipe(path: Path) -> tuple[Recipe, dict[str, str]]:
    """A recipe from dtu's ``recipe.json``, or the authors' folder (or a file inside it)."""
    path = Path(path)
    if path.is_dir():
        return read_authors_recipe(path)
    if path.name in AUTHORS_FILES.values():
        return read_authors_recipe(path.parent)
    if not path.exists():
        raise DtuError(f"SynCaps recipe {path} does not exist")
    return read_dtu_recipe(path)
