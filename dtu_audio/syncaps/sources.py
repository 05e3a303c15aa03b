"""Source sounds: a folder of clips, a ``filename,category[,fold]`` CSV and category descriptions.

ESC-50 is one such folder (``audio/*.wav``, ``meta/esc50.csv``; descriptions from the paper's
``class_to_desc_gpt4.json``); any other folder works the same way.
"""

from __future__ import annotations

import csv
import hashlib
from dataclasses import dataclass
from pathlib import Path

from dtu_audio.errors import DtuError
from dtu_audio.fileio import read_json

SOURCES_CSV = "sources.csv"
DESCRIPTIONS_JSON = "descriptions.json"


@dataclass(frozen=True)
class SourceSet:
    """Where the source clips are, their categories and folds, and a description per category."""

    audio_dir: Path
    categories: dict[str, str]
    folds: dict[str, int]
    descriptions: dict[str, str]

    def path(self, filename: str) -> Path:
        """The path of a source clip."""
        return self.audio_dir / filename

    def description(self, filename: str) -> str:
        """The text description of a source clip's category."""
        return self.descriptions[self.categories[filename]]

    def check_files(self, filenames: set[str]) -> None:
        """Raise a one-line error naming the source clips that are missing."""
        missing = sorted(f for f in filenames if not self.path(f).is_file())
        if missing:
            first = ", ".join(missing[:3]) + (", ..." if len(missing) > 3 else "")
            raise DtuError(
                f"{len(missing)} source clip(s) not found under {self.audio_dir}: {first} "
                "(check the --esc50 / --sources folder)"
            )


def _category_key(category: str, descriptions: dict[str, str]) -> str | None:
    for key in (category, category.replace("_", " ")):
        if key in descriptions:
            return key
    return None


def _fold_of(filename: str) -> int:
    return 1 + int.from_bytes(hashlib.sha256(filename.encode()).digest()[:4], "little") % 5


def read_descriptions(path: Path) -> dict[str, str]:
    """A category -> description JSON object."""
    obj = read_json(path, "descriptions file")
    if not isinstance(obj, dict) or not all(isinstance(v, str) and v.strip() for v in obj.values()):
        raise DtuError(f"descriptions file {path} must map each category to a non-empty description")
    return obj


def load_sources(audio_dir: Path, table: Path, descriptions: dict[str, str]) -> SourceSet:
    """Read the ``filename,category[,fold]`` table; every category needs a description.

    Categories are matched as written or with underscores as spaces (``chirping_birds`` ->
    ``chirping birds``); a table without a ``fold`` column gets a stable fold 1-5 per file.
    """
    audio_dir, table = Path(audio_dir), Path(table)
    if not audio_dir.is_dir():
        raise DtuError(f"source audio folder {audio_dir} does not exist")
    try:
        with open(table, newline="", encoding="utf-8-sig") as handle:
            rows = list(csv.DictReader(handle))
    except FileNotFoundError:
        raise DtuError(f"source table {table} does not exist") from None
    except (UnicodeDecodeError, csv.Error) as err:
        raise DtuError(f"source table {table} cannot be read: {err}") from None
    if not rows or not {"filename", "category"} <= set(rows[0]):
        raise DtuError(f"source table {table} needs a header with filename,category (and optionally fold)")
    categories, folds, undescribed = {}, {}, set()
    for row in rows:
        key = _category_key(row["category"], descriptions)
        if key is None:
            undescribed.add(row["category"])
            continue
        categories[row["filename"]] = key
        fold = (row.get("fold") or "").strip()
        folds[row["filename"]] = int(fold) if fold.isdigit() else _fold_of(row["filename"])
    if undescribed:
        raise DtuError(
            f"categories without a description: {', '.join(sorted(undescribed))} "
            f"(add them to the descriptions JSON or pass --descriptions FILE)"
        )
    used = {k: descriptions[k] for k in sorted(set(categories.values()))}
    return SourceSet(audio_dir=audio_dir, categories=categories, folds=folds, descriptions=used)


def esc50_sources(root: Path, descriptions: dict[str, str]) -> SourceSet:
    """An ESC-50 checkout: ``audio/*.wav`` and ``meta/esc50.csv``."""
    root = Path(root)
    if not (root / "meta" / "esc50.csv").is_file():
        raise DtuError(f"{root} is not an ESC-50 checkout (no meta/esc50.csv); pass the ESC-50-master folder")
    return load_sources(root / "audio", root / "meta" / "esc50.csv", descriptions)


def folder_sources(root: Path, descriptions_path: Path | None = None) -> SourceSet:
    """Any folder with ``sources.csv`` and ``descriptions.json``; clips under ``audio/`` or beside them."""
    root = Path(root)
    audio_dir = root / "audio" if (root / "audio").is_dir() else root
    descriptions = read_descriptions(descriptions_path or root / DESCRIPTIONS_JSON)
    return load_sources(audio_dir, root / SOURCES_CSV, descriptions)
