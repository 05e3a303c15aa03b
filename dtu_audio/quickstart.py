"""The offline quickstart: synthesize a small SynCaps-style set, train with and without the
temporal loss, evaluate both on the standard, reversed and replaced test sets, and compare.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from rich.console import Console
from rich.table import Table

from dtu_audio.datasets.manifest import read_manifest
from dtu_audio.encoders.word_text_encoder import write_caption_text_encoder
from dtu_audio.evaluation.compare import bootstrap_settings, order_difference, variant_names, verdict
from dtu_audio.evaluation.pipeline import evaluate_checkpoint
from dtu_audio.evaluation.prepare import prepare_suite
from dtu_audio.evaluation.report import plot_results
from dtu_audio.evaluation.tables import signed_change
from dtu_audio.fileio import write_json
from dtu_audio.resolve import resolve_device
from dtu_audio.specs import RunSpec, load_spec
from dtu_audio.syncaps.generate import generate
from dtu_audio.syncaps.plan import PlanOptions, plan_new_set
from dtu_audio.syncaps.synth import SYNTH_CLASSES, write_synth_sources
from dtu_audio.training.checkpoint import saved_progress
from dtu_audio.training.loop import train_run
from dtu_audio.training.run_outputs import BEST, LAST
from dtu_audio.weights.installed import WORDS, WORDS_LABEL, describe

LAMBDAS = (0.0, 10.0)


@dataclass(frozen=True)
class TextEncoderChoice:
    """The text encoder the quickstart uses, and how to say so."""

    folder: Path
    label: str


def choose_text_encoder(text_encoder: str, out: Path, captions: list[str]) -> TextEncoderChoice:
    """The preset's text encoder: the installed MiniLM, or ``words`` written under ``out`` for these captions."""
    if text_encoder == WORDS:
        return TextEncoderChoice(write_caption_text_encoder(out / "word-bert", captions), WORDS_LABEL)
    return TextEncoderChoice(Path(text_encoder), describe(text_encoder))


def build_dataset(out: Path, num_clips: int, seed: int, sample_rate: int, workers: int, console: Console) -> Path:
    """Synthesize the sources and render a SynCaps-style set from them; returns the data folder."""
    sources = write_synth_sources(out / "sources", clips_per_class=5, seed=seed, sample_rate=sample_rate)
    options = PlanOptions(seed=seed, num_clips=num_clips, test_fraction=0.2, sample_rate=sample_rate)
    recipe = plan_new_set(sources, options)
    descriptions = {category: description for category, (description, _) in SYNTH_CLASSES.items()}
    data = out / "syncaps"
    generate(recipe, descriptions, sources, data, workers=workers, console=console)
    return data


def _train(spec: RunSpec, console: Console) -> Path:
    """Train the run of ``spec``; reuse it when it finished, continue it when it was cut short."""
    run_dir = spec.train.output_dir / str(spec.train.run_name)
    last = run_dir / LAST
    progress = saved_progress(last) if last.is_file() else None
    if progress is not None and progress.epoch >= spec.train.epochs and (run_dir / BEST).is_file():
        console.print(f"[dim]{run_dir} is already trained; reusing it (--force retrains)[/]")
        return run_dir / BEST
    if last.is_file():
        console.print(f"[dim]{run_dir} was stopped before it finished; continuing it[/]")
    result = train_run(spec, run_dir, resume=last if last.is_file() else None, console=console)
    if result.interrupted:
        raise KeyboardInterrupt
    return run_dir / BEST


