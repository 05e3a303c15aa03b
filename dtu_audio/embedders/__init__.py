"""Models on the benchmark: one embedder interface, one name scheme (``hf:...``, folders, checkpoints)."""

from dtu_audio.embedders.loading import NAME_SCHEME, load_embedder, load_model, register_family

__all__ = ["NAME_SCHEME", "load_embedder", "load_model", "register_family"]
