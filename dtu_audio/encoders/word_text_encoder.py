"""A small BERT with a word-level vocabulary of its own, written as a local Hugging Face folder.

Used where no pretrained text encoder can be had offline: the quickstart's fallback, tests and
benchmarks. Words outside the vocabulary are spelled with single letters.
"""

from __future__ import annotations

import string
from collections.abc import Iterable
from pathlib import Path

from transformers import BertConfig, BertModel, BertTokenizer

SPECIAL_TOKENS = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"]


def write_word_text_encoder(
    folder: str | Path,
    words: Iterable[str],
    hidden_size: int = 32,
    num_layers: int = 2,
    num_heads: int = 2,
    with_weights: bool = False,
) -> Path:
    """Write a BERT config, a vocabulary of ``words`` plus letters (and fresh weights if asked) to ``folder``."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    letters = list(string.ascii_lowercase)
    vocab = SPECIAL_TOKENS + sorted({w.lower() for w in words} | set(letters)) + [f"##{c}" for c in letters]
    BertTokenizer(vocab={token: i for i, token in enumerate(vocab)}, do_lower_case=True).save_pretrained(folder)
    config = BertConfig(
        vocab_size=len(vocab),
        hidden_size=hidden_size,
        num_hidden_layers=num_layers,
        num_attention_heads=num_heads,
        intermediate_size=2 * hidden_size,
        max_position_embeddings=64,
    )
    config.save_pretrained(folder)
    if with_weights:
        BertModel(config, add_pooling_layer=False).save_pretrained(folder)
    return folder


def write_caption_text_encoder(folder: str | Path, captions: Iterable[str]) -> Path:
    """The ``words`` text encoder for ``captions``: 2 layers, 64-d, a vocabulary of their words; no weights."""
    words = {word.strip(".,").lower() for caption in captions for word in caption.split()}
    return write_word_text_encoder(folder, words, hidden_size=64, num_layers=2, num_heads=2)
