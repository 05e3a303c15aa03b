"""The ``dtu`` entry point: the Typer app, its commands, and one-line errors."""

from __future__ import annotations

import sys

import click
import typer
from rich.console import Console

from dtu_audio import __version__
from dtu_audio.cli import eval as eval_cli
from dtu_audio.cli import rearrange as rearrange_cli
from dtu_audio.cli import spec as spec_cli
from dtu_audio.errors import DtuError

app = typer.Typer(
    name="dtu",
    help="Text-to-audio retrieval that takes time seriously (DTU, ACM MM 2024).",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    rich_markup_mode="rich",
)
app.add_typer(spec_cli.app, name="spec")
app.command("eval")(eval_cli.eval_command)
app.command("rearrange-splits")(rearrange_cli.rearrange_splits)


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
    console = Console(stderr=True, highlight=False)
    try:
        app(standalone_mode=False)
    except DtuError as err:
        console.print(f"[bold red]error:[/] {err}", soft_wrap=True)
        sys.exit(2)
    except click.exceptions.Abort:
        console.print("[yellow]interrupted[/]")
        sys.exit(130)
    except click.exceptions.ClickException as err:
        err.show()
        sys.exit(err.exit_code)
    except click.exceptions.Exit as err:
        sys.exit(err.exit_code)
    except KeyboardInterrupt:
        console.print("[yellow]interrupted[/]")
        sys.exit(130)
    except OSError as err:
        console.print(f"[bold red]error:[/] {err.strerror or err}: {err.filename or ''}".rstrip(": "), soft_wrap=True)
        sys.exit(2)
