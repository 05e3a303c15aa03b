"""Rendering every clip of a recipe: in parallel, resumable, with a progress bar.

Each finished clip's SHA-256 is appended to ``SHA256SUMS`` (``sha256sum`` format) in the output
folder. A rerun skips the clips whose file is there with the recorded checksum and renders the
rest; clip files are written to a temporary name and renamed, so none is ever left half-written.
The output does not depend on the number of workers: every clip depends only on its own seed.
"""

from __future__ import annotations

import hashlib
import os
import signal
from collections.abc import Iterator
from concurrent.futures import ProcessPoolExecutor
from contextlib import closing
from dataclasses import dataclass
from pathlib import Path

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, TextColumn, TimeElapsedColumn, TimeRemainingColumn

from dtu_audio.errors import DtuError
from dtu_audio.fileio import atomic_open
from dtu_audio.progress import Progress
from dtu_audio.syncaps.parent_watch import exit_with_parent
from dtu_audio.syncaps.recipe import ClipPlan, Recipe
from dtu_audio.syncaps.render import write_clip
from dtu_audio.syncaps.sources import SourceSet

CHECKSUMS = "SHA256SUMS"
AUDIO_DIR = "audio"


@dataclass(frozen=True)
class RunCounts:
    """How many clips were rendered now and how many were already complete."""

    rendered: int
    skipped: int


def check_writable(folder: Path) -> None:
    """Raise a one-line error when ``folder`` cannot be created or written to."""
    try:
        folder.mkdir(parents=True, exist_ok=True)
        probe = folder / f".dtu-write-test-{os.getpid()}"
        probe.write_bytes(b"")
        probe.unlink()
    except OSError as err:
        raise DtuError(f"output folder {folder} is not writable ({err.strerror}); pass --out DIR") from None


def read_checksums(path: Path) -> dict[str, str]:
    """File name -> SHA-256 from a ``sha256sum``-style file; malformed lines are ignored."""
    recorded = {}
    if path.is_file():
        for line in path.read_text(encoding="utf-8", errors="replace").splitlines():
            digest, _, name = line.partition("  ")
            if len(digest) == 64 and name.startswith(f"{AUDIO_DIR}/"):
                recorded[name[len(AUDIO_DIR) + 1 :]] = digest
    return recorded


def _is_complete(path: Path, digest: str | None) -> bool:
    if digest is None or not path.is_file():
        return False
    return hashlib.sha256(path.read_bytes()).hexdigest() == digest


def _remove_stale_temporaries(audio_dir: Path) -> None:
    for stale in audio_dir.glob(".*.tmp"):
        stale.unlink(missing_ok=True)


_WORKER: dict = {}


def _init_worker(recipe: Recipe, sources: SourceSet, audio_dir: Path, parent_pid: int | None = None) -> None:
    if parent_pid is not None:  # a pool worker: Ctrl-C is the main process's to handle; a killed one ends it
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        exit_with_parent(parent_pid)
    _WORKER.update(recipe=recipe, sources=sources, audio_dir=audio_dir)


def _render(clip: ClipPlan) -> tuple[str, str]:
    return clip.name, write_clip(clip, _WORKER["recipe"], _WORKER["sources"], _WORKER["audio_dir"])


def _results(todo: list[ClipPlan], workers: int, recipe: Recipe, sources: SourceSet, audio_dir: Path) -> Iterator:
    if workers <= 1:
        _init_worker(recipe, sources, audio_dir)
        yield from map(_render, todo)
        return
    # Workers ignore Ctrl-C: the main process stops handing out clips and lets running ones finish.
    # They end by themselves when the main process is killed.
    initargs = (recipe, sources, audio_dir, os.getpid())
    with ProcessPoolExecutor(workers, initializer=_init_worker, initargs=initargs) as pool:
        try:
            yield from pool.map(_render, todo, chunksize=2)
        except BaseException:
            pool.shutdown(wait=True, cancel_futures=True)
            raise


def render_all(
    recipe: Recipe, sources: SourceSet, out_dir: Path, workers: int = 1, console: Console | None = None
) -> RunCounts:
    """Render every clip of ``recipe`` into ``out_dir/audio`` that is not already complete."""
    if workers < 1:
        raise DtuError(f"--workers must be at least 1 (got {workers})")
    audio_dir = out_dir / AUDIO_DIR
    check_writable(audio_dir)
    _remove_stale_temporaries(audio_dir)
    sums_path = out_dir / CHECKSUMS
    recorded = read_checksums(sums_path)
    todo = [c for c in recipe.clips if not _is_complete(audio_dir / c.name, recorded.get(c.name))]
    sources.check_files({f for c in todo for f in (c.file1, c.file2)})
    progress = Progress(
        TextColumn("[bold]SynCaps"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("clips"),
        TimeElapsedColumn(),
        TimeRemainingColumn(),
        console=console or Console(stderr=True),
        disable=console is None,
    )
    skipped = len(recipe.clips) - len(todo)
    results = closing(_results(todo, workers, recipe, sources, audio_dir))
    with progress, open(sums_path, "a", encoding="utf-8") as journal, results as rendered:
        task = progress.add_task("render", total=len(recipe.clips), completed=skipped)
        for name, digest in rendered:
            recorded[name] = digest
            journal.write(f"{digest}  {AUDIO_DIR}/{name}\n")
            journal.flush()
            progress.advance(task)
    with atomic_open(sums_path, "w", encoding="utf-8") as handle:
        handle.writelines(f"{recorded[c.name]}  {AUDIO_DIR}/{c.name}\n" for c in recipe.clips)
    return RunCounts(rendered=len(todo), skipped=skipped)
