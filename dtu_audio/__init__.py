"""dtu-audio: text-to-audio retrieval that takes time seriously."""

__version__ = "0.1.0"