def run_quickstart(
    out: Path, num_clips: int, epochs: int | None, seed: int, workers: int, console: Console
) -> list[dict]:
    """The whole quickstart; returns the evaluation results of the lambda 0 and lambda 10 models."""
    base = load_spec("quickstart")
    console.rule("1. data: a SynCaps-style set from built-in synthesized sound events")
    data = build_dataset(out, num_clips, seed, base.audio.sample_rate, workers, console)
    text = choose_text_encoder(base.model.text_encoder, out, read_manifest(data / "train.json").captions)
    console.print(f"text encoder: {text.label}")
    overrides = {
        "model.text_encoder": str(text.folder),
        "data.data_root": str(data),
        "train.output_dir": str(out / "runs"),
        "train.seed": seed,
        **({"train.epochs": epochs} if epochs is not None else {}),
        "eval.seed": seed,
    }
    device = resolve_device(base.eval.device, setting="eval.device")
    prepared = prepare_suite("syncaps", load_spec("quickstart", overrides), data)
    results = []
    for weight in LAMBDAS:
        spec = load_spec(
            "quickstart", {**overrides, "train.temporal_lambda": weight, "train.run_name": f"lambda{weight:g}"}
        )
        console.rule(f"2. train with lambda {weight:g}")
        checkpoint = _train(spec, console)
        console.rule(f"3. evaluate lambda {weight:g}")
        result = evaluate_checkpoint(str(checkpoint), prepared, spec, device, cache_root=out / "embeddings")
        result["checkpoint"]["name"] = f"lambda {weight:g}"
        results.append(result)
    write_json(out / "results.json", {"text_encoder": text.label, "results": results})
    plot_results(results, out / "comparison.png")
    return results


def _scores(entry: dict, direction: str) -> dict:
    return entry["five_captions" if "five_captions" in entry else "one_caption"][direction]


def comparison_table(results: list[dict]) -> Table:
    """The two models side by side: recalls on every test set, order accuracy on the altered ones.

    Each change is the difference of the two one-decimal values beside it.
    """
    plain, temporal = results
    table = Table(title="lambda 0 (contrastive only) vs lambda 10 (+ temporal loss)", title_justify="left")
    for column in ("test set", "metric", "lambda 0", "lambda 10", "change"):
        table.add_column(column, justify="left" if column in ("test set", "metric") else "right")
    for name, entry in plain["sets"].items():
        other = temporal["sets"][name]
        rows = [
            (f"{d} R@{k}", _scores(entry, d)[f"R{k}"], _scores(other, d)[f"R{k}"])
            for d, k in (("t2a", 1), ("t2a", 10), ("a2t", 1))
        ]
        if entry.get("order_accuracy", {}).get("accuracy") is not None:
            rows.append(("order accuracy", entry["order_accuracy"]["accuracy"], other["order_accuracy"]["accuracy"]))
        for i, (metric, a, b) in enumerate(rows):
            table.add_row(name if i == 0 else "", metric, f"{a:.1f}", f"{b:.1f}", signed_change(a, b))
        table.add_section()
    table.caption = "recalls in %; order accuracy: % of captions scored above their altered version (chance 50)"
    return table


def summary_lines(results: list[dict]) -> list[str]:
    """What the temporal loss changed in order accuracy, as measured: "raised" or "lowered" only when the
    paired bootstrap interval of the difference (same captions, resampled by clip) excludes zero."""
    plain, temporal = results
    samples, seed = bootstrap_settings(plain)
    lines = []
    for name in variant_names(plain):
        before, after = plain["sets"][name]["order_accuracy"], temporal["sets"][name]["order_accuracy"]
        change = order_difference(plain, temporal, name, samples, seed)
        if change is None:
            continue
        said = verdict(change["ci95"])
        effect = f"the temporal loss {said} it" if said != "no clear change" else "no clear change"
        lines.append(
            f"{name}: order accuracy {before['accuracy']:.1f}% {_interval(before)} without the temporal loss, "
            f"{after['accuracy']:.1f}% {_interval(after)} with it; difference "
            f"{signed_change(before['accuracy'], after['accuracy'])} points "
            f"{_interval(change, 'difference')} over the same captions: {effect}"
        )
    return lines


def _interval(result: dict, key: str = "accuracy") -> str:
    low, high = result.get("ci95") or (result[key], result[key])
    return f"[95% CI {low:.1f}, {high:.1f}]" if key == "difference" else f"[95% CI {low:.1f}-{high:.1f}]"


def print_comparison(results: list[dict], out: Path, console: Console) -> None:
    """The comparison table, what it says, and where the files are."""
    console.print(comparison_table(results))
    for line in summary_lines(results):
        console.print(line)
    console.print(f"results: {out / 'results.json'}   plot: {out / 'comparison.png'}   runs: {out / 'runs'}")
