"""Audio and text encoders and the retrieval model that joins them."""

from dtu_audio.encoders.checkpoint import load_checkpoint, load_model, save_checkpoint
from dtu_audio.encoders.model import RetrievalModel

__all__ = ["RetrievalModel", "load_checkpoint", "load_model", "save_checkpoint"]
