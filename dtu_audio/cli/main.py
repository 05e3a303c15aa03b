"""The ``dtu`` entry point: the Typer app, its commands, and one-line errors."""

from __future__ import annotations

import sys

import typer
from rich.console import Console
from rich.markup import escape

from dtu_audio import __version__
from dtu_audio.cli import data as data_cli
from dtu_audio.cli import eval as eval_cli
from dtu_audio.cli import fetch as fetch_cli
from dtu_audio.cli import quickstart as quickstart_cli
from dtu_audio.cli import rearrange as rearrange_cli
from dtu_audio.cli import search as search_cli
from dtu_audio.cli import spec as spec_cli
from dtu_audio.cli import syncaps as syncaps_cli
from dtu_audio.cli import train as train_cli
from dtu_audio.errors import DtuError
from dtu_audio.runtime import keep_freed_memory

app = typer.Typer(
    name="dtu",
    help="Text-to-audio retrieval that takes time seriously (DTU, ACM MM 2024).",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
)
app.add_typer(spec_cli.app, name="spec")
app.command("train")(train_cli.train)
app.command("eval")(eval_cli.eval_command)
app.command("fetch-weights")(fetch_cli.fetch_weights)
app.command("quickstart")(quickstart_cli.quickstart)
app.command("rearrange-splits")(rearrange_cli.rearrange_splits)
app.add_typer(syncaps_cli.app, name="syncaps")
app.add_typer(data_cli.app, name="data")
app.add_typer(search_cli.app, name="index")
app.command("search")(search_cli.search)


def _print_version(value: bool) -> None:
    if value:
        typer.echo(f"dtu-audio {__version__}")
        raise typer.Exit()


@app.callback()
def _root(
    version: bool = typer.Option(
        False, "--version", callback=_print_version, is_eager=True, help="Print the version and exit."
    ),
) -> None:
    """Text-to-audio retrieval that takes time seriously (DTU, ACM MM 2024)."""


def main() -> None:
    """Run the ``dtu`` command line, turning user errors into one-line messages."""
    keep_freed_memory()
    try:
        app()  # standalone mode: usage errors, --help and Ctrl-C are handled by click
    except DtuError as err:
        _fail(str(err))
    except OSError as err:
        _fail(f"{err.strerror or err}: {err.filename}" if err.filename else str(err.strerror or err))


def _fail(message: str) -> None:
    Console(stderr=True, highlight=False).print(f"[bold red]error:[/] {escape(message)}", soft_wrap=True)
    sys.exit(2)
