"""``dtu syncaps``: replay the paper's SynCaps recipe or generate new sets; synthesized sources."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import typer
from rich.console import Console

from dtu_audio.errors import DtuError

app = typer.Typer(help="SynCaps: two sound events, captioned in their order.", no_args_is_help=True)

# The syncaps modules bring numpy, soundfile and soxr: the commands import them when they run, so --help stays quick.


def _range(text: str, option: str) -> tuple[float, float]:
    try:
        low, high = (float(v) for v in text.split(","))
    except ValueError:
        raise DtuError(f"{option} takes LOW,HIGH (two numbers), got {text!r}") from None
    if low > high:
        raise DtuError(f"{option} {text}: LOW must not exceed HIGH")
    return low, high


def _connective_weights(text: str | None) -> dict[str, float]:
    from dtu_audio.syncaps.captions import CONNECTIVES
    from dtu_audio.syncaps.plan import PAPER_CONNECTIVE_WEIGHTS

    if text is None:
        return dict(PAPER_CONNECTIVE_WEIGHTS)
    weights = {}
    for item in text.split(","):
        name, _, weight = item.partition("=")
        name = name.strip().replace("_", " ")
        try:
            weights[name] = float(weight)
        except ValueError:
            raise DtuError(
                f"--connectives takes NAME=WEIGHT,... with names from {', '.join(CONNECTIVES)}; got {item!r}"
            ) from None
    return weights


@app.command("generate")
def generate_cmd(
    out: Path = typer.Option(Path("syncaps"), "--out", "-o", help="Output folder (resumed when it exists)."),
    esc50: Path | None = typer.Option(None, "--esc50", help="ESC-50 checkout: audio/*.wav and meta/esc50.csv."),
    download: bool = typer.Option(False, "--download-esc50", help="Download ESC-50 into the dtu cache first."),
    sources_dir: Path | None = typer.Option(
        None, "--sources", help="Any source folder: audio/, sources.csv (filename,category[,fold]), descriptions.json."
    ),
    descriptions: Path | None = typer.Option(None, "--descriptions", help="Category -> description JSON."),
    recipe_path: Path | None = typer.Option(
        None, "--recipe", help="Replay this recipe (dtu recipe.json or the authors' json_files folder)."
    ),
    num_clips: int | None = typer.Option(None, "--num-clips", help="Draw a new set of this many clips."),
    seed: int = typer.Option(0, "--seed", help="Seed of a new set."),
    val_fraction: float = typer.Option(0.1, help="Share of a new set in val."),
    test_fraction: float = typer.Option(0.1, help="Share of a new set in test."),
    disjoint_splits: bool = typer.Option(
        False, "--disjoint-splits", help="No source clip in two splits: folds 1-3 train, 4 val, 5 test."
    ),
    overlap_prob: float = typer.Option(0.5, help="Chance that the two events overlap."),
    overlap_range: str = typer.Option("0.2,1.0", help="Overlap in seconds, LOW,HIGH."),
    transform_prob: float = typer.Option(0.0, help="Chance a train/val source clip is transformed."),
    test_transform_prob: float = typer.Option(
        5 / 6, help="Chance a test source clip is transformed.", show_default="5/6"
    ),
    pitch_range: str = typer.Option("-2,2", help="Pitch shift, semitones."),
    stretch_range: str = typer.Option("0.8,1.2", help="Time-stretch rate."),
    gain_range: str = typer.Option("-3,3", help="Gain, dB."),
    snr_range: str = typer.Option("0,10", help="White-noise SNR, dB."),
    shift_range: str = typer.Option("-0.1,0.1", help="Time shift, seconds."),
    connectives: str | None = typer.Option(
        None, help="Connective weights, e.g. 'followed_by=1,then=1,before=1,preceded_by=1,after=1' (paper's default)."
    ),
    sample_rate: int | None = typer.Option(None, help="Output sample rate (default 44100, the sources' rate)."),
    workers: int = typer.Option(1, "--workers", "-j", help="Worker processes."),
) -> None:
    """Replay the paper's SynCaps recipe, or draw a new set.

    The recipe is replayed unless --num-clips asks for a new set of that many clips.
    """
    from dtu_audio.syncaps.fetch import download_esc50, published_recipe_dir
    from dtu_audio.syncaps.generate import generate
    from dtu_audio.syncaps.outputs import summary_table
    from dtu_audio.syncaps.plan import PlanOptions, plan_new_set
    from dtu_audio.syncaps.recipe import AUTHORS_FILES, load_recipe
    from dtu_audio.syncaps.sources import esc50_sources, folder_sources, read_descriptions
    from dtu_audio.syncaps.transforms import TransformRanges

    console = Console()
    if esc50 is None and sources_dir is None and not download:
        raise DtuError("no sound sources: pass --esc50 DIR, --download-esc50 or --sources DIR")
    if download:
        esc50 = download_esc50()
    if num_clips is None:
        recipe, recipe_descriptions = load_recipe(recipe_path or published_recipe_dir())
        if sample_rate is not None:
            if sample_rate < 8000:
                raise DtuError(f"--sample-rate {sample_rate} is too low (at least 8000 Hz)")
            recipe = replace(recipe, sample_rate=sample_rate)
    elif recipe_path is not None:
        raise DtuError("--recipe replays a recipe; leave out --num-clips, or drop --recipe to draw a new set")
    if esc50 is not None:
        if descriptions is not None:
            desc = read_descriptions(descriptions)
        elif num_clips is None:
            desc = recipe_descriptions
        else:
            desc = read_descriptions(published_recipe_dir() / AUTHORS_FILES["descriptions"])
        sources = esc50_sources(esc50, desc)
    else:
        sources = folder_sources(sources_dir, descriptions)
    if num_clips is not None:
        ranges = TransformRanges(
            pitch_semitones=_range(pitch_range, "--pitch-range"),
            stretch_rate=_range(stretch_range, "--stretch-range"),
            gain_db=_range(gain_range, "--gain-range"),
            snr_db=_range(snr_range, "--snr-range"),
            shift_seconds=_range(shift_range, "--shift-range"),
        )
        options = PlanOptions(
            seed=seed,
            num_clips=num_clips,
            val_fraction=val_fraction,
            test_fraction=test_fraction,
            overlap_prob=overlap_prob,
            overlap_range=_range(overlap_range, "--overlap-range"),
            transform_prob=transform_prob,
            test_transform_prob=test_transform_prob,
            ranges=ranges,
            connective_weights=_connective_weights(connectives),
            sample_rate=sample_rate or 44100,
            disjoint_splits=disjoint_splits,
        )
        recipe, recipe_descriptions = plan_new_set(sources, options), sources.descriptions
    counts = generate(recipe, recipe_descriptions, sources, out, workers=workers, console=Console(stderr=True))
    console.print(summary_table(recipe))
    console.print(
        f"{counts.rendered} clips rendered, {counts.skipped} already complete; manifests, "
        f"audio_id_to_pos_neg_eg.json and recipe.json in {out}"
    )


@app.command("synth-sources")
def synth_sources_cmd(
    out: Path = typer.Argument(..., help="Folder to write audio/, sources.csv and descriptions.json into."),
    clips_per_class: int = typer.Option(5, help="Clips per class (clip k goes to fold k % 5 + 1)."),
    seed: int = typer.Option(0, help="Seed of the variations."),
) -> None:
    """Write the built-in synthesized sounds as a source folder.

    Pass the folder to dtu syncaps generate --sources.
    """
    if clips_per_class < 1:
        raise DtuError("--clips-per-class must be at least 1")
    from dtu_audio.syncaps.synth import SYNTH_CLASSES, write_synth_sources

    sources = write_synth_sources(out, clips_per_class=clips_per_class, seed=seed)
    Console().print(f"{len(sources.categories)} clips of {len(SYNTH_CLASSES)} classes written to {out}")
