"""Building and updating an index: find what changed, embed it in batches, publish a new vector file.

One routine does all three jobs. It compares the folder with the database: files that are gone
or changed are forgotten, files that are new or changed are decoded, cut into windows of the
model's clip length and embedded, each file committed with its windows. A build that was killed
therefore resumes where it stopped, and ``update`` is the same pass over an existing index.
Under ``torchrun`` each process embeds every ``world_size``-th pending file into a shard database
of its own; rank 0 merges the shards and builds the vector file. The FAISS file is written to a
temporary name and renamed, so searches running meanwhile read the previous one.
"""

from __future__ import annotations

import time
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path

import numpy as np
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from dtu_audio.datasets.audio import load_audio
from dtu_audio.errors import DtuError
from dtu_audio.search.files import FileState, audio_files, cut_windows, file_states
from dtu_audio.search.layout import INDEX_FORMAT, IndexLayout
from dtu_audio.search.models import IndexModel, index_model
from dtu_audio.search.store import EmbeddedFile, Store
from dtu_audio.search.vectors import EXACT_LIMIT, build_vector_index, write_vector_index
from dtu_audio.training.distributed import ProcessGroup, barrier, broadcast_object

_PREFETCH = 8


@dataclass
class BuildReport:
    """What a build or update did."""

    added: int = 0
    removed: int = 0
    windows: int = 0
    skipped: list[tuple[str, str]] = field(default_factory=list)
    seconds: float = 0.0
    vector_index: dict = field(default_factory=dict)


def model_reference(name: str) -> str:
    """How the index records a model: an existing file or folder by its absolute path, any other name as is."""
    path = Path(name).expanduser()
    return str(path.resolve()) if path.exists() else name


def _decode(root: Path, state: FileState, sample_rate: int) -> np.ndarray | str:
    try:
        return load_audio(root / state.path, sample_rate, mono=True)
    except DtuError as err:
        return str(err)


def _prefetched(root: Path, states: list[FileState], sample_rate: int) -> Iterator[tuple[FileState, np.ndarray | str]]:
    """Each file decoded (or the reason it cannot be) in order, a few files ahead on two threads."""
    with ThreadPoolExecutor(max_workers=2) as pool:
        queued: deque[tuple[FileState, Future]] = deque()
        pending = iter(states)
        for state in pending:
            queued.append((state, pool.submit(_decode, root, state, sample_rate)))
            if len(queued) >= _PREFETCH:
                break
        while queued:
            state, future = queued.popleft()
            for later in pending:
                queued.append((later, pool.submit(_decode, root, later, sample_rate)))
                break
            yield state, future.result()


class _Embedder:
    """Collects decoded files until a batch of windows is full, embeds it and commits its files."""

    def __init__(
        self, model: IndexModel, store: Store, hop_samples: int, batch_size: int, advance: Callable[[int, int], None]
    ):
        self.model, self.store, self.batch_size, self.advance = model, store, batch_size, advance
        self.rate, self.window = model.sample_rate, model.window
        self.hop = hop_samples
        self.files: list[tuple[FileState, float, list[tuple[int, np.ndarray]]]] = []
        self.queued = 0

    def add(self, state: FileState, waveform: np.ndarray) -> None:
        windows = cut_windows(waveform, self.window, self.hop)
        self.files.append((state, waveform.shape[-1] / self.rate, windows))
        self.queued += len(windows)
        if self.queued >= self.batch_size:
            self.flush()

    def flush(self) -> None:
        if not self.files:
            return
        waveforms = [w for _, _, windows in self.files for _, w in windows]
        vectors = self.model.embed_windows(waveforms, self.batch_size)
        embedded, row = [], 0
        for state, duration, windows in self.files:
            spans = [(start / self.rate, min(w.shape[-1], self.window) / self.rate) for start, w in windows]
            embedded.append(EmbeddedFile(state, duration, spans, vectors[row : row + len(windows)]))
            row += len(windows)
        self.store.add_embedded(embedded)
        self.advance(len(self.files), len(waveforms))
        self.files, self.queued = [], 0


def _progress(console: Console, show: bool) -> Progress:
    return Progress(
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("files  {task.fields[windows]} windows  {task.fields[rate]}"),
        TimeElapsedColumn(),
        console=console,
        disable=not show,
    )


def embed_files(
    model: IndexModel,
    root: Path,
    states: list[FileState],
    store: Store,
    hop_seconds: float,
    batch_size: int,
    progress: Progress,
) -> None:
    """Embed ``states`` into ``store`` file by file; files that cannot be decoded are recorded as skipped."""
    start, done = time.perf_counter(), [0]
    task = progress.add_task("embedding", total=len(states), windows=0, rate="")

    def advance(files: int, windows: int) -> None:
        done[0] += windows
        rate = f"{done[0] / max(time.perf_counter() - start, 1e-9):.1f} windows/s"
        progress.update(task, advance=files, windows=done[0], rate=rate)

    embedder = _Embedder(model, store, round(hop_seconds * model.sample_rate), batch_size, advance)
    for state, decoded in _prefetched(root, states, model.sample_rate):
        if isinstance(decoded, str):
            store.add_skipped(state, decoded)
            progress.update(task, advance=1)
        else:
            embedder.add(state, decoded)
    embedder.flush()


