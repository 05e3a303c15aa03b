"""A tiny random ``transformers`` ClapModel with its processor, saved like a Hub model, and a fake Hub cache."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import torch
from tokenizers.pre_tokenizers import ByteLevel
from transformers import ClapConfig, ClapFeatureExtractor, ClapModel, ClapProcessor, RobertaTokenizer

#: The tiny model's clip length: longer clips are cropped (unfused) or fused from chunks (fused).
MAX_SECONDS = 2
SAMPLE_RATE = 48000


def write_tiny_clap(folder: Path, fused: bool = False, seed: int = 0) -> Path:
    """Save a 2-stage, 32-wide CLAP (48 kHz, 64 mel bins, 2-s clips) and a byte-level tokenizer into ``folder``."""
    folder.mkdir(parents=True, exist_ok=True)
    tokens = ["<s>", "<pad>", "</s>", "<unk>", *sorted(ByteLevel.alphabet()), "<mask>"]
    (folder / "vocab.json").write_text(json.dumps({t: i for i, t in enumerate(tokens)}))
    (folder / "merges.txt").write_text("#version: 0.2\n")
    tokenizer = RobertaTokenizer(str(folder / "vocab.json"), str(folder / "merges.txt"))
    features = ClapFeatureExtractor(
        feature_size=64,
        sampling_rate=SAMPLE_RATE,
        max_length_s=MAX_SECONDS,
        truncation="fusion" if fused else "rand_trunc",
    )
    ClapProcessor(feature_extractor=features, tokenizer=tokenizer).save_pretrained(folder)
    config = ClapConfig(
        text_config={
            "vocab_size": len(tokens),
            "hidden_size": 16,
            "num_hidden_layers": 1,
            "num_attention_heads": 2,
            "intermediate_size": 32,
            "max_position_embeddings": 64,
            "projection_dim": 8,
        },
        audio_config={
            "spec_size": 128,
            "num_mel_bins": 64,
            "window_size": 4,
            "depths": [1, 1],
            "num_attention_heads": [2, 2],
            "patch_embeds_hidden_size": 16,
            "hidden_size": 32,
            "projection_dim": 8,
            "num_classes": 4,
            "enable_fusion": fused,
        },
        projection_dim=8,
    )
    torch.manual_seed(seed)
    ClapModel(config).save_pretrained(folder)
    return folder


def add_to_hub_cache(cache: Path, repo_id: str, folder: Path, commit: str = "0" * 40) -> None:
    """Lay ``folder`` out in a huggingface_hub cache as revision ``main`` of ``repo_id``."""
    repo = cache / f"models--{repo_id.replace('/', '--')}"
    (repo / "refs").mkdir(parents=True, exist_ok=True)
    (repo / "refs" / "main").write_text(commit)
    shutil.copytree(folder, repo / "snapshots" / commit)
