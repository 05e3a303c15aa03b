"""Text search over a folder of audio: an index of window embeddings (FAISS + SQLite) and its queries."""

from dtu_audio.search.index import Hit, Index

__all__ = ["Hit", "Index"]
