"""What a comparison may say: paired differences of order accuracy, verdicts, and changes that add up."""

from __future__ import annotations

import io
import re

import numpy as np
import pytest
from rich.console import Console

from dtu_audio.evaluation.compare import order_difference, order_differences, verdict
from dtu_audio.evaluation.render import to_rich
from dtu_audio.evaluation.statistics import summarise
from dtu_audio.evaluation.tables import comparison_table, difference_table, order_table
from dtu_audio.quickstart import comparison_table as quickstart_table
from dtu_audio.quickstart import summary_lines

CLIPS = np.repeat(np.arange(100), 2)  # 100 clips, 2 caption pairs each


def _scores(r1: float) -> dict:
    direction = {"R1": r1, "R5": 50.0, "R10": 60.0, "mAP10": 30.0, "medR": 4.0}
    return {"t2a": dict(direction), "a2t": dict(direction)}


def _result(name: str, correct: np.ndarray, r1: float = 17.54) -> dict:
    accuracy = summarise(correct, CLIPS, samples=1000, seed=0)
    variant = {
        "clips": 100,
        "one_caption": _scores(r1),
        "variant_of": "test",
        "changes": {},
        "order_accuracy": accuracy,
        "grounded": {"difference": 1.0, "ci95": [-2.0, 4.0]},
        "pair_outcomes": {"clips": CLIPS.tolist(), "correct": correct.astype(int).tolist()},
    }
    return {
        "checkpoint": {"name": name, "family": "dtu"},
        "dataset": "syncaps",
        "sets": {"test": {"clips": 100, "one_caption": _scores(r1)}, "test_reverse": variant},
        "spec": {"eval": {"bootstrap_samples": 1000}, "train": {"seed": 0}},
    }


def _outcomes(correct_pairs: int, seed: int = 0) -> np.ndarray:
    marks = np.zeros(CLIPS.size, dtype=bool)
    marks[np.random.default_rng(seed).permutation(CLIPS.size)[:correct_pairs]] = True
    return marks


def test_verdict_needs_an_interval_that_excludes_zero():
    assert verdict([0.5, 9.0]) == "raised" and verdict([-9.0, -0.5]) == "lowered"
    assert verdict([-1.0, 9.0]) == "no clear change" and verdict(None) == "no clear change"


def test_a_clear_gain_is_said_raised():
    plain = _result("lambda 0", _outcomes(100))
    temporal = _result("lambda 10", _outcomes(150, seed=1))
    change = order_difference(plain, temporal, "test_reverse", 1000, 0)
    assert change["difference"] == pytest.approx(25.0) and change["ci95"][0] > 0
    [line] = summary_lines([plain, temporal])
    assert line.endswith("the temporal loss raised it") and "difference +25.0 points" in line


def test_overlapping_intervals_give_no_clear_change():
    base = _outcomes(104)
    other = base.copy()
    other[np.flatnonzero(~base)[:10]] = True  # 10 pairs won, 7 lost: +1.5 points, within the noise
    other[np.flatnonzero(base)[:7]] = False
    results = [_result("lambda 0", base), _result("lambda 10", other)]
    intervals = [r["sets"]["test_reverse"]["order_accuracy"]["ci95"] for r in results]
    assert intervals[0][1] > intervals[1][0]  # the two models' own intervals overlap
    [line] = summary_lines(results)
    assert "difference +1.5 points" in line and line.endswith("no clear change") and "raised" not in line
    assert [r["verdict"] for r in order_differences(results)] == ["no clear change"]


def test_the_difference_said_is_that_of_the_values_printed_beside_it():
    results = [_result("lambda 0", _outcomes(100)), _result("lambda 10", _outcomes(150, seed=1))]
    for result, accuracy in zip(results, (56.25, 62.5), strict=True):  # 6.25 apart, 6.3 as printed
        result["sets"]["test_reverse"]["order_accuracy"]["accuracy"] = accuracy
    [line] = summary_lines(results)
    before, after = (float(v) for v in re.findall(r"([\d.]+)% \[", line))
    difference = float(re.search(r"difference ([+-][\d.]+) points", line).group(1))
    assert (before, after, difference) == (56.2, 62.5, pytest.approx(6.3))


def test_order_difference_refuses_different_caption_pairs():
    other = _result("B", _outcomes(100))
    other["sets"]["test_reverse"]["pair_outcomes"]["clips"] = list(range(CLIPS.size))
    assert order_difference(_result("A", _outcomes(100)), other, "test_reverse", 100, 0) is None


def test_changes_are_computed_from_the_printed_values():
    table = quickstart_table([_result("lambda 0", _outcomes(100), r1=17.54), _result("B", _outcomes(100), r1=18.76)])
    first_row = [cell for column in table.columns for cell in [column._cells[0]]]
    assert first_row[2:] == ["17.5", "18.8", "+1.3"]  # not +1.2, the difference of the unrounded values


def _render(table, width: int = 80) -> str:
    console = Console(file=io.StringIO(), width=width)
    console.print(table)
    return console.file.getvalue()


def test_comparison_tables_fit_80_columns_for_four_models():
    results = [_result(name, _outcomes(100 + 10 * i, seed=i)) for i, name in enumerate("ABCD")]
    texts = [_render(to_rich(comparison_table(results))), _render(to_rich(difference_table(results)))]
    texts.append(_render(quickstart_table(results[:2])))
    for text in texts:
        assert all(len(line) <= 80 for line in text.splitlines()) and "…" not in text
    assert texts[0].count("17.5") == 16 and texts[1].count("no clear change") + texts[1].count("raised") == 3


def test_order_table_shows_the_text_only_baseline_when_results_have_one():
    result = _result("A", _outcomes(120))
    result["sets"]["test_reverse"]["shuffled_audio"] = {"accuracy": 50.0}
    assert "text\nonly" not in order_table(result).columns
    result["sets"]["test_reverse"]["text_baseline"] = {"accuracy": 66.25}
    table = order_table(result)
    assert table.columns[-1] == "text\nonly" and table.rows[0][-1] == "66.2"
    result["sets"]["test_reverse"]["text_baseline"] = {"accuracy": None, "reason": "no training captions"}
    assert order_table(result).rows[0][-1] == "n/a"
    text = _render(to_rich(order_table(result)))
    assert all(len(line) <= 80 for line in text.splitlines())
