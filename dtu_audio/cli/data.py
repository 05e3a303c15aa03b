"""``dtu data``: prepare Clotho, AudioCaps and SynCaps under the data home, and list what is prepared."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Literal

import typer
from rich.console import Console
from rich.filesize import decimal
from rich.progress import (
    BarColumn,
    DownloadColumn,
    MofNCompleteColumn,
    TextColumn,
    TimeRemainingColumn,
    TransferSpeedColumn,
)

from dtu_audio.progress import Progress

app = typer.Typer(
    help="Fetch, verify and lay out the datasets. Then train and eval find them by name.", no_args_is_help=True
)

_HOME_HELP = "Data home (default: $DTU_DATA, else data/ beside the weight cache: $DTU_HOME/data)."


class RichUI:
    """Progress bars on stderr: one per download, then one per unpacking or linking step."""

    def __init__(self, console: Console):
        self.console = console
        self.bars: Progress | None = None

    def _bars(self, *columns) -> Progress:
        self.close()
        self.bars = Progress(TextColumn("{task.description}"), BarColumn(), *columns, console=self.console)
        self.bars.start()
        return self.bars

    def download(self, remote) -> Callable[[int, int | None], None]:
        task: list = []

        def update(done: int, total: int | None) -> None:
            if not task:  # the bar appears with the first bytes, never for files already there
                bars = self._bars(DownloadColumn(), TransferSpeedColumn(), TimeRemainingColumn())
                task.append((bars, bars.add_task(remote.name, total=total)))
            bars, task_id = task[0]
            bars.update(task_id, completed=done, total=total)

        return update

    def steps(self, label: str, total: int) -> Callable[[], None]:
        bars = self._bars(MofNCompleteColumn(), TimeRemainingColumn())
        task_id = bars.add_task(label, total=total)
        return lambda: bars.advance(task_id)

    def say(self, message: str) -> None:
        self.close()
        self.console.print(message, soft_wrap=True)

    def close(self) -> None:
        if self.bars is not None:
            self.bars.stop()
            self.bars = None


def _report(out: Console, prepared) -> None:
    record = prepared.record
    state = "already prepared" if prepared.already else "prepared"
    clips = ", ".join(f"{split} {count}" for split, count in record.clips.items())
    out.print(f"{record.name}: {state} in {prepared.folder} ({clips} clips)", soft_wrap=True)
    lost = {split: count for split, count in record.missing.items() if count}
    if lost:
        listed = ", ".join(f"{split} {count}" for split, count in lost.items())
        out.print(f"missing clips: {listed}; listed in {prepared.folder / 'missing.csv'}", soft_wrap=True)


@app.command("prepare")
def prepare_cmd(
    name: Literal["clotho", "audiocaps", "syncaps"] = typer.Argument(..., help="clotho, audiocaps or syncaps."),
    audio_dir: Path | None = typer.Option(
        None, "--audio-dir", help="audiocaps: your folder of clips (Y<id>.wav, <id>_<start>.wav, ...)."
    ),
    download: bool = typer.Option(
        False, "--download", help="audiocaps: fetch the missing clips from YouTube with yt-dlp first (extra)."
    ),
    esc50: Path | None = typer.Option(None, "--esc50", help="syncaps: an ESC-50 checkout instead of downloading it."),
    workers: int = typer.Option(1, "--workers", "-j", help="syncaps: worker processes."),
    data_home: Path | None = typer.Option(None, "--data-home", help=_HOME_HELP),
    offline: bool = typer.Option(
        False, "--offline", help="Download nothing; say what would be fetched (also DTU_OFFLINE=1, HF_HUB_OFFLINE=1)."
    ),
    force: bool = typer.Option(
        False,
        "--force",
        help="clotho, syncaps: prepare again (the old copy stays if it fails); audiocaps always matches anew.",
    ),
    keep_downloads: bool = typer.Option(False, "--keep-downloads", help="clotho: keep the archives once unpacked."),
) -> None:
    """Download (resumable, verified) and lay out a dataset.

    Then dtu train and dtu eval find it with --dataset NAME.
    """
    from dtu_audio.data import prepare as data_prepare
    from dtu_audio.errors import DtuError

    if name != "audiocaps" and (audio_dir is not None or download):
        raise DtuError("--audio-dir and --download are for audiocaps")
    if name != "syncaps" and esc50 is not None:
        raise DtuError("--esc50 is for syncaps")
    err = Console(stderr=True, highlight=False)
    ui = RichUI(err)
    options = {
        "offline": offline,
        "ui": ui,
        "on_wait": lambda _: err.print(f"waiting for another process that is preparing {name}"),
    }
    try:
        if name == "clotho":
            prepared = data_prepare.prepare_clotho(data_home, force=force, keep_downloads=keep_downloads, **options)
        elif name == "audiocaps":
            if audio_dir is None:
                raise DtuError(
                    "AudioCaps audio cannot be redistributed: pass --audio-dir DIR, the folder of your clips "
                    "(add --download to fetch missing ones with yt-dlp)"
                )
            prepared = data_prepare.prepare_audiocaps(audio_dir, data_home, download=download, **options)
        else:
            prepared = data_prepare.prepare_syncaps(data_home, esc50=esc50, workers=workers, force=force, **options)
    finally:
        ui.close()
    _report(Console(highlight=False), prepared)


@app.command("list")
def list_cmd(data_home: Path | None = typer.Option(None, "--data-home", help=_HOME_HELP)) -> None:
    """Show what is prepared, where, its size, and whether it verifies.

    It verifies when its files are all there with their recorded sizes.
    """
    from dtu_audio.data.home import DATASET_NAMES, read_record, verify
    from dtu_audio.data.home import data_home as resolve_home

    home = resolve_home(data_home)
    lines = [f"datasets in {home}"]
    for name in DATASET_NAMES:  # two short lines per dataset, not a wide table: a log gets 80 columns
        folder = home / name
        record = read_record(folder) if folder.is_dir() else None
        if record is None:
            lines.append(f"{name}: not prepared")
            continue
        problems = verify(folder, record)
        clips = ", ".join(f"{split} {count}" for split, count in record.clips.items())
        missing = ", ".join(f"{split} {count}" for split, count in record.missing.items() if count)
        verdict = (
            "yes" if not problems else f"no: {problems[0]}" + (f" (+{len(problems) - 1})" if len(problems) > 1 else "")
        )
        lines.append(f"{name}: {decimal(sum(record.files.values()))}, prepared {record.prepared}, verifies: {verdict}")
        lines.append(f"  clips: {clips}" + (f"; missing: {missing}" if missing else ""))
    Console(soft_wrap=True, highlight=False).print("\n".join(lines), markup=False)
