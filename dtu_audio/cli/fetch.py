"""``dtu fetch-weights``: download, list and import the pretrained weights."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import typer
from rich import box
from rich.console import Console
from rich.filesize import decimal
from rich.measure import Measurement
from rich.progress import (
    BarColumn,
    DownloadColumn,
    TaskID,
    TextColumn,
    TimeRemainingColumn,
    TransferSpeedColumn,
)
from rich.table import Table

from dtu_audio.errors import DtuError
from dtu_audio.progress import Progress
from dtu_audio.weights.cache import WeightCache
from dtu_audio.weights.registry import DEFAULT_NAMES, KNOWN, WeightEntry, folder_of


def _size(num: int | None) -> str:
    return "?" if num is None else decimal(num)


def _list_table(cache: WeightCache, wide: bool) -> Table:
    """Every known and cached entry; the source column only when ``wide`` (it does not fit 80 columns)."""
    manifest = cache.read_manifest()
    table = Table(title=f"weights in {cache.root}", title_justify="left", box=box.SIMPLE_HEAD)
    table.add_column("name", no_wrap=True)
    table.add_column("aliases", overflow="fold")
    if wide:
        table.add_column("source", no_wrap=True)
    table.add_column("size", justify="right", no_wrap=True)
    table.add_column("sha256", no_wrap=True)
    table.add_column("cached", no_wrap=True)
    names = list(KNOWN) + sorted(name for name in manifest if name not in KNOWN and folder_of(name) is not None)
    for name in names:
        record = manifest.get(name)
        if record is not None:
            source, size, sha = record.source, record.size, record.sha256
        else:
            entry = KNOWN[name]
            source, size, sha = _registry_source(entry), entry.size, entry.sha256
        cached = "yes" if cache.cached(name) is not None else "no"
        if name in KNOWN and KNOWN[name].source == "drive-folder":
            files = sum(folder_of(child) == KNOWN[name] and cache.cached(child) is not None for child in manifest)
            cached = f"{files} files" if files else "no"
        aliases = ", ".join(KNOWN[name].aliases) if name in KNOWN else ""
        table.add_row(name, aliases, *([source] if wide else []), _size(size), (sha or "?")[:12], cached)
    return table


def _registry_source(entry: WeightEntry) -> str:
    if entry.source == "hf":
        return f"hf:{entry.hf_repo}"
    return f"gdrive{'-folder' if entry.source == 'drive-folder' else ''}:{entry.drive_id}"


def fetch_weights(
    names: list[str] | None = typer.Argument(
        None,
        help=f"Weights to fetch, by name or alias (default: {' '.join(DEFAULT_NAMES)}). See --list.",
        show_default=False,
    ),
    list_: bool = typer.Option(False, "--list", help="Show every known entry, its size, checksum and cache state."),
    wide: bool = typer.Option(False, "--wide", help="With --list: also show where each entry comes from."),
    import_: bool = typer.Option(
        False, "--import", help="Register a hand-downloaded file after checking it: --import NAME FILE."
    ),
    offline: bool = typer.Option(
        False, "--offline", help="Never touch the network (also: DTU_OFFLINE=1 or HF_HUB_OFFLINE=1)."
    ),
    force: bool = typer.Option(
        False, "--force", help="Download again even when cached (the old copy stays if it fails)."
    ),
    cache_dir: Path | None = typer.Option(
        None, "--cache-dir", help="Weight cache folder (default: $DTU_HOME, else the per-user data folder)."
    ),
) -> None:
    """Fetch, list or import the pretrained weights.

    Downloads resume after an interruption and are verified before they enter the cache.
    """
    out = Console(soft_wrap=True, highlight=False)
    err = Console(stderr=True, highlight=False)
    if list_:
        table = _list_table(WeightCache(cache_dir), wide)
        if wide:  # the table's own width, whatever the terminal's
            natural = Measurement.get(out, out.options.update(width=10_000), table).maximum
            out = Console(highlight=False, width=max(out.width, natural))
        out.print(table)
        return
    if import_:
        if len(names or ()) != 2:
            raise DtuError("--import takes exactly two arguments: dtu fetch-weights --import NAME FILE")
        name, file = names
        from dtu_audio.weights.fetch import import_file

        record = import_file(name, Path(file), cache_dir)
        out.print(f"{name}: imported -> {WeightCache(cache_dir).root / record.path} (sha256 {record.sha256[:16]})")
        return
    from dtu_audio.weights.fetch import fetch

    progress = Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        DownloadColumn(),
        TransferSpeedColumn(),
        TimeRemainingColumn(),
        console=err,
    )

    def progress_for(entry: WeightEntry) -> Callable[[int, int | None], None]:
        tasks: list[TaskID] = []

        def update(done: int, total: int | None) -> None:
            if not tasks:  # the bar appears with the first bytes, never for cached entries
                progress.start()
                tasks.append(progress.add_task(entry.name, total=total))
            progress.update(tasks[0], completed=done, total=total)

        return update

    try:
        results = fetch(
            list(names or DEFAULT_NAMES),
            cache_dir,
            offline=offline,
            force=force,
            progress_for=progress_for,
            on_wait=lambda name: err.print(f"waiting for another process that is fetching {name}"),
        )
    finally:
        if progress.task_ids:
            progress.stop()
    cache = WeightCache(cache_dir)
    for name, status in results:
        found = cache.cached(name)
        out.print(f"{name}: {status} -> {found[1] if found else '?'}")
