"""A run's folder: resolved spec, ``metrics.jsonl`` and the PNG of its loss and recall curves."""

from __future__ import annotations

import json
from pathlib import Path

from dtu_audio.fileio import atomic_path, write_json

LAST, BEST = "last.pt", "best.pt"
METRICS = "metrics.jsonl"
CURVES = "curves.png"
SPEC = "spec.yaml"
BAD_AUDIO = "bad_audio.json"
#: The ``words`` text encoder of a run (config and vocabulary), written by ``dtu train``.
WORD_TEXT_ENCODER = "text-encoder"


class MetricsLog:
    """Append-only ``metrics.jsonl``: one ``window`` line per logged step window, one ``epoch`` line per epoch."""

    def __init__(self, run_dir: Path) -> None:
        self.path = run_dir / METRICS

    def records(self) -> list[dict]:
        """Every record written so far."""
        if not self.path.is_file():
            return []
        return [json.loads(line) for line in self.path.read_text(encoding="utf-8").splitlines() if line.strip()]

    def keep_until(self, global_step: int) -> None:
        """Drop records past ``global_step`` (written after the checkpoint a run resumes from)."""
        kept = [r for r in self.records() if r["step"] <= global_step]
        with atomic_path(self.path) as tmp:
            tmp.write_text("".join(json.dumps(r) + "\n" for r in kept), encoding="utf-8")

    def append(self, record: dict) -> None:
        """Add one record and flush it to disk."""
        with open(self.path, "a", encoding="utf-8") as handle:
            handle.write(json.dumps(record) + "\n")


def write_bad_audio(run_dir: Path, bad: dict[str, dict[int, tuple[str, str]]]) -> None:
    """List the audio left out (per split: path and reason) in ``bad_audio.json``."""
    listing = {split: [{"path": p, "reason": why} for p, why in rows.values()] for split, rows in bad.items() if rows}
    if listing:
        write_json(run_dir / BAD_AUDIO, listing)


def plot_curves(records: list[dict], target: Path) -> None:
    """Training loss per step window and validation recalls per epoch, side by side, as a PNG."""
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib import pyplot as plt
    from matplotlib.ticker import MaxNLocator

    windows = [r for r in records if r["kind"] == "window"]
    epochs = [r for r in records if r["kind"] == "epoch"]
    fig, (loss_ax, recall_ax) = plt.subplots(1, 2, figsize=(10, 4))
    loss_ax.plot([r["step"] for r in windows], [r["loss"] for r in windows], label="total")
    if any(r["temporal"] for r in windows):
        loss_ax.plot([r["step"] for r in windows], [r["temporal"] for r in windows], label="temporal")
    loss_ax.set(xlabel="step", ylabel="loss", title="training loss")
    loss_ax.legend()
    for direction in ("t2a", "a2t"):
        for key in ("R1", "R10"):
            recall_ax.plot(
                [r["epoch"] for r in epochs],
                [r["val"][direction][key] for r in epochs],
                marker="o",
                label=f"{direction} {key}",
            )
    recall_ax.set(xlabel="epoch", ylabel="recall (%)", title="validation")
    recall_ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    recall_ax.legend()
    fig.tight_layout()
    with atomic_path(target) as tmp:
        fig.savefig(tmp, format="png", dpi=100)
    plt.close(fig)
