"""Tiny model helpers that other tests reuse: a small local text encoder and a tiny run spec."""

from __future__ import annotations

from pathlib import Path

from dtu_audio.encoders.word_text_encoder import write_word_text_encoder
from dtu_audio.specs import RunSpec, load_spec

#: Words of the tiny vocabulary (besides the special tokens and single letters).
TINY_WORDS = [
    "a",
    "dog",
    "barks",
    "then",
    "cat",
    "meows",
    "while",
    "after",
    "before",
    "followed",
    "by",
    "birds",
    "sing",
    "car",
    "passes",
    "door",
    "closes",
    "man",
    "speaks",
    "woman",
    "laughs",
    "water",
    "runs",
    "wind",
    "blows",
    "engine",
    "starts",
    "stops",
    "rain",
    "falls",
    "people",
    "talk",
    "music",
    "plays",
    "bell",
    "rings",
    "and",
    "the",
    "of",
    "in",
    "on",
    "with",
    "loud",
    "quiet",
]


def write_tiny_text_encoder(folder: Path, with_weights: bool = False) -> Path:
    """Write a 2-layer, 32-wide BERT config and its own vocabulary (and weights if asked) into ``folder``."""
    return write_word_text_encoder(folder, TINY_WORDS, with_weights=with_weights)


def tiny_spec(tmp_path: Path, overrides: dict | None = None) -> RunSpec:
    """The ``tiny`` preset with its text encoder written under ``tmp_path`` (plus any overrides)."""
    folder = write_tiny_text_encoder(Path(tmp_path) / "tiny-bert")
    return load_spec("tiny", {"model.text_encoder": str(folder), **(overrides or {})})
