"""Mixing two sounds into one fixed-length clip, in a known order, apart or overlapping."""

from __future__ import annotations

import numpy as np


def second_start(first_len: int, second_len: int, length: int, overlap: bool, overlap_samples: int) -> int:
    """Sample where the second sound starts.

    Apart: the first sound, silence, then the second sound ending at the clip's end (straight
    after the first when together they are longer than the clip). Overlapping: the second
    starts ``overlap_samples`` before the first ends, or, when that would run past the clip's
    end, ends at the clip's end (never before the clip's start).
    """
    if not overlap:
        return max(first_len, length - second_len)
    if first_len + second_len - overlap_samples <= length:
        return max(0, first_len - overlap_samples)
    return max(0, length - second_len)


def mix_pair(first: np.ndarray, second: np.ndarray, length: int, overlap: bool, overlap_samples: int) -> np.ndarray:
    """``first`` then ``second`` in a clip of ``length`` samples; whatever runs past the end is cut."""
    out = np.zeros(length)
    head = first[:length]
    out[: head.size] += head
    start = second_start(first.size, second.size, length, overlap, overlap_samples)
    if start < length:
        tail = second[: length - start]
        out[start : start + tail.size] += tail
    return out
