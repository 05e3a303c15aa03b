"""Pretrained weights by name: the registry, the per-user cache, and downloads that survive real networks."""

from dtu_audio.weights.fetch import fetch, import_file, weight_path
from dtu_audio.weights.registry import DEFAULT_NAMES, KNOWN

__all__ = ["DEFAULT_NAMES", "KNOWN", "fetch", "import_file", "weight_path"]
