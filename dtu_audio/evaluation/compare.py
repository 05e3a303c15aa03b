"""Comparing models on the same captions: paired differences of order accuracy and what they support saying."""

from __future__ import annotations

import numpy as np

from dtu_audio.evaluation.statistics import paired_difference


def variant_names(result: dict) -> list[str]:
    """The sets of a result that have an order accuracy (the temporal variants), in suite order."""
    return [
        name for name, entry in result["sets"].items() if entry.get("order_accuracy", {}).get("accuracy") is not None
    ]


def bootstrap_settings(result: dict) -> tuple[int, int]:
    """The bootstrap samples and seed a result was computed with (from its saved spec)."""
    spec = result.get("spec", {})
    seed = spec.get("eval", {}).get("seed", spec.get("train", {}).get("seed", 0))
    return spec.get("eval", {}).get("bootstrap_samples", 1000), seed


def verdict(interval: list[float] | None, higher: str = "raised", lower: str = "lowered") -> str:
    """``higher`` / ``lower`` when a 95% interval of a difference excludes zero, else ``"no clear change"``."""
    if interval is None:
        return "no clear change"
    low, high = interval
    if low > 0:
        return higher
    if high < 0:
        return lower
    return "no clear change"


def order_difference(reference: dict, other: dict, name: str, samples: int, seed: int) -> dict | None:
    """Order accuracy of ``other`` minus ``reference`` on variant ``name``, paired over the same captions.

    ``None`` when either result lacks the variant or the two were scored on different caption pairs.
    """
    outcomes = [r["sets"].get(name, {}).get("pair_outcomes") for r in (reference, other)]
    if None in outcomes or outcomes[0]["clips"] != outcomes[1]["clips"]:
        return None
    clips = np.asarray(outcomes[0]["clips"])
    first, second = (np.asarray(o["correct"]) for o in outcomes)
    return paired_difference(second, first, clips, samples, seed)


def order_differences(results: list[dict]) -> list[dict]:
    """Each later model minus the first, per variant: ``set``, ``model`` (index), ``difference``, ``ci95``, verdict.

    Intervals use the first result's bootstrap settings.
    """
    samples, seed = bootstrap_settings(results[0])
    rows = []
    for name in variant_names(results[0]):
        for index, other in enumerate(results[1:], start=1):
            found = order_difference(results[0], other, name, samples, seed)
            if found is not None:
                rows.append({"set": name, "model": index, **found, "verdict": verdict(found["ci95"])})
    return rows
