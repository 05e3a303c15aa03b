"""``dtu spec``: show presets and resolved run specs."""

from __future__ import annotations

from pathlib import Path

import typer
from rich.console import Console
from rich.syntax import Syntax

from dtu_audio.fileio import atomic_open
from dtu_audio.spec_reference import spec_reference_markdown
from dtu_audio.specs import load_spec, preset_names, preset_summary, save_spec, spec_to_yaml

app = typer.Typer(help="Show presets and resolved run specs.", no_args_is_help=True)


@app.command("show")
def show(
    name: str = typer.Argument("audiocaps", help="Preset name or YAML file."),
    set_: list[str] = typer.Option([], "--set", help="Override a field (repeatable).", metavar="SECTION.FIELD=VALUE"),
    output: Path | None = typer.Option(None, "--output", "-o", help="Also write the resolved spec here."),
) -> None:
    """Print a preset or YAML spec with every field resolved."""
    spec = load_spec(name, set_)
    Console().print(Syntax(spec_to_yaml(spec), "yaml", theme="ansi_dark", background_color="default"), soft_wrap=True)
    if output is not None:
        save_spec(spec, output)


@app.command("presets")
def presets() -> None:
    """List the built-in presets."""
    names = preset_names()
    width = max(map(len, names))
    for name in names:
        typer.echo(f"{name:<{width}}  {preset_summary(name)}")


@app.command("reference")
def reference(
    output: Path | None = typer.Option(None, "--output", "-o", help="Write the page here instead of printing it."),
) -> None:
    """Print the run-spec reference page (Markdown).

    The page is generated from the spec models.
    """
    page = spec_reference_markdown()
    if output is None:
        typer.echo(page, nl=False)
    else:
        with atomic_open(output, "w", encoding="utf-8") as handle:
            handle.write(page)
