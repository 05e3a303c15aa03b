"""Generating a SynCaps set from a recipe: the clips, then everything published with them."""

from __future__ import annotations

import json
from pathlib import Path

from rich.console import Console

from dtu_audio.errors import DtuError
from dtu_audio.fileio import write_errors
from dtu_audio.syncaps.outputs import write_outputs
from dtu_audio.syncaps.recipe import Recipe, recipe_to_json, write_recipe
from dtu_audio.syncaps.render import RERUN_HINT
from dtu_audio.syncaps.runner import AUDIO_DIR, RunCounts, check_writable, render_all
from dtu_audio.syncaps.sources import SourceSet

RECIPE_JSON = "recipe.json"


def _check_same_set(recipe_json: dict, path: Path) -> None:
    if not path.is_file():
        return
    try:
        existing = json.loads(path.read_text(encoding="utf-8"))
    except (json.JSONDecodeError, UnicodeDecodeError):
        existing = None
    if existing != json.loads(json.dumps(recipe_json)):
        raise DtuError(
            f"{path.parent} already holds a different SynCaps set (its {RECIPE_JSON} differs); "
            "pass another --out folder or delete that one"
        )


def generate(
    recipe: Recipe,
    descriptions: dict[str, str],
    sources: SourceSet,
    out_dir: str | Path,
    workers: int = 1,
    console: Console | None = None,
) -> RunCounts:
    """Render ``recipe`` into ``out_dir`` and write its manifests, positives/negatives and recipe.

    Rerunning the same recipe into the same folder resumes: complete clips are kept.
    """
    out_dir = Path(out_dir)
    check_writable(out_dir)
    recipe_json = recipe_to_json(recipe, descriptions)
    _check_same_set(recipe_json, out_dir / RECIPE_JSON)
    with write_errors(f"into {out_dir}", RERUN_HINT):
        write_recipe(recipe, descriptions, out_dir / RECIPE_JSON)
        counts = render_all(recipe, sources, out_dir, workers=workers, console=console)
        write_outputs(recipe, out_dir, (out_dir / AUDIO_DIR).resolve())
    return counts
