"""The text encoder: a Hugging Face encoder built from a known config or a local folder, and the
original's caption preprocessing and tokenisation (longest padding, truncation, first-token pooling).
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from torch import Tensor, nn
from transformers import AutoConfig, AutoModel, AutoTokenizer, BertConfig, DistilBertConfig, RobertaConfig
from transformers import logging as hf_logging

from dtu_audio.errors import DtuError
from dtu_audio.weights.registry import ALIASES

_ROBERTA = {
    "vocab_size": 50265,
    "max_position_embeddings": 514,
    "type_vocab_size": 1,
    "layer_norm_eps": 1e-5,
    "pad_token_id": 1,
    "bos_token_id": 0,
    "eos_token_id": 2,
}


def _size(hidden: int, layers: int, heads: int) -> dict[str, int]:
    return {
        "hidden_size": hidden,
        "num_hidden_layers": layers,
        "num_attention_heads": heads,
        "intermediate_size": 4 * hidden,
    }


#: Architectures of the text encoders of the original code, by Hugging Face name (no network needed).
KNOWN_TEXT_ENCODERS: dict[str, tuple[type, dict[str, Any]]] = {
    "bert-base-uncased": (BertConfig, {}),
    "prajjwal1/bert-tiny": (BertConfig, _size(128, 2, 2)),
    "prajjwal1/bert-mini": (BertConfig, _size(256, 4, 4)),
    "prajjwal1/bert-small": (BertConfig, _size(512, 4, 8)),
    "prajjwal1/bert-medium": (BertConfig, _size(512, 8, 8)),
    "bert-large-uncased": (BertConfig, _size(1024, 24, 16)),
    "roberta-base": (RobertaConfig, _ROBERTA),
    "roberta-large": (RobertaConfig, {**_ROBERTA, **_size(1024, 24, 16)}),
    "distilroberta-base": (RobertaConfig, {**_ROBERTA, "num_hidden_layers": 6}),
    "distilbert-base-uncased": (DistilBertConfig, {}),
}

#: Short names accepted for the known encoders (the weight registry's aliases).
TEXT_ENCODER_ALIASES = ALIASES

_SPACE_BEFORE_PUNCTUATION = re.compile(r'\s([,.!?;:"](?:\s|$))')
_PUNCTUATION = re.compile(r'[(,.!?;:|*")]')
_WEIGHT_FILES = ("model.safetensors", "pytorch_model.bin", "model.safetensors.index.json")


def preprocess_caption(caption: str) -> str:
    """Normalise a caption exactly as the original: lower-case, drop punctuation, squeeze double spaces."""
    caption = _SPACE_BEFORE_PUNCTUATION.sub(r"\1", caption.lower()).replace("  ", " ")
    return _PUNCTUATION.sub(" ", caption).replace("  ", " ")


def canonical_text_encoder(name: str) -> str:
    """The Hugging Face name of a known encoder or alias; other values are returned unchanged."""
    return TEXT_ENCODER_ALIASES.get(name, name)


def _first_line(err: Exception) -> str:
    return str(err).strip().splitlines()[0] if str(err).strip() else type(err).__name__


def _model_kwargs(config) -> dict[str, Any]:
    return {"add_pooling_layer": False} if config.model_type in ("bert", "roberta") else {}


def _weight_cache_folder(name: str) -> Path:
    from dtu_audio.weights import weight_path

    return Path(weight_path(name))


class TextEncoder(nn.Module):
    """A Hugging Face encoder (``self.text_encoder``) with its tokenizer, loaded on first use.

    ``source`` is a known name or alias (architecture from the package; tokenizer from the weight
    cache), a local Hugging Face folder (config and tokenizer; weights if present, else fresh), or
    another weight-cache name.
    """

    def __init__(self, source: str, max_length: int = 30):
        super().__init__()
        self.source = canonical_text_encoder(source)
        self.max_length = max_length
        self._folder: Path | None = None
        #: True while the weights are the architecture's fresh ones (a known name built from its config).
        self.fresh = self.source in KNOWN_TEXT_ENCODERS and not Path(source).is_dir()
        if self.fresh:
            config_class, settings = KNOWN_TEXT_ENCODERS[self.source]
            config = config_class(**settings)
            self.text_encoder = AutoModel.from_config(config, **_model_kwargs(config))
        else:
            self._folder = Path(source) if Path(source).is_dir() else _weight_cache_folder(source)
            self.text_encoder = self._from_folder(self._folder)
        self._tokenizer = None

    @staticmethod
    def _from_folder(folder: Path) -> nn.Module:
        try:
            config = AutoConfig.from_pretrained(folder)
        except (OSError, ValueError) as err:
            raise DtuError(f"text encoder folder {folder} has no usable config.json: {_first_line(err)}") from None
        kwargs = _model_kwargs(config)
        if any((folder / name).is_file() for name in _WEIGHT_FILES):
            verbosity, progress = hf_logging.get_verbosity(), hf_logging.is_progress_bar_enabled()
            hf_logging.set_verbosity_error()  # the pooler of sentence encoders is expected to stay unused
            hf_logging.disable_progress_bar()
            try:
                return AutoModel.from_pretrained(folder, config=config, **kwargs)
            except (OSError, ValueError, RuntimeError) as err:
                raise DtuError(f"cannot load the text encoder weights in {folder}: {_first_line(err)}") from None
            finally:
                hf_logging.set_verbosity(verbosity)
                if progress:
                    hf_logging.enable_progress_bar()
        return AutoModel.from_config(config, **kwargs)

    @property
    def width(self) -> int:
        """Size of the encoder's hidden states."""
        return self.text_encoder.config.hidden_size

    @property
    def folder(self) -> Path:
        """The local folder holding the tokenizer (and pretrained weights) of this encoder."""
        if self._folder is None:
            self._folder = _weight_cache_folder(self.source)
        return self._folder

    @property
    def tokenizer(self):
        """The encoder's tokenizer, read from :attr:`folder` on first use (or assigned)."""
        if self._tokenizer is None:
            try:
                self._tokenizer = AutoTokenizer.from_pretrained(self.folder)
            except (OSError, ValueError) as err:
                raise DtuError(
                    f"cannot load the tokenizer of {self.source} from {self.folder}: {_first_line(err)}"
                ) from None
        return self._tokenizer

    @tokenizer.setter
    def tokenizer(self, tokenizer) -> None:
        self._tokenizer = tokenizer

    def load_pretrained(self) -> None:
        """Replace the weights by the pretrained ones of :attr:`folder` (the weight cache for known names)."""
        loaded = self._from_folder(self.folder)
        self.text_encoder.load_state_dict(loaded.state_dict())
        self.fresh = False

    def tokenize(self, captions: list[str]) -> dict[str, Tensor]:
        """Preprocess and tokenise captions: padding to the longest, truncation at ``max_length``."""
        batch = self.tokenizer(
            [preprocess_caption(c) for c in captions],
            padding="longest",
            truncation=True,
            max_length=self.max_length,
            return_tensors="pt",
        )
        return {"input_ids": batch["input_ids"], "attention_mask": batch["attention_mask"]}

    def forward(self, input_ids: Tensor, attention_mask: Tensor) -> Tensor:
        """Last hidden states ``[B, L, width]`` of the token ids."""
        return self.text_encoder(input_ids=input_ids, attention_mask=attention_mask)[0]
