"""``dtu index build|update|info`` and ``dtu search``: text search over your own audio folder.

Only typer, rich and the standard library are imported here; torch, FAISS and the model are
imported inside the commands.
"""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path

import typer
from rich.console import Console
from rich.table import Table

from dtu_audio.errors import DtuError

app = typer.Typer(help="Index a folder of audio for text search.", no_args_is_help=True)

_BATCH = typer.Option(32, "--batch-size", help="Windows embedded per forward pass.")
_DEVICE = typer.Option("auto", "--device", help="auto (a GPU when present), cpu, cuda or cuda:N.")
_EXACT = typer.Option(
    100_000, "--exact-limit", help="Up to this many windows the vector index is exact; beyond it, a tuned IVF."
)
_QUIET = typer.Option(False, "--quiet", help="No progress bar.")
#: Under torchrun, how long rank 0 waits for the slowest process to finish its shard.
_SHARD_WAIT = timedelta(days=1)


def _sync(index: Path, model_name: str | None, root: Path | None, hop, batch, device, exact, quiet) -> None:
    from dtu_audio.search.build import model_reference, skipped_lines, sync_index
    from dtu_audio.search.layout import IndexLayout
    from dtu_audio.search.store import Store
    from dtu_audio.training.distributed import init_process_group

    layout = IndexLayout(index)
    if model_name is None:  # update: the model the index was built with
        store = Store(layout.database)
        model_name = store.meta()["model"]
        store.close()
    import dtu_audio

    group = init_process_group(device, timeout=_SHARD_WAIT)
    model = dtu_audio.load_model(model_name, group.device)
    console = Console(log_path=False)
    report = sync_index(
        group, layout, model, model_reference(model_name), root, hop, batch, exact, console, show_progress=not quiet
    )
    if not group.is_main:
        return
    params = report.vector_index
    kind = f"IVF ({params['nlist']} lists, nprobe {params['nprobe']})" if params["kind"] == "ivf" else "exact"
    console.print(
        f"{index}: {report.windows} windows; {report.added} files embedded, {report.removed} forgotten; "
        f"{kind}; {report.seconds:.1f} s",
        soft_wrap=True,
    )
    if report.skipped:
        console.print(f"skipped {len(report.skipped)} files that could not be decoded:")
        for line in skipped_lines(report.skipped):
            console.print(line, highlight=False, soft_wrap=True)


@app.command("build")
def build(
    folder: Path = typer.Argument(..., help="Folder of audio files (searched recursively)."),
    model: str = typer.Option(
        ...,
        "--model",
        help="Checkpoint file, weight name (dtu fetch-weights), hf:ORG/NAME CLAP model or save_pretrained folder.",
    ),
    out: Path | None = typer.Option(None, "--out", help="Index folder (default: FOLDER/.dtu-index)."),
    hop: float | None = typer.Option(
        None, "--hop", help="Seconds between windows of a long file (default: the model's clip length)."
    ),
    batch_size: int = _BATCH,
    device: str = _DEVICE,
    exact_limit: int = _EXACT,
    quiet: bool = _QUIET,
) -> None:
    """Embed every audio file under FOLDER into a new index; rerun after an interruption to resume."""
    from dtu_audio.search.layout import DEFAULT_FOLDER, IndexLayout
    from dtu_audio.search.store import Store

    if not folder.is_dir():
        raise DtuError(f"{folder} is not a folder of audio files")
    if hop is not None and hop <= 0:
        raise DtuError(f"--hop must be positive, not {hop}")
    folder = folder.resolve()
    out = out or folder / DEFAULT_FOLDER
    layout = IndexLayout(out)
    if layout.database.is_file():
        store = Store(layout.database)
        meta = store.meta()
        store.close()
        if meta.get("complete"):
            raise DtuError(f"index {out} already exists; run dtu index update {out} to pick up changes")
    _sync(out, model, folder, hop, batch_size, device, exact_limit, quiet)


@app.command("update")
def update(
    index: Path = typer.Argument(..., help="Index folder made by dtu index build."),
    batch_size: int = _BATCH,
    device: str = _DEVICE,
    exact_limit: int = _EXACT,
    quiet: bool = _QUIET,
) -> None:
    """Embed new and changed files, forget deleted ones, and rebuild the vector index."""
    _sync(index, None, None, None, batch_size, device, exact_limit, quiet)


@app.command("info")
def info(
    index: Path = typer.Argument(..., help="Index folder."),
    as_json: bool = typer.Option(False, "--json", help="Print JSON (every skipped file listed)."),
) -> None:
    """Model, window and file counts, size on disk, vector index type and parameters, build time."""
    from dtu_audio.search.build import skipped_lines
    from dtu_audio.search.index import Index

    details = Index.open(index).info()
    if as_json:
        typer.echo(json.dumps(details, indent=2))
        return
    params = details["vector_index"] or {}
    kind = {"ivf": f"IVF, {params.get('nlist')} lists, nprobe {params.get('nprobe')}", "flat": "exact (flat)"}
    rows = [
        ("folder", details["root"]),
        ("model", f"{details['model']} (weights {details['model_fingerprint']})"),
        ("windows", f"{details['windows']} from {details['files']} files"),
        ("windows of", f"{details['clip_seconds']:g} s every {details['hop_seconds']:g} s"),
        ("size on disk", f"{details['size_bytes'] / 2**20:.1f} MiB"),
        ("vector index", kind.get(params.get("kind"), "not built yet (dtu index update resumes)")),
        ("built", f"{details['built_at']} in {details['build_seconds']} s" if details["built_at"] else "never"),
        ("skipped files", str(len(details["skipped"]))),
    ]
    if params.get("tuned_recall") is not None:
        rows.insert(6, ("tuned recall@10", f"{params['tuned_recall']} (target {params['target_recall']})"))
    console = Console()
    for name, value in rows:
        console.print(f"{name:>16}  {value}", highlight=False, soft_wrap=True)
    pairs = [(item["path"], item["reason"]) for item in details["skipped"]]
    for line in skipped_lines(pairs):
        console.print(line, highlight=False, soft_wrap=True)


def search(
    query: str = typer.Argument(..., help='What to find, e.g. "a door slams followed by a dog barking".'),
    index: Path = typer.Option(..., "--index", help="Index folder made by dtu index build."),
    k: int = typer.Option(10, "-k", help="Number of results."),
    order_aware: bool = typer.Option(
        False, "--order-aware", help="Prefer clips in the query's order of events over the reverse."
    ),
    order_weight: float | None = typer.Option(
        None, "--order-weight", help="Weight of the order term (default 0.25; larger orders better, finds less)."
    ),
    model: str | None = typer.Option(None, "--model", help="Must be the index's model (default: that model)."),
    as_json: bool = typer.Option(False, "--json", help="Print a JSON list of results."),
) -> None:
    """Find the windows of an index that match QUERY best."""
    from dtu_audio.search.index import Index

    if k < 1:
        raise DtuError(f"-k must be at least 1, not {k}")
    hits = Index.open(index, model=model).search(query, k, order_aware=order_aware, order_weight=order_weight)
    if as_json:
        typer.echo(json.dumps([hit.to_dict() for hit in hits], indent=2))
        return
    table = Table(show_edge=False, pad_edge=False, box=None)
    table.add_column("#", justify="right")
    table.add_column("file", overflow="fold")
    table.add_column("offset s", justify="right")
    table.add_column("score", justify="right")
    for rank, hit in enumerate(hits, start=1):
        table.add_row(str(rank), hit.path, f"{hit.offset:.1f}", f"{hit.score:.3f}")
    Console().print(table)
