"""dtu-audio: text-to-audio retrieval that takes time seriously."""

__version__ = "0.1.0"

__all__ = ["Index", "RetrievalModel", "__version__", "load_embedder", "load_model"]


def __getattr__(name: str):
    # The models pull in torch and transformers: import them only when asked for.
    if name == "RetrievalModel":
        from dtu_audio.encoders.model import RetrievalModel

        return RetrievalModel
    if name in ("load_model", "load_embedder"):
        from dtu_audio import embedders

        return getattr(embedders, name)
    if name == "Index":
        from dtu_audio.search import Index

        return Index
    raise AttributeError(f"module 'dtu_audio' has no attribute {name!r}")
