"""A PNG of evaluation results: recall per set, order accuracy and the grounded difference per variant."""

from __future__ import annotations

from pathlib import Path

from dtu_audio.evaluation.compare import variant_names
from dtu_audio.evaluation.tables import main_protocol
from dtu_audio.fileio import atomic_path


def _panel_values(result: dict, names: list[str], key: str) -> tuple[list[float], list[list[float]] | None]:
    """Bar heights and error bars of one model on one panel (``R1``/``R10``, ``order`` or ``grounded``)."""
    if key in ("R1", "R10"):
        return [result["sets"][n][main_protocol(result["sets"][n])]["t2a"][key] for n in names], None
    entry_key, value_key = ("order_accuracy", "accuracy") if key == "order" else ("grounded", "difference")
    summaries = [result["sets"][n][entry_key] for n in names]
    values = [s[value_key] or 0.0 for s in summaries]
    intervals = [s["ci95"] or [v, v] for s, v in zip(summaries, values, strict=True)]
    return values, [
        [v - lo for v, (lo, _) in zip(values, intervals, strict=True)],
        [hi - v for v, (_, hi) in zip(values, intervals, strict=True)],
    ]


def plot_results(results: list[dict], target: Path) -> None:
    """PNG with one bar per model: t2a R@1 and R@10 per set; order accuracy and grounded difference per variant."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    names = list(results[0]["sets"])
    variants = variant_names(results[0])
    panels = [("t2a R@1 (%)", "R1", names), ("t2a R@10 (%)", "R10", names)]
    if variants:
        panels += [
            ("order accuracy (%, 95% CI)", "order", variants),
            ("grounded: true - shuffled audio (points)", "grounded", variants),
        ]
    figure, axes = plt.subplots(1, len(panels), figsize=(4.5 * len(panels), 4.5), squeeze=False)
    width = 0.8 / len(results)
    for axis, (title, key, shown) in zip(axes[0], panels, strict=True):
        for i, result in enumerate(results):
            values, errors = _panel_values(result, shown, key)
            positions = [p + i * width for p in range(len(shown))]
            axis.bar(positions, values, width, yerr=errors, capsize=3, label=result["checkpoint"]["name"])
        axis.set_xticks([p + width * (len(results) - 1) / 2 for p in range(len(shown))])
        axis.set_xticklabels(shown, rotation=40, ha="right", fontsize=8)
        axis.set_title(title, fontsize=10)
        if key == "order":
            axis.axhline(50.0, color="grey", linestyle="--", linewidth=1)
        if key == "grounded":
            axis.axhline(0.0, color="grey", linewidth=1)
    axes[0][0].legend(fontsize=8)
    figure.suptitle(f"dtu eval on {results[0]['dataset']}")
    figure.tight_layout()
    with atomic_path(target) as tmp:
        figure.savefig(tmp, format="png", dpi=120)
    plt.close(figure)
