"""The training losses: contrastive, embedding regularisation, the temporal-order margin loss, and their sum."""

from dtu_audio.losses.contrastive import contrastive_loss, embedding_regularisation
from dtu_audio.losses.retrieval import LossTerms, RetrievalLoss
from dtu_audio.losses.temporal import temporal_hinge, temporal_margin_loss

__all__ = [
    "LossTerms",
    "RetrievalLoss",
    "contrastive_loss",
    "embedding_regularisation",
    "temporal_hinge",
    "temporal_margin_loss",
]
