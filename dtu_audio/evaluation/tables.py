"""The tables ``dtu eval`` prints, as plain data: each fits 80 columns and renders as text or Markdown.

Every number is formatted once here; a difference shown beside two values is computed from those
values as printed (one decimal), so the columns always add up.
"""

from __future__ import annotations

import string
from dataclasses import dataclass, field

from dtu_audio.evaluation.compare import order_differences, variant_names


@dataclass
class TableData:
    """A titled table of text cells; ``numeric`` columns are right-aligned; a section ends after ``breaks`` rows."""

    title: str
    columns: list[str]
    numeric: list[bool]
    rows: list[list[str]] = field(default_factory=list)
    breaks: set[int] = field(default_factory=set)
    caption: str | None = None

    def add(self, *cells: str) -> None:
        self.rows.append(list(cells))

    def end_section(self) -> None:
        if self.rows:
            self.breaks.add(len(self.rows) - 1)


def main_protocol(entry: dict) -> str:
    """The 5-caption protocol when a set has 5 captions per clip, else the 1-caption one."""
    return "five_captions" if "five_captions" in entry else "one_caption"


def one_decimal(value: float | None) -> str:
    return "" if value is None else f"{value:.1f}"


def signed_change(before: float, after: float) -> str:
    """``after - before`` as the two one-decimal values printed beside it differ."""
    return f"{round(after, 1) - round(before, 1):+.1f}"


def with_interval(summary: dict | None, value_key: str = "accuracy", signed: bool = False) -> str:
    """``"59.4 [52-67]"``: a value (one decimal) and its 95% interval (whole numbers)."""
    if not summary or summary.get(value_key) is None:
        return ""
    value = f"{summary[value_key]:+.1f}" if signed else f"{summary[value_key]:.1f}"
    if not summary.get("ci95"):
        return value
    low, high = summary["ci95"]
    return f"{value} [{low:.0f}, {high:.0f}]" if signed else f"{value} [{low:.0f}-{high:.0f}]"


def model_labels(results: list[dict]) -> list[str]:
    """A, B, C, ... for each model of a comparison."""
    letters = string.ascii_uppercase
    return [letters[i] if i < len(letters) else f"M{i + 1}" for i in range(len(results))]


def _title(result: dict) -> str:
    return f"{result['checkpoint']['name']} on {result['dataset']}"


def retrieval_table(result: dict) -> TableData:
    """One row per test set: text-to-audio R@1/5/10, mAP@10, median rank; audio-to-text R@1/5/10."""
    shown = {"t2a": ("R1", "R5", "R10", "mAP10", "medR"), "a2t": ("R1", "R5", "R10")}
    headers = {"R1": "R@1", "R5": "R@5", "R10": "R@10", "mAP10": "mAP@10", "medR": "medR"}
    columns = ["set", "clips", *(f"{d}\n{headers[k]}" for d, keys in shown.items() for k in keys)]
    table = TableData(f"{_title(result)}: retrieval", columns, [False] + [True] * (len(columns) - 1))
    for name, entry in result["sets"].items():
        scores = entry[main_protocol(entry)]
        cells = [
            f"{scores[d][k]:.0f}" if k == "medR" else f"{scores[d][k]:.1f}" for d, keys in shown.items() for k in keys
        ]
        table.add(name, str(entry["clips"]), *cells)
    table.caption = "R@k and mAP@10 in %; the 5-caption protocol where a set has 5 captions per clip"
    return table


def order_table(result: dict) -> TableData | None:
    """Per temporal variant: order accuracy, the shuffled-audio control, the grounded difference; ``None`` without."""
    names = variant_names(result)
    if not names:
        return None
    baseline = any("text_baseline" in result["sets"][n] for n in names)
    left_out = any(result["sets"][n].get("left_out") for n in names)
    columns = ["variant", "pairs", "order acc.\n[95% CI]", "shuffled\naudio", "grounded\n[95% CI]"]
    columns += ["text\nonly"] if baseline else []
    columns += ["left\nout"] if left_out else []
    table = TableData(f"{_title(result)}: order", columns, [False] + [True] * (len(columns) - 1))
    for name in names:
        entry = result["sets"][name]
        cells = [
            name,
            str(entry["order_accuracy"]["pairs"]),
            with_interval(entry["order_accuracy"]),
            one_decimal(entry["shuffled_audio"]["accuracy"]),
            with_interval(entry["grounded"], "difference", signed=True),
        ]
        if baseline:
            text_only = entry.get("text_baseline")
            cells.append("" if text_only is None else one_decimal(text_only.get("accuracy")) or "n/a")
        if left_out:
            cells.append(str(entry.get("left_out", 0)))
        table.add(*cells)
    table.caption = (
        "order acc.: % of captions the clip scores above their altered version (chance 50); shuffled audio: the "
        "same with another clip's audio; grounded: order acc. minus shuffled, in points"
        + ("; text only: a classifier that reads the two captions and never hears the audio" if baseline else "")
        + ("; left out: captions with a connective that could not be rewritten" if left_out else "")
        + (
            "; _replace is the paper's set, _matched_replace has no connective prior"
            if any("matched" in n for n in names)
            else ""
        )
    )
    return table


