"""dtu-audio: text-to-audio retrieval that takes time seriously."""

__version__ = "0.1.0"

__all__ = ["Index", "RetrievalModel", "__version__", "load_model"]


def __getattr__(name: str):
    # The model pulls in torch and transformers: import it only when asked for.
    if name in ("RetrievalModel", "load_model"):
        from dtu_audio import encoders

        return getattr(encoders, name)
    if name == "Index":
        from dtu_audio.search import Index

        return Index
    raise AttributeError(f"module 'dtu_audio' has no attribute {name!r}")
