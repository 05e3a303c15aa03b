"""Tiny model helpers that other tests reuse: a small local text encoder and a tiny run spec."""

from __future__ import annotations

from pathlib import Path

from transformers import BertConfig, BertTokenizer

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
SPECIAL_TOKENS = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"]


def write_tiny_text_encoder(folder: Path, with_weights: bool = False) -> Path:
    """Write a 2-layer, 32-wide BERT config and its own vocabulary (and weights if asked) into ``folder``."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    letters = [chr(c) for c in range(ord("a"), ord("z") + 1)]
    vocab = SPECIAL_TOKENS + sorted(set(TINY_WORDS) | set(letters)) + [f"##{c}" for c in letters]
    BertTokenizer(vocab={token: i for i, token in enumerate(vocab)}, do_lower_case=True).save_pretrained(folder)
    config = BertConfig(
        vocab_size=len(vocab),
        hidden_size=32,
        num_hidden_layers=2,
        num_attention_heads=2,
        intermediate_size=64,
        max_position_embeddings=64,
    )
    config.save_pretrained(folder)
    if with_weights:
        from transformers import BertModel

        BertModel(config, add_pooling_layer=False).save_pretrained(folder)
    return folder


def tiny_spec(tmp_path: Path, overrides: dict | None = None) -> RunSpec:
    """The ``tiny`` preset with its text encoder written under ``tmp_path`` (plus any overrides)."""
    folder = write_tiny_text_encoder(Path(tmp_path) / "tiny-bert")
    return load_spec("tiny", {"model.text_encoder": str(folder), **(overrides or {})})