@dataclass(frozen=True)
class _Plan:
    pending: list[FileState]
    removed: list[str]


def _plan(store: Store, root: Path) -> _Plan:
    """New or changed files to embed, and recorded files that are gone or changed (to forget)."""
    current = {state.path: state for state in file_states(root, audio_files(root))}
    recorded = store.file_states()
    stale = [path for path, state in recorded.items() if current.get(path) != state]
    pending = [state for path, state in current.items() if recorded.get(path) != state]
    return _Plan(pending, stale)


def _check_settings(meta: dict, root: Path, reference: str, fingerprint: str, layout: IndexLayout) -> None:
    if meta.get("format") != INDEX_FORMAT:
        raise DtuError(f"{layout.folder} is not a dtu index (no {INDEX_FORMAT} record in {layout.database})")
    if meta["root"] != str(root):
        raise DtuError(f"index {layout.folder} indexes {meta['root']}, not {root}; use another --out")
    if meta["model_fingerprint"] != fingerprint:
        raise DtuError(
            f"index {layout.folder} was built with model {meta['model']} ({meta['model_fingerprint']}), "
            f"not {reference} ({fingerprint}); rebuild it into another --out to change models"
        )


def sync_index(
    group: ProcessGroup,
    layout: IndexLayout,
    model,
    reference: str,
    root: Path | None = None,
    hop_seconds: float | None = None,
    batch_size: int = 32,
    exact_limit: int = EXACT_LIMIT,
    console: Console | None = None,
    show_progress: bool = True,
) -> BuildReport:
    """Bring the index at ``layout`` up to date with its folder (creating it from ``root`` if new).

    ``model``: what ``dtu_audio.load_model`` or ``load_embedder`` returns (see ``search.models``).
    """
    console = console or Console()
    began = time.perf_counter()
    model = index_model(model)
    fingerprint = model.fingerprint
    plan, meta = None, None
    if group.is_main:
        store = Store(layout.database, create=root is not None)
        meta = store.meta()
        if not meta:
            clip = model.clip_seconds
            store.set_meta(
                format=INDEX_FORMAT,
                root=str(root),
                model=reference,
                model_fingerprint=fingerprint,
                spec=model.settings,
                dim=model.dim,
                clip_seconds=clip,
                hop_seconds=hop_seconds or clip,
                complete=False,
            )
            meta = store.meta()
        _check_settings(meta, Path(meta["root"]) if root is None else root, reference, fingerprint, layout)
        for shard in layout.shards():  # left by a killed multi-process run
            store.merge(shard)
            shard.unlink()
        plan = _plan(store, Path(meta["root"]))
        store.remove(plan.removed)
        store.close()
    plan, meta = broadcast_object((plan, meta))
    mine = plan.pending[group.rank :: group.world_size]
    target = Store(layout.database if group.world_size == 1 else layout.shard(group.rank), create=True)
    with _progress(console, show_progress and group.is_main) as progress:
        embed_files(model, Path(meta["root"]), mine, target, meta["hop_seconds"], batch_size, progress)
    target.close()
    barrier()
    report = BuildReport(added=len(plan.pending), removed=len(plan.removed))
    if group.is_main:
        report = _publish(layout, report, exact_limit, began, console, show_progress)
    return report


def _publish(
    layout: IndexLayout, report: BuildReport, exact_limit: int, began: float, console: Console, show: bool
) -> BuildReport:
    """Merge the shards, build the vector file from the database, rename it into place, record how."""
    store = Store(layout.database)
    for shard in layout.shards():
        store.merge(shard)
        shard.unlink()
    layout.drop_shard_folder()
    meta = store.meta()
    count, _ = store.count()
    if count == 0:
        store.close()
        raise DtuError(f"no audio could be embedded under {meta['root']}; see the skipped files with dtu index info")
    if show:
        console.print(f"building the vector index over {count} windows")
    index, params = build_vector_index(lambda: store.chunks(meta["dim"]), count, meta["dim"], exact_limit=exact_limit)
    write_vector_index(index, layout.vectors)
    report.seconds = time.perf_counter() - began
    report.windows, report.skipped, report.vector_index = count, store.skipped(), params.to_dict()
    store.set_meta(
        complete=True,
        vector_index=report.vector_index,
        built_at=datetime.now(timezone.utc).isoformat(timespec="seconds"),
        build_seconds=round(report.seconds, 1),
    )
    store.close()
    return report


def skipped_lines(skipped: Iterable[tuple[str, str]], shown: int = 10) -> list[str]:
    """One line per skipped file (the first ``shown``), and how many more."""
    skipped = list(skipped)
    lines = [f"  {path}: {reason}" for path, reason in skipped[:shown]]
    if len(skipped) > shown:
        lines.append(f"  ... {len(skipped) - shown} more (dtu index info --json lists them all)")
    return lines
