"""Rendering ``dtu eval`` output: tables as terminal text or Markdown, results as JSON or CSV rows."""

from __future__ import annotations

import csv
import io
import json

from rich import box
from rich.table import Table

from dtu_audio.evaluation.tables import TableData

CSV_COLUMNS = ("model", "set", "protocol", "metric", "value", "ci_low", "ci_high", "pairs")


def to_rich(table: TableData) -> Table:
    """A terminal table: numbers never cut (they wrap at a space when the terminal is narrow), text folds."""
    shown = Table(
        title=table.title,
        title_justify="left",
        caption=table.caption,
        box=box.SIMPLE_HEAD,
        collapse_padding=True,
        pad_edge=False,
    )
    shown.caption_justify = "left"
    for name, numeric in zip(table.columns, table.numeric, strict=True):
        shown.add_column(name, justify="right" if numeric else "left", overflow="fold")
    for i, row in enumerate(table.rows):
        shown.add_row(*row, end_section=i in table.breaks and i < len(table.rows) - 1)
    return shown


def to_markdown(table: TableData) -> str:
    """A GitHub Markdown table with the title in bold above it and the caption below."""

    def line(cells: list[str]) -> str:
        return "| " + " | ".join(c.replace("\n", " ").replace("|", "\\|") for c in cells) + " |"

    rules = ["---:" if numeric else "---" for numeric in table.numeric]
    lines = [f"**{table.title}**", "", line(table.columns), "| " + " | ".join(rules) + " |"]
    lines += [line(row) for row in table.rows]
    if table.caption:
        lines += ["", table.caption]
    return "\n".join(lines) + "\n"


def _summary_rows(model: str, name: str, metric: str, summary: dict | None, key: str = "accuracy") -> list[list]:
    if not summary or summary.get(key) is None:
        return []
    low, high = summary.get("ci95") or (None, None)
    return [[model, name, "", metric, summary[key], low, high, summary.get("pairs")]]


def results_csv(results: list[dict]) -> str:
    """Every number of ``results`` as tidy CSV rows (:data:`CSV_COLUMNS`); order accuracy rows carry the interval."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(CSV_COLUMNS)
    for result in results:
        model = result["checkpoint"]["name"]
        for name, entry in result["sets"].items():
            for protocol in ("five_captions", "one_caption"):
                for direction, scores in entry.get(protocol, {}).items():
                    writer.writerows(
                        [model, name, protocol, f"{direction}_{k}", v, None, None, None] for k, v in scores.items()
                    )
            rows = _summary_rows(model, name, "order_accuracy", entry.get("order_accuracy"))
            rows += _summary_rows(model, name, "shuffled_audio_accuracy", entry.get("shuffled_audio"))
            rows += _summary_rows(model, name, "grounded_difference", entry.get("grounded"), "difference")
            rows += _summary_rows(model, name, "text_baseline_accuracy", entry.get("text_baseline"))
            for kind in ("by_connective", "by_overlap"):
                for group, summary in entry.get(kind, {}).items():
                    rows += _summary_rows(model, name, f"order_accuracy[{kind[3:]}={group}]", summary)
            writer.writerows(rows)
    return buffer.getvalue()


def results_json(results: list[dict]) -> str:
    """``results.json``'s content: one result, or ``{"runs": [...]}`` for a comparison."""
    return json.dumps(results[0] if len(results) == 1 else {"runs": results}, indent=2)
