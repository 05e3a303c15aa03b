"""A run's folder: resolved spec, ``metrics.jsonl`` and the PNG of its loss and recall curves."""

from __future__ import annotations

import json
from pathlib import Path

from dtu_audio.fileio import atomic_path, write_errors, write_json

LAST, BEST = "last.pt", "best.pt"
METRICS = "metrics.jsonl"
CURVES = "curves.png"
SPEC = "spec.yaml"
BAD_AUDIO = "bad_audio.json"
#: The ``words`` text encoder of a run (config and vocabulary), written by ``dtu train``.
WORD_TEXT_ENCODER = "text-encoder"


def resume_hint(run_dir: Path) -> str:
    """What to do after a failed write into ``run_dir``: resume when it holds a checkpoint, else start again."""
    if (run_dir / LAST).is_file():
        return f"free space, then continue with dtu train --resume {run_dir}"
    return "free space, then run the same command again"


class MetricsLog:
    """Append-only ``metrics.jsonl``: one ``window`` line per logged step window, one ``epoch`` line per epoch.

    A run resumes with :meth:`keep_until`, which rewrites the log to what its checkpoint knows: records
    written after the checkpoint (by a run killed before its next save) and a torn last line (a kill
    or a full disk mid-write) are dropped, so the log never holds an epoch twice or a half record.
    """

    def __init__(self, run_dir: Path) -> None:
        self.path = run_dir / METRICS

    def records(self) -> list[dict]:
        """Every complete record written so far (a torn line is skipped)."""
        if not self.path.is_file():
            return []
        records = []
        for line in self.path.read_text(encoding="utf-8", errors="replace").splitlines():
            try:
                record = json.loads(line)
            except json.JSONDecodeError:
                continue
            if isinstance(record, dict) and isinstance(record.get("step"), int):
                records.append(record)
        return records

    def keep_until(self, global_step: int) -> None:
        """Keep only the complete records up to ``global_step`` (what the checkpoint a run resumes from knows)."""
        kept = [r for r in self.records() if r["step"] <= global_step]
        with write_errors(self.path, resume_hint(self.path.parent)), atomic_path(self.path) as tmp:
            tmp.write_text("".join(json.dumps(r) + "\n" for r in kept), encoding="utf-8")

    def append(self, record: dict) -> None:
        """Add one record and flush it to disk."""
        with write_errors(self.path, resume_hint(self.path.parent)), open(self.path, "a", encoding="utf-8") as handle:
            handle.write(json.dumps(record) + "\n")


def write_bad_audio(run_dir: Path, bad: dict[str, dict[int, tuple[str, str]]]) -> None:
    """List the audio left out (per split: path and reason) in ``bad_audio.json``."""
    listing = {split: [{"path": p, "reason": why} for p, why in rows.values()] for split, rows in bad.items() if rows}
    if listing:
        with write_errors(run_dir / BAD_AUDIO, resume_hint(run_dir)):
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
    try:
        with write_errors(target, resume_hint(target.parent)), atomic_path(target) as tmp:
            fig.savefig(tmp, format="png", dpi=100)
    finally:
        plt.close(fig)