def changes_table(result: dict) -> TableData | None:
    """Change of each recall from the original captions to each variant (points); ``None`` without variants."""
    variants = {n: e for n, e in result["sets"].items() if "changes" in e}
    if not variants:
        return None
    keys = ("R1", "R5", "R10")
    columns = ["variant", "of", *(f"{d}\nΔR@{k[1:]}" for d in ("t2a", "a2t") for k in keys)]
    table = TableData(f"{_title(result)}: recall on variants", columns, [False, False] + [True] * 6)
    for name, entry in variants.items():
        before = result["sets"][entry["variant_of"]][main_protocol(entry)]
        after = entry[main_protocol(entry)]
        cells = [signed_change(before[d][k], after[d][k]) for d in ("t2a", "a2t") for k in keys]
        table.add(name, entry["variant_of"], *cells)
    table.caption = "variant minus the captions it alters, in points"
    return table


def breakdown_table(results: list[dict]) -> TableData | None:
    """Order accuracy [95% CI] per connective and per overlap of each variant, one column per model."""
    names = variant_names(results[0])
    if not names:
        return None
    labels = model_labels(results) if len(results) > 1 else ["order acc.\n[95% CI]"]
    table = TableData("order accuracy by connective and overlap", ["variant", "group", "pairs", *labels], [])
    table.numeric = [False, False, True] + [True] * len(labels)
    for name in names:
        first = results[0]["sets"][name]
        groups = [("by_connective", g) for g in first.get("by_connective", {})]
        groups += [("by_overlap", g) for g in first.get("by_overlap", {})]
        for i, (kind, group) in enumerate(groups):
            cells = [with_interval(r["sets"].get(name, {}).get(kind, {}).get(group)) for r in results]
            table.add(name if i == 0 else "", group, str(first[kind][group]["pairs"]), *cells)
        table.end_section()
    table.caption = "overlap: whether the two events overlap in the clip (SynCaps records it)"
    return table


def comparison_table(results: list[dict]) -> TableData:
    """Models side by side on every set: t2a R@1 and R@10, a2t R@1, and on variants order accuracy and grounding."""
    labels = model_labels(results)
    columns = ["set", "model", "t2a\nR@1", "t2a\nR@10", "a2t\nR@1", "order acc.\n[95% CI]", "grounded\n[95% CI]"]
    table = TableData(f"comparison on {results[0]['dataset']}", columns, [False, False] + [True] * 5)
    for name in results[0]["sets"]:
        for i, (label, result) in enumerate(zip(labels, results, strict=True)):
            entry = result["sets"].get(name)
            if entry is None:
                continue
            scores = entry[main_protocol(entry)]
            table.add(
                name if i == 0 else "",
                label,
                one_decimal(scores["t2a"]["R1"]),
                one_decimal(scores["t2a"]["R10"]),
                one_decimal(scores["a2t"]["R1"]),
                with_interval(entry.get("order_accuracy")),
                with_interval(entry.get("grounded"), "difference", signed=True),
            )
        table.end_section()
    table.caption = "recalls and order accuracy in %; grounded: order acc. with the true audio minus a shuffled one"
    return table


def difference_table(results: list[dict]) -> TableData | None:
    """Order accuracy of each model minus model A's on the same caption pairs, with a paired bootstrap interval."""
    rows = order_differences(results)
    if not rows:
        return None
    labels = model_labels(results)
    columns = ["variant", "model", "order acc.\nminus A", "95% CI", "verdict"]
    table = TableData("order accuracy against A, same captions", columns, [False, False, True, True, False])
    for row in rows:
        low, high = row["ci95"] or (row["difference"], row["difference"])
        table.add(
            row["set"], labels[row["model"]], f"{row['difference']:+.1f}", f"[{low:+.1f}, {high:+.1f}]", row["verdict"]
        )
    table.caption = "paired bootstrap over clips; a verdict only when the interval excludes 0"
    return table


def legend(results: list[dict]) -> list[str]:
    """``A = <model name> (<family>)`` for each model of a comparison."""
    return [
        f"{label} = {r['checkpoint']['name']} ({r['checkpoint'].get('family', 'dtu')})"
        for label, r in zip(model_labels(results), results, strict=True)
    ]
