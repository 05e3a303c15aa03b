"""Reporting evaluation results: terminal tables, side-by-side comparison, and a PNG of the variants."""

from __future__ import annotations

from pathlib import Path

from rich.table import Table

from dtu_audio.fileio import atomic_path

#: Metrics shown in the terminal for each direction (results.json holds them all).
SHOWN = {"t2a": ("R1", "R5", "R10", "mAP10", "medR"), "a2t": ("R1", "R5", "R10")}


def _main_protocol(entry: dict) -> str:
    return "five_captions" if "five_captions" in entry else "one_caption"


def _accuracy(entry: dict) -> str:
    result = entry.get("order_accuracy")
    if not result or result["accuracy"] is None:
        return ""
    interval = f" [{result['ci95'][0]:.0f}-{result['ci95'][1]:.0f}]" if result["ci95"] else ""
    return f"{result['accuracy']:.1f}{interval}"


def _text_only(entry: dict) -> str:
    baseline = entry.get("text_baseline")
    if baseline is None:
        return ""
    return "n/a" if baseline["accuracy"] is None else f"{baseline['accuracy']:.1f}"


def results_table(result: dict) -> Table:
    """One row per test set: text-to-audio and audio-to-text metrics and the order accuracy of variants."""
    table = Table(title=f"{result['checkpoint']['name']} on {result['dataset']}", title_justify="left")
    table.add_column("set", no_wrap=True)
    table.add_column("clips", justify="right")
    for direction, keys in SHOWN.items():
        for key in keys:
            table.add_column(f"{direction} {key}", justify="right")
    table.add_column("order acc.", justify="right", no_wrap=True)
    table.add_column("text-only", justify="right", no_wrap=True)
    for name, entry in result["sets"].items():
        scores = entry[_main_protocol(entry)]
        cells = [
            f"{scores[d][k]:.1f}" if k != "medR" else f"{scores[d][k]:.0f}" for d, keys in SHOWN.items() for k in keys
        ]
        table.add_row(name, str(entry["clips"]), *cells, _accuracy(entry), _text_only(entry))
    table.caption = (
        "R@k, mAP@10 and order accuracy [95% CI] in %; 5-caption protocol where a set has 5 captions; "
        "text-only: order accuracy of a classifier that reads the two captions and never hears the audio "
        "(docs/eval.md); _replace is the paper's set, _matched_replace has no connective prior"
    )
    return table


def changes_table(result: dict) -> Table | None:
    """Change of each recall from the original captions to each variant; ``None`` without variants."""
    variants = {n: e for n, e in result["sets"].items() if "changes" in e}
    if not variants:
        return None
    table = Table(title="variants against their original captions (points)", title_justify="left")
    columns = ("variant", "of", "t2a ΔR1", "t2a ΔR5", "t2a ΔR10", "a2t ΔR1", "a2t ΔR5", "a2t ΔR10", "pairs", "left out")
    for column in columns:
        table.add_column(column, justify="left" if column in ("variant", "of") else "right")
    for name, entry in variants.items():
        change = entry["changes"][_main_protocol(entry)]
        cells = [f"{change[d][k]:+.2f}" for d in ("t2a", "a2t") for k in ("R1", "R5", "R10")]
        pairs, left_out = str(entry["order_accuracy"]["pairs"]), str(entry.get("left_out", 0))
        table.add_row(name, entry["variant_of"], *cells, pairs, left_out)
    return table


def compare_table(first: dict, second: dict) -> Table:
    """Two checkpoints side by side on the sets both evaluated: t2a R@1/R@10, a2t R@1 and order accuracy."""
    names = (first["checkpoint"]["name"], second["checkpoint"]["name"])
    table = Table(title=f"{names[0]} (A) vs {names[1]} (B) on {first['dataset']}", title_justify="left")
    table.add_column("set")
    for label in ("t2a R1", "t2a R10", "a2t R1", "order acc."):
        for side in ("A", "B"):
            table.add_column(f"{label} {side}", justify="right")
        table.add_column("B-A", justify="right")
    for name, a in first["sets"].items():
        b = second["sets"].get(name)
        if b is None:
            continue
        cells = []
        for direction, key in (("t2a", "R1"), ("t2a", "R10"), ("a2t", "R1")):
            va, vb = a[_main_protocol(a)][direction][key], b[_main_protocol(b)][direction][key]
            cells += [f"{va:.2f}", f"{vb:.2f}", f"{vb - va:+.2f}"]
        oa, ob = (s.get("order_accuracy", {}).get("accuracy") for s in (a, b))
        cells += [f"{oa:.1f}", f"{ob:.1f}", f"{ob - oa:+.1f}"] if oa is not None and ob is not None else ["", "", ""]
        table.add_row(name, *cells)
    return table


def plot_results(results: list[dict], target: Path) -> None:
    """PNG of text-to-audio R@1 and R@10 per set (one bar per checkpoint) and order accuracy per variant."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    names = list(results[0]["sets"])
    variants = [n for n in names if "order_accuracy" in results[0]["sets"][n]]
    panels = [("t2a R@1 (%)", "R1"), ("t2a R@10 (%)", "R10")] + (
        [("order accuracy (%, 95% CI)", None)] if variants else []
    )
    figure, axes = plt.subplots(1, len(panels), figsize=(5 * len(panels), 4.5), squeeze=False)
    width = 0.8 / len(results)
    for axis, (title, key) in zip(axes[0], panels, strict=True):
        shown = names if key else variants
        for i, result in enumerate(results):
            errors = None
            if key:
                values = [result["sets"][n][_main_protocol(result["sets"][n])]["t2a"][key] for n in shown]
            else:
                accuracies = [result["sets"][n]["order_accuracy"] for n in shown]
                values = [a["accuracy"] or 0.0 for a in accuracies]
                intervals = [a["ci95"] or [v, v] for a, v in zip(accuracies, values, strict=True)]
                errors = [
                    [v - lo for v, (lo, _) in zip(values, intervals, strict=True)],
                    [hi - v for v, (_, hi) in zip(values, intervals, strict=True)],
                ]
            positions = [p + i * width for p in range(len(shown))]
            axis.bar(positions, values, width, yerr=errors, capsize=3, label=result["checkpoint"]["name"])
        axis.set_xticks([p + width * (len(results) - 1) / 2 for p in range(len(shown))])
        axis.set_xticklabels(shown, rotation=40, ha="right", fontsize=8)
        axis.set_title(title)
        if key is None:
            axis.axhline(50.0, color="grey", linestyle="--", linewidth=1)
    axes[0][0].legend(fontsize=8)
    figure.suptitle(f"dtu eval on {results[0]['dataset']}")
    figure.tight_layout()
    with atomic_path(target) as tmp:
        figure.savefig(tmp, format="png", dpi=120)
    plt.close(figure)
